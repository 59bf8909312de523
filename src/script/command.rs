//! Typed management commands, every name and payload with its span in the file.

use std::sync::Arc;

use super::payload::{Payload, StringLiteral};
use crate::span::Span;

/// A name as decoded from a command, held by the script and the model: up to 15 bytes inline
/// (most table, function and column names, held without an allocation of their own; a file of
/// many tables has two for each), a longer one shared (cloning it counts a reference, and the
/// column names and types of a file's schemas are shared by every command of the file that
/// writes the same one).
pub type Name = ecow::EcoString;

/// A name as written in a command (`T`, `['My Table']`, `'T'`, `[My Table]`), decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameRef {
    pub text: Name,
    pub span: Span,
}

/// `[Database.]Name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QualifiedName {
    pub database: Option<NameRef>,
    pub name: NameRef,
    pub span: Span,
}

/// A column `name:type` of a table schema, as written (decoded). Without their places in the
/// file: a schema is held for every table of a project, and equal schemas of a file share one
/// list (see [`TableSchema::columns`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Column {
    pub name: Name,
    pub type_name: Name,
}

/// The columns of a schema, one pointer (a table command holds its first schema inline, see
/// [`CommandKind::Tables`]).
pub type Columns = Arc<Vec<Column>>;

/// `Name (col:type, ...)` (its place is its name's: one is held for every table of a project).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSchema {
    pub name: NameRef,
    /// Shared with the model's definition of the table, and with the other schemas of the file
    /// that have the same columns.
    pub columns: Columns,
}

/// The tables of a `.create tables A (...), B (...)` after the first, and the `with (...)`
/// properties of a table command (see [`CommandKind::Tables`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MoreTables {
    pub tables: Vec<TableSchema>,
    pub properties: Properties,
}

/// One `key = value` of a `with (...)` list; string values are decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Property {
    pub key: NameRef,
    pub value: String,
    pub value_span: Span,
    pub value_is_string: bool,
}

impl Property {
    /// The value as a boolean: `true`, `True`, `'true'`, `"True"`... (case-insensitive).
    pub fn as_bool(&self) -> Option<bool> {
        match self.value.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
}

/// The property named `key` (case-insensitive), if any.
pub fn property<'a>(properties: &'a [Property], key: &str) -> Option<&'a Property> {
    properties.iter().find(|p| p.key.text.eq_ignore_ascii_case(key))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableVerb {
    Create,
    CreateMerge,
    Alter,
    AlterMerge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunctionVerb {
    Create { if_not_exists: bool },
    CreateOrAlter,
    Alter,
}

/// How a policy command changes the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyVerb {
    /// `.alter`: replaces the policy.
    Alter,
    /// `.alter-merge`: merges into the policy.
    AlterMerge,
    /// `.delete`: removes the policy.
    Delete,
}

/// Where a managed identity or retention policy is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyScope {
    Cluster,
    /// `database [Db]`; without a name, the context database.
    Database(Option<NameRef>),
    Table(QualifiedName),
    MaterializedView(QualifiedName),
}

/// `.add`, `.drop`, `.set` of a security role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleAction {
    Add,
    Drop,
    Set,
}

/// What a security role is given on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoleScope {
    /// `database [Db]`; without a name, the context database.
    Database(Option<NameRef>),
    Table(QualifiedName),
    Function(QualifiedName),
    MaterializedView(QualifiedName),
    ExternalTable(QualifiedName),
}

/// The kind of principal a principal string names (§4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrincipalKind {
    /// `aadapp=`: an application, including managed identities.
    App,
    /// `aaduser=`.
    User,
    /// `aadgroup=`.
    Group,
    /// `msauser=`.
    MsaUser,
    /// Anything else (kept as written).
    Unknown,
}

/// A principal string such as `'aadapp=<id>;<tenant>'`, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The decoded string.
    pub text: String,
    pub kind: PrincipalKind,
    /// What follows `kind=`, before any `;`.
    pub id: String,
    pub tenant: Option<String>,
    pub span: Span,
}

impl Principal {
    /// Parses a principal string (the prefix is case-insensitive).
    pub fn parse(text: &str, span: Span) -> Principal {
        let (kind, rest) = match text.split_once('=') {
            Some((prefix, rest)) => {
                let kind = match prefix.trim().to_ascii_lowercase().as_str() {
                    "aadapp" => PrincipalKind::App,
                    "aaduser" => PrincipalKind::User,
                    "aadgroup" => PrincipalKind::Group,
                    "msauser" => PrincipalKind::MsaUser,
                    _ => PrincipalKind::Unknown,
                };
                (kind, rest)
            }
            None => (PrincipalKind::Unknown, text),
        };
        let (id, tenant) = match rest.split_once(';') {
            Some((id, tenant)) => (id.trim().to_string(), Some(tenant.trim().to_string()).filter(|t| !t.is_empty())),
            None => (rest.trim().to_string(), None),
        };
        Principal { text: text.to_string(), kind, id, tenant, span }
    }
}

/// A duration as written in a retention or acceleration policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Duration {
    pub seconds: f64,
    pub span: Span,
}

/// One management command (56 bytes: its words are its script item's, see
/// [`crate::script::Item::Command`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    /// From the `.` to the last byte of the command.
    pub span: Span,
    pub kind: CommandKind,
}

/// The `with (...)` properties of a command, read as a slice; most commands have none (one
/// pointer, no list).
#[derive(Clone, Default, PartialEq)]
#[allow(clippy::box_collection)] // One pointer in the command, not a list's three words.
pub struct Properties(Option<Box<Vec<Property>>>);

impl From<Vec<Property>> for Properties {
    fn from(properties: Vec<Property>) -> Properties {
        Properties((!properties.is_empty()).then(|| Box::new(properties)))
    }
}

impl std::ops::Deref for Properties {
    type Target = [Property];

    fn deref(&self) -> &[Property] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

/// As a list.
impl std::fmt::Debug for Properties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl CommandKind {
    /// A table command of `tables` (at least one; `None` without) and `properties`.
    pub fn tables_of(verb: TableVerb, tables: Vec<TableSchema>, properties: Vec<Property>) -> Option<CommandKind> {
        let mut tables = tables.into_iter();
        let first = tables.next()?;
        let more = MoreTables { tables: tables.collect(), properties: properties.into() };
        let more = (!more.tables.is_empty() || !more.properties.is_empty()).then(|| Box::new(more));
        Some(CommandKind::Tables { verb, first, more })
    }

    /// The schemas of a table command, in order (none for other commands).
    pub fn tables(&self) -> impl Iterator<Item = &TableSchema> {
        let (first, more) = match self {
            CommandKind::Tables { first, more, .. } => (Some(first), more.as_deref()),
            _ => (None, None),
        };
        first.into_iter().chain(more.into_iter().flat_map(|more| &more.tables))
    }

    /// The `with (...)` properties of a table command (none for other commands).
    pub fn table_properties(&self) -> &[Property] {
        match self {
            CommandKind::Tables { more: Some(more), .. } => &more.properties,
            _ => &[],
        }
    }
}

/// Payloads and other large parts of rarer commands are boxed: a `Command` is held for every
/// command of every script (its size is pinned by a test).
#[derive(Clone, Debug, PartialEq)]
pub enum CommandKind {
    /// `.create|.create-merge|.alter|.alter-merge table(s) T (schema), ...`: the first table
    /// inline, with no allocation of its own (a file of many tables has a command for each, all
    /// held at once), the others and the properties, rarer, boxed apart (see
    /// [`CommandKind::tables`]).
    Tables { verb: TableVerb, first: TableSchema, more: Option<Box<MoreTables>> },
    /// `.create table T based-on Other`.
    TableBasedOn { name: NameRef, based_on: Box<NameRef> },
    /// `.drop table T` / `.drop tables (T1, T2)`.
    DropTables { names: Vec<NameRef> },
    /// `.rename table A to B` / `.rename tables B = A, ...`: (old, new) pairs.
    RenameTables { renames: Vec<(NameRef, NameRef)> },
    /// `.create|.create-or-alter|.alter function [with (...)] F(params) { body }`.
    Function { verb: FunctionVerb, name: NameRef, properties: Properties, declaration: Span },
    /// `.drop function F` / `.drop functions (F1, F2)`.
    DropFunctions { names: Vec<NameRef> },
    /// `.alter|.alter-merge|.delete table T policy update [payload] [with (...)]`.
    UpdatePolicy { verb: PolicyVerb, table: Box<QualifiedName>, payload: Option<Box<Payload>>, properties: Properties },
    /// `.alter|.alter-merge|.delete cluster|database [Db] policy managed_identity [payload]`.
    ManagedIdentityPolicy { verb: PolicyVerb, scope: Box<PolicyScope>, payload: Option<Box<Payload>> },
    /// `.alter table|materialized-view T policy row_level_security enable|disable "query"`, `.delete`.
    RowLevelSecurity { verb: PolicyVerb, scope: Box<PolicyScope>, enabled: bool, query: Option<Box<StringLiteral>> },
    /// `.alter table T|tables (T1, T2) policy restricted_view_access true|false`, `.delete`.
    RestrictedViewAccess { verb: PolicyVerb, tables: Vec<QualifiedName>, enabled: bool },
    /// `.alter[-merge] table|database X policy retention softdelete = 1d ...` or a JSON payload.
    Retention {
        verb: PolicyVerb,
        scope: Box<PolicyScope>,
        soft_delete: Option<Duration>,
        payload: Option<Box<Payload>>,
    },
    /// `.add|.drop|.set database Db viewers ('aadapp=...') ...`.
    Principals { action: RoleAction, scope: Box<RoleScope>, role: Box<NameRef>, principals: Vec<Principal> },
    /// `.create|.create-or-alter|.alter materialized-view V on table T { query }`.
    MaterializedView {
        name: Box<NameRef>,
        source: Box<NameRef>,
        source_is_view: bool,
        properties: Properties,
        body: Span,
    },
    /// `.drop materialized-view V`.
    DropMaterializedView { name: NameRef },
    /// `.create|.alter|.create-or-alter external table E (...) kind=...`; `columns` when the
    /// command gives a schema (a delta table's is inferred from its files); `impersonation`
    /// when a connection string authenticates with `;impersonate`.
    ExternalTable { name: Box<NameRef>, kind: Option<Box<NameRef>>, columns: Option<Columns>, impersonation: bool },
    /// `.drop external table E`.
    DropExternalTable { name: NameRef },
    /// `.alter external table E policy query_acceleration '{...}'`, `.delete`.
    QueryAcceleration { verb: PolicyVerb, table: NameRef, payload: Option<Box<Payload>> },
    /// `.set|.append|.set-or-append|.set-or-replace [async] T [with (...)] <| query`,
    /// `.ingest [async] [inline] into table T ...` (data written into a table, which the `.set`
    /// forms and `.ingest` create when it does not exist), and `.create|.create-or-alter table T
    /// ingestion <format> mapping ...` (a mapping of an existing table). The rest of the command
    /// is skipped. `creates`: `.set`, `.set-or-append` or `.set-or-replace`, which create the
    /// table with the schema of their query when it does not exist.
    Ingest { table: Box<QualifiedName>, creates: bool },
    /// `.drop column T.C`, `.drop table T columns (C1, C2)`.
    DropColumns { table: Box<NameRef>, columns: Vec<NameRef> },
    /// `.rename column T.Old to New`, `.rename columns New = T.Old, ...`: (table, old, new).
    RenameColumns { renames: Vec<(NameRef, NameRef, NameRef)> },
    /// `.alter column T.C type = string`.
    AlterColumnType { table: NameRef, column: Box<NameRef>, type_name: Box<NameRef> },
    /// `.execute database|cluster script [with (...)] <|`: the commands that follow are its body.
    ExecuteScript,
    /// Any other command, recognised and skipped.
    Other,
}
