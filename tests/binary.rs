//! The installed binary: exit codes and colour conventions as a shell sees them.

use assert_cmd::Command;

fn uplint() -> Command {
    let mut cmd = Command::cargo_bin("uplint").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

#[test]
fn refs_runs_and_exits_zero() {
    let output = uplint().args(["refs", "fixtures/queries"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("fixtures/queries/cross_database.kql"));
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let coloured = uplint().args(["refs", "fixtures/queries/syntax_error.csl", "--color", "always"]).output().unwrap();
    assert!(String::from_utf8_lossy(&coloured.stdout).contains('\u{1b}'));
    let plain = uplint().args(["refs", "fixtures/queries/syntax_error.csl"]).env("NO_COLOR", "1").output().unwrap();
    assert!(!String::from_utf8_lossy(&plain.stdout).contains('\u{1b}'));
    // Piped output is never coloured in `auto`.
    let piped = uplint().args(["refs", "fixtures/queries/syntax_error.csl"]).env_remove("NO_COLOR").output().unwrap();
    assert!(!String::from_utf8_lossy(&piped.stdout).contains('\u{1b}'));
}

#[test]
fn usage_errors_exit_two() {
    let output = uplint().args(["refs", "--format", "nope"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn check_exits_one_on_errors_and_colours_like_refs() {
    let output = uplint().args(["check", "fixtures/demo"]).env("NO_COLOR", "1").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!stdout.contains('\u{1b}'));
    assert!(
        stdout.ends_with(
            "5 files checked: 5 errors, 2 warnings; 7 update policies: 6 fully checked, 1 with unresolved parts\n"
        ),
        "{stdout}"
    );
    let coloured = uplint().args(["check", "fixtures/demo", "--color", "always"]).output().unwrap();
    assert!(String::from_utf8_lossy(&coloured.stdout).contains('\u{1b}'));
    let clean = uplint().args(["check", "fixtures/rules/UP001/clean/disabled_entry"]).output().unwrap();
    assert_eq!(clean.status.code(), Some(0));
}

/// Standard output is buffered and flushed at the end: an output that cannot be written
/// (a full disk) is one error and exit status 2, however small the report.
#[cfg(target_os = "linux")]
#[test]
fn an_unwritable_output_is_one_error_and_status_two() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    for format in ["human", "concise"] {
        let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("uplint"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["check", "fixtures/demo", "--format", format])
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{format}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.matches("cannot write the output").count(), 1, "{format}: {stderr}");
    }
}
