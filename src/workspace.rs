//! The first stages of every command: discover files, load them, parse their scripts, decide
//! each file's database and cluster, build the model and its units.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashSet;

use crate::context::{self, ContextOptions, FileContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::discover::{self, Discovery, WalkProblem};
use crate::kql::token::Token;
use crate::markdown;
use crate::model::changes::Changes;
use crate::model::{self, BuildOptions, Model};
use crate::script::{self, Script};
use crate::source::{self, FileId, SharedText, SourceFile, SourceMap};
use crate::span::Span;
use crate::unit::{AnalysisCache, Unit, UnitId, UnitNames};

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
    /// The workspace is checked once and never edited (the command line): the model takes from
    /// the commands of large scripts what it holds, leaving each its place and words
    /// ([`model::build::build_taking`]). An edit ([`Workspace::set_texts`]) then parses every
    /// script again first.
    pub one_shot: bool,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            max_file_size: source::DEFAULT_MAX_FILE_SIZE,
            discovery: Discovery::new(Path::new("")),
            contexts: ContextOptions::default(),
            model: BuildOptions::default(),
            one_shot: false,
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
    /// The units of every script, script after script (see [`Workspace::script_units`]).
    pub units: Vec<Unit>,
    /// The names of the units that have one (see [`Workspace::unit_name`]).
    unit_names: UnitNames,
    /// Where each script's units lie in `units`, in the order of `scripts`.
    unit_ranges: Vec<Range<usize>>,
    /// The names each script states, in the order of `scripts`, and what they add up to.
    stated: Vec<context::Stated>,
    names: context::Names,
    /// How many times the scripts state each name: whether an edit can change `names`.
    name_counts: context::NameCounts,
    /// What each script touches in the model, in the order of `scripts`.
    touched: Vec<model::build::Touched>,
    /// Whether the model took the scripts' commands (see [`LoadOptions::one_shot`]).
    taken: bool,
    /// Which workspace this is (unique in the process) and how many times its texts were set:
    /// a check that keeps results ([`crate::check::Cache`]) knows what it computed them from.
    id: u64,
    revision: u64,
    /// What the last few revisions changed in the model, oldest first.
    recent: std::collections::VecDeque<(u64, Changes)>,
    /// Files that could not be read (`UP902`) and commands that do not parse (`UP901`).
    pub diagnostics: Vec<Diagnostic>,
}

/// How many revisions' changes a workspace remembers.
const REMEMBERED_REVISIONS: usize = 8;

static NEXT_WORKSPACE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Workspace {
    pub fn unit(&self, id: UnitId) -> &Unit {
        &self.units[id.0 as usize]
    }

    /// The name of unit `id`: a function or view name, `Table[index]` for a policy entry, the
    /// table for RLS (none for a query).
    pub fn unit_name(&self, id: UnitId) -> Option<&str> {
        self.unit_names.get(id)
    }

    /// This workspace (unique in the process) and its revision (see [`Workspace::changes_since`]).
    pub fn version(&self) -> (u64, u64) {
        (self.id, self.revision)
    }

    /// What changed in the model since `revision` of this workspace; `None` when it is not
    /// known any more (then assume everything changed).
    pub fn changes_since(&self, revision: u64) -> Option<Changes> {
        let mut changes = Changes::default();
        let mut next = revision + 1;
        for (at, change) in &self.recent {
            if *at < next {
                continue;
            }
            if *at != next {
                return None;
            }
            changes.merge(change.clone());
            next += 1;
        }
        (next == self.revision + 1).then_some(changes)
    }

    /// Replaces the text of files (an editor's unsaved buffers, files changed on disk) and
    /// analyses the workspace again: the scripts of those files are parsed again, and of their
    /// KQL only the texts that changed; the other files' units are kept as they are. Contexts
    /// and the model are rebuilt from the scripts and units.
    pub fn set_texts(&mut self, changes: Vec<(FileId, String)>, options: &LoadOptions) {
        if self.taken {
            // The model took the commands: the scripts are whole again before anything is
            // built from them (their texts, hence their units, are as before).
            for (id, script) in &mut self.scripts {
                *script = parse(self.sources.get(*id)).script;
            }
            self.taken = false;
        }
        // Whether what the project names may have changed (some file's names did, and the
        // counts of names cannot tell that the project's are the same).
        let mut stated_changed = false;
        let mut changed = Vec::new();
        // Units numbered as before: the model can be built again only where the edit reaches.
        let mut same_units = true;
        for (id, text) in changes {
            self.sources.set_text(id, text);
            self.diagnostics.retain(|d| d.primary.file != id);
            let parsed = parse(self.sources.get(id));
            self.diagnostics.extend(parsed.problems(id));
            let Parsed { script, tokens, text, .. } = parsed;
            // Scripts stay in the order of their ids, which is the path order they run in.
            let index = match self.scripts.binary_search_by_key(&id, |(i, _)| *i) {
                Ok(index) => {
                    self.scripts[index].1 = script;
                    index
                }
                Err(index) => {
                    self.scripts.insert(index, (id, script));
                    same_units = false;
                    self.touched.insert(index, model::build::Touched::default());
                    let start = self.unit_ranges.get(index).map_or(self.units.len(), |r| r.start);
                    self.unit_ranges.insert(index, start..start);
                    self.stated.insert(index, context::Stated::default());
                    self.contexts.insert(index, FileContext::fallback());
                    index
                }
            };
            let range = self.unit_ranges[index].clone();
            let mut cache = AnalysisCache::from_units(self.units.drain(range.clone()).collect()).with_tokens(tokens);
            let units = model::units_of(id, &text, &self.scripts[index].1, &mut cache);
            let end = range.start + units.len();
            same_units &= end == range.end;
            self.units.splice(range.start..range.start, units);
            self.unit_ranges[index] = range.start..end;
            for later in &mut self.unit_ranges[index + 1..] {
                *later = later.start - range.end + end..later.end - range.end + end;
            }
            let stated = context::stated(&self.scripts[index].1, &self.units[range.start..end]);
            if stated != self.stated[index] {
                stated_changed |= self.name_counts.replace(&self.stated[index], &stated);
            }
            self.stated[index] = stated;
            changed.push(id);
        }
        // When what the whole project names changed, every file's context is decided again.
        let names_changed = stated_changed && context::Names::of(&self.stated, &options.contexts) != self.names;
        if names_changed {
            self.assign_contexts(options);
        } else {
            // Only the changed files' own contexts can change.
            for &id in &changed {
                let Ok(index) = self.scripts.binary_search_by_key(&id, |(i, _)| *i) else { continue };
                let (source, script) = (self.sources.get(id), &self.scripts[index].1);
                self.contexts[index] = context::file_context(source, script, &self.names, &options.contexts);
            }
        }
        self.revision += 1;
        let rebuilt = match changed.as_slice() {
            [id] if same_units && !names_changed => self.rebuild_model(*id, options),
            _ => None,
        };
        let changes = match rebuilt {
            Some(changes) => changes,
            None => {
                let previous = self.build_model(options);
                // Freeing the previous model (every table, function and policy of the project)
                // is a good part of a rebuild: done on another thread, it does not delay the
                // answer.
                std::thread::spawn(move || drop(previous));
                Changes::everything()
            }
        };
        self.recent.push_back((self.revision, changes));
        if self.recent.len() > REMEMBERED_REVISIONS {
            self.recent.pop_front();
        }
    }

    /// Builds again the databases that the script of `file` touched or touches (see
    /// [`model::build::rebuild`]); `None` when the whole model must be built again.
    fn rebuild_model(&mut self, file: FileId, options: &LoadOptions) -> Option<Changes> {
        let index = self.scripts.binary_search_by_key(&file, |(id, _)| *id).ok()?;
        let inputs: Vec<_> = self.scripts.iter().map(|(id, script)| (*id, self.sources.get(*id), script)).collect();
        let starts: Vec<usize> = self.unit_ranges.iter().map(|r| r.start).collect();
        model::build::rebuild(
            &mut self.model,
            &inputs,
            &self.contexts,
            &mut self.units,
            &mut self.unit_names,
            &starts,
            &mut self.touched,
            index,
            &options.model,
        )
    }

    /// Decides every file's context from what the whole project names (the databases the
    /// queries mention: the units say, made before the model and independent of contexts).
    fn assign_contexts(&mut self, options: &LoadOptions) {
        self.names = context::Names::of(&self.stated, &options.contexts);
        self.contexts = self
            .scripts
            .iter()
            .map(|(id, script)| context::file_context(self.sources.get(*id), script, &self.names, &options.contexts))
            .collect();
    }

    /// Builds the model of the scripts (their units made, their contexts decided); returns the
    /// previous one.
    fn build_model(&mut self, options: &LoadOptions) -> Model {
        let (model, touched) = if options.one_shot {
            self.taken = true;
            model::build::build_taking(
                &mut self.scripts,
                &self.contexts,
                &mut self.units,
                &mut self.unit_names,
                &options.model,
            )
        } else {
            let inputs: Vec<_> = self.scripts.iter().map(|(id, script)| (*id, self.sources.get(*id), script)).collect();
            model::build::build_recording(
                &inputs,
                &self.contexts,
                &mut self.units,
                &mut self.unit_names,
                &options.model,
            )
        };
        self.touched = touched;
        self.unit_names.shrink_to_fit();
        std::mem::replace(&mut self.model, model)
    }

    /// Takes the units of every script (`made`: each script's units and what it states, made
    /// by [`file_units`], in script order), decides contexts and builds the model.
    fn build_all(&mut self, made: Vec<(Vec<Unit>, context::Stated)>, options: &LoadOptions) {
        self.units.clear();
        self.unit_ranges.clear();
        self.stated.clear();
        // The first file's units become the vector of all (one file of many queries is not
        // held twice), grown once to the total.
        let total = made.iter().map(|(units, _)| units.len()).sum::<usize>();
        for (units, stated) in made {
            let start = self.units.len();
            if start == 0 {
                self.units = units;
                self.units.reserve_exact(total - self.units.len());
            } else {
                self.units.extend(units);
            }
            self.stated.push(stated);
            self.unit_ranges.push(start..self.units.len());
        }
        self.units.shrink_to_fit();
        self.name_counts = context::NameCounts::of(&self.stated);
        self.assign_contexts(options);
        self.build_model(options);
    }

    /// The units of the script of `file`, in order (none for a file that could not be read).
    pub fn script_units(&self, file: FileId) -> &[Unit] {
        match self.scripts.binary_search_by_key(&file, |(id, _)| *id) {
            Ok(index) => &self.units[self.unit_ranges[index].clone()],
            Err(_) => &[],
        }
    }

    /// The context `file` starts in (`None` for a file that could not be read).
    pub fn context(&self, file: FileId) -> Option<&FileContext> {
        // Scripts are in file order.
        let index = self.scripts.binary_search_by_key(&file, |(id, _)| *id).ok()?;
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
    load_with(paths, &[], cwd, options)
}

/// As [`load`], with the text of some files given (`overrides`: an editor's unsaved buffer read
/// from standard input). An overridden file is checked even when it is not on disk.
pub fn load_with(
    paths: &[PathBuf],
    overrides: &[(PathBuf, String)],
    cwd: &Path,
    options: &LoadOptions,
) -> Result<Workspace, LoadError> {
    // Paths are normalised (`a/../b` is `b`), so the working directory they are shown relative
    // to must be too.
    let cwd = &crate::project::normalize(cwd);
    let found = discover::discover(paths, &options.discovery);
    let mut files: Vec<PathBuf> =
        found.files.iter().chain(&found.missing).map(|p| crate::project::normalize(p)).collect();
    files.extend(overrides.iter().map(|(path, _)| crate::project::normalize(path)));
    files.sort();
    files.dedup();
    if files.is_empty() && found.problems.is_empty() {
        return Err(LoadError::NoInput);
    }
    let overrides: Vec<(PathBuf, &String)> =
        overrides.iter().map(|(path, text)| (crate::project::normalize(path), text)).collect();
    let inputs = files
        .into_iter()
        .map(|file| {
            let text = overrides.iter().find(|(path, _)| *path == file).map(|(_, text)| (*text).clone());
            (file, text)
        })
        .collect();
    Ok(load_read(inputs, &found.problems, cwd, options))
}

/// Loads `files` (relative to `cwd` for display), in path order, taking a file's text from
/// `texts` when it gives one (an editor's unsaved buffer) and from disk otherwise. The folders
/// discovery could not walk (`walk_problems`) are reported like unreadable files.
pub fn load_files(
    files: &[PathBuf],
    walk_problems: &[WalkProblem],
    cwd: &Path,
    options: &LoadOptions,
    texts: &dyn Fn(&Path) -> Option<String>,
) -> Workspace {
    let mut files = files.to_vec();
    files.sort();
    files.dedup();
    let inputs = files
        .into_iter()
        .map(|path| {
            let text = texts(&path);
            (path, text)
        })
        .collect();
    load_read(inputs, walk_problems, cwd, options)
}

/// Reads `inputs` (see [`read_files`]), adds a `UP902` for every folder discovery could not
/// walk (a loop is a warning: its files are read under their own path), and analyses the lot.
fn load_read(
    inputs: Vec<(PathBuf, Option<String>)>,
    walk_problems: &[WalkProblem],
    cwd: &Path,
    options: &LoadOptions,
) -> Workspace {
    let (mut sources, mut ids, mut problems) = read_files(inputs, cwd, options.max_file_size);
    for problem in walk_problems {
        let severity = if problem.is_loop { Severity::Warning } else { Severity::Error };
        let (id, diagnostic) = source::add_unread(&problem.path, cwd, severity, problem.message.clone(), &mut sources);
        ids.push(id);
        problems.push(diagnostic);
    }
    analyse(sources, ids, problems, options)
}

/// A workspace of files given as `(display path, text)`, in that order (tests, standard input).
pub fn from_texts(files: &[(&str, &str)], options: &LoadOptions) -> Workspace {
    let mut sources = SourceMap::default();
    let ids = files
        .iter()
        .map(|(path, text)| sources.add(SourceFile::new(path.into(), path.to_string(), text.to_string())))
        .collect();
    analyse(sources, ids, Vec::new(), options)
}

/// The files of a run, in the order given, each with its text when it is given (an editor's
/// buffer) and read from disk otherwise; reading, decoding and finding line starts run in
/// parallel. Returns the files, their ids, and the `UP902` of those that could not be read.
fn read_files(
    files: Vec<(PathBuf, Option<String>)>,
    cwd: &Path,
    max_size: u64,
) -> (SourceMap, Vec<FileId>, Vec<Diagnostic>) {
    let read: Vec<(SourceFile, Option<String>)> = files
        .into_par_iter()
        .with_max_len(1)
        .map(|(path, text)| match text {
            Some(text) => {
                let display = source::display_path(&path, cwd);
                (SourceFile::new(path, display, text), None)
            }
            None => source::read(&path, cwd, max_size),
        })
        .collect();
    let mut sources = SourceMap::default();
    let mut ids = Vec::with_capacity(read.len());
    let mut problems = Vec::new();
    for (file, problem) in read {
        let id = sources.add(file);
        problems.extend(problem.map(|message| source::unreadable(id, message)));
        ids.push(id);
    }
    (sources, ids, problems)
}

/// Parses the scripts of the files that could be read (in parallel), then builds the model
/// and its units.
fn analyse(sources: SourceMap, ids: Vec<FileId>, mut problems: Vec<Diagnostic>, options: &LoadOptions) -> Workspace {
    let id = NEXT_WORKSPACE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut workspace = Workspace { sources, id, ..Workspace::default() };
    let unreadable: FxHashSet<FileId> = problems.iter().map(|p| p.primary.file).collect();
    let readable: Vec<FileId> = ids.into_iter().filter(|id| !unreadable.contains(id)).collect();
    // Files in parallel: each file is parsed and its units made while its tokens are at hand
    // (units are parsed from them, and they are dropped before the next file); the KQL of each
    // file's units is analysed in parallel too (one file of many queries). Collected in file
    // order.
    let made: Vec<(Script, Vec<Unit>, context::Stated, Vec<Diagnostic>)> = readable
        .par_iter()
        .with_max_len(1)
        .map(|&id| {
            let parsed = parse(workspace.sources.get(id));
            let file_problems = parsed.problems(id).collect();
            let Parsed { script, tokens, text, .. } = parsed;
            let (units, stated) = file_units(id, &text, &script, tokens);
            (script, units, stated, file_problems)
        })
        .collect();
    let mut units = Vec::with_capacity(made.len());
    for (id, (script, file_units, stated, file_problems)) in readable.into_iter().zip(made) {
        problems.extend(file_problems);
        workspace.scripts.push((id, script));
        units.push((file_units, stated));
    }
    workspace.diagnostics = problems;
    workspace.build_all(units, options);
    workspace
}

/// The units of one file's script (`tokens`: the file's tokens, or none), analysed, and what
/// the file states.
fn file_units(id: FileId, text: &SharedText, script: &Script, tokens: Vec<Token>) -> (Vec<Unit>, context::Stated) {
    let mut tokens = tokens;
    if repeats_few_texts(text, script) {
        tokens = Vec::new();
    }
    let mut cache = AnalysisCache::deferring(Vec::new()).with_tokens(tokens);
    let mut units = model::units_of(id, text, script, &mut cache);
    cache.finish(&mut units);
    let stated = context::stated(script, &units);
    (units, stated)
}

/// How many of a file's first queries tell whether it repeats a few texts.
const REPEAT_SAMPLE: usize = 1024;

/// True when a file's first queries repeat a few texts (a quarter as many distinct texts as
/// queries or fewer, over its first [`REPEAT_SAMPLE`]). Its units are then parsed from their own
/// texts, and its tokens are let go before its units are made: the few distinct texts are lexed
/// again, and a file of many short queries does not hold its tokens beside its units (the
/// analyses are the same either way).
fn repeats_few_texts(text: &str, script: &Script) -> bool {
    use std::hash::BuildHasher;
    let hasher = rustc_hash::FxBuildHasher;
    let mut sample: Vec<u64> = script
        .items
        .iter()
        .filter_map(|item| match item {
            script::Item::Query(span) => text.get(span.start as usize..span.end as usize),
            _ => None,
        })
        .take(REPEAT_SAMPLE)
        .map(|query| hasher.hash_one(query))
        .collect();
    if sample.len() < REPEAT_SAMPLE {
        return false;
    }
    sample.sort_unstable();
    sample.dedup();
    sample.len() * 4 <= REPEAT_SAMPLE
}

/// A file read as a script (see [`parse`]).
struct Parsed {
    /// The script of the file (of a Markdown file: of its Kusto code blocks, each read on its own).
    script: Script,
    /// The file's tokens (none for a Markdown file).
    tokens: Vec<Token>,
    /// The text its units are stretches of: the file's own text, or for a Markdown file that
    /// text with everything outside Kusto code blocks blanked (same offsets).
    text: SharedText,
    /// The blocks of a Markdown file without a language that start with a Kusto command: not
    /// read.
    unlabelled: Vec<markdown::UnlabelledBlock>,
}

impl Parsed {
    /// What reading file `id` found: its syntax errors (`UP901`), then the Kusto blocks of a
    /// Markdown file that were not read for want of a language (`UP905`).
    fn problems(&self, id: FileId) -> impl Iterator<Item = Diagnostic> + '_ {
        let errors = self.script.errors.iter().map(move |e| Diagnostic::syntax_error(id, e.span, e.message.clone()));
        let span = |range: &Range<usize>| Span::new(range.start, range.end);
        let blocks = self.unlabelled.iter();
        errors.chain(
            blocks.map(move |block| Diagnostic::unlabelled_kusto_block(id, span(&block.fence), span(&block.command))),
        )
    }
}

/// Reads `file` as a script (a Markdown file: its Kusto code blocks).
fn parse(file: &SourceFile) -> Parsed {
    if discover::is_markdown(&file.path) {
        let runbook = markdown::read(&file.text);
        let mut script = script::parse_script_blocks(&runbook.text, &runbook.blocks);
        if let Some(fence) = runbook.unclosed {
            let message = "this Kusto code block is never closed: the rest of the file is read as Kusto (close it with \
                           a fence line like the one that opens it)";
            script.errors.insert(0, crate::kql::parser::SyntaxError::new(Span::new(fence.start, fence.end), message));
        }
        Parsed { script, tokens: Vec::new(), text: Arc::new(runbook.text), unlabelled: runbook.unlabelled }
    } else {
        let (script, tokens) = script::parse_script_lexed(&file.text);
        Parsed { script, tokens, text: file.text.clone(), unlabelled: Vec::new() }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Settings;

    fn check(workspace: &Workspace) -> Vec<Diagnostic> {
        crate::check::check(workspace, &Settings::default())
    }

    #[test]
    fn a_file_of_few_repeated_queries_lets_its_tokens_go_and_its_units_are_the_same() {
        let text = |count: usize, distinct: usize| -> String {
            (0..count).map(|i| format!("T{} | where x == {} | take 1\n\n", i % distinct, i % distinct)).collect()
        };
        let repeats = |text: &str| repeats_few_texts(text, &script::parse_script(text));
        assert!(repeats(&text(REPEAT_SAMPLE, 10)));
        assert!(repeats(&text(3 * REPEAT_SAMPLE, REPEAT_SAMPLE / 4)));
        assert!(!repeats(&text(3 * REPEAT_SAMPLE, REPEAT_SAMPLE / 4 + 1)), "too many distinct texts");
        assert!(!repeats(&text(REPEAT_SAMPLE - 1, 1)), "too few queries to tell");
        // Parsed from their own texts or from the file's tokens: the same units.
        let repeated = text(2 * REPEAT_SAMPLE, 7);
        let (script, tokens) = script::parse_script_lexed(&repeated);
        let shared: SharedText = Arc::new(repeated.clone());
        let (without, _) = file_units(FileId(0), &shared, &script, tokens.clone());
        let mut cache = AnalysisCache::deferring(Vec::new()).with_tokens(tokens);
        let mut with = model::units_of(FileId(0), &shared, &script, &mut cache);
        cache.finish(&mut with);
        let describe = |units: &[Unit]| -> Vec<String> {
            units.iter().map(|u| format!("{:?} {} {:?}", u.kind, &*u.text, u.query)).collect()
        };
        assert_eq!(describe(&without), describe(&with));
        assert_eq!(without.len(), 2 * REPEAT_SAMPLE);
    }

    #[test]
    fn each_kusto_block_of_a_runbook_is_read_on_its_own() {
        let runbook = "# Runbook\n\nFirst:\n\n```kusto\nlet x = 1;\n```\n\nThen:\n\n```kusto\nT | take x\n```\n";
        let workspace = from_texts(&[("runbook.md", runbook)], &LoadOptions::default());
        // Kusto runs each block alone (and parses both): once read as one query from the first
        // block into the next, over the fences and prose.
        let syntax: Vec<_> = check(&workspace).into_iter().filter(|d| d.code.code == "UP901").collect();
        assert!(syntax.is_empty(), "{syntax:?}");
        let texts: Vec<&str> = workspace.units.iter().map(|unit| &*unit.text).collect();
        assert_eq!(texts, ["let x = 1;", "T | take x"]);
        // A bracket left open in one block is reported there, and the next block is read as
        // written.
        let open = runbook.replace("let x = 1;", "T | where (a == 1");
        let workspace = from_texts(&[("runbook.md", open.as_str())], &LoadOptions::default());
        let syntax: Vec<_> = check(&workspace).into_iter().filter(|d| d.code.code == "UP901").collect();
        let [error] = &syntax[..] else { panic!("one syntax error: {syntax:?}") };
        assert_eq!(error.primary.span.start as usize, open.find("1\n```").unwrap() + 1, "{error:?}");
        let texts: Vec<&str> = workspace.units.iter().map(|unit| &*unit.text).collect();
        assert_eq!(texts, ["T | where (a == 1", "T | take x"]);
        // The second block still exists on its own when edited.
        let mut edited = from_texts(&[("runbook.md", runbook)], &LoadOptions::default());
        let id = edited.sources.files().next().unwrap().0;
        edited.set_texts(vec![(id, runbook.replace("take x", "take"))], &LoadOptions::default());
        let syntax: Vec<_> = check(&edited).into_iter().filter(|d| d.code.code == "UP901").collect();
        assert_eq!(syntax.len(), 1, "{syntax:?}");
        assert!(!edited.units[1].text.contains('`'), "{:?}", &*edited.units[1].text);
    }

    /// An editor's re-check reports a runbook's unlabelled Kusto block as loading the file does,
    /// and drops it once the block names its language.
    #[test]
    fn an_unlabelled_kusto_block_comes_and_goes_with_the_text() {
        let unlabelled = "# Runbook\n\n```\n.create table T (a:int)\n```\n";
        let labelled = unlabelled.replace("```\n.create", "```kusto\n.create");
        let options = LoadOptions::default();
        let codes = |w: &Workspace| check(w).iter().map(|d| d.code.code).collect::<Vec<_>>();
        let mut workspace = from_texts(&[("runbook.md", unlabelled)], &options);
        assert_eq!(codes(&workspace), ["UP905"]);
        workspace.set_texts(vec![(FileId(0), labelled.clone())], &options);
        assert_eq!(check(&workspace), check(&from_texts(&[("runbook.md", &labelled)], &options)));
        assert!(codes(&workspace).is_empty());
        workspace.set_texts(vec![(FileId(0), unlabelled.to_string())], &options);
        assert_eq!(codes(&workspace), ["UP905"]);
    }

    #[test]
    fn set_texts_gives_what_loading_the_new_texts_gives() {
        let function = ".create function F() { database('Other').T }\n.create function G() { T | where";
        let policy = ".alter table A policy update @'[{\"Source\": \"S\", \"Query\": \"F() | take 1\"}]'";
        let fixed = ".create function F() { T }\n.create function G() { T | where";
        let options = LoadOptions::default();
        let mut workspace = from_texts(&[("f.kql", function), ("p.kql", policy)], &options);
        let before = check(&workspace);
        assert!(before.iter().any(|d| d.code.code == "UP001"), "{before:?}");
        workspace.set_texts(vec![(FileId(0), fixed.to_string())], &options);
        let fresh = from_texts(&[("f.kql", fixed), ("p.kql", policy)], &options);
        assert_eq!(check(&workspace), check(&fresh));
        assert!(!check(&workspace).iter().any(|d| d.code.code == "UP001"));
        let texts = |w: &Workspace| w.units.iter().map(|u| (u.file, u.text.to_string())).collect::<Vec<_>>();
        assert_eq!(texts(&workspace), texts(&fresh));
        // A script syntax error comes and goes with the text.
        let broken = ".alter table A policy update @'[{\"Source\"";
        workspace.set_texts(vec![(FileId(1), broken.into())], &options);
        let expected = check(&from_texts(&[("f.kql", fixed), ("p.kql", broken)], &options));
        assert!(expected.iter().any(|d| d.primary.file == FileId(1)), "{expected:?}");
        assert_eq!(check(&workspace), expected);
        workspace.set_texts(vec![(FileId(1), policy.to_string())], &options);
        assert_eq!(check(&workspace), check(&fresh));
    }

    /// Texts each file of a small project can take: functions that read other databases or
    /// not, call each other in a cycle or read `$source_table`; policies with and without
    /// identities; tables, grants, database and cluster identity policies; `#connect`s and
    /// `database('X')` references that change which database a folder stands for; units added
    /// and removed, syntax errors, an empty file. Many variants of a file have as many units as
    /// others, so that an edit builds again only the databases it touches.
    const VARIANTS: [&[&str]; 4] = [
        &[
            ".create function F() { database('Other').T }\n.create function G() { T | where",
            ".create function F() { T }",
            ".create function G() { T }\n.create function F() { G() }\n\nT | take 1",
            "#connect cluster('c').database('Sales')\n.create function F() { database('reference').X }",
            "",
            ".create function F() { T }\n.create function G() { T | project a, zz }",
            ".create function F() { G() }\n.create function G() { F() | project a }",
            ".create function F() { $source_table | project x }\n.create function G() { database('Reference').T }",
            ".create function F() { S | extend x = 1, x = 2 }\n.create function G() { H() }",
            "#connect cluster('c').database('Sales')\n.create function F() { T }\n.create function G() { X }",
            ".create function F() { database('Other').T | project a }",
        ],
        &[
            ".alter table A policy update @'[{\"Source\": \"S\", \"Query\": \"F() | take 1\"}]'",
            ".alter-merge table A policy update @'[{\"Source\": \"S\", \"Query\": \"F()\"}, {\"Source\": \"S\", \"Query\": \"G()\", \"ManagedIdentity\": \"system\"}]'",
            ".alter table A policy update @'[{\"Source\"",
            ".create table A (x:long)\n.create table S (x:long)\n.alter table A policy update @'[{\"Source\": \"S\", \"Query\": \"S | project x\", \"Sourc\": 1}]'",
            ".alter table A policy update @'[{\"Source\": \"S\", \"Query\": \"G()\", \"ManagedIdentity\": \"system\"}]'",
            ".create table A (x:long)\n.alter table A policy update @'[{\"Source\": \"T\", \"Query\": \"F() | project x\"}]'",
            ".alter table A policy update @'[{\"Source\": \"S\", \"Query\": \"F()\"}, {\"Source\": \"S\", \"Query\": \"H()\"}]'",
            ".alter table A policy update @'[{\"Source\": \"S\", \"Query\": \"F()\", \"IsTransactional\": \"true\"}]'",
            ".alter table A policy update @'[{\"Source\": \"S\", \"Query\": \"F()\"}]'\n.alter table A policy update @'[{\"Source\": \"X\", \"Query\": \"G()\"}]'",
            // Update policy cycles (UP205): in this file alone, and with a policy of another file.
            ".alter table S policy update @'[{\"Source\": \"A\", \"Query\": \"A | project x\"}]'\n.alter table A policy update @'[{\"Source\": \"S\", \"Query\": \"F()\"}]'",
            ".alter table S policy update @'[{\"Source\": \"A\", \"Query\": \"A | project x\"}]'",
            // A Source pattern without SourceIsWildCard, and SourceIsWildCard without a pattern.
            ".alter table A policy update @'[{\"Source\": \"S*\", \"Query\": \"F()\"}, {\"Source\": \"S\", \"SourceIsWildCard\": true, \"Query\": \"G()\"}]'",
        ],
        &[
            ".create table T (a:string)\n.create table X (b:long)",
            "database('Reference').X | take 1",
            "#connect cluster('c').database('Other')\n.create table T (a:string)",
            ".create table T (a:string)\n.create-or-alter function H() { database('Sales').T }",
            ".create table T (a:long, zz:string)\n.create table X (b:long)",
            ".create table T (a:string)\n.add database Reference viewers ('aadapp=8c0f5a2e-9e6b-4a52-b0d6-6f1c2f1c7f0a')",
            ".create table T (a:string)\n.create-or-alter function H() { F() }",
            ".create table T (a:string)\n.create-or-alter function H() { T | project a }",
            ".create table T (a:string, a:long)\n.create table X (b:long)",
            ".create table T (a:string)\n\n\n.create table X (b:long)",
            "#connect cluster('c').database('Other')\n.create table T (a:string)\n.alter table T policy restricted_view_access true",
            "#connect cluster('c').database('Other')\n.create table T (a:string)\n.alter table T policy row_level_security enable \"T | take 1\"",
            "#connect cluster('c').database('Other')\n.create table T (a:string)\n.alter table T policy row_level_security disable \"T | take 1\"",
        ],
        &[
            ".alter-merge database Sales policy managed_identity ```[{\"ObjectId\": \"system\", \"AllowedUsages\": \"AutomatedFlows\"}]```",
            ".create table S (x:long)\n.alter table A policy update @'[{\"Source\": \"S\", \"Query\": \"H()\"}]'",
            "",
            ".alter-merge cluster policy managed_identity ```[{\"ObjectId\": \"system\", \"AllowedUsages\": \"AutomatedFlows\"}]```",
            ".add database Sales viewers ('aadapp=8c0f5a2e-9e6b-4a52-b0d6-6f1c2f1c7f0a')\n.create table S (x:long)",
            ".create table S (x:long, y:string)\n.alter table A policy update @'[{\"Source\": \"S\", \"Query\": \"S | project x\"}]'",
            ".set-or-append S <| database('Reference').T | project x = 1",
            ".create table S (x:long)\n.alter-merge table S policy retention softdelete = 0d",
        ],
    ];
    const PATHS: [&str; 4] = ["sales/functions.kql", "sales/policies.kql", "reference/tables.kql", "z.kql"];

    /// What a check shows, and what the model and units are, as text.
    fn state(workspace: &Workspace) -> String {
        let units: Vec<_> = workspace
            .units
            .iter()
            .enumerate()
            .map(|(id, u)| {
                let name = workspace.unit_name(UnitId(id as u32));
                (u.file, u.kind, name, u.cluster(), u.database(), &u.text, u.query.analysis.reads())
            })
            .collect();
        format!("{:#?}\n{:#?}\n{:#?}\n{:#?}", check(workspace), workspace.contexts, units, workspace.model)
    }

    /// A check's diagnostics and policy counts, as text.
    fn checked(checked: &crate::check::Checked) -> String {
        format!("{:#?}\n{:?}", checked.diagnostics, checked.policies())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 96, ..Default::default() })]

        /// Any sequence of edits, each re-checked incrementally (the model built again where
        /// the edit reaches, policies resolved and typed again when they looked up something
        /// it changed), gives what loading the texts afresh gives.
        #[test]
        fn incremental_rechecks_agree_with_fresh_loads(
            start in proptest::collection::vec(0usize..16, 4),
            edits in proptest::collection::vec((0usize..4, 0usize..16), 1..12),
        ) {
            let options = LoadOptions::default();
            let settings = Settings::default();
            let text = |file: usize, variant: usize| VARIANTS[file][variant % VARIANTS[file].len()];
            let mut texts: Vec<&str> = (0..4).map(|f| text(f, start[f])).collect();
            let files = |texts: &[&'static str]| PATHS.iter().copied().zip(texts.iter().copied()).collect::<Vec<_>>();
            let mut workspace = from_texts(&files(&texts), &options);
            let mut cache = crate::check::Cache::default();
            crate::check::run_cached(&workspace, &settings, &mut cache);
            for (file, variant) in edits {
                texts[file] = text(file, variant);
                workspace.set_texts(vec![(FileId(file as u32), texts[file].to_string())], &options);
                let fresh = from_texts(&files(&texts), &options);
                proptest::prop_assert_eq!(state(&workspace), state(&fresh));
                let kept = crate::check::run_cached(&workspace, &settings, &mut cache);
                proptest::prop_assert_eq!(checked(&kept), checked(&crate::check::run(&fresh, &settings)));
            }
        }
    }

    /// A workspace checked once, whose commands the model took, gives what one that keeps them
    /// gives: the check, the model and the units, and the suppressions and baseline entries
    /// (which read the commands' places and words). Edited, its scripts are parsed again, and
    /// it agrees with a fresh load.
    #[test]
    fn a_one_shot_workspace_checks_as_a_kept_one_and_can_still_be_edited() {
        // Commands are taken from scripts of many items only (the first file's).
        let mut functions = "// uplint: allow(UP001) elsewhere\n.create function F() { database('Other').T }\n\
                             .create function G() { database('Other').U }\n.create table T (a:string)\n\
                             .set-or-append S <| T | project a\n.drop table X\n.create table D (a:string, a:long)\n"
            .to_string();
        functions.extend((0..model::build::TAKEN_FROM).map(|i| format!(".create table T{i} (a:string)\n")));
        // Only f.kql's taken table command has a finding whose baseline entity is its words.
        let files = [("f.kql", &*functions), ("p.kql", VARIANTS[1][0]), ("t.kql", VARIANTS[2][3])];
        let kept_options = LoadOptions::default();
        let once = LoadOptions { one_shot: true, ..LoadOptions::default() };
        let kept = from_texts(&files, &kept_options);
        let mut taken = from_texts(&files, &once);
        let taken_items = |w: &Workspace| {
            w.scripts.iter().flat_map(|(_, s)| &s.items).filter(|i| matches!(i, script::Item::Taken { .. })).count()
        };
        assert_eq!((taken_items(&kept), taken_items(&taken)), (0, 5 + model::build::TAKEN_FROM));
        assert_eq!(state(&taken), state(&kept));
        let settled = |w: &Workspace| {
            let found = check(w);
            let baseline = crate::baseline::Baseline::of(w, &found).to_json();
            assert!(baseline.contains("\"entity\": \"create table\""), "{baseline}");
            let options = crate::suppress::Options { require_reason: false };
            (format!("{:#?}", crate::suppress::apply(w, found, &crate::rules::catalog(), options)), baseline)
        };
        assert_eq!(settled(&taken), settled(&kept));
        taken.set_texts(vec![(FileId(1), VARIANTS[1][4].to_string())], &once);
        let fresh = from_texts(&[files[0], ("p.kql", VARIANTS[1][4]), files[2]], &kept_options);
        assert_eq!(state(&taken), state(&fresh));
        assert_eq!(settled(&taken), settled(&fresh));
    }

    /// A kept finding that names where else the project defines what a policy reads is found
    /// again when that definition moves, though nothing the policy reads changed.
    #[test]
    fn a_kept_unresolved_read_names_the_moved_definition_elsewhere() {
        let options = LoadOptions::default();
        let settings = Settings::default();
        let functions = "#connect cluster('c').database('Sales')\n.create function G() { X }";
        let policy = ".alter table A policy update @'[{\"Source\": \"S\", \"Query\": \"G()\"}]'";
        let reference =
            |gap: &str| format!("#connect cluster('c').database('Reference')\n{gap}.create table X (b:long)");
        let files = |gap: &str| {
            let reference = reference(gap);
            from_texts(&[("sales/f.kql", functions), ("sales/p.kql", policy), ("z.kql", &reference)], &options)
        };
        let mut workspace = files("");
        let mut cache = crate::check::Cache::default();
        let before = crate::check::run_cached(&workspace, &settings, &mut cache);
        assert!(before.diagnostics.iter().any(|d| d.code.code == "UP007" && d.labels.len() > 1), "{before:#?}");
        workspace.set_texts(vec![(FileId(2), reference("\n\n"))], &options);
        let kept = crate::check::run_cached(&workspace, &settings, &mut cache);
        assert_eq!(checked(&kept), checked(&crate::check::run(&files("\n\n"), &settings)));
    }

    /// A kept finding that suggests another table of the policy's database for its Source
    /// is found again when that table moves, though nothing the policy reads or names changed
    /// (an edit elsewhere in its database keeps the entry's other findings).
    #[test]
    fn a_kept_source_suggestion_names_the_moved_table() {
        let options = LoadOptions::default();
        let settings = Settings::default();
        let policy = "#connect cluster('c').database('Sales')\n.create table S (x:long)\n.create table A (x:long)\n\
                      .alter table A policy update @'[{\"Source\": \"Evnts\", \"Query\": \"S | project x\"}]'";
        // A table created, one filled, one created and dropped (known to exist, not a table).
        let made = [
            ".create table Events (x:long)",
            ".set-or-append Events <| print x = 1",
            ".create table Events (x:long)\n.drop table Events",
        ];
        for made in made {
            let tables = |gap: &str| format!("#connect cluster('c').database('Sales')\n{gap}{made}");
            let files = |gap: &str| {
                let tables = tables(gap);
                from_texts(&[("sales/p.kql", policy), ("sales/t.kql", &tables)], &options)
            };
            let mut workspace = files("");
            let mut cache = crate::check::Cache::default();
            let before = crate::check::run_cached(&workspace, &settings, &mut cache);
            let suggests = |checked: &crate::check::Checked| {
                let in_tables = |d: &Diagnostic| d.labels.iter().any(|l| l.file == FileId(1));
                checked.diagnostics.iter().any(|d| d.code.code == "UP203" && in_tables(d))
            };
            assert!(suggests(&before), "{made}: {before:#?}");
            workspace.set_texts(vec![(FileId(1), tables("\n\n"))], &options);
            let kept = crate::check::run_cached(&workspace, &settings, &mut cache);
            assert!(suggests(&kept), "{made}: {kept:#?}");
            assert_eq!(checked(&kept), checked(&crate::check::run(&files("\n\n"), &settings)), "{made}");
        }
    }

    #[test]
    fn buffers_win_over_disk() {
        let dir = std::env::temp_dir().join(format!("uplint-load-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a.kql"), dir.join("b.kql"));
        std::fs::write(&a, ".create function F() { T }").unwrap();
        let texts = |path: &Path| (path == b).then(|| ".create function G() { U }".to_string());
        let workspace = load_files(&[b.clone(), a.clone()], &[], &dir, &LoadOptions::default(), &texts);
        let names: Vec<_> = workspace.sources.files().map(|(_, f)| f.display.clone()).collect();
        assert_eq!(names, ["a.kql", "b.kql"]);
        assert!(workspace.diagnostics.is_empty());
        assert!(workspace.model.database(None, "default").unwrap().functions.contains_key("G"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[cfg(test)]
mod display_tests {
    use super::*;

    /// A working directory written with `..` (as tests derive `../shared` from the crate's
    /// folder) shows paths relative to it, not absolute.
    #[test]
    fn paths_show_relative_to_a_working_directory_with_dot_dot() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let cwd = root.join("src/../fixtures/demo");
        let workspace = load(std::slice::from_ref(&cwd), &cwd, &LoadOptions::default()).unwrap();
        let shown: Vec<&str> = workspace.sources.files().map(|(_, f)| f.display.as_str()).collect();
        assert!(shown.contains(&"sales/policies.kql"), "{shown:?}");
    }
}
