//! `gitlab`: a GitLab Code Quality report (a JSON array of issues with `description`,
//! `check_name`, `fingerprint`, `severity` and `location.path`/`location.lines`).

use std::io::Write;

use serde::Serialize;

use super::Report;
use crate::diagnostic::Severity;

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: &'static str,
    fingerprint: String,
    severity: &'static str,
    location: IssueLocation<'a>,
}

#[derive(Serialize)]
struct IssueLocation<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

/// The issues of a report, each made as it is written (not held all at once).
struct Issues<'a>(&'a Report<'a>);

impl Serialize for Issues<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let report = self.0;
        let mut list = serializer.serialize_seq(Some(report.diagnostics.len()))?;
        for (d, fingerprint) in report.diagnostics.iter().zip(report.fingerprint_each()) {
            let (start, end) = report.positions(d.primary.file, d.primary.span);
            list.serialize_element(&Issue {
                description: format!("{} {}", d.code.code, d.message),
                check_name: d.code.code,
                // GitLab keys issues by fingerprint across pipelines: the same stable value.
                fingerprint: super::stable_hash(&[&fingerprint]).to_string(),
                severity: match d.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                    Severity::Info => "info",
                },
                location: IssueLocation {
                    path: report.path(d.primary.file),
                    lines: Lines { begin: start.line, end: end.line },
                },
            })?;
        }
        list.end()
    }
}

pub fn write(out: &mut dyn Write, report: &Report<'_>) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &Issues(report))?;
    writeln!(out)
}
