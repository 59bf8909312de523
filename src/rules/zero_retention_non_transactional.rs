//! UP207: the Source table keeps nothing (soft-delete 0) and the entry is not transactional.

use super::{Context, PolicyView, Rule, RuleMeta, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};

pub struct ZeroRetentionNonTransactional;

static META: RuleMeta = RuleMeta {
    code: "UP207",
    name: "zero-retention-non-transactional",
    severity: Severity::Error,
    summary: "An update policy's Source table has a soft-delete period of 0 and the entry is not transactional.",
    doc: include_str!("../../rules/UP207-zero-retention-non-transactional.md"),
    sources: &[sources::UPDATE_POLICY, sources::RETENTION_POLICY],
};

impl Rule for ZeroRetentionNonTransactional {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_policy(&self) -> bool {
        true
    }

    fn check_policy(&self, _context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        if view.is_disabled() || view.flag("IsTransactional").is_some_and(|f| f.value) {
            return;
        }
        let Some(retention) = view.zero_retention_source() else { return };
        let source = view.source().map_or("?", |(s, _)| s);
        out.push(
            META.diagnostic(
                format!(
                    "the update policy of `{}` is not transactional, but its Source table `{source}` keeps no data (soft-delete period 0)",
                    view.target()
                ),
                view.property_label("IsTransactional", "not transactional"),
            )
            .with_label(Label::new(retention.location.file, retention.location.span, format!("`{source}` keeps nothing: soft-delete period 0")))
            .with_note(META.cite("when the Source table's soft-delete period is 0, every update policy that uses it as Source must be transactional; otherwise a failure of the query loses the data for good", sources::UPDATE_POLICY))
            .with_help("\"IsTransactional\": true"),
        );
    }
}
