//! The filter stage of `uplint check`, after the rules and before rendering: `[rules]`
//! (`select`, `ignore`, severities) and `[per-file-ignores]` of the configuration. Renderers
//! never know it ran.

use crate::config::RuleSelection;
use crate::diagnostic::Diagnostic;
use crate::source::SourceMap;

/// The diagnostics `selection` keeps, with the severities it sets.
pub fn apply(selection: &RuleSelection, sources: &SourceMap, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics
        .into_iter()
        .filter_map(|mut diagnostic| {
            let code = diagnostic.code;
            let selected = selection.select.as_ref().is_none_or(|s| s.iter().any(|s| s.matches(code)));
            if !selected || selection.ignore.iter().any(|s| s.matches(code)) {
                return None;
            }
            // The last severity written for a code wins.
            if let Some((_, severity)) = selection.severities.iter().rev().find(|(c, _)| *c == code) {
                diagnostic.severity = (*severity)?;
            }
            let path = &sources.get(diagnostic.primary.file).path;
            let ignored = selection
                .per_file_ignores
                .iter()
                .any(|(globs, selectors)| globs.matches_or_inside(path) && selectors.iter().any(|s| s.matches(code)));
            (!ignored).then_some(diagnostic)
        })
        .collect()
}
