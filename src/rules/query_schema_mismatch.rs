//! UP301: an enabled policy entry's output differs from its target table in column count or in
//! a column's type at some position.

use super::{Context, PolicyView, Rule, RuleMeta, bracketed, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::kql::types::{ScalarType, TableType};
use crate::model::{ColumnChangeKind, Table};
use crate::typecheck::{self, Verdict};

pub struct QuerySchemaMismatch;

static META: RuleMeta = RuleMeta {
    code: "UP301",
    name: "query-schema-mismatch",
    severity: Severity::Error,
    summary: "An update policy's query output differs from the target table in column count or in a column's type.",
    doc: include_str!("../../rules/UP301-query-schema-mismatch.md"),
    sources: &[
        sources::UPDATE_POLICY,
        sources::CREATE_MERGE_TABLE,
        sources::ALTER_MERGE_TABLE,
        sources::ERROR_CODES,
        sources::INGEST_FROM_QUERY,
    ],
};

/// `1st`, `2nd`, `3rd`, `4th`...
pub(super) fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn type_name(ty: Option<ScalarType>) -> &'static str {
    ty.map_or("?", ScalarType::name)
}

/// Both schemas side by side, the first differing position marked.
pub(super) fn side_by_side(output: &TableType, target: &TableType, table: &str, mark: Option<usize>) -> String {
    let rows = output.columns.len().max(target.columns.len());
    let cell = |t: &TableType, i: usize| {
        t.columns.get(i).map_or_else(|| "-".to_string(), |c| format!("{}:{}", c.name, type_name(c.ty)))
    };
    let width = (0..rows).map(|i| cell(output, i).len()).max().unwrap_or(0).max("query".len());
    let mut text = format!("    #  {:<width$}  {table}", "query");
    for i in 0..rows {
        let marker = if Some(i) == mark { '>' } else { ' ' };
        text.push_str(&format!("\n{marker}{:>4}  {:<width$}  {}", i + 1, cell(output, i), cell(target, i)));
    }
    text
}

/// The conversion function to a type (`tostring`, `tolong`...).
pub(super) fn conversion(ty: ScalarType) -> &'static str {
    match ty {
        ScalarType::Bool => "tobool",
        ScalarType::Int => "toint",
        ScalarType::Long => "tolong",
        ScalarType::Real => "toreal",
        ScalarType::Decimal => "todecimal",
        ScalarType::String => "tostring",
        ScalarType::DateTime => "todatetime",
        ScalarType::TimeSpan => "totimespan",
        ScalarType::Guid => "toguid",
        ScalarType::Dynamic => "todynamic",
    }
}

/// `| project a, b = tolong(b), ...` in the table's order, when the output has every column
/// of the table by name. None when the table names a column twice (UP304): such a `project`
/// would name it twice too, which Kusto rejects.
pub(super) fn corrected_project(output: &TableType, target: &TableType) -> Option<String> {
    let mut names = rustc_hash::FxHashSet::default();
    if !target.columns.iter().all(|column| names.insert(&*column.name)) {
        return None;
    }
    let mut items = Vec::new();
    for column in &target.columns {
        let produced = output.column(&column.name)?;
        let name = bracketed(&column.name);
        match (produced.ty, column.ty) {
            (Some(a), Some(b)) if a != b => items.push(format!("{name} = {}({name})", conversion(b))),
            _ => items.push(name),
        }
    }
    Some(format!("| project {}", items.join(", ")))
}

/// Where the table defines its columns (the last definition that added one).
fn definition_label(table: &Table, column: Option<&str>, message: String) -> Option<Label> {
    // A later `.alter column ... type` or `.rename column` made it what it is.
    let changed = column.and_then(|name| {
        table.column_changes.iter().rev().find(|c| match &c.kind {
            ColumnChangeKind::Retype { column, .. } => **column == *name,
            ColumnChangeKind::Rename { new, .. } => **new == *name,
            ColumnChangeKind::Drop(_) => false,
        })
    });
    if let Some(change) = changed {
        return Some(Label::new(change.location.file, change.location.span, message));
    }
    let columns = table.columns();
    let definition = match column {
        Some(name) => columns.iter().find(|(n, _, _)| **n == *name).map(|(_, _, d)| *d),
        None => columns.last().map(|(_, _, d)| *d),
    }
    // A table made by `.set T <| query`: that command.
    .or_else(|| table.definitions.iter().rev().find(|d| d.query.is_some()))?;
    Some(Label::new(definition.location.file, definition.name_span, message))
}

impl Rule for QuerySchemaMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_policy(&self) -> bool {
        true
    }

    fn check_policy(&self, context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        let Some((output, target)) = context.typed(view) else { return };
        let Some(table) = view.database.tables.get(view.table) else { return };
        match typecheck::verdict(Some(output), Some(target)) {
            Verdict::CountMismatch => out.push(count_mismatch(context, view, table, output, target)),
            Verdict::TypeMismatch(i) => out.push(type_mismatch(context, view, table, output, target, i)),
            Verdict::Match | Verdict::Unknown => {}
        }
    }
}

fn origin_label(context: &Context<'_>, output: &TableType, i: usize, message: String) -> Option<Label> {
    let origin = output.columns.get(i)?.origin?;
    let location = typecheck::origin_location(context.workspace, origin)?;
    Some(Label::new(location.file, location.span, message))
}

fn count_mismatch(
    context: &Context<'_>,
    view: &PolicyView<'_>,
    table: &Table,
    output: &TableType,
    target: &TableType,
) -> Diagnostic {
    let (n, m) = (output.columns.len(), target.columns.len());
    let extra = output.columns.iter().position(|c| target.column(&c.name).is_none());
    let missing = target.columns.iter().position(|c| output.column(&c.name).is_none());
    let cause = if n > m {
        match extra {
            Some(i) => {
                format!(": the query's {} column, `{}`, is not in the table", ordinal(i + 1), output.columns[i].name)
            }
            None => String::new(),
        }
    } else {
        match missing {
            Some(i) => format!(
                ": the table's {} column, `{}`, is not in the query's output",
                ordinal(i + 1),
                target.columns[i].name
            ),
            None => String::new(),
        }
    };
    let mut diagnostic = META.diagnostic(
        format!(
            "the query of the update policy of `{}` has {n} columns, `{}` has {m}{cause}",
            view.target(),
            view.table
        ),
        view.primary(format!("outputs {n} columns")),
    );
    if let Some(i) = extra.filter(|_| n > m) {
        if let Some(label) = origin_label(context, output, i, format!("`{}` is made here", output.columns[i].name)) {
            diagnostic = diagnostic.with_label(label);
        }
    }
    if let Some(label) = definition_label(table, None, format!("`{}` is defined with {m} columns", view.table)) {
        diagnostic = diagnostic.with_label(label);
    }
    diagnostic = diagnostic
        .with_note(side_by_side(output, target, view.table, Some(n.min(m))))
        .with_note(META.cite(
            "ADX maps the query's output to the target table by position and requires the same number of columns of the same types",
            sources::UPDATE_POLICY,
        ));
    // The extra columns are all at the end and new to the table: add them to the table.
    let appended = n > m
        && output.columns[..m]
            .iter()
            .zip(&target.columns)
            .all(|(o, t)| o.ty == t.ty || o.ty.is_none() || t.ty.is_none());
    let new_columns = &output.columns[m.min(n)..];
    if appended && new_columns.iter().all(|c| c.ty.is_some() && target.column(&c.name).is_none()) {
        let columns: Vec<String> =
            new_columns.iter().map(|c| format!("{}:{}", bracketed(&c.name), type_name(c.ty))).collect();
        let table_name = match &view.entry.database_written {
            Some(database) => super::qualified(database, view.table),
            None => bracketed(view.table),
        };
        diagnostic.with_help(format!(".alter-merge table {table_name} ({})", columns.join(", ")))
    } else if let Some(project) = corrected_project(output, target) {
        diagnostic.with_help(format!("end the query with `{project}`"))
    } else {
        diagnostic
    }
}

fn type_mismatch(
    context: &Context<'_>,
    view: &PolicyView<'_>,
    table: &Table,
    output: &TableType,
    target: &TableType,
    i: usize,
) -> Diagnostic {
    let (o, t) = (&output.columns[i], &target.columns[i]);
    let same_name = if o.name == t.name {
        String::new()
    } else {
        format!(" (`{}` in the query, `{}` in the table)", o.name, t.name)
    };
    let mut diagnostic = META.diagnostic(
        format!(
            "column {} of the update policy of `{}` is {} in the query but {} in `{}`{same_name}",
            i + 1,
            view.target(),
            type_name(o.ty),
            type_name(t.ty),
            view.table
        ),
        view.primary(format!("column {} is {}", i + 1, type_name(o.ty))),
    );
    if let Some(label) = origin_label(context, output, i, format!("`{}` is made here, as {}", o.name, type_name(o.ty)))
    {
        diagnostic = diagnostic.with_label(label);
    }
    if let Some(label) =
        definition_label(table, Some(&t.name), format!("`{}` is defined as {} here", t.name, type_name(t.ty)))
    {
        diagnostic = diagnostic.with_label(label);
    }
    diagnostic = diagnostic
        .with_note(side_by_side(output, target, view.table, Some(i)))
        .with_note(META.cite(
            "ADX maps the query's output to the target table by position and requires the same types; `.create-merge`/`.alter-merge table` append new columns at the end",
            sources::UPDATE_POLICY,
        ));
    match corrected_project(output, target) {
        Some(project) => diagnostic.with_help(format!("end the query with `{project}`")),
        None => diagnostic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kql::types::Column;

    fn table(columns: &[(&str, ScalarType)]) -> TableType {
        TableType::closed(columns.iter().map(|(name, ty)| Column::new(*name, Some(*ty))).collect())
    }

    #[test]
    fn the_corrected_project_follows_the_table_and_never_names_a_column_twice() {
        let output = table(&[("b", ScalarType::Int), ("a", ScalarType::String)]);
        let target = table(&[("a", ScalarType::String), ("b", ScalarType::Long)]);
        assert_eq!(corrected_project(&output, &target).as_deref(), Some("| project a, b = tolong(b)"));
        // A table that names `a` twice (UP304): no `project` fits it.
        let twice = table(&[("a", ScalarType::String), ("a", ScalarType::String), ("b", ScalarType::Long)]);
        assert_eq!(corrected_project(&output, &twice), None);
    }
}
