//! The project model: the clusters and databases the scripts describe, as they stand once
//! every script has run in path order (§1-§5 of `spec/adx-semantics.md`).
//!
//! Database names compare case-insensitively, other names case-sensitively. When an object is
//! defined in several places, every definition is kept with its location.

pub mod build;
pub mod changes;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::kql::types::{Column, ScalarType, TableType};
use crate::script::command::{self, FunctionVerb, Name, PolicyVerb, Principal, Properties, Property, TableVerb};
use crate::script::payload::{JsonKind, JsonValue};
use crate::source::FileId;
use crate::span::Span;
use crate::unit::UnitId;

pub use build::{BuildOptions, build, build_in_contexts, units_of};

/// A place in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub file: FileId,
    pub span: Span,
}

/// A database name as the key of a map: compared case-insensitively.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DatabaseKey(String);

impl DatabaseKey {
    pub fn new(name: &str) -> DatabaseKey {
        DatabaseKey(name.to_lowercase())
    }

    /// True when this is the key of `name` (`DatabaseKey::new(name) == *self`, without
    /// allocating for an ASCII name).
    pub fn is(&self, name: &str) -> bool {
        is_lowered(&self.0, name)
    }
}

/// True when `lowered` is `name` lower-cased (without allocating for an ASCII name).
pub fn is_lowered(lowered: &str, name: &str) -> bool {
    if name.is_ascii() {
        // `lowered` holds no upper-case ASCII letter: equal ignoring ASCII case is equal to
        // the lower-cased name.
        lowered.eq_ignore_ascii_case(name) && !lowered.bytes().any(|b| b.is_ascii_uppercase())
    } else {
        lowered == name.to_lowercase()
    }
}

/// True when two names are equal ignoring case (as [`same_database`], without allocating for
/// ASCII names).
pub fn same_name(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() { a.eq_ignore_ascii_case(b) } else { a.to_lowercase() == b.to_lowercase() }
}

/// True when two database names name the same database.
pub fn same_database(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// Every cluster the scripts describe; `None` is the cluster the scripts run against when no
/// `#connect` names one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Model {
    pub clusters: BTreeMap<Option<String>, Cluster>,
}

impl Model {
    /// The database `name` of `cluster`, if the scripts describe it.
    pub fn database(&self, cluster: Option<&str>, name: &str) -> Option<&Database> {
        let cluster = self.clusters.get(&cluster.map(str::to_lowercase))?;
        cluster.databases.get(&DatabaseKey::new(name))
    }

    pub fn cluster(&self, cluster: Option<&str>) -> Option<&Cluster> {
        self.clusters.get(&cluster.map(str::to_lowercase))
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cluster {
    /// The host name as first written (`None`: the default cluster).
    pub name: Option<String>,
    pub managed_identity: IdentityPolicy,
    pub databases: BTreeMap<DatabaseKey, Database>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Database {
    /// The name as first written.
    pub name: String,
    pub tables: BTreeMap<Name, Table>,
    pub functions: BTreeMap<Name, Function>,
    pub materialized_views: BTreeMap<Name, MaterializedView>,
    pub external_tables: BTreeMap<Name, ExternalTable>,
    pub managed_identity: IdentityPolicy,
    /// Principals per role (`viewers`, `users`, `admins`...), lower-case role names.
    pub roles: BTreeMap<String, Vec<Grant>>,
    /// The database's retention soft-delete period.
    pub retention: Option<Retention>,
    /// The known tables ([`Database::known_tables`]) that `tables` does not tell: a table
    /// that `tables` holds with a definition is known from its first definition unless this
    /// names it (a project of many tables holds no second entry per table). Kept by
    /// [`build`](mod@build): a table's first definition is recorded here before the table is
    /// dropped, renamed or replaced.
    known_elsewhere: BTreeMap<Name, Location>,
    /// Whether some command creates or fills a table ([`Database::defines_tables`]).
    defines_tables: bool,
}

impl Database {
    /// True when the project creates or fills any table of this database: only then can a table
    /// name of this database be called unknown.
    pub fn defines_tables(&self) -> bool {
        self.defines_tables
    }

    /// True when some command of the project shows that table `name` exists: it creates or
    /// fills it, or sets one of its policies.
    pub fn knows_table(&self, name: &str) -> bool {
        self.known_elsewhere.contains_key(name) || self.tables.contains_key(name)
    }

    /// The first command that creates (`.create table`, `based-on`, `.rename`), writes into
    /// (`.set`, `.append`, `.set-or-append`, `.set-or-replace`, `.ingest into`) or gives an
    /// ingestion mapping to table `name`, even when a later command drops it.
    pub fn known_table(&self, name: &str) -> Option<Location> {
        self.known_elsewhere.get(name).copied().or_else(|| self.first_definition(name))
    }

    /// Every table name that a command of the project creates, writes into or gives an
    /// ingestion mapping ([`Database::known_table`]), in name order, with the first such
    /// command: the tables the project knows to exist at some point.
    pub fn known_tables(&self) -> impl Iterator<Item = (&Name, Location)> {
        let mut elsewhere = self.known_elsewhere.iter().map(|(name, location)| (name, *location)).peekable();
        let mut defined = self
            .tables
            .iter()
            .filter(|(name, _)| !self.known_elsewhere.contains_key(&***name))
            .filter_map(|(name, table)| Some((name, table.definitions.first()?.location)))
            .peekable();
        std::iter::from_fn(move || match (elsewhere.peek(), defined.peek()) {
            (Some(a), Some(b)) if b.0 < a.0 => defined.next(),
            (Some(_), _) => elsewhere.next(),
            (None, _) => defined.next(),
        })
    }

    /// Where table `name` was first defined, if `tables` holds it with a definition.
    fn first_definition(&self, name: &str) -> Option<Location> {
        Some(self.tables.get(name)?.definitions.first()?.location)
    }

    /// Records that a command at `location` shows table `name` to exist, unless an earlier one
    /// did (see [`Database::known_table`]).
    pub(crate) fn know_table(&mut self, name: &Name, location: Location) {
        self.defines_tables = true;
        if self.known_table(name).is_none() {
            self.known_elsewhere.insert(Name::clone(name), location);
        }
    }

    /// Adds `definition` to table `name` (made when missing); its first definition shows that the
    /// table exists unless an earlier command did.
    pub(crate) fn define_table(&mut self, name: &Name, definition: TableDefinition) {
        self.defines_tables = true;
        let before = self.tables.len();
        self.tables.entry(Name::clone(name)).or_default().definitions.push(definition);
        packed_as_it_grows(&mut self.tables, before);
    }

    /// Adds `definition` to function `name` (made when missing).
    pub(crate) fn define_function(&mut self, name: &Name, definition: FunctionDefinition) {
        let before = self.functions.len();
        self.functions.entry(Name::clone(name)).or_default().definitions.push(definition);
        packed_as_it_grows(&mut self.functions, before);
    }

    /// Records where `table`, which `tables` no longer holds under `name` (dropped, renamed or
    /// replaced), was first defined, unless an earlier command showed it to exist.
    pub(crate) fn forget_table(&mut self, name: &Name, table: &Table) {
        if let Some(first) = table.definitions.first() {
            self.known_elsewhere.entry(Name::clone(name)).or_insert(first.location);
        }
    }

    /// The tables the project shows this database to have: those a command creates, fills,
    /// maps or changes (even if a later command drops them), and the sources of its update
    /// policies and materialized views (ADX requires a source to exist).
    pub fn known_table_names(&self) -> rustc_hash::FxHashSet<&str> {
        let mut tables: rustc_hash::FxHashSet<&str> = self.tables.keys().map(|k| &**k).collect();
        tables.extend(self.known_elsewhere.keys().map(|k| &**k));
        let sources = self
            .tables
            .values()
            .flat_map(|t| &t.update_policy.entries)
            .filter_map(|e| e.json.member("Source").and_then(|m| m.value.as_str()).map(str::trim));
        tables.extend(sources);
        tables.extend(self.materialized_views.values().flat_map(|v| &v.definitions).map(|d| d.source.as_str()));
        tables
    }
}

/// Packs `map` (see [`build::pack`]) as it grows, from 16,384 names on: each time a name added
/// to it (it had `before` entries) makes its length a multiple of an eighth of the power of two
/// below it (8 times between doublings). Names come in file order, which is mostly name order
/// (`T99`, `T100`, `T101`...): each name then goes into the last node, whose split leaves a node
/// a little over half full behind it, so a map of many tables or functions would be about half
/// empty until packed once built, at the end of the build, when the model peaks. Packed as it
/// grows, the map holds that spare room only in what was added since the last packing (at most
/// a ninth of its entries); packing all the map's entries again each time costs about eight
/// times packing them once (linear all the same), which a 100 MB file of tables and functions
/// does not see beside the rest of its check.
fn packed_as_it_grows<V>(map: &mut BTreeMap<Name, V>, before: usize) {
    let len = map.len();
    if len > before && len >= 1 << 14 && len % ((1 << len.ilog2()) >> PACKS_PER_DOUBLING_LOG) == 0 {
        build::pack(map);
    }
}

/// Packings between doublings of a map's length: `1 << PACKS_PER_DOUBLING_LOG`.
const PACKS_PER_DOUBLING_LOG: u32 = 3;

/// A table: its definitions, and its column changes and policies ([`TablePolicies`], read
/// and written through the table: `table.update_policy`), which most tables of a large project
/// do not have: they are kept in a box of their own, made when a command first writes one.
#[derive(Clone, Default)]
pub struct Table {
    /// Every `.create`/`.create-merge`/`.alter` of the table, in order.
    pub definitions: Definitions<TableDefinition>,
    policies: Option<Box<TablePolicies>>,
}

/// What a table has besides its definitions (see [`Table`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TablePolicies {
    /// `.drop column`, `.rename column`, `.alter column type`, in order, each placed after the
    /// definitions that came before it.
    pub column_changes: Vec<ColumnChange>,
    pub update_policy: UpdatePolicy,
    pub row_level_security: Option<RowLevelSecurity>,
    pub restricted_view_access: Option<RestrictedViewAccess>,
    pub retention: Option<Retention>,
}

/// The policies of a table that has none.
static NO_POLICIES: TablePolicies = TablePolicies {
    column_changes: Vec::new(),
    update_policy: UpdatePolicy { entries: Vec::new(), commands: Vec::new(), history: Vec::new() },
    row_level_security: None,
    restricted_view_access: None,
    retention: None,
};

impl std::ops::Deref for Table {
    type Target = TablePolicies;

    fn deref(&self) -> &TablePolicies {
        self.policies.as_deref().unwrap_or(&NO_POLICIES)
    }
}

impl std::ops::DerefMut for Table {
    /// Makes the table's policies when a command first writes one.
    fn deref_mut(&mut self) -> &mut TablePolicies {
        self.policies.get_or_insert_with(Box::default)
    }
}

/// Tables compare by what they hold: a table whose policies were made but are still empty is
/// the same as one without.
impl PartialEq for Table {
    fn eq(&self, other: &Table) -> bool {
        self.definitions == other.definitions && **self == **other
    }
}

/// As if the policies were fields of the table.
impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("definitions", &self.definitions)
            .field("column_changes", &self.column_changes)
            .field("update_policy", &self.update_policy)
            .field("row_level_security", &self.row_level_security)
            .field("restricted_view_access", &self.restricted_view_access)
            .field("retention", &self.retention)
            .finish()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TableDefinition {
    pub location: Location,
    pub name_span: Span,
    /// The columns as written: the command's own (shared with the script; a `based-on`
    /// table's are those of the commands that wrote them).
    pub columns: command::Columns,
    /// How the command changes the columns (`.create ... based-on` counts as `.create`).
    pub verb: TableVerb,
    /// `.set`/`.set-or-append`/`.set-or-replace T <| query` that created the table: its columns
    /// are the query's output (`columns` is empty).
    pub query: Option<UnitId>,
}

/// A column of a table: name, type as written, the definition that added it.
pub type TableColumn<'a> = (Name, Name, &'a TableDefinition);

/// Applies the column changes made after `after` definitions.
fn apply_changes(changes: &[ColumnChange], columns: &mut Vec<TableColumn<'_>>, after: usize) {
    for change in changes.iter().filter(|c| c.after == after) {
        match &change.kind {
            ColumnChangeKind::Drop(name) => columns.retain(|c| c.0 != *name),
            ColumnChangeKind::Rename { old, new } => {
                for column in columns.iter_mut().filter(|c| c.0 == *old) {
                    column.0.clone_from(new);
                }
            }
            ColumnChangeKind::Retype { column, type_name } => {
                for c in columns.iter_mut().filter(|c| c.0 == *column) {
                    c.1.clone_from(type_name);
                }
            }
        }
    }
}

/// A change of one column by a command of its own.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnChange {
    pub location: Location,
    /// How many definitions the table had when the command ran.
    pub after: usize,
    pub kind: ColumnChangeKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ColumnChangeKind {
    Drop(Name),
    Rename { old: Name, new: Name },
    Retype { column: Name, type_name: Name },
}

impl Table {
    /// The table's columns once every definition has run, in order: `.create`/`.alter`
    /// replace the columns, `.create-merge`/`.alter-merge` append those the table lacks.
    /// Each column comes with the definition that added it. Empty when no definition has columns
    /// or when a query made the table (see [`Table::columns_with`]).
    pub fn columns(&self) -> Vec<TableColumn<'_>> {
        self.columns_with(&mut |_| None).unwrap_or_default()
    }

    /// As [`Table::columns`], the columns of a table made by a query (`.set T <| query`) being
    /// that query's output as `query_output` gives it; `None` when that output is not fully
    /// known (open, or not known at all).
    pub fn columns_with(
        &self,
        query_output: &mut dyn FnMut(UnitId) -> Option<TableType>,
    ) -> Option<Vec<TableColumn<'_>>> {
        let mut columns: Vec<TableColumn<'_>> = Vec::new();
        apply_changes(&self.column_changes, &mut columns, 0);
        for (index, definition) in self.definitions.iter().enumerate() {
            match (definition.verb, definition.query) {
                (_, Some(unit)) => {
                    let output = query_output(unit).filter(|t| !t.open)?;
                    columns = output
                        .columns
                        .into_iter()
                        .map(|c| (Name::from(c.name), Name::from(c.ty.map_or("unknown", ScalarType::name)), definition))
                        .collect();
                }
                (TableVerb::Create | TableVerb::Alter, None) => {
                    columns =
                        definition.columns.iter().map(|c| (c.name.clone(), c.type_name.clone(), definition)).collect();
                }
                (TableVerb::CreateMerge | TableVerb::AlterMerge, None) => {
                    // Names the table had before this command; a name written twice in the
                    // command stays twice (ADX rejects that; UP304 reports it).
                    let before = columns.len();
                    for column in definition.columns.iter() {
                        let (name, ty) = (&column.name, &column.type_name);
                        if !columns[..before].iter().any(|(n, _, _)| n == name) {
                            columns.push((name.clone(), ty.clone(), definition));
                        }
                    }
                }
            }
            apply_changes(&self.column_changes, &mut columns, index + 1);
        }
        Some(columns)
    }

    /// The table's schema (`None` when no definition gives columns); a type name ADX would not
    /// accept gives a column of unknown type.
    pub fn schema(&self) -> Option<TableType> {
        self.schema_with(&mut |_| None)
    }

    /// As [`Table::schema`], with the output of the query that made the table (see
    /// [`Table::columns_with`]).
    pub fn schema_with(&self, query_output: &mut dyn FnMut(UnitId) -> Option<TableType>) -> Option<TableType> {
        let columns = self.columns_with(query_output)?;
        if columns.is_empty() {
            return None;
        }
        Some(TableType::closed(columns.iter().map(|(n, t, _)| Column::new(&**n, ScalarType::parse(t))).collect()))
    }
}

/// A table's update policy after every command that set it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UpdatePolicy {
    pub entries: Vec<UpdatePolicyEntry>,
    /// The commands that shaped it (`.alter` replaces, `.alter-merge` appends, `.delete` clears).
    pub commands: Vec<Location>,
    /// Those commands in the order they ran, with what each gave (replaying them gives
    /// `entries`); commands whose JSON does not parse changed nothing and are left out.
    pub history: Vec<UpdatePolicyChange>,
}

/// One `.alter`, `.alter-merge` or `.delete table T policy update` command.
#[derive(Clone, Debug, PartialEq)]
pub struct UpdatePolicyChange {
    pub verb: PolicyVerb,
    /// The command.
    pub location: Location,
    /// The payload's JSON as written (`None` for `.delete`).
    pub payload: Option<Arc<JsonValue>>,
    /// The entries the command gave.
    pub entries: Vec<UpdatePolicyEntry>,
}

/// One entry of an update policy.
#[derive(Clone, Debug, PartialEq)]
pub struct UpdatePolicyEntry {
    /// The entry object in the file.
    pub location: Location,
    /// The JSON object as written (unknown properties and wrong types kept); shared by the
    /// entry's copies in the policy and its history, and with the command that wrote it.
    pub json: EntryJson,
    /// The unit of its `Query`, when `Query` is a string.
    pub query: Option<UnitId>,
    /// `with (...)` properties of the command (`AllowUnreferencedSourceTable`).
    pub properties: Vec<Property>,
    /// The database the command named (`.alter table Db.T ...`), if it named one.
    pub database_written: Option<String>,
}

/// An update policy entry's JSON object, read as a [`JsonValue`]: the policy's JSON as the
/// command wrote it (shared, not copied: a policy of thousands of entries held them twice) and
/// the entry's place in it.
#[derive(Clone, Debug)]
pub struct EntryJson {
    policy: Arc<JsonValue>,
    /// The entry's index in the policy's array (`None`: the policy is the entry itself).
    index: Option<usize>,
}

impl EntryJson {
    /// The object entries of `policy` (an array of them, or one object alone), in order.
    pub fn entries(policy: &Arc<JsonValue>) -> Vec<EntryJson> {
        match &policy.kind {
            JsonKind::Array(items) => items
                .iter()
                .enumerate()
                .filter(|(_, item)| matches!(item.kind, JsonKind::Object(_)))
                .map(|(index, _)| EntryJson { policy: policy.clone(), index: Some(index) })
                .collect(),
            JsonKind::Object(_) => vec![EntryJson { policy: policy.clone(), index: None }],
            _ => Vec::new(),
        }
    }
}

impl std::ops::Deref for EntryJson {
    type Target = JsonValue;

    fn deref(&self) -> &JsonValue {
        match (&self.policy.kind, self.index) {
            // (Made only by `entries`: the index is in the array.)
            (JsonKind::Array(items), Some(index)) => items.get(index).unwrap_or(&self.policy),
            _ => &self.policy,
        }
    }
}

/// Entries compare by their own JSON, not the whole policy's.
impl PartialEq for EntryJson {
    fn eq(&self, other: &EntryJson) -> bool {
        **self == **other
    }
}

impl UpdatePolicyEntry {
    /// False when the entry is switched off (`"IsEnabled": false`); such entries never run.
    pub fn is_enabled(&self) -> bool {
        self.json.member("IsEnabled").and_then(|m| m.value.as_flag()).is_none_or(|f| f.value)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct RowLevelSecurity {
    pub enabled: bool,
    pub query: Option<UnitId>,
    pub location: Location,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RestrictedViewAccess {
    pub enabled: bool,
    pub location: Location,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Retention {
    pub soft_delete_seconds: f64,
    pub location: Location,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Function {
    pub definitions: Definitions<FunctionDefinition>,
}

impl Function {
    /// The definition in effect. `.create function F` fails in ADX when `F` exists, and
    /// `.create function ifnotexists F` then does nothing, so both leave the earlier definition;
    /// `.create-or-alter` and `.alter` replace it (an `.alter` of a function the project does not
    /// define is taken to change one created outside the scripts).
    pub fn effective(&self) -> Option<&FunctionDefinition> {
        let mut effective = None;
        for definition in &self.definitions {
            let creates_only = matches!(definition.verb, FunctionVerb::Create { .. });
            if !(creates_only && effective.is_some()) {
                effective = Some(definition);
            }
        }
        effective
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDefinition {
    pub location: Location,
    pub name_span: Span,
    pub unit: UnitId,
    /// The `with (...)` properties: most functions have none (one pointer: a definition is
    /// held in the map entry of its function).
    pub properties: Properties,
    /// `.create [ifnotexists]`, `.create-or-alter` or `.alter`.
    pub verb: FunctionVerb,
}

impl FunctionDefinition {
    /// `.create function ifnotexists`.
    pub fn if_not_exists(&self) -> bool {
        self.verb == FunctionVerb::Create { if_not_exists: true }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct MaterializedView {
    pub definitions: Vec<MaterializedViewDefinition>,
    pub row_level_security: Option<RowLevelSecurity>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MaterializedViewDefinition {
    pub location: Location,
    pub source: String,
    pub unit: UnitId,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExternalTable {
    pub definitions: Vec<ExternalTableDefinition>,
    pub query_acceleration: Option<QueryAcceleration>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExternalTableDefinition {
    pub location: Location,
    /// `storage`, `delta`, `sql`...
    pub kind: Option<String>,
    /// `(name, type)` as written; `None` when the command gives no schema (a delta table's
    /// comes from its files).
    pub columns: Option<Vec<(String, String)>>,
    /// A connection string authenticates with `;impersonate` (the reader's identity).
    pub impersonation: bool,
}

impl ExternalTable {
    /// The schema of the definition in effect (the last), when it gives one.
    pub fn schema(&self) -> Option<TableType> {
        let columns = self.definitions.last()?.columns.as_ref()?;
        Some(TableType::closed(columns.iter().map(|(n, t)| Column::new(n.as_str(), ScalarType::parse(t))).collect()))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct QueryAcceleration {
    pub enabled: Option<bool>,
    pub hot_seconds: Option<f64>,
    pub location: Location,
}

/// A managed identity policy (cluster or database) after every command that set it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IdentityPolicy {
    pub entries: Vec<IdentityEntry>,
    pub commands: Vec<Location>,
    /// Those commands in the order they ran, with the entries each gave.
    pub history: Vec<IdentityChange>,
}

/// One `.alter`, `.alter-merge` or `.delete ... policy managed_identity` command.
#[derive(Clone, Debug, PartialEq)]
pub struct IdentityChange {
    pub verb: PolicyVerb,
    pub location: Location,
    pub entries: Vec<IdentityEntry>,
}

/// One identity of a managed identity policy and its allowed usages.
#[derive(Clone, Debug, PartialEq)]
pub struct IdentityEntry {
    /// `system` or a GUID, as written.
    pub object_id: String,
    pub location: Location,
    /// Each usage (`AutomatedFlows`, `All`...) with where it was written.
    pub usages: Vec<(String, Location)>,
}

impl IdentityEntry {
    /// True when the entry allows `usage` (or `All`), case-insensitively.
    pub fn allows(&self, usage: &str) -> bool {
        self.usages.iter().any(|(u, _)| u.eq_ignore_ascii_case(usage) || u.eq_ignore_ascii_case("All"))
    }
}

/// A principal given a role, and where.
#[derive(Clone, Debug, PartialEq)]
pub struct Grant {
    pub principal: Principal,
    pub location: Location,
}

/// True when two principal strings name the same principal: same kind, same id
/// (case-insensitive), and the same tenant when both name one.
pub fn same_principal(a: &Principal, b: &Principal) -> bool {
    a.kind == b.kind && a.id.eq_ignore_ascii_case(&b.id) && tenants_agree(a.tenant.as_deref(), b.tenant.as_deref())
}

/// Two tenants agree when they are equal (case-insensitively) or either is absent.
pub(crate) fn tenants_agree(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => true,
    }
}

/// The definitions of a table or a function, in order (a slice: `definitions.iter()`,
/// `definitions.first()`...). Most have one: it is held in the model's map entry itself, with
/// no list and no allocation of its own (a project of many tables and functions has an entry
/// for each, and the maps' nodes are packed full as they grow).
#[derive(Clone)]
pub struct Definitions<T>(DefinitionList<T>);

#[derive(Clone)]
enum DefinitionList<T> {
    None,
    One(T),
    Many(Vec<T>),
}

impl<T> Definitions<T> {
    /// Adds a definition after the others.
    pub fn push(&mut self, definition: T) {
        self.0 = match std::mem::replace(&mut self.0, DefinitionList::None) {
            DefinitionList::None => DefinitionList::One(definition),
            DefinitionList::One(first) => DefinitionList::Many(vec![first, definition]),
            DefinitionList::Many(mut all) => {
                all.push(definition);
                DefinitionList::Many(all)
            }
        };
    }
}

impl<T> Default for Definitions<T> {
    fn default() -> Definitions<T> {
        Definitions(DefinitionList::None)
    }
}

impl<T> std::ops::Deref for Definitions<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match &self.0 {
            DefinitionList::None => &[],
            DefinitionList::One(one) => std::slice::from_ref(one),
            DefinitionList::Many(all) => all,
        }
    }
}

impl<'a, T> IntoIterator for &'a Definitions<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> std::slice::Iter<'a, T> {
        self.iter()
    }
}

impl<T: PartialEq> PartialEq for Definitions<T> {
    fn eq(&self, other: &Definitions<T>) -> bool {
        **self == **other
    }
}

/// As a list.
impl<T: std::fmt::Debug> std::fmt::Debug for Definitions<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Pushes `item` onto `list`, the first one without room for more: most tables and functions
/// have one definition (a `Vec` grows to four at its first push).
pub(crate) fn push_first<T>(list: &mut Vec<T>, item: T) {
    if list.is_empty() {
        list.reserve_exact(1);
    }
    list.push(item);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Definitions read as the list of what was pushed, one or many.
    #[test]
    fn definitions_are_the_list_pushed() {
        let mut definitions: Definitions<u32> = Definitions::default();
        let mut list = Vec::new();
        assert!(definitions.is_empty() && definitions == Definitions::default());
        for n in [3, 1, 4, 1] {
            definitions.push(n);
            list.push(n);
            assert_eq!(&*definitions, &list[..]);
            assert_eq!(format!("{definitions:?}"), format!("{list:?}"));
            assert_eq!((&definitions).into_iter().copied().collect::<Vec<_>>(), list);
        }
        assert_ne!(definitions, Definitions::default());
    }

    /// The comparisons without allocation agree with lower-casing both names.
    #[test]
    fn names_compare_as_their_lower_cased_keys() {
        let names =
            ["Sales", "sales", "SALES", "Sale", "Straße", "STRASSE", "straße", "\u{212A}b", "kb", "KB", "İx", "i̇x", ""];
        for a in names {
            for b in names {
                let key = DatabaseKey::new(a);
                assert_eq!(key.is(b), key == DatabaseKey::new(b), "{a:?} {b:?}");
                assert_eq!(is_lowered(&a.to_lowercase(), b), a.to_lowercase() == b.to_lowercase(), "{a:?} {b:?}");
                assert_eq!(same_name(a, b), same_database(a, b), "{a:?} {b:?}");
            }
        }
    }
}
