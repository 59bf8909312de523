//! `github`: GitHub Actions workflow commands, one annotation per diagnostic:
//! `::error file=P,line=L,endLine=L,col=C,endColumn=C,title=uplint (UP001)::message`.
//! Columns are given only when the range is on one line (GitHub misplaces them otherwise).
//! GitHub shows 10 error and 10 warning annotations per step; a notice says how many more
//! there are.

use std::io::Write;

use super::Report;
use crate::diagnostic::Severity;

/// How many error and how many warning annotations GitHub shows for one step.
pub const ANNOTATIONS_PER_STEP: usize = 10;

/// Escapes a message: `%`, carriage return and line feed.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value: as a message, plus `:` and `,`.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

pub fn write(out: &mut dyn Write, report: &Report<'_>) -> std::io::Result<()> {
    for d in report.diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let (start, end) = report.positions(d.primary.file, d.primary.span);
        let mut properties =
            format!("file={},line={},endLine={}", escape_property(report.path(d.primary.file)), start.line, end.line);
        if start.line == end.line {
            properties.push_str(&format!(",col={},endColumn={}", start.column, end.column));
        }
        properties
            .push_str(&format!(",title={}", escape_property(&format!("uplint {} ({})", d.code.code, d.code.name))));
        let mut message = d.message.to_string();
        if !d.primary.message.is_empty() {
            message.push_str(&format!("\n{}", d.primary.message));
        }
        for label in &d.labels {
            let (at, _) = report.positions(label.file, label.span);
            message.push_str(&format!("\n{}:{}:{}: {}", report.path(label.file), at.line, at.column, label.message));
        }
        // Each annotation stands alone: the file's note too.
        for note in d.all_notes() {
            message.push_str(&format!("\nnote: {note}"));
        }
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {}", super::shown_help(help)));
        }
        writeln!(out, "::{command} {properties}::{}", escape_data(&message))?;
    }
    let count = |s| report.diagnostics.iter().filter(|d| d.severity == s).count();
    let beyond = count(Severity::Error).saturating_sub(ANNOTATIONS_PER_STEP)
        + count(Severity::Warning).saturating_sub(ANNOTATIONS_PER_STEP);
    if beyond > 0 {
        writeln!(
            out,
            "::notice title=uplint::{}",
            escape_data(&format!(
                "GitHub shows {ANNOTATIONS_PER_STEP} error and {ANNOTATIONS_PER_STEP} warning annotations per step: {beyond} of {} diagnostics are not annotated; the report and SARIF (code scanning) have them all",
                report.diagnostics.len()
            ))
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_workflow_command_rules() {
        assert_eq!(escape_data("50% done\r\nnext: a,b"), "50%25 done%0D%0Anext: a,b");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
