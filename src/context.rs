//! The database and cluster every file runs against, decided once before the model is built.
//!
//! A command runs against, first match wins: the database it names (`.alter table Db.T`,
//! `.add database Db viewers`); the file's `#connect`; the `[[databases]]` entry whose `paths`
//! match the file; the nearest enclosing folder that Microsoft Fabric's git integration names
//! after a KQL database (`<database>.KQLDatabase`); the nearest enclosing folder whose name
//! equals, case-insensitively, a database the project names somewhere (a `#connect`, a
//! qualified command, a `database('X')` reference or the configuration); `default-database`;
//! `default`. The first two are applied
//! by the model builder, command by command; this module decides the rest, per file.
//!
//! A file that names no cluster belongs to `default-cluster`, else to the only cluster the
//! project names (in a `#connect` or the configuration), else to the unnamed cluster.

use std::path::{Path, PathBuf};

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use crate::config::DatabaseMapping;
use crate::script::command::{CommandKind, PolicyScope, RoleScope};
use crate::script::{Item, Script};
use crate::source::{FileId, SourceFile};
use crate::unit::Unit;

/// The database of commands that nothing maps.
pub const FALLBACK_DATABASE: &str = "default";

/// Why a file runs against its database or cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// The file's `#connect`.
    Connect,
    /// An entry of the configuration (`[[databases]]`, `default-database`, `default-cluster`).
    Config,
    /// The name of a folder that holds the file.
    Folder,
    /// Nothing maps it: `default`, the only cluster the project names, or the unnamed cluster.
    Default,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Connect => "connect",
            Reason::Config => "config",
            Reason::Folder => "folder",
            Reason::Default => "default",
        }
    }
}

/// What configuration says about contexts.
#[derive(Clone, Debug, Default)]
pub struct ContextOptions {
    /// `default-database` (else [`FALLBACK_DATABASE`]).
    pub default_database: Option<String>,
    /// `default-cluster`, normalised.
    pub default_cluster: Option<String>,
    /// `[[databases]]`, in order.
    pub databases: Vec<DatabaseMapping>,
    /// Clusters named by `[[clusters]]`, normalised.
    pub clusters: Vec<String>,
    /// Folder names are compared below this folder only (the configuration's folder, else the
    /// working directory); a file outside it is matched by its own folder only.
    pub root: PathBuf,
}

/// The database and cluster a file runs against: its first `#connect`'s, else its mapping's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileContext {
    pub database: String,
    pub database_reason: Reason,
    /// `None`: the unnamed cluster.
    pub cluster: Option<String>,
    pub cluster_reason: Reason,
    /// When the file has a `#connect`: the context of the commands above it, which the
    /// `#connect` does not reach (the file's mapping alone).
    pub above_connect: Option<Box<FileContext>>,
}

impl FileContext {
    /// The context before anything maps the file.
    pub fn fallback() -> FileContext {
        FileContext {
            database: FALLBACK_DATABASE.to_string(),
            database_reason: Reason::Default,
            cluster: None,
            cluster_reason: Reason::Default,
            above_connect: None,
        }
    }

    /// The context the file's first command starts in: the one above its `#connect`s.
    pub fn opening(&self) -> &FileContext {
        self.above_connect.as_deref().unwrap_or(self)
    }
}

/// Every database name a command states.
fn command_databases(kind: &CommandKind) -> Vec<&str> {
    fn qualified(name: &crate::script::command::QualifiedName) -> Option<&str> {
        name.database.as_ref().map(|d| &*d.text)
    }
    match kind {
        CommandKind::UpdatePolicy { table, .. } => qualified(table).into_iter().collect(),
        CommandKind::ManagedIdentityPolicy { scope, .. }
        | CommandKind::RowLevelSecurity { scope, .. }
        | CommandKind::Retention { scope, .. } => match &**scope {
            PolicyScope::Database(name) => name.iter().map(|n| &*n.text).collect(),
            PolicyScope::Table(name) | PolicyScope::MaterializedView(name) => qualified(name).into_iter().collect(),
            PolicyScope::Cluster => Vec::new(),
        },
        CommandKind::RestrictedViewAccess { tables, .. } => tables.iter().filter_map(qualified).collect(),
        CommandKind::Principals { scope, .. } => match &**scope {
            RoleScope::Database(name) => name.iter().map(|n| &*n.text).collect(),
            RoleScope::Table(name)
            | RoleScope::Function(name)
            | RoleScope::MaterializedView(name)
            | RoleScope::ExternalTable(name) => qualified(name).into_iter().collect(),
        },
        _ => Vec::new(),
    }
}

/// The database and cluster names one file states: its `#connect`s, its qualified commands and
/// the `database('X')` references of its queries, as written, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stated {
    /// By `#connect`s and commands.
    databases: Vec<String>,
    /// By queries (which come second when the project spells a name two ways).
    referenced: Vec<String>,
    clusters: Vec<String>,
}

/// The names `script` states; `units` are its units.
pub fn stated<'u>(script: &Script, units: impl IntoIterator<Item = &'u Unit>) -> Stated {
    let mut stated = Stated::default();
    for item in &script.items {
        match item {
            Item::Connect(connect) => {
                stated.databases.extend(connect.database.iter().cloned());
                stated.clusters.extend(connect.cluster.iter().cloned());
            }
            Item::Command { command, .. } => {
                stated.databases.extend(command_databases(&command.kind).into_iter().map(str::to_string));
            }
            // (Taken once the model is built, never before: see `Workspace::set_texts`.)
            Item::Query(_) | Item::Taken { .. } => {}
        }
    }
    for unit in units {
        for reference in unit.query.analysis.references() {
            if let Some(database) = reference.entity.database() {
                stated.referenced.push(database.to_string());
            }
        }
    }
    stated
}

/// What the whole project names, which decides the contexts of files that name nothing
/// themselves: the databases (lower-case name -> the name as first written) that folders can
/// stand for, and the only cluster named, if only one is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    databases: FxHashMap<String, String>,
    only_cluster: Option<String>,
}

impl Names {
    /// The names stated by every file (in path order) and by the configuration.
    pub fn of(stated: &[Stated], options: &ContextOptions) -> Names {
        let mut databases: FxHashMap<String, String> = FxHashMap::default();
        let mut add = |name: &str| {
            if !name.is_empty() && !name.contains('*') {
                databases.entry(name.to_lowercase()).or_insert_with(|| name.to_string());
            }
        };
        stated.iter().flat_map(|s| &s.databases).for_each(|d| add(d));
        stated.iter().flat_map(|s| &s.referenced).for_each(|d| add(d));
        options.default_database.iter().for_each(|d| add(d));
        options.databases.iter().for_each(|d| add(&d.name));
        let connects = stated.iter().flat_map(|s| &s.clusters).cloned();
        let configured =
            options.clusters.iter().cloned().chain(options.databases.iter().filter_map(|d| d.cluster.clone()));
        let mut clusters: FxHashSet<String> = FxHashSet::default();
        let mut first = None;
        for name in connects.chain(options.default_cluster.clone()).chain(configured) {
            if clusters.insert(name.to_lowercase()) && first.is_none() {
                first = Some(name);
            }
        }
        Names { databases, only_cluster: if clusters.len() == 1 { first } else { None } }
    }
}

/// How many times the files state each name, per spelling (databases by `#connect`s, commands
/// and queries; clusters by `#connect`s): tells cheaply whether one file's new names can change
/// what the project names ([`Names`]), which otherwise means going over every file again.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameCounts {
    /// Lower-case name -> spelling -> how many times stated.
    databases: FxHashMap<String, FxHashMap<String, usize>>,
    clusters: FxHashMap<String, FxHashMap<String, usize>>,
}

impl NameCounts {
    /// The counts of the names stated by every file.
    pub fn of(stated: &[Stated]) -> NameCounts {
        let mut counts = NameCounts::default();
        for s in stated {
            counts.count(s, true);
        }
        counts
    }

    fn count(&mut self, stated: &Stated, add: bool) {
        fn bump(map: &mut FxHashMap<String, FxHashMap<String, usize>>, name: &str, add: bool) {
            let key = name.to_lowercase();
            if add {
                *map.entry(key).or_default().entry(name.to_string()).or_default() += 1;
                return;
            }
            let Some(spellings) = map.get_mut(&key) else { return };
            if let Some(count) = spellings.get_mut(name) {
                *count -= 1;
                if *count == 0 {
                    spellings.remove(name);
                }
            }
            if spellings.is_empty() {
                map.remove(&key);
            }
        }
        for name in stated.databases.iter().chain(&stated.referenced) {
            // As `Names::of`: patterns and empty names are not names of databases.
            if !name.is_empty() && !name.contains('*') {
                bump(&mut self.databases, name, add);
            }
        }
        for name in &stated.clusters {
            bump(&mut self.clusters, name, add);
        }
    }

    /// Counts `new` in place of `old` (what one file states, before and after an edit). Returns
    /// `false` only when what the project names ([`Names`]) cannot have changed: every name
    /// `old` or `new` states is stated by the files before and after, each time in one spelling
    /// alone, the same. (Names not in `old` or `new` keep their counts; the configuration's
    /// names come after every file's, so they decide nothing a file states.)
    pub fn replace(&mut self, old: &Stated, new: &Stated) -> bool {
        fn only_spelling(map: &FxHashMap<String, FxHashMap<String, usize>>, key: &str) -> Option<String> {
            let spellings = map.get(key)?;
            (spellings.len() == 1).then(|| spellings.keys().next().cloned()).flatten()
        }
        let keys = |s: &Stated| -> (Vec<String>, Vec<String>) {
            let databases = s
                .databases
                .iter()
                .chain(&s.referenced)
                .filter(|n| !n.is_empty() && !n.contains('*'))
                .map(|n| n.to_lowercase())
                .collect();
            (databases, s.clusters.iter().map(|n| n.to_lowercase()).collect())
        };
        let (mut databases, mut clusters) = keys(old);
        let (new_databases, new_clusters) = keys(new);
        databases.extend(new_databases);
        clusters.extend(new_clusters);
        databases.sort_unstable();
        databases.dedup();
        clusters.sort_unstable();
        clusters.dedup();
        let before: Vec<_> = databases
            .iter()
            .map(|k| only_spelling(&self.databases, k))
            .chain(clusters.iter().map(|k| only_spelling(&self.clusters, k)))
            .collect();
        self.count(old, false);
        self.count(new, true);
        let after = databases
            .iter()
            .map(|k| only_spelling(&self.databases, k))
            .chain(clusters.iter().map(|k| only_spelling(&self.clusters, k)));
        !before.into_iter().zip(after).all(|(before, after)| before.is_some() && before == after)
    }
}

/// The context each file starts in, in the order of `scripts`; `units` are the units of the
/// scripts (any order).
pub fn assign(
    scripts: &[(FileId, &SourceFile, &Script)],
    units: &[Unit],
    options: &ContextOptions,
) -> Vec<FileContext> {
    let mut by_file: FxHashMap<FileId, Vec<&Unit>> = FxHashMap::default();
    for unit in units {
        by_file.entry(unit.file).or_default().push(unit);
    }
    let stated: Vec<Stated> =
        scripts.iter().map(|(id, _, script)| stated(script, by_file.get(id).into_iter().flatten().copied())).collect();
    let names = Names::of(&stated, options);
    scripts.iter().map(|(_, source, script)| file_context(source, script, &names, options)).collect()
}

/// The context one file starts in, given what the project names.
pub fn file_context(source: &SourceFile, script: &Script, names: &Names, options: &ContextOptions) -> FileContext {
    let connects: Vec<_> = script
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Connect(connect) => Some(connect),
            _ => None,
        })
        .collect();
    let mapping = options.databases.iter().find(|m| m.paths.is_match(&source.path));
    // Listed once, for both ways a folder names a database (none needed when mapped).
    let folders = if mapping.is_some() { Vec::new() } else { folders_holding(&source.path, &options.root) };
    let (database, database_reason) = if let Some(mapping) = mapping {
        (mapping.name.clone(), Reason::Config)
    } else if let Some(folder) = fabric_database(&folders).or_else(|| folder_database(&folders, &names.databases)) {
        (folder, Reason::Folder)
    } else if let Some(database) = &options.default_database {
        (database.clone(), Reason::Config)
    } else {
        (FALLBACK_DATABASE.to_string(), Reason::Default)
    };
    let (cluster, cluster_reason) = if let Some(cluster) = mapping.and_then(|m| m.cluster.clone()) {
        (Some(cluster), Reason::Config)
    } else if let Some(cluster) = &options.default_cluster {
        (Some(cluster.clone()), Reason::Config)
    } else {
        (names.only_cluster.clone(), Reason::Default)
    };
    let mapped = FileContext { database, database_reason, cluster, cluster_reason, above_connect: None };
    let connected_database = connects.iter().find_map(|c| c.database.clone());
    let connected_cluster = connects.iter().find_map(|c| c.cluster.clone());
    if connected_database.is_none() && connected_cluster.is_none() {
        return mapped;
    }
    FileContext {
        database: connected_database.clone().unwrap_or_else(|| mapped.database.clone()),
        database_reason: if connected_database.is_some() { Reason::Connect } else { mapped.database_reason },
        cluster: connected_cluster.clone().or_else(|| mapped.cluster.clone()),
        cluster_reason: if connected_cluster.is_some() { Reason::Connect } else { mapped.cluster_reason },
        above_connect: Some(Box::new(mapped)),
    }
}

/// The folders holding `path`, nearest first: those below `root`, or for a file outside it its
/// own folder only.
fn folders_holding<'p>(path: &'p Path, root: &Path) -> Vec<&'p str> {
    let folders: Vec<&Path> = match path.strip_prefix(root) {
        Ok(relative) => match relative.parent() {
            Some(parent) => parent.ancestors().filter(|a| !a.as_os_str().is_empty()).collect(),
            None => Vec::new(),
        },
        Err(_) => path.parent().and_then(Path::file_name).map(Path::new).into_iter().collect(),
    };
    folders.iter().filter_map(|folder| folder.file_name()?.to_str()).collect()
}

/// The database named like the nearest of `folders` (see [`folders_holding`]).
fn folder_database(folders: &[&str], databases: &FxHashMap<String, String>) -> Option<String> {
    folders.iter().find_map(|name| databases.get(&name.to_lowercase()).cloned())
}

/// The suffix of the folder of a KQL database item in a Microsoft Fabric workspace synced to git
/// (<https://learn.microsoft.com/en-us/fabric/real-time-intelligence/git-eventhouse-kql-database>:
/// one folder per item, named `<item name>.<item type>`, holding `DatabaseSchema.kql`).
const FABRIC_DATABASE_FOLDER: &str = ".KQLDatabase";

/// The database whose Fabric item folder (`<database>.KQLDatabase`) is the nearest of `folders`
/// (see [`folders_holding`]).
fn fabric_database(folders: &[&str]) -> Option<String> {
    folders.iter().find_map(|name| {
        let cut = name.len().checked_sub(FABRIC_DATABASE_FOLDER.len())?;
        let (database, suffix) = (name.get(..cut)?, name.get(cut..)?);
        (!database.is_empty() && suffix.eq_ignore_ascii_case(FABRIC_DATABASE_FOLDER)).then(|| database.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Globs;

    /// The files given as (path below `root`, text), read and parsed.
    fn parsed(files: &[(&str, &str)], root: &Path) -> (Vec<SourceFile>, Vec<Script>) {
        let sources: Vec<SourceFile> = files
            .iter()
            .map(|(path, text)| SourceFile::new(root.join(path), path.to_string(), text.to_string()))
            .collect();
        let scripts = sources.iter().map(|s| crate::script::parse_script(&s.text)).collect();
        (sources, scripts)
    }

    fn contexts(files: &[(&str, &str)], options: &ContextOptions) -> Vec<(String, Reason, Option<String>, Reason)> {
        let (sources, scripts) = parsed(files, &options.root);
        let inputs: Vec<_> =
            sources.iter().zip(&scripts).enumerate().map(|(i, (s, sc))| (FileId(i as u32), s, sc)).collect();
        let (_, units, _) = crate::model::build(&inputs, &crate::model::BuildOptions::default());
        assign(&inputs, &units, options)
            .into_iter()
            .map(|c| (c.database, c.database_reason, c.cluster, c.cluster_reason))
            .collect()
    }

    fn options() -> ContextOptions {
        ContextOptions { root: PathBuf::from("/repo"), ..ContextOptions::default() }
    }

    /// The counts of names say "unchanged" only when what the project names is unchanged, for
    /// every edit of one file among others, with spellings that differ in case, patterns,
    /// clusters and configured names.
    #[test]
    fn name_counts_never_miss_a_change_of_the_project_names() {
        let s = |databases: &[&str], referenced: &[&str], clusters: &[&str]| Stated {
            databases: databases.iter().map(|d| d.to_string()).collect(),
            referenced: referenced.iter().map(|d| d.to_string()).collect(),
            clusters: clusters.iter().map(|d| d.to_string()).collect(),
        };
        let variants = [
            s(&[], &[], &[]),
            s(&["Db"], &[], &["c1"]),
            s(&["db"], &[], &[]),
            s(&[], &["Db"], &[]),
            s(&[], &["DB", "Other"], &["C1"]),
            s(&["Other"], &["Db*"], &["c2"]),
            s(&["Db", "Db"], &[""], &["c1"]),
        ];
        let mut configured = options();
        configured.default_database = Some("Other".into());
        configured.default_cluster = Some("c1".into());
        let mut kept = 0;
        for options in [options(), configured] {
            for a in &variants {
                for b in &variants {
                    for old in &variants {
                        for new in &variants {
                            let before = vec![a.clone(), old.clone(), b.clone()];
                            let after = vec![a.clone(), new.clone(), b.clone()];
                            let mut counts = NameCounts::of(&before);
                            let may_change = counts.replace(old, new);
                            assert_eq!(counts, NameCounts::of(&after));
                            if !may_change {
                                kept += 1;
                                assert_eq!(
                                    Names::of(&before, &options),
                                    Names::of(&after, &options),
                                    "{old:?} -> {new:?}"
                                );
                            }
                        }
                    }
                }
            }
        }
        // The counts do spare recomputing the names for many edits.
        assert!(kept > 100, "{kept}");
    }

    #[test]
    fn connect_then_config_then_folder_then_default() {
        let mut options = options();
        options.databases.push(DatabaseMapping {
            name: "Hub".into(),
            cluster: Some("c2.kusto.windows.net".into()),
            paths: Globs::new(Path::new("/repo"), &["hub/**".to_string()]).unwrap(),
        });
        let files = [
            ("reference/functions.kql", ".create function F() { T }"),
            ("sales/policy.kql", "T | union database('Reference').X"),
            ("hub/sales/x.kql", ".create table T (a:int)"),
            ("sales/connected.kql", "#connect cluster('c1').database('Other')\n.create table T (a:int)"),
            ("misc/loose.kql", ".create table U (a:int)"),
        ];
        let got = contexts(&files, &options);
        assert_eq!(got[0].0, "Reference");
        assert_eq!(got[0].1, Reason::Folder);
        // `sales` is no database the project names.
        assert_eq!((got[1].0.as_str(), got[1].1), ("default", Reason::Default));
        assert_eq!((got[2].0.as_str(), got[2].1), ("Hub", Reason::Config));
        assert_eq!((got[2].2.as_deref(), got[2].3), (Some("c2.kusto.windows.net"), Reason::Config));
        assert_eq!((got[3].0.as_str(), got[3].1), ("Other", Reason::Connect));
        assert_eq!((got[3].2.as_deref(), got[3].3), (Some("c1.kusto.windows.net"), Reason::Connect));
        // Two clusters named: a file naming none stays on the unnamed one.
        assert_eq!((got[4].2.as_deref(), got[4].3), (None, Reason::Default));
        options.default_database = Some("Main".into());
        options.default_cluster = Some("c1.kusto.windows.net".into());
        let got = contexts(&files, &options);
        assert_eq!((got[1].0.as_str(), got[1].1), ("Main", Reason::Config));
        assert_eq!((got[4].2.as_deref(), got[4].3), (Some("c1.kusto.windows.net"), Reason::Config));
    }

    /// A Fabric workspace synced to git keeps each KQL database's schema in a folder named
    /// `<database>.KQLDatabase`: that folder names the file's database, before the folders named
    /// like a database of the project and after the configuration.
    #[test]
    fn a_fabric_database_folder_names_its_database() {
        let mut options = options();
        let files = [
            ("ws/Hub.Eventhouse/.children/Sales.KQLDatabase/DatabaseSchema.kql", ".create table T (a:int)"),
            ("ws/IoT.kqldatabase/DatabaseSchema.kql", ".create table T (a:int)"),
            // Named like a database the project names, in a Fabric folder: the Fabric folder wins.
            ("Sales.KQLDatabase/Other/x.kql", "T | union database('Other').T"),
            // No database name before the suffix, and a name that only contains it.
            (".KQLDatabase/y.kql", ".create table U (a:int)"),
            ("A.KQLDatabase.old/z.kql", ".create table V (a:int)"),
        ];
        let got = contexts(&files, &options);
        assert_eq!((got[0].0.as_str(), got[0].1), ("Sales", Reason::Folder));
        assert_eq!((got[1].0.as_str(), got[1].1), ("IoT", Reason::Folder));
        assert_eq!((got[2].0.as_str(), got[2].1), ("Sales", Reason::Folder));
        assert_eq!((got[3].0.as_str(), got[3].1), ("default", Reason::Default));
        assert_eq!((got[4].0.as_str(), got[4].1), ("default", Reason::Default));
        options.databases.push(DatabaseMapping {
            name: "Mapped".into(),
            cluster: None,
            paths: Globs::new(Path::new("/repo"), &["ws/**".to_string()]).unwrap(),
        });
        let got = contexts(&files, &options);
        assert_eq!((got[0].0.as_str(), got[0].1), ("Mapped", Reason::Config));
    }

    /// A `#connect` reaches the commands below it only: those above it run where the file's
    /// mapping says, and a later `#connect` naming only a database keeps the connection's cluster.
    #[test]
    fn commands_above_the_first_connect_run_where_the_file_is_mapped() {
        let options = options();
        let files = [
            ("sales/tables.kql", ".create table S (a:int)"),
            (
                "sales/connected.kql",
                ".create table Above (a:int)\n\
                 #connect cluster('c1').database('Other')\n\
                 .create table Below (a:int)\n\
                 #connect database('Third')\n\
                 .create table Last (a:int)",
            ),
            ("loose.kql", ".create table L (a:int)\n#connect database('Other')\n.create table M (a:int)"),
        ];
        let (sources, scripts) = parsed(&files, &options.root);
        let inputs: Vec<_> =
            sources.iter().zip(&scripts).enumerate().map(|(i, (s, sc))| (FileId(i as u32), s, sc)).collect();
        let build_options = crate::model::BuildOptions::default();
        let (_, mut units, _) = crate::model::build(&inputs, &build_options);
        let mut options = options;
        // `sales` is a database the project names.
        options.default_database = Some("Sales".into());
        let contexts = assign(&inputs, &units, &options);
        // The file is reported where its `#connect` puts it; above it, the folder decides.
        assert_eq!((contexts[1].database.as_str(), contexts[1].database_reason), ("Other", Reason::Connect));
        let above = contexts[1].opening();
        assert_eq!((above.database.as_str(), above.database_reason), ("Sales", Reason::Folder));
        assert_eq!((above.cluster.as_deref(), above.cluster_reason), (Some("c1.kusto.windows.net"), Reason::Default));
        assert_eq!(contexts[0].opening(), &contexts[0]);
        let mut names = crate::unit::UnitNames::default();
        let model = crate::model::build_in_contexts(&inputs, &contexts, &mut units, &mut names, &build_options);
        let c1 = Some("c1.kusto.windows.net");
        assert!(model.database(c1, "Sales").unwrap().tables.contains_key("Above"));
        assert!(!model.database(c1, "Other").unwrap().tables.contains_key("Above"));
        assert!(model.database(c1, "Other").unwrap().tables.contains_key("Below"));
        assert!(model.database(c1, "Third").unwrap().tables.contains_key("Last"));
        // A file outside every mapped folder: above its `#connect`, the configured default.
        assert!(model.database(c1, "Sales").unwrap().tables.contains_key("L"));
        assert!(model.database(c1, "Other").unwrap().tables.contains_key("M"));
    }

    #[test]
    fn folders_match_databases_named_anywhere_case_insensitively() {
        let files = [
            ("telemetry/functions.kql", ".create function F() { T }"),
            ("deploy/policies.kql", ".alter table TELEMETRY.Events policy update @'[]'"),
            ("roles/security/grants.kql", ".add database Security viewers ('aadapp=x')"),
            ("security/nested/deep/x.kql", "T"),
        ];
        let got = contexts(&files, &options());
        assert_eq!((got[0].0.as_str(), got[0].1), ("TELEMETRY", Reason::Folder));
        assert_eq!((got[1].0.as_str(), got[1].1), ("default", Reason::Default));
        assert_eq!((got[2].0.as_str(), got[2].1), ("Security", Reason::Folder));
        assert_eq!((got[3].0.as_str(), got[3].1), ("Security", Reason::Folder));
    }

    #[test]
    fn the_only_cluster_named_is_the_cluster_of_files_naming_none() {
        let files = [
            ("db/a.kql", "#connect cluster('contoso.westeurope').database('Sales')\n.create table T (a:int)"),
            ("cluster.kql", ".alter-merge cluster policy managed_identity ```[]```"),
        ];
        let got = contexts(&files, &options());
        assert_eq!(got[1].2.as_deref(), Some("contoso.westeurope.kusto.windows.net"));
        assert_eq!(got[1].3, Reason::Default);
    }
}
