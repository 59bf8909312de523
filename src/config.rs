//! Configuration: `uplint.toml`, found, read and validated once at the edge.
//!
//! The file is parsed into typed structs ([`ConfigFile`], unknown keys rejected), then checked
//! (globs compile, rule codes exist) into a [`Config`] whose parts are the plain settings of each
//! later stage: [`LoadOptions`] (which files to read, and the database and cluster each runs
//! against), [`Settings`] (facts that live only on the cluster) and [`RuleSelection`] (which
//! diagnostics to keep, applied by [`crate::filter`]). Later stages never read files or
//! environment variables.
//!
//! To add a key: add a field to [`ConfigFile`] (kebab-case in the file, `Option` or
//! `#[serde(default)]`), carry its checked value into [`Config`] in [`Config::from_file`], and
//! document it in the README. `uplint config` prints every key of [`ConfigFile`] with no more
//! work.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::context::ContextOptions;
use crate::diagnostic::{Code, Severity};
use crate::discover::Discovery;
use crate::kql::references::normalize_cluster;
use crate::model::BuildOptions;
use crate::rules::{self, ClusterFacts, Settings};
use crate::workspace::LoadOptions;

/// The name of the configuration file.
pub const FILE_NAME: &str = "uplint.toml";

/// The extensions of Kusto scripts when `extensions` is not set.
pub const DEFAULT_EXTENSIONS: &[&str] = &["kql", "csl", "kusto"];

/// Folders and files never read when `exclude` is not set (`extend-exclude` adds to them): the
/// folders of version control systems and of build tools. Other hidden folders are read, as
/// ruff reads them: Fabric's git integration keeps a database's schema under
/// `<eventhouse>.Eventhouse/.children/`.
pub const DEFAULT_EXCLUDE: &[&str] = &[".git", ".hg", ".jj", ".svn", "node_modules", "target"];

pub use crate::source::DEFAULT_MAX_FILE_SIZE;

/// `uplint.toml` as written. Every key is optional; [`Config`] holds the values in effect.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    /// The database of files that nothing else maps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_database: Option<String>,
    /// The cluster of files that name none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_cluster: Option<String>,
    /// Which files run against which database.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub databases: Vec<DatabaseEntry>,
    /// Facts about clusters that no script can state.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<ClusterEntry>,
    /// Globs: only matching files are read from the folders searched (default: every file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include: Option<Vec<Spanned<String>>>,
    /// Globs of files and folders never read from the folders searched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude: Option<Vec<Spanned<String>>>,
    /// Globs added to `exclude`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extend_exclude: Option<Vec<Spanned<String>>>,
    /// The extensions of Kusto scripts (without the dot, case-insensitive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Vec<String>>,
    /// `[rules]`: `select`, `ignore` (lists of rule codes, names or code prefixes), and
    /// `CODE-or-name = "error" | "warning" | "info" | "off"`. Checked in [`Config::from_file`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<BTreeMap<String, Spanned<toml::Value>>>,
    /// Glob -> rule codes or names not reported for matching files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_file_ignores: Option<BTreeMap<String, Vec<Spanned<String>>>>,
    /// Also read ```kusto, ```kql and ```csl blocks of Markdown files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown: Option<bool>,
    /// Files larger than this many bytes are reported, not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_file_size: Option<u64>,
    /// How many threads read and parse files (0, the default: one per available core).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
    /// The lowest severity that makes `uplint check` exit with 1: `error` (default), `warning`
    /// or `info`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_on: Option<Severity>,
    /// Suppression comments must give a reason (else `UP904`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_suppression_reason: Option<bool>,
}

/// One `[[databases]]` entry.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DatabaseEntry {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    pub paths: Vec<Spanned<String>>,
}

/// One `[[clusters]]` entry.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ClusterEntry {
    pub name: String,
    /// The object id of the cluster's system-assigned identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_identity: Option<String>,
    /// Principals holding the AllDatabasesViewer role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub all_databases_viewers: Vec<String>,
    /// Principals holding the AllDatabasesAdmin role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub all_databases_admins: Vec<String>,
}

/// Where a value in effect comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Default,
    /// A line of the configuration file.
    File {
        line: usize,
    },
    /// A command-line flag.
    Flag(&'static str),
}

/// A configuration error: the file, the line and what is wrong (exit status 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

/// Globs relative to a folder. A pattern without `/` also matches any file or folder of that
/// name at any depth (like `.gitignore`); `*` does not cross `/`, `**` does.
#[derive(Clone, Debug)]
pub struct Globs {
    root: PathBuf,
    anywhere: GlobSet,
    rooted: GlobSet,
    written: Vec<String>,
}

impl Globs {
    /// Compiles `patterns`; the error names the pattern that does not compile.
    pub fn new(root: &Path, patterns: &[String]) -> Result<Globs, (usize, String)> {
        let mut anywhere = GlobSetBuilder::new();
        let mut rooted = GlobSetBuilder::new();
        for (i, pattern) in patterns.iter().enumerate() {
            let trimmed = pattern.trim_start_matches("./").trim_end_matches('/');
            let compile = |p: &str| -> Result<Glob, (usize, String)> {
                GlobBuilder::new(p)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| (i, format!("bad glob `{pattern}`: {}", e.kind())))
            };
            if trimmed.contains('/') {
                rooted.add(compile(trimmed.trim_start_matches('/'))?);
            } else {
                anywhere.add(compile(trimmed)?);
            }
        }
        let build = |b: GlobSetBuilder| b.build().map_err(|e| (0, format!("bad glob: {e}")));
        Ok(Globs {
            root: root.to_path_buf(),
            anywhere: build(anywhere)?,
            rooted: build(rooted)?,
            written: patterns.to_vec(),
        })
    }

    /// Globs that match nothing.
    pub fn none(root: &Path) -> Globs {
        Globs::new(root, &[]).expect("no pattern")
    }

    pub fn is_empty(&self) -> bool {
        self.written.is_empty()
    }

    /// True when `path` (absolute) matches: its path relative to the root, or its own name for
    /// a pattern without `/`.
    pub fn is_match(&self, path: &Path) -> bool {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        self.rooted.is_match(relative) || path.file_name().is_some_and(|name| self.anywhere.is_match(name))
    }

    /// True when `path` or a folder above it (up to the root) matches.
    pub fn matches_or_inside(&self, path: &Path) -> bool {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        relative.ancestors().filter(|a| !a.as_os_str().is_empty()).any(|a| self.is_match(&self.root.join(a)))
    }
}

/// A rule selector: a code (`UP005`), a name (`unverifiable-system-identity`), a code prefix
/// (`UP0`) or `ALL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector(String);

impl Selector {
    /// The selector as written (surrounding spaces dropped).
    fn new(written: &str) -> Selector {
        Selector(written.trim().to_string())
    }

    pub fn matches(&self, code: Code) -> bool {
        let s = &self.0;
        s.eq_ignore_ascii_case("ALL")
            || s.eq_ignore_ascii_case(code.name)
            || (s.len() <= code.code.len() && code.code[..s.len()].eq_ignore_ascii_case(s))
    }
}

/// Every code uplint can report: the rules' and its own (UP901, UP902).
pub fn known_codes() -> Vec<Code> {
    rules::all_codes().map(|meta| meta.code()).collect()
}

/// Which diagnostics `check` keeps, and at which severity: `[rules]` and `[per-file-ignores]`.
#[derive(Clone, Debug, Default)]
pub struct RuleSelection {
    /// `None`: every rule.
    pub select: Option<Vec<Selector>>,
    pub ignore: Vec<Selector>,
    /// Severity per code; `None` is `off`.
    pub severities: Vec<(Code, Option<Severity>)>,
    /// Files matching the globs do not report the codes.
    pub per_file_ignores: Vec<(Globs, Vec<Selector>)>,
}

/// The configuration in effect: the file's values checked, defaults filled in, flags applied.
#[derive(Clone, Debug)]
pub struct Config {
    /// The file read, if any.
    pub path: Option<PathBuf>,
    /// The folder relative paths are resolved against: the file's, else the working directory.
    pub root: PathBuf,
    /// The file as written (with the flags' values written over it).
    pub file: ConfigFile,
    /// Where each top-level key's value comes from (absent: the default).
    pub origins: BTreeMap<String, Origin>,
    pub default_database: Option<String>,
    /// Normalised like `cluster()`.
    pub default_cluster: Option<String>,
    /// `[[databases]]`, in file order (the first match wins).
    pub databases: Vec<DatabaseMapping>,
    pub include: Option<Globs>,
    pub exclude: Globs,
    /// Lower-case, without dots.
    pub extensions: Vec<String>,
    pub markdown: bool,
    pub max_file_size: u64,
    /// How many threads a run uses (0: one per available core).
    pub threads: usize,
    /// The lowest severity that fails a run.
    pub fail_on: Severity,
    /// Suppression comments must give a reason.
    pub require_suppression_reason: bool,
    pub settings: Settings,
    pub rules: RuleSelection,
}

/// One `[[databases]]` entry, checked.
#[derive(Clone, Debug)]
pub struct DatabaseMapping {
    pub name: String,
    /// Normalised like `cluster()`.
    pub cluster: Option<String>,
    pub paths: Globs,
}

/// Values given on the command line; each overrides its key.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub default_database: Option<String>,
    pub system_identity: Option<String>,
    pub all_databases_viewers: Vec<String>,
    pub max_file_size: Option<u64>,
    /// `--threads`.
    pub threads: Option<usize>,
    /// `--fail-on`.
    pub fail_on: Option<Severity>,
    /// `--select`: replaces `rules.select`.
    pub select: Option<Vec<String>>,
    /// `--extend-select`: added to `rules.select` (nothing to add when it selects every rule).
    pub extend_select: Vec<String>,
    /// `--ignore`: added to `rules.ignore`.
    pub ignore: Vec<String>,
}

impl Overrides {
    /// The first code, name or prefix of the rule flags that names no rule, with its flag.
    pub fn unknown_rule(&self) -> Option<(&'static str, &str)> {
        let codes = known_codes();
        let flags = [
            ("--select", self.select.as_deref().unwrap_or_default()),
            ("--extend-select", &self.extend_select),
            ("--ignore", &self.ignore),
        ];
        flags.into_iter().find_map(|(flag, written)| {
            let unknown = written.iter().find(|w| !codes.iter().any(|c| Selector::new(w).matches(*c)))?;
            Some((flag, unknown.as_str()))
        })
    }
}

/// Which configuration file to read.
#[derive(Clone, Debug, Default)]
pub enum Source {
    /// Walk up from these folders (the first path checked, then the working directory).
    #[default]
    Search,
    /// `--config PATH`.
    Path(PathBuf),
    /// `--isolated`: none.
    Isolated,
}

/// The nearest `uplint.toml` in `start` or a folder above it.
pub fn find(start: &Path) -> Option<PathBuf> {
    let start: PathBuf = start.components().collect();
    let start = if start.is_file() { start.parent()? } else { &start };
    start.ancestors().map(|dir| dir.join(FILE_NAME)).find(|candidate| candidate.is_file())
}

/// Finds, reads and checks the configuration for a run on `paths` from `cwd`.
pub fn load(source: &Source, paths: &[PathBuf], cwd: &Path, overrides: &Overrides) -> Result<Config, ConfigError> {
    let path = match source {
        Source::Isolated => None,
        Source::Path(path) => Some(if path.is_absolute() { path.clone() } else { cwd.join(path) }),
        Source::Search => paths.first().and_then(|p| find(p)).or_else(|| find(cwd)),
    };
    let Some(path) = path else { return Config::from_file(ConfigFile::default(), None, cwd, "", overrides) };
    let text = std::fs::read_to_string(&path).map_err(|e| ConfigError {
        path: path.clone(),
        line: None,
        message: format!("cannot read the file: {e}"),
    })?;
    let root = path.parent().map_or_else(|| cwd.to_path_buf(), Path::to_path_buf);
    let file = parse(&text).map_err(|(line, message)| ConfigError { path: path.clone(), line, message })?;
    Config::from_file(file, Some(path.clone()), &root, &text, overrides)
}

/// Parses the text of a configuration file (the error: its line, when known, and a message
/// that names the key).
pub fn parse(text: &str) -> Result<ConfigFile, (Option<usize>, String)> {
    toml::from_str(text).map_err(|e: toml::de::Error| {
        let line = e.span().map(|span| line_of(text, span.start));
        let message = e.message().trim().to_string();
        let mut path = e.span().and_then(|span| key_path(text, span.start)).unwrap_or_default();
        // `unknown field `x``: the message names the key already; give the table it is in.
        if message.contains(&format!("`{}`", path.rsplit('.').next().unwrap_or_default())) {
            path = path.rsplit_once('.').map(|(table, _)| table.to_string()).unwrap_or_default();
        }
        if path.is_empty() { (line, message) } else { (line, format!("`{path}`: {message}")) }
    })
}

/// The dotted path of the deepest key whose name or value holds byte `offset`
/// (`databases[1].paths`).
fn key_path(text: &str, offset: usize) -> Option<String> {
    // Headers of tables and arrays of tables do not span their keys: those are searched too.
    fn in_table(table: &toml::de::DeTable<'_>, offset: usize, path: &mut Vec<String>) -> bool {
        for (key, value) in table.iter() {
            let (k, v) = (key.span(), value.span());
            let here = k.contains(&offset) || v.contains(&offset) || (k.start <= offset && offset < v.end);
            let mut nested = vec![key.get_ref().to_string()];
            if in_value(value.get_ref(), offset, &mut nested) || here {
                path.extend(nested);
                return true;
            }
        }
        false
    }
    fn in_value(value: &toml::de::DeValue<'_>, offset: usize, path: &mut Vec<String>) -> bool {
        match value {
            toml::de::DeValue::Table(table) => in_table(table, offset, path),
            toml::de::DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let inside = match item.get_ref() {
                        toml::de::DeValue::Table(table) => {
                            let mut nested = Vec::new();
                            in_table(table, offset, &mut nested).then_some(nested)
                        }
                        _ => item.span().contains(&offset).then(Vec::new),
                    };
                    if let Some(nested) = inside {
                        if let Some(last) = path.last_mut() {
                            last.push_str(&format!("[{i}]"));
                        }
                        path.extend(nested);
                        return true;
                    }
                }
                false
            }
            _ => false,
        }
    }
    let (table, _) = toml::de::DeTable::parse_recoverable(text);
    let mut path = Vec::new();
    in_table(table.get_ref(), offset, &mut path);
    (!path.is_empty()).then(|| path.join("."))
}

/// The 1-based line of byte `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line of each top-level key of a configuration text.
fn key_lines(text: &str) -> BTreeMap<String, usize> {
    let Ok(table) = toml::de::DeTable::parse(text) else { return BTreeMap::new() };
    table.get_ref().iter().map(|(key, _)| (key.get_ref().to_string(), line_of(text, key.span().start))).collect()
}

impl Config {
    /// Checks `file` (read from `path`, whose text is `text`) and applies `overrides`.
    pub fn from_file(
        mut file: ConfigFile,
        path: Option<PathBuf>,
        root: &Path,
        text: &str,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let error_at = |span: Option<std::ops::Range<usize>>, message: String| ConfigError {
            path: path.clone().unwrap_or_else(|| root.join(FILE_NAME)),
            line: span.map(|s| line_of(text, s.start)),
            message,
        };
        let globs = |patterns: &[Spanned<String>], key: &str| -> Result<Globs, ConfigError> {
            let written: Vec<String> = patterns.iter().map(|p| p.get_ref().clone()).collect();
            Globs::new(root, &written)
                .map_err(|(i, message)| error_at(patterns.get(i).map(Spanned::span), format!("`{key}`: {message}")))
        };
        let selectors = |written: &[Spanned<String>], key: &str| -> Result<Vec<Selector>, ConfigError> {
            let codes = known_codes();
            written
                .iter()
                .map(|s| {
                    let selector = Selector::new(s.get_ref());
                    if codes.iter().any(|c| selector.matches(*c)) {
                        Ok(selector)
                    } else {
                        Err(error_at(
                            Some(s.span()),
                            format!("`{key}`: no rule `{}` (see `uplint rule --all`)", s.get_ref()),
                        ))
                    }
                })
                .collect()
        };

        let mut origins: BTreeMap<String, Origin> =
            key_lines(text).into_iter().map(|(key, line)| (key, Origin::File { line })).collect();
        if let Some(database) = &overrides.default_database {
            file.default_database = Some(database.clone());
            origins.insert("default-database".into(), Origin::Flag("--default-database"));
        }
        if let Some(size) = overrides.max_file_size {
            file.max_file_size = Some(size);
            origins.insert("max-file-size".into(), Origin::Flag("--max-file-size"));
        }
        if let Some(threads) = overrides.threads {
            file.threads = Some(threads);
            origins.insert("threads".into(), Origin::Flag("--threads"));
        }
        if let Some(level) = overrides.fail_on {
            file.fail_on = Some(level);
            origins.insert("fail-on".into(), Origin::Flag("--fail-on"));
        }

        let databases = file
            .databases
            .iter()
            .map(|entry| {
                Ok(DatabaseMapping {
                    name: entry.name.clone(),
                    cluster: entry.cluster.as_deref().map(normalize_cluster),
                    paths: globs(&entry.paths, "databases.paths")?,
                })
            })
            .collect::<Result<Vec<_>, ConfigError>>()?;
        let include = file.include.as_deref().map(|p| globs(p, "include")).transpose()?;
        let mut exclude_patterns: Vec<Spanned<String>> = match &file.exclude {
            Some(patterns) => patterns.clone(),
            None => DEFAULT_EXCLUDE.iter().map(|p| Spanned::new(0..0, p.to_string())).collect(),
        };
        exclude_patterns.extend(file.extend_exclude.iter().flatten().cloned());
        let exclude = globs(&exclude_patterns, "exclude")?;
        let extensions = match &file.extensions {
            Some(extensions) => extensions.iter().map(|e| e.trim_start_matches('.').to_ascii_lowercase()).collect(),
            None => DEFAULT_EXTENSIONS.iter().map(|e| e.to_string()).collect(),
        };

        let principals = |list: &[String]| list.iter().map(|p| Settings::parse_principal(p)).collect::<Vec<_>>();
        let clusters = file
            .clusters
            .iter()
            .map(|entry| ClusterFacts {
                name: normalize_cluster(&entry.name),
                system_identity: entry.system_identity.clone(),
                all_databases_viewers: principals(&entry.all_databases_viewers)
                    .into_iter()
                    .chain(principals(&entry.all_databases_admins))
                    .collect(),
            })
            .collect();
        let settings = Settings {
            all_databases_viewers: principals(&overrides.all_databases_viewers),
            system_identity: overrides.system_identity.clone(),
            clusters,
        };
        if overrides.system_identity.is_some() || !overrides.all_databases_viewers.is_empty() {
            origins.insert("clusters".into(), Origin::Flag("--system-identity / --all-databases-viewer"));
        }

        let mut rules = RuleSelection::default();
        if let Some(table) = &file.rules {
            let strings = |key: &str, value: &Spanned<toml::Value>| -> Result<Vec<Spanned<String>>, ConfigError> {
                let items = value.get_ref().as_array().filter(|items| items.iter().all(toml::Value::is_str));
                let Some(items) = items else {
                    return Err(error_at(
                        Some(value.span()),
                        format!("`rules.{key}`: expected a list of rule codes or names"),
                    ));
                };
                Ok(items
                    .iter()
                    .map(|i| Spanned::new(value.span(), i.as_str().unwrap_or_default().to_string()))
                    .collect())
            };
            let codes = known_codes();
            for (key, value) in table {
                match key.as_str() {
                    "select" => rules.select = Some(selectors(&strings(key, value)?, "rules.select")?),
                    "ignore" => rules.ignore = selectors(&strings(key, value)?, "rules.ignore")?,
                    _ => {
                        let matched: Vec<Code> = codes
                            .iter()
                            .copied()
                            .filter(|c| c.code.eq_ignore_ascii_case(key) || c.name.eq_ignore_ascii_case(key))
                            .collect();
                        if matched.is_empty() {
                            return Err(error_at(
                                Some(value.span()),
                                format!(
                                    "unknown key `rules.{key}`: expected `select`, `ignore`, or a rule code or name (see `uplint rule --all`)"
                                ),
                            ));
                        }
                        let severity = match value.get_ref().as_str() {
                            Some("error") => Some(Severity::Error),
                            Some("warning") => Some(Severity::Warning),
                            Some("info") => Some(Severity::Info),
                            Some("off") => None,
                            _ => {
                                return Err(error_at(
                                    Some(value.span()),
                                    format!("`rules.{key}`: expected \"error\", \"warning\", \"info\" or \"off\""),
                                ));
                            }
                        };
                        rules.severities.extend(matched.into_iter().map(|code| (code, severity)));
                    }
                }
            }
        }
        // The flags after the file, as ruff's: `--select` starts the selection anew (the file's
        // `select` and `ignore` set aside), `--extend-select` and `--ignore` add to it.
        let flag_selectors = |written: &[String]| written.iter().map(|w| Selector::new(w)).collect::<Vec<_>>();
        if let Some(select) = &overrides.select {
            rules.select = Some(flag_selectors(select));
            rules.ignore.clear();
        }
        if let Some(select) = rules.select.as_mut() {
            select.extend(flag_selectors(&overrides.extend_select));
        }
        rules.ignore.extend(flag_selectors(&overrides.ignore));
        for (pattern, codes) in file.per_file_ignores.iter().flatten() {
            let span = codes.first().map(Spanned::span);
            let matcher = Globs::new(root, std::slice::from_ref(pattern))
                .map_err(|(_, message)| error_at(span.clone(), format!("`per-file-ignores`: {message}")))?;
            rules.per_file_ignores.push((matcher, selectors(codes, "per-file-ignores")?));
        }

        Ok(Config {
            path,
            root: root.to_path_buf(),
            origins,
            default_database: file.default_database.clone(),
            default_cluster: file.default_cluster.as_deref().map(normalize_cluster),
            databases,
            include,
            exclude,
            extensions,
            markdown: file.markdown.unwrap_or(false),
            max_file_size: file.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE),
            threads: file.threads.unwrap_or(0),
            fail_on: file.fail_on.unwrap_or(Severity::Error),
            require_suppression_reason: file.require_suppression_reason.unwrap_or(false),
            settings,
            rules,
            file,
        })
    }

    /// The settings of the loading stages.
    pub fn load_options(&self, force_exclude: bool) -> LoadOptions {
        LoadOptions {
            max_file_size: self.max_file_size,
            discovery: Discovery {
                include: self.include.clone(),
                exclude: self.exclude.clone(),
                extensions: self.extensions.clone(),
                markdown: self.markdown,
                force_exclude,
            },
            contexts: ContextOptions {
                default_database: self.default_database.clone(),
                default_cluster: self.default_cluster.clone(),
                databases: self.databases.clone(),
                clusters: self.settings.clusters.iter().map(|c| c.name.clone()).collect(),
                root: self.root.clone(),
            },
            model: BuildOptions::default(),
            one_shot: false,
        }
    }

    /// Where the value of top-level `key` comes from.
    pub fn origin(&self, key: &str) -> Origin {
        self.origins.get(key).cloned().unwrap_or(Origin::Default)
    }

    /// The configuration in effect as TOML, each key followed by where its value comes from
    /// (`uplint config`).
    pub fn describe(&self) -> String {
        let mut out = String::new();
        match &self.path {
            Some(path) => out.push_str(&format!("# configuration file: {}\n", path.display())),
            None => out.push_str("# no configuration file: defaults\n"),
        }
        let mut effective = self.file.clone();
        effective.default_database.get_or_insert_with(|| "default".to_string());
        effective
            .exclude
            .get_or_insert_with(|| DEFAULT_EXCLUDE.iter().map(|p| Spanned::new(0..0, p.to_string())).collect());
        effective.extensions.get_or_insert_with(|| DEFAULT_EXTENSIONS.iter().map(|e| e.to_string()).collect());
        effective.markdown.get_or_insert(false);
        effective.max_file_size.get_or_insert(DEFAULT_MAX_FILE_SIZE);
        effective.threads.get_or_insert(0);
        effective.fail_on.get_or_insert(Severity::Error);
        effective.require_suppression_reason.get_or_insert(false);
        let value = toml::Value::try_from(&effective).unwrap_or(toml::Value::Table(Default::default()));
        let toml::Value::Table(table) = value else { return out };
        let origin_text = |key: &str| match self.origin(key) {
            Origin::Default => "default".to_string(),
            Origin::File { line } => {
                format!("{}:{line}", self.path.as_deref().map_or(String::new(), |p| p.display().to_string()))
            }
            Origin::Flag(flag) => format!("flag {flag}"),
        };
        let (scalars, tables): (Vec<_>, Vec<_>) = table.into_iter().partition(|(_, v)| {
            !matches!(v, toml::Value::Table(_))
                && !matches!(v, toml::Value::Array(items) if items.iter().any(|i| matches!(i, toml::Value::Table(_))))
        });
        for (key, value) in scalars {
            out.push_str(&format!("{key} = {value}  # {}\n", origin_text(&key)));
        }
        for (key, value) in tables {
            let mut one = toml::Table::new();
            one.insert(key.clone(), value);
            out.push_str(&format!("\n# {key}: {}\n", origin_text(&key)));
            out.push_str(&toml::to_string(&one).unwrap_or_default());
        }
        if self.settings.system_identity.is_some() || !self.settings.all_databases_viewers.is_empty() {
            out.push_str("\n# every cluster: flags --system-identity / --all-databases-viewer\n");
            if let Some(id) = &self.settings.system_identity {
                out.push_str(&format!("# system-identity = {id:?}\n"));
            }
            for principal in &self.settings.all_databases_viewers {
                out.push_str(&format!("# all-databases-viewers += {:?}\n", principal.text));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
