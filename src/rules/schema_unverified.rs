//! UP305: an enabled update policy entry whose reads are all known, but whose output could not
//! be compared with its target table in full (what the summary counts as "with schema
//! unverified"), and why: its table's columns are not known, its output's columns are not all
//! known (what it reads or runs that leaves them open), or a column's type is not inferred.

use super::query_schema_mismatch::ordinal;
use super::{Context, PolicyView, Rule, RuleMeta, chain_labels, sources, step_labels};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::kql::types::{TYPED_PLUGINS, TableType};
use crate::resolve::{AccessKind, EffectKind};
use crate::typecheck::{self, Verdict};

pub struct SchemaUnverified;

static META: RuleMeta = RuleMeta {
    code: "UP305",
    name: "schema-unverified",
    severity: Severity::Info,
    summary: "An update policy's output could not be compared with its target table in full: the table's columns, the output's columns or a column's type are not known.",
    doc: include_str!("../../rules/UP305-schema-unverified.md"),
    sources: &[sources::UPDATE_POLICY, sources::CREATE_MERGE_TABLE, sources::BAG_UNPACK_PLUGIN],
};

/// The plugins whose output columns the documentation says depend on the data.
const DATA_DEPENDENT_PLUGINS: &[&str] = &["bag_unpack", "pivot"];

impl Rule for SchemaUnverified {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_policy(&self) -> bool {
        true
    }

    fn check_policy(&self, context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        // Exactly the entries the summary counts as "with schema unverified": an entry with
        // unresolved reads is UP007's (and counted apart).
        let Some(unit) = view.unit else { return };
        if view.is_disabled() || !view.reads_complete {
            return;
        }
        let (output, target) = (context.outputs.output(unit), context.outputs.target(unit));
        if typecheck::verdict(output, target) != Verdict::Unknown {
            return;
        }
        let primary = view.primary(format!("not compared with `{}`", view.table));
        let mut diagnostic = match (output, target) {
            (_, None) => unknown_target(view, primary),
            (_, Some(target)) if target.open => unknown_target(view, primary),
            (None, _) => not_compared(view, ": its query could not be typed", primary),
            (Some(output), Some(target)) => match unknown_read(context, view, &primary) {
                Some(diagnostic) => diagnostic,
                None if output.open => open_output(view, primary),
                None => untyped_column(context, view, output, target, primary),
            },
        };
        diagnostic = diagnostic.with_note(META.cite(
            "uplint compares an update policy's output with its table (UP301, UP302) only where it knows every column and its type; the summary counts this entry \"with schema unverified\"",
            sources::UPDATE_POLICY,
        ));
        out.push(diagnostic);
    }
}

/// The finding: the entry's output is not compared with its table, and `why`.
fn not_compared(view: &PolicyView<'_>, why: &str, primary: Label) -> Diagnostic {
    META.diagnostic(
        format!("the output of the update policy of `{}` is not compared with its table{why}", view.target()),
        primary,
    )
}

/// The target table's columns are not known.
fn unknown_target(view: &PolicyView<'_>, primary: Label) -> Diagnostic {
    let table = view.database.tables.get(view.table);
    let created = table.is_some_and(|t| !t.definitions.is_empty());
    let made_by_query = table.is_some_and(|t| t.definitions.iter().any(|d| d.query.is_some()));
    let why = if made_by_query {
        format!("`{}` is made by `.set ... <| query`, whose output columns are not all known", view.table)
    } else if created {
        format!("the columns of `{}` are not known", view.table)
    } else {
        format!("the scripts do not create `{}` (only its policy is set), so its columns are not known", view.table)
    };
    let diagnostic = not_compared(view, &format!(": {why}"), primary);
    let made_by = table.and_then(|t| t.definitions.iter().rev().find(|d| d.query.is_some()));
    if let Some(definition) = made_by {
        let label = format!("`{}` is filled here by a query whose output columns are not all known", view.table);
        diagnostic.with_label(Label::new(definition.location.file, definition.name_span, label))
    } else if let Some(definition) = table.and_then(|t| t.definitions.last()) {
        let label = format!("`{}` is defined here, with no known columns", view.table);
        diagnostic.with_label(Label::new(definition.location.file, definition.name_span, label))
    } else {
        diagnostic.with_help(format!(
            "create the table in the scripts, with its columns: `.create-merge table {} (...)`",
            super::bracketed(view.table)
        ))
    }
}

/// The output's columns or their types are not all known, and the entry reads a table whose
/// columns are not all known (the likeliest cause: reading it gives columns of no known type,
/// or an open row).
fn unknown_read(context: &Context<'_>, view: &PolicyView<'_>, primary: &Label) -> Option<Diagnostic> {
    let model = &context.workspace.model;
    let tables = view.distinct_reads(AccessKind::Table).chain(view.distinct_reads(AccessKind::TablePattern));
    for access in tables {
        // `$source_table`: the tables a wildcard Source matches, in a function made for it.
        let source_tables = access.name.starts_with('$');
        if source_tables && wildcard_source_known(context, view) {
            continue;
        }
        let why = if source_tables {
            format!(
                "it reads `{}`, the tables its Source matches, whose columns uplint does not put together",
                access.name
            )
        } else if access.kind == AccessKind::TablePattern {
            format!("it reads the tables that `{}` matches, whose columns uplint does not put together", access.name)
        } else {
            // A table the model lacks is the entry's Source (which ADX checks exists when the
            // policy is set), else the read would be unresolved (UP007).
            match view.read_table(model, access) {
                Some(table) if typecheck::table_schema(context.workspace, table).is_some_and(|s| !s.open) => continue,
                Some(table) if !table.definitions.is_empty() => {
                    format!("it reads `{}`, whose columns are not all known", access.name)
                }
                _ => {
                    format!("it reads `{}`, which the scripts do not create, so its columns are not known", access.name)
                }
            }
        };
        let mut diagnostic = not_compared(view, &format!(": {why}"), primary.clone());
        diagnostic.labels.extend(chain_labels(access, &format!("reads `{}` here", access.name), primary));
        let created = view.read_table(model, access).is_some_and(|t| !t.definitions.is_empty());
        if access.kind == AccessKind::Table && !created && !source_tables {
            diagnostic = diagnostic.with_help(format!(
                "create `{}` in the scripts, with its columns: `.create-merge table {} (...)`",
                access.name,
                super::bracketed(&access.name)
            ));
        }
        return Some(diagnostic);
    }
    None
}

/// True when the tables a wildcard Source matches all have the same known columns (then
/// `$source_table` has them, and is no reason).
fn wildcard_source_known(context: &Context<'_>, view: &PolicyView<'_>) -> bool {
    let Some((pattern, _)) = view.source() else { return false };
    let schema = |table: &crate::model::Table| typecheck::table_schema(context.workspace, table);
    typecheck::wildcard_source_schema(view.database, pattern, schema).is_some_and(|schema| !schema.open)
}

/// The output's columns are not all known (and what it reads is): the plugin it runs whose
/// output is not inferred, if any.
fn open_output(view: &PolicyView<'_>, primary: Label) -> Diagnostic {
    for effect in view.effects {
        let EffectKind::Plugin(plugin) = &effect.kind else { continue };
        let name = plugin.to_ascii_lowercase();
        if effect.output_declared || TYPED_PLUGINS.contains(&name.as_str()) {
            continue;
        }
        let why = if DATA_DEPENDENT_PLUGINS.contains(&name.as_str()) {
            format!("it runs the `{plugin}` plugin, whose output columns depend on the data")
        } else {
            format!("it runs the `{plugin}` plugin, whose output columns uplint does not infer")
        };
        let mut diagnostic = not_compared(view, &format!(": {why}"), primary.clone());
        diagnostic.labels.extend(step_labels(&effect.chain, &format!("runs `{plugin}` here"), &primary));
        if DATA_DEPENDENT_PLUGINS.contains(&name.as_str()) {
            diagnostic = diagnostic
                .with_note(META.cite(
                    "without an output schema, the plugin's output columns vary with the input data",
                    sources::BAG_UNPACK_PLUGIN,
                ))
                .with_help(format!(
                    "declare the plugin's output where it runs: `evaluate {plugin}(...) : (Column:type, ...)`"
                ));
        }
        return diagnostic;
    }
    let why = ": its output's columns are not all known (an operator or function on the way has an output uplint does not infer)";
    not_compared(view, why, primary)
}

/// Both column lists are known and agree where both types are: a type is not known.
fn untyped_column(
    context: &Context<'_>,
    view: &PolicyView<'_>,
    output: &TableType,
    target: &TableType,
    primary: Label,
) -> Diagnostic {
    let position = output.columns.iter().zip(&target.columns).position(|(o, t)| o.ty.is_none() || t.ty.is_none());
    let Some(i) = position else {
        return not_compared(view, " in full", primary);
    };
    let (o, t) = (&output.columns[i], &target.columns[i]);
    if o.ty.is_some() {
        let why = format!(
            " in full: the type of the table's {} column, `{}`, is not one uplint knows",
            ordinal(i + 1),
            t.name
        );
        return not_compared(view, &why, primary);
    }
    let why = format!(" in full: the type of the query's {} column, `{}`, is not inferred", ordinal(i + 1), o.name);
    let mut diagnostic = not_compared(view, &why, primary);
    let made = o.origin.and_then(|origin| typecheck::origin_location(context.workspace, origin));
    if let Some(location) = made {
        diagnostic =
            diagnostic.with_label(Label::new(location.file, location.span, format!("`{}` is made here", o.name)));
    }
    match t.ty {
        Some(ty) => diagnostic.with_help(format!(
            "give the column the table's type where it is made: `{} = {}(...)`",
            super::bracketed(&o.name),
            super::query_schema_mismatch::conversion(ty)
        )),
        None => diagnostic,
    }
}
