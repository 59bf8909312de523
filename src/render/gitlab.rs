//! `gitlab`: a GitLab Code Quality report (a JSON array of issues with `description`,
//! `check_name`, `fingerprint`, `severity` and `location.path`/`location.lines`).

use std::io::Write;

use serde::Serialize;

use super::{EachDiagnostic, Report};
use crate::diagnostic::{Diagnostic, Severity};

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

pub fn write(out: &mut dyn Write, report: &Report<'_>) -> std::io::Result<()> {
    // Each issue made as it is written (not held all at once).
    let issues = EachDiagnostic(report, |d: &Diagnostic, fingerprint: String| {
        let (start, end) = report.positions(d.primary.file, d.primary.span);
        Issue {
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
        }
    });
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)
}
