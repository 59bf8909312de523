//! UP208: an update policy entry is not transactional.

use super::{Context, PolicyView, Rule, RuleMeta, sources};
use crate::diagnostic::{Diagnostic, Severity};

pub struct NonTransactionalPolicy;

static META: RuleMeta = RuleMeta {
    code: "UP208",
    name: "non-transactional-policy",
    severity: Severity::Info,
    summary: "An update policy entry's IsTransactional is false or absent: when its query fails, the target silently misses the data.",
    doc: include_str!("../../rules/UP208-non-transactional-policy.md"),
    sources: &[sources::UPDATE_POLICY],
};

impl Rule for NonTransactionalPolicy {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_policy(&self) -> bool {
        true
    }

    fn check_policy(&self, _context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        let transactional = view.flag("IsTransactional");
        // A Source that keeps nothing makes this an error (UP207).
        if view.is_disabled() || transactional.is_some_and(|f| f.value) || view.zero_retention_source().is_some() {
            return;
        }
        let how = if transactional.is_some() { "false" } else { "absent (false by default)" };
        out.push(
            META.diagnostic(
                format!("the update policy of `{}` is not transactional (IsTransactional is {how})", view.target()),
                view.property_label("IsTransactional", "not transactional"),
            )
            .with_note(META.cite("a non-transactional entry that fails leaves the Source table with the data and the target without it, and the ingestion still reports success; the documentation recommends `true` in production", sources::UPDATE_POLICY))
            .with_help("\"IsTransactional\": true"),
        );
    }
}
