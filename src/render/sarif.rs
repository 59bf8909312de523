//! `sarif`: SARIF 2.1.0 as GitHub code scanning reads it, built with the typed model of the
//! `serde-sarif` crate. One run; the driver lists every code uplint reports with its metadata;
//! each result has its primary location, the evidence as related locations, the fix in the
//! message, and a fingerprint that does not change when lines move.

use std::collections::BTreeMap;
use std::io::Write;

use serde_sarif::sarif::{
    ArtifactLocation, Location, LogicalLocation, Message, MultiformatMessageString, PhysicalLocation, PropertyBag,
    Region, ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, Tool,
    ToolComponent,
};

use super::Report;
use crate::diagnostic::{CodeInfo, Diagnostic, Label, Severity, Subject};

/// The schema the document names.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The base of relative URIs: the folder uplint ran in (the repository root in CI).
pub const SRCROOT: &str = "%SRCROOT%";
/// Where uplint lives (the `repository` of Cargo.toml): `tool.driver.informationUri`.
pub const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");
/// The key of uplint's fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "uplint/v1";

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Info => ResultLevel::Note,
    }
}

fn level_json(severity: Severity) -> serde_json::Value {
    serde_json::to_value(level(severity)).unwrap_or(serde_json::Value::Null)
}

fn rule(code: &CodeInfo) -> ReportingDescriptor {
    let help_text = if code.doc.is_empty() { code.summary.to_string() } else { code.doc.to_string() };
    let mut help = MultiformatMessageString::builder().text(help_text).build();
    if !code.doc.is_empty() {
        help.markdown = Some(code.doc.to_string());
    }
    let mut descriptor = ReportingDescriptor::builder()
        .id(code.code)
        .name(code.name)
        .short_description(MultiformatMessageString::builder().text(code.summary).build())
        .full_description(MultiformatMessageString::builder().text(code.description()).build())
        .help(help)
        .default_configuration(ReportingConfiguration::builder().level(level_json(code.severity)).build())
        .properties(PropertyBag::builder().tags(vec!["kusto".to_string(), "update-policy".to_string()]).build())
        .build();
    descriptor.help_uri = code.help_uri.map(str::to_string);
    descriptor
}

/// A URI for a displayed path: relative ones against `%SRCROOT%`, absolute ones as `file:`.
fn artifact(path: &str) -> ArtifactLocation {
    if path.starts_with('/') {
        ArtifactLocation::builder().uri(format!("file://{}", percent_encode(path))).build()
    } else {
        ArtifactLocation::builder().uri(percent_encode(path)).uri_base_id(SRCROOT).build()
    }
}

/// Percent-encodes what a URI path cannot hold as is.
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn location(report: &Report<'_>, label: &Label, id: Option<i64>) -> Location {
    let (start, end) = report.positions(label.file, label.span);
    let region = Region::builder()
        .start_line(start.line as i64)
        .start_column(start.column as i64)
        .end_line(end.line as i64)
        .end_column(end.column as i64)
        .build();
    let physical =
        PhysicalLocation::builder().artifact_location(artifact(report.path(label.file))).region(region).build();
    let mut location = Location::builder().physical_location(physical).build();
    location.id = id;
    if !label.message.is_empty() {
        location.message = Some(Message::builder().text(label.message.to_string()).build());
    }
    location
}

/// The entity a result is about, named without line numbers (so code scanning can group results
/// by it): entry `index` of a table's update policy is `[cluster/]database/table/update-policy/index`.
fn logical_location(subject: &Subject) -> LogicalLocation {
    match subject {
        Subject::UpdatePolicyEntry { cluster, database, table, index } => {
            let mut qualified = String::new();
            if let Some(cluster) = cluster {
                qualified.push_str(cluster);
                qualified.push('/');
            }
            qualified.push_str(&format!("{database}/{table}/update-policy/{index}"));
            LogicalLocation::builder()
                .name(format!("update policy entry {index} of {table}"))
                .fully_qualified_name(qualified)
                .kind("object")
                .build()
        }
    }
}

/// The SARIF result of diagnostic `d` of a report, with its fingerprint.
fn result(report: &Report<'_>, d: &Diagnostic, fingerprint: String) -> SarifResult {
    let mut text = d.message.to_string();
    if let Some(help) = &d.help {
        text.push_str("\nFix: ");
        text.push_str(help);
    }
    let related: Vec<Location> =
        d.labels.iter().enumerate().map(|(i, l)| location(report, l, Some(i as i64 + 1))).collect();
    let mut primary = location(report, &d.primary, None);
    if let Some(subject) = &d.subject {
        primary.logical_locations = Some(vec![logical_location(subject)]);
    }
    let mut result = SarifResult::builder()
        .rule_id(d.code.code)
        .level(level(d.severity))
        .message(Message::builder().text(text).build())
        .locations(vec![primary])
        .partial_fingerprints(BTreeMap::from([(FINGERPRINT_KEY.to_string(), fingerprint)]))
        .build();
    result.rule_index = report.codes.iter().position(|c| c.code == d.code.code).map(|i| i as i64);
    if !related.is_empty() {
        result.related_locations = Some(related);
    }
    result
}

/// The SARIF document of a report.
pub fn document(report: &Report<'_>) -> Sarif {
    let results = report.diagnostics.iter().zip(report.fingerprint_each()).map(|(d, f)| result(report, d, f));
    document_with(report, results.collect())
}

/// The SARIF document of a report with these results.
fn document_with(report: &Report<'_>, results: Vec<SarifResult>) -> Sarif {
    let mut driver = ToolComponent::builder()
        .name("uplint")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(report.codes.iter().map(rule).collect::<Vec<_>>())
        .build();
    driver.information_uri = Some(INFORMATION_URI.to_string());
    let mut run = Run::builder().tool(Tool::builder().driver(driver).build()).results(results).build();
    run.column_kind = Some(serde_json::Value::String("unicodeCodePoints".to_string()));
    Sarif::builder().schema(SCHEMA).version(serde_json::Value::String("2.1.0".to_string())).runs(vec![run]).build()
}

/// The SARIF document, pretty-printed, ending with a newline.
///
/// Each result is made and written in turn (the typed results of a report of tens of thousands
/// of diagnostics took about 8 KB each): the document is printed without results, and the
/// results are written in place of its empty list, indented as printing the whole document
/// indents them (the bytes are the same).
pub fn write(out: &mut dyn Write, report: &Report<'_>) -> std::io::Result<()> {
    const EMPTY: &[u8] = b"\"results\": []";
    let frame = serde_json::to_vec_pretty(&document_with(report, Vec::new()))?;
    // Inside JSON strings quotes are escaped: the first `"results": []` is the run's.
    let at = frame.windows(EMPTY.len()).position(|w| w == EMPTY);
    let (Some(at), false) = (at, report.diagnostics.is_empty()) else {
        serde_json::to_writer_pretty(&mut *out, &document(report))?;
        return writeln!(out);
    };
    let line = frame[..at].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let outer = &frame[line..at];
    let inner = [outer, b"  "].concat();
    out.write_all(&frame[..at])?;
    out.write_all(b"\"results\": [")?;
    let mut printed = Vec::new();
    for (k, (d, fingerprint)) in report.diagnostics.iter().zip(report.fingerprint_each()).enumerate() {
        out.write_all(if k == 0 { b"\n" } else { b",\n" })?;
        printed.clear();
        serde_json::to_writer_pretty(&mut printed, &result(report, d, fingerprint))?;
        for (n, text) in printed.split(|&b| b == b'\n').enumerate() {
            if n > 0 {
                out.write_all(b"\n")?;
            }
            out.write_all(&inner)?;
            out.write_all(text)?;
        }
    }
    out.write_all(b"\n")?;
    out.write_all(outer)?;
    out.write_all(b"]")?;
    out.write_all(&frame[at + EMPTY.len()..])?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uris() {
        assert_eq!(artifact("a b/c#.kql").uri.as_deref(), Some("a%20b/c%23.kql"));
        assert_eq!(artifact("a/c.kql").uri_base_id.as_deref(), Some(SRCROOT));
        let absolute = artifact("/tmp/x.kql");
        assert_eq!(absolute.uri.as_deref(), Some("file:///tmp/x.kql"));
        assert_eq!(absolute.uri_base_id, None);
    }

    #[test]
    fn subjects_become_logical_locations() {
        let subject =
            Subject::UpdatePolicyEntry { cluster: None, database: "Sales".into(), table: "Orders".into(), index: 1 };
        let location = logical_location(&subject);
        assert_eq!(location.fully_qualified_name.as_deref(), Some("Sales/Orders/update-policy/1"));
        assert_eq!(location.name.as_deref(), Some("update policy entry 1 of Orders"));
        let subject = Subject::UpdatePolicyEntry {
            cluster: Some("help".into()),
            database: "Sales".into(),
            table: "Orders".into(),
            index: 0,
        };
        let location = logical_location(&subject);
        assert_eq!(location.fully_qualified_name.as_deref(), Some("help/Sales/Orders/update-policy/0"));
    }

    /// The results are written one by one in the place of the empty list: the bytes are those of
    /// the whole document printed at once.
    #[test]
    fn results_written_in_turn_make_the_document() {
        let text =
            ".create table T (a:string)\n.alter table T policy update @'[{\"Source\": \"S\", \"Query\": \"S\"}]'\n";
        let mut sources = crate::source::SourceMap::default();
        let file = sources.add(crate::source::SourceFile::new("a.kql".into(), "a.kql".to_string(), text.to_string()));
        let diagnostics: Vec<Diagnostic> = (0..3)
            .map(|k| {
                Diagnostic::new(
                    crate::diagnostic::SYNTAX_ERROR,
                    Severity::Error,
                    format!("problem {k}\nwith \"quotes\""),
                    Label::new(file, crate::span::Span::new(k, k + 3), "here"),
                )
                .with_label(Label::new(file, crate::span::Span::new(10, 12), ""))
                .with_help("do this")
            })
            .collect();
        let codes = crate::rules::catalog();
        for count in [0, 1, 3] {
            let report = Report {
                sources: &sources,
                diagnostics: &diagnostics[..count],
                codes: &codes,
                files: 1,
                policies: Default::default(),
            };
            let mut whole = serde_json::to_vec_pretty(&document(&report)).unwrap();
            whole.push(b'\n');
            let mut written = Vec::new();
            write(&mut written, &report).unwrap();
            assert_eq!(String::from_utf8(written).unwrap(), String::from_utf8(whole).unwrap(), "{count} results");
        }
    }

    #[test]
    fn the_driver_names_where_uplint_lives() {
        assert!(INFORMATION_URI.starts_with("https://"), "{INFORMATION_URI}");
    }
}
