//! The `uplint check` command lines that the README (CI, pre-commit and editor set-ups) and
//! `action.yml` give are accepted and do what they say, run on a copy of the demo project.

use std::path::Path;

use codespan_reporting::term::termcolor::NoColor;
use uplint::cli::{Env, Status, run_in};

mod common;
use common::copy_demo;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `uplint check ...` command line of `text` (also the action's `".../uplint" check`),
/// cut at `||` and split into words without quotes.
fn command_lines(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter_map(|line| {
            let at = line.find("uplint check").or_else(|| line.find("uplint/bin/uplint\" check"))?;
            // Prose (`uplint check` in backquotes) is not a command line.
            if line[..at].ends_with('`') || line.trim_start().starts_with('#') {
                return None;
            }
            let command = &line[at..];
            let command = command.split("||").next().unwrap();
            let words: Vec<String> = command
                .split_whitespace()
                .map(|w| w.trim_matches(|c| c == '"' || c == '\'' || c == ',').to_string())
                .filter(|w| !w.is_empty())
                .collect();
            Some(words)
        })
        .collect()
}

fn run_line(words: &[String], cwd: &Path) -> (Status, String) {
    let substituted: Vec<String> = words
        .iter()
        .skip(1)
        .filter(|w| *w != "$UPLINT_ARGS")
        .map(|w| match w.as_str() {
            "$UPLINT_PATHS" => ".".to_string(),
            "$UPLINT_SARIF" => "uplint.sarif".to_string(),
            "${file}" | "${INPUT}" => "sales/policies.kql".to_string(),
            other => other.to_string(),
        })
        .collect();
    let mut argv = vec!["uplint".to_string()];
    argv.extend(substituted);
    let buffer = std::fs::read_to_string(cwd.join("sales/policies.kql")).unwrap();
    let mut stdin = buffer.as_bytes();
    let mut stdout = NoColor::new(Vec::new());
    let mut stderr = NoColor::new(Vec::new());
    let status = run_in(argv, cwd, &mut Env { var: &|_| None, stdin: &mut stdin }, &mut stdout, &mut stderr);
    let err = String::from_utf8(stderr.into_inner()).unwrap();
    (status, format!("{}{err}", String::from_utf8(stdout.into_inner()).unwrap()))
}

#[test]
fn documented_command_lines_run() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let action = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let mut lines = command_lines(&readme);
    let from_action = command_lines(&action);
    assert_eq!(from_action.len(), 1, "the action runs uplint check once");
    lines.extend(from_action);
    // GitLab CI, the VS Code task, efm-langserver, the action (and any added later).
    assert!(lines.len() >= 4, "{lines:?}");
    let dir = copy_demo("commands");
    for words in &lines {
        let (status, out) = run_line(words, &dir);
        assert_ne!(status, Status::Error, "{words:?}:\n{out}");
        for pair in words.windows(2) {
            if pair[0] == "--output-file" && !pair[1].starts_with('$') {
                let written = dir.join(&pair[1]);
                assert!(written.is_file(), "{words:?} writes {}", written.display());
                std::fs::remove_file(written).unwrap();
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_editor_set_ups_read_the_buffer_as_the_file() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let stdin_lines: Vec<Vec<String>> =
        command_lines(&readme).into_iter().filter(|w| w.iter().any(|x| x == "--stdin-filename")).collect();
    assert!(!stdin_lines.is_empty());
    let dir = copy_demo("stdin");
    for words in stdin_lines {
        let (status, out) = run_line(&words, &dir);
        assert_eq!(status, Status::Failure, "{words:?}:\n{out}");
        assert!(out.lines().all(|l| l.starts_with("sales/policies.kql:")), "{words:?}:\n{out}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
