//! What a query refers to and reads: the output of [`super::analyze`].

use crate::span::Span;
use serde::Serialize;

/// What kind of entity a name designates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntityKind {
    /// A table (or, until resolved against a schema, a parameterless stored function or a
    /// materialized view named without `materialized_view()`).
    Table,
    /// A wildcarded table name (`union T*`, `find in (Sec*)`, `search` over everything).
    TablePattern,
    /// A stored function called with arguments (`F(1)`, `database('d').F()`).
    Function,
    MaterializedView,
    ExternalTable,
}

impl EntityKind {
    /// The name used in output (`table`, `table-pattern`, `function`...).
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Table => "table",
            EntityKind::TablePattern => "table-pattern",
            EntityKind::Function => "function",
            EntityKind::MaterializedView => "materialized-view",
            EntityKind::ExternalTable => "external-table",
        }
    }
}

/// A name as an analysis keeps it (24 bytes, `smol_str`): up to 23 bytes inline (most table
/// names: no block of its own), a longer one shared by the copies of the entity (a reference and
/// its reads). Compared, ordered and hashed as its text.
pub type Name = smol_str::SmolStr;

/// A table, function or view, with where it lives. [`Entity::cluster`] is `None` for the current
/// cluster, otherwise a host name normalised as Kusto does it; [`Entity::database`] is `None` for
/// the current one. Ordered by kind, cluster, database and name (`None` first).
///
/// 40 bytes: most entities name neither a cluster nor a database, so both are boxed together.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entity {
    pub kind: EntityKind,
    /// Never `Some` with neither part (the order relies on it).
    place: Option<Box<EntityPlace>>,
    name: Name,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct EntityPlace {
    cluster: Option<Name>,
    database: Option<Name>,
}

impl Entity {
    pub fn new(kind: EntityKind, cluster: Option<&str>, database: Option<&str>, name: &str) -> Entity {
        let place = (cluster.is_some() || database.is_some())
            .then(|| Box::new(EntityPlace { cluster: cluster.map(Name::new), database: database.map(Name::new) }));
        Entity { kind, place, name: Name::new(name) }
    }

    /// The cluster's normalised host name, `None` for the current cluster.
    pub fn cluster(&self) -> Option<&str> {
        self.place.as_ref()?.cluster.as_deref()
    }

    /// The database, `None` for the current one.
    pub fn database(&self) -> Option<&str> {
        self.place.as_ref()?.database.as_deref()
    }

    pub fn name(&self) -> &str {
        self.name.as_str()
    }
}

impl std::fmt::Debug for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entity")
            .field("kind", &self.kind)
            .field("cluster", &self.cluster())
            .field("database", &self.database())
            .field("name", &self.name())
            .finish()
    }
}

/// Output: `{"kind", "cluster", "database", "name"}`, the cluster and database `null` when they
/// are the current ones.
impl Serialize for Entity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut entity = serializer.serialize_struct("Entity", 4)?;
        entity.serialize_field("kind", &self.kind)?;
        entity.serialize_field("cluster", &self.cluster())?;
        entity.serialize_field("database", &self.database())?;
        entity.serialize_field("name", self.name())?;
        entity.end()
    }
}

/// An entity as written in the text, with the byte range of the whole reference expression
/// (all of `database('d').T`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub entity: Entity,
    pub span: Span,
}

/// An entity the query reads once `let` names and let-functions are resolved: where it is
/// referenced (`read.entity` and `read.span`, its [`Reference`]'s), and the
/// let-function calls that led there (outermost first).
///
/// 56 bytes: the let-function calls, the arguments and `table('X')` are boxed together, as
/// most reads have none of them; a read that is also a reference is kept once (see
/// [`super::Analysis`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Read {
    reference: Reference,
    rare: Option<Box<ReadRare>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct ReadRare {
    via: Box<[Span]>,
    arguments: Box<[Option<String>]>,
    table_call: bool,
}

impl Read {
    /// A read at `span` with the constant value of each argument of a stored function call.
    pub fn new(entity: Entity, span: Span, arguments: Vec<Option<String>>) -> Read {
        let rare = (!arguments.is_empty())
            .then(|| Box::new(ReadRare { arguments: arguments.into_boxed_slice(), ..ReadRare::default() }));
        Read { reference: Reference { entity, span }, rare }
    }

    /// A read of what a reference names, where it is written.
    pub fn of(reference: Reference) -> Read {
        Read { reference, rare: None }
    }

    /// The entity read and where it is referenced.
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// The let-function calls that led to the read (outermost first).
    pub fn via(&self) -> &[Span] {
        self.rare.as_ref().map_or(&[], |rare| &rare.via)
    }

    /// For a stored function: the constant value of each argument where known, so its body can
    /// be analysed for this call. Empty for other kinds.
    pub fn arguments(&self) -> &[Option<String>] {
        self.rare.as_ref().map_or(&[], |rare| &rare.arguments)
    }

    /// Named by `table('X')`, which reads the table `X` when the database has one, and a
    /// stored function `X` only when it has no such table (a bare `X` prefers the function).
    pub fn table_call(&self) -> bool {
        self.rare.as_ref().is_some_and(|rare| rare.table_call)
    }

    /// Puts the let-function call `call` in front of the calls that lead to the read.
    pub(super) fn prepend_call(&mut self, call: Span) {
        let rare = self.rare.get_or_insert_with(Box::default);
        rare.via = std::iter::once(call).chain(rare.via.iter().copied()).collect();
    }

    pub(super) fn set_table_call(&mut self) {
        self.rare.get_or_insert_with(Box::default).table_call = true;
    }

    /// True when the read is exactly `reference`: no calls, arguments or `table('X')`.
    pub(super) fn is_plain(&self) -> bool {
        self.rare.is_none()
    }
}

/// `read.entity` and `read.span`.
impl std::ops::Deref for Read {
    type Target = Reference;

    fn deref(&self) -> &Reference {
        &self.reference
    }
}

impl std::fmt::Debug for Read {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Read")
            .field("entity", &self.entity)
            .field("span", &self.span)
            .field("via", &self.via())
            .field("arguments", &self.arguments())
            .field("table_call", &self.table_call())
            .finish()
    }
}

/// A plugin run by `evaluate`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginUse {
    pub name: String,
    pub span: Span,
    /// The let-function calls that led there (outermost first).
    pub via: Vec<Span>,
    /// The operator declares the plugin's output (`evaluate bag_unpack(d) : (a:string)`).
    pub output_declared: bool,
}

/// The normalised host name of a cluster as Kusto names it: the host of a URI, and
/// `.kusto.windows.net` added to a short name (fewer than two dots): `cluster('help')` is
/// `help.kusto.windows.net`.
pub fn normalize_cluster(name: &str) -> String {
    let without_scheme = name.split_once("://").map_or(name, |(_, rest)| rest);
    let host = without_scheme.split(['/', ':']).next().unwrap_or(without_scheme);
    if host.matches('.').count() < 2 { format!("{host}.kusto.windows.net") } else { host.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_are_normalised_like_kusto() {
        assert_eq!(normalize_cluster("help"), "help.kusto.windows.net");
        assert_eq!(normalize_cluster("HELP"), "HELP.kusto.windows.net");
        assert_eq!(normalize_cluster("x.westus"), "x.westus.kusto.windows.net");
        assert_eq!(normalize_cluster("help.kusto.windows.net"), "help.kusto.windows.net");
        assert_eq!(normalize_cluster("https://Help.kusto.windows.net:443/"), "Help.kusto.windows.net");
        assert_eq!(
            normalize_cluster("https://ade.loganalytics.io/subscriptions/x/workspaces/w"),
            "ade.loganalytics.io"
        );
        assert_eq!(normalize_cluster("a:80"), "a.kusto.windows.net");
        assert_eq!(normalize_cluster("x.kusto.data.microsoft.com"), "x.kusto.data.microsoft.com");
    }
}
