//! UP006: a policy's `ManagedIdentity` is neither `system` nor a GUID.

use super::{Context, Identity, PolicyView, Rule, RuleMeta, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};

pub struct InvalidManagedIdentity;

static META: RuleMeta = RuleMeta {
    code: "UP006",
    name: "invalid-managed-identity",
    severity: Severity::Error,
    summary: "An update policy's ManagedIdentity is neither `system` nor an object id (GUID).",
    doc: include_str!("../../rules/UP006-invalid-managed-identity.md"),
    sources: &[sources::UPDATE_POLICY, sources::UPDATE_POLICY_WITH_MANAGED_IDENTITY, sources::ERROR_CODES],
};

impl Rule for InvalidManagedIdentity {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_policy(&self) -> bool {
        true
    }

    fn check_policy(&self, context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        let Identity::Invalid { written, span } = &view.identity else { return };
        out.push(
            META.diagnostic(
                format!("the ManagedIdentity `{written}` of the update policy of `{}` is neither `system` nor an object id", view.target()),
                Label::new(view.entry.location.file, *span, "expected \"system\" or a GUID"),
            )
            .with_note(META.cite("ManagedIdentity takes the word `system` (the cluster's system-assigned identity) or the object (principal) id of a user-assigned identity", sources::UPDATE_POLICY))
            .with_help(format!("\"ManagedIdentity\": \"{}\"", context.suggested_identity(view))),
        );
    }
}
