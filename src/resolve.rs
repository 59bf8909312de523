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
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::kql::references::{EntityKind, Read};
use crate::kql::{self, Analysis, parser};
use crate::model::changes::{Dep, DepNode, Part, Recorder, entity_code};
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
///
/// Its names are shared by the accesses of one resolution that spell them the same (thousands of
/// policies reading the same database and source table hold each name once).
pub struct Access {
    pub kind: AccessKind,
    /// The cluster named (`None`: the cluster of the reading code).
    pub cluster: Option<Arc<str>>,
    /// The database it lives in.
    pub database: Arc<str>,
    pub name: Arc<str>,
    /// From the policy's `Query` to the reference: calls, then the reference.
    pub chain: Box<[Step]>,
    /// Set when the project does not describe what is read.
    pub unresolved: Option<Unresolved>,
    /// The database pattern written (`Archive*`) when `database` is one database it matched.
    pub pattern: Option<Arc<str>>,
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
    /// A plugin whose output the operator declares (`evaluate bag_unpack(d) : (a:string)`).
    pub output_declared: bool,
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
    /// The plugins and external data of each policy, keyed by the policy's unit (a policy that
    /// runs none has no entry: most run none).
    pub effects: BTreeMap<UnitId, Vec<Effect>>,
    /// The policies whose text and every function they reach parse without error and name what
    /// they read with constants (no `table(x)`/`database(x)`/`cluster(x)` of a variable `x`).
    pub exact: BTreeSet<UnitId>,
    /// What the query of each materialized view definition reads through the functions it
    /// calls, keyed by the definition's unit (a policy that reads a view over its own target is
    /// UP212's).
    pub views: BTreeMap<UnitId, Vec<Access>>,
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

    /// What the materialized view defined by `unit` reads (see [`Resolution::views`]).
    pub fn view_reads(&self, unit: UnitId) -> &[Access] {
        self.views.get(&unit).map_or(&[], Vec::as_slice)
    }
}

/// Resolves the `Query` of every update policy entry in effect.
pub fn resolve(workspace: &Workspace) -> Resolution {
    let mut kept = Kept::default();
    resolve_kept(workspace, &mut kept, None, &mut Recorder::default());
    kept.resolution
}

/// A resolution kept from one check to the next, with what each policy's and view's
/// resolution looked up in the model.
#[derive(Debug, Default)]
pub struct Kept {
    pub resolution: Resolution,
    deps: FxHashMap<UnitId, Vec<Dep>>,
}

/// Resolves again, into `kept`, the policies and views that are new or looked up something in
/// `touched` (all of them when `touched` is `None`), keeping the others as they were; the
/// result is what [`resolve`] gives. A unit's resolution does not depend on what was resolved
/// before it (calls cut short by a cycle are kept for that unit only), so keeping some is exact.
/// Returns the policies' units resolved again.
pub fn resolve_kept(
    workspace: &Workspace,
    kept: &mut Kept,
    touched: Option<&FxHashSet<Dep>>,
    recorder: &mut Recorder,
) -> FxHashSet<UnitId> {
    let recording = touched.is_some();
    let mut recomputed = FxHashSet::default();
    if !recording {
        *kept = Kept::default();
    }
    let mut resolver = Resolver::new(workspace, recording.then_some(recorder));
    let mut names = Names::default();
    let mut current: FxHashSet<UnitId> = FxHashSet::default();
    let keep = |deps: &FxHashMap<UnitId, Vec<Dep>>, unit: UnitId| match (touched, deps.get(&unit)) {
        (Some(touched), Some(deps)) => !deps.iter().any(|d| touched.contains(d)),
        _ => false,
    };
    let resolution = &mut kept.resolution;
    for (cluster_key, cluster) in &workspace.model.clusters {
        for database in cluster.databases.values() {
            for (table, t) in &database.tables {
                for entry in &t.update_policy.entries {
                    let Some(unit) = entry.query else { continue };
                    if recording {
                        current.insert(unit);
                        if keep(&kept.deps, unit) {
                            continue;
                        }
                    }
                    let resolved = resolver.top(unit);
                    recomputed.insert(unit);
                    resolution
                        .policies
                        .insert(unit, resolved.reads.iter().map(|found| found.to_access(&mut names)).collect());
                    if resolved.effects.is_empty() {
                        resolution.effects.remove(&unit);
                    } else {
                        resolution.effects.insert(unit, resolved.effects.iter().map(FoundEffect::to_effect).collect());
                    }
                    if resolved.exact {
                        resolution.exact.insert(unit);
                    } else {
                        resolution.exact.remove(&unit);
                    }
                    if let Some(recorder) = resolver.recorder.as_deref_mut() {
                        let own = recorder.id_at(cluster_key.as_deref(), database);
                        let mut deps = DepNode::flatten(&resolved.deps);
                        deps.extend([(own, Part::Database.code()), (own, entity_code(table))]);
                        kept.deps.insert(unit, deps);
                    }
                }
            }
            for (name, view) in &database.materialized_views {
                for definition in &view.definitions {
                    let unit = definition.unit;
                    if recording {
                        current.insert(unit);
                        if keep(&kept.deps, unit) {
                            continue;
                        }
                    }
                    let resolved = resolver.top(unit);
                    resolution
                        .views
                        .insert(unit, resolved.reads.iter().map(|found| found.to_access(&mut names)).collect());
                    if let Some(recorder) = resolver.recorder.as_deref_mut() {
                        let own = recorder.id_at(cluster_key.as_deref(), database);
                        let mut deps = DepNode::flatten(&resolved.deps);
                        deps.extend([(own, Part::Database.code()), (own, entity_code(name))]);
                        kept.deps.insert(unit, deps);
                    }
                }
            }
        }
    }
    if recording {
        resolution.policies.retain(|unit, _| current.contains(unit));
        resolution.effects.retain(|unit, _| current.contains(unit));
        resolution.exact.retain(|unit| current.contains(unit));
        resolution.views.retain(|unit, _| current.contains(unit));
        kept.deps.retain(|unit, _| current.contains(unit));
    }
    recomputed
}

type MemoKey = (UnitId, Vec<Option<String>>);

/// A chain of steps as a shared list: a function's reads keep the chain from its body to each
/// reference, and a caller puts its own steps in front without copying the rest, so a call
/// chain D deep costs O(D) and not O(D²).
struct Link {
    step: Step,
    next: Option<Rc<Link>>,
}

impl Drop for Link {
    /// Drops the tail iteratively: the default recursive drop of a list 20,000 long would
    /// exhaust the stack.
    fn drop(&mut self) {
        let mut next = self.next.take();
        while let Some(link) = next {
            next = match Rc::try_unwrap(link) {
                Ok(mut link) => link.next.take(),
                Err(_) => break,
            };
        }
    }
}

/// `steps` (at least one) in front of `tail`.
fn prepend(steps: Vec<Step>, tail: Option<Rc<Link>>) -> Rc<Link> {
    let mut steps = steps.into_iter().rev();
    let last = steps.next().expect("a chain has at least one step");
    let mut chain = Rc::new(Link { step: last, next: tail });
    for step in steps {
        chain = Rc::new(Link { step, next: Some(chain) });
    }
    chain
}

/// `prefix` in front of `chain` (the same list when `prefix` is empty).
fn behind(prefix: &[Step], chain: &Rc<Link>) -> Rc<Link> {
    if prefix.is_empty() { chain.clone() } else { prepend(prefix.to_vec(), Some(chain.clone())) }
}

/// The steps of a chain, first to last (held without spare room: an access keeps them for the
/// whole run).
fn steps(chain: &Rc<Link>) -> Vec<Step> {
    let mut length = 0;
    let mut link = Some(chain);
    while let Some(current) = link {
        length += 1;
        link = current.next.as_ref();
    }
    let mut steps = Vec::with_capacity(length);
    let mut link = Some(chain);
    while let Some(current) = link {
        steps.push(current.step.clone());
        link = current.next.as_ref();
    }
    steps
}

/// A read found in a unit: an [`Access`] whose chain is a shared list, and whose names are
/// shared too (every caller of the function that reads it holds a copy).
#[derive(Clone)]
struct Found {
    kind: AccessKind,
    cluster: Option<Rc<str>>,
    database: Rc<str>,
    name: Rc<str>,
    /// Where the name is written (the last step of the chain).
    reference: Location,
    chain: Rc<Link>,
    unresolved: Option<Unresolved>,
    pattern: Option<Rc<str>>,
    qualified: bool,
}

impl Found {
    fn to_access(&self, names: &mut Names) -> Access {
        Access {
            kind: self.kind,
            cluster: self.cluster.as_deref().map(|name| names.get(name)),
            database: names.get(&self.database),
            name: names.get(&self.name),
            chain: steps(&self.chain).into_boxed_slice(),
            unresolved: self.unresolved,
            pattern: self.pattern.as_deref().map(|name| names.get(name)),
            qualified: self.qualified,
        }
    }
}

/// The names of the accesses of one resolution, each spelling held once.
#[derive(Default)]
struct Names(FxHashSet<Arc<str>>);

impl Names {
    fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(name) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(name);
        self.0.insert(shared.clone());
        shared
    }
}

/// A plugin or external data found in a unit: an [`Effect`] whose chain is a shared list.
#[derive(Clone)]
struct FoundEffect {
    kind: EffectKind,
    /// Where the operator is written (the last step of the chain).
    operator: Location,
    chain: Rc<Link>,
    output_declared: bool,
}

impl FoundEffect {
    fn to_effect(&self) -> Effect {
        Effect { kind: self.kind.clone(), chain: steps(&self.chain), output_declared: self.output_declared }
    }
}

/// What one unit reads and runs, resolved.
struct Resolved {
    reads: Vec<Found>,
    effects: Vec<FoundEffect>,
    /// See [`Resolution::exact`].
    exact: bool,
    /// A call was not followed because it was already being expanded: what this gives depends
    /// on the calls being expanded above it, so it is kept for the unit being resolved only.
    tainted: bool,
    /// What it looked up in the model (when recording).
    deps: Rc<DepNode>,
}

/// What one read comes to: something read here, or a call of a stored function to expand.
enum Outcome {
    Found(Found),
    Call { prefix: Vec<Step>, unit: UnitId, arguments: Vec<Option<String>> },
}

/// A unit being resolved: its reads, how far it got, and what it found so far.
struct Frame {
    key: MemoKey,
    reads: Vec<Read>,
    next: usize,
    /// The outcomes of the read being handled, last first.
    pending: Vec<Outcome>,
    found: Resolved,
    /// The steps in front of the call whose function is being resolved above this frame.
    waiting: Vec<Step>,
    /// What it looked up so far (when recording).
    deps: DepNode,
}

impl Frame {
    /// Takes over what a called function resolved to, behind the steps of the call.
    fn absorb(&mut self, prefix: &[Step], done: &Resolved, recording: bool) {
        if recording {
            self.deps.children.push(done.deps.clone());
        }
        self.found.tainted |= done.tainted;
        self.found.reads.extend(done.reads.iter().map(|f| Found { chain: behind(prefix, &f.chain), ..f.clone() }));
        self.found
            .effects
            .extend(done.effects.iter().map(|e| FoundEffect { chain: behind(prefix, &e.chain), ..e.clone() }));
        self.found.exact &= done.exact;
    }
}

struct Resolver<'a> {
    workspace: &'a Workspace,
    /// What resolved independently of the calls above it.
    memo: FxHashMap<MemoKey, Rc<Resolved>>,
    /// What resolved with a call cut short, for the unit being resolved only.
    local: FxHashMap<MemoKey, Rc<Resolved>>,
    recorder: Option<&'a mut Recorder>,
    /// What the read being resolved looked up.
    looked_up: Vec<Dep>,
    /// The function units being expanded, to stop cycles.
    in_progress: FxHashSet<UnitId>,
    /// The tables each database is known to have ([`known_tables`]), by the database's address.
    tables: FxHashMap<*const Database, FxHashSet<&'a str>>,
}

impl<'a> Resolver<'a> {
    fn new(workspace: &'a Workspace, recorder: Option<&'a mut Recorder>) -> Resolver<'a> {
        Resolver {
            workspace,
            memo: FxHashMap::default(),
            local: FxHashMap::default(),
            recorder,
            looked_up: Vec::new(),
            in_progress: FxHashSet::default(),
            tables: FxHashMap::default(),
        }
    }

    /// What a policy's `Query` or a view's query reads, resolved.
    fn top(&mut self, unit: UnitId) -> Rc<Resolved> {
        self.local.clear();
        self.unit_reads(unit, &[])
    }

    fn memo_get(&self, key: &MemoKey) -> Option<&Rc<Resolved>> {
        self.memo.get(key).or_else(|| self.local.get(key))
    }

    fn table_exists(&mut self, database: &'a Database, name: &str) -> bool {
        self.tables.entry(database as *const Database).or_insert_with(|| known_tables(database)).contains(name)
    }

    /// What a unit reads (a function's body for the given arguments), resolved. Calls are
    /// followed with an explicit stack of frames, so no depth of calls exhausts the stack.
    fn unit_reads(&mut self, unit_id: UnitId, arguments: &[Option<String>]) -> Rc<Resolved> {
        let key = (unit_id, arguments.to_vec());
        if let Some(done) = self.memo_get(&key) {
            return done.clone();
        }
        let recording = self.recorder.is_some();
        let mut stack = vec![self.frame(key)];
        loop {
            let top = stack.last_mut().expect("the stack holds the unit being resolved");
            if let Some(outcome) = top.pending.pop() {
                if top.pending.is_empty() {
                    // Its room goes: a frame may wait here for the whole depth of the calls
                    // above it.
                    top.pending = Vec::new();
                }
                match outcome {
                    Outcome::Found(found) => top.found.reads.push(found),
                    Outcome::Call { prefix, unit, arguments } => {
                        let key = (unit, arguments);
                        if let Some(done) = self.memo.get(&key).or_else(|| self.local.get(&key)) {
                            top.absorb(&prefix, done, recording);
                        } else if !self.in_progress.contains(&unit) {
                            top.waiting = prefix;
                            let frame = self.frame(key);
                            stack.push(frame);
                        } else {
                            top.found.tainted = true;
                        }
                    }
                }
                continue;
            }
            if top.next < top.reads.len() {
                let unit = self.workspace.unit(top.key.0);
                let read = top.reads[top.next].clone();
                top.next += 1;
                let mut outcomes = Vec::new();
                let exact = self.resolve_read(unit, &read, &mut outcomes);
                outcomes.reverse();
                let top = stack.last_mut().expect("the frame just read");
                top.deps.own.append(&mut self.looked_up);
                top.pending = outcomes;
                top.found.exact &= exact;
                continue;
            }
            let mut frame = stack.pop().expect("a frame to finish");
            self.in_progress.remove(&frame.key.0);
            frame.found.deps = Rc::new(frame.deps);
            let mut found = dedup(frame.found);
            // Held without spare room: every unit resolved is kept for the policies after it.
            found.reads.shrink_to_fit();
            found.effects.shrink_to_fit();
            let done = Rc::new(found);
            if done.tainted {
                self.local.insert(frame.key, done.clone());
            } else {
                self.memo.insert(frame.key, done.clone());
            }
            match stack.last_mut() {
                None => return done,
                Some(caller) => {
                    let prefix = std::mem::take(&mut caller.waiting);
                    caller.absorb(&prefix, &done, recording);
                }
            }
        }
    }

    /// A frame for a unit about to be resolved, with the plugins and external data of its own
    /// text already found.
    fn frame(&mut self, key: MemoKey) -> Frame {
        self.in_progress.insert(key.0);
        let unit = self.workspace.unit(key.0);
        let analysis = analysis_for(unit, &key.1);
        let exact = unit.query.errors().is_empty() && analysis.dynamic_references().is_empty();
        let effects = own_effects(unit, &analysis)
            .into_iter()
            .map(|e| FoundEffect {
                operator: e.operator().location,
                kind: e.kind,
                chain: prepend(e.chain, None),
                output_declared: e.output_declared,
            })
            .collect();
        let reads = analysis.reads().to_vec();
        Frame {
            key,
            reads,
            next: 0,
            pending: Vec::new(),
            found: Resolved { reads: Vec::new(), effects, exact, tainted: false, deps: Rc::default() },
            waiting: Vec::new(),
            deps: DepNode::default(),
        }
    }

    /// Resolves one read into `out`; false when it cannot be resolved exactly (see
    /// [`Resolution::exact`]; the functions it calls answer for themselves).
    fn resolve_read(&mut self, unit: &Unit, read: &Read, out: &mut Vec<Outcome>) -> bool {
        let entity = &read.entity;
        let cluster = entity.cluster().or(unit.cluster()).map(str::to_string);
        let Some(database_name) = entity.database().or(unit.database()).map(str::to_string) else {
            return false;
        };
        if !database_name.contains('*') {
            self.resolve_in(unit, read, cluster.as_deref(), &database_name, None, out);
            return true;
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
        for name in &matching {
            self.resolve_in(unit, read, cluster.as_deref(), name, Some(&database_name), out);
        }
        // A pattern can match databases the project does not describe: when it matches none of
        // them but the reader's own, the pattern itself is read.
        let own = |name: &String| unit.database().is_some_and(|own| same_database(own, name));
        if matching.iter().all(own) {
            let mut chain = via_steps(unit, read);
            let reference = Location { file: unit.file, span: unit.file_span(read.span) };
            chain.push(Step { location: reference, calls: None });
            out.push(Outcome::Found(Found {
                kind: plain_kind(entity.kind),
                cluster: cluster.map(Rc::from),
                database: Rc::from(database_name),
                name: Rc::from(entity.name()),
                reference,
                chain: prepend(chain, None),
                unresolved: Some(Unresolved::Database),
                pattern: None,
                qualified: true,
            }));
        }
        true
    }

    /// A read resolved in database `database_name` (one that `pattern` matched, if given).
    fn resolve_in(
        &mut self,
        unit: &Unit,
        read: &Read,
        cluster: Option<&str>,
        database_name: &str,
        pattern: Option<&str>,
        out: &mut Vec<Outcome>,
    ) {
        let workspace = self.workspace;
        let entity = &read.entity;
        let name = entity.name();
        let mut prefix = via_steps(unit, read);
        let here = Location { file: unit.file, span: unit.file_span(read.span) };
        let database: Option<&'a Database> = workspace.model.database(cluster, database_name);
        if let Some(recorder) = self.recorder.as_deref_mut() {
            let id = match database {
                Some(database) => recorder.id_at(cluster, database),
                None => recorder.id(cluster, database_name),
            };
            self.looked_up.extend([
                (id, Part::Database.code()),
                (id, Part::KnownTables.code()),
                (id, entity_code(name)),
            ]);
        }
        // The read itself, named as the model spells its database when it knows it.
        let read_here = |kind: AccessKind, unresolved: Option<Unresolved>, mut chain: Vec<Step>| {
            chain.push(Step { location: here, calls: None });
            Outcome::Found(Found {
                kind,
                cluster: cluster.map(Rc::from),
                database: Rc::from(database.map_or(database_name, |db| db.name.as_str())),
                name: Rc::from(name),
                reference: here,
                chain: prepend(chain, None),
                unresolved: if database.is_none() { Some(Unresolved::Database) } else { unresolved },
                pattern: pattern.map(Rc::from),
                qualified: entity.database().is_some() || entity.cluster().is_some(),
            })
        };
        let Some(db) = database else {
            out.push(read_here(plain_kind(entity.kind), None, prefix));
            return;
        };
        let function = db.functions.get(name).and_then(|f| f.effective());
        let callable = |unit_id: UnitId, with_arguments: bool| {
            with_arguments || workspace.unit(unit_id).query.parameters().iter().all(|p| p.has_default)
        };
        let missing = |found: bool| if found { None } else { Some(Unresolved::Entity) };
        match entity.kind {
            EntityKind::Table | EntityKind::Function => {
                let with_arguments = entity.kind == EntityKind::Function;
                // `table('X')` reads the table X when there is one, and always inside the
                // function X itself (the documented way around a name clash).
                let table_first =
                    read.table_call() && (self.table_exists(db, name) || is_function_named(workspace, unit, db, name));
                if let Some(definition) = function.filter(|d| !table_first && callable(d.unit, with_arguments)) {
                    // Exactly: the steps wait in the caller's frame while the function resolves.
                    prefix.reserve_exact(1);
                    prefix.push(Step { location: here, calls: Some(name.to_string()) });
                    out.push(Outcome::Call { prefix, unit: definition.unit, arguments: read.arguments().to_vec() });
                    return;
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
    }
}

/// One chain per thing read (or run) at one place is enough to explain it; keeping every chain
/// would grow exponentially with functions that call the same function twice.
fn dedup(mut resolved: Resolved) -> Resolved {
    let mut seen = FxHashSet::default();
    resolved
        .reads
        .retain(|f| seen.insert((f.kind, f.cluster.clone(), f.database.to_lowercase(), f.name.clone(), f.reference)));
    let mut seen = FxHashSet::default();
    resolved.effects.retain(|e| seen.insert((e.kind.clone(), e.operator)));
    resolved
}

/// The symbol that stands for the triggering table in a wildcard update policy.
pub const SOURCE_TABLE: &str = "$source_table";

/// The let-function calls that lead to a read, as steps.
fn via_steps(unit: &Unit, read: &Read) -> Vec<Step> {
    read.via()
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

/// True when `unit` is the body of a definition of the function `name` of `database`.
fn is_function_named(workspace: &Workspace, unit: &Unit, database: &Database, name: &str) -> bool {
    unit.kind == UnitKind::Function
        && database
            .functions
            .get(name)
            .is_some_and(|f| f.definitions.iter().any(|d| std::ptr::eq(workspace.unit(d.unit), unit)))
}

/// The tables the project shows `database` to have ([`Database::known_table_names`]).
pub fn known_tables(database: &Database) -> FxHashSet<&str> {
    database.known_table_names()
}

/// True when a database pattern (`*` matches any text, case-insensitively) matches `name`.
pub fn matches_pattern(pattern: &str, name: &str) -> bool {
    matches_wildcard(&pattern.to_lowercase(), &name.to_lowercase())
}

/// True when `name` matches the wildcard `pattern` (`*` matches any run of characters;
/// case-sensitive, as table names compare).
pub fn matches_wildcard(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
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
    if arguments.iter().all(Option::is_none) || as_written.dynamic_references().is_empty() {
        return Cow::Borrowed(as_written);
    }
    let parsed = parser::parse_function(&unit.text);
    Cow::Owned(kql::analyze::analyze_function(&unit.text, &parsed.tokens, &parsed.function, arguments))
}

/// The plugins and external data a unit's own text runs (its let-function calls, then the
/// operator).
fn own_effects(unit: &Unit, analysis: &Analysis) -> Vec<Effect> {
    let step = |span: Span| Step { location: Location { file: unit.file, span: unit.file_span(span) }, calls: None };
    let plugins = analysis.plugins().iter().map(|plugin| Effect {
        kind: EffectKind::Plugin(plugin.name.clone()),
        chain: plugin.via.iter().chain([&plugin.span]).map(|span| step(*span)).collect(),
        output_declared: plugin.output_declared,
    });
    let external = analysis.external_data().iter().map(|span| Effect {
        kind: EffectKind::ExternalData,
        chain: vec![step(*span)],
        output_declared: false,
    });
    plugins.chain(external).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A resolution holds an access per policy entry and read (thousands of them): names are
    /// shared, the chain a boxed slice.
    #[test]
    fn accesses_stay_small_and_share_their_names() {
        let size = std::mem::size_of::<Access>();
        assert!(size <= 88, "Access: {size} bytes");
        let mut names = Names::default();
        let (a, b) = (names.get("Other"), names.get(&String::from("Other")));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &names.get("other")));
    }
}
