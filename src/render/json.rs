//! `json`: one document with every diagnostic, every label and a summary. Its shape is
//! published in `docs/report.schema.json`; `version` changes only on incompatible changes.

use std::io::Write;

use serde::Serialize;

use super::{EachDiagnostic, RangeJson, Report, Summary};
use crate::diagnostic::{Diagnostic, Severity, Subject};

/// The version of the JSON format; bumped only on incompatible changes.
pub const JSON_VERSION: u32 = 1;

#[derive(Serialize)]
struct CheckJson<D> {
    version: u32,
    /// The diagnostics, each serialized as it is written ([`EachDiagnostic`]).
    diagnostics: D,
    summary: Summary,
}

/// One diagnostic as `json` and `json-lines` print it.
#[derive(Serialize)]
pub struct DiagnosticJson<'a> {
    code: &'static str,
    name: &'static str,
    severity: Severity,
    message: &'a str,
    path: &'a str,
    range: RangeJson,
    /// The primary label's own message (may be empty).
    label: &'a str,
    labels: Vec<LabelJson<'a>>,
    notes: Vec<&'a str>,
    help: Option<&'a str>,
    /// The entity the diagnostic is about, when it is one (an update policy entry).
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a Subject>,
    /// Its safe fix, when it has one (what `check --fix` makes), in the diagnostic's file.
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<FixJson<'a>>,
    fingerprint: String,
}

#[derive(Serialize)]
struct FixJson<'a> {
    title: &'a str,
    range: RangeJson,
    replacement: &'a str,
}

#[derive(Serialize)]
struct LabelJson<'a> {
    path: &'a str,
    range: RangeJson,
    message: &'a str,
}

impl<'a> DiagnosticJson<'a> {
    pub fn new(report: &'a Report<'_>, d: &'a Diagnostic, fingerprint: String) -> DiagnosticJson<'a> {
        DiagnosticJson {
            code: d.code.code,
            name: d.code.name,
            severity: d.severity,
            message: &d.message,
            path: report.path(d.primary.file),
            range: RangeJson::new(report.sources, d.primary.file, d.primary.span),
            label: &d.primary.message,
            labels: d
                .labels
                .iter()
                .map(|l| LabelJson {
                    path: report.path(l.file),
                    range: RangeJson::new(report.sources, l.file, l.span),
                    message: &l.message,
                })
                .collect(),
            notes: d.all_notes().collect(),
            help: d.help.as_deref(),
            subject: d.subject.as_deref(),
            fix: d.fix.as_deref().map(|fix| FixJson {
                title: &fix.title,
                range: RangeJson::new(report.sources, d.primary.file, fix.edit.span),
                replacement: &fix.edit.text,
            }),
            fingerprint,
        }
    }
}

/// One JSON document (pretty-printed, ending with a newline).
pub fn write(out: &mut dyn Write, report: &Report<'_>) -> std::io::Result<()> {
    let diagnostics = EachDiagnostic(report, |d, fingerprint| DiagnosticJson::new(report, d, fingerprint));
    let document = CheckJson { version: JSON_VERSION, diagnostics, summary: report.summary() };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}
