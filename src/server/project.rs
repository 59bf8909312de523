//! A project the server keeps warm: its configuration, its files (unsaved buffers win over
//! disk), the workspace loaded from them, and its last check.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::check;
use crate::config::{self, Overrides, RuleSelection};
use crate::diagnostic::Diagnostic;
use crate::discover;
use crate::filter;
use crate::resolve::Resolution;
use crate::rules::Settings;
use crate::source::FileId;
use crate::workspace::{self, LoadOptions, Workspace};

/// The project of an opened folder, or of files opened outside every folder.
pub struct Project {
    /// The folder (`None`: loose files, each named in `files`).
    pub root: Option<PathBuf>,
    /// For loose files: the files.
    pub files: Vec<PathBuf>,
    pub options: LoadOptions,
    pub settings: Settings,
    pub rules: RuleSelection,
    /// Suppression comments must give a reason (`require-suppression-reason`).
    pub require_suppression_reason: bool,
    /// Why the configuration could not be read (the defaults are used meanwhile).
    pub config_error: Option<String>,
    pub workspace: Workspace,
    /// The file of each path.
    pub ids: FxHashMap<PathBuf, FileId>,
    /// The last check (shared with what it keeps for the next).
    pub diagnostics: Vec<Arc<Diagnostic>>,
    /// What the last check keeps for the next (each policy's resolution and typing), and the
    /// resolution of the workspace as it is.
    cache: check::Cache,
    /// What was last published, per file, as found (to convert only what changed), and the files
    /// whose text changed since (their lines moved: what points into them is converted again).
    /// `None`: everything is converted again (after a reload).
    pub published: Option<Published>,
}

/// The diagnostics last published per file, and the files whose text changed since.
#[derive(Default)]
pub struct Published {
    pub diagnostics: FxHashMap<FileId, Vec<Arc<Diagnostic>>>,
    pub changed: rustc_hash::FxHashSet<FileId>,
}

impl Project {
    /// The project of folder `root`, loaded and checked; `open` holds the editor's buffers.
    pub fn folder(root: PathBuf, open: &FxHashMap<PathBuf, String>) -> Project {
        let mut project = Project::empty(Some(root), Vec::new());
        project.reload(open);
        project
    }

    /// A project of loose files (opened outside every folder).
    pub fn loose(files: Vec<PathBuf>, open: &FxHashMap<PathBuf, String>) -> Project {
        let mut project = Project::empty(None, files);
        project.reload(open);
        project
    }

    fn empty(root: Option<PathBuf>, files: Vec<PathBuf>) -> Project {
        Project {
            root,
            files,
            options: LoadOptions::default(),
            settings: Settings::default(),
            rules: RuleSelection::default(),
            require_suppression_reason: false,
            config_error: None,
            workspace: Workspace::default(),
            ids: FxHashMap::default(),
            diagnostics: Vec::new(),
            cache: check::Cache::default(),
            published: None,
        }
    }

    /// True when the project holds `path`, or would if it were a script on disk.
    pub fn covers(&self, path: &Path) -> bool {
        match &self.root {
            Some(root) => path.starts_with(root),
            None => self.files.iter().any(|f| f == path),
        }
    }

    /// True when discovery would take `path` (a file the editor has open but not saved yet).
    pub fn accepts(&self, path: &Path) -> bool {
        let discovery = &self.options.discovery;
        self.root.is_some()
            && self.covers(path)
            && discovery.has_extension(path)
            && !discovery.exclude.matches_or_inside(path)
            && discovery.include.as_ref().is_none_or(|include| include.is_match(path))
    }

    /// Reads the configuration, discovers, loads and checks everything again (configuration
    /// changed, files created or deleted).
    pub fn reload(&mut self, open: &FxHashMap<PathBuf, String>) {
        let cwd = match &self.root {
            Some(root) => root.clone(),
            None => self.files.first().and_then(|f| f.parent()).map(Path::to_path_buf).unwrap_or_default(),
        };
        let start = self.root.clone().or_else(|| self.files.first().cloned()).unwrap_or_else(|| cwd.clone());
        match config::load(&config::Source::Search, &[start], &cwd, &Overrides::default()) {
            Ok(config) => {
                self.options = config.load_options(false);
                self.settings = config.settings;
                self.rules = config.rules;
                self.require_suppression_reason = config.require_suppression_reason;
                self.config_error = None;
            }
            Err(error) => {
                self.options = LoadOptions::default();
                self.settings = Settings::default();
                self.rules = RuleSelection::default();
                self.config_error = Some(error.to_string());
            }
        }
        let (mut files, walk_problems) = match &self.root {
            Some(root) => {
                let found = discover::discover(std::slice::from_ref(root), &self.options.discovery);
                (found.files, found.problems)
            }
            None => (self.files.clone(), Vec::new()),
        };
        // Buffers of new files not saved yet.
        files.extend(open.keys().filter(|p| self.accepts(p)).cloned());
        let texts = |path: &Path| open.get(path).cloned();
        self.workspace = workspace::load_files(&files, &walk_problems, &cwd, &self.options, &texts);
        self.ids = self.workspace.sources.files().map(|(id, file)| (file.path.clone(), id)).collect();
        self.published = None;
        self.check();
    }

    /// Replaces the text of files the project holds and checks again.
    pub fn set_texts(&mut self, changes: Vec<(FileId, String)>) {
        let changes: Vec<(FileId, String)> =
            changes.into_iter().filter(|(id, text)| *self.workspace.sources.get(*id).text != **text).collect();
        if changes.is_empty() {
            return;
        }
        if let Some(published) = &mut self.published {
            published.changed.extend(changes.iter().map(|(id, _)| *id));
        }
        self.workspace.set_texts(changes, &self.options);
        self.check();
    }

    /// The workspace with what every update policy entry reads (kept by the last check) and
    /// the settings.
    pub fn resolved(&mut self) -> (&Workspace, &Resolution, &Settings) {
        (&self.workspace, self.cache.resolution(), &self.settings)
    }

    fn check(&mut self) {
        let found = check::run_shared(&self.workspace, &self.settings, &mut self.cache).diagnostics;
        let options = crate::suppress::Options { require_reason: self.require_suppression_reason };
        let found = crate::suppress::apply(&self.workspace, found, &crate::rules::catalog(), options);
        self.diagnostics = filter::apply(&self.rules, &self.workspace.sources, found);
    }
}
