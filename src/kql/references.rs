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

/// A table, function or view, with where it lives. `cluster` is `None` for the current cluster,
/// otherwise a host name normalised as Kusto does it; `database` is `None` for the current one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Entity {
    pub kind: EntityKind,
    pub cluster: Option<String>,
    pub database: Option<String>,
    pub name: String,
}

/// An entity as written in the text, with the byte range of the whole reference expression
/// (all of `database('d').T`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub entity: Entity,
    pub span: Span,
}

/// An entity the query reads once `let` names and let-functions are resolved: where it is
/// referenced, and the let-function calls that led there (outermost first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Read {
    pub entity: Entity,
    pub span: Span,
    /// Boxed slices: a read is kept per analysis for the whole run, and most have neither.
    pub via: Box<[Span]>,
    /// For a stored function: the constant value of each argument where known, so its body can
    /// be analysed for this call. Empty for other kinds.
    pub arguments: Box<[Option<String>]>,
    /// Named by `table('X')`, which reads the table `X` when the database has one, and a
    /// stored function `X` only when it has no such table (a bare `X` prefers the function).
    pub table_call: bool,
}

/// A plugin run by `evaluate`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginUse {
    pub name: String,
    pub span: Span,
    /// The let-function calls that led there (outermost first).
    pub via: Vec<Span>,
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
