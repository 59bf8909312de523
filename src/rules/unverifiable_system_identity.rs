//! UP005: a policy runs as `system`, reads other databases, and the system identity's object id
//! is not known, so its grants cannot be checked.

use super::{Context, Identity, PolicyView, Rule, RuleMeta, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};

pub struct UnverifiableSystemIdentity;

static META: RuleMeta = RuleMeta {
    code: "UP005",
    name: "unverifiable-system-identity",
    severity: Severity::Warning,
    summary: "An update policy runs as the system identity and reads other databases, but the system identity's object id is not configured, so its grants cannot be checked.",
    doc: include_str!("../../rules/UP005-unverifiable-system-identity.md"),
    sources: &[sources::UPDATE_POLICY_WITH_MANAGED_IDENTITY, sources::SECURITY_PRINCIPALS],
};

impl Rule for UnverifiableSystemIdentity {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_policy(&self) -> bool {
        true
    }

    fn check_policy(&self, context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        let Identity::System { span } = view.identity else { return };
        if context.settings.system_identity(view.cluster.name.as_deref()).is_some() {
            return;
        }
        if view.is_disabled() {
            return;
        }
        let others = view.other_databases();
        if others.is_empty() {
            return;
        }
        let names: Vec<String> = others.iter().map(|a| format!("`{}`", a.database)).collect();
        out.push(
            META.diagnostic(
                format!(
                    "the update policy of `{}` runs as the system identity and reads database {}; its viewer grants cannot be checked",
                    view.target(),
                    names.join(", ")
                ),
                Label::new(view.entry.location.file, span, "the system identity's object id is not known"),
            )
            .with_note(META.cite("grants name the identity by object id (`aadapp=<object id>`), which `system` does not tell", sources::UPDATE_POLICY_WITH_MANAGED_IDENTITY))
            .with_help(format!(
                "give the object id of the cluster's system-assigned identity: `system-identity = \"<object id>\"` in the `[[clusters]]` entry of `{}` in uplint.toml, or `uplint check --system-identity <object id>`",
                view.cluster.name.as_deref().unwrap_or("<cluster>")
            )),
        );
    }
}
