//! UP003: a policy's managed identity is not allowed for `AutomatedFlows`.

use super::{Context, Identity, PolicyView, Rule, RuleMeta, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};

pub struct IdentityNotAllowed;

static META: RuleMeta = RuleMeta {
    code: "UP003",
    name: "identity-not-allowed",
    severity: Severity::Error,
    summary: "An update policy's ManagedIdentity is not allowed for AutomatedFlows by the cluster's or the database's managed_identity policy.",
    doc: include_str!("../../rules/UP003-identity-not-allowed.md"),
    sources: &[
        sources::UPDATE_POLICY_WITH_MANAGED_IDENTITY,
        sources::MANAGED_IDENTITY_POLICY,
        sources::ALTER_MERGE_MANAGED_IDENTITY_POLICY,
    ],
};

impl Rule for IdentityNotAllowed {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_policy(&self) -> bool {
        true
    }

    fn check_policy(&self, context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(identity), Identity::System { span } | Identity::ObjectId { span, .. }) =
            (view.identity.text(), &view.identity)
        else {
            return;
        };
        if view.is_disabled() {
            return;
        }
        let matching: Vec<_> = view.identity_entries().filter(|e| view.identity.matches(e)).collect();
        if matching.iter().any(|e| e.allows("AutomatedFlows")) {
            return;
        }
        let mut diagnostic = META.diagnostic(
            format!(
                "the managed identity `{identity}` of the update policy of `{}` is not allowed for AutomatedFlows",
                view.target()
            ),
            Label::new(
                view.entry.location.file,
                *span,
                "no managed_identity policy allows this identity for AutomatedFlows",
            ),
        );
        for entry in &matching {
            let usages: Vec<&str> = entry.usages.iter().map(|(u, _)| u.as_str()).collect();
            let allowed = if usages.is_empty() { "nothing".to_string() } else { usages.join(", ") };
            diagnostic = diagnostic.with_label(Label::new(
                entry.location.file,
                entry.location.span,
                format!("allows only {allowed}"),
            ));
        }
        if matching.is_empty() {
            diagnostic = diagnostic.with_note(if context.identity_policy_location(view).is_some() {
                format!("the managed_identity policies of the cluster and of database `{}` have no entry for `{identity}`", view.database.name)
            } else {
                "the project sets no managed_identity policy; if the cluster has one, describe it in a script (see the README)".to_string()
            });
        }
        diagnostic = diagnostic.with_note(META.cite(
            "an update policy runs as a managed identity only when the cluster's or the database's managed_identity policy allows that identity the usage AutomatedFlows (or All)",
            sources::MANAGED_IDENTITY_POLICY,
        ));
        out.push(diagnostic.with_help(format!(
            ".alter-merge cluster policy managed_identity ```[{{\"ObjectId\": \"{identity}\", \"AllowedUsages\": \"AutomatedFlows\"}}]```"
        )));
    }
}
