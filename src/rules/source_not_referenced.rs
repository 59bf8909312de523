//! UP107: nothing an update policy entry reads is its `Source` table.

use super::{Context, PolicyView, Rule, RuleMeta, matches_wildcard, sources};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::same_database;
use crate::resolve::AccessKind;

pub struct SourceNotReferenced;

static META: RuleMeta = RuleMeta {
    code: "UP107",
    name: "source-not-referenced",
    severity: Severity::Warning,
    summary: "Nothing an update policy's query reads (directly or through functions) is its Source table, and the command has no AllowUnreferencedSourceTable=true.",
    doc: include_str!("../../rules/UP107-source-not-referenced.md"),
    sources: &[sources::UPDATE_POLICY, sources::ALTER_TABLE_UPDATE_POLICY],
};

impl Rule for SourceNotReferenced {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_policy(&self) -> bool {
        true
    }

    fn check_policy(&self, context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        let Some((source, _)) = view.source() else { return };
        if source.is_empty()
            || view.unit.is_none()
            || view.is_disabled()
            || view.allows_unreferenced_source()
            || !view.reads_complete
            || !everything_read_is_known(context, view)
        {
            return;
        }
        let wildcard = view.source_is_wildcard() || source.contains('*');
        // A Source the project does not define is UP203's (or unknown).
        if !wildcard && !view.database.knows_table(source) {
            return;
        }
        let reads_source = view.reads.iter().any(|access| {
            &*access.name == "$source_table"
                || (!view.is_other_cluster(access.cluster.as_deref())
                    && same_database(&access.database, &view.database.name)
                    && match access.kind {
                        AccessKind::Table => {
                            *access.name == *source || (wildcard && matches_wildcard(source, &access.name))
                        }
                        AccessKind::TablePattern => matches_wildcard(&access.name, source),
                        _ => false,
                    })
        });
        if reads_source {
            return;
        }
        let table = view
            .entry
            .database_written
            .as_deref()
            .map_or_else(|| super::bracketed(view.table), |db| super::qualified(db, view.table));
        out.push(
            META.diagnostic(
                format!(
                    "the Query of the update policy of `{}` does not read its Source table `{source}`",
                    view.target()
                ),
                view.primary(format!("reads no `{source}`")),
            )
            .with_label(view.property_label("Source", "the Source table"))
            .with_note(META.cite("ADX checks when the policy is set that its query references the Source table; without it, each ingestion into the Source table runs the query over all records of the other tables", sources::UPDATE_POLICY))
            .with_help(format!(
                "read `{source}` in the query, or, if this is deliberate, say so: .alter table {table} policy update with (AllowUnreferencedSourceTable=true) ..."
            )),
        );
    }
}

/// True when every table the entry reads is one the project defines (or a materialized view):
/// a name the project does not know may be a function defined elsewhere that reads the Source.
fn everything_read_is_known(context: &Context<'_>, view: &PolicyView<'_>) -> bool {
    view.reads.iter().all(|access| match access.kind {
        AccessKind::Table => {
            &*access.name == "$source_table"
                || context
                    .workspace
                    .model
                    .database(access.cluster.as_deref().or(view.cluster.name.as_deref()), &access.database)
                    .is_some_and(|db| db.knows_table(&access.name))
        }
        AccessKind::UnknownFunction => false,
        AccessKind::MaterializedView | AccessKind::ExternalTable | AccessKind::TablePattern => true,
    })
}
