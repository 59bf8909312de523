//! uplint's reference extractor measured against Microsoft's parser (Kusto.Language) on the
//! corpus of real queries in `../shared/corpus` (or `$UPLINT_CORPUS`).
//!
//! For every query Kusto.Language accepts, the tables read, the other databases and the other
//! clusters must agree exactly for at least 99% of queries, and uplint must report no syntax
//! error, except for the queries listed in `tests/corpus-known-differences.txt` with a reason.
//! Set `UPLINT_CORPUS_VERBOSE=1` to print every disagreement.

mod common;
use common::{corpus_dir, known_kinded_differences};
use std::collections::{BTreeMap, BTreeSet};

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
    for read in analysis.reads() {
        let e = &read.entity;
        if e.kind == EntityKind::Table {
            answer.tables.insert((
                e.cluster().map(str::to_string),
                e.database().map(str::to_string),
                e.name().to_string(),
            ));
        }
        if let Some(db) = e.database().filter(|d| !d.contains('*')) {
            answer.databases.insert((e.cluster().map(str::to_string), db.to_string()));
        }
        if let Some(cluster) = e.cluster() {
            answer.clusters.insert(cluster.to_string());
        }
    }
    answer
}

#[test]
fn agrees_with_kusto_language_on_the_corpus() {
    let Some(expected_path) = common::corpus_path("expected/queries.jsonl") else { return };
    let dir = corpus_dir();
    let verbose = common::verbose();
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
    let known = known_kinded_differences("corpus-known-differences.txt", &["syntax", "reads"]);
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
            (analyzed.errors().to_vec(), uplint_answer(&analyzed.analysis))
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

// ---------------------------------------------------------------------------------------------
// Broken queries (`expected/mutants.jsonl`): does uplint report the syntax errors Kusto.Language
// reports, and only those?

/// One mutant: a real query with one typing mistake, and Kusto.Language's verdict.
struct Mutant {
    id: String,
    kind: String,
    query: String,
    /// Kusto.Language's first syntax error (byte offset), `None` when it accepts the query.
    kusto_first: Option<usize>,
}

/// The text uplint checks: whitespace-only lines (which end a query in a script) become `//`,
/// so the file stays one query with the same lines; the offsets of the inserted `//`.
fn prepare(query: &str) -> (String, Vec<usize>) {
    let lines: Vec<&str> = query.split('\n').collect();
    let (mut out, mut inserted, mut pos) = (Vec::new(), Vec::new(), 0);
    for (i, line) in lines.iter().enumerate() {
        let blank = line.chars().all(|c| matches!(c, ' ' | '\t' | '\r' | '\u{c}' | '\u{b}'));
        let mut line = line.to_string();
        if blank && !(i == lines.len() - 1 && line.is_empty()) {
            inserted.push(pos);
            line = format!("//{line}");
        }
        pos += line.len() + 1;
        out.push(line);
    }
    (out.join("\n"), inserted)
}

/// An offset of the prepared text back to the query's.
fn original_offset(offset: usize, inserted: &[usize]) -> usize {
    let mut shift = 0;
    for &p in inserted {
        if p + 2 <= offset {
            shift += 2;
        } else if p <= offset {
            return p - shift;
        }
    }
    offset - shift
}

/// uplint's first syntax error (`UP901`) on the query as `uplint check` sees it (a `.kql` file).
fn first_syntax_error(query: &str) -> Option<(usize, String)> {
    use uplint::diagnostic::SYNTAX_ERROR;
    let (text, inserted) = prepare(query);
    let workspace = uplint::workspace::from_texts(&[("q.kql", &text)], &Default::default());
    let mut errors: Vec<_> = workspace.diagnostics.clone();
    for unit in &workspace.units {
        errors.extend(unit.diagnostics());
    }
    errors
        .into_iter()
        .filter(|d| d.code == SYNTAX_ERROR)
        .min_by_key(|d| d.primary.span.start)
        .map(|d| (original_offset(d.primary.span.start as usize, &inserted), d.message.to_string()))
}

#[derive(Default)]
struct Tally {
    n: usize,
    tp: usize,
    fn_: usize,
    fp: usize,
    tn: usize,
    located: usize,
    same_line: usize,
    near: usize,
}

impl Tally {
    fn line(&self, name: &str) -> String {
        let pct = |a: usize, b: usize| {
            if b == 0 { "     -".to_string() } else { format!("{:5.1}%", a as f64 * 100.0 / b as f64) }
        };
        format!(
            "{name:32} {:5} {:5} {:5} {:4} {:5}  {} {} {} {}",
            self.n,
            self.tp,
            self.fn_,
            self.fp,
            self.tn,
            pct(self.tp, self.tp + self.fn_),
            pct(self.tp, self.tp + self.fp),
            pct(self.same_line, self.located),
            pct(self.near, self.located)
        )
    }
}

#[test]
fn reports_the_syntax_errors_kusto_language_reports() {
    let Some(path) = common::corpus_path("expected/mutants.jsonl") else { return };
    let verbose = common::verbose();
    let mut mutants = Vec::new();
    for line in std::fs::read_to_string(&path).unwrap().lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        let kusto_first = v["syntax_errors"]
            .as_array()
            .and_then(|errors| errors.iter().filter_map(|e| e["byte_start"].as_u64()).min())
            .map(|b| b as usize);
        mutants.push(Mutant {
            id: v["id"].as_str().unwrap().to_string(),
            kind: v["kind"].as_str().unwrap_or("?").to_string(),
            query: v["query"].as_str().unwrap().to_string(),
            kusto_first: if v["ok"] == Value::Bool(true) { None } else { kusto_first.or(Some(0)) },
        });
    }
    let known = known_kinded_differences("mutants-known-differences.txt", &["missed", "false-alarm"]);
    let mut seen_known = BTreeSet::new();
    let mut unexplained = Vec::new();
    let mut per_kind: BTreeMap<String, Tally> = BTreeMap::new();
    let mut all = Tally::default();
    let mut panics = Vec::new();
    for m in &mutants {
        let Ok(uplint) = std::panic::catch_unwind(|| first_syntax_error(&m.query)) else {
            panics.push(m.id.clone());
            continue;
        };
        let line_of = |b: usize| m.query.as_bytes()[..b.min(m.query.len())].iter().filter(|&&c| c == b'\n').count();
        for t in [per_kind.entry(m.kind.clone()).or_default(), &mut all] {
            t.n += 1;
            match (m.kusto_first, &uplint) {
                (Some(k), Some((u, _))) => {
                    t.tp += 1;
                    t.located += 1;
                    let same = line_of(k) == line_of(*u);
                    let between = &m.query.as_bytes()[k.min(*u).min(m.query.len())..k.max(*u).min(m.query.len())];
                    t.same_line += same as usize;
                    t.near += (same || between.iter().all(u8::is_ascii_whitespace)) as usize;
                }
                (Some(_), None) => t.fn_ += 1,
                (None, Some(_)) => t.fp += 1,
                (None, None) => t.tn += 1,
            }
        }
        let difference = match (m.kusto_first, &uplint) {
            (Some(_), None) => Some("missed"),
            (None, Some(_)) => Some("false-alarm"),
            _ => None,
        };
        if let Some(kind) = difference {
            let key = (kind.to_string(), m.id.clone());
            if known.contains_key(&key) {
                seen_known.insert(key);
            } else {
                let what = match &uplint {
                    Some((at, message)) => format!("uplint: {message} at byte {at}"),
                    None => format!("Kusto.Language: error at byte {}", m.kusto_first.unwrap_or(0)),
                };
                unexplained.push(format!("{kind} | {} | {} | {what}", m.id, m.kind));
            }
        }
        if let (true, Some(k), Some((u, message))) = (verbose, m.kusto_first, &uplint) {
            if line_of(k) != line_of(*u) {
                println!("LINE {} | {} | Kusto at byte {k}, uplint `{message}` at byte {u}", m.id, m.kind);
            }
        }
    }
    println!(
        "{:32} {:>5} {:>5} {:>5} {:>4} {:>5}  recall precis. sameLine   near",
        "kind", "n", "TP", "FN", "FP", "TN"
    );
    for (kind, t) in &per_kind {
        println!("{}", t.line(kind));
    }
    println!("{}", all.line("ALL"));
    if verbose {
        for u in &unexplained {
            println!("DIFF {u}");
        }
    }
    let recall = all.tp as f64 / (all.tp + all.fn_).max(1) as f64;
    let precision = all.tp as f64 / (all.tp + all.fp).max(1) as f64;
    let near = all.near as f64 / all.located.max(1) as f64;
    assert!(panics.is_empty(), "panicked on: {panics:?}");
    assert!(unexplained.is_empty(), "differences from Kusto.Language not listed:\n{}", unexplained.join("\n"));
    let stale: Vec<_> = known.keys().filter(|k| !seen_known.contains(*k)).collect();
    assert!(stale.is_empty(), "known differences that no longer differ (remove them): {stale:?}");
    assert!(
        (known.len() as f64) <= mutants.len() as f64 * 0.01,
        "the mutants' known-differences list must stay at or under 1% of the mutants"
    );
    assert!(recall >= 0.99, "recall {:.2}% is below 99%", recall * 100.0);
    assert!(precision >= 0.999, "precision {:.2}% is below 99.9%", precision * 100.0);
    assert!(near >= 0.97, "first error near Kusto.Language's for {:.2}%, below 97%", near * 100.0);
}
