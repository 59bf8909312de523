//! Which files to check: the files named, and the Kusto scripts under the directories named.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// File extensions of Kusto scripts, compared case-insensitively.
pub const EXTENSIONS: &[&str] = &["kql", "csl", "kusto"];

/// Directories never walked into (besides hidden ones).
const SKIPPED_DIRECTORIES: &[&str] = &["target", "node_modules"];

/// The outcome of discovery: files in a deterministic order, and the paths that do not exist.
#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<PathBuf>,
    pub missing: Vec<PathBuf>,
}

/// True when `path` has one of the [`EXTENSIONS`].
pub fn is_kusto_script(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.iter().any(|k| k.eq_ignore_ascii_case(e)))
}

/// Walks `paths`: a file named is always taken; a directory is walked, skipping hidden
/// directories, `target/` and `node_modules/`, taking files with a Kusto extension. The result
/// is sorted and without duplicates.
pub fn discover(paths: &[PathBuf]) -> Discovered {
    let mut found = Discovered::default();
    for path in paths {
        if path.is_file() {
            found.files.push(path.clone());
        } else if path.is_dir() {
            let walker = WalkDir::new(path).follow_links(true).into_iter().filter_entry(|entry| {
                entry.depth() == 0 || !entry.file_type().is_dir() || !is_skipped_directory(entry.file_name())
            });
            for entry in walker.filter_map(Result::ok) {
                if entry.file_type().is_file() && is_kusto_script(entry.path()) {
                    found.files.push(entry.into_path());
                }
            }
        } else {
            found.missing.push(path.clone());
        }
    }
    found.files.sort();
    found.files.dedup();
    found
}

fn is_skipped_directory(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with('.') || SKIPPED_DIRECTORIES.contains(&name.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_case_insensitive() {
        assert!(is_kusto_script(Path::new("a.kql")));
        assert!(is_kusto_script(Path::new("a.CSL")));
        assert!(is_kusto_script(Path::new("dir/a.Kusto")));
        assert!(!is_kusto_script(Path::new("a.sql")));
        assert!(!is_kusto_script(Path::new("kql")));
    }

    #[test]
    fn walks_directories_and_skips_hidden_ones() {
        let root = std::env::temp_dir().join(format!("uplint-discover-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for dir in ["a", ".git", "target", "node_modules", "b/c"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        for file in ["a/x.kql", ".git/y.kql", "target/z.kql", "node_modules/w.kql", "b/c/v.CSL", "b/readme.md"] {
            std::fs::write(root.join(file), "T").unwrap();
        }
        let found = discover(&[root.clone(), root.join("missing.kql"), root.join("b/readme.md")]);
        let names: Vec<String> =
            found.files.iter().map(|p| p.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/")).collect();
        assert_eq!(names, ["a/x.kql", "b/c/v.CSL", "b/readme.md"]);
        assert_eq!(found.missing, [root.join("missing.kql")]);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
