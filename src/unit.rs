//! Query units: each piece of KQL text uplint analyses, with where it sits in its file.
//!
//! A unit's text may be a decoded string (a policy's `Query` inside JSON inside a string
//! literal), so every unit carries an [`OffsetMap`] from its own offsets to its file's bytes.

use serde::Serialize;

use crate::kql::{self, AnalyzedQuery, strings::OffsetMap};
use crate::source::{FileId, SourceFile};
use crate::span::Span;

/// What a unit is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnitKind {
    /// A query file (or the query text of a script that is not a command).
    Query,
}

impl UnitKind {
    /// The name used in output (`query`, `function`, `update-policy`...).
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Query => "query",
        }
    }
}

/// One analysed piece of KQL.
#[derive(Clone, Debug)]
pub struct Unit {
    pub file: FileId,
    pub kind: UnitKind,
    pub name: Option<String>,
    pub database: Option<String>,
    /// The KQL text, decoded.
    pub text: String,
    /// From offsets in `text` to offsets in the file.
    pub map: OffsetMap,
    pub query: AnalyzedQuery,
}

impl Unit {
    /// The bytes of the file that `span` (an offset range of the unit's text) covers.
    pub fn file_span(&self, span: Span) -> Span {
        self.map.span_to_source(span)
    }
}

/// The query unit of a file that holds a query rather than management commands (until
/// commands are parsed, a file whose first token is `.` has no unit).
pub fn query_unit(id: FileId, file: &SourceFile) -> Option<Unit> {
    if kql::starts_with_command(&file.text) {
        return None;
    }
    Some(Unit {
        file: id,
        kind: UnitKind::Query,
        name: None,
        database: None,
        text: file.text.clone(),
        map: OffsetMap::identity(0, file.text.len()),
        query: kql::analyze_query(&file.text),
    })
}
