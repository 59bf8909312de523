//! Between uplint's values and the protocol's: byte offsets and LSP positions (UTF-16 or UTF-8
//! code units), paths and `file://` URIs, diagnostics.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::{self as lsp, Uri};

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{SourceFile, SourceMap, next_line_break};
use crate::span::Span;

/// How the client counts the characters of a line (negotiated at initialisation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf16,
    Utf8,
}

/// The LSP position of byte `offset` of `file`.
pub fn position(file: &SourceFile, offset: usize, encoding: Encoding) -> lsp::Position {
    let offset = offset.min(file.text.len());
    let (line, start) = file.editor_line(offset);
    let mut end = offset.max(start);
    while !file.text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &file.text[start..end];
    let character = match encoding {
        Encoding::Utf16 => before.encode_utf16().count(),
        Encoding::Utf8 => before.len(),
    };
    lsp::Position { line: line as u32, character: character as u32 }
}

/// The byte offset of an LSP position in `text` (clamped to its line and to the text).
pub fn offset(text: &str, position: lsp::Position, encoding: Encoding) -> usize {
    let mut line_start = 0;
    for _ in 0..position.line {
        match next_line_break(text, line_start) {
            Some((_, next)) => line_start = next,
            None => return text.len(),
        }
    }
    let line_end = next_line_break(text, line_start).map_or(text.len(), |(end, _)| end);
    let mut units = 0;
    for (i, c) in text[line_start..line_end].char_indices() {
        if units >= position.character as usize {
            return line_start + i;
        }
        units += match encoding {
            Encoding::Utf16 => c.len_utf16(),
            Encoding::Utf8 => c.len_utf8(),
        };
    }
    line_end
}

pub fn range(file: &SourceFile, span: Span, encoding: Encoding) -> lsp::Range {
    lsp::Range {
        start: position(file, span.start as usize, encoding),
        end: position(file, span.end as usize, encoding),
    }
}

/// The `file://` URI of an absolute path.
pub fn uri(path: &Path) -> Uri {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut encoded = String::from("file://");
    if !text.starts_with('/') {
        encoded.push('/');
    }
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' | b':' => {
                encoded.push(byte as char)
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    Uri::from_str(&encoded).expect("a percent-encoded file URI is valid")
}

/// The path of a `file://` URI (`None` for other schemes).
pub fn path(uri: &Uri) -> Option<PathBuf> {
    let text = uri.as_str();
    let rest = text.strip_prefix("file://")?;
    // `file://host/path` is not local unless the host is empty or `localhost`.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let mut bytes = Vec::with_capacity(rest.len());
    let raw = rest.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if raw[i] == b'%' && i + 2 < raw.len() {
            if let (Some(h), Some(l)) = (hex(raw[i + 1]), hex(raw[i + 2])) {
                bytes.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        bytes.push(raw[i]);
        i += 1;
    }
    let decoded = String::from_utf8(bytes).ok()?;
    // `/C:/dir` is a Windows path.
    let windows = decoded.len() > 2 && decoded.as_bytes()[2] == b':' && decoded.as_bytes()[1].is_ascii_alphabetic();
    Some(PathBuf::from(if windows { &decoded[1..] } else { &decoded[..] }))
}

fn severity(severity: Severity) -> lsp::DiagnosticSeverity {
    match severity {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
    }
}

/// A diagnostic as the protocol has it: the message with the primary label, notes and help;
/// secondary labels as related information; the code linked to its page (`page`).
pub fn diagnostic(
    sources: &SourceMap,
    diagnostic: &Diagnostic,
    page: Option<Uri>,
    encoding: Encoding,
) -> lsp::Diagnostic {
    let file = sources.get(diagnostic.primary.file);
    let mut message = diagnostic.message.to_string();
    if !diagnostic.primary.message.is_empty() {
        message.push_str(&format!("\n{}", diagnostic.primary.message));
    }
    for note in diagnostic.all_notes() {
        message.push_str(&format!("\nnote: {note}"));
    }
    if let Some(help) = &diagnostic.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = diagnostic
        .labels
        .iter()
        .map(|label| {
            let file = sources.get(label.file);
            lsp::DiagnosticRelatedInformation {
                location: lsp::Location { uri: uri(&file.path), range: range(file, label.span, encoding) },
                message: if label.message.is_empty() {
                    diagnostic.message.to_string()
                } else {
                    label.message.to_string()
                },
            }
        })
        .collect();
    lsp::Diagnostic {
        range: range(file, diagnostic.primary.span, encoding),
        severity: Some(severity(diagnostic.severity)),
        code: Some(lsp::NumberOrString::String(diagnostic.code.code.to_string())),
        code_description: page.map(|href| lsp::CodeDescription { href }),
        source: Some("uplint".to_string()),
        message,
        related_information: if related.is_empty() { None } else { Some(related) },
        tags: None,
        data: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_or_utf8_units() {
        let text = "ab\r\nç😀d\nx";
        let file = SourceFile::new(PathBuf::from("/a.kql"), "a.kql".into(), text.into());
        let d = text.find('d').unwrap();
        assert_eq!(position(&file, d, Encoding::Utf16), lsp::Position { line: 1, character: 3 });
        assert_eq!(position(&file, d, Encoding::Utf8), lsp::Position { line: 1, character: 6 });
        for encoding in [Encoding::Utf16, Encoding::Utf8] {
            for at in [0, 1, 4, d, text.len()] {
                assert_eq!(offset(text, position(&file, at, encoding), encoding), at, "{at} {encoding:?}");
            }
        }
        // Past the end of a line: its end; past the last line: the end of the text.
        assert_eq!(offset(text, lsp::Position { line: 0, character: 99 }, Encoding::Utf16), 2);
        assert_eq!(offset(text, lsp::Position { line: 9, character: 0 }, Encoding::Utf16), text.len());
    }

    /// A lone `\r` ends a line, as in editors and the protocol (regression: a file with classic
    /// Mac line endings was one line).
    #[test]
    fn a_lone_carriage_return_ends_a_line() {
        let text = "a\rbc\r\nd\n\re";
        let file = SourceFile::new(PathBuf::from("/a.kql"), "a.kql".into(), text.into());
        let lines: Vec<u32> = ["a", "bc", "d", "e"]
            .iter()
            .map(|s| position(&file, text.find(s).unwrap(), Encoding::Utf16).line)
            .collect();
        assert_eq!(lines, [0, 1, 2, 4]);
        assert_eq!(position(&file, text.find('c').unwrap(), Encoding::Utf16), lsp::Position { line: 1, character: 1 });
        for at in [0, 2, 3, 6, 8, 9, text.len()] {
            assert_eq!(offset(text, position(&file, at, Encoding::Utf16), Encoding::Utf16), at, "{at}");
        }
        assert_eq!(offset(text, lsp::Position { line: 1, character: 99 }, Encoding::Utf16), 4);
    }

    #[test]
    fn uris_round_trip_paths() {
        for p in ["/work/a b/c#d.kql", "/tmp/é.kql", "/x/y.csl"] {
            let u = uri(Path::new(p));
            assert!(u.as_str().starts_with("file:///"), "{}", u.as_str());
            assert_eq!(path(&u), Some(PathBuf::from(p)));
        }
        assert_eq!(uri(Path::new("/a b")).as_str(), "file:///a%20b");
        assert_eq!(path(&Uri::from_str("untitled:Untitled-1").unwrap()), None);
        assert_eq!(path(&Uri::from_str("file:///C:/x/y.kql").unwrap()), Some(PathBuf::from("C:/x/y.kql")));
    }
}
