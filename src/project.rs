//! Project context: when files are named (a pre-commit hook, an editor), uplint still loads the
//! whole project they belong to, because a policy, its functions, the managed identity policy
//! and the grants live in different files, and reports what touches the files named.
//!
//! The project root is the folder of the configuration in effect (`uplint.toml` found by
//! [`crate::config`] above the first file, or `--config`), else the repository root (the
//! nearest folder holding `.git`), else the common folder of the files.

use std::path::{Component, Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::source::SourceMap;

/// `path` without `.` and `..` components (lexically; symbolic links are not followed).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The deepest folder that holds every path (absolute, normalized) given.
pub fn common_folder(paths: &[PathBuf]) -> Option<PathBuf> {
    let mut common: Option<PathBuf> = None;
    for path in paths {
        let folder =
            if path.is_dir() { path.clone() } else { path.parent().map(Path::to_path_buf).unwrap_or_default() };
        common = Some(match common {
            None => folder,
            Some(current) => {
                let mut shared = PathBuf::new();
                for (a, b) in current.components().zip(folder.components()) {
                    if a != b {
                        break;
                    }
                    shared.push(a.as_os_str());
                }
                shared
            }
        });
    }
    common
}

/// The repository root above `start` (the nearest folder holding `.git`), else `start`.
pub fn root_of(start: &Path) -> PathBuf {
    start.ancestors().find(|folder| folder.join(".git").exists()).unwrap_or(start).to_path_buf()
}

/// What a run with named files looks at: the project to load and the paths to report on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub root: PathBuf,
    /// The files and folders named (absolute, normalized).
    pub focus: Vec<PathBuf>,
}

impl Scope {
    /// The scope of `paths` (absolute) in the project whose configuration lives in
    /// `config_root`, if any; `None` when no file is named (folders are loaded as they are).
    pub fn of(paths: &[PathBuf], config_root: Option<&Path>) -> Option<Scope> {
        let paths: Vec<PathBuf> = paths.iter().map(|p| normalize(p)).collect();
        if paths.iter().all(|p| p.is_dir()) {
            return None;
        }
        let root = match config_root {
            Some(root) => normalize(root),
            None => root_of(&common_folder(&paths)?),
        };
        Some(Scope { root, focus: paths })
    }

    /// True when `path` is a focus file or lies under a focus folder.
    pub fn contains(&self, path: &Path) -> bool {
        let path = normalize(path);
        self.focus.iter().any(|f| path == *f || path.starts_with(f))
    }

    /// The diagnostics whose primary location or a secondary label lies in the focus.
    pub fn filter(&self, sources: &SourceMap, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        let focused: Vec<bool> = sources.files().map(|(_, f)| self.contains(&f.path)).collect();
        diagnostics
            .into_iter()
            .filter(|d| focused[d.primary.file.0 as usize] || d.labels.iter().any(|l| focused[l.file.0 as usize]))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_drops_dots() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
    }

    #[test]
    fn roots_are_config_then_repository_then_common_folder() {
        let base = std::env::temp_dir().join(format!("uplint-project-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(base.join("repo/.git")).unwrap();
        std::fs::create_dir_all(base.join("repo/sub/deeper")).unwrap();
        std::fs::create_dir_all(base.join("loose/a")).unwrap();
        std::fs::create_dir_all(base.join("loose/b")).unwrap();
        std::fs::write(base.join("repo/sub/deeper/z.kql"), "").unwrap();
        assert_eq!(root_of(&base.join("repo/sub/deeper")), base.join("repo"));
        let named = [base.join("repo/sub/deeper/z.kql")];
        assert_eq!(Scope::of(&named, None).unwrap().root, base.join("repo"));
        assert_eq!(Scope::of(&named, Some(&base.join("repo/sub"))).unwrap().root, base.join("repo/sub"));
        std::fs::write(base.join("loose/a/x.kql"), "").unwrap();
        std::fs::write(base.join("loose/b/y.kql"), "").unwrap();
        let scope = Scope::of(&[base.join("loose/a/x.kql"), base.join("loose/b/y.kql")], None).unwrap();
        assert!(scope.root == base.join("loose") || scope.root.join(".git").exists(), "{}", scope.root.display());
        assert_eq!(common_folder(&[base.join("loose/a/x.kql"), base.join("loose/b/y.kql")]), Some(base.join("loose")));
        assert!(scope.contains(&base.join("loose/a/./x.kql")));
        assert!(!scope.contains(&base.join("loose/a/z.kql")));
        assert_eq!(Scope::of(&[base.join("loose")], None), None);
        std::fs::remove_dir_all(&base).unwrap();
    }
}
