//! `checkstyle`: the Checkstyle XML report, one `<file>` per file with diagnostics, one
//! `<error>` per diagnostic.

use std::io::Write;

use super::{Report, xml_escape};
use crate::diagnostic::Severity;

pub fn write(out: &mut dyn Write, report: &Report<'_>) -> std::io::Result<()> {
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, r#"<checkstyle version="4.3">"#)?;
    let mut current: Option<&str> = None;
    for d in report.diagnostics {
        let path = report.path(d.primary.file);
        if current != Some(path) {
            if current.is_some() {
                writeln!(out, "  </file>")?;
            }
            writeln!(out, r#"  <file name="{}">"#, xml_escape(path))?;
            current = Some(path);
        }
        let (start, _) = report.positions(d.primary.file, d.primary.span);
        let severity = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        writeln!(
            out,
            r#"    <error line="{}" column="{}" severity="{severity}" message="{}" source="uplint.{}"/>"#,
            start.line,
            start.column,
            xml_escape(&d.message),
            d.code.code
        )?;
    }
    if current.is_some() {
        writeln!(out, "  </file>")?;
    }
    writeln!(out, "</checkstyle>")
}
