//! The first stages of every command: discover files, load them, cut them into units.

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::discover;
use crate::source::{self, SourceMap};
use crate::unit::{self, Unit};

/// Settings of the loading stages.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Files larger than this many bytes are reported, not read.
    pub max_file_size: u64,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions { max_file_size: source::DEFAULT_MAX_FILE_SIZE }
    }
}

/// Everything loaded for one run: the files, their units, and the problems met loading them.
#[derive(Debug, Default)]
pub struct Workspace {
    pub sources: SourceMap,
    pub units: Vec<Unit>,
    /// Files that could not be read (`UP902`).
    pub diagnostics: Vec<Diagnostic>,
}

/// Why a run could not start.
#[derive(Debug, PartialEq, Eq)]
pub enum LoadError {
    /// No path named a Kusto script.
    NoInput,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::NoInput => write!(f, "no Kusto files (.kql, .csl, .kusto) found"),
        }
    }
}

/// Discovers and loads `paths` (relative to `cwd` for display) and analyses their units.
/// A path that does not exist is reported like an unreadable file; the others are loaded.
pub fn load(paths: &[PathBuf], cwd: &Path, options: &LoadOptions) -> Result<Workspace, LoadError> {
    let found = discover::discover(paths);
    let mut files = found.files;
    files.extend(found.missing);
    files.sort();
    if files.is_empty() {
        return Err(LoadError::NoInput);
    }
    let mut workspace = Workspace::default();
    let (ids, problems) = source::load(&files, cwd, options.max_file_size, &mut workspace.sources);
    for id in ids {
        if problems.iter().any(|p| p.primary.file == id) {
            continue;
        }
        if let Some(unit) = unit::query_unit(id, workspace.sources.get(id)) {
            workspace.units.push(unit);
        }
    }
    workspace.diagnostics = problems;
    Ok(workspace)
}
