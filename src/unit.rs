//! Query units: each piece of KQL text uplint analyses, with where it sits in its file.
//!
//! A unit's text is a stretch of its file's text, shared with the file (most units), or a
//! decoded string (a policy's `Query` inside JSON inside a string literal) with an [`OffsetMap`]
//! from its own offsets to its file's bytes. The analysis of a text is shared by the units of
//! the same kind and text made in one build, and the cluster and database names by the units
//! of one context: a file of many small queries costs little more than its text.

use std::ops::Deref;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Label};
use crate::kql::token::{Token, Tokens};
use crate::kql::{self, AnalyzedQuery, lexer, strings::OffsetMap};
use crate::script::command::Name;
use crate::source::{FileId, SharedText};
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
    /// The cluster and database (see [`Unit::cluster`], [`Unit::database`]; `None`: neither),
    /// shared by the units of one context. Its name, which most units have not, is kept apart
    /// ([`UnitNames`]).
    pub site: Option<Arc<Site>>,
    /// The KQL text, decoded, with its map to the file.
    pub text: UnitText,
    /// The analysis of the text, shared by the units of the same kind and text of one build.
    pub query: Arc<AnalyzedQuery>,
}

/// A unit's KQL text: a stretch of its file's text (shared with the file), or a decoded string
/// with its map to the file. Dereferences to the text.
#[derive(Clone, Debug)]
pub enum UnitText {
    /// `file[start..end]`.
    Slice { file: SharedText, start: u32, end: u32 },
    /// A decoded string (a policy's `Query`, an RLS query) and where its bytes come from.
    Decoded(Box<(String, OffsetMap)>),
}

impl UnitText {
    /// The stretch `span` of a file's `text`.
    pub fn slice(text: &SharedText, span: Span) -> UnitText {
        UnitText::Slice { file: Arc::clone(text), start: span.start, end: span.end }
    }

    /// A decoded text and its map to the file.
    pub fn decoded(text: String, map: OffsetMap) -> UnitText {
        UnitText::Decoded(Box::new((text, map)))
    }

    pub fn as_str(&self) -> &str {
        match self {
            UnitText::Slice { file, start, end } => &file[*start as usize..*end as usize],
            UnitText::Decoded(decoded) => &decoded.0,
        }
    }

    /// The bytes of the file that `span` (an offset range of the text) covers.
    pub fn file_span(&self, span: Span) -> Span {
        match self {
            UnitText::Slice { start, .. } => Span::new(
                (*start as usize).saturating_add(span.start as usize),
                (*start as usize).saturating_add(span.end as usize),
            ),
            UnitText::Decoded(decoded) => decoded.1.span_to_source(span),
        }
    }

    /// Where the text sits in the file, when it is a slice of it.
    pub fn file_slice(&self) -> Option<Span> {
        match self {
            UnitText::Slice { start, end, .. } => Some(Span::new(*start as usize, *end as usize)),
            UnitText::Decoded(_) => None,
        }
    }

    /// The offset in the file where the text starts.
    pub fn file_start(&self) -> usize {
        self.file_span(Span::new(0, 0)).start as usize
    }
}

impl Deref for UnitText {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for UnitText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for UnitText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for UnitText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The cluster and database of a context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    pub cluster: Option<Arc<str>>,
    pub database: Option<Arc<str>>,
}

impl Site {
    /// The site of `cluster` and `database` (none when it has neither; cluster `None`: the
    /// default cluster; a query unit outside any `#connect` has no database).
    pub fn of(cluster: Option<Arc<str>>, database: Option<Arc<str>>) -> Option<Arc<Site>> {
        (cluster.is_some() || database.is_some()).then(|| Arc::new(Site { cluster, database }))
    }
}

/// The names of the units that have one (a function or view name, `Table[index]` for a policy
/// entry, the table for RLS), by unit id, set by the model's build. Kept apart from the units:
/// a file of many queries has none, and a name field per unit would cost each of them 16 bytes;
/// here a name costs 16 (most held inline, [`Name`]), and the ids are held as runs of
/// consecutive ones (a file of many functions is one run), 8 bytes each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitNames {
    /// The first id of each run and the index of its name in `names`, ascending; a run ends
    /// where the next one's names begin.
    runs: Vec<(u32, u32)>,
    names: Vec<Name>,
}

impl UnitNames {
    /// The name of unit `id`, if it has one.
    pub fn get(&self, id: UnitId) -> Option<&str> {
        Some(&self.names[self.index(id)?])
    }

    /// Where the name of unit `id` is in `names`.
    fn index(&self, id: UnitId) -> Option<usize> {
        let run = self.runs.partition_point(|&(first, _)| first <= id.0).checked_sub(1)?;
        let (first, start) = self.runs[run];
        let end = self.runs.get(run + 1).map_or(self.names.len(), |&(_, next)| next as usize);
        let at = start as usize + (id.0 - first) as usize;
        (at < end).then_some(at)
    }

    /// The id after the last one named.
    fn end(&self) -> u32 {
        self.runs.last().map_or(0, |&(first, start)| first + (self.names.len() as u32 - start))
    }

    /// Names unit `id` `name`: a build takes units in ascending order (added at the end), and a
    /// rebuild names units named already (replaced in place; see [`UnitNames::replace`]).
    pub fn set(&mut self, id: UnitId, name: Name) {
        if let Some(at) = self.index(id) {
            self.names[at] = name;
            return;
        }
        if self.runs.is_empty() || id.0 >= self.end() {
            if self.runs.is_empty() || id.0 != self.end() {
                self.runs.push((id.0, self.names.len() as u32));
            }
            self.names.push(name);
            return;
        }
        // Before the last one named: not how builds name units (the names are laid out again).
        let mut one = UnitNames::default();
        one.set(id, name);
        self.replace(id.0 as usize..id.0 as usize + 1, one);
    }

    /// Replaces the names of the units in `ids` by those of `with` (all in `ids`), at once: a
    /// rebuild names the units of the edited file again (a unit that was a function's may now
    /// be a query's), and a file of many functions in the middle of a project is one pass over
    /// the names, not one per name.
    pub fn replace(&mut self, ids: std::ops::Range<usize>, with: UnitNames) {
        debug_assert!(with.named().all(|id| ids.contains(&(id as usize))));
        let old = std::mem::take(self);
        let old_ids: Vec<u32> = old.named().collect();
        let (before, after): (Vec<_>, Vec<_>) =
            old_ids.into_iter().zip(old.names).partition(|(id, _)| (*id as usize) < ids.start);
        let with_ids: Vec<u32> = with.named().collect();
        let within = with_ids.into_iter().zip(with.names);
        let after = after.into_iter().filter(|(id, _)| *id as usize >= ids.end);
        // In ascending order: each is added at the end.
        for (id, name) in before.into_iter().chain(within).chain(after) {
            self.set(UnitId(id), name);
        }
    }

    /// The ids named, ascending.
    fn named(&self) -> impl Iterator<Item = u32> + '_ {
        self.runs.iter().enumerate().flat_map(|(run, &(first, start))| {
            let end = self.runs.get(run + 1).map_or(self.names.len(), |&(_, next)| next as usize);
            (first..).take(end - start as usize)
        })
    }

    /// Forgets every name (before a whole build).
    pub fn clear(&mut self) {
        self.runs.clear();
        self.names.clear();
    }

    /// Lets the growth room go (once a whole build is done).
    pub fn shrink_to_fit(&mut self) {
        self.runs.shrink_to_fit();
        self.names.shrink_to_fit();
    }
}

/// Where a unit comes from, with the context it belongs to.
#[derive(Clone, Debug)]
pub struct Origin {
    pub file: FileId,
    pub name: Option<Name>,
    pub cluster: Option<Arc<str>>,
    pub database: Option<Arc<str>>,
}

impl Unit {
    /// The bytes of the file that `span` (an offset range of the unit's text) covers.
    pub fn file_span(&self, span: Span) -> Span {
        self.text.file_span(span)
    }

    /// The cluster the unit belongs to (`None`: the default cluster).
    pub fn cluster(&self) -> Option<&str> {
        self.site.as_ref()?.cluster.as_deref()
    }

    /// The database the unit belongs to (a query unit outside any `#connect` has none).
    pub fn database(&self) -> Option<&str> {
        self.site.as_ref()?.database.as_deref()
    }

    /// The syntax errors of the unit's KQL, as diagnostics on its file.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.query
            .errors()
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
    pub fn query(origin: Origin, text: &SharedText, span: Span, cache: &mut AnalysisCache) -> Unit {
        Unit::new(origin, UnitKind::Query, UnitText::slice(text, span), cache)
    }

    /// A function declaration `(params) { body }` at `span` of a file's `text`.
    pub fn function(origin: Origin, text: &SharedText, span: Span, cache: &mut AnalysisCache) -> Unit {
        Unit::new(origin, UnitKind::Function, UnitText::slice(text, span), cache)
    }

    /// A materialized view body `{ query }` at `span` of a file's `text`.
    pub fn materialized_view(origin: Origin, text: &SharedText, span: Span, cache: &mut AnalysisCache) -> Unit {
        Unit::new(origin, UnitKind::MaterializedView, UnitText::slice(text, span), cache)
    }

    /// A decoded query (a policy's `Query`, an RLS query) with its map to the file.
    pub fn decoded(origin: Origin, kind: UnitKind, text: String, map: OffsetMap, cache: &mut AnalysisCache) -> Unit {
        Unit::new(origin, kind, UnitText::decoded(text, map), cache)
    }

    fn new(origin: Origin, kind: UnitKind, text: UnitText, cache: &mut AnalysisCache) -> Unit {
        debug_assert!(origin.name.is_none(), "a unit is named by the model's build ([`UnitNames`])");
        let query = cache.analyze(kind, &text, text.file_slice(), analyze_of(kind));
        Unit { file: origin.file, kind, site: Site::of(origin.cluster, origin.database), text, query }
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

/// How many distinct texts [`AnalysisCache::finish`] analyses (in parallel) before it lets
/// their tokens go.
const FINISH_BLOCK: usize = 4096;

/// Keeps, of a file's `tokens`, those inside one of `spans` (stretches of the file), and lets
/// the room of the others go; [`Tokens::within`] finds the run of each span in what is kept as
/// in the whole.
fn keep_tokens_within(tokens: &mut Vec<Token>, mut spans: Vec<Span>) {
    if tokens.is_empty() {
        return;
    }
    spans.sort_unstable_by_key(|s| (s.start, s.end));
    let mut next = 0;
    tokens.retain(|token| {
        // Spans that end before this token ends hold no later token either (tokens are in
        // order); the first span left starts earliest, and ends after the token.
        while spans.get(next).is_some_and(|s| s.end < token.span.end) {
            next += 1;
        }
        spans.get(next).is_some_and(|s| s.start <= token.span.start)
    });
    tokens.shrink_to_fit();
}

/// How a unit of `kind` is analysed.
fn analyze_of(kind: UnitKind) -> Analyze {
    match kind {
        UnitKind::Query | UnitKind::UpdatePolicy | UnitKind::RowLevelSecurity => kql::analyze_query_tokens,
        UnitKind::Function => kql::analyze_function_tokens,
        UnitKind::MaterializedView => kql::analyze_body_tokens,
    }
}

/// A unit's text as the key of earlier analyses (hashed and compared as its `str`).
#[derive(Debug)]
struct TextKey(UnitText);

impl PartialEq for TextKey {
    fn eq(&self, other: &TextKey) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Eq for TextKey {}

impl std::hash::Hash for TextKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.as_str().hash(state);
    }
}

impl std::borrow::Borrow<str> for TextKey {
    fn borrow(&self) -> &str {
        self.0.as_str()
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
/// unanalysed until [`AnalysisCache::finish`] analyses them all in parallel, each distinct text
/// (of a kind) once, its analysis shared by the units that have it.
#[derive(Debug, Default)]
pub struct AnalysisCache {
    /// The earlier units in build order, each taken once.
    in_order: Vec<Option<Unit>>,
    /// The position of the unit being built (set by the model builder).
    position: usize,
    /// Consecutive misses by position; two in a row mean positions have shifted.
    misses: usize,
    /// What `in_order` held when positions shifted, by text.
    by_text: FxHashMap<TextKey, Vec<(UnitKind, Arc<AnalyzedQuery>)>>,
    /// Whether units without an earlier analysis are left to [`AnalysisCache::finish`] (each
    /// analysed as its kind says: [`analyze_of`]).
    deferring: bool,
    /// The analysis deferred units hold until they are analysed (one, shared: `finish` finds
    /// them by it, with no list of their positions).
    unanalysed: Arc<AnalyzedQuery>,
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
        AnalysisCache { deferring: true, ..AnalysisCache::from_units(units) }
    }

    /// Units that are slices of the file will be parsed from `tokens`, the file's tokens (as
    /// the script parser lexed them).
    pub fn with_tokens(self, tokens: Vec<Token>) -> AnalysisCache {
        AnalysisCache { tokens, ..self }
    }

    /// Analyses the units left unanalysed, in parallel (on the current `rayon` pool); `units`
    /// are the units built with this cache, in build order. Units of the same kind and text
    /// share one analysis, made once. The distinct texts are analysed 4,096 at a time from the
    /// file's end, and the file's tokens of each block let go once it is. Each analysis is a
    /// function of its unit's text alone, so the result is the same whatever the number of
    /// threads.
    pub fn finish(self, units: &mut [Unit]) {
        use rayon::prelude::*;
        use std::hash::BuildHasher;
        if !self.deferring {
            return;
        }
        drop(self.by_text);
        drop(self.in_order);
        // Positions only grow, as units are built. The units of one kind and text are found
        // by sorting (kind, text) hashes: a few bytes per unit, not a map of every text. The
        // hash only groups; texts are compared.
        let hasher = std::hash::RandomState::new();
        let deferred = |unit: &Unit| Arc::ptr_eq(&unit.query, &self.unanalysed);
        let mut hashed: Vec<(u32, u32)> = Vec::with_capacity(units.iter().filter(|u| deferred(u)).count());
        hashed.extend(
            (0..units.len() as u32)
                .zip(units.iter())
                .filter(|(_, unit)| deferred(unit))
                .map(|(position, unit)| (hasher.hash_one((unit.kind, unit.text.as_str())) as u32, position)),
        );
        hashed.sort_unstable();
        // For each deferred position: the first position of its kind and text, written over
        // its hash (one list, not two, beside the units and the file's tokens).
        let mut distinct: Vec<u32> = Vec::new();
        for group in hashed.chunk_by_mut(|a, b| a.0 == b.0) {
            distinct.clear();
            for entry in group.iter_mut() {
                let position = entry.1;
                let unit = &units[position as usize];
                let same = |&other: &u32| {
                    let other = &units[other as usize];
                    other.kind == unit.kind && other.text.as_str() == unit.text.as_str()
                };
                let earlier = match distinct.iter().copied().find(same) {
                    Some(earlier) => earlier,
                    None => {
                        distinct.push(position);
                        position
                    }
                };
                *entry = (position, earlier);
            }
        }
        let mut first = hashed;
        first.sort_unstable();
        let distinct: Vec<u32> =
            first.iter().filter_map(|&(position, earlier)| (position == earlier).then_some(position)).collect();
        // The units that take an earlier unit's analysis (none in a file whose texts all
        // differ): the others are `distinct`.
        first.retain(|&(position, earlier)| position != earlier);
        first.shrink_to_fit();
        // Only the tokens of the texts about to be analysed are kept while they are: a file's
        // commands are most of its tokens (a file of many tables and functions).
        let mut tokens = self.tokens;
        keep_tokens_within(&mut tokens, distinct.iter().filter_map(|&p| units[p as usize].text.file_slice()).collect());
        // Analysed from the file's end, a block of units at a time, each block in parallel:
        // the tokens of a block are let go once it is analysed (shrunk in place), and no list
        // of all the analyses is held beside the units.
        for block in distinct.rchunks(FINISH_BLOCK) {
            let shared = &*units;
            let analyses: Vec<Arc<AnalyzedQuery>> = block
                .par_iter()
                .map(|&position| {
                    let unit = &shared[position as usize];
                    Arc::new(run(analyze_of(unit.kind), &unit.text, unit.text.file_slice(), &tokens))
                })
                .collect();
            let from = block.iter().filter_map(|&p| units[p as usize].text.file_slice()).map(|s| s.start).min();
            for (&position, analysis) in block.iter().zip(analyses) {
                units[position as usize].query = analysis;
            }
            // Units are built in file order, so the units left end before this block starts;
            // a unit whose tokens were let go all the same would be lexed on its own
            // ([`Tokens::within`] finds no run that ends where it ends).
            if let Some(from) = from {
                tokens.truncate(tokens.partition_point(|t| t.span.start < from));
                if tokens.capacity() - tokens.len() >= 1 << 12 {
                    tokens.shrink_to_fit();
                }
            }
        }
        for (position, earlier) in first {
            units[position as usize].query = Arc::clone(&units[earlier as usize].query);
        }
    }

    /// The position in build order of the next unit looked up.
    pub fn set_position(&mut self, position: usize) {
        self.position = position;
    }

    /// The analysis of `text` as a unit of `kind`: a cached one when there is one, else `analyze`'s.
    /// `span`: where `text` sits in the file, when it is a slice of it.
    fn analyze(&mut self, kind: UnitKind, text: &str, span: Option<Span>, analyze: Analyze) -> Arc<AnalyzedQuery> {
        if let Some(slot) = self.in_order.get_mut(self.position) {
            if slot.as_ref().is_some_and(|u| u.kind == kind && u.text.as_str() == text) {
                self.misses = 0;
                if let Some(unit) = slot.take() {
                    return unit.query;
                }
            }
            self.misses += 1;
            if self.misses >= 2 {
                for unit in self.in_order.drain(..).flatten() {
                    self.by_text.entry(TextKey(unit.text)).or_default().push((unit.kind, unit.query));
                }
            }
        }
        let cached = if self.by_text.is_empty() { None } else { self.by_text.get_mut(text) };
        match cached.and_then(|c| c.iter().position(|(k, _)| *k == kind).map(|i| c.swap_remove(i).1)) {
            Some(query) => query,
            None if self.deferring => Arc::clone(&self.unanalysed),
            None => Arc::new(run(analyze, text, span, &self.tokens)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_analyses_are_taken_once_and_by_kind() {
        let origin = || Origin { file: FileId(0), name: None, cluster: None, database: None };
        let text: &SharedText = &Arc::new("(x: int) { T | where y == x }".to_string());
        let mut empty = AnalysisCache::default();
        let function = Unit::function(origin(), text, Span::new(0, text.len()), &mut empty);
        let query = Unit::query(origin(), text, Span::new(0, text.len()), &mut empty);
        assert_ne!(function.query.parameters(), query.query.parameters());
        let mut cache = AnalysisCache::from_units(vec![function.clone()]);
        // Another kind with the same text is analysed anew.
        let again = Unit::query(origin(), text, Span::new(0, text.len()), &mut cache);
        assert!(again.query.parameters().is_empty());
        let reused = Unit::function(origin(), text, Span::new(0, text.len()), &mut cache);
        assert_eq!(reused.query.parameters(), function.query.parameters());
        assert!(cache.in_order.iter().all(Option::is_none) && cache.by_text.values().all(Vec::is_empty));
        // Once taken, the text is parsed again.
        let parsed = Unit::function(origin(), text, Span::new(0, text.len()), &mut cache);
        assert_eq!(parsed.query.parameters(), function.query.parameters());
    }

    fn analysed_again(_: &str, _: Tokens<'_>) -> AnalyzedQuery {
        panic!("analysed again")
    }

    fn fresh(_: &str, _: Tokens<'_>) -> AnalyzedQuery {
        AnalyzedQuery::default()
    }

    fn cache_of(texts: &[&str]) -> AnalysisCache {
        let origin = || Origin { file: FileId(0), name: None, cluster: None, database: None };
        let units = texts.iter().map(|t| {
            Unit::query(origin(), &Arc::new(t.to_string()), Span::new(0, t.len()), &mut AnalysisCache::default())
        });
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
                    let text: &SharedText = &Arc::new(text.to_string());
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
        assert!(immediate[1].query.analysis.references().next().is_some() && !immediate[1].query.errors().is_empty());
        // Taken over from an earlier build: nothing left to analyse but the new text.
        let mut earlier = immediate.clone();
        earlier[3] = Unit::query(origin(), &Arc::new("X".to_string()), Span::new(0, 1), &mut AnalysisCache::default());
        let mut cache = AnalysisCache::deferring(earlier);
        let mut rebuilt = build(&mut cache);
        assert_eq!(queries(&rebuilt[..3]), queries(&immediate[..3]));
        assert_eq!(format!("{:?}", rebuilt[3].query), unanalysed);
        cache.finish(&mut rebuilt);
        assert_eq!(queries(&rebuilt), queries(&immediate));
    }

    /// The query units of `file` at `spans`, made in order with `cache` (positions 0, 1...).
    fn query_units(file: &SharedText, spans: &[Span], cache: &mut AnalysisCache) -> Vec<Unit> {
        let origin = || Origin { file: FileId(0), name: None, cluster: None, database: None };
        let made = spans.iter().enumerate().map(|(position, span)| {
            cache.set_position(position);
            Unit::query(origin(), file, *span, cache)
        });
        made.collect()
    }

    #[test]
    fn units_of_one_kind_and_text_share_one_analysis() {
        let origin = || Origin { file: FileId(0), name: None, cluster: None, database: None };
        let file: SharedText = Arc::new("T | take 1\n\nT | take 1\n\nU\n\n(x: int) { T | take 1 }".to_string());
        let mut cache = AnalysisCache::deferring(Vec::new());
        let spans = [Span::new(0, 10), Span::new(12, 22), Span::new(24, 25)];
        let mut units = query_units(&file, &spans, &mut cache);
        cache.set_position(3);
        units.push(Unit::function(origin(), &file, Span::new(27, file.len()), &mut cache));
        cache.finish(&mut units);
        assert!(Arc::ptr_eq(&units[0].query, &units[1].query), "same kind and text: one analysis");
        assert!(!Arc::ptr_eq(&units[0].query, &units[2].query));
        assert_eq!(units[2].query.analysis.reads()[0].entity.name(), "U");
        assert_eq!(units[1].query.analysis.reads()[0].entity.name(), "T");
        assert_eq!(units[3].query.parameters().len(), 1);
        // The text is the file's, its spans map back to it.
        assert_eq!(units[1].text, "T | take 1");
        assert_eq!(units[1].file_span(Span::new(4, 8)), Span::new(16, 20));
        assert_eq!(units[3].text.file_start(), 27);
    }

    /// A file of more distinct texts than one block of [`AnalysisCache::finish`]: each unit
    /// gets the analysis of its own text, made from the file's tokens as they are let go block
    /// by block, and repeated texts share one.
    #[test]
    fn blocks_of_units_are_analysed_as_each_text_alone() {
        let count = FINISH_BLOCK * 2 + 5;
        let queries: Vec<String> = (0..count)
            .map(|i| if i % 7 == 3 { "T | take 1".to_string() } else { format!("T{i} | join (U{}) on a", i % 5) })
            .collect();
        let file: SharedText = Arc::new(queries.join("\n\n"));
        let mut spans = Vec::new();
        let mut at = 0;
        for query in &queries {
            spans.push(Span::new(at, at + query.len()));
            at += query.len() + 2;
        }
        let mut cache = AnalysisCache::deferring(Vec::new()).with_tokens(lexer::lex(&file));
        let mut units = query_units(&file, &spans, &mut cache);
        cache.finish(&mut units);
        for (unit, query) in units.iter().zip(&queries) {
            assert_eq!(format!("{:?}", unit.query), format!("{:?}", kql::analyze_query(query)), "{query}");
        }
        let last_repeat = (0..count).rev().find(|i| i % 7 == 3).unwrap_or(3);
        assert!(last_repeat > FINISH_BLOCK * 2 && Arc::ptr_eq(&units[3].query, &units[last_repeat].query));
        assert_eq!(units[count - 1].query.analysis.reads()[1].entity.name(), format!("U{}", (count - 1) % 5));
    }

    #[test]
    fn decoded_text_maps_through_its_offset_map() {
        let decoded = crate::kql::strings::decode_json_string(r#""T | where a == \"x\"""#, 100);
        let text = UnitText::decoded(decoded.value.clone(), decoded.map.clone());
        assert_eq!(text, "T | where a == \"x\"");
        // `"x"` is `\"x\"` in the file.
        assert_eq!(text.file_span(Span::new(15, 18)), Span::new(116, 121));
        assert_eq!(text.file_start(), 101);
    }

    /// Trimmed tokens are those inside a span, and each span finds the same run in them as in
    /// all the file's tokens.
    #[test]
    fn tokens_are_kept_within_the_spans_and_find_the_same_runs() {
        let text = ".create table T (a:string)\nT | where a == 'x' | take 1\n\n.create function F() { T | count }\nU\n| project b";
        let all = lexer::lex(text);
        let span_of = |from: usize, to: usize| all[from].span.to(all[to].span);
        let last = all.len() - 2;
        let cases: Vec<Vec<Span>> = vec![
            vec![],
            vec![span_of(0, last)],
            vec![span_of(9, 18), span_of(12, 14), span_of(30, last)],
            vec![span_of(30, last), span_of(1, 1), span_of(2, 4), span_of(5, 5)],
            vec![span_of(3, 10), span_of(3, 6), span_of(8, 12)],
        ];
        for spans in cases {
            let mut kept = all.clone();
            keep_tokens_within(&mut kept, spans.clone());
            let expected: Vec<Token> = all
                .iter()
                .copied()
                .filter(|t| spans.iter().any(|s| s.start <= t.span.start && t.span.end <= s.end))
                .collect();
            assert_eq!(kept, expected, "{spans:?}");
            for span in &spans {
                let runs = [&kept, &all].map(|tokens| {
                    let run = Tokens::within(tokens, *span).expect("a span of whole tokens");
                    (0..=run.len()).map(|i| run.get(i)).collect::<Vec<_>>()
                });
                assert_eq!(runs[0], runs[1], "{span:?}");
            }
        }
    }

    /// Units, their texts and analyses are made for every query of every file: their size
    /// is the memory of a project of many small queries (a regression shows here first).
    /// Names set in ascending order are appended, set again replaced, set out of order put in
    /// place; units never named have none.
    #[test]
    fn unit_names_are_found_by_id() {
        let mut names = UnitNames::default();
        for (id, name) in [(1, "F"), (4, "T[0]"), (7, "G")] {
            names.set(UnitId(id), Name::from(name));
        }
        names.set(UnitId(4), Name::from("T[1]"));
        names.set(UnitId(2), Name::from("a_name_longer_than_fifteen_bytes"));
        let found: Vec<_> = (0..9).map(|id| names.get(UnitId(id))).collect();
        let expected = [
            None,
            Some("F"),
            Some("a_name_longer_than_fifteen_bytes"),
            None,
            Some("T[1]"),
            None,
            None,
            Some("G"),
            None,
        ];
        assert_eq!(found, expected);
        let mut again = UnitNames::default();
        again.set(UnitId(3), Name::from("H"));
        names.replace(2..5, again);
        let found: Vec<_> = (0..9).map(|id| names.get(UnitId(id))).collect();
        assert_eq!(found, [None, Some("F"), None, Some("H"), None, None, None, Some("G"), None]);
        // Runs of consecutive ids: one for a file of many functions.
        assert_eq!(names.runs, [(1, 0), (3, 1), (7, 2)]);
        let mut many = UnitNames::default();
        (10..20).for_each(|id| many.set(UnitId(id), Name::from(format!("F{id}"))));
        assert_eq!(many.runs, [(10, 0)]);
        let mut middle = UnitNames::default();
        middle.set(UnitId(12), Name::from("G"));
        middle.set(UnitId(14), Name::from("H"));
        many.replace(11..15, middle);
        let found: Vec<_> = (9..21).map(|id| many.get(UnitId(id))).collect();
        let expected = [None, Some("F10"), None, Some("G"), None, Some("H"), Some("F15"), Some("F16"), Some("F17")];
        assert_eq!(found[..9], expected);
        assert_eq!(found[9..], [Some("F18"), Some("F19"), None]);
        // Named out of order: put in place all the same.
        many.set(UnitId(13), Name::from("I"));
        assert_eq!(
            (12..16).map(|id| many.get(UnitId(id))).collect::<Vec<_>>(),
            [Some("G"), Some("I"), Some("H"), Some("F15")]
        );
        names.clear();
        assert_eq!(names.get(UnitId(1)), None);
    }

    #[test]
    fn hot_structures_stay_small() {
        use std::mem::size_of;
        assert!(size_of::<Unit>() <= 40, "Unit: {} bytes", size_of::<Unit>());
        assert!(size_of::<UnitText>() <= 16, "UnitText: {} bytes", size_of::<UnitText>());
        assert!(size_of::<crate::script::Item>() <= 16, "script Item: {} bytes", size_of::<crate::script::Item>());
        // One analysis per distinct text, one block for a query of one reference (in an `Arc`:
        // 72 bytes with its counts, an 80-byte chunk): the read that is the reference kept
        // once, inline, with its entity's name (up to 23 bytes) inline; the rare lists and parts
        // boxed apart.
        let analyzed = size_of::<AnalyzedQuery>();
        assert!(analyzed <= 56, "AnalyzedQuery: {analyzed} bytes");
        let read = size_of::<crate::kql::references::Read>();
        assert!(read <= 56, "Read: {read} bytes");
        let reference = size_of::<crate::kql::references::Reference>();
        assert!(reference <= 48, "Reference: {reference} bytes");
        let entity = size_of::<crate::kql::references::Entity>();
        assert!(entity <= 40, "Entity: {entity} bytes");
        let name = size_of::<crate::kql::references::Name>();
        assert!(name <= 24, "entity Name: {name} bytes");
        let command = size_of::<crate::script::Command>();
        // 56 bytes: 64 of the C allocator's with its header (its words are its item's), with the
        // first schema of a table command inline (a name and one pointer to its columns).
        assert!(command <= 56, "script Command: {command} bytes (box large payloads and rare commands' parts)");
        let schema = size_of::<crate::script::command::TableSchema>();
        assert!(schema <= 32, "script TableSchema: {schema} bytes");
        // A project of many tables holds a table for each, in a map entry with its name, in
        // nodes packed full: one definition inline, the policies boxed apart.
        let table = size_of::<crate::model::Table>();
        assert!(table <= 48, "model Table: {table} bytes");
        let function = size_of::<crate::model::Function>();
        assert!(function <= 40, "model Function: {function} bytes");
        let definition = size_of::<crate::model::TableDefinition>();
        assert!(definition <= 40, "model table definition: {definition} bytes");
        let definition = size_of::<crate::model::FunctionDefinition>();
        assert!(definition <= 40, "model function definition: {definition} bytes");
        let name = size_of::<crate::script::command::Name>();
        assert!(name <= 16, "command Name: {name} bytes");
    }
}
