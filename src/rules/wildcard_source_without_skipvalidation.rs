//! UP210: `$source_table` in a function created without `skipvalidation=true`, or a
//! `SourceIsWildCard` that disagrees with its `Source`.

use super::{Context, PolicyView, Rule, RuleMeta, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::model::Database;
use crate::script::command::property;

pub struct WildcardSourceWithoutSkipvalidation;

static META: RuleMeta = RuleMeta {
    code: "UP210",
    name: "wildcard-source-without-skipvalidation",
    severity: Severity::Error,
    summary: "A function that uses `$source_table` was not created with skipvalidation=true, or SourceIsWildCard disagrees with the Source pattern.",
    doc: include_str!("../../rules/UP210-wildcard-source-without-skipvalidation.md"),
    sources: &[sources::UPDATE_POLICY, sources::CREATE_FUNCTION],
};

use crate::resolve::SOURCE_TABLE;

impl Rule for WildcardSourceWithoutSkipvalidation {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_database(&self) -> bool {
        true
    }

    /// The functions of the database that use `$source_table`.
    fn check_database(&self, context: &Context<'_>, database: &Database, out: &mut Vec<Diagnostic>) {
        let workspace = context.workspace;
        for (name, function) in &database.functions {
            let Some(definition) = function.effective() else { continue };
            if property(&definition.properties, "skipvalidation").and_then(|p| p.as_bool()) == Some(true) {
                continue;
            }
            let unit = workspace.unit(definition.unit);
            let Some(reference) = unit.query.analysis.references().find(|r| r.entity.name() == SOURCE_TABLE) else {
                continue;
            };
            out.push(
                META.diagnostic(
                    format!("function `{}.{name}` uses `$source_table` but is not created with skipvalidation=true", database.name),
                    Label::new(definition.location.file, definition.name_span, "created without skipvalidation=true"),
                )
                .with_label(Label::new(unit.file, unit.file_span(reference.span), "`$source_table` exists only while an update policy runs"))
                .with_note(META.cite("a function that refers to `$source_table` must be created with skipvalidation=true; it is validated when the update policy is set", sources::UPDATE_POLICY))
                .with_help(format!(".create-or-alter function with (skipvalidation=true) {} ...", super::bracketed(name))),
            );
        }
    }

    fn per_policy(&self) -> bool {
        true
    }

    /// An entry whose `SourceIsWildCard` disagrees with its Source.
    fn check_policy(&self, _context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        let Some((source, source_span)) = view.source() else { return };
        let pattern = source.contains('*');
        let flag = view.flag("SourceIsWildCard");
        let wildcard = flag.is_some_and(|f| f.value);
        if pattern == wildcard {
            return;
        }
        let diagnostic = if wildcard {
            META.diagnostic(
                format!(
                    "the update policy of `{}` sets SourceIsWildCard but its Source `{source}` has no `*`",
                    view.target()
                ),
                view.property_label("SourceIsWildCard", "true"),
            )
            .with_label(Label::new(view.entry.location.file, source_span, "no `*` in this Source"))
            .with_help("\"SourceIsWildCard\": false, or a Source pattern such as \"Raw*\"")
        } else {
            META.diagnostic(
                format!(
                    "the Source `{source}` of the update policy of `{}` is a pattern but SourceIsWildCard is not true",
                    view.target()
                ),
                Label::new(view.entry.location.file, source_span, "a wildcard pattern"),
            )
            .with_help("\"SourceIsWildCard\": true")
        };
        out.push(diagnostic.with_note(META.cite("`Source` is a wildcard pattern (such as \"Raw*\") exactly when `SourceIsWildCard` is true; otherwise it names one table", sources::UPDATE_POLICY)));
    }
}
