//! The database and cluster every file runs against, decided once before the model is built.
//!
//! A command runs against, first match wins: the database it names (`.alter table Db.T`,
//! `.add database Db viewers`); the file's `#connect`; the `[[databases]]` entry whose `paths`
//! match the file; the nearest enclosing folder whose name equals, case-insensitively, a
//! database the project names somewhere (a `#connect`, a qualified command, a `database('X')`
//! reference or the configuration); `default-database`; `default`. The first two are applied
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

/// The context a file's commands start in (before any `#connect`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileContext {
    pub database: String,
    pub database_reason: Reason,
    /// `None`: the unnamed cluster.
    pub cluster: Option<String>,
    pub cluster_reason: Reason,
}

impl FileContext {
    /// The context before anything maps the file.
    pub fn fallback() -> FileContext {
        FileContext {
            database: FALLBACK_DATABASE.to_string(),
            database_reason: Reason::Default,
            cluster: None,
            cluster_reason: Reason::Default,
        }
    }
}

/// Every database name a command states.
fn command_databases(kind: &CommandKind) -> Vec<&str> {
    fn qualified(name: &crate::script::command::QualifiedName) -> Option<&str> {
        name.database.as_ref().map(|d| d.text.as_str())
    }
    match kind {
        CommandKind::UpdatePolicy { table, .. } => qualified(table).into_iter().collect(),
        CommandKind::ManagedIdentityPolicy { scope, .. }
        | CommandKind::RowLevelSecurity { scope, .. }
        | CommandKind::Retention { scope, .. } => match scope {
            PolicyScope::Database(name) => name.iter().map(|n| n.text.as_str()).collect(),
            PolicyScope::Table(name) | PolicyScope::MaterializedView(name) => qualified(name).into_iter().collect(),
            PolicyScope::Cluster => Vec::new(),
        },
        CommandKind::RestrictedViewAccess { tables, .. } => tables.iter().filter_map(qualified).collect(),
        CommandKind::Principals { scope, .. } => match scope {
            RoleScope::Database(name) => name.iter().map(|n| n.text.as_str()).collect(),
            RoleScope::Table(name)
            | RoleScope::Function(name)
            | RoleScope::MaterializedView(name)
            | RoleScope::ExternalTable(name) => qualified(name).into_iter().collect(),
        },
        _ => Vec::new(),
    }
}

/// The database names the project states: `#connect`s, qualified commands, `database('X')`
/// references of its queries, and the configuration.
pub fn named_databases(
    scripts: &[(FileId, &SourceFile, &Script)],
    units: &[Unit],
    options: &ContextOptions,
) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut seen: FxHashSet<String> = FxHashSet::default();
    let mut add = |name: &str| {
        if !name.is_empty() && !name.contains('*') && seen.insert(name.to_lowercase()) {
            names.push(name.to_string());
        }
    };
    for (_, _, script) in scripts {
        for item in &script.items {
            match item {
                Item::Connect(connect) => connect.database.iter().for_each(|d| add(d)),
                Item::Command(command) => command_databases(&command.kind).into_iter().for_each(&mut add),
                Item::Query(_) => {}
            }
        }
    }
    for unit in units {
        for reference in &unit.query.analysis.references {
            if let Some(database) = &reference.entity.database {
                add(database);
            }
        }
    }
    options.default_database.iter().for_each(|d| add(d));
    options.databases.iter().for_each(|d| add(&d.name));
    names
}

/// The cluster names the project states: `#connect`s and the configuration.
fn named_clusters(scripts: &[(FileId, &SourceFile, &Script)], options: &ContextOptions) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let connects = scripts.iter().flat_map(|(_, _, script)| &script.items).filter_map(|item| match item {
        Item::Connect(connect) => connect.cluster.clone(),
        _ => None,
    });
    let configured = options.clusters.iter().cloned().chain(options.databases.iter().filter_map(|d| d.cluster.clone()));
    let mut seen: FxHashSet<String> = FxHashSet::default();
    for name in connects.chain(options.default_cluster.clone()).chain(configured) {
        if seen.insert(name.to_lowercase()) {
            names.push(name);
        }
    }
    names
}

/// The context each file starts in, in the order of `scripts`.
pub fn assign(
    scripts: &[(FileId, &SourceFile, &Script)],
    units: &[Unit],
    options: &ContextOptions,
) -> Vec<FileContext> {
    // Lower-case name -> the name as first written.
    let databases: FxHashMap<String, String> =
        named_databases(scripts, units, options).into_iter().rev().map(|name| (name.to_lowercase(), name)).collect();
    let clusters = named_clusters(scripts, options);
    let only_cluster = if clusters.len() == 1 { clusters.first().cloned() } else { None };
    scripts
        .iter()
        .map(|(_, source, script)| {
            let connects: Vec<_> = script
                .items
                .iter()
                .filter_map(|item| match item {
                    Item::Connect(connect) => Some(connect),
                    _ => None,
                })
                .collect();
            let mapping = options.databases.iter().find(|m| m.paths.is_match(&source.path));
            let (database, database_reason) = if let Some(database) = connects.iter().find_map(|c| c.database.clone()) {
                (database, Reason::Connect)
            } else if let Some(mapping) = mapping {
                (mapping.name.clone(), Reason::Config)
            } else if let Some(folder) = folder_database(&source.path, &options.root, &databases) {
                (folder, Reason::Folder)
            } else if let Some(database) = &options.default_database {
                (database.clone(), Reason::Config)
            } else {
                (FALLBACK_DATABASE.to_string(), Reason::Default)
            };
            let (cluster, cluster_reason) = if let Some(cluster) = connects.iter().find_map(|c| c.cluster.clone()) {
                (Some(cluster), Reason::Connect)
            } else if let Some(cluster) = mapping.and_then(|m| m.cluster.clone()) {
                (Some(cluster), Reason::Config)
            } else if let Some(cluster) = &options.default_cluster {
                (Some(cluster.clone()), Reason::Config)
            } else {
                (only_cluster.clone(), Reason::Default)
            };
            FileContext { database, database_reason, cluster, cluster_reason }
        })
        .collect()
}

/// The database named like the nearest folder holding `path` (below `root`).
fn folder_database(path: &Path, root: &Path, databases: &FxHashMap<String, String>) -> Option<String> {
    let folders: Vec<&Path> = match path.strip_prefix(root) {
        Ok(relative) => relative.parent()?.ancestors().filter(|a| !a.as_os_str().is_empty()).collect(),
        Err(_) => vec![Path::new(path.parent()?.file_name()?)],
    };
    folders.iter().find_map(|folder| {
        let name = folder.file_name()?.to_str()?;
        databases.get(&name.to_lowercase()).cloned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Globs;

    fn contexts(files: &[(&str, &str)], options: &ContextOptions) -> Vec<(String, Reason, Option<String>, Reason)> {
        let sources: Vec<SourceFile> = files
            .iter()
            .map(|(path, text)| SourceFile::new(options.root.join(path), path.to_string(), text.to_string()))
            .collect();
        let scripts: Vec<Script> = sources.iter().map(|s| crate::script::parse_script(&s.text)).collect();
        let inputs: Vec<_> =
            sources.iter().zip(&scripts).enumerate().map(|(i, (s, sc))| (FileId(i as u32), s, sc)).collect();
        let (_, units) = crate::model::build(&inputs, &crate::model::BuildOptions::default());
        assign(&inputs, &units, options)
            .into_iter()
            .map(|c| (c.database, c.database_reason, c.cluster, c.cluster_reason))
            .collect()
    }

    fn options() -> ContextOptions {
        ContextOptions { root: PathBuf::from("/repo"), ..ContextOptions::default() }
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
