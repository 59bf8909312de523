//! Query units: each piece of KQL text uplint analyses, with where it sits in its file.
//!
//! A unit's text may be a decoded string (a policy's `Query` inside JSON inside a string
//! literal), so every unit carries an [`OffsetMap`] from its own offsets to its file's bytes.

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Label};
use crate::kql::token::{Token, Tokens};
use crate::kql::{self, AnalyzedQuery, lexer, strings::OffsetMap};
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
            .map(|e| {
                e.labels.iter().fold(
                    Diagnostic::syntax_error(self.file, self.file_span(e.span), e.message.clone()),
                    |d, (span, message)| d.with_label(Label::new(self.file, self.file_span(*span), message.clone())),
                )
            })
            .collect()
    }

    /// Query text at `span` of a file's `text`.
    pub fn query(origin: Origin, text: &str, span: Span, cache: &mut AnalysisCache) -> Unit {
        let slice = span.of(text).to_string();
        let query = cache.analyze(UnitKind::Query, &slice, Some(span), kql::analyze_query_tokens);
        Unit::new(origin, UnitKind::Query, slice, OffsetMap::identity(span.start as usize, span.len()), query)
    }

    /// A function declaration `(params) { body }` at `span` of a file's `text`.
    pub fn function(origin: Origin, text: &str, span: Span, cache: &mut AnalysisCache) -> Unit {
        let slice = span.of(text).to_string();
        let query = cache.analyze(UnitKind::Function, &slice, Some(span), kql::analyze_function_tokens);
        Unit::new(origin, UnitKind::Function, slice, OffsetMap::identity(span.start as usize, span.len()), query)
    }

    /// A materialized view body `{ query }` at `span` of a file's `text`.
    pub fn materialized_view(origin: Origin, text: &str, span: Span, cache: &mut AnalysisCache) -> Unit {
        let slice = span.of(text).to_string();
        let query = cache.analyze(UnitKind::MaterializedView, &slice, Some(span), kql::analyze_body_tokens);
        Unit::new(
            origin,
            UnitKind::MaterializedView,
            slice,
            OffsetMap::identity(span.start as usize, span.len()),
            query,
        )
    }

    /// A decoded query (a policy's `Query`, an RLS query) with its map to the file.
    pub fn decoded(origin: Origin, kind: UnitKind, text: String, map: OffsetMap, cache: &mut AnalysisCache) -> Unit {
        let query = cache.analyze(kind, &text, None, kql::analyze_query_tokens);
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

/// How a unit's text is analysed (as a query, a function declaration, a body in braces), from
/// its tokens.
type Analyze = fn(&str, Tokens<'_>) -> AnalyzedQuery;

/// Analyses a unit's `text` with `analyze`. A text that is the slice `span` of its file is
/// parsed from the file's `tokens` (lexed once with the file), when they cover it; any other
/// text (decoded, or without its file's tokens) is lexed on its own. Both give the same result.
fn run(analyze: Analyze, text: &str, span: Option<Span>, tokens: &[Token]) -> AnalyzedQuery {
    match span.and_then(|span| Tokens::within(tokens, span)) {
        Some(run) => analyze(text, run),
        None => analyze(text, Tokens::of(&lexer::lex(text))),
    }
}

/// Analyses of earlier units, taken again by a unit of the same kind and the same text instead
/// of parsing it again: rebuilding the model after an edit parses only the KQL that changed.
/// Analysis is a function of the text alone, so a reused analysis is the one parsing would give.
///
/// Units are looked up first at their position in the earlier build (a rebuild of the same
/// scripts, or one where an edit kept the number of units, agrees everywhere else at no cost),
/// and once positions stop agreeing, by text.
///
/// A [deferring](AnalysisCache::deferring) cache leaves the units it has no analysis for
/// unanalysed until [`AnalysisCache::finish`] analyses them all in parallel.
#[derive(Debug, Default)]
pub struct AnalysisCache {
    /// The earlier units in build order, each taken once.
    in_order: Vec<Option<Unit>>,
    /// The position of the unit being built (set by the model builder).
    position: usize,
    /// Consecutive misses by position; two in a row mean positions have shifted.
    misses: usize,
    /// What `in_order` held when positions shifted, by text.
    by_text: FxHashMap<String, Vec<(UnitKind, AnalyzedQuery)>>,
    /// When deferring: the positions of the units left to analyse, how to analyse each, and
    /// where its text sits in the file when it is a slice of it.
    deferred: Option<Vec<(usize, Analyze, Option<Span>)>>,
    /// The tokens of the file whose units are built, when its script kept them: units that are
    /// slices of the file are parsed from them instead of being lexed again.
    tokens: Vec<Token>,
}

impl AnalysisCache {
    /// The analyses of `units` (in the order they were built), to reuse.
    pub fn from_units(units: Vec<Unit>) -> AnalysisCache {
        AnalysisCache { in_order: units.into_iter().map(Some).collect(), ..AnalysisCache::default() }
    }

    /// As [`AnalysisCache::from_units`], leaving the units it has no analysis for to
    /// [`AnalysisCache::finish`].
    pub fn deferring(units: Vec<Unit>) -> AnalysisCache {
        AnalysisCache { deferred: Some(Vec::new()), ..AnalysisCache::from_units(units) }
    }

    /// Units that are slices of the file will be parsed from `tokens`, the file's tokens (as
    /// the script parser lexed them).
    pub fn with_tokens(self, tokens: Vec<Token>) -> AnalysisCache {
        AnalysisCache { tokens, ..self }
    }

    /// Analyses the units left unanalysed, in parallel (on the current `rayon` pool); `units`
    /// are the units built with this cache, in build order. Each analysis is a function of its
    /// unit's text alone, so the result is the same whatever the number of threads.
    pub fn finish(self, units: &mut [Unit]) {
        use rayon::prelude::*;
        let Some(deferred) = self.deferred else { return };
        drop(self.by_text);
        // Positions only grow, as units are built.
        let mut deferred = deferred.into_iter().peekable();
        let pending: Vec<(&mut Unit, Analyze, Option<Span>)> = units
            .iter_mut()
            .enumerate()
            .filter_map(|(position, unit)| {
                deferred.next_if(|(p, ..)| *p == position).map(|(_, analyze, span)| (unit, analyze, span))
            })
            .collect();
        let tokens = &self.tokens;
        pending.into_par_iter().for_each(|(unit, analyze, span)| unit.query = run(analyze, &unit.text, span, tokens));
    }

    /// The position in build order of the next unit looked up.
    pub fn set_position(&mut self, position: usize) {
        self.position = position;
    }

    /// The analysis of `text` as a unit of `kind`: a cached one when there is one, else `analyze`'s.
    /// `span`: where `text` sits in the file, when it is a slice of it.
    fn analyze(&mut self, kind: UnitKind, text: &str, span: Option<Span>, analyze: Analyze) -> AnalyzedQuery {
        if let Some(slot) = self.in_order.get_mut(self.position) {
            if slot.as_ref().is_some_and(|u| u.kind == kind && u.text == text) {
                self.misses = 0;
                return slot.take().map(|u| u.query).unwrap_or_default();
            }
            self.misses += 1;
            if self.misses >= 2 {
                for unit in self.in_order.drain(..).flatten() {
                    self.by_text.entry(unit.text).or_default().push((unit.kind, unit.query));
                }
            }
        }
        let cached = if self.by_text.is_empty() { None } else { self.by_text.get_mut(text) };
        match cached.and_then(|c| c.iter().position(|(k, _)| *k == kind).map(|i| c.swap_remove(i).1)) {
            Some(query) => query,
            None => match &mut self.deferred {
                Some(deferred) => {
                    deferred.push((self.position, analyze, span));
                    AnalyzedQuery::default()
                }
                None => run(analyze, text, span, &self.tokens),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_analyses_are_taken_once_and_by_kind() {
        let origin = || Origin { file: FileId(0), name: None, cluster: None, database: None };
        let text = "(x: int) { T | where y == x }";
        let mut empty = AnalysisCache::default();
        let function = Unit::function(origin(), text, Span::new(0, text.len()), &mut empty);
        let query = Unit::query(origin(), text, Span::new(0, text.len()), &mut empty);
        assert_ne!(function.query.parameters, query.query.parameters);
        let mut cache = AnalysisCache::from_units(vec![function.clone()]);
        // Another kind with the same text is analysed anew.
        let again = Unit::query(origin(), text, Span::new(0, text.len()), &mut cache);
        assert!(again.query.parameters.is_empty());
        let reused = Unit::function(origin(), text, Span::new(0, text.len()), &mut cache);
        assert_eq!(reused.query.parameters, function.query.parameters);
        assert!(cache.in_order.iter().all(Option::is_none) && cache.by_text.values().all(Vec::is_empty));
        // Once taken, the text is parsed again.
        let parsed = Unit::function(origin(), text, Span::new(0, text.len()), &mut cache);
        assert_eq!(parsed.query.parameters, function.query.parameters);
    }

    fn analysed_again(_: &str, _: Tokens<'_>) -> AnalyzedQuery {
        panic!("analysed again")
    }

    fn fresh(_: &str, _: Tokens<'_>) -> AnalyzedQuery {
        AnalyzedQuery::default()
    }

    fn cache_of(texts: &[&str]) -> AnalysisCache {
        let origin = || Origin { file: FileId(0), name: None, cluster: None, database: None };
        let units =
            texts.iter().map(|t| Unit::query(origin(), t, Span::new(0, t.len()), &mut AnalysisCache::default()));
        AnalysisCache::from_units(units.collect())
    }

    #[test]
    fn units_are_found_at_their_position_or_by_text() {
        // An edit that keeps the number of units: the others are found where they were.
        let mut cache = cache_of(&["A", "B", "C"]);
        for (position, text, analyze) in
            [(0, "A", analysed_again as Analyze), (1, "Y", fresh), (2, "C", analysed_again)]
        {
            cache.set_position(position);
            cache.analyze(UnitKind::Query, text, None, analyze);
        }
        // A unit added in front: positions shift, texts still match.
        let mut cache = cache_of(&["A", "B", "C"]);
        cache.set_position(0);
        cache.analyze(UnitKind::Query, "X", None, fresh);
        for (position, text) in ["A", "B", "C"].iter().enumerate() {
            cache.set_position(position + 1);
            cache.analyze(UnitKind::Query, text, None, analysed_again);
        }
    }

    #[test]
    fn deferred_analyses_are_the_immediate_ones_and_reuse_still_applies() {
        let origin = || Origin { file: FileId(0), name: None, cluster: None, database: None };
        let texts = ["T | take 1", "database('D').U | where", "(x: int) { V }", "W"];
        let build = |cache: &mut AnalysisCache| -> Vec<Unit> {
            texts
                .iter()
                .enumerate()
                .map(|(position, text)| {
                    cache.set_position(position);
                    let span = Span::new(0, text.len());
                    if text.starts_with('(') {
                        Unit::function(origin(), text, span, cache)
                    } else {
                        Unit::query(origin(), text, span, cache)
                    }
                })
                .collect()
        };
        let immediate = build(&mut AnalysisCache::default());
        let mut cache = AnalysisCache::deferring(Vec::new());
        let mut deferred = build(&mut cache);
        let unanalysed = format!("{:?}", AnalyzedQuery::default());
        assert!(deferred.iter().all(|u| format!("{:?}", u.query) == unanalysed), "nothing analysed before finish");
        cache.finish(&mut deferred);
        let queries = |units: &[Unit]| units.iter().map(|u| format!("{:?}", u.query)).collect::<Vec<_>>();
        assert_eq!(queries(&deferred), queries(&immediate));
        assert!(!immediate[1].query.analysis.references.is_empty() && !immediate[1].query.errors.is_empty());
        // Taken over from an earlier build: nothing left to analyse but the new text.
        let mut earlier = immediate.clone();
        earlier[3] = Unit::query(origin(), "X", Span::new(0, 1), &mut AnalysisCache::default());
        let mut cache = AnalysisCache::deferring(earlier);
        let mut rebuilt = build(&mut cache);
        assert_eq!(queries(&rebuilt[..3]), queries(&immediate[..3]));
        assert_eq!(format!("{:?}", rebuilt[3].query), unanalysed);
        cache.finish(&mut rebuilt);
        assert_eq!(queries(&rebuilt), queries(&immediate));
    }
}
