//! Hostile inputs, end to end through the binary: each run must end (no hang, no panic, no
//! stack overflow), say clearly what it could not read or parse, and still check the other
//! files of the run: every project here has a sibling file with a known finding (UP001), which
//! must still be reported.
//!
//! The big inputs are generated in a temporary folder. Library-level shapes (random text, token
//! soups, nesting in a small stack) are in `tests/robustness.rs`, scale in `tests/scale.rs`.

#[path = "../benches/support/generate.rs"]
mod generate;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;

/// A policy that reads another database without an identity: UP001 on line 2.
const SIBLING: &str = "\
.alter table Orders policy update
@'[{\"IsEnabled\": true, \"Source\": \"RawOrders\", \"Query\": \"RawOrders | lookup (database(''Reference'').Countries) on Country\", \"IsTransactional\": true}]'
";

/// A temporary project folder, removed when dropped, with the sibling file in it.
struct Project(PathBuf);

impl Project {
    fn new(name: &str) -> Project {
        let root = std::env::temp_dir().join(format!("uplint-hostile-{name}-{}", std::process::id()));
        let _ = make_writable_and_remove(&root);
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("sibling.kql"), SIBLING).unwrap();
        Project(root)
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.0.join(relative)
    }

    fn write(&self, relative: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// `uplint check <args>` in the folder, concise output, killed after a minute.
    fn check(&self, args: &[&str]) -> Run {
        let output = Command::cargo_bin("uplint")
            .unwrap()
            .current_dir(&self.0)
            .arg("check")
            .args(args)
            .args(["--format", "concise"])
            .env("NO_COLOR", "1")
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        Run::of(output)
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = make_writable_and_remove(&self.0);
    }
}

/// Removes `root`, first giving back the permissions a test took away.
fn make_writable_and_remove(root: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(entries) = walkdir::WalkDir::new(root).into_iter().collect::<Result<Vec<_>, _>>() {
        for entry in entries {
            if !entry.path_is_symlink() {
                let _ = std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o755));
            }
        }
    }
    std::fs::remove_dir_all(root)
}

/// The outcome of a run: status and the concise lines.
struct Run {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn of(output: Output) -> Run {
        Run {
            status: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// The concise lines about the file shown as `path`.
    fn lines_of(&self, path: &str) -> Vec<&str> {
        self.stdout.lines().filter(|line| line.starts_with(&format!("{path}:"))).collect()
    }

    /// Asserts the run ended normally (exit 1: errors found) with the sibling's finding, and
    /// returns the lines about `path`.
    fn assert_checked_with(&self, path: &str) -> Vec<&str> {
        assert_eq!(self.status, Some(1), "stdout:\n{}\nstderr:\n{}", self.head(), self.stderr);
        assert!(
            self.lines_of("sibling.kql").iter().any(|l| l.contains("UP001")),
            "the sibling's finding is missing:\n{}",
            self.head()
        );
        self.lines_of(path)
    }

    /// The start of the output, for failure messages.
    fn head(&self) -> String {
        self.stdout.chars().take(3000).collect()
    }
}

#[test]
fn a_20_mb_line_is_refused_by_default_and_read_with_a_larger_limit() {
    let project = Project::new("long-line");
    // One policy command on one line of 20 MB: its query reads another database (UP001) and
    // compares with a long string. (The concise format: the human one prints the whole line
    // under each diagnostic.)
    let line = format!(
        ".alter table Big policy update @'[{{\"Source\": \"S\", \"Query\": \"database(''Other'').T | where a != ''{}''\"}}]'",
        "x".repeat(20 << 20)
    );
    assert!(line.len() > 20 << 20);
    project.write("long.kql", &line);

    let run = project.check(&[]);
    let lines = run.assert_checked_with("long.kql");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("UP902")
            && lines[0].contains(&format!("the file is {} bytes, over the limit of 16777216", line.len())),
        "{lines:?}"
    );

    let run = project.check(&["--max-file-size", "40000000"]);
    let lines = run.assert_checked_with("long.kql");
    assert!(lines.iter().all(|l| !l.contains("UP902")), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("UP001")), "{lines:?}");
}

#[test]
fn deep_nesting_is_one_syntax_error_per_file() {
    let project = Project::new("nesting");
    let n = 100_000;
    project.write("parens.kql", format!("print {}1{}", "(".repeat(n), ")".repeat(n)));
    project.write("brackets.kql", format!("print x{}", "[".repeat(n)));
    project.write("braces.kql", format!("let f = () {}", "{".repeat(n)));
    project.write("calls.kql", format!("print {}1{}", "f(".repeat(n), ")".repeat(n)));
    let run = project.check(&[]);
    for file in ["parens.kql", "brackets.kql", "braces.kql", "calls.kql"] {
        let lines = run.assert_checked_with(file);
        assert!(!lines.is_empty() && lines.len() <= 3, "{file}: {lines:?}");
        assert!(lines.iter().all(|l| l.contains("UP901")), "{file}: {lines:?}");
    }
}

#[test]
fn a_function_chain_20000_deep_is_resolved_end_to_end() {
    let project = Project::new("chain");
    for (path, text) in generate::deep_chain(20_000) {
        project.write(&path, text);
    }
    let run = project.check(&[]);
    let lines = run.assert_checked_with("chain.kql");
    assert!(lines.iter().any(|l| l.contains("UP001")), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("UP007") && l.contains("(19995 more calls)")), "{lines:?}");
}

#[test]
fn a_cycle_of_1000_functions_ends_and_reads_through_it() {
    let project = Project::new("cycle");
    let n = 1_000;
    let mut text = String::from(".create table Source (a:string)\n.create table Target (a:string)\n\n");
    for i in 0..n {
        // F500 also reads another database: the policy reaches it through the cycle.
        let extra = if i == 500 { " | union database('Other').T" } else { "" };
        let _ = writeln!(text, ".create-or-alter function F{i}() {{ F{}(){extra} }}\n", (i + 1) % n);
    }
    text.push_str(".alter table Target policy update @'[{\"Source\": \"Source\", \"Query\": \"F0()\", \"IsTransactional\": true}]'\n");
    project.write("cycle.kql", text);
    let run = project.check(&[]);
    let lines = run.assert_checked_with("cycle.kql");
    assert!(lines.iter().any(|l| l.contains("UP001")), "{lines:?}");
}

#[test]
fn an_unterminated_fence_at_the_start_of_a_large_file_is_one_error() {
    let project = Project::new("fence");
    let body = ".create-or-alter function F() { T | where a == 1 }\n\n".repeat(100_000);
    project.write("script.kql", format!("```\n{body}"));
    let run = project.check(&[]);
    let lines = run.assert_checked_with("script.kql");
    // The error is where the text ends; its label shows where the string starts.
    assert_eq!(lines, ["script.kql:200002:1: error[UP901] unterminated string literal"]);
    let human = Command::cargo_bin("uplint").unwrap().current_dir(&project.0).arg("check").output().unwrap();
    let human = String::from_utf8_lossy(&human.stdout);
    assert!(human.contains("the string starts here"), "{}", &human[..human.len().min(3000)]);

    // In Markdown, a fence left open runs to the end of the file (CommonMark): the rest is
    // read as Kusto, each paragraph one query.
    let markdown = Project::new("fence-md");
    let prose = "# Runbook\n\nSome text about the `Orders` table.\n\n".repeat(20_000);
    markdown.write("uplint.toml", "markdown = true\n");
    markdown.write("runbook.md", format!("```kusto\n.create table T (a:int)\n{prose}"));
    let run = markdown.check(&[]);
    let lines = run.assert_checked_with("runbook.md");
    assert!(
        lines[0].starts_with("runbook.md:1:1: error[UP901] this Kusto code block is never closed"),
        "{:?}",
        &lines[..lines.len().min(3)]
    );
}

#[test]
fn invalid_utf8_nul_bytes_and_binary_files() {
    let project = Project::new("bytes");
    project.write("latin1.kql", b"T | where name == 'Jos\xe9'\n");
    project.write("nul.kql", b"T | where a == 1\0\0\0 | take 1\n");
    // Every byte value, as a compiled file or an image would have.
    let binary: Vec<u8> = b"\x7fELF\x02\x01\x01\0".iter().copied().chain((0..=255u8).cycle().take(64 * 1024)).collect();
    project.write("binary.kql", binary);
    let run = project.check(&[]);

    let latin1 = run.assert_checked_with("latin1.kql");
    assert_eq!(latin1, ["latin1.kql:1:1: error[UP902] the file is not valid UTF-8 (invalid byte at offset 22)"]);
    let binary = run.lines_of("binary.kql");
    assert_eq!(binary.len(), 1, "{binary:?}");
    assert!(binary[0].contains("UP902") && binary[0].contains("not valid UTF-8"), "{binary:?}");
    // NUL is valid UTF-8: the file is read, and the NUL bytes are a syntax error.
    let nul = run.lines_of("nul.kql");
    assert!(!nul.is_empty() && nul.iter().all(|l| l.contains("UP901")), "{nul:?}");
    assert!(!run.stdout.contains('\0'), "a NUL byte reached the output");
    assert!(nul.iter().any(|l| l.contains(r"unexpected '\u{0}'")), "{nul:?}");
}

#[test]
fn json_payloads_10000_levels_deep_and_10_mb_long() {
    let project = Project::new("json");
    let depth = 10_000;
    project.write(
        "deep.kql",
        format!(
            ".alter table Deep policy update @'[{{\"Source\": \"S\", \"Query\": \"S\", \"X\": {}1{}}}]'\n",
            "[".repeat(depth),
            "]".repeat(depth)
        ),
    );
    project.write(
        "deep-object.kql",
        format!(".alter table Deep2 policy update @'[{}]'\n", "{\"a\": ".repeat(depth) + "1" + &"}".repeat(depth)),
    );
    // Ten megabytes: 105 entries of 100 KB each, one per line. (Many small entries are
    // the same work per entry: `tests/scale.rs` checks a thousand.)
    let mut long = String::from(".alter table Long policy update ```[\n");
    let filler = "x".repeat(100 << 10);
    for i in 0..105 {
        let _ = writeln!(
            long,
            "{{\"IsEnabled\": false, \"Source\": \"S{i}\", \"Query\": \"S{i} | where a != '{filler}'\"}},"
        );
    }
    assert!(long.len() > 10 << 20);
    long.push_str("]```\n");
    project.write("long.kql", long);
    let run = project.check(&[]);
    for file in ["deep.kql", "deep-object.kql"] {
        let lines = run.assert_checked_with(file);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("UP901") && lines[0].contains("maximum nesting depth exceeded"), "{lines:?}");
    }
    let lines = run.assert_checked_with("long.kql");
    assert!(lines.iter().all(|l| !l.contains("UP90")), "{:?}", &lines[..lines.len().min(5)]);
}

#[test]
fn a_directory_symlink_loop_is_walked_once_and_reported() {
    let project = Project::new("loop");
    project.write("db/tables.kql", ".create table T (a:int)\n");
    std::os::unix::fs::symlink("..", project.path("db/back")).unwrap();
    let run = project.check(&[]);
    let lines = run.assert_checked_with("db/back");
    assert_eq!(lines.len(), 1, "{}", run.head());
    assert!(lines[0].contains("UP902") && lines[0].contains("loop"), "{lines:?}");
    // Every file once, under its own path.
    assert!(run.stdout.contains("3 files checked") || run.stdout.lines().count() < 10, "{}", run.head());
    assert_eq!(run.lines_of("db/back/sibling.kql"), Vec::<&str>::new());
}

/// True when the current user can read `path` despite its permissions (root can).
fn still_readable(path: &Path) -> bool {
    std::fs::File::open(path).is_ok()
}

#[test]
fn unreadable_files_and_folders_are_reported() {
    use std::os::unix::fs::PermissionsExt;
    let project = Project::new("unreadable");
    let file = project.write("secret.kql", ".create table T (a:int)\n");
    let folder = project.path("private");
    project.write("private/inside.kql", ".create table U (a:int)\n");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o000)).unwrap();
    let run = if still_readable(&file) {
        // Root reads anything: run as `nobody` when setpriv can, else only check the run ends.
        let binary = assert_cmd::cargo::cargo_bin("uplint");
        let output = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&binary)
            .args(["check", "--format", "concise"])
            .current_dir(&project.0)
            .output();
        match output {
            Ok(output) if output.status.code() != Some(127) && !output.stdout.is_empty() => Run::of(output),
            _ => {
                eprintln!(
                    "skipped: this user (root) reads files whatever their mode, and setpriv cannot run as nobody"
                );
                project.check(&[]).assert_checked_with("secret.kql");
                return;
            }
        }
    } else {
        project.check(&[])
    };
    let lines = run.assert_checked_with("secret.kql");
    assert_eq!(lines, ["secret.kql:1:1: error[UP902] cannot read the file: Permission denied (os error 13)"]);
    let lines = run.lines_of("private");
    assert_eq!(lines, ["private:1:1: error[UP902] cannot read the folder: permission denied"]);
}

#[test]
fn a_fifo_is_never_opened() {
    let project = Project::new("fifo");
    let fifo = project.path("pipe.kql");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    // In a folder: not a file, not taken (as ripgrep does).
    let run = project.check(&[]);
    run.assert_checked_with("pipe.kql");
    assert_eq!(run.lines_of("pipe.kql"), Vec::<&str>::new());
    // Named: reported, not opened (opening a FIFO waits for a writer).
    let run = project.check(&["pipe.kql", "sibling.kql"]);
    let lines = run.assert_checked_with("pipe.kql");
    assert_eq!(
        lines,
        [
            "pipe.kql:1:1: error[UP902] not a regular file (a FIFO): not read (give a script's text on standard input with `-`)"
        ]
    );
    let run = project.check(&["--no-project", "/dev/null", "sibling.kql"]);
    let lines = run.assert_checked_with("/dev/null");
    assert!(
        lines.len() == 1 && lines[0].starts_with("/dev/null:1:1: error[UP902] not a regular file (a character device)")
    );
}

#[test]
fn empty_and_comment_only_files_are_checked_quietly() {
    let project = Project::new("empty");
    project.write("empty.kql", "");
    project.write("comments.kql", "// only a comment\n\n// and another\r\n   // indented\n");
    project.write("blank.kql", "\n\n   \t\r\n");
    let run = project.check(&[]);
    for file in ["empty.kql", "comments.kql", "blank.kql"] {
        assert_eq!(run.assert_checked_with(file), Vec::<&str>::new());
    }
    let human = Command::cargo_bin("uplint").unwrap().current_dir(&project.0).arg("check").output().unwrap();
    assert!(String::from_utf8_lossy(&human.stdout).contains("4 files checked"));
}

#[test]
fn a_path_with_non_utf8_bytes_is_checked_and_shown_lossily() {
    use std::os::unix::ffi::OsStrExt;
    let project = Project::new("non-utf8-path");
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9");
    let folder = project.0.join(name);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("policies.kql"), SIBLING.replace("Orders", "Invoices")).unwrap();
    let run = project.check(&[]);
    let lines = run.assert_checked_with("caf\u{FFFD}/policies.kql");
    assert!(lines.iter().any(|l| l.contains("UP001")), "{}", run.head());
    // Machine formats stay valid.
    for format in ["json", "sarif", "junit", "checkstyle", "gitlab"] {
        let output = Command::cargo_bin("uplint")
            .unwrap()
            .current_dir(&project.0)
            .args(["check", "--format", format])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{format}");
        let text = String::from_utf8(output.stdout).unwrap_or_else(|_| panic!("{format} output is not UTF-8"));
        if matches!(format, "json" | "sarif" | "gitlab") {
            serde_json::from_str::<serde_json::Value>(&text).unwrap_or_else(|e| panic!("{format}: {e}"));
        }
    }
}

/// A file holding terminal escape sequences (clear the screen, retitle the window, 8-bit CSI)
/// is shown in the human format with its control characters made visible, so reading a report
/// cannot drive the reader's terminal; colours of the report itself still work.
#[test]
fn terminal_escape_sequences_in_a_file_do_not_reach_the_terminal() {
    let project = Project::new("escapes");
    project.write(
        "escapes.kql",
        ".alter table Orders policy update\n@'[{\"IsEnabled\": true, \"Source\": \"Raw\u{1b}[2J\u{1b}]0;owned\u{7}\u{9b}31m\", \
         \"Query\": \"Raw | lookup (database(''Reference'').Countries) on Country\", \"IsTransactional\": true}]'\n",
    );
    for color in ["never", "always"] {
        let output = Command::cargo_bin("uplint")
            .unwrap()
            .current_dir(&project.0)
            .args(["check", "--format", "human", "--color", color])
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("escapes.kql"), "{stdout}");
        assert!(stdout.contains("\u{FFFD}[2J"), "the escape is shown as a visible character:\n{stdout}");
        assert!(!stdout.contains("\u{1b}[2J") && !stdout.contains('\u{7}') && !stdout.contains('\u{9b}'), "{stdout:?}");
        if color == "always" {
            assert!(stdout.contains("\u{1b}[0m"), "the report's own colours remain: {stdout:?}");
        }
    }
}

/// A policy written on one 300 KB line whose fix is the whole command: the human format shows
/// windows of the line and the start of the fixed command, not 300 KB per diagnostic; the JSON
/// format keeps the whole command.
#[test]
fn the_fix_of_a_huge_one_line_policy_is_cut_in_the_human_format() {
    let project = Project::new("huge-help");
    let filler = "| where Country != 'x' ".repeat(13_000);
    let policy = format!(
        ".alter table Wide policy update @'[{{\"IsEnabled\": true, \"Source\": \"RawOrders\", \"Query\": \"RawOrders | lookup (database(''Reference'').Countries) on Country {}\", \"IsTransactional\": true}}]'\n",
        filler.replace('\'', "''")
    );
    project.write("huge.kql", &policy);
    let run = |format: &str| {
        let output = Command::cargo_bin("uplint")
            .unwrap()
            .current_dir(&project.0)
            .args(["check", "huge.kql", "--format", format])
            .env("NO_COLOR", "1")
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let human = run("human");
    assert!(
        human.contains("UP001") && human.contains("more bytes; `--format json` gives the whole command"),
        "{}",
        &human[..human.len().min(3000)]
    );
    assert!(human.len() < 20_000, "{} bytes of human output", human.len());
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let help = json["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "UP001").unwrap()["help"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(help.len() > policy.len() / 2, "the JSON keeps the whole command ({} bytes)", help.len());
}
