//! The rules: one per file, behind [`Rule`], listed once in [`RULES`].
//!
//! A rule reads the model and the resolution, never text. Each rule's metadata (code, name,
//! default severity, summary, public sources) is written once, next to its documentation page
//! in `rules/`, which `uplint rule` prints and whose examples the tests run. The codes uplint
//! raises itself (syntax errors, unreadable files...) have the same metadata and pages, listed in
//! [`builtin::CODES`]; [`all_codes`] is every code uplint can print.

pub mod builtin;
mod callout_plugin;
mod cross_cluster_reference;
mod cross_database_in_policy_query;
mod cross_database_without_identity;
mod disabled_policy;
mod duplicate_column;
mod external_data;
mod identity_not_allowed;
mod identity_policy_replaced;
mod invalid_managed_identity;
mod invalid_policy_json;
mod materialized_view_over_target;
mod missing_viewer_grant;
mod non_transactional_policy;
mod policy_replaced;
mod qualified_source_reference;
mod query_column_order;
mod query_schema_mismatch;
mod restricted_view_access_table;
mod row_level_security_without_identity;
mod schema_unverified;
mod source_not_referenced;
pub mod sources;
mod string_boolean;
pub use crate::resolve::matches_wildcard;
pub use unknown_policy_property::intended_property;
mod unknown_column;
mod unknown_policy_property;
mod unknown_source_table;
mod unresolved_reference;
mod unverifiable_system_identity;
mod update_policy_cycle;
mod wildcard_source_without_skipvalidation;
mod zero_retention_non_transactional;

use crate::diagnostic::{Code, CodeInfo, Diagnostic, Held, Label, Note, Severity, Subject, Texts};
use crate::kql::types::TableType;
use crate::model::changes::{DatabaseId, Part};
use crate::model::{Cluster, Database, IdentityEntry, Location, Retention, UpdatePolicyEntry, same_database};
use crate::resolve::{Access, AccessKind, Effect, Resolution, Step};
use crate::script::command::{Principal, PrincipalKind, property};
use crate::script::payload::{Flag, JsonKind};
use crate::source::FileId;
use crate::span::Span;
use crate::typecheck;
use crate::unit::UnitId;
use crate::workspace::Workspace;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use std::borrow::Cow;
use std::sync::Arc;

/// What every rule declares about itself.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable code (`UP001`).
    pub code: &'static str,
    /// Stable kebab-case name (`cross-database-without-identity`).
    pub name: &'static str,
    pub severity: Severity,
    /// One line.
    pub summary: &'static str,
    /// The documentation page (`rules/<CODE>-<name>.md`).
    pub doc: &'static str,
    /// The public pages (learn.microsoft.com, from [`sources`]) that the rule stands on, most
    /// relevant first; its page lists them under `## Sources`.
    pub sources: &'static [&'static str],
}

impl RuleMeta {
    /// True when `code_or_name` is this code or name (case-insensitive).
    pub fn matches(&self, code_or_name: &str) -> bool {
        self.code.eq_ignore_ascii_case(code_or_name) || self.name.eq_ignore_ascii_case(code_or_name)
    }

    pub fn code(&self) -> Code {
        Code { code: self.code, name: self.name }
    }

    /// A diagnostic of this rule.
    pub fn diagnostic(&self, message: impl Into<crate::diagnostic::Text>, primary: Label) -> Diagnostic {
        Diagnostic::new(self.code(), self.severity, message, primary)
    }

    /// A note stating `fact`, citing `source` (one of [`RuleMeta::sources`]) and this code's page:
    /// `fact; see <url> and `uplint rule UP001``. A fact written in the program (`&'static`)
    /// gives one text for the whole process, shared by every diagnostic that cites it; a fact
    /// made for one finding, its own text.
    pub fn cite(&self, fact: impl Into<Cow<'static, str>>, source: &'static str) -> Note {
        debug_assert!(self.sources.contains(&source), "{}: {source} is not among its sources", self.code);
        match fact.into() {
            Cow::Borrowed(fact) => Cow::Borrowed(cited(fact, source, self.code)),
            Cow::Owned(fact) => Cow::Owned(format!("{fact}; see {source} and `uplint rule {}`", self.code)),
        }
    }
}

/// The text of [`RuleMeta::cite`] for a fact written in the program, made once per process: the
/// set of such facts is fixed by the program, so what is kept stays bounded.
fn cited(fact: &'static str, source: &'static str, code: &'static str) -> &'static str {
    type Cited = FxHashMap<(&'static str, &'static str, &'static str), &'static str>;
    static CITED: std::sync::LazyLock<std::sync::Mutex<Cited>> = std::sync::LazyLock::new(Default::default);
    // A panic elsewhere while the lock was held leaves the map as it was: still usable.
    let mut cited = CITED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    cited
        .entry((fact, source, code))
        .or_insert_with(|| String::leak(format!("{fact}; see {source} and `uplint rule {code}`")))
}

/// A lint over the whole project.
///
/// A rule's findings that each concern one database and depend on nothing outside it (and
/// the settings) come from [`Rule::check_database`], run for every database in order; those
/// about one policy entry that look only at what [`Rule::check_policy`] says, from it, run for
/// every entry in order (a check keeping results keeps both while an edit leaves what they look
/// at unchanged, [`Kept`]); the others from [`Rule::check`], after them.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;

    /// The findings that look across databases.
    fn check(&self, _context: &Context<'_>, _out: &mut Vec<Diagnostic>) {}

    /// True when the rule has findings of one database ([`Rule::check_database`]).
    fn per_database(&self) -> bool {
        false
    }

    /// The findings that concern `database` alone.
    fn check_database(&self, _context: &Context<'_>, _database: &Database, _out: &mut Vec<Diagnostic>) {}

    /// True when the rule has findings of one policy entry ([`Rule::check_policy`]).
    fn per_policy(&self) -> bool {
        false
    }

    /// The findings about the entry of `view` that depend only on the entry, its table, its
    /// cluster, its database as a whole (name, identity policy, roles, retention, known tables),
    /// the tables its Source names, what it reads and runs (and the databases of what it reads),
    /// its output, and the settings: a check keeping results keeps them while none of these
    /// changed. A rule that looks at more of the database says so in [`Rule::keeps_policy`].
    fn check_policy(&self, _context: &Context<'_>, _view: &PolicyView<'_>, _out: &mut Vec<Diagnostic>) {}

    /// For a rule whose findings about an entry also look at more than [`Rule::check_policy`]
    /// says: false when `changes` reach what they look at (then they are found again).
    fn keeps_policy(&self, _changes: &FxHashSet<(DatabaseId, Part)>, _view: &PolicyView<'_>) -> bool {
        true
    }
}

/// Every rule, in code order.
pub static RULES: &[&dyn Rule] = &[
    &cross_database_without_identity::CrossDatabaseWithoutIdentity,
    &row_level_security_without_identity::RowLevelSecurityWithoutIdentity,
    &identity_not_allowed::IdentityNotAllowed,
    &missing_viewer_grant::MissingViewerGrant,
    &unverifiable_system_identity::UnverifiableSystemIdentity,
    &invalid_managed_identity::InvalidManagedIdentity,
    &unresolved_reference::UnresolvedReference,
    &cross_cluster_reference::CrossClusterReference,
    &callout_plugin::CalloutPlugin,
    &external_data::ExternalData,
    &restricted_view_access_table::RestrictedViewAccessTable,
    &qualified_source_reference::QualifiedSourceReference,
    &cross_database_in_policy_query::CrossDatabaseInPolicyQuery,
    &source_not_referenced::SourceNotReferenced,
    &invalid_policy_json::InvalidPolicyJson,
    &unknown_policy_property::UnknownPolicyProperty,
    &unknown_source_table::UnknownSourceTable,
    &update_policy_cycle::UpdatePolicyCycle,
    &policy_replaced::PolicyReplaced,
    &zero_retention_non_transactional::ZeroRetentionNonTransactional,
    &non_transactional_policy::NonTransactionalPolicy,
    &disabled_policy::DisabledPolicy,
    &wildcard_source_without_skipvalidation::WildcardSourceWithoutSkipvalidation,
    &string_boolean::StringBoolean,
    &materialized_view_over_target::MaterializedViewOverTarget,
    &identity_policy_replaced::IdentityPolicyReplaced,
    &query_schema_mismatch::QuerySchemaMismatch,
    &query_column_order::QueryColumnOrder,
    &unknown_column::UnknownColumn,
    &duplicate_column::DuplicateColumn,
    &schema_unverified::SchemaUnverified,
];

/// The metadata of every code uplint reports, in code order, as renderers get it (SARIF's rule
/// descriptions and help links come from here).
pub fn catalog() -> Vec<CodeInfo> {
    all_codes()
        .map(|meta| CodeInfo {
            code: meta.code,
            name: meta.name,
            severity: meta.severity,
            summary: meta.summary,
            doc: meta.doc,
            help_uri: meta.sources.first().copied(),
        })
        .collect()
}

/// The rule with this code or name (case-insensitive).
pub fn find(code_or_name: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.meta().matches(code_or_name))
}

/// The metadata of every code uplint can print: the rules', then [`builtin::CODES`].
pub fn all_codes() -> impl Iterator<Item = &'static RuleMeta> {
    RULES.iter().map(|r| r.meta()).chain(builtin::CODES.iter().copied())
}

/// The metadata of any code uplint can print, by code or name (case-insensitive).
pub fn find_code(code_or_name: &str) -> Option<&'static RuleMeta> {
    all_codes().find(|meta| meta.matches(code_or_name))
}

/// Facts that live only on the cluster: given on the command line (for every cluster) or per
/// cluster in configuration (`[[clusters]]`).
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Principals holding the cluster roles AllDatabasesViewer or AllDatabasesAdmin on every
    /// cluster (`--all-databases-viewer`).
    pub all_databases_viewers: Vec<Principal>,
    /// The object id of the system-assigned identity of every cluster (`--system-identity`);
    /// it overrides the configuration's.
    pub system_identity: Option<String>,
    /// Per cluster, from configuration.
    pub clusters: Vec<ClusterFacts>,
}

/// What configuration says about one cluster.
#[derive(Clone, Debug, Default)]
pub struct ClusterFacts {
    /// The host name, normalised like `cluster()`.
    pub name: String,
    pub system_identity: Option<String>,
    /// Principals holding AllDatabasesViewer or AllDatabasesAdmin.
    pub all_databases_viewers: Vec<Principal>,
}

impl Settings {
    fn facts(&self, cluster: Option<&str>) -> Option<&ClusterFacts> {
        let cluster = cluster?;
        self.clusters.iter().find(|c| c.name.eq_ignore_ascii_case(cluster))
    }

    /// The object id of the system-assigned identity of `cluster`, if known.
    pub fn system_identity(&self, cluster: Option<&str>) -> Option<&str> {
        self.system_identity.as_deref().or_else(|| self.facts(cluster)?.system_identity.as_deref())
    }

    /// True when the app `object_id` holds AllDatabasesViewer or AllDatabasesAdmin on `cluster`.
    pub fn reads_every_database(&self, cluster: Option<&str>, object_id: &str) -> bool {
        let given = self.facts(cluster).map_or(&[][..], |c| c.all_databases_viewers.as_slice());
        self.all_databases_viewers
            .iter()
            .chain(given)
            .any(|p| matches!(p.kind, PrincipalKind::App) && p.id.eq_ignore_ascii_case(object_id))
    }

    /// A principal given on the command line: `aadapp=<id>[;tenant]`, or a bare object id.
    pub fn parse_principal(text: &str) -> Principal {
        let principal = Principal::parse(text, Span::default());
        if principal.kind == PrincipalKind::Unknown && !text.contains('=') {
            Principal { kind: PrincipalKind::App, ..principal }
        } else {
            principal
        }
    }
}

/// The `ManagedIdentity` of a policy entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// Absent, `null` or empty.
    Absent,
    /// `system`: the cluster's system-assigned identity.
    System { span: Span },
    /// A GUID: a user-assigned identity's object (principal) id.
    ObjectId { id: String, span: Span },
    /// Anything else, as written (a name, a number...).
    Invalid { written: String, span: Span },
}

impl Identity {
    fn of(entry: &UpdatePolicyEntry) -> Identity {
        let Some(member) = entry.json.member("ManagedIdentity") else { return Identity::Absent };
        let span = member.value.span;
        match &member.value.kind {
            JsonKind::Null => Identity::Absent,
            JsonKind::String { value, .. } if value.trim().is_empty() => Identity::Absent,
            JsonKind::String { value, .. } if value.trim().eq_ignore_ascii_case("system") => Identity::System { span },
            JsonKind::String { value, .. } if is_guid(value.trim()) => {
                Identity::ObjectId { id: value.trim().to_string(), span }
            }
            JsonKind::String { value, .. } => Identity::Invalid { written: value.to_string(), span },
            _ => Identity::Invalid { written: member.value.to_plain().to_string(), span },
        }
    }

    /// True when the identity of a managed identity policy entry is this one.
    pub fn matches(&self, entry: &IdentityEntry) -> bool {
        match self {
            Identity::System { .. } => entry.object_id.eq_ignore_ascii_case("system"),
            Identity::ObjectId { id, .. } => entry.object_id.eq_ignore_ascii_case(id),
            _ => false,
        }
    }

    /// As written in a policy: `system` or the object id.
    pub fn text(&self) -> Option<&str> {
        match self {
            Identity::System { .. } => Some("system"),
            Identity::ObjectId { id, .. } => Some(id),
            _ => None,
        }
    }
}

/// `8-4-4-4-12` hexadecimal digits.
pub fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// One update policy entry in effect, with what its query reads.
pub struct PolicyView<'a> {
    pub cluster: &'a Cluster,
    pub database: &'a Database,
    /// The table that owns the policy.
    pub table: &'a str,
    pub entry: &'a UpdatePolicyEntry,
    pub unit: Option<UnitId>,
    pub reads: &'a [Access],
    /// The plugins and external data it runs.
    pub effects: &'a [Effect],
    /// True when everything it reads is known: resolved in the project, and no query or function
    /// it reaches has a syntax error or a `table(x)`/`database(x)` whose name is not a constant.
    pub reads_complete: bool,
    pub identity: Identity,
    /// `"IsEnabled": false` (read once: many rules ask).
    disabled: bool,
}

impl<'a> PolicyView<'a> {
    /// The database of the entry, as [`Changes`](crate::model::changes::Changes) name it.
    pub fn database_id(&self) -> DatabaseId {
        (self.cluster.name.as_deref().map(str::to_lowercase), crate::model::DatabaseKey::new(&self.database.name))
    }

    /// The first read of each distinct `kind` entity (database compared case-insensitively),
    /// so a rule reports a table once however many places read it.
    pub fn distinct_reads(&self, kind: AccessKind) -> impl Iterator<Item = &'a Access> + use<'a> {
        let mut seen = rustc_hash::FxHashSet::default();
        let reads: &'a [Access] = self.reads;
        reads.iter().filter(move |a| a.kind == kind && seen.insert((a.database.to_lowercase(), &*a.name)))
    }

    /// The table of the model that `access` reads (on the policy's cluster unless it names one).
    pub fn read_table(&self, model: &'a crate::model::Model, access: &Access) -> Option<&'a crate::model::Table> {
        let cluster = access.cluster.as_deref().or(self.cluster.name.as_deref());
        model.database(cluster, &access.database)?.tables.get(&*access.name)
    }

    /// The view of `entry`, an entry of the update policy of `table` in `database`.
    pub fn new(
        cluster: &'a Cluster,
        database: &'a Database,
        table: &'a str,
        entry: &'a UpdatePolicyEntry,
        resolution: &'a Resolution,
    ) -> PolicyView<'a> {
        PolicyView {
            cluster,
            database,
            table,
            entry,
            unit: entry.query,
            reads: entry.query.map_or(&[][..], |u| resolution.reads(u)),
            effects: entry.query.map_or(&[][..], |u| resolution.effects(u)),
            reads_complete: entry.query.is_some_and(|u| resolution.is_exact(u) && resolution.is_complete(u)),
            identity: Identity::of(entry),
            disabled: !entry.is_enabled(),
        }
    }

    /// The managed identity policy entries that could allow this policy's identity: the
    /// cluster's and the database's (additive).
    pub fn identity_entries(&self) -> impl Iterator<Item = &'a IdentityEntry> + 'a {
        self.cluster.managed_identity.entries.iter().chain(self.database.managed_identity.entries.iter())
    }

    /// An identity that the project allows for `AutomatedFlows`, to suggest in a fix.
    pub fn suggested_identity(&self) -> String {
        self.identity_entries()
            .find(|e| {
                e.allows("AutomatedFlows") && (e.object_id.eq_ignore_ascii_case("system") || is_guid(&e.object_id))
            })
            .map_or_else(|| "system".to_string(), |e| e.object_id.clone())
    }
}

impl PolicyView<'_> {
    /// True when the entry is switched off (`"IsEnabled": false`); such entries never run.
    pub fn is_disabled(&self) -> bool {
        self.disabled
    }

    /// A boolean property (`true`, or a string spelling one).
    pub fn flag(&self, name: &str) -> Option<Flag> {
        self.entry.json.member(name).and_then(|m| m.value.as_flag())
    }

    /// The `Source` value and its span, when it is a string.
    pub fn source(&self) -> Option<(&str, Span)> {
        let member = self.entry.json.member("Source")?;
        member.value.as_str().map(|s| (s, member.value.span))
    }

    /// True when `SourceIsWildCard` is true.
    pub fn source_is_wildcard(&self) -> bool {
        self.flag("SourceIsWildCard").is_some_and(|f| f.value)
    }

    /// True when the command that set the entry says `AllowUnreferencedSourceTable=true`.
    pub fn allows_unreferenced_source(&self) -> bool {
        property(&self.entry.properties, "AllowUnreferencedSourceTable").and_then(|p| p.as_bool()) == Some(true)
    }

    /// True when `cluster` (as an access names it) is another cluster than the policy's.
    pub fn is_other_cluster(&self, cluster: Option<&str>) -> bool {
        match (cluster, self.cluster.name.as_deref()) {
            (None, _) => false,
            (Some(named), Some(own)) => !named.eq_ignore_ascii_case(own),
            (Some(_), None) => true,
        }
    }

    /// Where a diagnostic about one property goes: its value, else the entry.
    pub fn property_label(&self, name: &str, message: impl Into<crate::diagnostic::Text>) -> Label {
        let span = self.entry.json.member(name).map_or(self.entry.location.span, |m| m.value.span);
        Label::new(self.entry.location.file, span, message)
    }

    /// The source table's soft-delete period when the project sets it to 0 (at table level,
    /// else at database level), with where.
    pub fn zero_retention_source(&self) -> Option<&Retention> {
        let (source, _) = self.source()?;
        let table = self.database.tables.get(source);
        let retention = table.and_then(|t| t.retention.as_ref()).or(self.database.retention.as_ref())?;
        (retention.soft_delete_seconds == 0.0).then_some(retention)
    }

    /// The reads of other databases of the same cluster, one per database (the first met).
    pub fn other_databases(&self) -> Vec<&Access> {
        let mut seen: Vec<&Access> = Vec::new();
        for access in self.reads {
            let same_cluster = match &access.cluster {
                None => true,
                Some(cluster) => self.cluster.name.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(cluster)),
            };
            // A call of a function whose body is not in the project still reads its database
            // (its names resolve there); a database pattern that matches no database of the
            // project is read as itself.
            if !same_cluster {
                continue;
            }
            if same_database(&access.database, &self.database.name) {
                continue;
            }
            if !seen.iter().any(|a| same_database(&a.database, &access.database)) {
                seen.push(access);
            }
        }
        seen
    }

    /// Where the diagnostic about this entry goes: its `Query` value, else the entry.
    pub fn primary(&self, message: impl Into<crate::diagnostic::Text>) -> Label {
        let span = self.entry.json.member("Query").map_or(self.entry.location.span, |m| m.value.span);
        Label::new(self.entry.location.file, span, message)
    }

    /// The table that owns the policy, qualified by its database: `Sales.Orders`.
    pub fn target(&self) -> String {
        format!("{}.{}", self.database.name, self.table)
    }

    /// The `.alter table ... policy update` command that sets the whole policy in effect with
    /// `identity` as this entry's `ManagedIdentity`.
    pub fn alter_with_identity(&self, identity: &str) -> String {
        let table = self.database.tables.get(self.table);
        let all = table.map(|t| t.update_policy.entries.as_slice()).unwrap_or_default();
        if all.len() > MAX_ENTRIES_IN_HELP {
            // The whole command would repeat every entry in the help of each of them: name the
            // one entry to change instead, so N entries give output of size O(N), not O(N²).
            let mut plain = self.entry.json.to_plain();
            if let serde_json::Value::Object(members) = &mut plain {
                members.retain(|k, _| !k.eq_ignore_ascii_case("ManagedIdentity"));
                members.insert("ManagedIdentity".to_string(), serde_json::Value::String(identity.to_string()));
            }
            let index = all.iter().position(|e| std::ptr::eq(e, self.entry)).unwrap_or_default();
            return format!(
                "in entry {index} (counting from 0) of the update policy of {}, add \"ManagedIdentity\": {}: {plain}",
                bracketed(self.table),
                serde_json::Value::String(identity.to_string())
            );
        }
        let entries: Vec<serde_json::Value> = all
            .iter()
            .map(|e| {
                let mut plain = e.json.to_plain();
                if std::ptr::eq(e, self.entry) {
                    if let serde_json::Value::Object(members) = &mut plain {
                        members.retain(|k, _| !k.eq_ignore_ascii_case("ManagedIdentity"));
                        members.insert("ManagedIdentity".to_string(), serde_json::Value::String(identity.to_string()));
                    }
                }
                plain
            })
            .collect();
        let json = serde_json::Value::Array(entries).to_string().replace('\'', "''");
        let table = match &self.entry.database_written {
            Some(database) => qualified(database, self.table),
            None => bracketed(self.table),
        };
        format!(".alter table {table} policy update @'{json}'")
    }

    /// The primary label of a diagnostic about `access`: on the `Query` value, saying what it
    /// calls when the chain starts with a call written there.
    pub fn primary_for(&self, access: &Access, what: &str) -> Label {
        self.primary_for_chain(&access.chain, what)
    }

    /// [`Self::primary_for`] for any chain of steps (an access's or an effect's).
    pub fn primary_for_chain(&self, chain: &[Step], what: &str) -> Label {
        let label = self.primary("");
        let first_call = chain.first().filter(|step| {
            step.calls.is_some()
                && label.span.start <= step.location.span.start
                && step.location.span.end <= label.span.end
        });
        let message = match first_call.and_then(|step| step.calls.as_deref()) {
            Some(function) => format!("calls `{function}`, which {what}"),
            None => what.to_string(),
        };
        Label { message: message.into(), ..label }
    }
}

/// Every property of every update policy entry as a command of the project wrote it (also
/// entries a later command replaced: ADX checks each command's JSON when it runs), with the
/// policy's table (its name as `database.table` is made only for a finding: this walks every
/// property of the project).
pub fn written_policy_members(
    model: &crate::model::Model,
) -> impl Iterator<Item = (PolicyTable<'_>, &UpdatePolicyEntry, &crate::script::payload::JsonMember)> {
    model.clusters.values().flat_map(|c| c.databases.values()).flat_map(database_policy_members)
}

/// [`written_policy_members`] of one database.
pub fn database_policy_members(
    database: &Database,
) -> impl Iterator<Item = (PolicyTable<'_>, &UpdatePolicyEntry, &crate::script::payload::JsonMember)> {
    database.tables.iter().flat_map(move |(table, t)| {
        let entries = t.update_policy.history.iter().flat_map(|change| &change.entries);
        entries.flat_map(move |entry| {
            let members = match &entry.json.kind {
                JsonKind::Object(members) => members.as_slice(),
                _ => &[],
            };
            members.iter().map(move |member| (PolicyTable { database: &database.name, table }, entry, member))
        })
    })
}

/// The table that owns an update policy, shown as `database.table`.
#[derive(Clone, Copy, Debug)]
pub struct PolicyTable<'a> {
    pub database: &'a str,
    pub table: &'a str,
}

impl std::fmt::Display for PolicyTable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.database, self.table)
    }
}

/// `Db.T`, bracketing names that are not plain identifiers.
pub fn qualified(database: &str, name: &str) -> String {
    format!("{}.{}", bracketed(database), bracketed(name))
}

/// A name as a command can take it: bare when it is an identifier, else `['...']`.
pub fn bracketed(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain { name.to_string() } else { format!("['{}']", name.replace('\\', "\\\\").replace('\'', "\\'")) }
}

/// What an access reads, as messages name it: `Reference.Countries`.
pub fn read_name(access: &Access) -> String {
    format!("{}.{}", access.database, access.name)
}

/// The label message of the reference that ends an access's chain.
pub fn reference_message(access: &Access) -> String {
    let what = read_name(access);
    match (&access.kind, &access.pattern) {
        (AccessKind::UnknownFunction, _) => format!("calls `{what}`, whose body is not in the project"),
        (_, Some(pattern)) => format!("reads `{what}` here (database `{pattern}` matches `{}`)", access.database),
        _ => format!("reads `{what}` here"),
    }
}

/// Notes that say what the reads of other databases stand on when the project does not show
/// all of it: a function whose body is missing, a database pattern.
pub fn partial_read_notes(view: &PolicyView<'_>, accesses: &[&Access]) -> Vec<String> {
    let mut notes = Vec::new();
    for access in accesses {
        if access.kind == AccessKind::UnknownFunction {
            notes.push(format!(
                "the body of `{}` is not in the project; its call counts as a read of database `{}`, where its names resolve",
                read_name(access),
                access.database
            ));
        } else if access.database.contains('*') {
            notes.push(format!(
                "the database pattern `{}` can match databases other than `{}`; the project defines none that it matches",
                access.database, view.database.name
            ));
        }
    }
    notes
}

/// A policy with more entries than this gets help that names the entry to change rather than
/// the whole corrected `.alter` command.
pub const MAX_ENTRIES_IN_HELP: usize = 8;

/// A chain longer than this many steps shows its first and last steps and says how many calls
/// it leaves out, so that a call chain thousands deep gives a readable, linear-size diagnostic.
pub const MAX_CHAIN_LABELS: usize = 10;

/// The finding on an entry that reads `access`, a table whose own policy (at `policy`, labelled
/// `policy_label`) stands in the way: the primary label (`read`) at the read, a label at the
/// table's policy, and the calls that lead to the read.
pub fn read_of_guarded_table(
    meta: &RuleMeta,
    view: &PolicyView<'_>,
    access: &Access,
    read: &str,
    message: String,
    policy: Location,
    policy_label: &str,
) -> Diagnostic {
    let primary = view.primary_for(access, read);
    let mut diagnostic =
        meta.diagnostic(message, primary.clone()).with_label(Label::new(policy.file, policy.span, policy_label));
    diagnostic.labels.extend(chain_labels(access, &format!("reads `{}` here", access.name), &primary));
    diagnostic
}

/// The secondary labels that explain an access: each call, then the reference, leaving out a
/// step inside `primary` (the primary label already says it).
pub fn chain_labels(access: &Access, reference: &str, primary: &Label) -> Vec<Label> {
    step_labels(&access.chain, reference, primary)
}

/// [`chain_labels`] for any chain of steps (an access's or an effect's).
pub fn step_labels(chain: &[Step], reference: &str, primary: &Label) -> Vec<Label> {
    let steps: Vec<&Step> = chain
        .iter()
        .filter(|step| {
            !(step.location.file == primary.file
                && primary.span.start <= step.location.span.start
                && step.location.span.end <= primary.span.end
                && step.calls.is_some())
        })
        .collect();
    let half = MAX_CHAIN_LABELS / 2;
    let omitted = steps.len().saturating_sub(MAX_CHAIN_LABELS);
    steps
        .iter()
        .enumerate()
        .filter(|(i, _)| omitted == 0 || *i < half || *i >= steps.len() - half)
        .map(|(i, step)| {
            let mut message = match &step.calls {
                Some(function) => format!("calls `{function}`"),
                None => reference.to_string(),
            };
            if omitted > 0 && i + 1 == half {
                message.push_str(&format!(", then {omitted} more calls not shown"));
            }
            Label::new(step.location.file, step.location.span, message)
        })
        .collect()
}

/// A database of the model and its table names once UP203 needs them ([`Context::table_names`]).
type TableNamesOf<'a> = (&'a Database, std::sync::OnceLock<unknown_source_table::TableNames<'a>>);

/// Everything rules read.
pub struct Context<'a> {
    pub workspace: &'a Workspace,
    pub settings: &'a Settings,
    /// What every policy entry and materialized view reads.
    pub resolution: &'a Resolution,
    pub policies: Vec<PolicyView<'a>>,
    /// The output schema of every policy entry's `Query`.
    pub outputs: std::borrow::Cow<'a, typecheck::Outputs>,
    /// UP007's index of every definition by name, made once per check when a finding needs it.
    pub(crate) definitions: std::sync::OnceLock<unresolved_reference::Definitions<'a>>,
    /// UP203's candidates, the table names of each database (by the address of its model entry),
    /// each made when a first policy of the database needs them: looking through every table of
    /// the database again for each policy was quadratic in a project of many policies whose
    /// sources the scripts do not create.
    pub(crate) table_names: std::sync::OnceLock<FxHashMap<usize, TableNamesOf<'a>>>,
    /// Where each entry of `policies` is written, sorted by file and start: the file, the
    /// span, the index in `policies` and the index of the entry in its table's policy (so that
    /// finding the subject of a diagnostic is a binary search, not a scan: thousands of entries
    /// with a finding each took quadratic time). Made when a first finding needs it (a check
    /// keeping results finds few).
    entry_places: std::sync::OnceLock<Vec<(FileId, Span, usize, usize)>>,
    /// Each entry of `policies` as a [`Subject`], shared by the diagnostics of the entry (their
    /// names shared by the entries of one table; made with [`Context::entry_places`]).
    subjects: std::sync::OnceLock<Vec<Arc<Subject>>>,
}

impl<'a> Context<'a> {
    pub fn new(workspace: &'a Workspace, resolution: &'a Resolution, settings: &'a Settings) -> Context<'a> {
        let outputs = std::borrow::Cow::Owned(typecheck::check(workspace));
        Context::with_outputs(workspace, resolution, settings, outputs)
    }

    /// The typed output of an enabled entry's query and its target table's schema, when both
    /// are known (what the schema rules compare).
    pub fn typed(&self, view: &PolicyView<'_>) -> Option<(&TableType, &TableType)> {
        let unit = view.unit.filter(|_| !view.is_disabled())?;
        Some((self.outputs.output(unit)?, self.outputs.target(unit)?))
    }

    /// [`Context::new`] with the entries' outputs typed already.
    pub fn with_outputs(
        workspace: &'a Workspace,
        resolution: &'a Resolution,
        settings: &'a Settings,
        outputs: std::borrow::Cow<'a, typecheck::Outputs>,
    ) -> Context<'a> {
        // Sized once: thousands of entries would leave up to half the room unused.
        let mut policies = Vec::with_capacity(entries(&workspace.model).count());
        for (cluster, database, table, _, entry) in entries(&workspace.model) {
            policies.push(PolicyView::new(cluster, database, table, entry, resolution));
        }
        let definitions = std::sync::OnceLock::new();
        let table_names = std::sync::OnceLock::new();
        let entry_places = std::sync::OnceLock::new();
        let subjects = std::sync::OnceLock::new();
        Context { workspace, settings, resolution, policies, outputs, definitions, table_names, entry_places, subjects }
    }

    /// The table names of `database` that UP203 suggests from ([`Context::table_names`]);
    /// `None` for a database that is not the workspace model's.
    pub(crate) fn table_names(&self, database: &Database) -> Option<&unknown_source_table::TableNames<'a>> {
        let all = self.table_names.get_or_init(|| {
            let databases = self.workspace.model.clusters.values().flat_map(|c| c.databases.values());
            databases.map(|d| (d as *const Database as usize, (d, std::sync::OnceLock::new()))).collect()
        });
        let (database, names) = all.get(&(database as *const Database as usize))?;
        Some(names.get_or_init(|| unknown_source_table::TableNames::of(database)))
    }

    /// [`Context::entry_places`].
    fn entry_places(&self) -> &[(FileId, Span, usize, usize)] {
        self.entry_places.get_or_init(|| {
            let mut places: Vec<_> = entries(&self.workspace.model)
                .enumerate()
                .map(|(view, (_, _, _, index, entry))| (entry.location.file, entry.location.span, view, index))
                .collect();
            places.sort_by_key(|&(file, span, view, _)| (file, span.start, span.end, view));
            places
        })
    }

    /// The update policy entry whose text holds `label`, as a diagnostic's subject.
    pub fn subject_at(&self, label: &Label) -> Option<Arc<Subject>> {
        // Entries are written apart from each other: only those starting last at or before the
        // label can hold it (several views share a place when one command set several tables).
        let places = self.entry_places();
        let after = places.partition_point(|&(file, span, _, _)| (file, span.start) <= (label.file, label.span.start));
        let start = places[..after].last().filter(|p| p.0 == label.file)?.1.start;
        let &(_, _, view, _) = places[..after]
            .iter()
            .rev()
            .take_while(|p| p.0 == label.file && p.1.start == start)
            .filter(|p| label.span.end <= p.1.end)
            .min_by_key(|p| p.2)?;
        self.subjects().get(view).cloned()
    }

    /// [`Context::subjects`].
    fn subjects(&self) -> &[Arc<Subject>] {
        self.subjects.get_or_init(|| {
            let mut subjects: Vec<Arc<Subject>> = Vec::with_capacity(self.policies.len());
            let mut previous: Option<(&PolicyView<'_>, &Arc<Subject>)> = None;
            for (view, (_, _, _, index, _)) in self.policies.iter().zip(entries(&self.workspace.model)) {
                let same = previous.filter(|(p, _)| {
                    std::ptr::eq(p.cluster, view.cluster)
                        && std::ptr::eq(p.database, view.database)
                        && std::ptr::eq(p.table, view.table)
                });
                let (cluster, database, table) = match same.map(|(_, subject)| &**subject) {
                    Some(Subject::UpdatePolicyEntry { cluster, database, table, .. }) => {
                        (cluster.clone(), database.clone(), table.clone())
                    }
                    None => (
                        view.cluster.name.as_deref().map(Arc::from),
                        Arc::from(view.database.name.as_str()),
                        Arc::from(view.table),
                    ),
                };
                subjects.push(Arc::new(Subject::UpdatePolicyEntry { cluster, database, table, index }));
                previous = subjects.last().map(|subject| (view, subject));
            }
            subjects
        })
    }

    /// The managed identity policy entries that could allow `identity` for a policy of
    /// `database`: the cluster's and the database's (additive).
    pub fn identity_entries<'b>(&'b self, view: &'b PolicyView<'a>) -> impl Iterator<Item = &'b IdentityEntry> + 'b {
        view.identity_entries()
    }

    /// An identity that the project allows for `AutomatedFlows`, to suggest in a fix.
    pub fn suggested_identity(&self, view: &PolicyView<'_>) -> String {
        view.suggested_identity()
    }

    /// The location of a managed identity policy command, for evidence.
    pub fn identity_policy_location(&self, view: &PolicyView<'_>) -> Option<Location> {
        view.database.managed_identity.commands.last().or(view.cluster.managed_identity.commands.last()).copied()
    }
}

/// Every update policy entry in effect, in model order: its cluster, database, table, index in
/// the table's policy, and the entry ([`Context::policies`] in this order).
fn entries(
    model: &crate::model::Model,
) -> impl Iterator<Item = (&Cluster, &Database, &str, usize, &UpdatePolicyEntry)> + '_ {
    model.clusters.values().flat_map(|cluster| {
        cluster.databases.values().flat_map(move |database| {
            database.tables.iter().flat_map(move |(table, t)| {
                t.update_policy
                    .entries
                    .iter()
                    .enumerate()
                    .map(move |(index, entry)| (cluster, database, &**table, index, entry))
            })
        })
    })
}

/// The candidate nearest to `word` (case-insensitive edit distance), when it is near enough to
/// be a typo: at most 1 edit for words up to 4 letters, 2 up to 8, 3 beyond. A candidate equal
/// to `word` but for letter case is nearest.
pub fn did_you_mean<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let limit = match word.chars().count() {
        0..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    nearest_within(word, candidates, limit)
}

/// The candidate nearest to `word` at most `limit` case-insensitive edits away (ties: nearest
/// with letter case, then first in name order); `word` itself is no candidate.
pub fn nearest_within<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>, limit: usize) -> Option<&'c str> {
    let word_lower = word.to_lowercase();
    // Candidates are every table of a database (thousands): no allocation per candidate, and
    // none compared whose length alone puts it beyond the limit.
    let mut scratch = Scratch::default();
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .filter_map(|c| scratch.lowercase_distance(&word_lower, c, limit).map(|d| (d, c)))
        // Nearest ignoring case, then nearest with it (`landing` before `Landing` for `ladning`).
        .min_by_key(|(d, c)| (*d, edit_distance(word, c), *c))
        .map(|(_, c)| c)
}

/// Buffers reused from one comparison to the next.
#[derive(Default)]
struct Scratch {
    lower: Vec<u8>,
    rows: Vec<usize>,
}

impl Scratch {
    /// `edit_distance(word_lower, candidate.to_lowercase())` when it is at most `limit`.
    fn lowercase_distance(&mut self, word_lower: &str, candidate: &str, limit: usize) -> Option<usize> {
        let distance = if word_lower.is_ascii() && candidate.is_ascii() {
            // ASCII lower-casing keeps the length, and the distance is at least the difference
            // of lengths.
            if word_lower.len().abs_diff(candidate.len()) > limit || candidate.len() > 256 || word_lower.len() > 256 {
                return None;
            }
            self.lower.clear();
            self.lower.extend(candidate.bytes().map(|b| b.to_ascii_lowercase()));
            distance_of(word_lower.as_bytes(), &self.lower, &mut self.rows)
        } else {
            edit_distance(word_lower, &candidate.to_lowercase())
        };
        Some(distance).filter(|d| *d <= limit)
    }
}

/// Levenshtein distance over characters, with adjacent transpositions counted as one edit
/// (`usize::MAX` for lengths more than 3 apart or beyond 256).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Names are short; bound the work on pathological input.
    if a.len().abs_diff(b.len()) > 3 || a.len() > 256 || b.len() > 256 {
        return usize::MAX;
    }
    distance_of(&a, &b, &mut Vec::new())
}

/// [`edit_distance`] of two sequences, with `rows` as the table's storage.
fn distance_of<T: PartialEq>(a: &[T], b: &[T], rows: &mut Vec<usize>) -> usize {
    let width = b.len() + 1;
    rows.clear();
    rows.resize((a.len() + 1) * width, 0);
    for (j, cell) in rows.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows[i * width] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[(i - 1) * width + j] + 1)
                .min(rows[i * width + j - 1] + 1)
                .min(rows[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[(i - 2) * width + j - 2] + 1);
            }
            rows[i * width + j] = best;
        }
    }
    rows[a.len() * width + b.len()]
}

/// Runs every rule and returns their diagnostics.
pub fn run(workspace: &Workspace, resolution: &Resolution, settings: &Settings) -> Vec<Diagnostic> {
    let outputs = std::borrow::Cow::Owned(typecheck::check(workspace));
    run_with(workspace, resolution, outputs, settings)
}

/// [`run`] with the entries' outputs typed already.
pub fn run_with(
    workspace: &Workspace,
    resolution: &Resolution,
    outputs: std::borrow::Cow<'_, typecheck::Outputs>,
    settings: &Settings,
) -> Vec<Diagnostic> {
    run_kept::<Diagnostic>(workspace, resolution, outputs, settings, None)
}

/// The per-database and per-entry findings of the rules kept from one check to the next
/// ([`run_kept`]), shared (`Arc`) with the checks that hand them out: kept, they are not copied.
#[derive(Debug)]
pub struct Kept<D = Arc<Diagnostic>> {
    /// By rule (its index in [`RULES`]) and database.
    findings: FxHashMap<(usize, DatabaseId), Vec<D>>,
    /// By the entry's `Query` unit, then rule (one look-up per entry, not per rule and entry).
    policy_findings: FxHashMap<UnitId, EntryFindings<D>>,
}

impl<D> Default for Kept<D> {
    fn default() -> Self {
        Kept { findings: FxHashMap::default(), policy_findings: FxHashMap::default() }
    }
}

/// The findings of one entry kept, by rule.
#[derive(Debug)]
struct EntryFindings<D> {
    /// Bit `i` is set when the findings of rule `i` of [`RULES`] are kept (a rule beyond the
    /// 64th is never kept: found on every check).
    kept: u64,
    /// The rules with findings, and their findings (most have none: not listed).
    found: Vec<(usize, Vec<D>)>,
}

impl<D> Default for EntryFindings<D> {
    fn default() -> Self {
        EntryFindings { kept: 0, found: Vec::new() }
    }
}

impl<D> EntryFindings<D> {
    fn bit(index: usize) -> u64 {
        u32::try_from(index).ok().and_then(|i| 1u64.checked_shl(i)).unwrap_or(0)
    }

    /// The findings of rule `index` kept.
    fn get(&self, index: usize) -> Option<&[D]> {
        if self.kept & Self::bit(index) == 0 {
            return None;
        }
        Some(self.found.iter().find(|(rule, _)| *rule == index).map_or(&[][..], |(_, found)| found.as_slice()))
    }

    fn insert(&mut self, index: usize, found: Vec<D>) {
        self.kept |= Self::bit(index);
        self.found.retain(|(rule, _)| *rule != index);
        if !found.is_empty() {
            self.found.push((index, found));
        }
    }
}

/// What changed since the findings kept were found: the databases, and the entries whose
/// resolution or typing was computed again.
#[derive(Clone, Copy, Debug)]
pub struct Changed<'s> {
    pub parts: &'s FxHashSet<(DatabaseId, Part)>,
    pub databases: &'s FxHashSet<DatabaseId>,
    pub policies: &'s FxHashSet<UnitId>,
}

impl Changed<'_> {
    /// True when database `database` of cluster `cluster` changed (names compared as keys,
    /// without lower-casing them for every entry).
    fn changed_database(&self, cluster: Option<&str>, database: &str) -> bool {
        self.databases.iter().any(|(c, d)| {
            d.is(database)
                && match (c, cluster) {
                    (None, None) => true,
                    (Some(key), Some(name)) => crate::model::is_lowered(key, name),
                    _ => false,
                }
        })
    }

    /// True when what [`Rule::check_policy`] looks at for `view` is as it was.
    fn keeps(&self, view: &PolicyView<'_>) -> bool {
        let Some(unit) = view.unit else { return false };
        if self.policies.contains(&unit) {
            return false;
        }
        let own_cluster = view.cluster.name.as_deref();
        if self.changed_database(own_cluster, &view.database.name) {
            let own = view.database_id();
            // Of its own database, an entry's findings look at the database as a whole, its
            // known tables, the entry's table, its Source and what it reads there (an edit of
            // another function or table of the database keeps them).
            let changed = |name: &str| self.parts.contains(&(own.clone(), Part::Entity(name.to_string())));
            if self.parts.contains(&(own.clone(), Part::Database))
                || self.parts.contains(&(own.clone(), Part::KnownTables))
                || changed(view.table)
                || view.source().is_some_and(|(source, _)| changed(source) || changed(source.trim()))
                || view.reads.iter().any(|access| changed(&access.name))
            {
                return false;
            }
        }
        // Other databases it reads: any change there finds them again.
        view.reads.iter().all(|access| {
            let cluster = access.cluster.as_deref().or(own_cluster);
            let own = || {
                let same_cluster = match (cluster, own_cluster) {
                    (None, None) => true,
                    (Some(a), Some(b)) => crate::model::same_name(a, b),
                    _ => false,
                };
                same_cluster && crate::model::same_name(&access.database, &view.database.name)
            };
            !self.changed_database(cluster, &access.database) || own()
        })
    }
}

/// [`run_with`], keeping each rule's findings per database in `kept` with the databases that
/// changed since they were found (`None`: every database changed): the findings of unchanged
/// databases are taken from `kept`, not found again.
pub fn run_kept<D: Held + Clone + Send + Sync>(
    workspace: &Workspace,
    resolution: &Resolution,
    outputs: std::borrow::Cow<'_, typecheck::Outputs>,
    settings: &Settings,
    kept: Option<(&mut Kept<D>, Option<Changed<'_>>)>,
) -> Vec<D> {
    let context = Context::with_outputs(workspace, resolution, settings, outputs);
    run_in(&context, kept)
}

/// [`run_kept`] with the rules' context made.
pub fn run_in<D: Held + Clone + Send + Sync>(
    context: &Context<'_>,
    mut kept: Option<(&mut Kept<D>, Option<Changed<'_>>)>,
) -> Vec<D> {
    if let Some((kept, None)) = &mut kept {
        kept.findings.clear();
        kept.policy_findings.clear();
    }
    let keeping = kept.is_some();
    let databases: Vec<(DatabaseId, &Database)> = crate::model::changes::databases(&context.workspace.model).collect();
    let views = &context.policies;
    let previous = match &kept {
        Some((kept, Some(changed))) => Some((&**kept, *changed)),
        _ => None,
    };
    // The kept findings of each entry whose findings can be kept (the same for every rule).
    let entries: Vec<Option<&EntryFindings<D>>> = match previous {
        Some((kept, changed)) => {
            views.iter().map(|view| kept.policy_findings.get(&view.unit?).filter(|_| changed.keeps(view))).collect()
        }
        None => vec![None; views.len()],
    };
    let kept_database = |index: usize, at: usize| -> Option<&[D]> {
        let (kept, changed) = previous?;
        let id = &databases[at].0;
        if changed.databases.contains(id) {
            return None;
        }
        kept.findings.get(&(index, id.clone())).map(Vec::as_slice)
    };
    // Every rule's findings of each database, of each entry and across databases, rule by rule:
    // first whether each is kept (looked up here), then what is not kept is found in parallel,
    // then all are put together in this order, whatever the threads.
    // A check that keeps nothing finds a per-entry rule's findings in blocks of entries (one
    // list per block); one keeping results, one list per entry found again.
    let blocks = if keeping { views.len() } else { views.len().div_ceil(POLICY_BLOCK) };
    let per_rule = |rule: &&dyn Rule| {
        1 + if rule.per_database() { databases.len() } else { 0 } + if rule.per_policy() { blocks } else { 0 }
    };
    let jobs: usize = RULES.iter().map(per_rule).sum();
    let mut is_kept = Vec::with_capacity(if previous.is_some() { jobs } else { 0 });
    let mut todo = Vec::with_capacity(if previous.is_some() { 0 } else { jobs });
    for (index, rule) in RULES.iter().enumerate() {
        if rule.per_database() {
            for at in 0..databases.len() {
                let found = kept_database(index, at).is_some();
                is_kept.push(found);
                if !found {
                    todo.push((index, Job::Database(at)));
                }
            }
        }
        if rule.per_policy() && !keeping {
            todo.extend(
                (0..views.len())
                    .step_by(POLICY_BLOCK)
                    .map(|start| (index, Job::Policies(start, (start + POLICY_BLOCK).min(views.len())))),
            );
        } else if rule.per_policy() {
            for (at, view) in views.iter().enumerate() {
                let found = entries[at].is_some_and(|entry| entry.get(index).is_some())
                    && previous.is_some_and(|(_, changed)| rule.keeps_policy(changed.parts, view));
                is_kept.push(found);
                if !found {
                    todo.push((index, Job::Policy(at)));
                }
            }
        }
        todo.push((index, Job::Rule));
    }
    let mut fresh = Waves {
        todo: &todo,
        // A check keeping results holds shared findings (a pointer each): all in one wave.
        size: if keeping { todo.len().max(1) } else { WAVE },
        done: 0,
        wave: Vec::new().into_iter(),
        run: |&(index, job): &(usize, Job)| run_job(context, &databases, index, job),
    };
    let mut is_kept = is_kept.into_iter();
    let mut diagnostics = Vec::new();
    // Found again, to keep: (rule, database or entry, findings).
    let mut to_keep: Vec<(usize, Result<usize, UnitId>, Vec<D>)> = Vec::new();
    for (index, rule) in RULES.iter().enumerate() {
        if rule.per_database() {
            for at in 0..databases.len() {
                if is_kept.next() == Some(true) {
                    diagnostics.extend_from_slice(kept_database(index, at).unwrap_or_default());
                    continue;
                }
                let found = fresh.next().unwrap_or_default();
                if keeping {
                    diagnostics.extend_from_slice(&found);
                    to_keep.push((index, Ok(at), found));
                } else {
                    diagnostics.extend(found);
                }
            }
        }
        if rule.per_policy() && !keeping {
            for _ in (0..views.len()).step_by(POLICY_BLOCK) {
                diagnostics.extend(fresh.next().unwrap_or_default());
            }
        } else if rule.per_policy() {
            for (at, view) in views.iter().enumerate() {
                if is_kept.next() == Some(true) {
                    diagnostics.extend_from_slice(entries[at].and_then(|entry| entry.get(index)).unwrap_or_default());
                    continue;
                }
                let found = fresh.next().unwrap_or_default();
                diagnostics.extend_from_slice(&found);
                if let Some(unit) = view.unit.filter(|_| keeping) {
                    to_keep.push((index, Err(unit), found));
                }
            }
        }
        diagnostics.extend(fresh.next().unwrap_or_default());
    }
    drop(entries);
    if let Some((kept, _)) = &mut kept {
        for (index, place, found) in to_keep {
            match place {
                Ok(at) => {
                    kept.findings.insert((index, databases[at].0.clone()), found);
                }
                Err(unit) => kept.policy_findings.entry(unit).or_default().insert(index, found),
            }
        }
    }
    // Held without spare room (what growing left).
    diagnostics.shrink_to_fit();
    diagnostics
}

/// How many jobs of [`run_kept`] are found at once, in parallel: the findings of one wave are
/// put in their place (and their jobs' lists freed) before the next wave is found, so that the
/// findings of a check are not all held twice, in their jobs' lists and in the list of all
/// (8,000 policy entries with three findings each held 5.6 MB twice).
const WAVE: usize = 64;

/// The findings of each job of `todo`, in order, found a wave ([`WAVE`] jobs, or all when a check
/// keeps results) at a time.
struct Waves<'t, D, F> {
    todo: &'t [(usize, Job)],
    /// How many jobs a wave has.
    size: usize,
    /// How many jobs were found.
    done: usize,
    /// The findings of the jobs of the last wave not yet taken.
    wave: std::vec::IntoIter<Vec<D>>,
    run: F,
}

impl<D: Send, F: Fn(&(usize, Job)) -> Vec<D> + Sync> Iterator for Waves<'_, D, F> {
    type Item = Vec<D>;

    fn next(&mut self) -> Option<Vec<D>> {
        loop {
            if let Some(found) = self.wave.next() {
                return Some(found);
            }
            if self.done == self.todo.len() {
                return None;
            }
            let end = (self.done + self.size).min(self.todo.len());
            let wave: Vec<Vec<D>> = self.todo[self.done..end].par_iter().map(&self.run).collect();
            self.wave = wave.into_iter();
            self.done = end;
        }
    }
}

/// How many entries one job of a per-entry rule checks when nothing is kept: a policy of
/// thousands of entries makes a few hundred jobs, not one per rule and entry, each with its
/// list of findings.
const POLICY_BLOCK: usize = 64;

/// A part of one rule's work in [`run_kept`].
#[derive(Clone, Copy)]
enum Job {
    /// [`Rule::check_database`] of the database at this index of the model's databases.
    Database(usize),
    /// [`Rule::check_policy`] of the entry at this index of [`Context::policies`].
    Policy(usize),
    /// [`Rule::check_policy`] of the entries at `start..end` of [`Context::policies`], in order
    /// (when nothing is kept: one list of findings for them all).
    Policies(usize, usize),
    /// [`Rule::check`].
    Rule,
}

/// Does `job` of rule `index` (see [`run_kept`]): its findings, with their subjects.
fn run_job<D: Held>(context: &Context<'_>, databases: &[(DatabaseId, &Database)], index: usize, job: Job) -> Vec<D> {
    let rule = RULES[index];
    let mut found = Vec::new();
    match job {
        Job::Database(at) => rule.check_database(context, databases[at].1, &mut found),
        Job::Policy(at) => rule.check_policy(context, &context.policies[at], &mut found),
        Job::Policies(start, end) => {
            for view in &context.policies[start..end] {
                rule.check_policy(context, view, &mut found);
            }
        }
        Job::Rule => rule.check(context, &mut found),
    }
    // The equal texts of the job's findings shared (a rule says the same of many entries).
    let mut texts = Texts::default();
    let found = found.into_iter().map(|mut diagnostic| {
        diagnostic.subject = diagnostic.subject.take().or_else(|| context.subject_at(&diagnostic.primary));
        texts.share_all(&mut diagnostic);
        D::from(diagnostic)
    });
    // Held without spare room: one list per rule and entry until all are put together.
    let mut found: Vec<D> = found.collect();
    found.shrink_to_fit();
    found
}

/// Names near each other in every way a typo or letter case makes them (non-ASCII ones whose
/// lower-cased forms differ in length too), for the tests of the suggestions.
#[cfg(test)]
pub(crate) const NEAR_NAMES: &[&str] = &[
    "Raw",
    "raw",
    "RAWX",
    "Rwa",
    "Events",
    "events",
    "Evnets",
    "EventsRaw",
    "Event",
    "Landing",
    "landing",
    "ladning",
    "LANDINGS",
    "Kelvin",
    "\u{212a}elvin",
    "kelvin",
    "İstanbul",
    "istanbul",
    "Straße",
    "strasse",
    "STRASSE",
    "ÄÖÜ",
    "äöü",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry's kept findings tell a rule found nothing from a rule not kept, and every rule
    /// fits the mask (a rule beyond it would be found on every check).
    #[test]
    fn entry_findings_keep_each_rule_apart() {
        assert!(RULES.len() <= 64);
        let mut entry: EntryFindings<u32> = EntryFindings::default();
        assert_eq!(entry.get(3), None);
        entry.insert(3, Vec::new());
        entry.insert(5, vec![7, 8]);
        assert_eq!(entry.get(3), Some(&[][..]));
        assert_eq!(entry.get(5), Some(&[7, 8][..]));
        assert_eq!(entry.get(4), None);
        entry.insert(5, vec![9]);
        entry.insert(3, vec![1]);
        assert_eq!((entry.get(3), entry.get(5)), (Some(&[1][..]), Some(&[9][..])));
        entry.insert(64, vec![2]);
        assert_eq!(entry.get(64), None);
    }

    #[test]
    fn edit_distance_counts_swaps_as_one_edit() {
        assert_eq!(edit_distance("ladning", "landing"), 1);
        assert_eq!(edit_distance("istransactinal", "istransactional"), 1);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("a", "abcde"), usize::MAX);
    }

    #[test]
    fn did_you_mean_finds_near_misses_only() {
        let known = ["IsEnabled", "IsTransactional", "ManagedIdentity"];
        assert_eq!(did_you_mean("ManagedIdentiy", known), Some("ManagedIdentity"));
        assert_eq!(did_you_mean("isenabled", known), Some("IsEnabled"));
        assert_eq!(did_you_mean("Retention", known), None);
        assert_eq!(did_you_mean("IsEnabled", known), None);
        assert_eq!(did_you_mean("ladning", ["Landing", "landing"]), Some("landing"));
    }

    #[test]
    fn did_you_mean_compares_without_allocating_as_with_lowercased_copies() {
        // What `did_you_mean` computed before it skipped candidates by length and compared
        // ASCII names in place.
        fn reference<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
            let word_lower = word.to_lowercase();
            let limit = match word.chars().count() {
                0..=4 => 1,
                5..=8 => 2,
                _ => 3,
            };
            candidates
                .iter()
                .copied()
                .filter(|c| *c != word)
                .map(|c| (edit_distance(&word_lower, &c.to_lowercase()), c))
                .filter(|(d, _)| *d <= limit)
                .min_by_key(|(d, c)| (*d, edit_distance(word, c), *c))
                .map(|(_, c)| c)
        }
        let mut names = vec!["", "a", "A", "ab"];
        names.extend(NEAR_NAMES);
        names.extend(["TelemetryRawDataTable", "TelemetryRawDataTables", "TelemetryRawData"]);
        names.extend(["x".repeat(300).leak() as &str, "y".repeat(299).leak()]);
        for &word in &names {
            for skip in 0..3 {
                let candidates: Vec<&str> = names.iter().copied().skip(skip).collect();
                assert_eq!(did_you_mean(word, candidates.iter().copied()), reference(word, &candidates), "{word}");
            }
        }
    }

    #[test]
    fn wildcards_match_like_table_patterns() {
        assert!(matches_wildcard("Raw*", "RawA"));
        assert!(matches_wildcard("*Raw*", "MyRawTable"));
        assert!(matches_wildcard("Raw", "Raw"));
        assert!(!matches_wildcard("Raw*", "raw"));
        assert!(!matches_wildcard("Raw*A", "RawB"));
        assert!(!matches_wildcard("ab*ba", "aba"));
    }
}
