//! What the tests share: `uplint` run in process, a scratch copy of the demo project, where the
//! corpus is (`../shared/corpus` beside the checkout, or `$UPLINT_CORPUS`), and the
//! known-differences lists under `tests/`.
//!
//! Each test binary compiles this module on its own and uses part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use codespan_reporting::term::termcolor::NoColor;
use uplint::cli::{Env, Status, run, run_in};

/// `uplint ARGS` run in process in `cwd`: the exit status, standard output and standard error.
pub fn uplint_in(cwd: &Path, args: &[&str]) -> (Status, String, String) {
    let mut stdout = NoColor::new(Vec::new());
    let mut stderr = NoColor::new(Vec::new());
    let mut argv = vec!["uplint"];
    argv.extend_from_slice(args);
    let status = run(argv, cwd, &mut stdout, &mut stderr);
    (status, String::from_utf8(stdout.into_inner()).unwrap(), String::from_utf8(stderr.into_inner()).unwrap())
}

/// `uplint ARGS` run in process in `cwd` with `stdin` as its standard input (and no
/// environment variables): the exit status, standard output and standard error.
pub fn uplint_with_stdin(cwd: &Path, args: &[&str], stdin: &str) -> (Status, String, String) {
    let mut input = stdin.as_bytes();
    let mut stdout = NoColor::new(Vec::new());
    let mut stderr = NoColor::new(Vec::new());
    let mut argv = vec!["uplint"];
    argv.extend_from_slice(args);
    let status = run_in(argv, cwd, &mut Env { var: &|_| None, stdin: &mut input }, &mut stdout, &mut stderr);
    (status, String::from_utf8(stdout.into_inner()).unwrap(), String::from_utf8(stderr.into_inner()).unwrap())
}

/// A copy of the demo project (`fixtures/demo`) in a fresh temporary folder named after `name`,
/// for tests that change files.
pub fn copy_demo(name: &str) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let target = std::env::temp_dir().join(format!("uplint-demo-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&target);
    for folder in ["", "sales", "reference"] {
        std::fs::create_dir_all(target.join(folder)).unwrap();
        for entry in std::fs::read_dir(source.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, target.join(folder).join(path.file_name().unwrap())).unwrap();
            }
        }
    }
    target
}

/// The corpus folder: `$UPLINT_CORPUS`, else `../shared/corpus` beside the crate.
pub fn corpus_dir() -> PathBuf {
    std::env::var_os("UPLINT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
}

/// `relative` inside the corpus when it exists. When it does not, the test is skipped with the
/// reason printed, unless `$UPLINT_CORPUS` names the corpus (as `.ci/run` does): then it fails.
pub fn corpus_path(relative: &str) -> Option<PathBuf> {
    let path = corpus_dir().join(relative);
    if path.exists() {
        return Some(path);
    }
    assert!(std::env::var_os("UPLINT_CORPUS").is_none(), "UPLINT_CORPUS names no corpus with {}", path.display());
    eprintln!("{} not found: skipped (set UPLINT_CORPUS)", path.display());
    None
}

/// True when `UPLINT_CORPUS_VERBOSE` asks for every disagreement to be printed.
pub fn verbose() -> bool {
    std::env::var_os("UPLINT_CORPUS_VERBOSE").is_some()
}

/// The lines of `tests/<file>` that are not blank or `#` comments, as `keys` key fields and a
/// reason, all separated by ` | `; a malformed line or an empty reason fails the test.
fn known_lines(file: &str, keys: usize) -> Vec<(Vec<String>, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let mut parts: Vec<String> = line.splitn(keys + 1, " | ").map(|p| p.trim().to_string()).collect();
            let reason = parts.pop().filter(|r| !r.is_empty() && parts.len() == keys);
            let reason = reason.unwrap_or_else(|| panic!("malformed line of {file} ({keys} keys | reason): {line}"));
            (parts, reason)
        })
        .collect()
}

/// A known-differences list whose lines are `key | reason`.
pub fn known_differences(file: &str) -> BTreeMap<String, String> {
    known_lines(file, 1).into_iter().map(|(mut keys, reason)| (keys.remove(0), reason)).collect()
}

/// A known-differences list whose lines are `kind | id | reason`, with the kinds allowed.
pub fn known_kinded_differences(file: &str, kinds: &[&str]) -> BTreeMap<(String, String), String> {
    known_lines(file, 2)
        .into_iter()
        .map(|(keys, reason)| {
            let [kind, id] = <[String; 2]>::try_from(keys).expect("two keys");
            assert!(kinds.contains(&kind.as_str()), "unknown kind `{kind}` in {file}: expected one of {kinds:?}");
            ((kind, id), reason)
        })
        .collect()
}
