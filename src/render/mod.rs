//! Renderers: reports to text for people (codespan-reporting) and to JSON for tools.
//! They know the shape of reports and diagnostics, never how those were produced.

pub mod check;
pub mod model;
pub mod refs;
pub mod schema;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::term::{self, termcolor::WriteColor};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{FileId, SourceMap};
use crate::span::Span;

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
    let severity = match diagnostic.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
        Severity::Info => cs::Severity::Note,
    };
    let mut labels = vec![
        cs::Label::primary(diagnostic.primary.file, diagnostic.primary.span.range())
            .with_message(&diagnostic.primary.message),
    ];
    labels.extend(
        diagnostic.labels.iter().map(|l| cs::Label::secondary(l.file, l.span.range()).with_message(&l.message)),
    );
    let mut notes = diagnostic.notes.clone();
    if let Some(help) = &diagnostic.help {
        notes.push(format!("help: {help}"));
    }
    let rendered = cs::Diagnostic::new(severity)
        .with_code(format!("{}({})", diagnostic.code.code, diagnostic.code.name))
        .with_message(&diagnostic.message)
        .with_labels(labels)
        .with_notes(notes);
    term::emit_to_write_style(&mut *out, &term::Config::default(), sources, &rendered).map_err(std::io::Error::other)
}
