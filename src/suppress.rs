//! Suppression comments: `// uplint: allow(CODES) reason` on the line before a command (or
//! before a policy entry inside a payload written over several lines) silences `CODES` for that
//! command or entry; `// uplint: allow-file(CODES) reason` silences them in the whole file.
//! A suppression that silences nothing is reported (`UP903`), and so is a malformed one or one
//! that names an unknown code (`UP904`).
//!
//! This stage runs after the rules and before rendering; it reads comments (lines whose first
//! non-blank characters are `//`) and the spans of commands and policy entries, nothing else.

use crate::diagnostic::{CodeInfo, Diagnostic, Held, INVALID_SUPPRESSION, Label, Severity, UNUSED_SUPPRESSION};
use crate::script::{CommandKind, Item};
use crate::source::{FileId, SourceFile};
use crate::span::Span;
use crate::workspace::Workspace;

/// Settings of suppressions (from configuration).
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// A suppression without a reason is invalid (`UP904`).
    pub require_reason: bool,
}

/// What a suppression covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    File,
    /// A command or a policy entry.
    Range(Span),
    /// Nothing follows the comment: it can silence nothing.
    Nothing,
}

/// One valid suppression comment.
#[derive(Debug)]
struct Suppression {
    file: FileId,
    scope: Scope,
    /// The codes named, each with where it is written and whether it silenced something.
    codes: Vec<(&'static str, Span, bool)>,
    file_wide: bool,
}

/// A `// uplint:` comment as written.
#[derive(Debug, PartialEq, Eq)]
pub struct Parsed<'a> {
    pub file_wide: bool,
    /// Each name or code written, with its byte range in the comment.
    pub codes: Vec<(&'a str, std::ops::Range<usize>)>,
    pub reason: &'a str,
}

/// Parses the text after `//` of a comment that starts with `uplint:`: `None` when the comment
/// is not for uplint, `Some(Err(why))` when it is malformed.
pub fn parse_comment(comment: &str) -> Option<Result<Parsed<'_>, String>> {
    let body_start = comment.len() - comment.trim_start().len();
    let body = &comment[body_start..];
    let rest = body.strip_prefix("uplint:")?;
    let after_prefix = body_start + "uplint:".len();
    let directive_start = after_prefix + (rest.len() - rest.trim_start().len());
    let directive = &comment[directive_start..];
    let (file_wide, open) = if let Some(r) = directive.strip_prefix("allow-file") {
        (true, r)
    } else if let Some(r) = directive.strip_prefix("allow") {
        (false, r)
    } else {
        let word: String = directive.chars().take_while(|c| !c.is_whitespace() && *c != '(').collect();
        return Some(Err(format!("unknown directive `{word}`: use `allow(CODES)` or `allow-file(CODES)`")));
    };
    let Some(list) = open.strip_prefix('(') else {
        return Some(Err("expected `(` and a list of codes after the directive".to_string()));
    };
    let Some(close) = list.find(')') else { return Some(Err("the list of codes has no closing `)`".to_string())) };
    let list_start = comment.len() - list.len();
    let mut codes = Vec::new();
    let mut offset = 0;
    for part in list[..close].split(',') {
        let trimmed = part.trim();
        if !trimmed.is_empty() {
            let start = list_start + offset + (part.len() - part.trim_start().len());
            codes.push((trimmed, start..start + trimmed.len()));
        }
        offset += part.len() + 1;
    }
    if codes.is_empty() {
        return Some(Err("the list of codes is empty".to_string()));
    }
    Some(Ok(Parsed { file_wide, codes, reason: list[close + 1..].trim() }))
}

/// The byte ranges of the lines of `file` that are comments, with the offset of the text after
/// `//`.
fn comment_lines(file: &SourceFile) -> Vec<(std::ops::Range<usize>, usize)> {
    let mut lines = Vec::new();
    let mut line = 0;
    while let Some(range) = file.line_range(line) {
        let text = &file.text[range.clone()];
        let indent = text.len() - text.trim_start().len();
        if text[indent..].starts_with("//") {
            lines.push((range.start + indent..range.end, range.start + indent + 2));
        }
        line += 1;
    }
    lines
}

/// The starts of commands and policy entries of a file: what a suppression can cover.
fn anchors(workspace: &Workspace, file: FileId) -> Vec<Span> {
    let mut anchors = Vec::new();
    let Some((_, script)) = workspace.scripts.iter().find(|(id, _)| *id == file) else { return anchors };
    for item in &script.items {
        if let Some((span, _)) = script.command_of(item) {
            anchors.push(span);
        }
        let Item::Command { command, .. } = item else { continue };
        if let CommandKind::UpdatePolicy { payload: Some(payload), .. } = &command.kind {
            anchors.extend(payload.entries().iter().map(|entry| entry.span));
        }
    }
    anchors
}

/// What the comment ending at `comment_end` covers: the command or entry that starts on the
/// next line that is neither blank nor a comment (the first to start there, the widest on a tie).
fn scope_after(file: &SourceFile, comment_end: usize, anchors: &[Span]) -> Scope {
    let mut line = file.line_index(comment_end) + 1;
    while let Some(range) = file.line_range(line) {
        let text = &file.text[range.clone()];
        let trimmed = text.trim_start();
        if trimmed.is_empty() || trimmed.starts_with("//") {
            line += 1;
            continue;
        }
        let start = range.start + (text.len() - trimmed.len());
        return anchors
            .iter()
            .filter(|a| (a.start as usize) >= start && (a.start as usize) < range.end.max(start + 1))
            .min_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)))
            .map_or(Scope::Nothing, |a| Scope::Range(*a));
    }
    Scope::Nothing
}

fn span(range: std::ops::Range<usize>) -> Span {
    Span::new(range.start, range.end)
}

/// Removes the diagnostics that suppression comments silence and adds `UP903`/`UP904` for the
/// comments themselves. `codes` are the codes that may be named. The result is in the order
/// of `diagnostics`, with the new diagnostics placed by path and position.
pub fn apply<D: Held>(workspace: &Workspace, diagnostics: Vec<D>, codes: &[CodeInfo], options: Options) -> Vec<D> {
    let mut suppressions: Vec<Suppression> = Vec::new();
    let mut problems: Vec<Diagnostic> = Vec::new();
    for (file_id, file) in workspace.sources.files() {
        // Most files hold no suppression: skip them without splitting them into lines.
        if !file.text.contains("uplint:") {
            continue;
        }
        let comments = comment_lines(file);
        if !comments.iter().any(|(range, _)| file.text[range.clone()].contains("uplint:")) {
            continue;
        }
        let anchors = anchors(workspace, file_id);
        for (range, body_start) in comments {
            let comment = &file.text[body_start..range.end];
            let Some(parsed) = parse_comment(comment) else { continue };
            let invalid = |message: String, at: std::ops::Range<usize>| {
                Diagnostic::new(
                    INVALID_SUPPRESSION,
                    Severity::Warning,
                    message,
                    Label::new(file_id, span(at), "this suppression silences nothing"),
                )
                .with_note("the forms are `// uplint: allow(CODES) reason` and `// uplint: allow-file(CODES) reason`")
            };
            let parsed = match parsed {
                Ok(parsed) => parsed,
                Err(why) => {
                    problems.push(invalid(format!("malformed suppression: {why}"), range.clone()));
                    continue;
                }
            };
            let mut known = Vec::new();
            let mut bad = false;
            for (written, at) in &parsed.codes {
                let at = body_start + at.start..body_start + at.end;
                match codes
                    .iter()
                    .find(|c| c.code.eq_ignore_ascii_case(written) || c.name.eq_ignore_ascii_case(written))
                {
                    Some(code) => known.push((code.code, span(at), false)),
                    None => {
                        problems.push(
                            invalid(format!("unknown code `{written}` in a suppression"), at)
                                .with_help("`uplint rule --all` lists the codes"),
                        );
                        bad = true;
                    }
                }
            }
            if options.require_reason && parsed.reason.is_empty() {
                problems.push(invalid(
                    "this suppression gives no reason, and the configuration requires one".to_string(),
                    range.clone(),
                ));
                continue;
            }
            if bad && known.is_empty() {
                continue;
            }
            let scope = if parsed.file_wide { Scope::File } else { scope_after(file, range.end, &anchors) };
            suppressions.push(Suppression { file: file_id, scope, codes: known, file_wide: parsed.file_wide });
        }
    }
    let mut kept = Vec::with_capacity(diagnostics.len());
    'diagnostics: for held in diagnostics {
        let diagnostic = held.as_ref();
        for suppression in &mut suppressions {
            if suppression.file != diagnostic.primary.file {
                continue;
            }
            let covered = match suppression.scope {
                Scope::File => true,
                Scope::Range(range) => {
                    range.start <= diagnostic.primary.span.start
                        && diagnostic.primary.span.start < range.end.max(range.start + 1)
                }
                Scope::Nothing => false,
            };
            if !covered {
                continue;
            }
            if let Some(code) = suppression.codes.iter_mut().find(|(code, _, _)| *code == diagnostic.code.code) {
                code.2 = true;
                continue 'diagnostics;
            }
        }
        kept.push(held);
    }
    for suppression in &suppressions {
        for (code, at, used) in &suppression.codes {
            if *used {
                continue;
            }
            let place = match (suppression.file_wide, suppression.scope) {
                (true, _) => "in this file",
                (false, Scope::Nothing) => "here: no command or policy entry follows the comment",
                (false, _) => "on the command or policy entry below",
            };
            problems.push(
                Diagnostic::new(
                    UNUSED_SUPPRESSION,
                    Severity::Warning,
                    format!("the suppression of `{code}` silenced nothing {place}"),
                    Label::new(suppression.file, *at, "unused"),
                )
                .with_help("remove it, or move it to the line before the command it is meant for"),
            );
        }
    }
    if problems.is_empty() {
        return kept;
    }
    kept.extend(problems.into_iter().map(D::from));
    let sources = &workspace.sources;
    kept.sort_by(|a, b| {
        let (a, b) = (a.as_ref(), b.as_ref());
        sources
            .get(a.primary.file)
            .display
            .cmp(&sources.get(b.primary.file).display)
            .then(a.primary.span.start.cmp(&b.primary.span.start))
            .then(a.code.code.cmp(b.code.code))
            .then(a.message.cmp(&b.message))
    });
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_parsed_with_codes_and_reason() {
        let parsed = parse_comment(" uplint: allow(UP004, missing-viewer-grant ) granted by hand").unwrap().unwrap();
        assert!(!parsed.file_wide);
        assert_eq!(parsed.codes.iter().map(|(c, _)| *c).collect::<Vec<_>>(), ["UP004", "missing-viewer-grant"]);
        let comment = " uplint: allow(UP004, missing-viewer-grant ) granted by hand";
        for (code, range) in &parsed.codes {
            assert_eq!(&comment[range.clone()], *code);
        }
        assert_eq!(parsed.reason, "granted by hand");
        let file = parse_comment("uplint: allow-file(UP208)").unwrap().unwrap();
        assert!(file.file_wide);
        assert_eq!(file.reason, "");
    }

    #[test]
    fn other_comments_are_left_alone_and_malformed_ones_explained() {
        assert_eq!(parse_comment(" a comment about uplint: allow(UP004)"), None);
        assert_eq!(parse_comment(" plain"), None);
        for bad in ["uplint: deny(UP001)", "uplint: allow UP001", "uplint: allow(UP001", "uplint: allow( , )"] {
            assert!(matches!(parse_comment(bad), Some(Err(_))), "{bad}");
        }
    }
}
