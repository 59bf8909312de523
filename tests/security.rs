//! uplint never writes unless asked: `check`, `refs` and `model` over a read-only copy of real
//! scripts (part of `../shared/corpus/scripts`, or `$UPLINT_CORPUS/scripts`, and the demo
//! project) leave every file byte-identical and create none.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;

mod common;

/// Every entry under `root`: its relative path, and for a file its bytes, its permissions and
/// its modification time; for a folder, its permissions and modification time.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (Option<Vec<u8>>, u32, std::time::SystemTime)> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .map(|entry| {
            let entry = entry.unwrap();
            let metadata = entry.metadata().unwrap();
            let bytes = metadata.is_file().then(|| std::fs::read(entry.path()).unwrap());
            let relative = entry.path().strip_prefix(root).unwrap().to_path_buf();
            (relative, (bytes, metadata.permissions().mode(), metadata.modified().unwrap()))
        })
        .collect()
}

/// Copies every `step`-th file under `from` (in name order) into `to`, keeping their paths.
fn copy_some(from: &Path, step: usize, to: &Path) -> usize {
    let files: Vec<PathBuf> = walkdir::WalkDir::new(from)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    let mut copied = 0;
    for file in files.iter().step_by(step) {
        let target = to.join(file.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(file, &target).unwrap();
        copied += 1;
    }
    copied
}

fn set_modes(root: &Path, file: u32, folder: u32) {
    // Deepest first, so that a folder is made read-only after its contents.
    for entry in walkdir::WalkDir::new(root).contents_first(true) {
        let entry = entry.unwrap();
        let mode = if entry.file_type().is_dir() { folder } else { file };
        std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

#[test]
fn check_refs_and_model_leave_a_read_only_corpus_untouched() {
    let Some(scripts) = common::corpus_path("scripts") else { return };
    let root = std::env::temp_dir().join(format!("uplint-read-only-{}", std::process::id()));
    if root.exists() {
        set_modes(&root, 0o644, 0o755);
        std::fs::remove_dir_all(&root).unwrap();
    }
    // A tenth of the corpus (about 300 scripts) keeps the debug build's run short.
    let copied = copy_some(&scripts, 10, &root.join("corpus"));
    copy_some(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo"), 1, &root.join("demo"));
    assert!(copied > 100, "only {copied} corpus files");
    std::fs::write(root.join("uplint.toml"), "markdown = true\n").unwrap();
    set_modes(&root, 0o444, 0o555);
    let before = snapshot(&root);

    let runs: [&[&str]; 6] = [
        &["check"],
        &["check", "--format", "json", "--format", "sarif", "--statistics"],
        &["check", "demo/sales/policies.kql"],
        &["refs", "--format", "json"],
        &["refs"],
        &["model"],
    ];
    for args in runs {
        let output = Command::cargo_bin("uplint")
            .unwrap()
            .current_dir(&root)
            .args(args)
            .env("NO_COLOR", "1")
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap();
        assert!(matches!(output.status.code(), Some(0 | 1)), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        assert!(!output.stdout.is_empty(), "{args:?} wrote nothing");
    }

    let after = snapshot(&root);
    let created: Vec<&PathBuf> = after.keys().filter(|p| !before.contains_key(*p)).collect();
    let removed: Vec<&PathBuf> = before.keys().filter(|p| !after.contains_key(*p)).collect();
    let changed: Vec<&PathBuf> =
        before.iter().filter(|(p, v)| after.get(*p).is_some_and(|w| w != *v)).map(|(p, _)| p).collect();
    set_modes(&root, 0o644, 0o755);
    std::fs::remove_dir_all(&root).unwrap();
    assert!(created.is_empty(), "created: {created:?}");
    assert!(removed.is_empty(), "removed: {removed:?}");
    assert!(changed.is_empty(), "changed: {changed:?}");
    eprintln!("read-only corpus: {} entries ({copied} corpus scripts) unchanged by 6 runs", before.len());
}
