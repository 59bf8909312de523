//! Which files to check: the files named, and the scripts under the folders named, walked like
//! ruff does (`.gitignore` and `.ignore` honoured, the `ignore` crate; hidden folders read, the
//! folders of version control left out by the default `exclude`), then filtered by the
//! configuration's `include`, `exclude` and `extensions`.

use std::path::{Path, PathBuf};

use crate::config::Globs;

/// File extensions of Kusto scripts by default, compared case-insensitively.
pub const EXTENSIONS: &[&str] = crate::config::DEFAULT_EXTENSIONS;

/// Extensions of Markdown files, read when [`Discovery::markdown`] is set.
pub const MARKDOWN_EXTENSIONS: &[&str] = &["md", "markdown"];

/// What discovery takes.
#[derive(Clone, Debug)]
pub struct Discovery {
    /// When set, only files matching it are taken from folders.
    pub include: Option<Globs>,
    /// Files and folders never taken from folders.
    pub exclude: Globs,
    /// Lower-case extensions of scripts, without the dot.
    pub extensions: Vec<String>,
    /// Also take Markdown files.
    pub markdown: bool,
    /// Apply `exclude` to paths named explicitly too.
    pub force_exclude: bool,
}

impl Discovery {
    /// The defaults, with globs relative to `root`.
    pub fn new(root: &Path) -> Discovery {
        Discovery {
            include: None,
            exclude: Globs::new(
                root,
                &crate::config::DEFAULT_EXCLUDE.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            )
            .expect("the default globs compile"),
            extensions: EXTENSIONS.iter().map(|e| e.to_string()).collect(),
            markdown: false,
            force_exclude: false,
        }
    }

    /// True when `path` has one of the script extensions (or a Markdown one, when read).
    pub fn has_extension(&self, path: &Path) -> bool {
        let Some(extension) = path.extension().and_then(|e| e.to_str()) else { return false };
        self.extensions.iter().any(|k| k.eq_ignore_ascii_case(extension)) || (self.markdown && is_markdown(path))
    }
}

/// True when `path` is a Markdown file (by extension).
pub fn is_markdown(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| MARKDOWN_EXTENSIONS.iter().any(|k| k.eq_ignore_ascii_case(e)))
}

/// The outcome of discovery: files in a deterministic order, the paths that do not exist, and
/// what could not be walked.
#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<PathBuf>,
    pub missing: Vec<PathBuf>,
    /// Folders that could not be read, and links back to a folder being walked (a file system
    /// loop, walked once): the path and what happened, per folder named in path order (the
    /// order a walk in name order meets them).
    pub problems: Vec<WalkProblem>,
}

/// A folder met while walking that was not walked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkProblem {
    pub path: PathBuf,
    pub message: String,
    /// A loop loses nothing (its files are read under their own path); an unreadable folder
    /// loses its files.
    pub is_loop: bool,
}

impl WalkProblem {
    /// The problem of a walk error: I/O errors and loops, with the path they happened at
    /// (`None` for errors of ignore files and the like, which the walk recovers from).
    fn of(error: &ignore::Error, at: Option<&Path>) -> Option<WalkProblem> {
        match error {
            ignore::Error::WithPath { path, err } => WalkProblem::of(err, Some(path)),
            ignore::Error::WithDepth { err, .. } => WalkProblem::of(err, at),
            ignore::Error::Loop { ancestor, child } => Some(WalkProblem {
                path: child.clone(),
                message: format!(
                    "this link leads back to the folder {} (a file system loop): not walked again, its files are \
                     read under their own path",
                    ancestor.display()
                ),
                is_loop: true,
            }),
            ignore::Error::Io(io) => Some(WalkProblem {
                path: at?.to_path_buf(),
                // The kind alone: the error's text repeats the path, which the diagnostic shows.
                message: match io.kind() {
                    std::io::ErrorKind::Other => format!("cannot read the folder: {io}"),
                    kind => format!("cannot read the folder: {kind}"),
                },
                is_loop: false,
            }),
            _ => None,
        }
    }
}

/// True when `path` has one of the default [`EXTENSIONS`].
pub fn is_kusto_script(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.iter().any(|k| k.eq_ignore_ascii_case(e)))
}

/// Walks `paths`: a file named is always taken (unless `force_exclude` and it is excluded); a
/// folder is walked, skipping what `.gitignore`, `.ignore` and `exclude` leave out (hidden
/// files and folders are read: a Fabric export keeps its databases in `.children` folders),
/// taking files with a script extension that `include` matches. The result is sorted and
/// without duplicates.
pub fn discover(paths: &[PathBuf], discovery: &Discovery) -> Discovered {
    let mut found = Discovered::default();
    for path in paths {
        if discovery.force_exclude && discovery.exclude.matches_or_inside(path) {
            continue;
        }
        if path.is_file() {
            found.files.push(path.clone());
        } else if path.is_dir() {
            let exclude = discovery.exclude.clone();
            let walker = ignore::WalkBuilder::new(path)
                .follow_links(true)
                .hidden(false)
                .ignore(true)
                .git_ignore(true)
                .git_exclude(true)
                .git_global(false)
                .parents(true)
                .require_git(false)
                .filter_entry(move |entry| entry.depth() == 0 || !exclude.is_match(entry.path()))
                // Not sorted by name while walking (it compared file names taken from whole
                // paths again and again): the files are sorted below, and this folder's
                // problems by path, the order a walk in name order meets them.
                .build();
            let problems = found.problems.len();
            for entry in walker {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(error) => {
                        found.problems.extend(WalkProblem::of(&error, None));
                        continue;
                    }
                };
                let is_file = entry.file_type().is_some_and(|t| t.is_file());
                let included = discovery.include.as_ref().is_none_or(|globs| globs.is_match(entry.path()));
                if is_file && discovery.has_extension(entry.path()) && included {
                    found.files.push(entry.into_path());
                }
            }
            found.problems[problems..].sort_by(|a, b| a.path.cmp(&b.path));
        } else {
            found.missing.push(path.clone());
        }
    }
    sort_paths(&mut found.files);
    found.files.dedup();
    found
}

/// Sorts `paths` in [`Path`]'s order (component by component). When no path has an empty,
/// `.` or `..` component (a walk's paths under a normalised folder), that order is the order of
/// their bytes with each `/` read as the smallest byte, and they are sorted by that key, made
/// once per path: comparing `Path`s parses their components at every comparison (2% of a
/// corpus check, on its sequential path).
fn sort_paths(paths: &mut [PathBuf]) {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let plain = |path: &PathBuf| {
            let bytes = path.as_os_str().as_bytes();
            let relative = bytes.strip_prefix(b"/").unwrap_or(bytes);
            relative.is_empty() || relative.split(|b| *b == b'/').all(|c| !c.is_empty() && c != b"." && c != b"..")
        };
        if paths.iter().all(plain) {
            paths.sort_by_cached_key(|path| {
                path.as_os_str().as_bytes().iter().map(|&b| if b == b'/' { 0 } else { b }).collect::<Vec<u8>>()
            });
            return;
        }
    }
    paths.sort();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(name: &str, files: &[&str]) -> PathBuf {
        let root = std::env::temp_dir().join(format!("uplint-discover-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for file in files {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "T").unwrap();
        }
        root
    }

    #[test]
    fn paths_are_sorted_as_path_orders_them() {
        let paths = [
            "/a/b", "/a-b", "/a.b/c", "/a/b/c", "/a", "/", "/ab", "/a/b-c", "/a/b/c/d", "/A", "/a b", "/é", "/a/\u{1}",
        ];
        let mut expected: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        expected.sort();
        let mut sorted: Vec<PathBuf> = paths.iter().rev().map(PathBuf::from).collect();
        sort_paths(&mut sorted);
        assert_eq!(sorted, expected);
        // Relative paths, and paths whose bytes order them otherwise (`..`, `.`, `//`): as `Path`.
        for paths in [&["b/c", "b-c", "b", "a/b"][..], &["/x/../a", "/x/-a", "/x/./b", "/x//c", "/x/a/"]] {
            let mut expected: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
            expected.sort();
            let mut sorted: Vec<PathBuf> = paths.iter().rev().map(PathBuf::from).collect();
            sort_paths(&mut sorted);
            assert_eq!(sorted, expected);
        }
    }

    fn names(root: &Path, found: &Discovered) -> Vec<String> {
        found.files.iter().map(|p| p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/")).collect()
    }

    #[test]
    fn extensions_are_case_insensitive() {
        assert!(is_kusto_script(Path::new("a.kql")));
        assert!(is_kusto_script(Path::new("a.CSL")));
        assert!(is_kusto_script(Path::new("dir/a.Kusto")));
        assert!(!is_kusto_script(Path::new("a.sql")));
        assert!(!is_kusto_script(Path::new("kql")));
    }

    #[test]
    fn walks_directories_and_skips_ignored_and_excluded_ones() {
        let files = [
            "a/x.kql",
            ".git/y.kql",
            ".svn/s.kql",
            "E.Eventhouse/.children/Db.KQLDatabase/DatabaseSchema.kql",
            ".hidden.kql",
            "target/z.kql",
            "node_modules/w.kql",
            "b/c/v.CSL",
            "b/readme.md",
            "gen/out.kql",
            "local.kql",
            ".gitignore",
            "b/.ignore",
            "b/c/skip.kql",
        ];
        let root = tree("walk", &files);
        std::fs::write(root.join(".gitignore"), "gen/\n").unwrap();
        std::fs::write(root.join("b/.ignore"), "skip.kql\n").unwrap();
        let discovery = Discovery::new(&root);
        let found = discover(&[root.clone(), root.join("missing.kql"), root.join("b/readme.md")], &discovery);
        assert_eq!(
            names(&root, &found),
            [
                ".hidden.kql",
                "E.Eventhouse/.children/Db.KQLDatabase/DatabaseSchema.kql",
                "a/x.kql",
                "b/c/v.CSL",
                "b/readme.md",
                "local.kql"
            ]
        );
        assert_eq!(found.missing, [root.join("missing.kql")]);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn loops_are_walked_once_and_reported() {
        let root = tree("loop", &["db/a.kql", "b.kql"]);
        std::os::unix::fs::symlink("..", root.join("db/back")).unwrap();
        let found = discover(std::slice::from_ref(&root), &Discovery::new(&root));
        assert_eq!(names(&root, &found), ["b.kql", "db/a.kql"]);
        assert_eq!(found.problems.len(), 1, "{:?}", found.problems);
        let problem = &found.problems[0];
        assert_eq!(problem.path, root.join("db/back"));
        assert!(problem.is_loop && problem.message.contains("file system loop"), "{problem:?}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn include_exclude_extensions_and_markdown() {
        let root = tree("filters", &["db/a.kql", "db/b.txt", "templates/t.kql", "db/t.tmpl.kql", "docs/run.md"]);
        let globs =
            |patterns: &[&str]| Globs::new(&root, &patterns.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        let mut discovery = Discovery::new(&root);
        discovery.exclude = globs(&["templates", "*.tmpl.kql"]);
        discovery.extensions.push("txt".into());
        discovery.markdown = true;
        let found = discover(std::slice::from_ref(&root), &discovery);
        assert_eq!(names(&root, &found), ["db/a.kql", "db/b.txt", "docs/run.md"]);
        discovery.include = Some(globs(&["db/**"]));
        assert_eq!(names(&root, &discover(std::slice::from_ref(&root), &discovery)), ["db/a.kql", "db/b.txt"]);
        // A file named explicitly is read even when excluded, unless --force-exclude.
        let named = [root.join("templates/t.kql")];
        assert_eq!(names(&root, &discover(&named, &discovery)), ["templates/t.kql"]);
        discovery.force_exclude = true;
        assert!(discover(&named, &discovery).files.is_empty());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
