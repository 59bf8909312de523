//! `human`: every diagnostic with its source (codespan-reporting), then a one-line summary.

use std::collections::BTreeMap;

use codespan_reporting::term::termcolor::{Color, ColorSpec, WriteColor};
use rayon::prelude::*;

use super::terminal::Recording;
use super::{Report, render_diagnostic};
use crate::check::PolicyCounts;

/// `; 3 update policies: 2 fully checked, 1 with unresolved parts`, and `, 1 with schema
/// unverified` when some policy's output could not be compared with its table (its columns or the
/// table's are not known).
fn policies_text(policies: &PolicyCounts) -> String {
    match policies.total {
        0 => "; no update policies".to_string(),
        1 if policies.unresolved == 1 => "; 1 update policy, with unresolved parts".to_string(),
        1 if policies.schema_unknown == 1 => "; 1 update policy, schema unverified".to_string(),
        1 => "; 1 update policy, fully checked".to_string(),
        n => {
            let mut text = format!(
                "; {n} update policies: {} fully checked, {} with unresolved parts",
                policies.fully_checked, policies.unresolved
            );
            if policies.schema_unknown > 0 {
                text.push_str(&format!(", {} with schema unverified", policies.schema_unknown));
            }
            text
        }
    }
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

/// Every diagnostic with its source, then a one-line summary.
pub fn write(out: &mut dyn WriteColor, report: &Report<'_>) -> std::io::Result<()> {
    write_in(None, out, report)
}

/// How many diagnostics [`write_in`] renders at once (what it holds in memory).
const BATCH: usize = 256;

/// [`write()`], rendering the diagnostics on the threads of `pool` (when it has more than one):
/// a batch at a time, each diagnostic into its own [`Recording`], then written in order,
/// so `out` gets the same bytes and colours as from [`write()`].
pub fn write_in(
    pool: Option<&rayon::ThreadPool>,
    out: &mut dyn WriteColor,
    report: &Report<'_>,
) -> std::io::Result<()> {
    let color = out.supports_color();
    // A file's note (the database it runs against) is shown with its first diagnostic only:
    // read top to bottom, the same note on each of a file's findings would be a third of the
    // output.
    let mut noted = rustc_hash::FxHashSet::default();
    let file_notes: Vec<bool> =
        report.diagnostics.iter().map(|d| d.file_note.is_some() && noted.insert(d.primary.file)).collect();
    let Some(pool) = pool.filter(|pool| pool.current_num_threads() > 1) else {
        for (diagnostic, &file_note) in report.diagnostics.iter().zip(&file_notes) {
            render_diagnostic(color, report.sources, diagnostic, file_note)?.replay(out)?;
        }
        return write_summary(out, report);
    };
    for (batch, file_notes) in report.diagnostics.chunks(BATCH).zip(file_notes.chunks(BATCH)) {
        let rendered: Vec<std::io::Result<Recording>> = pool.install(|| {
            batch
                .par_iter()
                .zip(file_notes)
                .map(|(diagnostic, &file_note)| render_diagnostic(color, report.sources, diagnostic, file_note))
                .collect()
        });
        for recorded in rendered {
            recorded?.replay(out)?;
        }
    }
    write_summary(out, report)
}

/// The one-line summary: files checked and diagnostics per severity.
pub fn write_summary(out: &mut dyn WriteColor, report: &Report<'_>) -> std::io::Result<()> {
    let summary = report.summary();
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

/// `--statistics`: how many diagnostics of each code, most frequent first, then by code.
pub fn write_statistics(out: &mut dyn WriteColor, report: &Report<'_>) -> std::io::Result<()> {
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for d in report.diagnostics {
        *counts.entry((d.code.code, d.code.name)).or_default() += 1;
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let width = rows.iter().map(|(_, n)| n.to_string().len()).max().unwrap_or(1);
    for ((code, name), n) in rows {
        let severity = report.code(code).map_or("", |c| c.severity.as_str());
        writeln!(out, "{n:>width$}  {code}  {name:<38} [{severity}]")?;
    }
    write_summary(out, report)
}
