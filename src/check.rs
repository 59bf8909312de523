//! `uplint check`: everything that is wrong with a project, in a stable order.

use crate::context::{FALLBACK_DATABASE, Reason};
use crate::diagnostic::Diagnostic;
use crate::resolve;
use crate::rules::{self, Settings};
use crate::workspace::Workspace;

/// Every diagnostic of a workspace: files that could not be read, commands and queries that do
/// not parse, and every rule's findings, sorted by path, then position, then code.
pub fn check(workspace: &Workspace, settings: &Settings) -> Vec<Diagnostic> {
    let mut diagnostics = workspace.diagnostics.clone();
    for unit in &workspace.units {
        diagnostics.extend(unit.diagnostics());
    }
    let resolution = resolve::resolve(workspace);
    let mut found = rules::run(workspace, &resolution, settings);
    for diagnostic in &mut found {
        explain_default_database(workspace, diagnostic);
    }
    diagnostics.extend(found);
    diagnostics.sort_by(|a, b| {
        let path = |d: &Diagnostic| &workspace.sources.get(d.primary.file).display;
        path(a)
            .cmp(path(b))
            .then(a.primary.span.start.cmp(&b.primary.span.start))
            .then(a.code.code.cmp(b.code.code))
            .then(a.message.cmp(&b.message))
    });
    diagnostics
}

/// A finding in a file that nothing maps to a database says how to map it: its commands ran
/// against `default`, which is rarely what the project means.
fn explain_default_database(workspace: &Workspace, diagnostic: &mut Diagnostic) {
    let file = diagnostic.primary.file;
    let Some(context) = workspace.context(file) else { return };
    if context.database_reason != Reason::Default {
        return;
    }
    let path = &workspace.sources.get(file).display;
    diagnostic.notes.push(format!(
        "`{path}` names no database (no `#connect`, no `[[databases]]` entry in uplint.toml, no folder named \
         after a database), so its commands run against database `{FALLBACK_DATABASE}`; map it with \
         `#connect cluster('<cluster>').database('<database>')` at its top or a `[[databases]]` entry \
         with `name` and `paths` in uplint.toml"
    ));
}
