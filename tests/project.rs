//! Project context for named files (pre-commit, editors): a fixture git repository where a
//! policy, its function, the managed identity policy and the grant live in different files.
//! Named files are checked in their whole project; batches agree with one run; standard input
//! is checked as a named file; the hooks of `.pre-commit-hooks.yaml` run as pre-commit runs
//! them, and through pre-commit itself when it is installed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use uplint::cli::Status;

mod common;

const FUNCTIONS: &str = "#connect cluster('c').database('Sales')
.create-or-alter function EnrichOrders() {
    RawOrders
    | lookup (database('Reference').Countries) on Country
}
";

const POLICIES: &str = "#connect cluster('c').database('Sales')
.alter table Orders policy update
@'[{\"IsEnabled\": true, \"Source\": \"RawOrders\", \"Query\": \"EnrichOrders()\", \"IsTransactional\": true, \"ManagedIdentity\": \"6a8b3d2e-2c4f-4e1a-9b7d-3f5e8c1a2b4d\"}]'
";

const IDENTITY: &str = "#connect cluster('c').database('Sales')
.alter-merge cluster policy managed_identity ```[{\"ObjectId\": \"6a8b3d2e-2c4f-4e1a-9b7d-3f5e8c1a2b4d\", \"AllowedUsages\": \"AutomatedFlows\"}]```
";

const GRANTS: &str = "#connect cluster('c').database('Sales')
.add database Reference viewers ('aadapp=6a8b3d2e-2c4f-4e1a-9b7d-3f5e8c1a2b4d')
";

const OTHER: &str = "#connect cluster('c').database('Sales')
.create table Unrelated (a: string)
";

const TABLES: &str = "#connect cluster('c').database('Sales')
.create table RawOrders (OrderId: string, Country: string)
.create table Orders (OrderId: string, Country: string)

#connect cluster('c').database('Reference')
.create table Countries (Country: string)
";

/// A git repository holding a clean project (no finding) split over six files.
fn repository(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("uplint-project-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("db/sales")).unwrap();
    std::fs::create_dir_all(dir.join("db/security")).unwrap();
    for (path, text) in [
        ("db/sales/functions.kql", FUNCTIONS),
        ("db/sales/policies.kql", POLICIES),
        ("db/security/identity.kql", IDENTITY),
        ("db/security/grants.kql", GRANTS),
        ("db/other.kql", OTHER),
        ("db/tables.kql", TABLES),
    ] {
        std::fs::write(dir.join(path), text).unwrap();
    }
    git(&dir, &["init", "-q"]);
    dir
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

fn uplint(cwd: &Path, args: &[&str], stdin: &str) -> (Status, String, String) {
    common::uplint_with_stdin(cwd, args, stdin)
}

fn lines(text: &str) -> BTreeSet<String> {
    text.lines().map(str::to_string).collect()
}

/// Breaks the project by dropping the grant: UP004 on the policy, with evidence in functions.
fn drop_grant(dir: &Path) {
    std::fs::write(dir.join("db/security/grants.kql"), "#connect cluster('c').database('Sales')\n").unwrap();
}

#[test]
fn a_clean_project_is_clean_file_by_file() {
    let dir = repository("clean");
    for file in
        ["db/sales/functions.kql", "db/sales/policies.kql", "db/security/identity.kql", "db/security/grants.kql"]
    {
        let (status, out, err) = uplint(&dir, &["check", file, "--format", "concise"], "");
        assert_eq!((status, out.as_str()), (Status::Success, ""), "{file}: {err}");
        // Without the project, the policy file alone looks broken: this is what the hook did.
        let (_, alone, _) = uplint(&dir, &["check", file, "--no-project", "--format", "concise"], "");
        if file.ends_with("policies.kql") {
            assert!(alone.contains("[UP003]"), "{alone}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The summary of a run on named files counts the policies written in them, as it counts the
/// files (a regression: it counted every policy of the project).
#[test]
fn the_summary_counts_the_policies_of_the_files_named() {
    let dir = repository("summary");
    std::fs::write(dir.join("db/more.kql"), POLICIES.replace("Orders policy", "Orders2 policy")).unwrap();
    let (_, out, _) = uplint(&dir, &["check", "db/sales/policies.kql"], "");
    assert!(out.ends_with("1 file checked: no problems; 1 update policy, fully checked\n"), "{out}");
    let (_, out, _) = uplint(&dir, &["check", "db/other.kql"], "");
    assert!(out.ends_with("1 file checked: no problems; no update policies\n"), "{out}");
    let (_, out, _) = uplint(&dir, &["check", "db"], "");
    assert!(out.contains("2 update policies"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn editing_a_function_surfaces_the_policy_it_breaks() {
    let dir = repository("function");
    drop_grant(&dir);
    let (status, out, _) = uplint(&dir, &["check", "db/sales/functions.kql", "--format", "concise"], "");
    assert_eq!(status, Status::Failure);
    assert!(out.starts_with("db/sales/policies.kql:3:"), "reported where the policy is: {out}");
    assert!(out.contains("[UP004]"), "{out}");
    let (status, out, _) = uplint(&dir, &["check", "db/other.kql", "--format", "concise"], "");
    assert_eq!((status, out.as_str()), (Status::Success, ""), "an unrelated file sees nothing");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn batches_give_the_same_answer_as_one_run() {
    let dir = repository("batches");
    drop_grant(&dir);
    let files = [
        "db/other.kql",
        "db/sales/functions.kql",
        "db/sales/policies.kql",
        "db/security/grants.kql",
        "db/security/identity.kql",
    ];
    let mut args = vec!["check", "--format", "concise"];
    args.extend(files);
    let (one_status, one, _) = uplint(&dir, &args, "");
    assert_eq!(one_status, Status::Failure);
    assert!(!one.is_empty());
    for split in 1..files.len() {
        let mut union = BTreeSet::new();
        let mut failed = false;
        for batch in [&files[..split], &files[split..]] {
            let mut args = vec!["check", "--format", "concise"];
            args.extend(batch);
            let (status, out, _) = uplint(&dir, &args, "");
            failed |= status == Status::Failure;
            union.extend(lines(&out));
        }
        assert_eq!(union, lines(&one), "split at {split}");
        assert!(failed);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_root_is_the_folder_of_uplint_toml() {
    let dir = repository("config");
    let (status, _, _) = uplint(&dir, &["check", "db/sales/functions.kql", "--format", "concise"], "");
    assert_eq!(status, Status::Success, "the repository is the project: the grant is in view");
    // A project inside the repository: only `db/sales` is loaded, so the grant is out of view.
    std::fs::write(dir.join("db/sales/uplint.toml"), "").unwrap();
    let (_, out, _) = uplint(&dir, &["check", "db/sales/functions.kql", "--format", "concise"], "");
    assert!(out.contains("[UP004]"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn standard_input_is_checked_as_the_named_file_in_its_project() {
    let dir = repository("stdin");
    // The buffer drops the identity from the policy: UP001 with evidence in functions.kql.
    let buffer = POLICIES.replace(", \\\"ManagedIdentity\\\": \\\"6a8b3d2e-2c4f-4e1a-9b7d-3f5e8c1a2b4d\\\"", "");
    let buffer = buffer.replace(r#", "ManagedIdentity": "6a8b3d2e-2c4f-4e1a-9b7d-3f5e8c1a2b4d""#, "");
    assert_ne!(buffer, POLICIES);
    let (status, out, err) =
        uplint(&dir, &["check", "--stdin-filename", "db/sales/policies.kql", "-", "--format", "concise"], &buffer);
    assert_eq!(status, Status::Failure, "{err}");
    assert!(out.starts_with("db/sales/policies.kql:3:") && out.contains("[UP001]"), "{out}");
    assert_eq!(std::fs::read_to_string(dir.join("db/sales/policies.kql")).unwrap(), POLICIES, "the file is untouched");
    // The saved file is clean.
    let (status, _, _) = uplint(&dir, &["check", "db/sales/policies.kql"], "");
    assert_eq!(status, Status::Success);
    // A new file that is not on disk yet.
    let (status, out, _) =
        uplint(&dir, &["check", "--stdin-filename", "db/sales/new.kql", "-", "--format", "concise"], "T | where x ==");
    assert_eq!(status, Status::Failure);
    assert!(out.starts_with("db/sales/new.kql:1:") && out.contains("[UP901]"), "{out}");
    // `-` without a name.
    let (_, out, _) = uplint(&dir, &["check", "-", "--format", "concise"], "T | where x ==");
    assert!(out.starts_with("-:1:"), "{out}");
    assert_eq!(uplint(&dir, &["check", "--stdin-filename", "x.kql", "db"], "").0, Status::Error);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The hooks of `.pre-commit-hooks.yaml`: id, entry and the options that matter here.
fn hooks() -> Vec<(String, String, bool)> {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml")).unwrap();
    let mut hooks = Vec::new();
    for block in manifest.split("\n- id: ").skip(1) {
        let id = block.lines().next().unwrap().trim().to_string();
        let field =
            |name: &str| block.lines().find_map(|l| l.trim().strip_prefix(&format!("{name}: ")).map(str::to_string));
        let entry = field("entry").unwrap();
        let pass_filenames = field("pass_filenames").is_none_or(|v| v == "true");
        assert_eq!(field("language").as_deref(), Some("rust"), "{id}");
        hooks.push((id, entry, pass_filenames));
    }
    hooks
}

#[test]
fn each_hook_entry_runs_as_pre_commit_runs_it() {
    let hooks = hooks();
    assert_eq!(hooks.iter().map(|h| h.0.as_str()).collect::<Vec<_>>(), ["uplint", "uplint-project"]);
    let dir = repository("hooks");
    let binary = env!("CARGO_BIN_EXE_uplint");
    let changed = ["db/sales/functions.kql", "db/security/grants.kql"];
    for broken in [false, true] {
        if broken {
            drop_grant(&dir);
        }
        for (id, entry, pass_filenames) in &hooks {
            let words: Vec<&str> = entry.split_whitespace().collect();
            assert_eq!(words[0], "uplint");
            let run = |files: &[&str]| {
                let output = Command::new(binary)
                    .args(&words[1..])
                    .args(["--format", "concise"])
                    .args(files)
                    .current_dir(&dir)
                    .output()
                    .unwrap();
                (output.status.code(), String::from_utf8(output.stdout).unwrap())
            };
            if *pass_filenames {
                let (whole_code, whole) = run(&changed);
                let (first_code, first) = run(&changed[..1]);
                let (second_code, second) = run(&changed[1..]);
                let mut union = lines(&first);
                union.extend(lines(&second));
                assert_eq!(union, lines(&whole), "{id}: two batches and one run agree");
                let batches_fail = first_code == Some(1) || second_code == Some(1);
                assert_eq!(batches_fail, whole_code == Some(1), "{id}");
                assert_eq!(whole_code, Some(if broken { 1 } else { 0 }), "{id}: {whole}");
            } else {
                let (code, out) = run(&[]);
                assert_eq!(code, Some(if broken { 1 } else { 0 }), "{id}: {out}");
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn pre_commit_itself_runs_both_hooks() {
    let Ok(version) = Command::new("pre-commit").arg("--version").output() else {
        println!("skipped: pre-commit is not installed (pip install pre-commit)");
        return;
    };
    if !version.status.success() {
        println!("skipped: pre-commit does not run");
        return;
    }
    // The hooks as the manifest declares them, with the binary just built as entry: a `local`
    // repository with `language: system` (a `rust` hook would build uplint from a clone).
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml")).unwrap();
    let binary = env!("CARGO_BIN_EXE_uplint");
    let hooks = manifest
        .split("\n- id: ")
        .skip(1)
        .map(|block| {
            let mut lines = block.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
            let mut hook = format!("    - id: {}\n", lines.next().unwrap());
            for line in lines {
                let line = line.replace("entry: uplint ", &format!("entry: {binary} "));
                hook.push_str(&format!("      {}\n", line.replace("language: rust", "language: system")));
            }
            hook
        })
        .collect::<String>();
    let dir = repository("pre-commit");
    let config = format!("repos:\n  - repo: local\n    hooks:\n{hooks}");
    std::fs::write(dir.join(".pre-commit-config.yaml"), &config).unwrap();
    git(&dir, &["add", "-A"]);
    let pre_commit = |args: &[&str]| {
        let output = Command::new("pre-commit")
            .args(args)
            .current_dir(&dir)
            .env("PRE_COMMIT_HOME", dir.join(".cache"))
            .output()
            .unwrap();
        (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let (code, out) = pre_commit(&["run", "--all-files"]);
    assert_eq!(code, Some(0), "a clean project passes under pre-commit:\n{config}\n{out}");
    assert!(out.contains("Passed"), "{out}");
    drop_grant(&dir);
    git(&dir, &["add", "-A"]);
    for hook in ["uplint", "uplint-project"] {
        let (code, out) = pre_commit(&["run", hook, "--all-files"]);
        assert_eq!(code, Some(1), "{hook}:\n{out}");
        assert!(out.contains("UP004"), "{hook}:\n{out}");
    }
    // Only the function's file is passed: the hook still reports the policy it breaks.
    let (code, out) = pre_commit(&["run", "uplint", "--files", "db/sales/functions.kql"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("db/sales/policies.kql") && out.contains("UP004"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}
