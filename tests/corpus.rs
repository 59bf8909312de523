//! uplint's reference extractor measured against Microsoft's parser (Kusto.Language) on the
//! corpus of real queries in `../shared/corpus` (or `$UPLINT_CORPUS`).
//!
//! For every query Kusto.Language accepts, the tables read, the other databases and the other
//! clusters must agree exactly for at least 99% of queries, and uplint must report no syntax
//! error, except for the queries listed in `tests/corpus-known-differences.txt` with a reason.
//! Set `UPLINT_CORPUS_VERBOSE=1` to print every disagreement.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;
use uplint::kql::{self, references::EntityKind};

type Triple = (Option<String>, Option<String>, String);
type Pair = (Option<String>, String);

#[derive(Debug, Default, PartialEq)]
struct Answer {
    tables: BTreeSet<Triple>,
    databases: BTreeSet<Pair>,
    clusters: BTreeSet<String>,
}

fn corpus_dir() -> PathBuf {
    std::env::var_os("UPLINT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
}

fn opt(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn expected_answer(v: &Value) -> Answer {
    let list = |key: &str| v[key].as_array().cloned().unwrap_or_default();
    Answer {
        tables: list("tables").iter().map(|t| (opt(&t[0]), opt(&t[1]), opt(&t[2]).unwrap_or_default())).collect(),
        databases: list("databases").iter().map(|d| (opt(&d[0]), opt(&d[1]).unwrap_or_default())).collect(),
        clusters: list("clusters").iter().filter_map(opt).collect(),
    }
}

/// uplint's answer, in the terms of the expected file: tables read; databases and clusters of
/// everything read (a database written with a wildcard is not a database).
fn uplint_answer(analysis: &kql::Analysis) -> Answer {
    let mut answer = Answer::default();
    for read in &analysis.reads {
        let e = &read.entity;
        if e.kind == EntityKind::Table {
            answer.tables.insert((e.cluster.clone(), e.database.clone(), e.name.clone()));
        }
        if let Some(db) = e.database.as_ref().filter(|d| !d.contains('*')) {
            answer.databases.insert((e.cluster.clone(), db.clone()));
        }
        if let Some(cluster) = &e.cluster {
            answer.clusters.insert(cluster.clone());
        }
    }
    answer
}

/// `kind | id | reason` lines; `kind` is `syntax` (uplint reports a syntax error Kusto does not)
/// or `reads` (the answers differ and uplint's is believed right).
fn known_differences() -> BTreeMap<(String, String), String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus-known-differences.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut known = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let parts: Vec<&str> = line.splitn(3, " | ").collect();
        assert!(
            parts.len() == 3 && !parts[2].trim().is_empty(),
            "malformed known difference (kind | id | reason): {line}"
        );
        assert!(parts[0] == "syntax" || parts[0] == "reads", "unknown kind in: {line}");
        known.insert((parts[0].to_string(), parts[1].to_string()), parts[2].to_string());
    }
    known
}

#[test]
fn agrees_with_kusto_language_on_the_corpus() {
    let dir = corpus_dir();
    let expected_path = dir.join("expected/queries.jsonl");
    if !expected_path.exists() {
        // Required when named explicitly (as `.ci/run` does), optional otherwise.
        assert!(std::env::var_os("UPLINT_CORPUS").is_none(), "UPLINT_CORPUS names no corpus: {}", dir.display());
        eprintln!("corpus not found at {}: skipped (set UPLINT_CORPUS)", dir.display());
        return;
    }
    let verbose = std::env::var_os("UPLINT_CORPUS_VERBOSE").is_some();
    let mut expected = BTreeMap::new();
    for line in std::fs::read_to_string(&expected_path).unwrap().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        expected.insert(v["id"].as_str().unwrap().to_string(), v);
    }
    let mut queries = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir.join("queries")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for file in files {
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            queries.push((v["id"].as_str().unwrap().to_string(), v["query"].as_str().unwrap().to_string()));
        }
    }
    let known = known_differences();
    let mut seen_known = BTreeSet::new();
    let (mut accepted, mut agree, mut panics) = (0usize, 0usize, Vec::new());
    let mut false_errors = Vec::new();
    let mut disagreements = Vec::new();
    for (id, query) in &queries {
        let outcome = std::panic::catch_unwind(|| {
            if kql::starts_with_command(query) {
                // A management command, not a query: nothing to read until commands are parsed.
                return (Vec::new(), Answer::default());
            }
            let analyzed = kql::analyze_query(query);
            (analyzed.errors, uplint_answer(&analyzed.analysis))
        });
        let Ok((errors, answer)) = outcome else {
            panics.push(id.clone());
            continue;
        };
        let Some(exp) = expected.get(id) else { continue };
        if exp["ok"] != Value::Bool(true) {
            continue;
        }
        accepted += 1;
        if !errors.is_empty() {
            let key = ("syntax".to_string(), id.clone());
            if known.contains_key(&key) {
                seen_known.insert(key);
            } else {
                let e = &errors[0];
                false_errors.push(format!("{id}: {} at byte {}", e.message, e.span.start));
            }
        }
        let want = expected_answer(exp);
        if answer == want {
            agree += 1;
        } else {
            let key = ("reads".to_string(), id.clone());
            if known.contains_key(&key) {
                seen_known.insert(key);
            }
            disagreements.push(format!("{id}\n    uplint:          {answer:?}\n    Kusto.Language:  {want:?}"));
        }
    }
    let rate = agree as f64 / accepted.max(1) as f64 * 100.0;
    println!(
        "corpus: {} queries, {accepted} accepted by Kusto.Language; uplint agrees on {agree} ({rate:.2}%), \
         {} disagreements, {} false syntax errors, {} known differences listed",
        queries.len(),
        disagreements.len(),
        false_errors.len(),
        known.len()
    );
    if verbose {
        for d in &disagreements {
            println!("DIFF {d}");
        }
    }
    assert!(panics.is_empty(), "panicked on: {panics:?}");
    assert!(false_errors.is_empty(), "false syntax errors:\n{}", false_errors.join("\n"));
    let stale: Vec<_> = known.keys().filter(|k| !seen_known.contains(*k)).collect();
    assert!(stale.is_empty(), "known differences that no longer differ (remove them): {stale:?}");
    assert!(
        (known.len() as f64) < queries.len() as f64 * 0.01,
        "the known-differences list must stay under 1% of the corpus"
    );
    assert!(rate >= 99.0, "agreement {rate:.2}% is below 99%; run with UPLINT_CORPUS_VERBOSE=1");
}
