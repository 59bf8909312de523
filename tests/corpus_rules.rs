//! Every rule on the corpus of real management scripts (`../shared/corpus/scripts`, or
//! `$UPLINT_CORPUS/scripts`): checked as one project and as one project per top folder (each
//! a repository), without a panic. Prints how many diagnostics of each code the corpus raises
//! (`cargo test --test corpus_rules -- --nocapture`); `UPLINT_CORPUS_VERBOSE=1` prints them.

mod common;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use uplint::check::check;
use uplint::rules::Settings;
use uplint::workspace::{LoadOptions, load};

/// The diagnostics of the project at `dir` per code, or the panic message.
fn run(dir: &Path, verbose: bool) -> Result<BTreeMap<&'static str, usize>, String> {
    let outcome = std::panic::catch_unwind(|| {
        let workspace = load(&[dir.to_path_buf()], dir, &LoadOptions::default()).expect("the corpus has scripts");
        let diagnostics = check(&workspace, &Settings::default());
        let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
        for d in &diagnostics {
            *counts.entry(d.code.code).or_default() += 1;
            if verbose && !d.code.code.starts_with("UP9") {
                let file = workspace.sources.get(d.primary.file);
                let line = file.position(d.primary.span.start as usize).line;
                eprintln!("{} {}:{line}: {}", d.code.code, file.display, d.message);
            }
        }
        counts
    });
    outcome.map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

fn show(counts: &BTreeMap<&'static str, usize>) -> String {
    counts.iter().map(|(code, n)| format!("{code}={n}")).collect::<Vec<_>>().join(" ")
}

#[test]
fn every_rule_runs_on_the_corpus_without_panicking() {
    let Some(dir) = common::corpus_path("scripts") else { return };
    let verbose = common::verbose();
    let mut panics = Vec::new();
    let mut folders: Vec<PathBuf> =
        std::fs::read_dir(&dir).unwrap().filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    folders.sort();
    let mut per_folder_total: BTreeMap<&'static str, usize> = BTreeMap::new();
    for folder in &folders {
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        match run(folder, verbose) {
            Ok(counts) => {
                eprintln!("{name}: {}", show(&counts));
                for (code, n) in counts {
                    *per_folder_total.entry(code).or_default() += n;
                }
            }
            Err(message) => panics.push(format!("{name}: {message}")),
        }
    }
    eprintln!("one project per top folder, in total: {}", show(&per_folder_total));
    match run(&dir, false) {
        Ok(counts) => eprintln!("the whole corpus as one project: {}", show(&counts)),
        Err(message) => panics.push(format!("the whole corpus: {message}")),
    }
    assert!(panics.is_empty(), "panics:\n{}", panics.join("\n"));
}
