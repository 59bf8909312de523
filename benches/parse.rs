//! Parse-and-extract throughput over the corpus queries, single thread.
//!
//! Reads `$UPLINT_CORPUS/queries/*.jsonl` (default `../shared/corpus`); without the corpus it
//! measures the query fixtures instead. Criterion reports the throughput in bytes per second.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn corpus_queries() -> Vec<String> {
    let dir = std::env::var_os("UPLINT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
        .join("queries");
    let mut queries = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            for line in text.lines() {
                if let Ok(value) = serde_json::from_str::<serde_json::Value>(line) {
                    if let Some(query) = value["query"].as_str() {
                        queries.push(query.to_string());
                    }
                }
            }
        }
    }
    if queries.is_empty() {
        let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/queries");
        for entry in std::fs::read_dir(fixtures).unwrap() {
            queries.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
        }
    }
    queries
}

fn bench(c: &mut Criterion) {
    let queries = corpus_queries();
    let bytes: usize = queries.iter().map(String::len).sum();
    let mut group = c.benchmark_group("corpus");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(30);
    group.bench_function("lex", |b| {
        b.iter(|| {
            for query in &queries {
                black_box(uplint::kql::lexer::lex(black_box(query)));
            }
        })
    });
    group.bench_function("parse_and_extract", |b| {
        b.iter(|| {
            for query in &queries {
                black_box(uplint::kql::analyze_query(black_box(query)));
            }
        })
    });
    group.finish();
}

/// The management scripts of the corpus (or the demo project): every file's text.
fn corpus_scripts() -> Vec<(String, String)> {
    let dir = std::env::var_os("UPLINT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
        .join("scripts");
    let dir = if dir.exists() { dir } else { PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo") };
    let mut files: Vec<(String, String)> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let text = String::from_utf8_lossy(&std::fs::read(e.path()).unwrap_or_default()).into_owned();
            (e.path().display().to_string(), text)
        })
        .collect();
    files.sort();
    files
}

/// A whole project checked: scripts parsed, model built, every unit analysed, every policy
/// resolved, every rule run.
fn bench_check(c: &mut Criterion) {
    let files = corpus_scripts();
    let bytes: usize = files.iter().map(|(_, text)| text.len()).sum();
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let mut group = c.benchmark_group("project");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(20);
    group.bench_function("check_corpus_scripts", |b| {
        b.iter(|| {
            let workspace = uplint::workspace::from_texts(black_box(&borrowed), &Default::default());
            black_box(uplint::check::check(&workspace, &Default::default()))
        })
    });
    group.finish();
}

criterion_group!(benches, bench, bench_check);
criterion_main!(benches);
