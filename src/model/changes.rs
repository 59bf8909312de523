//! What changed in the model from one build to the next, and what a later stage looked up in
//! it: both as parts of databases, so that a result computed before an edit can be kept when
//! nothing it looked up changed.
//!
//! A part is a database as a whole (that it exists, its name as written, its identity policy,
//! roles and retention), the set of table names it is known to have
//! ([`Database::known_table_names`]), or one entity by name (a table, function, materialized
//! view or external table of that name, with every unit it holds, and where a command shows
//! that a table of that name exists).

use std::ops::Range;
use std::rc::Rc;

use rustc_hash::{FxHashMap, FxHashSet, FxHasher};

use super::{Database, DatabaseKey, MaterializedView, Model, Table};
use crate::unit::UnitId;

/// A part of a database that stages look up.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    /// Whether it exists, its name, identity policy, roles, retention.
    Database,
    /// Which table names it is known to have.
    KnownTables,
    /// The table, function, materialized view and external table of this name (and where a
    /// command shows that a table of this name exists).
    Entity(String),
}

impl Part {
    /// The part as a number: 0 and 1 for the whole and the known tables, a hash of the name
    /// otherwise (two names with the same hash only make more results be computed again).
    pub fn code(&self) -> u64 {
        match self {
            Part::Database => 0,
            Part::KnownTables => 1,
            Part::Entity(name) => entity_code(name),
        }
    }
}

/// [`Part::code`] of the entity `name`.
pub fn entity_code(name: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = FxHasher::default();
    name.hash(&mut hasher);
    hasher.finish().max(2)
}

/// A database by its cluster's key (lower case, `None` for the default cluster) and its key.
pub type DatabaseId = (Option<String>, DatabaseKey);

/// What an edit changed in the model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes {
    /// Everything may have changed (contexts, the set of databases, a cluster's identity
    /// policy, unit numbering): nothing computed before can be kept.
    pub all: bool,
    pub parts: FxHashSet<(DatabaseId, Part)>,
}

impl Changes {
    pub fn everything() -> Changes {
        Changes { all: true, parts: FxHashSet::default() }
    }

    /// These changes, then `later`.
    pub fn merge(&mut self, later: Changes) {
        self.all |= later.all;
        if self.all {
            self.parts.clear();
        } else {
            self.parts.extend(later.parts);
        }
    }
}

/// One dependency: a database (numbered by a [`Recorder`]) and a part of it ([`Part::code`]).
pub type Dep = (u32, u64);

/// Numbers databases for dependencies, the same numbers from one check to the next.
#[derive(Debug, Default)]
pub struct Recorder {
    ids: FxHashMap<DatabaseId, u32>,
    /// Databases of the current model by address (valid during one check only).
    by_address: FxHashMap<usize, u32>,
}

impl Recorder {
    /// Forgets the addresses of the previous model's databases (call before each check).
    pub fn start(&mut self) {
        self.by_address.clear();
    }

    /// The number of database `name` of `cluster` (whether or not the model has it).
    pub fn id(&mut self, cluster: Option<&str>, name: &str) -> u32 {
        let key = (cluster.map(str::to_lowercase), DatabaseKey::new(name));
        self.id_of(key)
    }

    fn id_of(&mut self, key: DatabaseId) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(key).or_insert(next)
    }

    /// The number of a database of the current model.
    pub fn id_at(&mut self, cluster: Option<&str>, database: &Database) -> u32 {
        let address = database as *const Database as usize;
        if let Some(&id) = self.by_address.get(&address) {
            return id;
        }
        let id = self.id(cluster, &database.name);
        self.by_address.insert(address, id);
        id
    }

    /// The dependencies that `changes` touch (changes to databases nothing looked up are left
    /// out).
    pub fn touched(&self, changes: &Changes) -> FxHashSet<Dep> {
        changes.parts.iter().filter_map(|(database, part)| Some((*self.ids.get(database)?, part.code()))).collect()
    }
}

/// Dependencies gathered while computing something, sharing what called computations found
/// (so a chain of calls D deep costs O(D), not O(D²)).
#[derive(Debug, Default)]
pub struct DepNode {
    pub own: Vec<Dep>,
    pub children: Vec<Rc<DepNode>>,
}

impl DepNode {
    /// Every dependency under `root`, each node visited once, sorted and without repeats.
    pub fn flatten(root: &DepNode) -> Vec<Dep> {
        let mut out = root.own.clone();
        let mut seen: FxHashSet<*const DepNode> = FxHashSet::default();
        let mut stack: Vec<&Rc<DepNode>> = root.children.iter().collect();
        while let Some(node) = stack.pop() {
            if seen.insert(Rc::as_ptr(node)) {
                out.extend_from_slice(&node.own);
                stack.extend(node.children.iter());
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// What is different between two builds of one database (`None`: absent), the units of
/// `units` having been made again; into `changes`.
pub fn diff_database(
    id: &DatabaseId,
    old: Option<&Database>,
    new: Option<&Database>,
    units: Range<usize>,
    changes: &mut Changes,
) {
    let (old, new) = match (old, new) {
        (None, None) => return,
        (Some(old), Some(new)) => (old, new),
        // A database appeared or went: patterns may match differently, lookups fail or not.
        _ => {
            changes.all = true;
            return;
        }
    };
    let mut part = |part: Part| {
        changes.parts.insert((id.clone(), part));
    };
    if old.name != new.name
        || old.managed_identity != new.managed_identity
        || old.roles != new.roles
        || old.retention != new.retention
    {
        part(Part::Database);
    }
    if old.known_table_names() != new.known_table_names() {
        part(Part::KnownTables);
    }
    let holds = |id: UnitId| units.contains(&(id.0 as usize));
    let names = old
        .tables
        .keys()
        .chain(new.tables.keys())
        .chain(old.functions.keys())
        .chain(new.functions.keys())
        .chain(old.materialized_views.keys())
        .chain(new.materialized_views.keys())
        .chain(old.external_tables.keys())
        .chain(new.external_tables.keys())
        .chain(old.known_tables().map(|(name, _)| name))
        .chain(new.known_tables().map(|(name, _)| name));
    let mut done: FxHashSet<&str> = FxHashSet::default();
    for name in names {
        if !done.insert(name) {
            continue;
        }
        let (ot, nt) = (old.tables.get(name), new.tables.get(name));
        let (of, nf) = (old.functions.get(name), new.functions.get(name));
        let (ov, nv) = (old.materialized_views.get(name), new.materialized_views.get(name));
        let changed = ot != nt
            || of != nf
            || ov != nv
            || old.external_tables.get(name) != new.external_tables.get(name)
            || old.known_table(name) != new.known_table(name)
            || [ot, nt].into_iter().flatten().any(|t| table_units(t).any(holds))
            || [of, nf].into_iter().flatten().any(|f| f.definitions.iter().any(|d| holds(d.unit)))
            || [ov, nv].into_iter().flatten().any(|v| view_units(v).any(holds));
        if changed {
            part(Part::Entity(name.to_string()));
        }
    }
}

/// Every unit a table holds: queries that made it, its policies' queries (also replaced ones),
/// its row level security query.
fn table_units(table: &Table) -> impl Iterator<Item = UnitId> + '_ {
    let made = table.definitions.iter().filter_map(|d| d.query);
    let entries = table.update_policy.entries.iter().chain(table.update_policy.history.iter().flat_map(|c| &c.entries));
    made.chain(entries.filter_map(|e| e.query)).chain(table.row_level_security.iter().filter_map(|r| r.query))
}

fn view_units(view: &MaterializedView) -> impl Iterator<Item = UnitId> + '_ {
    view.definitions.iter().map(|d| d.unit).chain(view.row_level_security.iter().filter_map(|r| r.query))
}

/// The databases of a model, with their ids.
pub fn databases(model: &Model) -> impl Iterator<Item = (DatabaseId, &Database)> {
    model
        .clusters
        .iter()
        .flat_map(|(cluster, c)| c.databases.iter().map(move |(key, d)| ((cluster.clone(), key.clone()), d)))
}
