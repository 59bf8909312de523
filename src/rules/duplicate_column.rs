//! UP304: a table definition names the same column twice.

use super::{Context, Rule, RuleMeta, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};

pub struct DuplicateColumn;

static META: RuleMeta = RuleMeta {
    code: "UP304",
    name: "duplicate-column",
    severity: Severity::Error,
    summary: "A table definition names the same column twice.",
    doc: include_str!("../../rules/UP304-duplicate-column.md"),
    sources: &[sources::CREATE_TABLE, sources::CREATE_MERGE_TABLE],
};

impl Rule for DuplicateColumn {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for cluster in context.workspace.model.clusters.values() {
            for database in cluster.databases.values() {
                for (name, table) in &database.tables {
                    for definition in &table.definitions {
                        let mut seen: Vec<&str> = Vec::new();
                        for (column, _) in &definition.columns {
                            if seen.contains(&column.as_str()) {
                                out.push(
                                    META.diagnostic(
                                        format!("the definition of `{}.{name}` names the column `{column}` twice", database.name),
                                        Label::new(definition.location.file, definition.name_span, format!("`{column}` is named twice")),
                                    )
                                    .with_note(META.cite("column names are unique within a table; ADX rejects the command", sources::CREATE_TABLE))
                                    .with_help(format!("remove the second `{column}` (and the same column from the query that fills the table)")),
                                );
                                break;
                            }
                            seen.push(column);
                        }
                    }
                }
            }
        }
    }
}
