//! `concise`: `path:line:col: severity[CODE] message`, one line per diagnostic, for editors'
//! problem matchers (VS Code tasks, nvim-lint, efm-langserver, Helix).

use std::io::Write;

use super::Report;

pub fn write(out: &mut dyn Write, report: &Report<'_>) -> std::io::Result<()> {
    for d in report.diagnostics {
        let (start, _) = report.positions(d.primary.file, d.primary.span);
        let message = one_line(&d.message);
        writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            report.path(d.primary.file),
            start.line,
            start.column,
            d.severity.as_str(),
            d.code.code,
            message
        )?;
    }
    Ok(())
}

/// Line breaks become spaces: one diagnostic is one line.
fn one_line(text: &str) -> String {
    text.split(['\n', '\r']).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
}
