//! Writes a generated project to disk, to time the whole `uplint` process on it.
//!
//! ```sh
//! cargo run --release --example generate_project -- /tmp/project          # the 10,000-file project
//! cargo run --release --example generate_project -- /tmp/chain chain 2     # an adversarial shape, doubled
//! cargo run --release --example generate_project -- /tmp/corpus100 corpus  # real scripts, 100 MB
//! ```
//!
//! Shapes: `project` (default), those of `benches/support/generate.rs` (`chain`, `entries`,
//! `grants`, `members`, `tiny`, `big`, `sources`), and `corpus`: one file of 100 MB of the corpus's real
//! management scripts (`../shared/corpus/scripts`, in path order, again and again; from the
//! second copy on, each name that starts with a capital letter gets the copy's number, so the
//! copies define and query tables and functions of their own). The optional scale multiplies
//! their size.

#[path = "../benches/support/generate.rs"]
mod generate;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first().map(PathBuf::from) else {
        eprintln!("usage: generate_project OUT_DIR [project|corpus|{}] [SCALE]", generate::ADVERSARIAL.join("|"));
        return ExitCode::from(2);
    };
    let shape = args.get(1).map(String::as_str).unwrap_or("project");
    let scale = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let files = if shape == "project" {
        generate::project(42, &generate::ProjectShape::default())
    } else if shape == "corpus" {
        match corpus_file(100_000_000 * scale) {
            Ok(file) => vec![file],
            Err(e) => {
                eprintln!("cannot read the corpus scripts: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        match generate::adversarial(shape, scale) {
            Some(files) => files,
            None => {
                eprintln!("unknown shape `{shape}`");
                return ExitCode::from(2);
            }
        }
    };
    for (path, text) in &files {
        let path = out.join(path);
        if let Some(parent) = path.parent() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                eprintln!("cannot create {}: {e}", parent.display());
                return ExitCode::from(2);
            }
        }
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    println!("{} files written under {}", files.len(), out.display());
    ExitCode::SUCCESS
}

/// The `corpus` shape: `bytes` of the corpus scripts, copied again and again, the names of copy
/// `k > 0` that start with a capital letter (and follow no quote) suffixed with `_k`.
fn corpus_file(bytes: usize) -> std::io::Result<(String, String)> {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/scripts"));
    let mut scripts = Vec::new();
    for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let entry = entry?;
        let is_script = entry.path().extension().is_some_and(|e| e == "kql" || e == "csl" || e == "kusto");
        if entry.file_type().is_file() && is_script {
            scripts.push(String::from_utf8_lossy(&std::fs::read(entry.path())?).into_owned());
        }
    }
    if scripts.is_empty() {
        return Err(std::io::Error::other(format!("no scripts under {}", root.display())));
    }
    let mut out = String::with_capacity(bytes + 65_536);
    for (i, script) in scripts.iter().cycle().enumerate() {
        if out.len() >= bytes {
            break;
        }
        let copy = i / scripts.len();
        let mut previous = '\n';
        let mut chars = script.chars().peekable();
        while let Some(c) = chars.next() {
            out.push(c);
            let starts_name =
                c.is_ascii_uppercase() && !(previous.is_alphanumeric() || matches!(previous, '_' | '\'' | '"'));
            previous = c;
            if starts_name && copy > 0 {
                while let Some(&next) = chars.peek().filter(|n| n.is_ascii_alphanumeric() || **n == '_') {
                    out.push(next);
                    chars.next();
                }
                out.push_str(&format!("_{copy}"));
                previous = '_';
            }
        }
        out.push_str("\n\n");
    }
    Ok(("corpus.kql".to_string(), out))
}
