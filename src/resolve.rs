//! Resolution: what each update policy entry reads (and the plugins and external data it runs),
//! through every function it calls, with the chain of locations that explains each one, and
//! what could not be resolved.
//!
//! A name is resolved where it is written: names in a policy's `Query` in the policy's
//! database, names in a stored function's body in the function's own database. A bare name (or
//! `database('d').X`) is a stored function when the database has one that can be called
//! without arguments (a function wins over a table of the same name), else a materialized view
//! when one has that name, else a table. `table('X')` is the other way round: the table `X` when
//! the database has one (or when the function `X` itself says `table('X')`), else the function.
//! A database pattern (`database('Archive*')`) reads every database of the project it matches,
//! or the pattern itself when it matches none but the reader's own. Calls are followed
//! transitively, across databases, memoised by (function, constant arguments), and a call that
//! is already being expanded is not expanded again, so cycles end.
//!
//! A read of a database, table, view or function that the project does not describe is kept,
//! marked [`Unresolved`]: it still counts as a read of its database (a call of an unknown
//! function of another database reads that database), and UP007 reports it.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::kql::references::{EntityKind, Read};
use crate::kql::{self, Analysis, parser};
use crate::model::{Database, Location, same_database};
use crate::span::Span;
use crate::unit::{Unit, UnitId, UnitKind};
use crate::workspace::Workspace;

/// What a read resolved to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccessKind {
    Table,
    MaterializedView,
    ExternalTable,
    /// A wildcarded name (`union T*`).
    TablePattern,
    /// A call of a function the model does not define (outside the project, or a typo).
    UnknownFunction,
}

/// Why a read could not be checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unresolved {
    /// The project describes no such database (on that cluster), or a database pattern matches
    /// none of its databases.
    Database,
    /// The database is described, but defines no such table, view or function.
    Entity,
}

/// One step of the chain that explains a read: a call of a function, or the reference itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub location: Location,
    /// For a call, the function called (`None` for the final reference).
    pub calls: Option<String>,
}

/// One thing an update policy reads, resolved to its database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    pub kind: AccessKind,
    /// The cluster named (`None`: the cluster of the reading code).
    pub cluster: Option<String>,
    /// The database it lives in.
    pub database: String,
    pub name: String,
    /// From the policy's `Query` to the reference: calls, then the reference.
    pub chain: Vec<Step>,
    /// Set when the project does not describe what is read.
    pub unresolved: Option<Unresolved>,
    /// The database pattern written (`Archive*`) when `database` is one database it matched.
    pub pattern: Option<String>,
    /// True when the reference names its database or cluster (`database('d').T`).
    pub qualified: bool,
}

impl Access {
    /// Where the name is written.
    pub fn reference(&self) -> &Step {
        self.chain.last().expect("a chain ends with the reference")
    }
}

/// What a policy runs besides reading tables.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EffectKind {
    /// `evaluate plugin(...)`, by its name as written.
    Plugin(String),
    /// The `externaldata` operator (or `inline_external_table`).
    ExternalData,
}

/// A plugin run or external data read by an update policy, with the chain that explains it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effect {
    pub kind: EffectKind,
    /// From the policy's `Query` to the operator: calls, then the operator itself.
    pub chain: Vec<Step>,
}

impl Effect {
    /// Where the operator is written.
    pub fn operator(&self) -> &Step {
        self.chain.last().expect("a chain ends with the operator")
    }
}

/// The resolution of every update policy entry in effect.
#[derive(Clone, Debug, Default)]
pub struct Resolution {
    /// Keyed by the policy's unit.
    pub policies: BTreeMap<UnitId, Vec<Access>>,
    /// The plugins and external data of each policy, keyed by the policy's unit.
    pub effects: BTreeMap<UnitId, Vec<Effect>>,
    /// The policies whose text and every function they reach parse without error and name what
    /// they read with constants (no `table(x)`/`database(x)`/`cluster(x)` of a variable `x`).
    pub exact: BTreeSet<UnitId>,
}

/// What one unit reads and runs, resolved.
#[derive(Debug)]
struct Resolved {
    reads: Vec<Access>,
    effects: Vec<Effect>,
    /// See [`Resolution::exact`].
    exact: bool,
}

impl Resolution {
    pub fn reads(&self, unit: UnitId) -> &[Access] {
        self.policies.get(&unit).map_or(&[], Vec::as_slice)
    }

    /// True when everything the policy of `unit` reads was resolved.
    pub fn is_complete(&self, unit: UnitId) -> bool {
        self.reads(unit).iter().all(|a| a.unresolved.is_none())
    }

    pub fn effects(&self, unit: UnitId) -> &[Effect] {
        self.effects.get(&unit).map_or(&[], Vec::as_slice)
    }

    /// See [`Resolution::exact`].
    pub fn is_exact(&self, unit: UnitId) -> bool {
        self.exact.contains(&unit)
    }
}

/// Resolves the `Query` of every update policy entry in effect.
pub fn resolve(workspace: &Workspace) -> Resolution {
    let mut resolver =
        Resolver { workspace, memo: FxHashMap::default(), in_progress: Vec::new(), tables: FxHashMap::default() };
    let mut resolution = Resolution::default();
    for cluster in workspace.model.clusters.values() {
        for database in cluster.databases.values() {
            for table in database.tables.values() {
                for entry in &table.update_policy.entries {
                    if let Some(unit) = entry.query {
                        let resolved = resolver.unit_reads(unit, &[]);
                        resolution.policies.insert(unit, resolved.reads.clone());
                        resolution.effects.insert(unit, resolved.effects.clone());
                        if resolved.exact {
                            resolution.exact.insert(unit);
                        }
                    }
                }
            }
        }
    }
    resolution
}

type MemoKey = (UnitId, Vec<Option<String>>);

struct Resolver<'a> {
    workspace: &'a Workspace,
    memo: FxHashMap<MemoKey, Rc<Resolved>>,
    /// The function units being expanded, to stop cycles.
    in_progress: Vec<UnitId>,
    /// The tables each database is known to have ([`known_tables`]), by the database's address.
    tables: FxHashMap<*const Database, FxHashSet<&'a str>>,
}

impl<'a> Resolver<'a> {
    fn table_exists(&mut self, database: &'a Database, name: &str) -> bool {
        self.tables.entry(database as *const Database).or_insert_with(|| known_tables(database)).contains(name)
    }

    /// What a unit reads (a function's body for the given arguments), resolved.
    fn unit_reads(&mut self, unit_id: UnitId, arguments: &[Option<String>]) -> Rc<Resolved> {
        let key = (unit_id, arguments.to_vec());
        if let Some(done) = self.memo.get(&key) {
            return done.clone();
        }
        if self.in_progress.contains(&unit_id) {
            return Rc::new(Resolved { reads: Vec::new(), effects: Vec::new(), exact: true });
        }
        self.in_progress.push(unit_id);
        let workspace = self.workspace;
        let unit = workspace.unit(unit_id);
        let analysis = analysis_for(unit, arguments);
        let mut accesses = Vec::new();
        let mut effects = own_effects(unit, &analysis);
        let mut exact = unit.query.errors.is_empty() && analysis.dynamic_references.is_empty();
        for read in &analysis.reads {
            exact &= self.resolve_read(unit, read, &mut accesses, &mut effects);
        }
        self.in_progress.pop();
        // One chain per thing read at one place is enough to explain it; keeping every chain
        // would grow exponentially with functions that call the same function twice.
        let mut seen = FxHashSet::default();
        accesses.retain(|a: &Access| {
            seen.insert((a.kind, a.cluster.clone(), a.database.to_lowercase(), a.name.clone(), a.reference().location))
        });
        let mut seen = FxHashSet::default();
        effects.retain(|e: &Effect| seen.insert((e.kind.clone(), e.operator().location)));
        let resolved = Rc::new(Resolved { reads: accesses, effects, exact });
        self.memo.insert(key, resolved.clone());
        resolved
    }

    /// Resolves one read into `out` (and what the functions it calls run into `effects`); false
    /// when a function it reaches is not exact (see [`Resolution::exact`]).
    fn resolve_read(&mut self, unit: &Unit, read: &Read, out: &mut Vec<Access>, effects: &mut Vec<Effect>) -> bool {
        let entity = &read.entity;
        let cluster = entity.cluster.clone().or_else(|| unit.cluster.clone());
        let Some(database_name) = entity.database.clone().or_else(|| unit.database.clone()) else { return false };
        if !database_name.contains('*') {
            return self.resolve_in(unit, read, cluster.as_deref(), &database_name, None, out, effects);
        }
        let matching: Vec<String> = self
            .workspace
            .model
            .cluster(cluster.as_deref())
            .map(|c| {
                c.databases.values().filter(|db| matches_pattern(&database_name, &db.name)).map(|db| db.name.clone())
            })
            .into_iter()
            .flatten()
            .collect();
        let mut exact = true;
        for name in &matching {
            exact &= self.resolve_in(unit, read, cluster.as_deref(), name, Some(&database_name), out, effects);
        }
        // A pattern can match databases the project does not describe: when it matches none of
        // them but the reader's own, the pattern itself is read.
        let own = |name: &String| unit.database.as_deref().is_some_and(|own| same_database(own, name));
        if matching.iter().all(own) {
            let mut chain = via_steps(unit, read);
            chain.push(Step { location: Location { file: unit.file, span: unit.file_span(read.span) }, calls: None });
            out.push(Access {
                kind: plain_kind(entity.kind),
                cluster,
                database: database_name,
                name: entity.name.clone(),
                chain,
                unresolved: Some(Unresolved::Database),
                pattern: None,
                qualified: true,
            });
        }
        exact
    }

    /// A read resolved in database `database_name` (one that `pattern` matched, if given); false
    /// when it calls a function that is not exact.
    #[allow(clippy::too_many_arguments)]
    fn resolve_in(
        &mut self,
        unit: &Unit,
        read: &Read,
        cluster: Option<&str>,
        database_name: &str,
        pattern: Option<&str>,
        out: &mut Vec<Access>,
        effects: &mut Vec<Effect>,
    ) -> bool {
        let workspace = self.workspace;
        let entity = &read.entity;
        let name = entity.name.as_str();
        let mut prefix = via_steps(unit, read);
        let here = Location { file: unit.file, span: unit.file_span(read.span) };
        let database: Option<&'a Database> = workspace.model.database(cluster, database_name);
        // The read itself, named as the model spells its database when it knows it.
        let read_here = |kind: AccessKind, unresolved: Option<Unresolved>, mut chain: Vec<Step>| {
            chain.push(Step { location: here, calls: None });
            let database_name = database.map_or_else(|| database_name.to_string(), |db| db.name.clone());
            Access {
                kind,
                cluster: cluster.map(str::to_string),
                database: database_name,
                name: name.to_string(),
                chain,
                unresolved: if database.is_none() { Some(Unresolved::Database) } else { unresolved },
                pattern: pattern.map(str::to_string),
                qualified: entity.database.is_some() || entity.cluster.is_some(),
            }
        };
        let Some(db) = database else {
            out.push(read_here(plain_kind(entity.kind), None, prefix));
            return true;
        };
        let function = db.functions.get(name).and_then(|f| f.effective());
        let callable = |unit_id: UnitId, with_arguments: bool| {
            with_arguments || workspace.unit(unit_id).query.parameters.iter().all(|p| p.has_default)
        };
        let missing = |found: bool| if found { None } else { Some(Unresolved::Entity) };
        match entity.kind {
            EntityKind::Table | EntityKind::Function => {
                let with_arguments = entity.kind == EntityKind::Function;
                // `table('X')` reads the table X when there is one, and always inside the
                // function X itself (the documented way around a name clash).
                let table_first = read.table_call && (self.table_exists(db, name) || is_function_named(unit, db, name));
                if let Some(definition) = function.filter(|d| !table_first && callable(d.unit, with_arguments)) {
                    prefix.push(Step { location: here, calls: Some(name.to_string()) });
                    let expanded = self.unit_reads(definition.unit, &read.arguments);
                    for access in &expanded.reads {
                        let mut chain = prefix.clone();
                        chain.extend(access.chain.iter().cloned());
                        out.push(Access { chain, ..access.clone() });
                    }
                    for effect in &expanded.effects {
                        let mut chain = prefix.clone();
                        chain.extend(effect.chain.iter().cloned());
                        effects.push(Effect { kind: effect.kind.clone(), chain });
                    }
                    return expanded.exact;
                }
                let access = match entity.kind {
                    EntityKind::Function => read_here(AccessKind::UnknownFunction, missing(false), prefix),
                    _ if has_materialized_view(db, name) => read_here(AccessKind::MaterializedView, None, prefix),
                    _ => {
                        // `$source_table` stands for whichever table triggered a wildcard policy.
                        let exists = name == SOURCE_TABLE || self.table_exists(db, name);
                        read_here(AccessKind::Table, missing(exists), prefix)
                    }
                };
                out.push(access);
            }
            EntityKind::MaterializedView => {
                out.push(read_here(AccessKind::MaterializedView, missing(has_materialized_view(db, name)), prefix));
            }
            EntityKind::ExternalTable => {
                out.push(read_here(AccessKind::ExternalTable, missing(db.external_tables.contains_key(name)), prefix));
            }
            EntityKind::TablePattern => out.push(read_here(AccessKind::TablePattern, None, prefix)),
        }
        true
    }
}

/// The symbol that stands for the triggering table in a wildcard update policy.
pub const SOURCE_TABLE: &str = "$source_table";

/// The let-function calls that lead to a read, as steps.
fn via_steps(unit: &Unit, read: &Read) -> Vec<Step> {
    read.via
        .iter()
        .map(|span| Step { location: Location { file: unit.file, span: unit.file_span(*span) }, calls: None })
        .collect()
}

/// What a read is when nothing in the project tells more.
fn plain_kind(kind: EntityKind) -> AccessKind {
    match kind {
        EntityKind::Table => AccessKind::Table,
        EntityKind::TablePattern => AccessKind::TablePattern,
        EntityKind::Function => AccessKind::UnknownFunction,
        EntityKind::MaterializedView => AccessKind::MaterializedView,
        EntityKind::ExternalTable => AccessKind::ExternalTable,
    }
}

/// True when `unit` is the body of the function `name` of `database`.
fn is_function_named(unit: &Unit, database: &Database, name: &str) -> bool {
    unit.kind == UnitKind::Function
        && unit.name.as_deref() == Some(name)
        && unit.database.as_deref().is_some_and(|d| same_database(d, &database.name))
}

/// The tables the project shows `database` to have: those a command creates, fills, maps or
/// changes (even if a later command drops them), and the sources of its update policies and materialized views (ADX requires a source to exist).
pub fn known_tables(database: &Database) -> FxHashSet<&str> {
    let mut tables: FxHashSet<&str> = database.tables.keys().map(String::as_str).collect();
    tables.extend(database.known_tables.keys().map(String::as_str));
    let sources = database
        .tables
        .values()
        .flat_map(|t| &t.update_policy.entries)
        .filter_map(|e| e.json.member("Source").and_then(|m| m.value.as_str()).map(str::trim));
    tables.extend(sources);
    tables.extend(database.materialized_views.values().flat_map(|v| &v.definitions).map(|d| d.source.as_str()));
    tables
}

/// True when a database pattern (`*` matches any text, case-insensitively) matches `name`.
pub fn matches_pattern(pattern: &str, name: &str) -> bool {
    let (pattern, name) = (pattern.to_lowercase(), name.to_lowercase());
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return pattern == name;
    }
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

fn has_materialized_view(database: &Database, name: &str) -> bool {
    database.materialized_views.contains_key(name)
}

/// The analysis of a unit; a function's body is analysed again when constant arguments can
/// change what it reads (`database(p).T`).
fn analysis_for<'u>(unit: &'u Unit, arguments: &[Option<String>]) -> Cow<'u, Analysis> {
    let as_written = &unit.query.analysis;
    if arguments.iter().all(Option::is_none) || as_written.dynamic_references.is_empty() {
        return Cow::Borrowed(as_written);
    }
    let parsed = parser::parse_function(&unit.text);
    Cow::Owned(kql::analyze::analyze_function(&unit.text, &parsed.tokens, &parsed.function, arguments))
}

/// The plugins and external data a unit's own text runs (its let-function calls, then the
/// operator).
fn own_effects(unit: &Unit, analysis: &Analysis) -> Vec<Effect> {
    let step = |span: Span| Step { location: Location { file: unit.file, span: unit.file_span(span) }, calls: None };
    let plugins = analysis.plugins.iter().map(|plugin| Effect {
        kind: EffectKind::Plugin(plugin.name.clone()),
        chain: plugin.via.iter().chain([&plugin.span]).map(|span| step(*span)).collect(),
    });
    let external =
        analysis.external_data.iter().map(|span| Effect { kind: EffectKind::ExternalData, chain: vec![step(*span)] });
    plugins.chain(external).collect()
}
