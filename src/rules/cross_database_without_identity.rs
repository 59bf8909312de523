//! UP001: a policy reads another database without a managed identity.

use super::{
    Context, Identity, PolicyView, Rule, RuleMeta, chain_labels, partial_read_notes, reference_message, sources,
};
use crate::diagnostic::{Diagnostic, Note, Severity};

pub struct CrossDatabaseWithoutIdentity;

static META: RuleMeta = RuleMeta {
    code: "UP001",
    name: "cross-database-without-identity",
    severity: Severity::Error,
    summary: "An update policy reads another database (directly or through functions) and has no ManagedIdentity.",
    doc: include_str!("../../rules/UP001-cross-database-without-identity.md"),
    sources: &[
        sources::UPDATE_POLICY_WITH_MANAGED_IDENTITY,
        sources::UPDATE_POLICY,
        sources::CROSS_DATABASE_QUERIES,
        sources::TABLE_FUNCTION,
    ],
};

impl Rule for CrossDatabaseWithoutIdentity {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_policy(&self) -> bool {
        true
    }

    fn check_policy(&self, context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        if view.is_disabled() || view.identity != Identity::Absent {
            return;
        }
        let others = view.other_databases();
        let Some(first) = others.first() else { return };
        let names: Vec<String> = others.iter().map(|a| format!("`{}`", a.database)).collect();
        let primary =
            view.primary_for(first, &format!("reads database `{}` without a managed identity", first.database));
        let mut diagnostic = META.diagnostic(
            format!(
                "the update policy of `{}` reads database {} but has no ManagedIdentity",
                view.target(),
                names.join(", ")
            ),
            primary.clone(),
        );
        for access in &others {
            diagnostic.labels.extend(chain_labels(access, &reference_message(access), &primary));
        }
        diagnostic.notes.extend(partial_read_notes(view, &others).into_iter().map(Note::from));
        let identity = context.suggested_identity(view);
        out.push(
            diagnostic
                .with_note(META.cite(
                    "ADX runs an update policy that reads other databases only as a managed identity",
                    sources::UPDATE_POLICY_WITH_MANAGED_IDENTITY,
                ))
                .with_help(view.alter_with_identity(&identity)),
        );
    }
}
