//! `uplint check` output: rich text for people, JSON for tools.

use std::io::Write;

use codespan_reporting::term::termcolor::{Color, ColorSpec, WriteColor};
use serde::Serialize;

use super::{RangeJson, emit_diagnostic};
use crate::check::{Checked, PolicyCounts};
use crate::diagnostic::{Diagnostic, Severity, Subject};
use crate::workspace::Workspace;

/// The version of the JSON format; bumped only on incompatible changes.
pub const JSON_VERSION: u32 = 1;

/// How many diagnostics of each severity, and how many policies were checked fully.
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

impl Summary {
    pub fn of(workspace: &Workspace, diagnostics: &[Diagnostic], policies: PolicyCounts) -> Summary {
        let count = |s| diagnostics.iter().filter(|d| d.severity == s).count();
        Summary {
            files: workspace.sources.len(),
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            policies,
        }
    }
}

/// `; 3 update policies: 2 fully checked, 1 with unresolved references`.
fn policies_text(policies: &PolicyCounts) -> String {
    match policies.total {
        0 => "; no update policies".to_string(),
        1 if policies.unresolved == 0 => "; 1 update policy, fully checked".to_string(),
        1 => "; 1 update policy, with unresolved references".to_string(),
        n => format!(
            "; {n} update policies: {} fully checked, {} with unresolved references",
            policies.fully_checked, policies.unresolved
        ),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

/// Every diagnostic with its source, then a one-line summary.
pub fn write_human(out: &mut dyn WriteColor, workspace: &Workspace, checked: &Checked) -> std::io::Result<()> {
    let diagnostics = &checked.diagnostics;
    for diagnostic in diagnostics {
        emit_diagnostic(out, &workspace.sources, diagnostic)?;
    }
    let summary = Summary::of(workspace, diagnostics, checked.policies);
    let clean = summary.errors + summary.warnings + summary.infos == 0;
    let color = if summary.errors > 0 {
        Color::Red
    } else if summary.warnings > 0 {
        Color::Yellow
    } else {
        Color::Green
    };
    out.set_color(ColorSpec::new().set_fg(Some(color)).set_bold(true))?;
    if clean {
        write!(out, "{} checked: no problems", plural(summary.files, "file"))?;
    } else {
        write!(
            out,
            "{} checked: {}, {}",
            plural(summary.files, "file"),
            plural(summary.errors, "error"),
            plural(summary.warnings, "warning")
        )?;
        if summary.infos > 0 {
            write!(out, ", {}", plural(summary.infos, "info"))?;
        }
    }
    write!(out, "{}", policies_text(&summary.policies))?;
    out.reset()?;
    writeln!(out)
}

#[derive(Serialize)]
struct CheckJson<'a> {
    version: u32,
    diagnostics: Vec<DiagnosticJson<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct DiagnosticJson<'a> {
    code: &'static str,
    name: &'static str,
    severity: Severity,
    message: &'a str,
    path: &'a str,
    range: RangeJson,
    /// The message of the primary label (what is wrong at `range`).
    label: &'a str,
    labels: Vec<LabelJson<'a>>,
    notes: &'a [String],
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a Subject>,
}

#[derive(Serialize)]
struct LabelJson<'a> {
    path: &'a str,
    range: RangeJson,
    message: &'a str,
}

/// One JSON document (pretty-printed, ending with a newline).
pub fn write_json(out: &mut dyn Write, workspace: &Workspace, checked: &Checked) -> std::io::Result<()> {
    let (sources, diagnostics) = (&workspace.sources, &checked.diagnostics);
    let document = CheckJson {
        version: JSON_VERSION,
        diagnostics: diagnostics
            .iter()
            .map(|d| DiagnosticJson {
                code: d.code.code,
                name: d.code.name,
                severity: d.severity,
                message: &d.message,
                path: &sources.get(d.primary.file).display,
                range: RangeJson::new(sources, d.primary.file, d.primary.span),
                label: &d.primary.message,
                labels: d
                    .labels
                    .iter()
                    .map(|l| LabelJson {
                        path: &sources.get(l.file).display,
                        range: RangeJson::new(sources, l.file, l.span),
                        message: &l.message,
                    })
                    .collect(),
                notes: &d.notes,
                help: d.help.as_deref(),
                subject: d.subject.as_ref(),
            })
            .collect(),
        summary: Summary::of(workspace, diagnostics, checked.policies),
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}
