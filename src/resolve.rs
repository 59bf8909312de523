//! Resolution: what each update policy entry reads, through every function it calls, with the
//! chain of locations that explains each read (§2.2, §6.3 of `spec/adx-semantics.md`).
//!
//! A name is resolved where it is written: names in a policy's `Query` in the policy's
//! database, names in a stored function's body in the function's own database. A bare name (or
//! `database('d').X`) is a stored function when the database has one that can be called
//! without arguments (a function wins over a table of the same name), else a materialized view
//! when one has that name, else a table. Calls are followed transitively, across databases,
//! memoised by (function, constant arguments), and a call that is already being expanded is not
//! expanded again, so cycles end.

use std::collections::BTreeMap;
use std::rc::Rc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::kql::references::{EntityKind, Read};
use crate::kql::{self, parser};
use crate::model::{Database, Location};
use crate::unit::{Unit, UnitId};
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
}

impl Access {
    /// Where the name is written.
    pub fn reference(&self) -> &Step {
        self.chain.last().expect("a chain ends with the reference")
    }
}

/// The resolution of every update policy entry in effect.
#[derive(Clone, Debug, Default)]
pub struct Resolution {
    /// Keyed by the policy's unit.
    pub policies: BTreeMap<UnitId, Vec<Access>>,
}

impl Resolution {
    pub fn reads(&self, unit: UnitId) -> &[Access] {
        self.policies.get(&unit).map_or(&[], Vec::as_slice)
    }
}

/// Resolves the `Query` of every update policy entry in effect.
pub fn resolve(workspace: &Workspace) -> Resolution {
    let mut resolver = Resolver { workspace, memo: FxHashMap::default(), in_progress: Vec::new() };
    let mut resolution = Resolution::default();
    for cluster in workspace.model.clusters.values() {
        for database in cluster.databases.values() {
            for table in database.tables.values() {
                for entry in &table.update_policy.entries {
                    if let Some(unit) = entry.query {
                        let reads = resolver.unit_reads(unit, &[]);
                        resolution.policies.insert(unit, reads.to_vec());
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
    memo: FxHashMap<MemoKey, Rc<Vec<Access>>>,
    /// The function units being expanded, to stop cycles.
    in_progress: Vec<UnitId>,
}

impl Resolver<'_> {
    /// What a unit reads (a function's body for the given arguments), resolved.
    fn unit_reads(&mut self, unit_id: UnitId, arguments: &[Option<String>]) -> Rc<Vec<Access>> {
        let key = (unit_id, arguments.to_vec());
        if let Some(done) = self.memo.get(&key) {
            return done.clone();
        }
        if self.in_progress.contains(&unit_id) {
            return Rc::new(Vec::new());
        }
        self.in_progress.push(unit_id);
        let workspace = self.workspace;
        let unit = workspace.unit(unit_id);
        let reads = unit_reads_for(unit, arguments);
        let mut accesses = Vec::new();
        for read in &reads {
            self.resolve_read(unit, read, &mut accesses);
        }
        self.in_progress.pop();
        // One chain per thing read at one place is enough to explain it; keeping every chain
        // would grow exponentially with functions that call the same function twice.
        let mut seen = FxHashSet::default();
        accesses.retain(|a: &Access| {
            seen.insert((a.kind, a.cluster.clone(), a.database.to_lowercase(), a.name.clone(), a.reference().location))
        });
        let accesses = Rc::new(accesses);
        self.memo.insert(key, accesses.clone());
        accesses
    }

    fn resolve_read(&mut self, unit: &Unit, read: &Read, out: &mut Vec<Access>) {
        let workspace = self.workspace;
        let entity = &read.entity;
        let cluster = entity.cluster.clone().or_else(|| unit.cluster.clone());
        let Some(database_name) = entity.database.clone().or_else(|| unit.database.clone()) else { return };
        let mut prefix: Vec<Step> = read
            .via
            .iter()
            .map(|span| Step { location: Location { file: unit.file, span: unit.file_span(*span) }, calls: None })
            .collect();
        let here = Location { file: unit.file, span: unit.file_span(read.span) };
        let database = workspace.model.database(cluster.as_deref(), &database_name);
        // The read itself, named as the model spells its database when it knows it.
        let read_here = |kind: AccessKind, mut chain: Vec<Step>| {
            chain.push(Step { location: here, calls: None });
            let database_name = database.map(|db| db.name.clone()).unwrap_or_else(|| database_name.clone());
            Access { kind, cluster: cluster.clone(), database: database_name, name: entity.name.clone(), chain }
        };
        let function = database.and_then(|db| db.functions.get(&entity.name)).and_then(|f| f.effective());
        let callable = |unit_id: UnitId, with_arguments: bool| {
            with_arguments || workspace.unit(unit_id).query.parameters.iter().all(|p| p.has_default)
        };
        match entity.kind {
            EntityKind::Table | EntityKind::Function => {
                let with_arguments = entity.kind == EntityKind::Function;
                if let Some(definition) = function.filter(|d| callable(d.unit, with_arguments)) {
                    prefix.push(Step { location: here, calls: Some(entity.name.clone()) });
                    let expanded = self.unit_reads(definition.unit, &read.arguments);
                    for access in expanded.iter() {
                        let mut chain = prefix.clone();
                        chain.extend(access.chain.iter().cloned());
                        out.push(Access { chain, ..access.clone() });
                    }
                    return;
                }
                let kind = match entity.kind {
                    EntityKind::Function => AccessKind::UnknownFunction,
                    _ if database.is_some_and(|db| has_materialized_view(db, &entity.name)) => {
                        AccessKind::MaterializedView
                    }
                    _ => AccessKind::Table,
                };
                out.push(read_here(kind, prefix));
            }
            EntityKind::MaterializedView | EntityKind::ExternalTable | EntityKind::TablePattern => {
                let kind = match entity.kind {
                    EntityKind::MaterializedView => AccessKind::MaterializedView,
                    EntityKind::ExternalTable => AccessKind::ExternalTable,
                    _ => AccessKind::TablePattern,
                };
                out.push(read_here(kind, prefix));
            }
        }
    }
}

fn has_materialized_view(database: &Database, name: &str) -> bool {
    database.materialized_views.contains_key(name)
}

/// The reads of a unit; a function's body is analysed again when constant arguments can change
/// what it reads (`database(p).T`).
fn unit_reads_for(unit: &Unit, arguments: &[Option<String>]) -> Vec<Read> {
    let as_written = &unit.query.analysis;
    if arguments.iter().all(Option::is_none) || as_written.dynamic_references.is_empty() {
        return as_written.reads.clone();
    }
    let parsed = parser::parse_function(&unit.text);
    kql::analyze::analyze_function(&unit.text, &parsed.tokens, &parsed.function, arguments).reads
}
