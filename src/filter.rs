//! The filter stage of `uplint check`, after the rules and before rendering: `[rules]`
//! (`select`, `ignore`, severities) and `[per-file-ignores]` of the configuration. Renderers
//! never know it ran.

use crate::config::RuleSelection;
use crate::diagnostic::Held;
use crate::source::SourceMap;

/// The diagnostics `selection` keeps, with the severities it sets.
pub fn apply<D: Held>(selection: &RuleSelection, sources: &SourceMap, diagnostics: Vec<D>) -> Vec<D> {
    diagnostics
        .into_iter()
        .filter_map(|mut held| {
            let diagnostic = held.as_ref();
            let code = diagnostic.code;
            let selected = selection.select.as_ref().is_none_or(|s| s.iter().any(|s| s.matches(code)));
            if !selected || selection.ignore.iter().any(|s| s.matches(code)) {
                return None;
            }
            // The last severity written for a code wins.
            let path = &sources.get(diagnostic.primary.file).path;
            let ignored = selection
                .per_file_ignores
                .iter()
                .any(|(globs, selectors)| globs.matches_or_inside(path) && selectors.iter().any(|s| s.matches(code)));
            if ignored {
                return None;
            }
            if let Some((_, severity)) = selection.severities.iter().rev().find(|(c, _)| *c == code) {
                let severity = (*severity)?;
                if held.as_ref().severity != severity {
                    held.to_mut().severity = severity;
                }
            }
            Some(held)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Overrides, parse};
    use crate::diagnostic::{Diagnostic, Label, SYNTAX_ERROR, Severity, UNREADABLE_FILE};
    use crate::source::{SourceFile, SourceMap};
    use crate::span::Span;
    use std::path::{Path, PathBuf};

    fn kept(config: &str) -> Vec<(&'static str, Severity, String)> {
        let root = Path::new("/repo");
        let file = parse(config).unwrap();
        let config = Config::from_file(file, None, root, config, &Overrides::default()).unwrap();
        let mut sources = SourceMap::default();
        let a = sources.add(SourceFile::new(PathBuf::from("/repo/a.kql"), "a.kql".into(), String::new()));
        let old = sources.add(SourceFile::new(PathBuf::from("/repo/legacy/x/old.kql"), "old".into(), String::new()));
        let up005 = crate::rules::find_code("UP005").unwrap();
        let diagnostics = vec![
            Diagnostic::syntax_error(a, Span::empty(0), "a"),
            Diagnostic::syntax_error(old, Span::empty(0), "old"),
            Diagnostic::new(UNREADABLE_FILE, Severity::Error, "x", Label::new(old, Span::empty(0), "")),
            up005.diagnostic("system", Label::new(a, Span::empty(0), "")),
        ];
        apply(&config.rules, &sources, diagnostics)
            .into_iter()
            .map(|d| (d.code.code, d.severity, sources.get(d.primary.file).display.clone()))
            .collect()
    }

    #[test]
    fn select_ignore_severities_and_per_file_ignores() {
        assert_eq!(kept("").len(), 4);
        let codes = |config: &str| kept(config).into_iter().map(|(c, _, _)| c).collect::<Vec<_>>();
        assert_eq!(codes("[rules]\nselect = [\"UP9\"]"), ["UP901", "UP901", "UP902"]);
        assert_eq!(codes("[rules]\nselect = [\"UP9\"]\nignore = [\"unreadable-file\"]"), ["UP901", "UP901"]);
        assert_eq!(codes("[rules]\nsyntax-error = \"off\""), ["UP902", "UP005"]);
        assert_eq!(codes("[per-file-ignores]\n\"legacy/**\" = [\"UP9\"]"), ["UP901", "UP005"]);
        assert_eq!(codes("[per-file-ignores]\n\"old.kql\" = [\"ALL\"]"), ["UP901", "UP005"]);
        let severities = kept("[rules]\nUP005 = \"error\"\nUP901 = \"info\"");
        assert_eq!(severities[0].1, Severity::Info);
        assert_eq!(severities[3], ("UP005", Severity::Error, "a.kql".to_string()));
        assert_eq!(SYNTAX_ERROR.code, severities[0].0);
    }
}
