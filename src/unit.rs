//! Query units: each piece of KQL text uplint analyses, with where it sits in its file.
//!
//! A unit's text may be a decoded string (a policy's `Query` inside JSON inside a string
//! literal), so every unit carries an [`OffsetMap`] from its own offsets to its file's bytes.

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::kql::{self, AnalyzedQuery, strings::OffsetMap};
use crate::source::FileId;
use crate::span::Span;

/// What a unit is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnitKind {
    /// Query text of a script (outside commands).
    Query,
    /// A stored function's parameters and body.
    Function,
    /// The `Query` of one update policy entry.
    UpdatePolicy,
    /// The query of a row level security policy.
    RowLevelSecurity,
    /// The query of a materialized view.
    MaterializedView,
}

impl UnitKind {
    /// The name used in output (`query`, `function`, `update-policy`...).
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Query => "query",
            UnitKind::Function => "function",
            UnitKind::UpdatePolicy => "update-policy",
            UnitKind::RowLevelSecurity => "row-level-security",
            UnitKind::MaterializedView => "materialized-view",
        }
    }
}

/// The index of a unit in a [`crate::workspace::Workspace`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitId(pub u32);

/// One analysed piece of KQL.
#[derive(Clone, Debug)]
pub struct Unit {
    pub file: FileId,
    pub kind: UnitKind,
    /// The function or view name, `Table[index]` for a policy entry, the table for RLS.
    pub name: Option<String>,
    /// The cluster and database the unit belongs to (`None`: the default cluster; a query unit
    /// outside any `#connect` has no database).
    pub cluster: Option<String>,
    pub database: Option<String>,
    /// The KQL text, decoded.
    pub text: String,
    /// From offsets in `text` to offsets in the file.
    pub map: OffsetMap,
    pub query: AnalyzedQuery,
}

/// Where a unit comes from, with the context it belongs to.
#[derive(Clone, Debug)]
pub struct Origin {
    pub file: FileId,
    pub name: Option<String>,
    pub cluster: Option<String>,
    pub database: Option<String>,
}

impl Unit {
    /// The bytes of the file that `span` (an offset range of the unit's text) covers.
    pub fn file_span(&self, span: Span) -> Span {
        self.map.span_to_source(span)
    }

    /// The syntax errors of the unit's KQL, as diagnostics on its file.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.query
            .errors
            .iter()
            .map(|e| Diagnostic::syntax_error(self.file, self.file_span(e.span), e.message.clone()))
            .collect()
    }

    /// Query text at `span` of a file's `text`.
    pub fn query(origin: Origin, text: &str, span: Span) -> Unit {
        let slice = span.of(text).to_string();
        let query = kql::analyze_query(&slice);
        Unit::new(origin, UnitKind::Query, slice, OffsetMap::identity(span.start as usize, span.len()), query)
    }

    /// A function declaration `(params) { body }` at `span` of a file's `text`.
    pub fn function(origin: Origin, text: &str, span: Span) -> Unit {
        let slice = span.of(text).to_string();
        let query = kql::analyze_function(&slice);
        Unit::new(origin, UnitKind::Function, slice, OffsetMap::identity(span.start as usize, span.len()), query)
    }

    /// A materialized view body `{ query }` at `span` of a file's `text`.
    pub fn materialized_view(origin: Origin, text: &str, span: Span) -> Unit {
        let slice = span.of(text).to_string();
        let query = kql::analyze_body(&slice);
        Unit::new(
            origin,
            UnitKind::MaterializedView,
            slice,
            OffsetMap::identity(span.start as usize, span.len()),
            query,
        )
    }

    /// A decoded query (a policy's `Query`, an RLS query) with its map to the file.
    pub fn decoded(origin: Origin, kind: UnitKind, text: String, map: OffsetMap) -> Unit {
        let query = kql::analyze_query(&text);
        Unit::new(origin, kind, text, map, query)
    }

    fn new(origin: Origin, kind: UnitKind, text: String, map: OffsetMap, query: AnalyzedQuery) -> Unit {
        Unit {
            file: origin.file,
            kind,
            name: origin.name,
            cluster: origin.cluster,
            database: origin.database,
            text,
            map,
            query,
        }
    }
}
