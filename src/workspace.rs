//! The first stages of every command: discover files, load them, parse their scripts, decide
//! each file's database and cluster, build the model and its units.

use std::path::{Path, PathBuf};

use crate::context::{self, ContextOptions, FileContext};
use crate::diagnostic::Diagnostic;
use crate::discover::{self, Discovery};
use crate::markdown;
use crate::model::{self, BuildOptions, Model};
use crate::script::{self, Script};
use crate::source::{self, FileId, SourceMap};
use crate::unit::{Unit, UnitId};

/// Settings of the loading stages.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Files larger than this many bytes are reported, not read.
    pub max_file_size: u64,
    /// Which files to read.
    pub discovery: Discovery,
    /// Which database and cluster each file runs against.
    pub contexts: ContextOptions,
    pub model: BuildOptions,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            max_file_size: source::DEFAULT_MAX_FILE_SIZE,
            discovery: Discovery::new(Path::new("")),
            contexts: ContextOptions::default(),
            model: BuildOptions::default(),
        }
    }
}

/// Everything loaded for one run: the files, their scripts, the model they describe, the KQL
/// units, and the problems met on the way (unreadable files, malformed commands).
#[derive(Debug, Default)]
pub struct Workspace {
    pub sources: SourceMap,
    /// The parsed script of every file that could be read, in path order.
    pub scripts: Vec<(FileId, Script)>,
    /// The context each script's file starts in, in the order of `scripts`.
    pub contexts: Vec<FileContext>,
    pub model: Model,
    pub units: Vec<Unit>,
    /// Files that could not be read (`UP902`) and commands that do not parse (`UP901`).
    pub diagnostics: Vec<Diagnostic>,
}

impl Workspace {
    pub fn unit(&self, id: UnitId) -> &Unit {
        &self.units[id.0 as usize]
    }

    /// The context `file` starts in (`None` for a file that could not be read).
    pub fn context(&self, file: FileId) -> Option<&FileContext> {
        let index = self.scripts.iter().position(|(id, _)| *id == file)?;
        self.contexts.get(index)
    }
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
            LoadError::NoInput => write!(f, "no Kusto files (.kql, .csl, .kusto or the configured extensions) found"),
        }
    }
}

/// Discovers and loads `paths` (relative to `cwd` for display) and analyses their units.
/// A path that does not exist is reported like an unreadable file; the others are loaded.
pub fn load(paths: &[PathBuf], cwd: &Path, options: &LoadOptions) -> Result<Workspace, LoadError> {
    let found = discover::discover(paths, &options.discovery);
    let mut files = found.files;
    files.extend(found.missing);
    files.sort();
    if files.is_empty() {
        return Err(LoadError::NoInput);
    }
    let mut sources = SourceMap::default();
    let (ids, problems) = source::load(&files, cwd, options.max_file_size, &mut sources);
    Ok(analyse(sources, ids, problems, options))
}

/// A workspace of files given as `(display path, text)`, in that order (tests, standard input).
pub fn from_texts(files: &[(&str, &str)], options: &LoadOptions) -> Workspace {
    let mut sources = SourceMap::default();
    let ids = files
        .iter()
        .map(|(path, text)| sources.add(source::SourceFile::new(path.into(), path.to_string(), text.to_string())))
        .collect();
    analyse(sources, ids, Vec::new(), options)
}

/// Parses the scripts of the files that could be read, then builds the model and its units.
fn analyse(sources: SourceMap, ids: Vec<FileId>, mut problems: Vec<Diagnostic>, options: &LoadOptions) -> Workspace {
    let mut workspace = Workspace { sources, ..Workspace::default() };
    for id in ids {
        if problems.iter().any(|p| p.primary.file == id) {
            continue;
        }
        let file = workspace.sources.get(id);
        let script = if discover::is_markdown(&file.path) {
            script::parse_script(&markdown::script_text(&file.text))
        } else {
            script::parse_script(&file.text)
        };
        for error in &script.errors {
            problems.push(Diagnostic::syntax_error(id, error.span, error.message.clone()));
        }
        workspace.scripts.push((id, script));
    }
    let inputs: Vec<_> =
        workspace.scripts.iter().map(|(id, script)| (*id, workspace.sources.get(*id), script)).collect();
    // Which database a folder stands for depends on the names the queries mention: a first
    // build gives the units; the second, in context, takes their analyses over.
    let (_, first) = model::build(&inputs, &options.model);
    let contexts = context::assign(&inputs, &first, &options.contexts);
    let (model, units) = model::build_in_contexts(&inputs, &contexts, first, &options.model);
    workspace.contexts = contexts;
    workspace.model = model;
    workspace.units = units;
    workspace.diagnostics = problems;
    workspace
}
