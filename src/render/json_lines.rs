//! `json-lines`: one diagnostic per line, in the shape of `json`'s diagnostics.

use std::io::Write;

use super::Report;
use super::json::DiagnosticJson;

pub fn write(out: &mut dyn Write, report: &Report<'_>) -> std::io::Result<()> {
    for (d, fingerprint) in report.diagnostics.iter().zip(report.fingerprint_each()) {
        serde_json::to_writer(&mut *out, &DiagnosticJson::new(report, d, fingerprint))?;
        writeln!(out)?;
    }
    Ok(())
}
