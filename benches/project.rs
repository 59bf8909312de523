//! Whole checks of generated projects (see `benches/support/generate.rs`), in memory:
//!
//! * `project/check_generated`: the 10,000-file project (2,000 functions in chains up to 20
//!   deep across 20 databases, 5,000 policies, grants and identity policies);
//! * `project/recheck_one_file`: one file of that project changed and checked again in the
//!   project's context, as an editor or pre-commit hook does with a warm workspace and the
//!   previous check's results kept (`check::Cache`);
//! * `adversarial/<shape>/<scale>`: the shapes that once cost quadratic time or the stack, at
//!   their goal size and at twice that size (their ratio shows the growth).
//!
//! `UPLINT_BENCH_SHAPES=chain,grants` limits the adversarial shapes measured.

#[path = "support/generate.rs"]
mod generate;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use uplint::workspace::{LoadOptions, from_texts};

fn bytes(files: &[(String, String)]) -> u64 {
    files.iter().map(|(_, text)| text.len() as u64).sum()
}

fn borrowed(files: &[(String, String)]) -> Vec<(&str, &str)> {
    files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect()
}

fn bench_project(c: &mut Criterion) {
    let files = generate::project(42, &generate::ProjectShape::default());
    let mut group = c.benchmark_group("project");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes(&files)));
    group.bench_function("check_generated", |b| {
        b.iter(|| {
            let workspace = from_texts(black_box(&borrowed(&files)), &LoadOptions::default());
            black_box(uplint::check::check(&workspace, &Default::default()))
        })
    });
    let options = LoadOptions::default();
    let mut workspace = from_texts(&borrowed(&files), &options);
    let (id, _) = workspace
        .sources
        .files()
        .find(|(_, f)| f.display.ends_with("functions/F3.kql"))
        .expect("the generated project has function files");
    let original = workspace.sources.get(id).text.to_string();
    let edited = original.replace("where Value >", "where Value >=");
    let mut flip = false;
    // What the previous check resolved and typed is kept, as the server and an editor keep it.
    let mut cache = uplint::check::Cache::default();
    uplint::check::run_cached(&workspace, &Default::default(), &mut cache);
    group.bench_function("recheck_one_file", |b| {
        b.iter(|| {
            flip = !flip;
            let text = if flip { edited.clone() } else { original.clone() };
            workspace.set_texts(vec![(id, text)], &options);
            black_box(uplint::check::run_cached(&workspace, &Default::default(), &mut cache))
        })
    });
    group.finish();
}

fn bench_adversarial(c: &mut Criterion) {
    let wanted = std::env::var("UPLINT_BENCH_SHAPES").ok();
    let mut group = c.benchmark_group("adversarial");
    group.sample_size(10);
    for &shape in generate::ADVERSARIAL {
        if wanted.as_deref().is_some_and(|w| !w.split(',').any(|s| s == shape)) {
            continue;
        }
        for scale in [1, 2] {
            let files = generate::adversarial(shape, scale).expect("a known shape");
            let options = LoadOptions { max_file_size: u64::MAX, ..LoadOptions::default() };
            group.throughput(Throughput::Bytes(bytes(&files)));
            group.bench_with_input(BenchmarkId::new(shape, scale), &files, |b, files| {
                b.iter(|| {
                    let workspace = from_texts(black_box(&borrowed(files)), &options);
                    black_box(uplint::check::check(&workspace, &Default::default()))
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_project, bench_adversarial);
criterion_main!(benches);
