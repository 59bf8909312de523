//! `uplint check`'s output formats: a snapshot of each on the demo project, clean runs that are
//! still valid documents, the SARIF output validated against the SARIF 2.1.0 JSON schema
//! (vendored: `tests/sarif-schema-2.1.0.json`, as shipped by the `serde-sarif` crate), the JSON
//! output against its published schema (`docs/report.schema.json`), fingerprints that survive
//! moved lines, and output files.

use std::path::{Path, PathBuf};

use codespan_reporting::term::termcolor::NoColor;
use uplint::cli::{Env, Status, run, run_in};

mod common;
use common::uplint_in;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn uplint(args: &[&str]) -> (Status, String, String) {
    uplint_in(root(), args)
}

const FORMATS: &[&str] =
    &["human", "concise", "json", "json-lines", "sarif", "github", "gitlab", "junit", "checkstyle"];

const CLEAN: &str = "fixtures/formats/clean";

#[test]
fn every_format_on_the_demo_project() {
    for format in FORMATS {
        let (status, out, err) = uplint(&["check", "fixtures/demo", "--format", format]);
        assert_eq!(status, Status::Failure, "{format}: {err}");
        assert!(err.is_empty(), "{format}: {err}");
        insta::assert_snapshot!(format!("demo_{format}"), without_pages(format, out));
    }
}

#[test]
fn every_format_on_a_clean_project() {
    for format in FORMATS {
        let (status, out, err) = uplint(&["check", CLEAN, "--format", format]);
        assert_eq!(status, Status::Success, "{format}: {err}");
        insta::assert_snapshot!(format!("clean_{format}"), without_pages(format, out));
    }
}

/// SARIF carries every code's documentation page as its help; the snapshots stand the page in
/// with its code (the pages have tests of their own), after checking that it is the page.
fn without_pages(format: &str, out: String) -> String {
    if format != "sarif" {
        return out;
    }
    let mut sarif: serde_json::Value = serde_json::from_str(&out).unwrap();
    let catalog = uplint::rules::catalog();
    for rule in sarif["runs"][0]["tool"]["driver"]["rules"].as_array_mut().unwrap() {
        let code = rule["id"].as_str().unwrap().to_string();
        let page = catalog.iter().find(|c| c.code == code).unwrap().doc;
        assert_eq!(rule["help"]["markdown"], page, "{code}");
        assert_eq!(rule["help"]["text"], page, "{code}");
        rule["help"] = serde_json::json!({"text": format!("[the page of {code}]")});
    }
    serde_json::to_string_pretty(&sarif).unwrap() + "\n"
}

fn validate(schema: &serde_json::Value, instance: &serde_json::Value) -> Vec<String> {
    let validator = jsonschema::validator_for(schema).expect("the schema compiles");
    validator.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

fn schema(path: &str) -> serde_json::Value {
    let mut text = std::fs::read_to_string(root().join(path)).unwrap();
    if path.ends_with("sarif-schema-2.1.0.json") {
        // The published schema has a typo in the pattern of `language` (of runs and tool
        // components: a stray `]` where
        // `(-[a-zA-Z]{2})?` was meant), which the validator's regex check rejects; uplint never
        // writes `language`. The vendored file is kept as published; the fix is made here.
        let typo = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
        assert_eq!(text.matches(typo).count(), 2, "the vendored schema is the published one");
        text = text.replace(typo, r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#);
    }
    serde_json::from_str(&text).unwrap()
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let schema = schema("tests/sarif-schema-2.1.0.json");
    assert_eq!(schema["title"], "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema");
    for target in ["fixtures/demo", CLEAN, "fixtures/queries"] {
        let (_, out, _) = uplint(&["check", target, "--format", "sarif"]);
        let sarif: serde_json::Value = serde_json::from_str(&out).unwrap();
        let errors = validate(&schema, &sarif);
        assert!(errors.is_empty(), "{target}:\n{}", errors.join("\n"));
        // What GitHub code scanning needs beyond the schema.
        assert_eq!(sarif["version"], "2.1.0");
        let run = &sarif["runs"][0];
        assert_eq!(sarif["runs"].as_array().unwrap().len(), 1);
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert!(rules.iter().any(|r| r["id"] == "UP001" && r["name"] == "cross-database-without-identity"));
        for rule in rules {
            assert!(rule["shortDescription"]["text"].is_string(), "{rule}");
            assert!(rule["fullDescription"]["text"].is_string(), "{rule}");
            assert!(rule["help"]["text"].is_string(), "{rule}");
            assert!(rule["defaultConfiguration"]["level"].is_string(), "{rule}");
        }
        for result in run["results"].as_array().unwrap() {
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], result["ruleId"]);
            let location = &result["locations"][0]["physicalLocation"];
            assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
            assert!(!location["artifactLocation"]["uri"].as_str().unwrap().starts_with('/'));
            assert!(result["partialFingerprints"]["uplint/v1"].is_string());
            assert!(result["locations"].as_array().unwrap().len() <= 10);
        }
    }
}

#[test]
fn a_broken_sarif_document_fails_the_schema() {
    // The validation above can fail: a result without a message is rejected.
    let schema = schema("tests/sarif-schema-2.1.0.json");
    let (_, out, _) = uplint(&["check", "fixtures/demo", "--format", "sarif"]);
    let mut sarif: serde_json::Value = serde_json::from_str(&out).unwrap();
    sarif["runs"][0]["results"][0].as_object_mut().unwrap().remove("message");
    assert!(!validate(&schema, &sarif).is_empty());
}

#[test]
fn json_output_follows_its_published_schema() {
    let schema = schema("docs/report.schema.json");
    for target in ["fixtures/demo", CLEAN, "fixtures/queries", "fixtures/scripts"] {
        let (_, out, _) = uplint(&["check", target, "--format", "json"]);
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        let errors = validate(&schema, &report);
        assert!(errors.is_empty(), "{target}:\n{}", errors.join("\n"));
        let (_, lines, _) = uplint(&["check", target, "--format", "json-lines"]);
        let diagnostic = serde_json::json!({"$ref": "#/$defs/diagnostic", "$defs": schema["$defs"]});
        let mut count = 0;
        for line in lines.lines() {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(validate(&diagnostic, &value).is_empty(), "{line}");
            count += 1;
        }
        assert_eq!(count, report["diagnostics"].as_array().unwrap().len());
    }
    let mut broken: serde_json::Value =
        serde_json::from_str(&uplint(&["check", "fixtures/demo", "--format", "json"]).1).unwrap();
    broken["diagnostics"][0]["severity"] = "fatal".into();
    assert!(!validate(&schema, &broken).is_empty());
}

/// A copy of the demo project in a fresh folder.
fn demo_copy(name: &str) -> PathBuf {
    let target = std::env::temp_dir().join(format!("uplint-formats-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&target);
    for entry in walk(&root().join("fixtures/demo")) {
        let relative = entry.strip_prefix(root().join("fixtures/demo")).unwrap();
        std::fs::create_dir_all(target.join(relative).parent().unwrap()).unwrap();
        std::fs::copy(&entry, target.join(relative)).unwrap();
    }
    target
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { files.extend(walk(&path)) } else { files.push(path) }
    }
    files
}

fn fingerprints(dir: &Path, format: &str) -> Vec<String> {
    let (_, out, _) = uplint_in(dir, &["check", ".", "--format", format]);
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    match format {
        "sarif" => value["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"]["uplint/v1"].as_str().unwrap().to_string())
            .collect(),
        _ => value.as_array().unwrap().iter().map(|i| i["fingerprint"].as_str().unwrap().to_string()).collect(),
    }
}

#[test]
fn fingerprints_do_not_change_when_lines_move() {
    let dir = demo_copy("fingerprints");
    let before = fingerprints(&dir, "sarif");
    let gitlab_before = fingerprints(&dir, "gitlab");
    assert!(before.len() >= 6, "{before:?}");
    let mut unique = before.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), before.len(), "fingerprints are distinct");
    for file in ["sales/policies.kql", "sales/functions.kql", "environment.kql"] {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("// moved down\n\n\n{}", text.replace("\n\n", "\n\n\n"))).unwrap();
    }
    let (_, out, _) = uplint_in(&dir, &["check", ".", "--format", "json"]);
    let moved: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(moved["diagnostics"][0]["range"]["start"]["line"].as_u64().unwrap() > 5, "the lines did move");
    assert_eq!(fingerprints(&dir, "sarif"), before);
    assert_eq!(fingerprints(&dir, "gitlab"), gitlab_before);
    // A different finding gets a different fingerprint.
    let path = dir.join("sales/policies.kql");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("sales-ingestion", "sales-ingest")).unwrap();
    let changed = fingerprints(&dir, "sarif");
    assert_eq!(changed.iter().filter(|f| !before.contains(f)).count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn several_formats_in_one_run_and_files_written_on_clean_runs() {
    let dir = std::env::temp_dir().join(format!("uplint-outputs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sarif = dir.join("u.sarif");
    let junit = dir.join("u.xml");
    let (status, out, err) = uplint(&[
        "check",
        CLEAN,
        "--format",
        "concise",
        "--format",
        "sarif",
        "--output-file",
        sarif.to_str().unwrap(),
        "--format",
        "junit",
        "--output-file",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(status, Status::Success, "{err}");
    assert_eq!(out, "", "a clean concise report is empty");
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(written["runs"][0]["results"], serde_json::json!([]));
    assert!(std::fs::read_to_string(&junit).unwrap().contains("<testsuites"));
    let (status, out, _) = uplint(&[
        "check",
        "fixtures/demo",
        "--format",
        "human",
        "--format",
        "json",
        "--output-file",
        dir.join("r.json").to_str().unwrap(),
    ]);
    assert_eq!(status, Status::Failure);
    assert!(out.contains("error[UP001"), "{out}");
    let (_, json, _) = uplint(&["check", "fixtures/demo", "--format", "json"]);
    assert_eq!(std::fs::read_to_string(dir.join("r.json")).unwrap(), json, "the file is the stdout report");
    let (status, _, err) = uplint(&[
        "check",
        CLEAN,
        "--format",
        "sarif",
        "--output-file",
        dir.join("no/such/folder/u.sarif").to_str().unwrap(),
    ]);
    assert_eq!(status, Status::Error);
    assert!(err.contains("cannot write"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn github_annotations_are_chosen_on_github_actions() {
    let run_with = |vars: &'static [(&'static str, &'static str)], args: &[&str]| {
        let var = move |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
        let mut stdin = std::io::empty();
        let mut stdout = NoColor::new(Vec::new());
        let mut stderr = NoColor::new(Vec::new());
        let mut argv = vec!["uplint"];
        argv.extend_from_slice(args);
        let status = run_in(argv, root(), &mut Env { var: &var, stdin: &mut stdin }, &mut stdout, &mut stderr);
        (status, String::from_utf8(stdout.into_inner()).unwrap())
    };
    let (status, out) = run_with(&[("GITHUB_ACTIONS", "true")], &["check", "fixtures/demo"]);
    assert_eq!(status, Status::Failure);
    assert!(out.starts_with("::error file=fixtures/demo/sales/policies.kql,line=5,endLine=5,col=56,"), "{out}");
    assert!(out.contains("error[UP001(cross-database-without-identity)]"), "the human report follows: {out}");
    let (_, out) = run_with(&[("GITHUB_ACTIONS", "true")], &["check", "fixtures/demo", "--format", "concise"]);
    assert!(!out.contains("::error"), "{out}");
    let (_, out) = run_with(&[], &["check", "fixtures/demo"]);
    assert!(!out.contains("::error"), "{out}");
}

#[test]
fn exit_policy() {
    // UP005 is a warning: errors-only runs pass, `--fail-on warning` fails.
    let warnings = "fixtures/rules/UP005/fires/system_reads_another_database";
    let (status, out, _) = uplint(&["check", warnings, "--format", "concise"]);
    assert!(out.contains("warning[UP005]") && !out.contains("error["), "{out}");
    assert_eq!(status, Status::Success);
    assert_eq!(uplint(&["check", warnings, "--fail-on", "warning"]).0, Status::Failure);
    assert_eq!(uplint(&["check", warnings, "--fail-on", "info"]).0, Status::Failure);
    assert_eq!(uplint(&["check", warnings, "--fail-on", "error"]).0, Status::Success);
    assert_eq!(uplint(&["check", "fixtures/demo", "--exit-zero"]).0, Status::Success);
    assert_eq!(uplint(&["check", "fixtures/demo", "--fail-on", "fatal"]).0, Status::Error);
    assert_eq!(uplint(&["check", "src"]).0, Status::Error, "no input");
}

#[test]
fn statistics_count_each_code() {
    let (status, out, _) = uplint(&["check", "fixtures/demo", "--statistics"]);
    assert_eq!(status, Status::Failure);
    insta::assert_snapshot!("demo_statistics", out);
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let (status, out, err) = uplint(&["completions", shell]);
        assert_eq!(status, Status::Success, "{shell}: {err}");
        assert!(out.contains("uplint") && out.contains("fail-on") && out.contains("stdin-filename"), "{shell}");
    }
    assert_eq!(uplint(&["completions", "cmd"]).0, Status::Error);
}

/// A terminal whose reader went away.
struct ClosedPipe;

impl std::io::Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
}

impl codespan_reporting::term::termcolor::WriteColor for ClosedPipe {
    fn supports_color(&self) -> bool {
        false
    }
    fn set_color(&mut self, _: &codespan_reporting::term::termcolor::ColorSpec) -> std::io::Result<()> {
        Ok(())
    }
    fn reset(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_closed_pipe_ends_quietly_with_the_usual_status() {
    for format in FORMATS {
        let mut stderr = NoColor::new(Vec::new());
        let status =
            run(["uplint", "check", "fixtures/demo", "--format", format], root(), &mut ClosedPipe, &mut stderr);
        assert_eq!(status, Status::Failure, "{format}");
        assert!(stderr.get_ref().is_empty(), "{format}: {}", String::from_utf8_lossy(stderr.get_ref()));
    }
    let mut stderr = NoColor::new(Vec::new());
    assert_eq!(run(["uplint", "check", CLEAN], root(), &mut ClosedPipe, &mut stderr), Status::Success);
}

#[test]
fn github_says_how_many_diagnostics_are_beyond_its_annotation_limit() {
    let dir = std::env::temp_dir().join(format!("uplint-annotations-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Twelve queries that do not parse: twelve errors.
    std::fs::write(dir.join("bad.kql"), "T | where x ==\n\n".repeat(12)).unwrap();
    let (status, out, _) = uplint_in(&dir, &["check", ".", "--format", "github"]);
    assert_eq!(status, Status::Failure);
    assert_eq!(out.lines().filter(|l| l.starts_with("::error ")).count(), 12);
    assert!(out.ends_with("::notice title=uplint::GitHub shows 10 error and 10 warning annotations per step: 2 of 12 diagnostics are not annotated; the report and SARIF (code scanning) have them all\n"), "{out}");
    let (_, demo, _) = uplint(&["check", "fixtures/demo", "--format", "github"]);
    assert!(!demo.contains("::notice"), "{demo}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A policy written on one long line: the human snippet shows a window of the line around each
/// label, `…` where it leaves text out, with the file's own line and column numbers.
#[test]
fn human_snippets_window_a_long_line() {
    let dir = std::env::temp_dir().join(format!("uplint-long-line-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let entries: Vec<String> = (0..12)
        .map(|i| {
            let query = if i == 9 { "Source | join (database(\\\"Other\\\").T) on a" } else { "Source | take 1" };
            format!(
                "{{\"IsEnabled\": true, \"Source\": \"Source\", \"Query\": \"{query}\", \"IsTransactional\": true}}"
            )
        })
        .collect();
    let text = format!(
        "#connect cluster('c').database('Db')\n.create table Source (a:string)\n.create table Target (a:string)\n.alter table Target policy update @'[{}]'\n",
        entries.join(", ")
    );
    std::fs::write(dir.join("policy.kql"), text).unwrap();
    let (_, out, err) = uplint_in(&dir, &["check", "--isolated", "policy.kql"]);
    assert!(err.is_empty(), "{err}");
    insta::assert_snapshot!("long_line_human", out);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The note of a file that names no database is shown once per file in the human output (it was
/// on every finding: a third of a long report), and stays on each finding in the formats whose
/// findings stand alone (JSON, GitHub annotations).
#[test]
fn the_note_of_a_file_without_a_database_is_shown_once_per_file() {
    let project = "fixtures/rules/UP004/fires/no_grant";
    let note = "names no database";
    let (_, human, _) = uplint(&["check", project]);
    assert_eq!(human.matches("error[").count() + human.matches("warning[").count(), 2, "{human}");
    assert_eq!(human.matches(note).count(), 1, "{human}");
    let (_, json, _) = uplint(&["check", project, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 2);
    for diagnostic in diagnostics {
        let notes = diagnostic["notes"].as_array().unwrap();
        assert!(notes.last().and_then(|n| n.as_str()).is_some_and(|n| n.contains(note)), "{diagnostic}");
    }
    let (_, github, _) = uplint(&["check", project, "--format", "github"]);
    assert_eq!(github.matches(note).count(), 2, "{github}");
}
