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

criterion_group!(benches, bench);
criterion_main!(benches);
