//! Renderers: reports to text for people (codespan-reporting) and to the formats tools read.
//! They know the shape of reports, diagnostics and the codes' metadata, never how diagnostics
//! were found. `uplint check` output has one file per format; `refs` and `model` have theirs.

pub mod checkstyle;
pub mod concise;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod json_lines;
pub mod junit;
pub mod model;
pub mod refs;
pub mod sarif;
pub mod schema;
pub mod snippet;
pub mod terminal;

use std::collections::HashMap;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::term::{self, termcolor::WriteColor};
use serde::Serialize;

use crate::check::PolicyCounts;
use crate::diagnostic::{CodeInfo, Diagnostic, Severity};
use crate::source::{FileId, Position, SourceMap};
use crate::span::Span;

/// The output formats of `uplint check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Diagnostics with their source, then a summary.
    Human,
    /// `path:line:col: severity[CODE] message`, one line each.
    Concise,
    /// One JSON document (`docs/report.schema.json`).
    Json,
    /// One JSON diagnostic per line.
    JsonLines,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// GitLab Code Quality report.
    Gitlab,
    /// JUnit XML.
    Junit,
    /// Checkstyle XML.
    Checkstyle,
}

/// Everything a `check` renderer gets: the files, the diagnostics in order, and the metadata of
/// every code uplint reports.
pub struct Report<'a> {
    pub sources: &'a SourceMap,
    pub diagnostics: &'a [Diagnostic],
    pub codes: &'a [CodeInfo],
    /// How many files were checked.
    pub files: usize,
    /// How many update policy entries were checked, fully or with unresolved parts.
    pub policies: PolicyCounts,
}

/// The diagnostics of a report as a list serialized one element at a time, each made by the
/// function from a diagnostic and its fingerprint as it is written (a report of tens of
/// thousands of diagnostics is not held a second time as values to serialize).
pub(crate) struct EachDiagnostic<'a, F>(pub &'a Report<'a>, pub F);

impl<'a, F, T> serde::Serialize for EachDiagnostic<'a, F>
where
    F: Fn(&'a Diagnostic, String) -> T,
    T: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let report = self.0;
        let mut list = serializer.serialize_seq(Some(report.diagnostics.len()))?;
        for (d, fingerprint) in report.diagnostics.iter().zip(report.fingerprint_each()) {
            list.serialize_element(&(self.1)(d, fingerprint))?;
        }
        list.end()
    }
}

impl Report<'_> {
    /// The path of a file as shown in output.
    pub fn path(&self, file: FileId) -> &str {
        &self.sources.get(file).display
    }

    /// The 1-based start and end of a span.
    pub fn positions(&self, file: FileId, span: Span) -> (Position, Position) {
        let file = self.sources.get(file);
        (file.position(span.start as usize), file.position(span.end as usize))
    }

    pub fn code(&self, code: &str) -> Option<&CodeInfo> {
        self.codes.iter().find(|c| c.code == code)
    }

    pub fn summary(&self) -> Summary {
        let count = |s| self.diagnostics.iter().filter(|d| d.severity == s).count();
        Summary {
            files: self.files,
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            policies: self.policies,
        }
    }

    /// A fingerprint of every diagnostic, in order, that does not change when lines move: it
    /// hashes the code, the path, the message and the text under the primary label (blanks
    /// collapsed), and numbers diagnostics that agree on all of these.
    pub fn fingerprints(&self) -> Vec<String> {
        self.fingerprint_each().collect()
    }

    /// [`Report::fingerprints`], each made when it is asked for.
    pub fn fingerprint_each(&self) -> impl Iterator<Item = String> + '_ {
        let mut seen: HashMap<u64, u32> = HashMap::new();
        self.diagnostics.iter().map(move |d| {
            let file = self.sources.get(d.primary.file);
            let under = file.text.get(d.primary.span.range()).unwrap_or_default();
            let under: Vec<&str> = under.split_whitespace().collect();
            let key = stable_hash(&[d.code.code, &file.display, &d.message, &under.join(" ")]);
            let n = seen.entry(key).or_insert(0);
            *n += 1;
            format!("{:016x}:{}", key, n)
        })
    }
}

/// How many diagnostics of each severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Update policy entries in effect and enabled: all, those whose reads were all resolved,
    /// those that read something the project does not describe.
    pub policies: PolicyCounts,
}

/// [`write()`], the human format's diagnostics rendered on the threads of `pool` (the same
/// bytes: [`human::write_in`]).
pub fn write_in(
    pool: Option<&rayon::ThreadPool>,
    format: Format,
    out: &mut dyn WriteColor,
    report: &Report<'_>,
) -> std::io::Result<()> {
    match format {
        Format::Human => human::write_in(pool, out, report),
        _ => write(format, out, report),
    }
}

/// Writes `report` in `format`. `out` gets colours only if it supports them.
pub fn write(format: Format, out: &mut dyn WriteColor, report: &Report<'_>) -> std::io::Result<()> {
    match format {
        Format::Human => human::write(out, report),
        Format::Concise => concise::write(out, report),
        Format::Json => json::write(out, report),
        Format::JsonLines => json_lines::write(out, report),
        Format::Sarif => sarif::write(out, report),
        Format::Github => github::write(out, report),
        Format::Gitlab => gitlab::write(out, report),
        Format::Junit => junit::write(out, report),
        Format::Checkstyle => checkstyle::write(out, report),
    }
}

/// FNV-1a (64 bits) over the parts, each followed by a zero byte: the same on every platform
/// and in every version, unlike the standard library's hashers.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// A position in JSON output: 1-based line and column (in characters), and byte offset.
#[derive(Serialize)]
pub struct PositionJson {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

/// A range in JSON output.
#[derive(Serialize)]
pub struct RangeJson {
    pub start: PositionJson,
    pub end: PositionJson,
}

impl RangeJson {
    pub fn new(sources: &SourceMap, file: FileId, span: Span) -> RangeJson {
        let file = sources.get(file);
        let position = |offset| {
            let p = file.position(offset);
            PositionJson { line: p.line, column: p.column, offset: p.offset }
        };
        RangeJson { start: position(span.start as usize), end: position(span.end as usize) }
    }
}

/// Renders one diagnostic as codespan-reporting does, with colours if `out` supports them.
pub fn emit_diagnostic(out: &mut dyn WriteColor, sources: &SourceMap, diagnostic: &Diagnostic) -> std::io::Result<()> {
    render_diagnostic(out.supports_color(), sources, diagnostic, true)?.replay(out)
}

/// [`emit_diagnostic`] into a recording (with colours when `color`), to write later; with the
/// file's note ([`Diagnostic::file_note`]) when `file_note`.
pub fn render_diagnostic(
    color: bool,
    sources: &SourceMap,
    diagnostic: &Diagnostic,
    file_note: bool,
) -> std::io::Result<terminal::Recording> {
    let severity = match diagnostic.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
        Severity::Info => cs::Severity::Note,
    };
    let places: Vec<(FileId, std::ops::Range<usize>)> =
        std::iter::once(&diagnostic.primary).chain(&diagnostic.labels).map(|l| (l.file, l.span.range())).collect();
    // A very long line is shown in windows around the labels (see `snippet`).
    let windowed = snippet::Windowed::new(sources, &places);
    let shown = |file: FileId, range: std::ops::Range<usize>| match &windowed {
        Some(windowed) => windowed.offset(file, range.start)..windowed.offset(file, range.end),
        None => range,
    };
    let mut labels = vec![
        cs::Label::primary(diagnostic.primary.file, shown(diagnostic.primary.file, diagnostic.primary.span.range()))
            .with_message(&diagnostic.primary.message),
    ];
    labels.extend(
        diagnostic
            .labels
            .iter()
            .map(|l| cs::Label::secondary(l.file, shown(l.file, l.span.range())).with_message(&l.message)),
    );
    let mut notes: Vec<String> = diagnostic.notes.iter().map(|note| note.to_string()).collect();
    notes.extend(diagnostic.file_note.as_deref().filter(|_| file_note).map(str::to_string));
    if let Some(help) = &diagnostic.help {
        notes.push(format!("help: {}", shown_help(help)));
    }
    let rendered = cs::Diagnostic::new(severity)
        .with_code(format!("{}({})", diagnostic.code.code, diagnostic.code.name))
        .with_message(&diagnostic.message)
        .with_labels(labels)
        .with_notes(notes);
    let config = term::Config::default();
    let mut out = terminal::Recording::new(color);
    match &windowed {
        Some(windowed) => term::emit_to_write_style(&mut out, &config, windowed, &rendered),
        None => term::emit_to_write_style(&mut out, &config, sources, &rendered),
    }
    .map_err(|e| match e {
        codespan_reporting::files::Error::Io(e) => e,
        other => std::io::Error::other(other),
    })?;
    Ok(out)
}

/// Help longer than this many bytes (the fixed command of a policy written on one huge line) is
/// cut in the formats people read (human, GitHub annotations); `--format json` keeps all of it.
pub const LONG_HELP: usize = 2000;

/// The help as the formats people read show it: whole, or its start and how much is left out.
pub fn shown_help(help: &str) -> std::borrow::Cow<'_, str> {
    if help.len() <= LONG_HELP {
        return std::borrow::Cow::Borrowed(help);
    }
    let mut end = LONG_HELP / 2;
    while !help.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!(
        "{}{} ({} more bytes; `--format json` gives the whole command)",
        &help[..end],
        snippet::ELLIPSIS,
        help.len() - end
    ))
}

/// Text for XML attributes and content.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            // Characters XML 1.0 cannot hold at all.
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_help_is_cut_on_a_character_boundary() {
        assert_eq!(shown_help("short"), "short");
        let long = format!("é{}", "x".repeat(LONG_HELP));
        let shown = shown_help(&long);
        assert!(shown.starts_with('é') && shown.len() < long.len(), "{shown}");
        assert!(
            shown.ends_with(&format!("… ({} more bytes; `--format json` gives the whole command)", long.len() - 1000))
        );
    }

    #[test]
    fn stable_hash_is_fnv1a_and_separates_parts() {
        // FNV-1a of "a" then the separator byte, computed by hand from the published constants.
        assert_eq!(stable_hash(&[]), 0xcbf2_9ce4_8422_2325);
        assert_ne!(stable_hash(&["ab", "c"]), stable_hash(&["a", "bc"]));
        assert_eq!(stable_hash(&["x", "y"]), stable_hash(&["x", "y"]));
    }

    #[test]
    fn xml_escape_covers_markup_and_control_characters() {
        assert_eq!(xml_escape("a<b>&\"c'\n\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;&#10;");
    }
}
