//! UP007: a policy reads a table, function or database that the project does not describe, so
//! what it reads could not be checked.

use super::{Context, PolicyView, Rule, RuleMeta, chain_labels, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::model::changes::{DatabaseId, Part};
use crate::model::{Cluster, Database, Location, Model, push_first, same_database};
use crate::resolve::{Access, AccessKind, Unresolved, known_tables};

pub struct UnresolvedReference;

static META: RuleMeta = RuleMeta {
    code: "UP007",
    name: "unresolved-reference",
    severity: Severity::Warning,
    summary: "An update policy (or a function it calls) reads a table, function or database that the project does not define, so what it reads could not be checked.",
    doc: include_str!("../../rules/UP007-unresolved-reference.md"),
    sources: &[sources::UPDATE_POLICY, sources::CROSS_DATABASE_QUERIES, sources::USER_DEFINED_FUNCTIONS],
};

/// How many other places defining the name a diagnostic shows.
const MAX_ELSEWHERE: usize = 3;

impl Rule for UnresolvedReference {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_policy(&self) -> bool {
        true
    }

    /// A finding also names where else the project defines the name read (any database): it
    /// is kept only while no database's name, known tables or entity of that name changed.
    fn keeps_policy(&self, changes: &FxHashSet<(DatabaseId, Part)>, view: &PolicyView<'_>) -> bool {
        !changes.iter().any(|(_, part)| match part {
            Part::Database | Part::KnownTables => true,
            Part::Entity(name) => view.reads.iter().any(|a| a.unresolved.is_some() && *a.name == **name),
        })
    }

    fn check_policy(&self, context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        if view.is_disabled() {
            return;
        }
        // One diagnostic per missing thing of a policy, at its first place.
        let mut seen: FxHashSet<(Option<String>, String, &str)> = FxHashSet::default();
        for access in view.reads {
            let Some(unresolved) = access.unresolved else { continue };
            // Another cluster is never allowed: UP101 reports it as an error.
            if view.is_other_cluster(access.cluster.as_deref()) {
                continue;
            }
            let key =
                (access.cluster.as_ref().map(|c| c.to_lowercase()), access.database.to_lowercase(), &*access.name);
            if !seen.insert(key) {
                continue;
            }
            // Made when a first finding needs it (most checks have none), once per check.
            let definitions = context.definitions.get_or_init(|| definitions_of(&context.workspace.model));
            out.push(diagnostic(context, definitions, view, access, unresolved));
        }
    }
}

/// `table`, `function`, `materialized view`...: what the access names, as written.
fn what(access: &Access) -> &'static str {
    match access.kind {
        AccessKind::UnknownFunction => "function",
        AccessKind::MaterializedView => "materialized view",
        AccessKind::ExternalTable => "external table",
        AccessKind::TablePattern => "tables",
        // A bare name may be a table or a function without arguments.
        AccessKind::Table => "table",
    }
}

fn diagnostic(
    context: &Context<'_>,
    definitions: &Definitions<'_>,
    view: &PolicyView<'_>,
    access: &Access,
    unresolved: Unresolved,
) -> Diagnostic {
    let qualified = format!("{}.{}", access.database, access.name);
    let on_cluster = match &access.cluster {
        Some(cluster) if !view.cluster.name.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(cluster)) => {
            format!(" of cluster `{cluster}`")
        }
        _ => String::new(),
    };
    let calls: Vec<&str> = access.chain.iter().filter_map(|step| step.calls.as_deref()).collect();
    let through = match calls.len() {
        0 => String::new(),
        // A chain thousands deep names its ends, as the labels do.
        n if n > super::MAX_CHAIN_LABELS => format!(
            " through `{}` → … ({} more calls) → `{}`",
            calls[..3].join("` → `"),
            n - 5,
            calls[n - 2..].join("` → `")
        ),
        _ => format!(" through `{}`", calls.join("` → `")),
    };
    let verb = if access.kind == AccessKind::UnknownFunction { "calls" } else { "reads" };
    let (message, reference) = match unresolved {
        Unresolved::Database if access.database.contains('*') => (
            format!(
                "the update policy of `{}` {verb} `{qualified}`{through}, but no database of the project matches `{}`",
                view.target(),
                access.database
            ),
            format!("no database of the project matches `{}`", access.database),
        ),
        Unresolved::Database => (
            format!(
                "the update policy of `{}` {verb} `{qualified}`{through}, but the project describes no database `{}`{on_cluster}",
                view.target(),
                access.database
            ),
            format!("the project describes no database `{}`{on_cluster}", access.database),
        ),
        Unresolved::Entity if access.kind == AccessKind::Table => (
            format!(
                "the update policy of `{}` reads `{qualified}`{through}, but database `{}` defines no table or function `{}`",
                view.target(),
                access.database,
                access.name
            ),
            format!("database `{}` defines no table or function `{}`", access.database, access.name),
        ),
        Unresolved::Entity => (
            format!(
                "the update policy of `{}` {verb} `{qualified}`{through}, but database `{}` defines no {} `{}`",
                view.target(),
                access.database,
                what(access),
                access.name
            ),
            format!("database `{}` defines no {} `{}`", access.database, what(access), access.name),
        ),
    };
    let mut primary = view.primary_for(access, &format!("{verb} `{qualified}` (not in the project)"));
    let step = access.reference();
    let inside = |label: &Label| {
        step.location.file == label.file
            && label.span.start <= step.location.span.start
            && step.location.span.end <= label.span.end
    };
    let mut labels = chain_labels(access, &reference, &primary);
    if inside(&primary) {
        // Written in the `Query` itself: the primary label says why.
        labels.retain(|label| !(label.span == step.location.span && label.file == step.location.file));
        primary.message = reference.as_str().into();
    }
    let mut diagnostic = META.diagnostic(message, primary);
    diagnostic.labels.extend(labels);
    // The functions the chain calls are how the read is reached, not where it could be defined.
    let called: Vec<&str> = access.chain.iter().filter_map(|step| step.calls.as_deref()).collect();
    let mut elsewhere = defined_elsewhere(&context.workspace.model, definitions, access);
    elsewhere.retain(|(_, _, kind)| !(*kind == "function" && called.contains(&&*access.name)));
    for (database, location, kind) in elsewhere.iter().take(MAX_ELSEWHERE) {
        if let Some(location) = location {
            diagnostic = diagnostic.with_label(Label::new(
                location.file,
                location.span,
                format!("a {kind} `{}` is defined here, in database `{database}`", access.name),
            ));
        }
    }
    if let Some((database, _, kind)) = elsewhere.first() {
        let mut places: Vec<String> = elsewhere.iter().map(|(d, _, _)| format!("`{d}`")).collect();
        places.dedup();
        diagnostic = diagnostic.with_note(format!(
            "a {kind} `{}` is defined in database {}; if the file that defines it runs against `{}`, map it there: \
             `#connect cluster('<cluster>').database('{}')` at its top, or a `[[databases]]` entry with \
             `name = \"{}\"` and its `paths` in uplint.toml (database `{database}` is where uplint filed it)",
            access.name,
            places.join(", "),
            access.database,
            access.database,
            access.database,
        ));
    }
    if access.kind == AccessKind::UnknownFunction {
        let other = if same_database(&access.database, &view.database.name) {
            String::new()
        } else {
            format!("; its call still counts as a read of database `{}` (UP001, UP004)", access.database)
        };
        diagnostic = diagnostic
            .with_note(format!("the body of `{qualified}` is not in the project, so what it reads is unknown{other}"));
    }
    diagnostic.with_note(META.cite(
        "ADX checks a policy's query when the policy is set, not when what it reads changes; uplint can check \
         only what the project describes, so add the scripts that define it (a script mirroring the cluster will do)",
        sources::UPDATE_POLICY,
    ))
}

/// What the project defines, by name: `(cluster, database, location if known, kind)`.
pub(crate) type Definitions<'a> = FxHashMap<&'a str, Vec<(&'a Cluster, &'a Database, Option<Location>, Kind)>>;

/// What a name is defined as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Table,
    Function,
    MaterializedView,
    ExternalTable,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Table => "table",
            Kind::Function => "function",
            Kind::MaterializedView => "materialized view",
            Kind::ExternalTable => "external table",
        }
    }

    /// True when an access of `kind` could mean a definition of this kind.
    fn fits(self, kind: AccessKind) -> bool {
        match kind {
            AccessKind::UnknownFunction => self == Kind::Function,
            AccessKind::MaterializedView => self == Kind::MaterializedView,
            AccessKind::ExternalTable => self == Kind::ExternalTable,
            AccessKind::TablePattern => false,
            AccessKind::Table => self != Kind::ExternalTable,
        }
    }
}

/// Every definition of the model, by name (built once per run).
fn definitions_of(model: &Model) -> Definitions<'_> {
    let mut index: Definitions<'_> = FxHashMap::default();
    for cluster in model.clusters.values() {
        for database in cluster.databases.values() {
            for (name, table) in &database.tables {
                let location = table
                    .definitions
                    .last()
                    .map(|d| Location { file: d.location.file, span: d.name_span })
                    .or(table.update_policy.commands.last().copied());
                push_first(index.entry(&**name).or_default(), (cluster, database, location, Kind::Table));
            }
            for name in known_tables(database) {
                if !database.tables.contains_key(name) {
                    push_first(index.entry(name).or_default(), (cluster, database, None, Kind::Table));
                }
            }
            for (name, function) in &database.functions {
                if let Some(definition) = function.effective() {
                    push_first(
                        index.entry(&**name).or_default(),
                        (
                            cluster,
                            database,
                            Some(Location { file: definition.location.file, span: definition.name_span }),
                            Kind::Function,
                        ),
                    );
                }
            }
            for (name, view) in &database.materialized_views {
                let location = view.definitions.last().map(|d| d.location);
                push_first(index.entry(&**name).or_default(), (cluster, database, location, Kind::MaterializedView));
            }
            for (name, external) in &database.external_tables {
                let location = external.definitions.last().map(|d| d.location);
                push_first(index.entry(&**name).or_default(), (cluster, database, location, Kind::ExternalTable));
            }
        }
    }
    index
}

/// Where else the project defines something the access could mean: `(database, location if
/// known, kind)`, the databases of the access's own cluster first.
fn defined_elsewhere<'a>(
    model: &'a Model,
    definitions: &Definitions<'a>,
    access: &Access,
) -> Vec<(&'a str, Option<Location>, &'static str)> {
    let own_cluster = model.cluster(access.cluster.as_deref());
    let is_own = |cluster: &Cluster| own_cluster.is_some_and(|own| std::ptr::eq(own, cluster));
    let mut found: Vec<_> = definitions
        .get(&*access.name)
        .into_iter()
        .flatten()
        .filter(|(cluster, database, _, kind)| {
            kind.fits(access.kind) && !(is_own(cluster) && same_database(&database.name, &access.database))
        })
        .collect();
    found.sort_by_key(|(cluster, ..)| !is_own(cluster));
    found.into_iter().map(|(_, database, location, kind)| (database.name.as_str(), *location, kind.as_str())).collect()
}
