//! The output does not depend on the number of threads: `uplint check` of the fixtures, of a
//! generated project and of a file of many small queries gives the same bytes in every output
//! format with `--threads 1` (everything on one thread) and `--threads 4`.

#[path = "../benches/support/generate.rs"]
mod generate;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

const FORMATS: &[&str] =
    &["human", "concise", "json", "json-lines", "sarif", "github", "gitlab", "junit", "checkstyle"];

/// A fresh empty folder under the system's temporary folder.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("uplint-threads-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_files(dir: &Path, files: &[generate::File]) {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// Every format's report of `uplint check ARGS` with `threads` threads, and the exit status.
fn reports(cwd: &Path, args: &[&str], threads: usize, out: &Path) -> (Option<i32>, Vec<(String, Vec<u8>)>) {
    let mut command = Command::cargo_bin("uplint").unwrap();
    command.current_dir(cwd).args(["check", "--threads", &threads.to_string()]).args(args);
    for format in FORMATS {
        command.args(["--format", format, "--output-file"]).arg(out.join(format!("{format}-{threads}")));
    }
    let output = command.output().unwrap();
    assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
    let reports = FORMATS
        .iter()
        .map(|format| (format.to_string(), std::fs::read(out.join(format!("{format}-{threads}"))).unwrap()))
        .collect();
    (output.status.code(), reports)
}

fn assert_same_with_1_and_4_threads(cwd: &Path, args: &[&str], name: &str) {
    let out = temp_dir(&format!("{name}-out"));
    let (one_status, one) = reports(cwd, args, 1, &out);
    let (four_status, four) = reports(cwd, args, 4, &out);
    assert_eq!(one_status, four_status, "{name}");
    for ((format, a), (_, b)) in one.iter().zip(&four) {
        assert!(!a.is_empty() || format == "github", "{name}: the {format} report is empty");
        assert!(a == b, "{name}: the {format} report differs between 1 and 4 threads");
    }
    // The findings are really there: the run is worth comparing.
    let json = String::from_utf8_lossy(&one[2].1).into_owned();
    assert!(json.contains("\"code\""), "{name}: no diagnostics in {json}");
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn fixtures_give_the_same_bytes_whatever_the_thread_count() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_same_with_1_and_4_threads(root, &["--isolated", "fixtures"], "fixtures");
    // The layouts each with their own configuration.
    for layout in ["folder-per-database", "two-databases-one-folder", "markdown-runbook"] {
        assert_same_with_1_and_4_threads(&root.join("fixtures/layouts").join(layout), &["."], layout);
    }
}

#[test]
fn a_generated_project_gives_the_same_bytes_whatever_the_thread_count() {
    let dir = temp_dir("project");
    let shape = generate::ProjectShape { files: 600, databases: 6, functions: 150, max_chain: 8, policies: 300 };
    write_files(&dir, &generate::project(7, &shape));
    // Units of one file are analysed in parallel too.
    write_files(&dir, &generate::tiny_queries(3_000));
    // An unreadable file among them.
    std::fs::write(dir.join("broken.kql"), b"T | where a == '\xff'").unwrap();
    assert_same_with_1_and_4_threads(&dir, &["--isolated", "."], "generated");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_human_report_on_standard_output_is_the_same_whatever_the_thread_count() {
    // Standard output is written as the report is rendered (in batches of diagnostics rendered
    // in parallel), with or without colours.
    let dir = temp_dir("stdout");
    let shape = generate::ProjectShape { files: 300, databases: 4, functions: 80, max_chain: 6, policies: 200 };
    write_files(&dir, &generate::project(11, &shape));
    // Several batches of diagnostics: a syntax error in each of 700 queries.
    std::fs::write(dir.join("broken.kql"), "T | where\n\n".repeat(700)).unwrap();
    for color in ["always", "never"] {
        let run = |threads: &str| {
            let mut command = Command::cargo_bin("uplint").unwrap();
            command.current_dir(&dir).args(["check", "--isolated", ".", "--threads", threads, "--color", color]);
            command.output().unwrap()
        };
        let (one, four) = (run("1"), run("4"));
        assert_eq!(one.status.code(), four.status.code());
        let report = String::from_utf8_lossy(&one.stdout);
        // Enough diagnostics for several batches, and colours when asked for.
        assert!(report.matches("┌─").count() > 700, "{report}");
        assert_eq!(report.contains('\u{1b}'), color == "always", "{color}");
        assert!(one.stdout == four.stdout, "the human report ({color}) differs between 1 and 4 threads");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
