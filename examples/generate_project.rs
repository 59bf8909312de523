//! Writes a generated project to disk, to time the whole `uplint` process on it.
//!
//! ```sh
//! cargo run --release --example generate_project -- /tmp/project          # the 10,000-file project
//! cargo run --release --example generate_project -- /tmp/chain chain 2     # an adversarial shape, doubled
//! ```
//!
//! Shapes: `project` (default) and those of `benches/support/generate.rs` (`chain`, `entries`,
//! `grants`, `members`, `tiny`, `big`); the optional scale multiplies their size.

#[path = "../benches/support/generate.rs"]
mod generate;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first().map(PathBuf::from) else {
        eprintln!("usage: generate_project OUT_DIR [project|{}] [SCALE]", generate::ADVERSARIAL.join("|"));
        return ExitCode::from(2);
    };
    let shape = args.get(1).map(String::as_str).unwrap_or("project");
    let scale = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let files = if shape == "project" {
        generate::project(42, &generate::ProjectShape::default())
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
