//! UP304: a table definition names the same column twice, or an operator of an update policy's
//! query (or of a function it calls) declares the same column twice.

use super::{Context, Rule, RuleMeta, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::model::Database;

pub struct DuplicateColumn;

static META: RuleMeta = RuleMeta {
    code: "UP304",
    name: "duplicate-column",
    severity: Severity::Error,
    summary: "A table definition, or an operator of an update policy's query, names the same column twice.",
    doc: include_str!("../../rules/UP304-duplicate-column.md"),
    sources: &[sources::CREATE_TABLE, sources::CREATE_MERGE_TABLE, sources::PROJECT_OPERATOR],
};

impl Rule for DuplicateColumn {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_database(&self) -> bool {
        true
    }

    fn check_database(&self, _context: &Context<'_>, database: &Database, out: &mut Vec<Diagnostic>) {
        for (name, table) in &database.tables {
            for definition in &table.definitions {
                let mut seen: Vec<&str> = Vec::new();
                for column in definition.columns.iter().map(|c| &c.name) {
                    if seen.contains(&&**column) {
                        out.push(
                            META.diagnostic(
                                format!(
                                    "the definition of `{}.{name}` names the column `{column}` twice",
                                    database.name
                                ),
                                Label::new(
                                    definition.location.file,
                                    definition.name_span,
                                    format!("`{column}` is named twice"),
                                ),
                            )
                            .with_note(META.cite(
                                "column names are unique within a table; ADX rejects the command",
                                sources::CREATE_TABLE,
                            ))
                            .with_help(format!(
                                "remove the second `{column}` (and the same column from the query that fills the table)"
                            )),
                        );
                        break;
                    }
                    seen.push(column);
                }
            }
        }
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for duplicate in &context.outputs.duplicate_columns {
            let Some(view) = context.policies.iter().find(|v| v.unit == Some(duplicate.policy)) else { continue };
            if view.is_disabled() {
                continue;
            }
            let name = &duplicate.name;
            let mut diagnostic = META
                .diagnostic(
                    format!(
                        "`{name}` is declared twice by one operator: the update policy of `{}` runs it",
                        view.target()
                    ),
                    Label::new(duplicate.location.file, duplicate.location.span, format!("`{name}` declared again")),
                )
                .with_label(view.primary("the policy's query reaches it".to_string()));
            if let Some(first) = duplicate.first {
                diagnostic = diagnostic.with_label(Label::new(
                    first.file,
                    first.span,
                    format!("`{name}` is first declared here"),
                ));
            }
            out.push(
                diagnostic
                    .with_note(META.cite(
                        "an operator's output has each column name once; Kusto rejects the query (`A column with the name ... is already declared`), so the policy's command or every ingestion into its source fails",
                        sources::PROJECT_OPERATOR,
                    ))
                    .with_help(format!("give one of the two `{name}` another name, or remove it")),
            );
        }
    }
}
