//! Building the model: every script's commands applied in order (files in path order), and a
//! unit made of every piece of KQL they hold.

use super::*;
use crate::context::{FileContext, Reason};
use crate::script::command::{
    Column, Columns, Command, CommandKind, PolicyScope, PolicyVerb, PrincipalKind, RoleAction, RoleScope,
};
use crate::script::payload::{JsonKind, Payload};
use crate::script::{Item, Script};
use crate::source::{SharedText, SourceFile};
use crate::unit::{AnalysisCache, Origin, Site, Unit, UnitKind, UnitNames};
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// Settings of the model.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// The database of commands that name none and follow no `#connect`.
    pub default_database: String,
}

impl Default for BuildOptions {
    fn default() -> BuildOptions {
        BuildOptions { default_database: "default".to_string() }
    }
}

/// Builds the model and the units of `scripts` (each with its file), in the order given, every
/// file in the unnamed cluster and `options.default_database` unless it says otherwise; with the
/// units' names.
pub fn build(scripts: &[(FileId, &SourceFile, &Script)], options: &BuildOptions) -> (Model, Vec<Unit>, UnitNames) {
    let mut units = Vec::new();
    for (file, source, script) in scripts {
        units.extend(units_of(*file, &source.text, script, &mut AnalysisCache::default()));
    }
    let mut names = UnitNames::default();
    let model = build_in_contexts(scripts, &[], &mut units, &mut names, options);
    (model, units, names)
}

/// The units of one file's script, analysed, in the order the model builder takes them. What a
/// unit is and reads depends on its text alone, not on the file's context, so units are made
/// before contexts are decided (which look at the databases queries name) and are kept from one
/// build to the next while their file is unchanged. Their origin (name, cluster, database) is
/// filled in by [`build_in_contexts`]. `cache` holds earlier analyses to take over by text.
pub fn units_of(file: FileId, text: &SharedText, script: &Script, cache: &mut AnalysisCache) -> Vec<Unit> {
    let mut units = Vec::new();
    let origin = || Origin { file, name: None, cluster: None, database: None };
    for item in &script.items {
        cache.set_position(units.len());
        match item {
            // (Commands are taken once the model is built, never before: see
            // `Workspace::set_texts`.)
            Item::Connect(_) | Item::Taken { .. } => {}
            Item::Query(span) => units.push(Unit::query(origin(), text, *span, cache)),
            Item::Command { command, .. } => match &command.kind {
                CommandKind::Function { declaration, .. } => {
                    units.push(Unit::function(origin(), text, *declaration, cache));
                }
                CommandKind::MaterializedView { body, .. } => {
                    units.push(Unit::materialized_view(origin(), text, *body, cache));
                }
                CommandKind::RowLevelSecurity { .. } => {
                    if let Some(literal) = row_level_security_query(&command.kind) {
                        let (value, map) = (literal.decoded.value.clone(), literal.decoded.map.clone());
                        units.push(Unit::decoded(origin(), UnitKind::RowLevelSecurity, value, map, cache));
                    }
                }
                CommandKind::UpdatePolicy { payload: Some(payload), .. } => {
                    for json in policy_objects(payload) {
                        if let Some((value, map)) = entry_query(json) {
                            cache.set_position(units.len());
                            let (value, map) = (value.to_string(), map.clone());
                            units.push(Unit::decoded(origin(), UnitKind::UpdatePolicy, value, map, cache));
                        }
                    }
                }
                _ => {}
            },
        }
    }
    units
}

/// The entries of an update policy payload that the model keeps: its objects (ADX rejects a
/// payload whose JSON does not parse: then none).
fn policy_objects(payload: &Payload) -> impl Iterator<Item = &JsonValue> {
    payload.entries().into_iter().filter(|j| matches!(j.kind, JsonKind::Object(_)))
}

/// The `Query` of an update policy entry, when it is a string: its text and map to the file.
fn entry_query(json: &JsonValue) -> Option<(&str, &crate::kql::strings::OffsetMap)> {
    match json.member("Query").map(|m| &m.value.kind) {
        Some(JsonKind::String { value, map }) => Some((value, map)),
        _ => None,
    }
}

/// The query literal of a row level security command that sets one on a table or a view.
fn row_level_security_query(kind: &CommandKind) -> Option<&crate::script::payload::StringLiteral> {
    match kind {
        CommandKind::RowLevelSecurity { verb: PolicyVerb::Alter | PolicyVerb::AlterMerge, scope, query, .. }
            if matches!(**scope, PolicyScope::Table(_) | PolicyScope::MaterializedView(_)) =>
        {
            query.as_deref()
        }
        _ => None,
    }
}

/// Builds the model with each file starting in its context (`contexts[i]` for `scripts[i]`;
/// missing ones start as [`build()`] does). `units` are the units of the scripts, in order
/// ([`units_of`] of each); their clusters and databases are set here, and their names in `names`.
pub fn build_in_contexts(
    scripts: &[(FileId, &SourceFile, &Script)],
    contexts: &[FileContext],
    units: &mut [Unit],
    names: &mut UnitNames,
    options: &BuildOptions,
) -> Model {
    build_recording(scripts, contexts, units, names, options).0
}

/// What one file's commands touch in the model: the databases they change, the clusters with
/// the spelling the file first writes, and whether a cluster's identity policy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Touched {
    pub databases: Vec<changes::DatabaseId>,
    pub clusters: Vec<(Option<String>, Option<String>)>,
    pub cluster_policy: bool,
}

/// [`build_in_contexts`], with what each script touches (in the order of `scripts`), for
/// [`rebuild`].
pub fn build_recording(
    scripts: &[(FileId, &SourceFile, &Script)],
    contexts: &[FileContext],
    units: &mut [Unit],
    names: &mut UnitNames,
    options: &BuildOptions,
) -> (Model, Vec<Touched>) {
    build_scripts(scripts.iter().map(|(file, _, script)| (*file, *script)), contexts, units, names, options)
}

/// [`build_recording`], taking from the commands of the scripts of [`TAKEN_FROM`] items or more,
/// or whose items reach [`TAKEN_FROM_BYTES`] into their file, what the model holds: once run
/// (with the [`TAKEN_TOGETHER`] items around it), such a command is left as its place and words
/// ([`Script::take_command`]; update policies and the commands that write into tables are kept
/// whole). For a workspace checked once: the scripts cannot be built again, and the peak of a
/// file of many tables and functions (the end of the build) does not hold every command twice,
/// in the script and in the model. Smaller scripts are left whole: freeing their few commands
/// one by one would cost a check of many small files time (the process leaves them to the
/// operating system at exit) for little memory.
pub fn build_taking(
    scripts: &mut [(FileId, Script)],
    contexts: &[FileContext],
    units: &mut [Unit],
    names: &mut UnitNames,
    options: &BuildOptions,
) -> (Model, Vec<Touched>) {
    let taking =
        scripts.iter_mut().map(|(file, script)| (*file, Taking { take: takes_commands(script), script, taken_to: 0 }));
    build_scripts(taking, contexts, units, names, options)
}

/// Runs `scripts` in order, each from its context (see [`start_context`]), and finishes the
/// model; with what each script touched.
fn build_scripts<S: Items>(
    scripts: impl ExactSizeIterator<Item = (FileId, S)>,
    contexts: &[FileContext],
    units: &mut [Unit],
    names: &mut UnitNames,
    options: &BuildOptions,
) -> (Model, Vec<Touched>) {
    names.clear();
    let mut builder = Builder::new(units, names, options);
    let mut touched = Vec::with_capacity(scripts.len());
    for (i, (file, script)) in scripts.enumerate() {
        builder.script(file, script, start_context(contexts, i));
        touched.push(builder.take_touched());
    }
    finish_full(builder, touched)
}

/// How many items a script has at least for [`build_taking`] to take its commands (or see
/// [`TAKEN_FROM_BYTES`]).
pub const TAKEN_FROM: usize = 1 << 12;

/// How far into its file a script's items reach at least for [`build_taking`] to take its
/// commands (a few commands of many principals).
pub const TAKEN_FROM_BYTES: u32 = 1 << 20;

/// Whether [`build_taking`] takes the commands of `script`: a script of many items, or of
/// large ones.
fn takes_commands(script: &Script) -> bool {
    let end = |item: &Item| match item {
        Item::Connect(connect) => connect.span.end,
        Item::Command { command, .. } => command.span.end,
        Item::Taken { span, .. } | Item::Query(span) => span.end,
    };
    script.items.len() >= TAKEN_FROM || script.items.last().is_some_and(|item| end(item) >= TAKEN_FROM_BYTES)
}

/// The model of a full build, its maps packed.
fn finish_full(builder: Builder<'_>, touched: Vec<Touched>) -> (Model, Vec<Touched>) {
    debug_assert_eq!(builder.next, builder.units.len(), "every unit was taken by its command");
    // Held for the whole run (a re-check builds the databases an edit touches again, unpacked:
    // their maps are not packed again on every edit).
    let mut model = builder.finish();
    pack_maps(&mut model);
    (model, touched)
}

/// Builds again, in `model`, only the databases that script `changed` touched before or
/// touches now, by running every script that touches one of them (`unit_starts[i]`: where the
/// units of `scripts[i]` start; the changed script has as many units as before). Returns what
/// changed, or `None` when the change reaches beyond databases (a cluster's identity policy):
/// then the whole model must be built again.
#[allow(clippy::too_many_arguments)]
pub fn rebuild(
    model: &mut Model,
    scripts: &[(FileId, &SourceFile, &Script)],
    contexts: &[FileContext],
    units: &mut [Unit],
    names: &mut UnitNames,
    unit_starts: &[usize],
    touched: &mut [Touched],
    changed: usize,
    options: &BuildOptions,
) -> Option<changes::Changes> {
    let changed_units = unit_starts[changed]..unit_starts.get(changed + 1).copied().unwrap_or(units.len());
    // The edited file's units named afresh, then put in place of their old names at once.
    let mut renamed = UnitNames::default();
    let mut probe = Builder::new(units, &mut renamed, options);
    probe.next = unit_starts[changed];
    let (file, _, script) = scripts[changed];
    probe.script(file, script, start_context(contexts, changed));
    let now = probe.take_touched();
    names.replace(changed_units.clone(), renamed);
    let before = std::mem::replace(&mut touched[changed], now);
    if before.cluster_policy || touched[changed].cluster_policy {
        return None;
    }
    let dirty: rustc_hash::FxHashSet<changes::DatabaseId> =
        before.databases.iter().chain(&touched[changed].databases).cloned().collect();
    let mut replay = Builder::new(units, names, options);
    for (i, (file, _, script)) in scripts.iter().enumerate() {
        if touched[i].databases.iter().any(|d| dirty.contains(d)) {
            replay.next = unit_starts[i];
            replay.script(*file, *script, start_context(contexts, i));
            replay.take_touched();
        }
    }
    let mut built = replay.finish();
    let mut found = changes::Changes::default();
    for id in &dirty {
        let new = built.clusters.get_mut(&id.0).and_then(|c| c.databases.remove(&id.1));
        let cluster = model.clusters.entry(id.0.clone()).or_default();
        let old = match new {
            Some(database) => cluster.databases.insert(id.1.clone(), database),
            None => cluster.databases.remove(&id.1),
        };
        changes::diff_database(id, old.as_ref(), cluster.databases.get(&id.1), changed_units.clone(), &mut found);
    }
    // A cluster exists while some file touches it, named as the first such file writes it.
    let clusters: rustc_hash::FxHashSet<&Option<String>> = dirty.iter().map(|(cluster, _)| cluster).collect();
    for key in clusters {
        let spelling = touched.iter().flat_map(|t| &t.clusters).find(|(k, _)| k == key).map(|(_, s)| s.clone());
        match spelling {
            Some(name) => model.clusters.entry(key.clone()).or_default().name = name,
            None => {
                model.clusters.remove(key);
            }
        }
    }
    Some(found)
}

/// The context script `i` starts in: above its `#connect`s.
fn start_context(contexts: &[FileContext], i: usize) -> Context {
    match contexts.get(i).map(FileContext::opening) {
        Some(context) => Context {
            cluster: context.cluster.as_deref().map(Arc::from),
            database: (context.database_reason != Reason::Default).then(|| Arc::from(context.database.as_str())),
        },
        None => Context::default(),
    }
}

struct Builder<'a> {
    model: Model,
    /// The units of the scripts, in the order commands take them.
    units: &'a mut [Unit],
    /// The names of the units taken.
    names: &'a mut UnitNames,
    /// The next unit to take.
    next: usize,
    options: &'a BuildOptions,
    /// `options.default_database`, shared by the units in it.
    default_database: Arc<str>,
    /// The cluster and database of the last unit taken, and the place of the units without a
    /// name there (once one was taken).
    last_site: Option<Arc<Site>>,
    /// What the current script touched so far.
    touched: Touched,
    seen_databases: rustc_hash::FxHashSet<changes::DatabaseId>,
    seen_clusters: rustc_hash::FxHashSet<Option<String>>,
}

impl<'a> Builder<'a> {
    fn new(units: &'a mut [Unit], names: &'a mut UnitNames, options: &'a BuildOptions) -> Builder<'a> {
        Builder {
            model: Model::default(),
            units,
            names,
            next: 0,
            options,
            default_database: Arc::from(options.default_database.as_str()),
            last_site: None,
            touched: Touched::default(),
            seen_databases: rustc_hash::FxHashSet::default(),
            seen_clusters: rustc_hash::FxHashSet::default(),
        }
    }

    /// What the script just run touched.
    fn take_touched(&mut self) -> Touched {
        self.seen_databases.clear();
        self.seen_clusters.clear();
        std::mem::take(&mut self.touched)
    }

    /// The model, grants without repeats.
    fn finish(mut self) -> Model {
        for database in self.model.clusters.values_mut().flat_map(|c| c.databases.values_mut()) {
            for grants in database.roles.values_mut() {
                dedup_grants(grants);
            }
        }
        self.model
    }
}

/// Packs the maps of every database of `model` (see [`pack`]).
fn pack_maps(model: &mut Model) {
    for database in model.clusters.values_mut().flat_map(|c| c.databases.values_mut()) {
        pack(&mut database.tables);
        pack(&mut database.functions);
        pack(&mut database.known_elsewhere);
        pack(&mut database.materialized_views);
        pack(&mut database.external_tables);
    }
}

/// Fills the nodes of `map`, which is kept for the whole run: names inserted one by one (in
/// file order, not name order) leave its nodes a little over half full, and a project of many
/// tables and functions has a map entry for each. Its entries, taken in order, are moved into
/// a new map that is filled node after node (`BTreeMap::append`); the old nodes are freed as
/// they are emptied. Maps of one node are left as they are.
pub(crate) fn pack<K: Ord, V>(map: &mut BTreeMap<K, V>) {
    const ONE_NODE: usize = 11;
    if map.len() <= ONE_NODE {
        return;
    }
    let Some(first) = map.pop_first() else { return };
    let mut packed = BTreeMap::from([first]);
    packed.append(map);
    *map = packed;
}

/// The context of a command: the file's, then its last `#connect`'s (shared by its units).
#[derive(Clone, Debug, Default)]
struct Context {
    cluster: Option<Arc<str>>,
    database: Option<Arc<str>>,
}

/// The scripts a build runs: read as they are (kept for the next build), or [`Taking`] their
/// commands.
trait Items {
    fn items(&self) -> &[Item];
    /// The model has what it needs of item `index`.
    fn done(&mut self, index: usize);
}

impl Items for &Script {
    fn items(&self) -> &[Item] {
        &self.items
    }

    fn done(&mut self, _: usize) {}
}

/// A script of [`build_taking`]: when `take` ([`takes_commands`]), the model takes its commands
/// as it runs them: each command run is left as its place and words ([`Script::take_command`]),
/// except an update policy (a suppression comment reads its entries' places) and an `.ingest`,
/// `.set`... (the query item after it reads it).
struct Taking<'s> {
    script: &'s mut Script,
    take: bool,
    /// The items before this one are taken (see [`TAKEN_TOGETHER`]).
    taken_to: usize,
}

/// How many items [`build_taking`] runs before it takes their commands, all together. The
/// commands of a script were allocated one after the other, and are bigger than what the model
/// makes of each: taken one by one, each left a hole beside what the model made in its place,
/// too small for anything the build makes later (a map's node), and a 100 MB file of tables
/// and functions ended its build with 62 MB of such holes; taken together, their blocks join
/// in stretches that the next items' map entries fill (and beyond the few hundred freed
/// blocks of a size the binary's allocator keeps per thread, [`crate::heap::KEEP`]).
pub const TAKEN_TOGETHER: usize = 1 << 12;

impl Taking<'_> {
    /// Takes the commands of the items up to `end` (excluded) the model no longer needs.
    fn take_to(&mut self, end: usize) {
        for index in self.taken_to..end {
            let kept = match self.script.items.get(index) {
                Some(Item::Command { command, .. }) => {
                    matches!(command.kind, CommandKind::UpdatePolicy { .. } | CommandKind::Ingest { .. })
                }
                _ => true,
            };
            if !kept {
                self.script.take_command(index);
            }
        }
        self.taken_to = end;
    }
}

impl Items for Taking<'_> {
    fn items(&self) -> &[Item] {
        &self.script.items
    }

    fn done(&mut self, index: usize) {
        let end = index + 1;
        if self.take && (end - self.taken_to >= TAKEN_TOGETHER || end == self.script.items.len()) {
            self.take_to(end);
        }
    }
}

impl Builder<'_> {
    fn script(&mut self, file: FileId, mut script: impl Items, start: Context) {
        let mut context = start;
        // The item of the last `.set T <| query` command, until its query item.
        let mut creating: Option<usize> = None;
        for index in 0..script.items().len() {
            match &script.items()[index] {
                // `#connect database('d')` keeps the connection's cluster; a `#connect` without a
                // database keeps its database.
                Item::Connect(connect) => {
                    context = Context {
                        cluster: connect.cluster.as_deref().map(Arc::from).or_else(|| context.cluster.clone()),
                        database: connect.database.as_deref().map(Arc::from).or_else(|| context.database.clone()),
                    };
                }
                Item::Query(span) => {
                    let input_of = match creating.take().map(|at| &script.items()[at]) {
                        Some(Item::Command { command: c, .. })
                            if c.span.start <= span.start && span.end <= c.span.end =>
                        {
                            Some(&**c)
                        }
                        _ => None,
                    };
                    let origin = Origin {
                        file,
                        name: None,
                        cluster: context.cluster.clone(),
                        // The query of a `.set` command runs in the command's database.
                        database: match input_of {
                            Some(_) => Some(self.unit_database(&context, None)),
                            None => context.database.clone(),
                        },
                    };
                    let unit = self.take_unit(origin, UnitKind::Query);
                    if let Some(command) = input_of {
                        self.table_from_query(file, &context, command, unit);
                    }
                }
                Item::Command { command, .. } => {
                    self.command(file, &context, command);
                    // `.set T <| query`: the query item follows the command.
                    creating = matches!(command.kind, CommandKind::Ingest { creates: true, .. }).then_some(index);
                }
                // A workspace whose commands were taken parses its scripts again before it
                // builds again ([`crate::workspace::Workspace::set_texts`]).
                Item::Taken { .. } => {}
            }
            script.done(index);
        }
    }

    /// Takes the next unit (made by [`units_of`]; of `kind`), placed at `origin`.
    fn take_unit(&mut self, origin: Origin, kind: UnitKind) -> UnitId {
        let id = self.next;
        self.next += 1;
        let unit = &mut self.units[id];
        debug_assert!(unit.kind == kind && unit.file == origin.file, "units are taken in the order they were made");
        // The units of one context come one after the other: they share its cluster and
        // database, and those without a name one place.
        let site = match &self.last_site {
            Some(site) if site.cluster == origin.cluster && site.database == origin.database => Arc::clone(site),
            _ => {
                let site = Arc::new(Site { cluster: origin.cluster, database: origin.database });
                self.last_site = Some(Arc::clone(&site));
                site
            }
        };
        unit.site = (site.cluster.is_some() || site.database.is_some()).then_some(site);
        if let Some(name) = origin.name {
            self.names.set(UnitId(id as u32), name);
        }
        UnitId(id as u32)
    }

    /// The database a command acts on: the one it names, else the `#connect` one, else the default.
    fn database_name(&self, context: &Context, named: Option<&str>) -> String {
        named
            .map(str::to_string)
            .or_else(|| context.database.as_deref().map(str::to_string))
            .unwrap_or_else(|| self.options.default_database.clone())
    }

    fn cluster_mut(&mut self, context: &Context) -> &mut Cluster {
        let key = context.cluster.as_ref().map(|c| c.to_lowercase());
        if self.touched.clusters.last().is_none_or(|(k, _)| *k != key) && self.seen_clusters.insert(key.clone()) {
            self.touched.clusters.push((key.clone(), context.cluster.as_deref().map(str::to_string)));
        }
        let cluster = self.model.clusters.entry(key).or_default();
        if cluster.name.is_none() {
            cluster.name = context.cluster.as_deref().map(str::to_string);
        }
        cluster
    }

    fn database_mut(&mut self, context: &Context, named: Option<&str>) -> &mut Database {
        let name = self.database_name(context, named);
        let id = (context.cluster.as_ref().map(|c| c.to_lowercase()), DatabaseKey::new(&name));
        if self.touched.databases.last() != Some(&id) && self.seen_databases.insert(id.clone()) {
            self.touched.databases.push(id);
        }
        let cluster = self.cluster_mut(context);
        let database = cluster.databases.entry(DatabaseKey::new(&name)).or_default();
        if database.name.is_empty() {
            database.name = name;
        }
        database
    }

    /// The database of a unit of a command (as [`Builder::database_name`]), shared with the
    /// context's when it is that one.
    fn unit_database(&self, context: &Context, named: Option<&str>) -> Arc<str> {
        match (named, &context.database) {
            (Some(named), _) => Arc::from(named),
            (None, Some(database)) => Arc::clone(database),
            (None, None) => Arc::clone(&self.default_database),
        }
    }

    fn origin(&self, file: FileId, context: &Context, named: Option<&str>, name: Name) -> Origin {
        Origin {
            file,
            name: Some(name),
            cluster: context.cluster.clone(),
            database: Some(self.unit_database(context, named)),
        }
    }

    fn command(&mut self, file: FileId, context: &Context, command: &Command) {
        let location = Location { file, span: command.span };
        match &command.kind {
            CommandKind::Tables { verb, .. } => {
                for schema in command.kind.tables() {
                    let definition = TableDefinition {
                        verb: *verb,
                        location,
                        name_span: schema.name.span,
                        columns: Arc::clone(&schema.columns),
                        query: None,
                    };
                    self.database_mut(context, None).define_table(&schema.name.text, definition);
                }
            }
            CommandKind::TableBasedOn { name, based_on } => {
                let database = self.database_mut(context, None);
                let columns = database
                    .tables
                    .get(&based_on.text)
                    .map(|t| t.columns().into_iter().map(|(name, type_name, _)| Column { name, type_name }).collect())
                    .map(Arc::new)
                    .unwrap_or_default();
                let definition =
                    TableDefinition { location, name_span: name.span, columns, verb: TableVerb::Create, query: None };
                database.define_table(&name.text, definition);
            }
            CommandKind::DropTables { names } => {
                let database = self.database_mut(context, None);
                for name in names {
                    if let Some(table) = database.tables.remove(&name.text) {
                        database.forget_table(&name.text, &table);
                    }
                }
            }
            CommandKind::RenameTables { renames } => {
                let database = self.database_mut(context, None);
                for (old, new) in renames {
                    database.know_table(&new.text, location);
                    if let Some(table) = database.tables.remove(&old.text) {
                        database.forget_table(&old.text, &table);
                        if let Some(replaced) = database.tables.insert(new.text.clone(), table) {
                            database.forget_table(&new.text, &replaced);
                        }
                    }
                }
            }
            CommandKind::Function { verb, name, properties, .. } => {
                let origin = self.origin(file, context, None, name.text.clone());
                let unit = self.take_unit(origin, UnitKind::Function);
                let definition = FunctionDefinition {
                    location,
                    name_span: name.span,
                    unit,
                    properties: properties.clone(),
                    verb: *verb,
                };
                self.database_mut(context, None).define_function(&name.text, definition);
            }
            CommandKind::DropFunctions { names } => {
                let database = self.database_mut(context, None);
                for name in names {
                    database.functions.remove(&name.text);
                }
            }
            // ADX rejects a policy whose JSON does not parse: the model is left as it was.
            CommandKind::UpdatePolicy { payload: Some(payload), .. }
            | CommandKind::ManagedIdentityPolicy { payload: Some(payload), .. }
                if payload.json.is_err() => {}
            CommandKind::UpdatePolicy { .. } => self.update_policy(file, context, location, &command.kind),
            CommandKind::ManagedIdentityPolicy { verb, scope, payload } => {
                let entries = payload.as_ref().map(|p| identity_entries(file, p)).unwrap_or_default();
                let policy = match &**scope {
                    PolicyScope::Cluster => {
                        self.touched.cluster_policy = true;
                        &mut self.cluster_mut(context).managed_identity
                    }
                    PolicyScope::Database(name) => {
                        &mut self.database_mut(context, name.as_ref().map(|n| &*n.text)).managed_identity
                    }
                    _ => return,
                };
                apply_identity_policy(policy, *verb, entries, location);
            }
            CommandKind::RowLevelSecurity { verb, scope, enabled, .. } => {
                let (named_db, target, on_view) = match &**scope {
                    PolicyScope::Table(name) => {
                        (name.database.as_ref().map(|d| d.text.clone()), name.name.text.clone(), false)
                    }
                    PolicyScope::MaterializedView(name) => {
                        (name.database.as_ref().map(|d| d.text.clone()), name.name.text.clone(), true)
                    }
                    _ => return,
                };
                let policy = match verb {
                    PolicyVerb::Delete => None,
                    _ => {
                        let unit = row_level_security_query(&command.kind).map(|_| {
                            let origin = self.origin(file, context, named_db.as_deref(), target.clone());
                            self.take_unit(origin, UnitKind::RowLevelSecurity)
                        });
                        Some(RowLevelSecurity { enabled: *enabled, query: unit, location })
                    }
                };
                let database = self.database_mut(context, named_db.as_deref());
                if on_view {
                    database.materialized_views.entry(target).or_default().row_level_security = policy;
                } else {
                    database.tables.entry(target).or_default().row_level_security = policy;
                }
            }
            CommandKind::RestrictedViewAccess { verb, tables, enabled } => {
                for table in tables {
                    let database = self.database_mut(context, table.database.as_ref().map(|d| &*d.text));
                    let entry = database.tables.entry(table.name.text.clone()).or_default();
                    entry.restricted_view_access = match verb {
                        PolicyVerb::Delete => None,
                        _ => Some(RestrictedViewAccess { enabled: *enabled, location }),
                    };
                }
            }
            CommandKind::Retention { verb, scope, soft_delete, .. } => {
                let retention = match (verb, soft_delete) {
                    (PolicyVerb::Delete, _) => None,
                    (_, Some(duration)) => Some(Retention {
                        soft_delete_seconds: duration.seconds,
                        location: Location { file, span: duration.span },
                    }),
                    // `.alter-merge` without `softdelete` keeps the period; `.alter` of another
                    // shape is not modelled.
                    (_, None) => return,
                };
                match &**scope {
                    PolicyScope::Table(name) => {
                        let database = self.database_mut(context, name.database.as_ref().map(|d| &*d.text));
                        database.tables.entry(name.name.text.clone()).or_default().retention = retention;
                    }
                    PolicyScope::Database(name) => {
                        self.database_mut(context, name.as_ref().map(|n| &*n.text)).retention = retention;
                    }
                    _ => {}
                }
            }
            CommandKind::Principals { action, scope, role, principals } => {
                let RoleScope::Database(name) = &**scope else { return };
                let database = self.database_mut(context, name.as_ref().map(|n| &*n.text));
                let grants = database.roles.entry(role.text.to_lowercase().into()).or_default();
                let given = principals
                    .iter()
                    .map(|p| Grant { principal: p.clone(), location: Location { file, span: p.span } });
                match action {
                    RoleAction::Set => *grants = given.collect(),
                    // Duplicates are removed once, when the model is complete: a scan per added
                    // principal would make N grants cost N².
                    RoleAction::Add => grants.extend(given),
                    RoleAction::Drop => drop_grants(grants, principals),
                }
            }
            CommandKind::MaterializedView { name, source, .. } => {
                let origin = self.origin(file, context, None, name.text.clone());
                let unit = self.take_unit(origin, UnitKind::MaterializedView);
                let definition = MaterializedViewDefinition { location, source: source.text.to_string(), unit };
                let database = self.database_mut(context, None);
                push_first(
                    &mut database.materialized_views.entry(name.text.clone()).or_default().definitions,
                    definition,
                );
            }
            CommandKind::DropMaterializedView { name } => {
                self.database_mut(context, None).materialized_views.remove(&name.text);
            }
            CommandKind::ExternalTable { name, kind, columns, impersonation } => {
                let definition = ExternalTableDefinition {
                    location,
                    kind: kind.as_ref().map(|k| k.text.to_string()),
                    columns: columns
                        .as_ref()
                        .map(|c| c.iter().map(|c| (c.name.to_string(), c.type_name.to_string())).collect()),
                    impersonation: *impersonation,
                };
                let database = self.database_mut(context, None);
                push_first(&mut database.external_tables.entry(name.text.clone()).or_default().definitions, definition);
            }
            CommandKind::DropExternalTable { name } => {
                self.database_mut(context, None).external_tables.remove(&name.text);
            }
            CommandKind::QueryAcceleration { verb, table, payload } => {
                let acceleration = match verb {
                    PolicyVerb::Delete => None,
                    _ => {
                        let json = payload.as_ref().and_then(|p| p.json.as_ref().ok());
                        let enabled =
                            json.and_then(|j| j.member("IsEnabled")).and_then(|m| m.value.as_flag()).map(|f| f.value);
                        let hot_seconds = json
                            .and_then(|j| j.member("Hot"))
                            .and_then(|m| m.value.as_str())
                            .and_then(crate::script::parse::parse_dotnet_timespan);
                        Some(QueryAcceleration { enabled, hot_seconds, location })
                    }
                };
                self.database_mut(context, None)
                    .external_tables
                    .entry(table.text.clone())
                    .or_default()
                    .query_acceleration = acceleration;
            }
            CommandKind::Ingest { table, .. } => {
                let database = self.database_mut(context, table.database.as_ref().map(|d| &*d.text));
                database.know_table(&table.name.text, location);
            }
            CommandKind::DropColumns { table, columns } => {
                let kinds = columns.iter().map(|c| ColumnChangeKind::Drop(c.text.clone())).collect();
                self.column_changes(context, &table.text, location, kinds);
            }
            CommandKind::RenameColumns { renames } => {
                for (table, old, new) in renames {
                    let kind = ColumnChangeKind::Rename { old: old.text.clone(), new: new.text.clone() };
                    self.column_changes(context, &table.text, location, vec![kind]);
                }
            }
            CommandKind::AlterColumnType { table, column, type_name } => {
                let kind = ColumnChangeKind::Retype { column: column.text.clone(), type_name: type_name.text.clone() };
                self.column_changes(context, &table.text, location, vec![kind]);
            }
            CommandKind::ExecuteScript | CommandKind::Other => {}
        }
    }

    /// `.set`/`.set-or-append`/`.set-or-replace T <| query` creates `T` with the query's schema
    /// when `T` does not exist at that point of the scripts.
    fn table_from_query(&mut self, file: FileId, context: &Context, command: &Command, unit: UnitId) {
        let CommandKind::Ingest { table, .. } = &command.kind else { return };
        let database = self.database_mut(context, table.database.as_ref().map(|d| &*d.text));
        // A table the scripts already know (created, or given a policy, which needs it to exist)
        // keeps its columns: the query's rows are appended to it.
        if database.tables.contains_key(&table.name.text) {
            return;
        }
        let definition = TableDefinition {
            location: Location { file, span: command.span },
            name_span: table.name.span,
            columns: Columns::default(),
            verb: TableVerb::Create,
            query: Some(unit),
        };
        database.define_table(&table.name.text, definition);
    }

    /// Column commands on a table the scripts define (others change nothing uplint knows).
    fn column_changes(&mut self, context: &Context, table: &str, location: Location, kinds: Vec<ColumnChangeKind>) {
        let database = self.database_mut(context, None);
        let Some(table) = database.tables.get_mut(table) else { return };
        let after = table.definitions.len();
        table.column_changes.extend(kinds.into_iter().map(|kind| ColumnChange { location, after, kind }));
    }

    /// `.alter`, `.alter-merge` or `.delete table T policy update`.
    fn update_policy(&mut self, file: FileId, context: &Context, location: Location, kind: &CommandKind) {
        let CommandKind::UpdatePolicy { verb, table, payload, properties } = kind else { return };
        let (verb, payload) = (*verb, payload.as_ref());
        let named_db = table.database.as_ref().map(|d| d.text.clone());
        // Entries are numbered by their place in the policy once the command has run.
        let first_index = match verb {
            PolicyVerb::AlterMerge => self
                .database_mut(context, named_db.as_deref())
                .tables
                .get(&table.name.text)
                .map_or(0, |t| t.update_policy.entries.len()),
            _ => 0,
        };
        let mut entries = Vec::new();
        if let Some(payload) = payload {
            // An entry that is not an object is no entry (UP201 reports it).
            let policy = payload.json.as_ref().map(EntryJson::entries).unwrap_or_default();
            // As many as the policy has (a pushed-to list holds room for 4, and most policies
            // have one entry).
            entries.reserve_exact(policy.len());
            for (index, json) in (first_index..).zip(policy) {
                let query = entry_query(&json).map(|_| {
                    let origin =
                        self.origin(file, context, named_db.as_deref(), format!("{}[{index}]", table.name.text).into());
                    self.take_unit(origin, UnitKind::UpdatePolicy)
                });
                entries.push(UpdatePolicyEntry {
                    location: Location { file, span: json.span },
                    json,
                    query,
                    properties: properties.to_vec(),
                    database_written: named_db.as_deref().map(str::to_string),
                });
            }
        }
        let database = self.database_mut(context, named_db.as_deref());
        let policy = &mut database.tables.entry(table.name.text.clone()).or_default().update_policy;
        push_held(
            &mut policy.history,
            UpdatePolicyChange {
                verb,
                location,
                payload: payload.and_then(|p| p.json.as_ref().ok()).cloned(),
                entries: entries.clone(),
            },
        );
        match verb {
            PolicyVerb::Alter => policy.entries = entries,
            PolicyVerb::AlterMerge => policy.entries.extend(entries),
            PolicyVerb::Delete => policy.entries.clear(),
        }
        push_held(&mut policy.commands, location);
    }
}

/// Pushes `item` onto `list`, a list of the model (kept for the whole run) that most often holds
/// one item: its first push makes room for that one, not the four a first push makes room for
/// (a project of many tables with an update policy each held three times the room it used).
/// Later pushes grow it as usual.
fn push_held<T>(list: &mut Vec<T>, item: T) {
    if list.capacity() == 0 {
        list.reserve_exact(1);
    }
    list.push(item);
}

/// The entries of a managed identity policy payload.
fn identity_entries(file: FileId, payload: &Payload) -> Vec<IdentityEntry> {
    payload
        .entries()
        .into_iter()
        .filter_map(|entry| {
            let object_id = entry.member("ObjectId")?;
            let usages = match entry.member("AllowedUsages") {
                Some(member) => split_usages(file, &member.value),
                None => Vec::new(),
            };
            Some(IdentityEntry {
                object_id: object_id.value.as_str().unwrap_or_default().trim().to_string(),
                location: Location { file, span: entry.span },
                usages,
            })
        })
        .collect()
}

/// `"NativeIngestion, AutomatedFlows"`: each usage with its own place in the file.
fn split_usages(file: FileId, value: &JsonValue) -> Vec<(String, Location)> {
    let JsonKind::String { value: text, map } = &value.kind else { return Vec::new() };
    let mut usages = Vec::new();
    let mut offset = 0;
    for part in text.split(',') {
        let trimmed = part.trim();
        if !trimmed.is_empty() {
            let start = offset + (part.len() - part.trim_start().len());
            let span = map.span_to_source(Span::new(start, start + trimmed.len()));
            usages.push((trimmed.to_string(), Location { file, span }));
        }
        offset += part.len() + 1;
    }
    usages
}

/// `.alter` replaces, `.alter-merge` merges usages per `ObjectId`, `.delete` clears (§3.3).
fn apply_identity_policy(
    policy: &mut IdentityPolicy,
    verb: PolicyVerb,
    entries: Vec<IdentityEntry>,
    location: Location,
) {
    policy.history.push(IdentityChange { verb, location, entries: entries.clone() });
    match verb {
        PolicyVerb::Alter => policy.entries = entries,
        PolicyVerb::Delete => policy.entries.clear(),
        PolicyVerb::AlterMerge => {
            for entry in entries {
                match policy.entries.iter_mut().find(|e| e.object_id.eq_ignore_ascii_case(&entry.object_id)) {
                    Some(existing) => {
                        for usage in entry.usages {
                            if !existing.usages.iter().any(|(u, _)| u.eq_ignore_ascii_case(&usage.0)) {
                                existing.usages.push(usage);
                            }
                        }
                    }
                    None => policy.entries.push(entry),
                }
            }
        }
    }
    policy.commands.push(location);
}

#[cfg(test)]
mod tests;

/// The key under which two principals can be the same one: [`same_principal`] compares kind,
/// id and tenant, and a missing tenant agrees with any.
fn principal_key(principal: &Principal) -> (PrincipalKind, String) {
    (principal.kind, principal.id.to_ascii_lowercase())
}

/// Keeps the first of every set of grants to the same principal, in order. Only grants with
/// the same kind and id are compared, so N grants cost O(N) and not O(N²). The grants kept are
/// found by a keyed hash of kind and lower-case id, chained through their indices: no copy of
/// any id (a database given 80,000 principals held each twice more while this ran).
fn dedup_grants(grants: &mut Vec<Grant>) {
    use std::hash::{BuildHasher, Hasher};
    const NONE: u32 = u32::MAX;
    let state = std::hash::RandomState::new();
    let key = |principal: &Principal| {
        let mut hasher = state.build_hasher();
        hasher.write_u8(principal.kind as u8);
        for byte in principal.id.bytes() {
            hasher.write_u8(byte.to_ascii_lowercase());
        }
        hasher.finish()
    };
    // The last grant kept under each key, and for each grant kept the one kept before it.
    let mut last: FxHashMap<u64, u32> = FxHashMap::default();
    let mut earlier: Vec<u32> = vec![NONE; grants.len()];
    let mut keep = Vec::with_capacity(grants.len());
    for (index, grant) in grants.iter().enumerate() {
        let principal = &grant.principal;
        let slot = last.entry(key(principal)).or_insert(NONE);
        let mut other = *slot;
        let mut duplicate = false;
        while other != NONE {
            let kept = &grants[other as usize].principal;
            if same_principal(kept, principal) {
                duplicate = true;
                break;
            }
            other = earlier[other as usize];
        }
        if !duplicate {
            earlier[index] = *slot;
            *slot = index as u32;
        }
        keep.push(!duplicate);
    }
    drop((last, earlier));
    let mut keep = keep.into_iter();
    grants.retain(|_| keep.next().unwrap_or(true));
    grants.shrink_to_fit();
}

/// Removes the grants to any of `principals`, comparing each grant only with the dropped
/// principals of its kind and id.
fn drop_grants(grants: &mut Vec<Grant>, principals: &[Principal]) {
    let mut dropped: FxHashMap<(PrincipalKind, String), Vec<Option<&str>>> = FxHashMap::default();
    for principal in principals {
        dropped.entry(principal_key(principal)).or_default().push(principal.tenant.as_deref());
    }
    grants.retain(|grant| {
        let tenant = grant.principal.tenant.as_deref();
        !dropped
            .get(&principal_key(&grant.principal))
            .is_some_and(|tenants| tenants.iter().any(|&t| tenants_agree(t, tenant)))
    });
}
