//! `uplint check`: everything that is wrong with a project, in a stable order.

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
    diagnostics.extend(rules::run(workspace, &resolution, settings));
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
