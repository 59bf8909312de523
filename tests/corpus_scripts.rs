//! The script parser on the corpus of real management scripts (`../shared/corpus/scripts`, or
//! `$UPLINT_CORPUS/scripts`): every file loads without panic, and every update policy command
//! written in the files is found, its JSON parsed, and the `Query` of each entry parsed without
//! a syntax error, except the files listed in `tests/corpus-scripts-known-differences.txt`.

mod common;
use common::known_differences;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use uplint::script::command::{CommandKind, PolicyVerb};
use uplint::script::payload::JsonKind;
use uplint::script::{Item, parse_script};

/// Update policy commands as a plain reading of the text counts them: lines that start with
/// `.alter`, `.alter-merge` or `.delete` `table` and say `policy update`.
fn written_policy_commands(text: &str) -> usize {
    text.lines()
        .map(str::trim_start)
        .filter(|line| {
            [".alter table ", ".alter-merge table ", ".delete table "].iter().any(|p| line.starts_with(p))
                && line.split_whitespace().collect::<Vec<_>>().windows(2).any(|w| w == ["policy", "update"])
        })
        .count()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).into_iter().filter_map(Result::ok) {
        if entry.file_type().is_file() {
            files.push(entry.into_path());
        }
    }
    files.sort();
    files
}

#[test]
fn finds_and_parses_every_update_policy_of_the_corpus() {
    let Some(dir) = common::corpus_path("scripts") else { return };
    let verbose = common::verbose();
    let known = known_differences("corpus-scripts-known-differences.txt");
    let (mut written, mut found, mut entries, mut queries_ok) = (0, 0, 0, 0);
    let mut problems = BTreeMap::new();
    let mut panics = Vec::new();
    let mut seen_known = Vec::new();
    let files = files(&dir);
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let relative = file.strip_prefix(&dir).unwrap().to_string_lossy().replace('\\', "/");
        let outcome = std::panic::catch_unwind(|| {
            let script = parse_script(&text);
            let mut counts = (0, 0, 0);
            let mut issues = Vec::new();
            for item in &script.items {
                let Item::Command { command, .. } = item else { continue };
                let CommandKind::UpdatePolicy { verb, payload, .. } = &command.kind else { continue };
                counts.0 += 1;
                if *verb == PolicyVerb::Delete {
                    continue;
                }
                let Some(payload) = payload else {
                    issues.push(format!("no payload at byte {}", command.span.start));
                    continue;
                };
                if let Err(error) = &payload.json {
                    issues.push(format!("JSON error at byte {}: {}", error.span.start, error.message));
                    continue;
                }
                for entry in payload.entries() {
                    counts.1 += 1;
                    match entry.member("Query").map(|m| &m.value.kind) {
                        Some(JsonKind::String { value, .. }) => {
                            let analyzed = uplint::kql::analyze_query(value);
                            match analyzed.errors().first() {
                                None => counts.2 += 1,
                                Some(e) => issues.push(format!("Query {value:?}: {}", e.message)),
                            }
                        }
                        _ => issues.push(format!("entry without a string Query at byte {}", entry.span.start)),
                    }
                }
            }
            (counts, issues)
        });
        let Ok(((commands, file_entries, parsed), mut issues)) = outcome else {
            panics.push(relative);
            continue;
        };
        let expected = written_policy_commands(&text);
        if commands != expected {
            issues.push(format!("{commands} update policy commands found, {expected} written"));
        }
        written += expected;
        found += commands;
        entries += file_entries;
        queries_ok += parsed;
        if !issues.is_empty() {
            if known.contains_key(&relative) {
                seen_known.push(relative);
            } else {
                problems.insert(relative, issues);
            }
        }
    }
    println!(
        "corpus scripts: {} files, {written} update policy commands written, {found} found, {entries} entries, \
         {queries_ok} queries parsed, {} files with problems, {} known differences",
        files.len(),
        problems.len(),
        known.len()
    );
    if verbose {
        for (path, issues) in &problems {
            println!("PROBLEM {path}: {issues:?}");
        }
    }
    assert!(panics.is_empty(), "panicked on: {panics:?}");
    let stale: Vec<_> = known.keys().filter(|k| !seen_known.contains(k)).collect();
    assert!(stale.is_empty(), "known differences that no longer differ (remove them): {stale:?}");
    assert!(problems.is_empty(), "{} files with problems: {problems:#?}", problems.len());
}

/// `check --fix` on the real scripts: every safe fix made (the corpus's string booleans, in
/// every literal form they are written in), checked again, no finding of that code is left and
/// every other finding is as before (nothing else the files mean changed), a second round finds
/// nothing to fix.
#[test]
fn the_safe_fixes_of_the_corpus_change_nothing_else() {
    use uplint::diagnostic::Diagnostic;
    use uplint::workspace::{LoadOptions, Workspace, from_texts};
    let Some(dir) = common::corpus_path("scripts") else { return };
    let texts: Vec<(String, String)> = files(&dir)
        .iter()
        .map(|file| {
            let relative = file.strip_prefix(&dir).unwrap().to_string_lossy().replace('\\', "/");
            (relative, String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned())
        })
        .collect();
    let load = |texts: &[(String, String)]| {
        let files: Vec<(&str, &str)> = texts.iter().map(|(path, text)| (path.as_str(), text.as_str())).collect();
        from_texts(&files, &LoadOptions::default())
    };
    let check = |workspace: &Workspace| uplint::check::check(workspace, &Default::default());
    let described = |workspace: &Workspace, found: &[Diagnostic]| -> Vec<String> {
        let mut all: Vec<String> = found
            .iter()
            .filter(|d| d.fix.is_none())
            .map(|d| format!("{} {} {}", d.code.code, workspace.sources.get(d.primary.file).display, d.message))
            .collect();
        all.sort();
        all
    };
    let before = load(&texts);
    let found = check(&before);
    let fixable: Vec<&Diagnostic> = found.iter().filter(|d| d.fix.is_some()).collect();
    assert!(fixable.len() > 1000, "the corpus writes many string booleans: {}", fixable.len());
    let plan = uplint::fix::plan(fixable.iter().copied());
    let mut fixed = texts.clone();
    for (file, fixes) in &plan {
        let path = &before.sources.get(*file).display;
        let (_, text) = fixed.iter_mut().find(|(p, _)| p == path).unwrap();
        *text = uplint::fix::apply(text, fixes).expect("fixes fall on characters");
    }
    let after = load(&fixed);
    let found_after = check(&after);
    assert!(found_after.iter().all(|d| d.fix.is_none()), "nothing left to fix");
    assert_eq!(described(&after, &found_after), described(&before, &found));
}
