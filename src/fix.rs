//! `uplint check --fix`: the safe fixes of the diagnostics reported ([`crate::diagnostic::Fix`]: an [`Edit`] of the
//! diagnostic's file that changes nothing else the file means), made in the files on disk.
//!
//! A file is written only when it still holds, byte for byte, the text that was checked (a
//! UTF-8 byte order mark before it is kept): a file changed since it was read, or decoded from
//! UTF-16, is left as it is and named. `check --diff` prints the same fixes as a unified diff
//! instead ([`diff`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::diagnostic::{Diagnostic, Edit};
use crate::source::{FileId, SourceMap};

/// What [`write()`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Fixes made.
    pub fixes: usize,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// Files with fixes that were not written, and why.
    pub skipped: Vec<(PathBuf, String)>,
}

/// The edits of the fixes of `diagnostics`, per file, in the order of their places: of edits
/// that overlap (or insert at the same place), the first only; the same edit found twice, once.
pub fn plan<'a>(diagnostics: impl IntoIterator<Item = &'a Diagnostic>) -> BTreeMap<FileId, Vec<&'a Edit>> {
    let mut by_file: BTreeMap<FileId, Vec<&Edit>> = BTreeMap::new();
    for diagnostic in diagnostics {
        if let Some(fix) = &diagnostic.fix {
            by_file.entry(diagnostic.primary.file).or_default().push(&fix.edit);
        }
    }
    for edits in by_file.values_mut() {
        edits.sort_by_key(|edit| (edit.span.start, edit.span.end));
        let mut end: Option<u32> = None;
        edits.retain(|edit| {
            let span = edit.span;
            let apart = end.is_none_or(|end| span.start > end || (span.start == end && !span.is_empty()));
            if apart {
                end = Some(span.end);
            }
            apart
        });
    }
    by_file
}

/// `text` with `edits` (in order and apart, as [`plan`] gives them) made; `None` when one does
/// not fall on character boundaries of `text`.
pub fn apply(text: &str, edits: &[&Edit]) -> Option<String> {
    let mut fixed = String::with_capacity(text.len());
    let mut at = 0;
    for edit in edits {
        let range = edit.span.range();
        fixed.push_str(text.get(at..range.start)?);
        text.get(range.clone())?;
        fixed.push_str(&edit.text);
        at = range.end;
    }
    fixed.push_str(text.get(at..)?);
    Some(fixed)
}

/// The fixes of `diagnostics` as a unified diff of each file they change (`--- a/PATH`,
/// `+++ b/PATH`, three lines of context), in the order of the files; empty when there are none.
pub fn diff<'a>(sources: &SourceMap, diagnostics: impl IntoIterator<Item = &'a Diagnostic>) -> String {
    let mut out = String::new();
    for (file, fixes) in plan(diagnostics) {
        let source = sources.get(file);
        let Some(fixed) = apply(&source.text, &fixes) else { continue };
        let (old, new) = (format!("a/{}", source.display), format!("b/{}", source.display));
        let text_diff = similar::TextDiff::from_lines(source.text.as_str(), fixed.as_str());
        out.push_str(&text_diff.unified_diff().context_radius(3).header(&old, &new).to_string());
    }
    out
}

/// Makes the fixes of `diagnostics` in their files on disk (see the module).
pub fn write<'a>(sources: &SourceMap, diagnostics: impl IntoIterator<Item = &'a Diagnostic>) -> Applied {
    const BOM: &[u8] = "\u{FEFF}".as_bytes();
    let mut applied = Applied::default();
    for (file, fixes) in plan(diagnostics) {
        let source = sources.get(file);
        let skip = |why: &str| (source.path.clone(), why.to_string());
        let Ok(on_disk) = std::fs::read(&source.path) else {
            applied.skipped.push(skip("it could not be read again"));
            continue;
        };
        let bom = if on_disk.starts_with(BOM) { BOM } else { &[][..] };
        if on_disk[bom.len()..] != *source.text.as_bytes() {
            applied.skipped.push(skip("it changed since it was checked, or is not UTF-8"));
            continue;
        }
        let Some(fixed) = apply(&source.text, &fixes) else {
            applied.skipped.push(skip("a fix does not fall on its characters"));
            continue;
        };
        let bytes = [bom, fixed.as_bytes()].concat();
        match std::fs::write(&source.path, bytes) {
            Ok(()) => {
                applied.fixes += fixes.len();
                applied.files.push(source.path.clone());
            }
            Err(e) => applied.skipped.push(skip(&format!("it could not be written: {e}"))),
        }
    }
    applied
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Label, SYNTAX_ERROR, Severity};
    use crate::span::Span;

    fn fixed(file: u32, start: usize, end: usize, replacement: &str) -> Diagnostic {
        Diagnostic::new(SYNTAX_ERROR, Severity::Info, "m", Label::new(FileId(file), Span::new(start, end), ""))
            .with_fix("t", Span::new(start, end), replacement)
    }

    #[test]
    fn fixes_are_made_in_order_once_and_apart() {
        let text = "a \"True\" b \"False\" c";
        let diagnostics = [
            fixed(0, 11, 18, "false"),
            fixed(0, 2, 8, "true"),
            fixed(0, 2, 8, "true"),
            // Overlaps the first fix of the file: left out.
            fixed(0, 4, 12, "x"),
            // Two insertions at one place: the first only.
            fixed(0, 20, 20, "!"),
            fixed(0, 20, 20, "?"),
            fixed(1, 0, 1, "z"),
        ];
        let plan = plan(&diagnostics);
        assert_eq!(plan.len(), 2);
        let edits = &plan[&FileId(0)];
        assert_eq!(edits.len(), 3, "{edits:?}");
        assert_eq!(apply(text, edits).unwrap(), "a true b false c!");
        // An edit inside a character is not made.
        assert_eq!(apply("é", &[&Edit { span: Span::new(1, 2), text: "x".into() }]), None);
    }

    #[test]
    fn fixes_show_as_a_unified_diff_of_each_file() {
        let mut sources = SourceMap::default();
        let text = "one\n\"True\"\nthree\n";
        let file = sources.add(crate::source::SourceFile::new("p.kql".into(), "dir/p.kql".into(), text.into()));
        let diagnostics = [fixed(file.0, 4, 10, "true")];
        let expected = "--- a/dir/p.kql\n+++ b/dir/p.kql\n@@ -1,3 +1,3 @@\n one\n-\"True\"\n+true\n three\n";
        assert_eq!(diff(&sources, &diagnostics), expected);
        assert_eq!(diff(&sources, &[]), "");
    }
}
