//! `uplint refs`: each unit's references as written and what it reads.

use std::io::Write;

use codespan_reporting::term::termcolor::WriteColor;
use serde::Serialize;

use super::{RangeJson, emit_diagnostic};
use crate::diagnostic::{Diagnostic, Severity};
use crate::kql::references::Entity;
use crate::unit::{Unit, UnitId, UnitKind};
use crate::workspace::Workspace;

/// The version of the JSON format; bumped only on incompatible changes.
pub const JSON_VERSION: u32 = 1;

#[derive(Serialize)]
struct RefsJson<'a> {
    version: u32,
    units: Vec<UnitJson<'a>>,
    /// Problems that belong to no unit (files that could not be read).
    diagnostics: Vec<DiagnosticJson<'a>>,
}

#[derive(Serialize)]
struct UnitJson<'a> {
    path: &'a str,
    kind: UnitKind,
    name: Option<&'a str>,
    database: Option<&'a str>,
    references: Vec<ReferenceJson<'a>>,
    reads: Vec<&'a Entity>,
    plugins: Vec<&'a str>,
    diagnostics: Vec<DiagnosticJson<'a>>,
}

#[derive(Serialize)]
struct ReferenceJson<'a> {
    #[serde(flatten)]
    entity: &'a Entity,
    range: RangeJson,
}

#[derive(Serialize)]
struct DiagnosticJson<'a> {
    code: &'static str,
    severity: Severity,
    message: &'a str,
    path: &'a str,
    range: RangeJson,
}

/// The units in output order: by file path, then position.
fn ordered(workspace: &Workspace) -> Vec<(Option<&str>, &Unit)> {
    let named = |(id, unit)| (workspace.unit_name(UnitId(id as u32)), unit);
    let mut units: Vec<(Option<&str>, &Unit)> = workspace.units.iter().enumerate().map(named).collect();
    units.sort_by(|(_, a), (_, b)| {
        let pa = &workspace.sources.get(a.file).display;
        let pb = &workspace.sources.get(b.file).display;
        pa.cmp(pb).then(a.text.file_start().cmp(&b.text.file_start()))
    });
    units
}

/// The distinct entities a unit reads, sorted.
fn reads(unit: &Unit) -> Vec<&Entity> {
    let mut reads: Vec<&Entity> = unit.query.analysis.reads().iter().map(|r| &r.entity).collect();
    reads.sort();
    reads.dedup();
    reads
}

fn plugins(unit: &Unit) -> Vec<&str> {
    let mut names: Vec<&str> = unit.query.analysis.plugins().iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names
}

fn diagnostic_json<'a>(workspace: &'a Workspace, d: &'a Diagnostic) -> DiagnosticJson<'a> {
    DiagnosticJson {
        code: d.code.code,
        severity: d.severity,
        message: &d.message,
        path: &workspace.sources.get(d.primary.file).display,
        range: RangeJson::new(&workspace.sources, d.primary.file, d.primary.span),
    }
}

/// Writes the report as JSON (one document, pretty-printed, ending with a newline).
pub fn write_json(out: &mut dyn Write, workspace: &Workspace) -> std::io::Result<()> {
    let units: Vec<(Option<&str>, &Unit, Vec<Diagnostic>)> =
        ordered(workspace).into_iter().map(|(name, u)| (name, u, u.diagnostics())).collect();
    let document = RefsJson {
        version: JSON_VERSION,
        units: units
            .iter()
            .map(|(name, unit, problems)| UnitJson {
                path: &workspace.sources.get(unit.file).display,
                kind: unit.kind,
                name: *name,
                database: unit.database(),
                references: unit
                    .query
                    .analysis
                    .references()
                    .map(|r| ReferenceJson {
                        entity: &r.entity,
                        range: RangeJson::new(&workspace.sources, unit.file, unit.file_span(r.span)),
                    })
                    .collect(),
                reads: reads(unit),
                plugins: plugins(unit),
                diagnostics: problems.iter().map(|d| diagnostic_json(workspace, d)).collect(),
            })
            .collect(),
        diagnostics: workspace.diagnostics.iter().map(|d| diagnostic_json(workspace, d)).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

/// `cluster/database.name` with the parts that are not the current ones.
fn qualified(entity: &Entity) -> String {
    let mut text = String::new();
    if let Some(cluster) = entity.cluster() {
        text.push_str(&format!("cluster('{cluster}')."));
    }
    if let Some(database) = entity.database() {
        text.push_str(&format!("database('{database}')."));
    }
    text.push_str(entity.name());
    text
}

/// Writes the report for people: per unit, its references with positions, what it reads and
/// the plugins it runs; then every problem, rendered with its source.
pub fn write_human(out: &mut dyn WriteColor, workspace: &Workspace) -> std::io::Result<()> {
    let mut problems = workspace.diagnostics.clone();
    for (name, unit) in ordered(workspace) {
        let file = workspace.sources.get(unit.file);
        let kind = unit.kind.as_str();
        let mut title = kind.to_string();
        if let Some(name) = name {
            title.push_str(&format!(" {name}"));
        }
        if let Some(database) = unit.database() {
            title.push_str(&format!(", database {database}"));
        }
        writeln!(out, "{} ({title})", file.display)?;
        for reference in unit.query.analysis.references() {
            let at = file.position(unit.file_span(reference.span).start as usize);
            writeln!(
                out,
                "  {:>5}:{:<4} {:<17} {}",
                at.line,
                at.column,
                reference.entity.kind.as_str(),
                qualified(&reference.entity)
            )?;
        }
        let read_list: Vec<String> =
            reads(unit).iter().map(|e| format!("{} {}", e.kind.as_str(), qualified(e))).collect();
        writeln!(out, "  reads: {}", if read_list.is_empty() { "nothing".to_string() } else { read_list.join(", ") })?;
        let plugins = plugins(unit);
        if !plugins.is_empty() {
            writeln!(out, "  plugins: {}", plugins.join(", "))?;
        }
        problems.extend(unit.diagnostics());
    }
    if !problems.is_empty() {
        writeln!(out)?;
    }
    for problem in &problems {
        emit_diagnostic(out, &workspace.sources, problem)?;
    }
    Ok(())
}
