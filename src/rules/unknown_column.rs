//! UP303: a policy's query (or a function it calls) reads a column that the table it reads at
//! that point does not have, where that table's columns are all known.

use super::{Context, Rule, RuleMeta, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};

pub struct UnknownColumn;

static META: RuleMeta = RuleMeta {
    code: "UP303",
    name: "unknown-column",
    severity: Severity::Error,
    summary: "An update policy's query, or a function it calls, reads a column that does not exist at that point.",
    doc: include_str!("../../rules/UP303-unknown-column.md"),
    sources: &[sources::UPDATE_POLICY, sources::CREATE_OR_ALTER_FUNCTION],
};

impl Rule for UnknownColumn {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for unknown in &context.outputs.unknown_columns {
            let Some(view) = context.policies.iter().find(|v| v.unit == Some(unknown.policy)) else { continue };
            if view.is_disabled() {
                continue;
            }
            let similar = unknown.available.iter().find(|a| a.eq_ignore_ascii_case(&unknown.name));
            let mut diagnostic = META
                .diagnostic(
                    format!(
                        "`{}` is not a column here: the update policy of `{}` reads it",
                        unknown.name,
                        view.target()
                    ),
                    Label::new(unknown.location.file, unknown.location.span, format!("no column `{}`", unknown.name)),
                )
                .with_label(view.primary("the policy's query reaches it".to_string()));
            let shown: Vec<&str> = unknown.available.iter().take(12).map(String::as_str).collect();
            let more = if unknown.available.len() > shown.len() { ", ..." } else { "" };
            diagnostic = diagnostic
                .with_note(format!("the columns at that point: {}{more}", shown.join(", ")))
                .with_note(META.cite(
                    "ADX rejects a function or an update policy whose query reads a column its input does not have",
                    sources::UPDATE_POLICY,
                ));
            if let Some(similar) = similar {
                diagnostic =
                    diagnostic.with_help(format!("did you mean `{similar}`? (column names are case-sensitive)"));
            }
            out.push(diagnostic);
        }
    }
}
