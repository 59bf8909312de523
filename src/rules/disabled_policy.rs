//! UP209: an update policy entry is disabled (or does not say it is enabled).

use super::{Context, PolicyView, Rule, RuleMeta, sources};
use crate::diagnostic::{Diagnostic, Severity};

pub struct DisabledPolicy;

static META: RuleMeta = RuleMeta {
    code: "UP209",
    name: "disabled-policy",
    severity: Severity::Info,
    summary: "An update policy entry's IsEnabled is false or absent: it does not run.",
    doc: include_str!("../../rules/UP209-disabled-policy.md"),
    sources: &[sources::UPDATE_POLICY],
};

impl Rule for DisabledPolicy {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_policy(&self) -> bool {
        true
    }

    fn check_policy(&self, _context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        let enabled = view.flag("IsEnabled");
        let written = view.entry.json.member("IsEnabled").is_some_and(|m| !m.value.is_null());
        // A value that is no boolean is UP201's.
        if enabled.is_some_and(|f| f.value) || (written && enabled.is_none()) {
            return;
        }
        let (message, note) = match enabled {
            Some(_) => (
                format!("the update policy of `{}` is disabled (IsEnabled is false)", view.target()),
                "a disabled entry never runs: ingestion into its Source adds nothing to the target",
            ),
            None => (
                format!("the update policy of `{}` does not set IsEnabled", view.target()),
                "the documentation gives no default for IsEnabled, so whether the entry runs is not certain; write it explicitly",
            ),
        };
        out.push(
            META.diagnostic(message, view.property_label("IsEnabled", "not enabled"))
                .with_note(META.cite(note, sources::UPDATE_POLICY))
                .with_help("\"IsEnabled\": true"),
        );
    }
}
