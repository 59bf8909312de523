//! UP302: the output and the target table agree in count and types, but the same names sit at
//! different positions (ADX maps by position: the data lands in the wrong columns).

use super::query_schema_mismatch::{corrected_project, ordinal, side_by_side};
use super::{Context, PolicyView, Rule, RuleMeta, sources};
use crate::diagnostic::{Diagnostic, Severity};
use crate::typecheck::{self, Verdict};

pub struct QueryColumnOrder;

static META: RuleMeta = RuleMeta {
    code: "UP302",
    name: "query-column-order",
    severity: Severity::Warning,
    summary: "An update policy's query outputs the target table's column names in a different order (same types): data lands in the wrong columns.",
    doc: include_str!("../../rules/UP302-query-column-order.md"),
    sources: &[sources::UPDATE_POLICY, sources::CREATE_MERGE_TABLE],
};

impl Rule for QueryColumnOrder {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_policy(&self) -> bool {
        true
    }

    fn check_policy(&self, context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        let Some((output, target)) = context.typed(view) else { return };
        if typecheck::verdict(Some(output), Some(target)) != Verdict::Match {
            return;
        }
        // A position whose name is the table's name of another position.
        let misplaced = output
            .columns
            .iter()
            .enumerate()
            .find(|(i, c)| c.name != target.columns[*i].name && target.position(&c.name).is_some_and(|j| j != *i));
        let Some((i, column)) = misplaced else { return };
        let j = target.position(&column.name).unwrap_or(i);
        let mut diagnostic = META
            .diagnostic(
                format!(
                    "the query of the update policy of `{}` puts `{}` in the {} column, but `{}` has it in the {}: ADX maps columns by position, so its values land in `{}`",
                    view.target(),
                    column.name,
                    ordinal(i + 1),
                    view.table,
                    ordinal(j + 1),
                    target.columns[i].name
                ),
                view.primary(format!("`{}` is the {} column of the output", column.name, ordinal(i + 1))),
            )
            .with_note(side_by_side(output, target, view.table, Some(i)))
            .with_note(META.cite(
                "ADX maps the query's output to the target table by position, not by name",
                sources::UPDATE_POLICY,
            ));
        if let Some(project) = corrected_project(output, target) {
            diagnostic = diagnostic.with_help(format!("end the query with `{project}`"));
        }
        out.push(diagnostic);
    }
}
