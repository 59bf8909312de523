//! UP002: a policy reads a table with row level security and has no managed identity.

use super::{Context, Identity, PolicyView, Rule, RuleMeta, read_of_guarded_table, sources};
use crate::diagnostic::{Diagnostic, Severity};
use crate::resolve::AccessKind;

pub struct RowLevelSecurityWithoutIdentity;

static META: RuleMeta = RuleMeta {
    code: "UP002",
    name: "row-level-security-without-identity",
    severity: Severity::Error,
    summary: "An update policy reads a table whose row level security policy is enabled and has no ManagedIdentity.",
    doc: include_str!("../../rules/UP002-row-level-security-without-identity.md"),
    sources: &[
        sources::UPDATE_POLICY_WITH_MANAGED_IDENTITY,
        sources::ROW_LEVEL_SECURITY_POLICY,
        sources::UPDATE_POLICY,
    ],
};

impl Rule for RowLevelSecurityWithoutIdentity {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_policy(&self) -> bool {
        true
    }

    fn check_policy(&self, context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        let model = &context.workspace.model;
        if view.is_disabled() || view.identity != Identity::Absent {
            return;
        }
        for access in view.distinct_reads(AccessKind::Table) {
            let Some(table) = view.read_table(model, access) else { continue };
            let Some(rls) = table.row_level_security.as_ref().filter(|r| r.enabled) else { continue };
            let diagnostic = read_of_guarded_table(
                &META,
                view,
                access,
                &format!("reads `{}` without a managed identity", access.name),
                format!(
                    "the update policy of `{}` reads `{}.{}`, whose row level security is enabled, but has no ManagedIdentity",
                    view.target(),
                    access.database,
                    access.name
                ),
                rls.location,
                "row level security is enabled here",
            );
            out.push(
                diagnostic
                    .with_note(META.cite(
                        "ADX lets an update policy read a table with row level security only as a managed identity",
                        sources::UPDATE_POLICY_WITH_MANAGED_IDENTITY,
                    ))
                    .with_help(view.alter_with_identity(&context.suggested_identity(view))),
            );
        }
    }
}
