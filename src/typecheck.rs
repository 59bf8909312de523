//! Output schemas of update policy entries: each entry's `Query` typed through the stored
//! functions it calls (across databases, with the arguments bound, memoised per function and
//! argument types, cycle-safe), against the tables the model describes.
//!
//! Only policy entries and what they call are typed. Where something is not known (a table
//! without columns, a function outside the project, a plugin), the answer says so: a column of
//! unknown type or an open schema, never a guess.

use std::collections::BTreeMap;

use std::rc::Rc;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::kql::parser;
use crate::kql::types::{EntityKind, EntityRef, Environment, Inference, Origin, TableType, Value};
use crate::model::changes::{Dep, Part, Recorder, entity_code};
use crate::model::{Database, Location, Table, UpdatePolicyEntry};
use crate::script::payload::JsonKind;
use crate::unit::UnitId;
use crate::workspace::Workspace;

/// The output schema of every update policy entry in effect, keyed by the entry's `Query` unit.
#[derive(Clone, Debug, Default)]
pub struct Outputs {
    pub entries: BTreeMap<UnitId, Option<TableType>>,
    /// Names read as columns of rows whose columns are all known, which have no such column:
    /// each place once, with the first policy entry (its `Query` unit) that reaches it.
    pub unknown_columns: Vec<UnknownColumn>,
    /// Column names that one operator declares twice: each place once, with the first policy
    /// entry that reaches it.
    pub duplicate_columns: Vec<DuplicateColumn>,
    /// The target table's schema of every entry (keyed as `entries`): `None` when not known.
    pub targets: BTreeMap<UnitId, Option<TableType>>,
}

/// A column name declared a second time by one operator of a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateColumn {
    pub name: String,
    /// The second declaration.
    pub location: Location,
    /// The first (or where the column came from), when known.
    pub first: Option<Location>,
    /// The `Query` unit of the policy entry whose typing reached it.
    pub policy: UnitId,
}

/// A column read where the row has no such column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownColumn {
    pub name: String,
    pub location: Location,
    /// The columns the row has.
    pub available: Vec<String>,
    /// The `Query` unit of the policy entry whose typing reached it.
    pub policy: UnitId,
}

impl Outputs {
    /// The output of the entry whose `Query` is `unit`: `None` when it has no tabular result
    /// that can be known.
    pub fn output(&self, unit: UnitId) -> Option<&TableType> {
        self.entries.get(&unit).and_then(Option::as_ref)
    }

    /// The schema of the target table of the entry whose `Query` is `unit` (a table made by
    /// `.set T <| query` has that query's output).
    pub fn target(&self, unit: UnitId) -> Option<&TableType> {
        self.targets.get(&unit).and_then(Option::as_ref)
    }
}

/// Where a column was made, in its file (origins carry the unit as their source).
pub fn origin_location(workspace: &Workspace, origin: Origin) -> Option<Location> {
    let unit = workspace.units.get(origin.source as usize)?;
    Some(Location { file: unit.file, span: unit.file_span(origin.span) })
}

/// Types the `Query` of every update policy entry in effect.
pub fn check(workspace: &Workspace) -> Outputs {
    let mut kept = Kept::default();
    check_kept(workspace, &mut kept, None, &mut Recorder::default());
    kept.outputs
}

/// What one policy entry's typing found: the places it reaches that [`Outputs`] reports, and
/// what it looked up in the model (when recording).
#[derive(Debug, Default)]
struct Typed {
    reports: Vec<Report>,
    deps: Vec<Dep>,
}

/// Outputs kept from one check to the next, with what each entry's typing reached and looked
/// up.
#[derive(Debug, Default)]
pub struct Kept {
    pub outputs: Outputs,
    typed: FxHashMap<UnitId, Typed>,
}

/// Types again, into `kept`, the entries that are new or looked up something in `touched` (all
/// when `None`), keeping the others; the result is what [`check`] gives. An entry's typing does
/// not depend on the entries typed before it (what a cycle, the depth limit or `$source_table`
/// shaped is kept for that entry only), so keeping some is exact. Returns the units typed
/// again.
pub fn check_kept(
    workspace: &Workspace,
    kept: &mut Kept,
    touched: Option<&FxHashSet<Dep>>,
    recorder: &mut Recorder,
) -> Vec<UnitId> {
    let recording = touched.is_some();
    let mut recomputed = Vec::new();
    if !recording {
        *kept = Kept::default();
    }
    let mut order = Vec::new();
    let mut entries = Vec::new();
    for entry in policy_entries(workspace) {
        order.push(entry.unit);
        let unchanged = match (touched, kept.typed.get(&entry.unit)) {
            (Some(touched), Some(typed)) => !typed.deps.iter().any(|d| touched.contains(d)),
            _ => false,
        };
        if !unchanged {
            entries.push(entry);
        }
    }
    if recording {
        let mut env = ModelEnvironment::new(workspace);
        env.recording = true;
        for entry in &entries {
            let (target, output, schemas, query) = env.entry(entry);
            let unit = entry.unit;
            recomputed.push(unit);
            kept.outputs.targets.insert(unit, target);
            kept.outputs.entries.insert(unit, output);
            let own = recorder.id_at(entry.cluster_key.as_deref(), entry.database);
            let mut deps = vec![(own, Part::Database.code()), (own, entity_code(entry.table_name))];
            deps.extend(source_name(entry.entry).map(|s| (own, entity_code(s))));
            for frame in [&schemas, &query] {
                Frame::deps(frame, recorder, &mut deps);
            }
            deps.sort_unstable();
            deps.dedup();
            kept.typed.insert(unit, Typed { reports: Frame::reports(&query.events, unit), deps });
        }
    } else {
        // Entries in parallel: runs of consecutive entries (entries of one database call the
        // same functions), each with its own memo (an entry's typing does not depend on what
        // was typed before it), put together in order. Four runs per thread, so that a thread
        // done early (typing runs beside the resolver) takes another run; one thread types them
        // all with one memo.
        let threads = rayon::current_num_threads().max(1);
        let runs = if threads == 1 { 1 } else { threads * 4 };
        let typed: Vec<(Option<TableType>, Option<TableType>, Typed)> = entries
            .par_chunks(entries.len().div_ceil(runs).max(1))
            .flat_map_iter(|run| {
                let mut env = ModelEnvironment::new(workspace);
                run.iter()
                    .map(|entry| {
                        let (target, output, _, query) = env.entry(entry);
                        let reports = Frame::reports(&query.events, entry.unit);
                        (target, output, Typed { reports, deps: Vec::new() })
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        for (entry, (target, output, typed)) in entries.iter().zip(typed) {
            recomputed.push(entry.unit);
            kept.outputs.targets.insert(entry.unit, target);
            kept.outputs.entries.insert(entry.unit, output);
            kept.typed.insert(entry.unit, typed);
        }
    }
    let outputs = &mut kept.outputs;
    if recording {
        let current: FxHashSet<UnitId> = order.iter().copied().collect();
        outputs.entries.retain(|unit, _| current.contains(unit));
        outputs.targets.retain(|unit, _| current.contains(unit));
        kept.typed.retain(|unit, _| current.contains(unit));
    }
    // Each place once, with the first entry that reaches it.
    outputs.unknown_columns.clear();
    outputs.duplicate_columns.clear();
    let (mut unknown, mut duplicate) = (FxHashSet::default(), FxHashSet::default());
    for unit in order {
        for report in kept.typed.get(&unit).map_or(&[][..], |t| t.reports.as_slice()) {
            match report {
                Report::Unknown(u) if unknown.insert(u.location) => {
                    outputs.unknown_columns.push(UnknownColumn { policy: unit, ..u.clone() })
                }
                Report::Duplicate(d) if duplicate.insert(d.location) => {
                    outputs.duplicate_columns.push(DuplicateColumn { policy: unit, ..d.clone() })
                }
                _ => {}
            }
        }
    }
    recomputed
}

/// A policy entry to type, with where it is.
struct Entry<'w> {
    cluster_key: &'w Option<String>,
    database: &'w crate::model::Database,
    table_name: &'w str,
    table: &'w Table,
    entry: &'w UpdatePolicyEntry,
    unit: UnitId,
}

/// The output of one unit (a policy's `Query`, a function's body with its parameters' declared
/// types, a materialized view's query) typed against the model. A policy entry's query is typed
/// as [`check`] types it: `$source_table` is its Source table (the one schema of the tables a
/// wildcard Source matches, when they agree).
pub fn unit_output(workspace: &Workspace, unit: UnitId) -> Option<Value> {
    let mut env = ModelEnvironment::new(workspace);
    match policy_entries(workspace).find(|entry| entry.unit == unit) {
        Some(entry) => env.entry(&entry).1.map(Value::Table),
        None => env.unit_output(unit, &[]),
    }
}

/// Every update policy entry with a query, in model order, with where it is.
fn policy_entries(workspace: &Workspace) -> impl Iterator<Item = Entry<'_>> {
    workspace.model.clusters.iter().flat_map(|(cluster_key, cluster)| {
        cluster.databases.values().flat_map(move |database| {
            database.tables.iter().flat_map(move |(table_name, table)| {
                table.update_policy.entries.iter().filter_map(move |entry| {
                    let unit = entry.query?;
                    Some(Entry { cluster_key, database, table_name, table, entry, unit })
                })
            })
        })
    })
}

/// A unit found by [`locate`]: what it is and where.
#[derive(Clone, Debug)]
pub struct Located {
    /// `update policy entry Orders[0] of database Sales`, `function Expand of database Sales`.
    pub what: String,
    pub location: Location,
    pub unit: UnitId,
}

/// The update policy entry or function definition at `PATH:LINE` (the path as displayed, or a
/// suffix of it), or the function named `target` (the first database in order that has one).
pub fn locate(workspace: &Workspace, target: &str) -> Option<Located> {
    let place = target.rsplit_once(':').and_then(|(path, line)| Some((path, line.trim().parse::<usize>().ok()?)));
    let mut found = None;
    for cluster in workspace.model.clusters.values() {
        for database in cluster.databases.values() {
            let mut candidates: Vec<(String, Location, UnitId)> = Vec::new();
            for (name, table) in &database.tables {
                for (i, entry) in table.update_policy.entries.iter().enumerate() {
                    if let Some(unit) = entry.query {
                        candidates.push((format!("update policy entry {name}[{i}]"), entry.location, unit));
                    }
                }
            }
            for (name, function) in &database.functions {
                for definition in &function.definitions {
                    if place.is_some() || function.effective().is_some_and(|e| std::ptr::eq(e, definition)) {
                        candidates.push((format!("function {name}"), definition.location, definition.unit));
                    }
                }
            }
            for (what, location, unit) in candidates {
                let matches = match place {
                    Some((path, line)) => {
                        let file = workspace.sources.get(location.file);
                        let display = file.display.as_str();
                        let same_file =
                            display == path || display.ends_with(&format!("/{path}")) || path.ends_with(display);
                        let first = file.line_index(location.span.start as usize) + 1;
                        let last = file.line_index(location.span.end.saturating_sub(1) as usize) + 1;
                        same_file && (first..=last).contains(&line)
                    }
                    None => what == format!("function {target}"),
                };
                if matches && found.is_none() {
                    found = Some(Located { what: format!("{what} of database {}", database.name), location, unit });
                }
            }
        }
    }
    found
}

/// The `Source` table's name.
fn source_name(entry: &UpdatePolicyEntry) -> Option<&str> {
    let member = entry.json.member("Source")?;
    let JsonKind::String { value, .. } = &member.value.kind else { return None };
    Some(value)
}

/// The schema of `$source_table` for a wildcard Source `pattern` of `database`: the one schema
/// of the tables it matches (each given by `schema`), when there is at least one and all are
/// known and alike by column names and types (a column's origin is where it was written).
pub fn wildcard_source_schema(
    database: &Database,
    pattern: &str,
    mut schema: impl FnMut(&Table) -> Option<TableType>,
) -> Option<TableType> {
    fn shape(schema: &TableType) -> (bool, Vec<(&str, Option<crate::kql::types::ScalarType>)>) {
        (schema.open, schema.columns.iter().map(|c| (c.name.as_str(), c.ty)).collect())
    }
    let mut matched = database.tables.iter().filter(|(name, _)| crate::resolve::matches_wildcard(pattern, name));
    let first = schema(matched.next()?.1)?;
    for (_, table) in matched {
        if schema(table).is_none_or(|other| shape(&other) != shape(&first)) {
            return None;
        }
    }
    Some(first)
}

/// A table's schema, the output of the query that made it (`.set T <| query`) typed when it
/// needs one.
pub fn table_schema(workspace: &Workspace, table: &Table) -> Option<TableType> {
    if table.definitions.iter().all(|d| d.query.is_none()) {
        return table.schema();
    }
    let mut env = ModelEnvironment::new(workspace);
    env.table_schema(table)
}

type MemoKey = (UnitId, Vec<String>);

/// How deeply stored functions may call each other before the output is unknown.
const MAX_FUNCTION_DEPTH: usize = 48;

/// A place a typing reaches that [`Outputs`] reports (its `policy` is set when the entry
/// that reaches it is known).
#[derive(Clone, Debug)]
enum Report {
    Unknown(UnknownColumn),
    Duplicate(DuplicateColumn),
}

/// What typing one unit (with given arguments) found, memoised.
#[derive(Debug)]
struct Node {
    value: Option<Value>,
    events: Vec<Event>,
    /// What it looked up itself: databases by cluster and name, and the part.
    looked_up: Vec<(Option<String>, String, u64)>,
    /// Its value depends on the calls above it (a cycle, the depth limit) or on the entry
    /// typed (`$source_table`): kept for one entry only.
    tainted: bool,
}

/// In the order they happened: reports, and the typings of called units.
#[derive(Debug)]
enum Event {
    Report(Report),
    Call(Rc<Node>),
}

/// A typing in progress.
#[derive(Debug, Default)]
struct Frame {
    events: Vec<Event>,
    looked_up: Vec<(Option<String>, String, u64)>,
    tainted: bool,
}

impl Frame {
    /// The reports of `events` and every call under them, each node once, for `policy`.
    fn reports(events: &[Event], policy: UnitId) -> Vec<Report> {
        let mut out = Vec::new();
        let mut seen: FxHashSet<*const Node> = FxHashSet::default();
        let mut stack: Vec<std::slice::Iter<'_, Event>> = vec![events.iter()];
        while let Some(top) = stack.last_mut() {
            match top.next() {
                None => {
                    stack.pop();
                }
                Some(Event::Report(report)) => out.push(match report {
                    Report::Unknown(u) => Report::Unknown(UnknownColumn { policy, ..u.clone() }),
                    Report::Duplicate(d) => Report::Duplicate(DuplicateColumn { policy, ..d.clone() }),
                }),
                Some(Event::Call(node)) => {
                    if seen.insert(Rc::as_ptr(node)) {
                        stack.push(node.events.iter());
                    }
                }
            }
        }
        out
    }

    /// What the frame and every call under it looked up, into `out`.
    fn deps(frame: &Frame, recorder: &mut Recorder, out: &mut Vec<Dep>) {
        fn calls(events: &[Event]) -> impl Iterator<Item = &Rc<Node>> {
            events.iter().filter_map(|e| match e {
                Event::Call(node) => Some(node),
                Event::Report(_) => None,
            })
        }
        let mut add = |looked_up: &[(Option<String>, String, u64)], out: &mut Vec<Dep>| {
            for (cluster, database, part) in looked_up {
                out.push((recorder.id(cluster.as_deref(), database), *part));
            }
        };
        add(&frame.looked_up, out);
        let mut seen: FxHashSet<*const Node> = FxHashSet::default();
        let mut stack: Vec<&Rc<Node>> = calls(&frame.events).collect();
        while let Some(node) = stack.pop() {
            if seen.insert(Rc::as_ptr(node)) {
                add(&node.looked_up, out);
                stack.extend(calls(&node.events));
            }
        }
    }
}

struct ModelEnvironment<'w> {
    workspace: &'w Workspace,
    /// Typings that do not depend on the calls above them nor on the entry typed.
    memo: FxHashMap<MemoKey, Rc<Node>>,
    /// The others, for the entry being typed only.
    local: FxHashMap<MemoKey, Rc<Node>>,
    /// The typings in progress (innermost last).
    frames: Vec<Frame>,
    /// Whether to note what typings look up in the model.
    recording: bool,
    in_progress: Vec<UnitId>,
    /// The cluster and database of the code being typed (innermost last).
    contexts: Vec<(Option<String>, Option<String>)>,
    source_table: Option<TableType>,
}

/// A key for the arguments of a call: their schemas or types as text.
fn argument_key(value: &Value) -> String {
    match value {
        Value::Table(t) => t.describe(),
        Value::Scalar(ty) => ty.map_or("?", |t| t.name()).to_string(),
    }
}

impl<'w> ModelEnvironment<'w> {
    fn new(workspace: &'w Workspace) -> ModelEnvironment<'w> {
        ModelEnvironment {
            workspace,
            memo: FxHashMap::default(),
            local: FxHashMap::default(),
            frames: Vec::new(),
            recording: false,
            in_progress: Vec::new(),
            contexts: Vec::new(),
            source_table: None,
        }
    }

    /// A place of a unit's text that can be reported: a location, when the unit has no syntax
    /// errors (a text parsed by recovery reads nothing for certain).
    fn certain_location(&self, origin: Origin) -> Option<Location> {
        if self.workspace.units.get(origin.source as usize).is_some_and(|u| !u.query.errors().is_empty()) {
            return None;
        }
        origin_location(self.workspace, origin)
    }

    /// Types `entry`: its target table's schema, its output, and the frames of both typings.
    fn entry(&mut self, entry: &Entry<'_>) -> (Option<TableType>, Option<TableType>, Frame, Frame) {
        self.local.clear();
        // The tables' own schemas (typing the query of a `.set` that made one) are no part of
        // the policy: nothing found there is reported for it.
        self.frames.push(Frame::default());
        self.source_table = match source_name(entry.entry) {
            // A wildcard Source (`Raw*`): `$source_table` is each table it matches in turn;
            // their one schema when they all have the same, else not known.
            Some(pattern) if pattern.contains('*') => {
                wildcard_source_schema(entry.database, pattern, |table| self.table_schema(table))
            }
            Some(name) => entry.database.tables.get(name).and_then(|t| self.table_schema(t)),
            None => None,
        };
        let target = self.table_schema(entry.table);
        let schemas = self.frames.pop().expect("the frame pushed above");
        self.frames.push(Frame::default());
        let output = self.unit_output(entry.unit, &[]).map(Value::into_table);
        let query = self.frames.pop().expect("the frame pushed above");
        (target, output, schemas, query)
    }

    /// The value of a unit (a policy's query, or a function's body with `arguments`).
    fn unit_output(&mut self, unit_id: UnitId, arguments: &[Value]) -> Option<Value> {
        let key = (unit_id, arguments.iter().map(argument_key).collect::<Vec<_>>());
        if let Some(done) = self.memo.get(&key).or_else(|| self.local.get(&key)).cloned() {
            let value = done.value.clone();
            if let Some(frame) = self.frames.last_mut() {
                frame.tainted |= done.tainted;
                frame.events.push(Event::Call(done));
            }
            return value;
        }
        // A cycle, or a chain of calls deeper than any real project (the stack stays bounded).
        if self.in_progress.contains(&unit_id) || self.in_progress.len() >= MAX_FUNCTION_DEPTH {
            if let Some(frame) = self.frames.last_mut() {
                frame.tainted = true;
            }
            return None;
        }
        let workspace = self.workspace;
        let unit = workspace.unit(unit_id);
        self.frames.push(Frame::default());
        self.in_progress.push(unit_id);
        self.contexts.push((unit.cluster().map(str::to_string), unit.database().map(str::to_string)));
        let result = match unit.kind {
            crate::unit::UnitKind::Function => {
                let parsed = parser::parse_function(&unit.text);
                Inference::new(&unit.text, &parsed.tokens, unit_id.0, self).function(&parsed.function, arguments)
            }
            crate::unit::UnitKind::MaterializedView => {
                let parsed = parser::parse_function_body(&unit.text);
                Inference::new(&unit.text, &parsed.tokens, unit_id.0, self).block(&parsed.block)
            }
            _ => {
                let parsed = parser::parse_query(&unit.text);
                Inference::new(&unit.text, &parsed.tokens, unit_id.0, self).block(&parsed.block)
            }
        };
        self.contexts.pop();
        self.in_progress.pop();
        let frame = self.frames.pop().expect("the frame pushed above");
        let node = Rc::new(Node {
            value: result.clone(),
            events: frame.events,
            looked_up: frame.looked_up,
            tainted: frame.tainted,
        });
        if let Some(caller) = self.frames.last_mut() {
            caller.tainted |= node.tainted;
            caller.events.push(Event::Call(node.clone()));
        }
        if node.tainted {
            self.local.insert(key, node);
        } else {
            self.memo.insert(key, node);
        }
        result
    }

    fn report(&mut self, report: Report) {
        if let Some(frame) = self.frames.last_mut() {
            frame.events.push(Event::Report(report));
        }
    }
}

impl Environment for ModelEnvironment<'_> {
    fn duplicate_column(&mut self, name: &str, origin: Origin, first: Option<Origin>) {
        let Some(location) = self.certain_location(origin) else { return };
        let first = first.and_then(|f| origin_location(self.workspace, f));
        let policy = UnitId(u32::MAX);
        self.report(Report::Duplicate(DuplicateColumn { name: name.to_string(), location, first, policy }));
    }

    fn unknown_column(&mut self, name: &str, origin: Origin, row: &TableType) {
        let Some(location) = origin_location(self.workspace, origin) else { return };
        // A text with syntax errors was parsed by recovery: what it reads is not certain.
        if self.workspace.units.get(origin.source as usize).is_some_and(|u| !u.query.errors().is_empty()) {
            return;
        }
        let available = row.columns.iter().map(|c| c.name.clone()).collect();
        let policy = UnitId(u32::MAX);
        self.report(Report::Unknown(UnknownColumn { name: name.to_string(), location, available, policy }));
    }

    fn entity(&mut self, entity: &EntityRef<'_>) -> Option<Value> {
        if entity.name == "$source_table" && entity.database.is_none() {
            // The entry's source table: what this gives depends on the entry.
            if let Some(frame) = self.frames.last_mut() {
                frame.tainted = true;
            }
            return self.source_table.clone().map(Value::Table);
        }
        let (context_cluster, context_database) = self.contexts.last().cloned().unwrap_or_default();
        // `cluster('help')` names `help.kusto.windows.net`, as `#connect` does.
        let cluster = entity.cluster.as_deref().map(crate::kql::references::normalize_cluster).or(context_cluster);
        let database_name = entity.database.clone().or(context_database)?;
        if self.recording
            && let Some(frame) = self.frames.last_mut()
        {
            let parts = [Part::Database.code(), entity_code(entity.name)];
            frame.looked_up.extend(parts.map(|part| (cluster.clone(), database_name.clone(), part)));
        }
        let workspace = self.workspace;
        let database = workspace.model.database(cluster.as_deref(), &database_name)?;
        let function = database.functions.get(entity.name).and_then(|f| f.effective());
        match entity.kind {
            EntityKind::Table | EntityKind::Call => {
                let callable = |unit: UnitId| {
                    entity.kind == EntityKind::Call
                        || workspace.unit(unit).query.parameters().iter().all(|p| p.has_default)
                };
                if let Some(definition) = function.filter(|d| callable(d.unit)) {
                    return self.unit_output(definition.unit, entity.arguments);
                }
                if entity.kind == EntityKind::Call {
                    return None;
                }
                if let Some(view) = database.materialized_views.get(entity.name) {
                    return self.materialized_view(view);
                }
                self.table_schema(database.tables.get(entity.name)?).map(Value::Table)
            }
            EntityKind::MaterializedView => {
                let view = database.materialized_views.get(entity.name)?;
                self.materialized_view(view)
            }
            EntityKind::ExternalTable => database.external_tables.get(entity.name)?.schema().map(Value::Table),
        }
    }
}

impl ModelEnvironment<'_> {
    /// A table's schema, typing the query that made it if a query did.
    fn table_schema(&mut self, table: &Table) -> Option<TableType> {
        table.schema_with(&mut |unit| self.unit_output(unit, &[]).map(Value::into_table))
    }

    fn materialized_view(&mut self, view: &crate::model::MaterializedView) -> Option<Value> {
        let definition = view.definitions.last()?;
        self.unit_output(definition.unit, &[])
    }
}

/// How a policy entry's output compares with its target table (§2.7: by count, and by type at
/// each position; names are not compared).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Match,
    /// The counts differ.
    CountMismatch,
    /// The types differ at this position (0-based), the first such position.
    TypeMismatch(usize),
    /// Not known: no output, an open output, no target columns, or an unknown type where the
    /// known ones agree.
    Unknown,
}

/// Compares an entry's output with its target table's columns.
pub fn verdict(output: Option<&TableType>, target: Option<&TableType>) -> Verdict {
    let (Some(output), Some(target)) = (output, target) else { return Verdict::Unknown };
    if output.open || target.open {
        return Verdict::Unknown;
    }
    if output.columns.len() != target.columns.len() {
        return Verdict::CountMismatch;
    }
    let mut unknown = false;
    for (i, (o, t)) in output.columns.iter().zip(&target.columns).enumerate() {
        match (o.ty, t.ty) {
            (Some(a), Some(b)) if a != b => return Verdict::TypeMismatch(i),
            (Some(_), Some(_)) => {}
            _ => unknown = true,
        }
    }
    if unknown { Verdict::Unknown } else { Verdict::Match }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::{LoadOptions, from_texts};

    const SCRIPT: &str = r#"
.create table Raw (Data:dynamic)
.create table Orders (Id:long, Region:string)
.create-merge table Orders (When:datetime, Id:long)
.create database Ref
.create-or-alter function Expand(T:(Data:dynamic), n:long) { T | project Id = tolong(Data.id), Region = tostring(Data.r), When = todatetime(Data.t) }
.create-or-alter function Shaped() { Expand(Raw, 1) }
.alter table Orders policy update @'[{"Source": "Raw", "Query": "Shaped() | extend Extra = 1", "IsEnabled": true}]'
"#;

    /// `uplint schema` types an entry's `$source_table` as `check` does: its Source table, or the
    /// one schema of the tables a wildcard Source matches (regression: it printed every column
    /// of such an entry as unknown).
    #[test]
    fn the_schema_of_an_entry_reading_source_table_is_the_one_check_compares() {
        let script = r#"
.create table RawA (Id:string, Amount:real)
.create table RawB (Id:string, Amount:real)
.create table Other (Id:long)
.create table Target (Id:string, Amount:real)
.alter table Target policy update @'[{"Source": "Raw*", "SourceIsWildCard": true, "Query": "$source_table | project Id, Amount", "IsEnabled": true}]'
.create table Single (Id:string)
.alter table Single policy update @'[{"Source": "RawA", "Query": "$source_table | project Id", "IsEnabled": true}]'
.create table Mixed (Id:string)
.alter table Mixed policy update @'[{"Source": "*", "SourceIsWildCard": true, "Query": "$source_table | project Id", "IsEnabled": true}]'
"#;
        let workspace = from_texts(&[("a.kql", script)], &LoadOptions::default());
        let outputs = check(&workspace);
        let described = |place: &str| {
            let found = locate(&workspace, place).unwrap();
            let output = unit_output(&workspace, found.unit).map(Value::into_table).unwrap();
            assert_eq!(Some(output.describe()), outputs.output(found.unit).map(TableType::describe), "{place}");
            output.describe()
        };
        assert_eq!(described("a.kql:6"), "(Id:string, Amount:real)");
        assert_eq!(described("a.kql:8"), "(Id:string)");
        // The tables `*` matches disagree: not known, as `check` has it.
        assert_eq!(described("a.kql:10"), "(Id:?)");
        // A function is still typed from its own body.
        let function = "\n.create-or-alter function F() { RawA | project Amount }";
        let workspace = from_texts(&[("a.kql", &format!("{script}{function}"))], &LoadOptions::default());
        let found = locate(&workspace, "F").unwrap();
        let output = unit_output(&workspace, found.unit).map(Value::into_table).unwrap();
        assert_eq!(output.describe(), "(Amount:real)");
    }

    #[test]
    fn a_policy_output_is_typed_through_functions_and_compared_with_the_merged_table() {
        let workspace = from_texts(&[("a.kql", SCRIPT)], &LoadOptions::default());
        let outputs = check(&workspace);
        let database = workspace.model.database(None, "default").unwrap();
        let orders = &database.tables["Orders"];
        let target = orders.schema().unwrap();
        assert_eq!(target.describe(), "(Id:long, Region:string, When:datetime)");
        let unit = orders.update_policy.entries[0].query.unwrap();
        let output = outputs.output(unit).unwrap();
        assert_eq!(output.describe(), "(Id:long, Region:string, When:datetime, Extra:long)");
        assert_eq!(verdict(Some(output), Some(&target)), Verdict::CountMismatch);
        let origin = output.columns[1].origin.unwrap();
        let location = origin_location(&workspace, origin).unwrap();
        let text = &workspace.sources.get(location.file).text;
        assert_eq!(location.span.of(text), "Region = tostring(Data.r)");
    }

    #[test]
    fn a_long_chain_of_functions_neither_overflows_nor_guesses() {
        let mut script = String::from(".create table T (a:long)\n.create table Out (a:long)\n");
        script.push_str(".create-or-alter function F0() { T }\n");
        for i in 1..2000 {
            script.push_str(&format!(".create-or-alter function F{i}() {{ F{}() }}\n", i - 1));
        }
        script.push_str(
            ".alter table Out policy update @'[{\"Source\": \"T\", \"Query\": \"F1999()\", \"IsEnabled\": true}]'\n",
        );
        let workspace = from_texts(&[("a.kql", &script)], &LoadOptions::default());
        let outputs = check(&workspace);
        let table = &workspace.model.database(None, "default").unwrap().tables["Out"];
        let unit = table.update_policy.entries[0].query.unwrap();
        assert!(outputs.output(unit).is_none_or(|t| t.open), "too deep to know, so unknown");
    }

    #[test]
    fn column_commands_reshape_the_table_in_script_order() {
        let script = r#"
.create table T (a:long, b:string, c:int, d:real)
.drop column T.b
.rename column T.c to cc
.alter column ['T'].d type = string
.create-merge table T (e:datetime)
.drop table T columns (e)
.rename columns a2 = T.a
"#;
        let workspace = from_texts(&[("a.kql", script)], &LoadOptions::default());
        let table = &workspace.model.database(None, "default").unwrap().tables["T"];
        assert_eq!(table.schema().unwrap().describe(), "(a2:long, cc:int, d:string)");
    }

    #[test]
    fn set_commands_make_a_table_from_their_query_when_it_does_not_exist() {
        let script = r#"
.create table Raw (Data:dynamic)
.set-or-append Made <| Raw | project Id = tolong(Data.id), Name = tostring(Data.n)
.create-merge table Made (Extra:datetime)
.create table Kept (a:string)
.set-or-replace Kept <| Raw | project x = 1
.append Appended <| Raw | project y = 1
.set Read <| Made | extend z = 1.5
.set Copy <| Raw
"#;
        let workspace = from_texts(&[("a.kql", script)], &LoadOptions::default());
        let database = workspace.model.database(None, "default").unwrap();
        let schema = |name: &str| table_schema(&workspace, &database.tables[name]).map(|t| t.describe());
        assert_eq!(schema("Made").as_deref(), Some("(Id:long, Name:string, Extra:datetime)"));
        assert_eq!(schema("Kept").as_deref(), Some("(a:string)"), "an existing table keeps its columns");
        assert!(!database.tables.contains_key("Appended"), ".append needs the table to exist");
        assert_eq!(schema("Read").as_deref(), Some("(Id:long, Name:string, Extra:datetime, z:real)"));
        assert_eq!(schema("Copy").as_deref(), Some("(Data:dynamic)"), "the query reads the command's database");
        // Without typing, the model alone does not know a schema made by a query.
        assert!(database.tables["Made"].schema().is_none());
    }

    #[test]
    fn external_tables_have_the_columns_their_command_gives() {
        let script = r#"
.create external table Ext (Id:string, Size:long) kind=storage dataformat=csv (h@'https://example.blob.core.windows.net/c;impersonate')
.create-or-alter external table Lake kind=delta (h@'https://example.blob.core.windows.net/d;impersonate')
.create table Src (a:long)
.create table Out (Id:string, Size:long)
.create table Out2 (a:long)
.alter table Out policy update @'[{"Source": "Src", "Query": "Src | join kind=inner (external_table(\"Ext\")) on $left.a == $right.Size | project Id, Size", "IsEnabled": true}]'
.alter table Out2 policy update @'[{"Source": "Src", "Query": "external_table(\"Lake\") | project a", "IsEnabled": true}]'
"#;
        let outputs = outputs_of(script, "default", &["Out", "Out2"]);
        assert_eq!(outputs[0].as_deref(), Some("(Id:string, Size:long)"));
        // A delta table's columns come from its files: unknown.
        assert_eq!(outputs[1].as_deref(), Some("(a:?)"));
    }

    /// The outputs of the first entry of each table's policy in `script`, described.
    fn outputs_of(script: &str, database: &str, tables: &[&str]) -> Vec<Option<String>> {
        let workspace = from_texts(&[("a.kql", script)], &LoadOptions::default());
        let outputs = check(&workspace);
        let database = workspace.model.database(None, database).unwrap();
        let describe = |table: &&str| {
            let unit = database.tables[*table].update_policy.entries[0].query.unwrap();
            outputs.output(unit).map(|t| t.describe())
        };
        tables.iter().map(describe).collect()
    }

    #[test]
    fn stored_functions_that_return_a_scalar_are_typed_where_called() {
        let script = r#"
#connect cluster('contoso').database('Ref')
.create table Currencies (Code:string, RateToEur:real)
.create-or-alter function EuroRate(currency:string) { toscalar(Currencies | where Code == currency | project RateToEur) }
.create table Src (Amount:long)
.create table Out (x:real)
.alter table Out policy update @'[{"Source": "Src", "Query": "Src | project x = Amount * EuroRate(\"USD\")", "IsEnabled": true}]'
#connect cluster('contoso').database('Sales')
.create table Src (Amount:long)
.create table Out (x:real)
.create table Out2 (x:real)
.alter table Out policy update @'[{"Source": "Src", "Query": "Src | project x = database(\"Ref\").EuroRate(\"USD\")", "IsEnabled": true}]'
.alter table Out2 policy update @'[{"Source": "Src", "Query": "Src | project x = cluster(\"contoso\").database(\"Ref\").EuroRate(\"USD\") * Amount", "IsEnabled": true}]'
"#;
        let workspace = from_texts(&[("a.kql", script)], &LoadOptions::default());
        let outputs = check(&workspace);
        let cluster = Some("contoso.kusto.windows.net");
        let output = |database: &str, table: &str| {
            let database = workspace.model.database(cluster, database).unwrap();
            let unit = database.tables[table].update_policy.entries[0].query.unwrap();
            outputs.output(unit).map(|t| t.describe())
        };
        assert_eq!(output("Ref", "Out").as_deref(), Some("(x:real)"));
        assert_eq!(output("Sales", "Out").as_deref(), Some("(x:real)"));
        // `cluster('contoso')` is `contoso.kusto.windows.net`, the cluster `#connect` names.
        assert_eq!(output("Sales", "Out2").as_deref(), Some("(x:real)"));
    }

    #[test]
    fn a_wildcard_source_is_typed_when_the_tables_it_matches_agree() {
        let script = r#"
.create table RawA (Id:string, n:long)
.create table RawB (Id:string, n:long)
.create table OddC (Id:string)
.create table OddD (Id:long)
.create-or-alter function with (skipvalidation=true) ParseRaw() { $source_table | project Id }
.create table Out (Id:string)
.create table Odd (Id:string)
.alter table Out policy update @'[{"Source": "Raw*", "SourceIsWildCard": true, "Query": "ParseRaw()", "IsEnabled": true}]'
.alter table Odd policy update @'[{"Source": "Odd*", "SourceIsWildCard": true, "Query": "ParseRaw()", "IsEnabled": true}]'
"#;
        let outputs = outputs_of(script, "default", &["Out", "Odd"]);
        assert_eq!(outputs[0].as_deref(), Some("(Id:string)"));
        // OddC and OddD differ: `$source_table` is not known, nor is `Id`'s type.
        assert_eq!(outputs[1].as_deref(), Some("(Id:?)"));
    }

    #[test]
    fn verdicts_never_guess() {
        let t = |s: &str| TableType::parse(s);
        assert_eq!(verdict(Some(&t("(a:long)")), Some(&t("(b:int64)"))), Verdict::Match);
        assert_eq!(verdict(Some(&t("(a:long, b:string)")), Some(&t("(a:long, b:datetime)"))), Verdict::TypeMismatch(1));
        assert_eq!(verdict(Some(&t("(a:long, b:foo)")), Some(&t("(a:long, b:datetime)"))), Verdict::Unknown);
        assert_eq!(verdict(Some(&t("(*)")), Some(&t("(a:long)"))), Verdict::Unknown);
        assert_eq!(verdict(None, Some(&t("(a:long)"))), Verdict::Unknown);
    }
}
