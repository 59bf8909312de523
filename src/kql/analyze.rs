//! What a parsed query refers to and what it reads (§2.8, §3.3-3.4 of `spec/kql-grammar.md`).
//!
//! One walk over the tree, with a scope of `let` names, parameters and `as` names, in one of two
//! modes at a time:
//! * *as written*: every reference in the text, including inside `let` functions nobody calls;
//! * *as run*: what executing the query reads. A `let` function is expanded at each call with
//!   its arguments bound (so `database(p).T` resolves when `p` is a constant), memoised by the
//!   constant arguments; an unused `let` expression still counts, as Kusto analyses it.
//!
//! A bare name is a column inside an operator that has input rows, a `let` or a parameter when
//! one is in scope, and otherwise a table in the positions where a table can stand (pipe heads,
//! `join`/`lookup`/`union` operands, `toscalar(...)`, a `let` value, the start of a pipe).

use std::rc::Rc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::FunctionParameter;
use super::ast::*;
use super::builtins;
use super::parser::SyntaxError;
use super::references::{Entity, EntityKind, PluginUse, Read, Reference, normalize_cluster};
use super::strings;
use super::token::{Token, Tokens};
use crate::span::Span;

/// How many let-function expansions one analysis may perform; beyond, calls are not expanded
/// (a query built to explode combinatorially stays fast).
const EXPANSION_BUDGET: u32 = 10_000;
/// How deeply let-function calls may nest while expanding.
const MAX_CALL_DEPTH: u32 = 64;

/// Everything a query refers to and reads. Kept for the whole run, one per distinct unit text,
/// so kept small (56 bytes, and nothing else for a query of one reference named in 23 bytes or
/// fewer): a read that is also a reference where it is written (most are) is kept once, the
/// references and the other reads in one list; the rarer lists are boxed together.
#[derive(Clone, PartialEq, Eq)]
pub struct Analysis(Repr);

#[derive(Clone, PartialEq, Eq)]
enum Repr {
    /// One reference, read where it is written, and nothing else (most queries).
    One(Read),
    /// Anything else (never what `One` holds).
    Lists {
        /// The references, then the reads that are not the references' last ones.
        slots: Box<[Read]>,
        /// The references are `slots[..references]`.
        references: u32,
        /// The reads are `slots[reads..]`.
        reads: u32,
        rare: Option<Box<RareLists>>,
    },
}

impl Default for Analysis {
    fn default() -> Analysis {
        Analysis(Repr::Lists { slots: Box::default(), references: 0, reads: 0, rare: None })
    }
}

/// The lists most queries leave empty (with the syntax errors and parameters of an
/// [`super::AnalyzedQuery`], boxed with them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct RareLists {
    plugins: Box<[PluginUse]>,
    external_data: Box<[Span]>,
    dynamic_references: Box<[Span]>,
    errors: Box<[SyntaxError]>,
    parameters: Box<[FunctionParameter]>,
}

/// The references of an [`Analysis`], in text order.
pub type References<'a> = std::iter::Map<std::slice::Iter<'a, Read>, fn(&Read) -> &Reference>;

impl Analysis {
    fn new(collected: Collected) -> Analysis {
        let Collected { references, reads, plugins, external_data, dynamic_references } = collected;
        // The longest run of reads, from the first, that are the last references as they are.
        let plain_at = |k: usize, j: usize| reads[j].is_plain() && reads[j].reference() == &references[k];
        let most = references.len().min(reads.len());
        let shared = (1..=most)
            .rev()
            .filter(|&k| plain_at(references.len() - k, 0))
            // Spans make a match of the first read rare elsewhere; a few tries are enough.
            .take(4)
            .find(|&k| (1..k).all(|j| plain_at(references.len() - k + j, j)))
            .unwrap_or(0);
        let count = references.len() as u32;
        let mut slots: Vec<Read> = Vec::with_capacity(references.len() + reads.len() - shared);
        slots.extend(references.into_iter().map(Read::of));
        slots.extend(reads.into_iter().skip(shared));
        let rare = (!plugins.is_empty() || !external_data.is_empty() || !dynamic_references.is_empty()).then(|| {
            Box::new(RareLists {
                plugins: plugins.into_boxed_slice(),
                external_data: external_data.into_boxed_slice(),
                dynamic_references: dynamic_references.into_boxed_slice(),
                ..RareLists::default()
            })
        });
        Analysis::of(slots.into_boxed_slice(), count, count - shared as u32, rare)
    }

    /// The analysis of these lists: `One` when they are what it holds.
    fn of(slots: Box<[Read]>, references: u32, reads: u32, rare: Option<Box<RareLists>>) -> Analysis {
        let slots = if (references, reads) == (1, 0) && rare.is_none() {
            match <Box<[Read; 1]>>::try_from(slots) {
                Ok(one) => {
                    let [one] = *one;
                    return Analysis(Repr::One(one));
                }
                Err(slots) => slots,
            }
        } else {
            slots
        };
        Analysis(Repr::Lists { slots, references, reads, rare })
    }

    /// The references, then the reads that are not the references' last ones.
    fn slots(&self) -> &[Read] {
        match &self.0 {
            Repr::One(read) => std::slice::from_ref(read),
            Repr::Lists { slots, .. } => slots,
        }
    }

    fn rare(&self) -> Option<&RareLists> {
        match &self.0 {
            Repr::One(_) => None,
            Repr::Lists { rare, .. } => rare.as_deref(),
        }
    }

    /// Every reference as written, in text order.
    pub fn references(&self) -> References<'_> {
        let count = match &self.0 {
            Repr::One(_) => 1,
            Repr::Lists { references, .. } => *references as usize,
        };
        self.slots()[..count].iter().map(Read::reference)
    }

    /// Every entity read when the query runs, in the order met.
    pub fn reads(&self) -> &[Read] {
        let from = match &self.0 {
            Repr::One(_) => 0,
            Repr::Lists { reads, .. } => *reads as usize,
        };
        &self.slots()[from..]
    }

    /// Plugins run by `evaluate`.
    pub fn plugins(&self) -> &[PluginUse] {
        self.rare().map_or(&[], |rare| &rare.plugins)
    }

    /// `externaldata` / `inline_external_table` sources (their spans).
    pub fn external_data(&self) -> &[Span] {
        self.rare().map_or(&[], |rare| &rare.external_data)
    }

    /// `table(x)` / `database(x)` / `cluster(x)` whose name is not a constant.
    pub fn dynamic_references(&self) -> &[Span] {
        self.rare().map_or(&[], |rare| &rare.dynamic_references)
    }

    /// The analysis with the syntax errors and parameters of its [`super::AnalyzedQuery`].
    pub(super) fn with(self, errors: Vec<SyntaxError>, parameters: Vec<FunctionParameter>) -> Analysis {
        if errors.is_empty() && parameters.is_empty() {
            return self;
        }
        let (slots, references, reads, rare) = match self.0 {
            Repr::One(read) => (Box::new([read]) as Box<[Read]>, 1, 0, None),
            Repr::Lists { slots, references, reads, rare } => (slots, references, reads, rare),
        };
        let mut rare = rare.unwrap_or_default();
        rare.errors = errors.into_boxed_slice();
        rare.parameters = parameters.into_boxed_slice();
        Analysis::of(slots, references, reads, Some(rare))
    }

    pub(super) fn errors(&self) -> &[SyntaxError] {
        self.rare().map_or(&[], |rare| &rare.errors)
    }

    pub(super) fn parameters(&self) -> &[FunctionParameter] {
        self.rare().map_or(&[], |rare| &rare.parameters)
    }
}

impl std::fmt::Debug for Analysis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analysis")
            .field("references", &self.references().collect::<Vec<_>>())
            .field("reads", &self.reads())
            .field("plugins", &self.plugins())
            .field("external_data", &self.external_data())
            .field("dynamic_references", &self.dynamic_references())
            .finish()
    }
}

/// An [`Analysis`] while the walk collects it.
#[derive(Debug, Default)]
struct Collected {
    references: Vec<Reference>,
    reads: Vec<Read>,
    plugins: Vec<PluginUse>,
    external_data: Vec<Span>,
    dynamic_references: Vec<Span>,
}

/// A value given to a parameter before the analysis (a stored function's arguments).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParameterValue {
    pub name: String,
    /// The argument's constant string value, when it has one.
    pub constant: Option<String>,
}

/// Analyses a parsed query. `tokens` is the stream the tree was parsed from.
pub fn analyze(text: &str, tokens: &[Token], block: &Block) -> Analysis {
    analyze_with_parameters(text, Tokens::of(tokens), block, &[])
}

/// [`analyze`] of a tree parsed from `tokens` (a run of its file's stream, or its own).
pub fn analyze_tokens(text: &str, tokens: Tokens<'_>, block: &Block) -> Analysis {
    analyze_with_parameters(text, tokens, block, &[])
}

/// Analyses a stored function's body for one call: each parameter is bound to the constant
/// string of its argument where `arguments` gives one (`database(p).T` then resolves), else to
/// its default.
pub fn analyze_function(text: &str, tokens: &[Token], function: &Function, arguments: &[Option<String>]) -> Analysis {
    analyze_function_tokens(text, Tokens::of(tokens), function, arguments)
}

/// [`analyze_function`] of a tree parsed from `tokens` (a run of its file's stream, or its own).
pub fn analyze_function_tokens(
    text: &str,
    tokens: Tokens<'_>,
    function: &Function,
    arguments: &[Option<String>],
) -> Analysis {
    let parameters: Vec<ParameterValue> = function
        .parameters
        .iter()
        .enumerate()
        .map(|(i, p)| ParameterValue {
            name: p.name.text(text).to_string(),
            constant: arguments.get(i).cloned().flatten().or_else(|| match &p.default {
                Some(Expr::Literal(literal)) => literal_string(text, tokens, literal),
                _ => None,
            }),
        })
        .collect();
    analyze_with_parameters(text, tokens, &function.body, &parameters)
}

fn literal_string(text: &str, tokens: Tokens<'_>, literal: &Literal) -> Option<String> {
    match literal.kind {
        LiteralKind::String => {
            let raw = tokens.raw(tokens.index_at(literal.span.start)..tokens.index_at(literal.span.end));
            Some(strings::decode_value(text, raw, tokens.base()))
        }
        _ => None,
    }
}

/// Analyses a body whose parameters are bound first (a stored function's body for one call).
pub fn analyze_with_parameters(
    text: &str,
    tokens: Tokens<'_>,
    block: &Block,
    parameters: &[ParameterValue],
) -> Analysis {
    let mut analyzer = Analyzer {
        text,
        tokens,
        scope: Vec::new(),
        aliases: Vec::new(),
        record_refs: true,
        record_reads: true,
        call_depth: 0,
        budget: EXPANSION_BUDGET,
        memo: FxHashMap::default(),
        out: Collected::default(),
    };
    for parameter in parameters {
        analyzer.scope.push(Binding {
            name: parameter.name.clone().into(),
            value: match &parameter.constant {
                Some(text) => Value::Str(text.as_str().into()),
                None => Value::Unknown,
            },
        });
    }
    analyzer.block(block);
    // Kept for the whole run, one per unit: without the spare room of their growth (a query
    // reading one table would hold room for four reads).
    Analysis::new(analyzer.out)
}

/// Where a name is evaluated, which decides what a bare name means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    /// A table may stand here: a bare unknown name is a table.
    Tabular,
    /// An operand of `union`, `find in`, `search in`, `restrict`: like `Tabular`, and a bare
    /// dotted `db.T` names a table of another database.
    Operand,
    /// Inside an operator with input rows: a bare name is a column.
    Row,
    /// A scalar without rows (`print`, a `let` expression): a bare unknown name is unresolved.
    Scalar,
}

impl Ctx {
    /// The context of the operands of a scalar operation in this context.
    fn scalar(self) -> Ctx {
        match self {
            Ctx::Row => Ctx::Row,
            _ => Ctx::Scalar,
        }
    }

    fn is_tabular(self) -> bool {
        matches!(self, Ctx::Tabular | Ctx::Operand)
    }
}

/// A database as a value: `database('d')`, `cluster('c').database('d')`, `database()`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Db {
    cluster: Option<String>,
    /// `None` is the current database.
    name: Option<String>,
}

#[derive(Clone, Debug)]
enum Value<'a> {
    /// A value the analysis does not track (a tabular result, a number, a column...).
    Unknown,
    /// A constant string.
    Str(Rc<str>),
    /// A literal as written; decoded only if its value is needed.
    Literal(&'a Literal),
    Cluster(String),
    Database(Db),
    /// `entity_group [...]`: several databases.
    Group(Vec<Db>),
    /// A `let` function, with the scope length at its declaration (its lexical scope).
    Function(&'a Function, usize),
    /// A `declare pattern`, with its scope length.
    Pattern(&'a Pattern, usize),
}

struct Binding<'a> {
    name: Rc<str>,
    value: Value<'a>,
}

/// A let function (its address) and the constant value of each argument.
type MemoKey = (usize, Vec<Option<Rc<str>>>);

/// What one expansion of a let function produced, for reuse at another call with the same
/// constant arguments.
#[derive(Clone)]
struct Effects {
    reads: Vec<Read>,
    plugins: Vec<PluginUse>,
    external_data: Vec<Span>,
}

struct Analyzer<'a> {
    text: &'a str,
    tokens: Tokens<'a>,
    scope: Vec<Binding<'a>>,
    /// `alias database A = ...`: the database each alias stands for.
    aliases: Vec<(String, Db)>,
    record_refs: bool,
    record_reads: bool,
    call_depth: u32,
    budget: u32,
    memo: FxHashMap<MemoKey, Effects>,
    out: Collected,
}

impl<'a> Analyzer<'a> {
    // -----------------------------------------------------------------------------------
    // Recording

    fn record(&mut self, kind: EntityKind, db: &Db, name: &str, span: Span, arguments: Vec<Option<String>>) {
        let kind = if kind == EntityKind::Table && name.contains('*') { EntityKind::TablePattern } else { kind };
        let entity = Entity::new(kind, db.cluster.as_deref(), db.name.as_deref(), name);
        if self.record_refs {
            self.out.references.push(Reference { entity: entity.clone(), span });
        }
        if self.record_reads {
            self.out.reads.push(Read::new(entity, span, arguments));
        }
    }

    /// A reference whose name is not a constant (`table(x)`), recorded once, as written.
    fn dynamic(&mut self, span: Span) {
        if self.record_refs {
            self.out.dynamic_references.push(span);
        }
    }

    fn current_db() -> Db {
        Db { cluster: None, name: None }
    }

    fn lookup(&self, name: &str) -> Option<&Value<'a>> {
        self.scope.iter().rev().find(|b| &*b.name == name).map(|b| &b.value)
    }

    fn bind(&mut self, name: &str, value: Value<'a>) {
        self.scope.push(Binding { name: name.into(), value });
    }

    fn name_text(&self, name: &'a Name) -> &'a str {
        name.text(self.text)
    }

    fn string_value(&self, literal: &Literal) -> Option<String> {
        literal_string(self.text, self.tokens, literal)
    }

    // -----------------------------------------------------------------------------------
    // Statements

    fn block(&mut self, block: &'a Block) {
        let mark = self.scope.len();
        for statement in &block.statements {
            self.statement(statement);
        }
        self.scope.truncate(mark);
    }

    fn statement(&mut self, statement: &'a Statement) {
        match statement {
            Statement::Let(let_) => {
                let name = self.name_text(&let_.name);
                let value = match &let_.value {
                    LetValue::Expr(expr) => {
                        let value = self.eval(expr, Ctx::Tabular);
                        self.settled(value)
                    }
                    LetValue::Function(function) => {
                        self.declare_function(function);
                        Value::Function(function, self.scope.len())
                    }
                };
                self.bind(name, value);
            }
            Statement::Expression(expr) => {
                // Names declared by `as` stay visible to later statements.
                self.eval(expr, Ctx::Tabular);
            }
            Statement::Alias { name, value, .. } => {
                if let Value::Database(db) = self.eval(value, Ctx::Scalar) {
                    let alias = self.name_text(name).to_string();
                    self.aliases.push((alias, db));
                }
            }
            Statement::Restrict { entities, .. } => {
                for entity in entities {
                    self.eval(entity, Ctx::Operand);
                }
            }
            Statement::QueryParameters { parameters, .. } => {
                for parameter in parameters {
                    if let Some(default) = &parameter.default {
                        self.eval(default, Ctx::Scalar);
                    }
                    let name = self.name_text(&parameter.name);
                    self.bind(name, Value::Unknown);
                }
            }
            Statement::Pattern(pattern) => {
                // Walk every body once for the references as written.
                if self.record_refs {
                    let saved = std::mem::replace(&mut self.record_reads, false);
                    for m in &pattern.matches {
                        let mark = self.scope.len();
                        self.bind_parameters(&pattern.parameters, &[]);
                        self.block(&m.body);
                        self.scope.truncate(mark);
                    }
                    self.record_reads = saved;
                }
                let name = self.name_text(&pattern.name);
                self.bind(name, Value::Pattern(pattern, self.scope.len()));
            }
            Statement::Set { .. } => {}
        }
    }

    /// Walks a let function's body once, for the references as written (reads come from calls).
    fn declare_function(&mut self, function: &'a Function) {
        if !self.record_refs {
            return;
        }
        let saved = std::mem::replace(&mut self.record_reads, false);
        let mark = self.scope.len();
        self.bind_parameters(&function.parameters, &[]);
        self.block(&function.body);
        self.scope.truncate(mark);
        self.record_reads = saved;
    }

    fn bind_parameters(&mut self, parameters: &'a [Parameter], arguments: &[Value<'a>]) {
        for (i, parameter) in parameters.iter().enumerate() {
            let value = match arguments.get(i) {
                Some(value) => value.clone(),
                None => match &parameter.default {
                    Some(Expr::Literal(literal)) => match self.string_value(literal) {
                        Some(s) => Value::Str(s.into()),
                        None => Value::Unknown,
                    },
                    _ => Value::Unknown,
                },
            };
            let name = self.name_text(&parameter.name);
            self.bind(name, value);
        }
    }

    // -----------------------------------------------------------------------------------
    // Calls of let functions and patterns

    /// Expands a let function (or a pattern body) for one call: reads what its body reads with
    /// the arguments bound, in the function's own lexical scope.
    fn expand(
        &mut self,
        key: usize,
        parameters: &'a [Parameter],
        body: &'a Block,
        scope_len: usize,
        arguments: Vec<Value<'a>>,
        call: Span,
    ) {
        if !self.record_reads || self.call_depth >= MAX_CALL_DEPTH || self.budget == 0 {
            return;
        }
        let arguments: Vec<Value<'a>> = arguments.into_iter().map(|a| self.settled(a)).collect();
        let constants: Vec<Option<Rc<str>>> = arguments.iter().map(|a| self.constant(a)).collect();
        let memo_key = (key, constants);
        if let Some(effects) = self.memo.get(&memo_key) {
            let effects = effects.clone();
            self.replay(effects, call);
            return;
        }
        self.budget -= 1;
        let marks = (self.out.reads.len(), self.out.plugins.len(), self.out.external_data.len());
        let tail = self.scope.split_off(scope_len.min(self.scope.len()));
        let saved_refs = std::mem::replace(&mut self.record_refs, false);
        self.call_depth += 1;
        self.bind_parameters(parameters, &arguments);
        self.block(body);
        self.call_depth -= 1;
        self.record_refs = saved_refs;
        self.scope.truncate(scope_len.min(self.scope.len()));
        self.scope.extend(tail);
        // One read per reference is enough to explain it; without this, nested calls that call
        // the same function twice would multiply reads exponentially.
        let mut seen = FxHashSet::default();
        let mut index = 0;
        self.out.reads.retain(|read| {
            let keep = index < marks.0 || seen.insert((read.entity.clone(), read.span));
            index += 1;
            keep
        });
        let effects = Effects {
            reads: self.out.reads[marks.0..].to_vec(),
            plugins: self.out.plugins[marks.1..].to_vec(),
            external_data: self.out.external_data[marks.2..].to_vec(),
        };
        for read in &mut self.out.reads[marks.0..] {
            read.prepend_call(call);
        }
        for plugin in &mut self.out.plugins[marks.1..] {
            plugin.via.insert(0, call);
        }
        self.memo.insert(memo_key, effects);
    }

    fn replay(&mut self, effects: Effects, call: Span) {
        for mut read in effects.reads {
            read.prepend_call(call);
            self.out.reads.push(read);
        }
        for mut plugin in effects.plugins {
            plugin.via.insert(0, call);
            self.out.plugins.push(plugin);
        }
        self.out.external_data.extend(effects.external_data);
    }

    fn call_function(&mut self, function: &'a Function, scope_len: usize, arguments: Vec<Value<'a>>, call: Span) {
        let key = function as *const Function as usize;
        self.expand(key, &function.parameters, &function.body, scope_len, arguments, call);
    }

    /// `pattern(args)[.path]`: expands the pattern bodies that match the constant arguments and
    /// path, or all of them when the call is not constant.
    fn call_pattern(
        &mut self,
        pattern: &'a Pattern,
        scope_len: usize,
        arguments: Vec<Value<'a>>,
        path: Option<&str>,
        call: Span,
    ) {
        let owned: Vec<Option<Rc<str>>> = arguments.iter().map(|a| self.constant(a)).collect();
        let constants: Vec<Option<&str>> = owned.iter().map(|c| c.as_deref()).collect();
        for m in &pattern.matches {
            let args_match = m.arguments.iter().zip(&constants).all(|(written, given)| {
                let written = match written {
                    Expr::Literal(literal) => self.string_value(literal),
                    _ => None,
                };
                matches!((written, given), (Some(w), Some(g)) if w == *g) || given.is_none()
            });
            let path_matches = match (&m.path, path) {
                (_, None) | (None, _) => true,
                (Some(written), Some(given)) => {
                    let written = match written {
                        Expr::Name(name) => Some(self.name_text(name).to_string()),
                        Expr::Literal(literal) => self.string_value(literal),
                        _ => None,
                    };
                    given.contains('*') || written.is_none_or(|w| w == given)
                }
            };
            if args_match && path_matches {
                let key = &m.body as *const Block as usize;
                self.expand(key, &pattern.parameters, &m.body, scope_len, arguments.clone(), call);
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // Expressions

    fn eval(&mut self, expr: &'a Expr, ctx: Ctx) -> Value<'a> {
        match expr {
            Expr::Name(name) => self.eval_name(name, ctx),
            Expr::Wildcard(span) => {
                if ctx.is_tabular() {
                    let pattern = span.of(self.text).to_string();
                    self.record(EntityKind::TablePattern, &Self::current_db(), &pattern, *span, Vec::new());
                }
                Value::Unknown
            }
            Expr::Literal(literal) => Value::Literal(literal),
            Expr::Call(call) => self.eval_call(call, ctx),
            Expr::Path(path) => self.eval_path(path, ctx),
            Expr::Operation(operation) => {
                for operand in &operation.operands {
                    self.eval(operand, ctx.scalar());
                }
                Value::Unknown
            }
            Expr::Unary(operand, _) => {
                self.eval(operand, ctx.scalar());
                Value::Unknown
            }
            Expr::Parenthesized(group) => match group.items.as_slice() {
                [single] => self.eval(single, if ctx == Ctx::Operand { Ctx::Tabular } else { ctx }),
                items => {
                    for item in items {
                        self.eval(item, ctx.scalar());
                    }
                    Value::Unknown
                }
            },
            Expr::Named(named) => {
                self.eval(&named.value, ctx);
                Value::Unknown
            }
            Expr::Pipe(pipe) => {
                self.eval_pipe(pipe);
                Value::Unknown
            }
            Expr::Subquery(inner, _) => {
                self.eval(inner, Ctx::Tabular);
                Value::Unknown
            }
            Expr::EntityGroup(group) => {
                let mut dbs = Vec::new();
                for member in &group.items {
                    match self.eval(member, Ctx::Scalar) {
                        Value::Database(db) => dbs.push(db),
                        Value::Group(more) => dbs.extend(more),
                        _ => {}
                    }
                }
                Value::Group(dbs)
            }
            Expr::ExternalData(data) => {
                if self.record_reads {
                    self.out.external_data.push(data.span);
                }
                Value::Unknown
            }
            Expr::Inline(_) | Expr::Star(_) | Expr::Error(_) => Value::Unknown,
        }
    }

    fn eval_name(&mut self, name: &'a Name, ctx: Ctx) -> Value<'a> {
        let text = self.name_text(name);
        if let Some(value) = self.lookup(text) {
            let value = value.clone();
            if let Value::Function(function, scope_len) = value {
                if ctx.is_tabular() && function.parameters.iter().all(|p| p.default.is_some()) {
                    // A function called without `()`: all its parameters have defaults.
                    self.call_function(function, scope_len, Vec::new(), name.span);
                    return Value::Unknown;
                }
            }
            return value;
        }
        // Kusto.Language binds `graph` in a table position to the graph built-in, not a table.
        if ctx.is_tabular() && text != "graph" {
            self.record(EntityKind::Table, &Self::current_db(), text, name.span, Vec::new());
        }
        Value::Unknown
    }

    /// The constant string a value holds, if any.
    fn constant(&self, value: &Value<'a>) -> Option<Rc<str>> {
        match value {
            Value::Str(s) => Some(s.clone()),
            Value::Literal(literal) => self.string_value(literal).map(Into::into),
            _ => None,
        }
    }

    /// A value with literals decoded, to be kept (bound to a name or a parameter).
    fn settled(&self, value: Value<'a>) -> Value<'a> {
        match value {
            Value::Literal(_) => match self.constant(&value) {
                Some(s) => Value::Str(s),
                None => Value::Unknown,
            },
            other => other,
        }
    }

    /// The constant string of an argument, evaluated without recording anything as a table.
    fn constant_argument(&mut self, arguments: &'a [Expr], index: usize) -> Option<Rc<str>> {
        let value = self.eval(arguments.get(index)?, Ctx::Scalar);
        self.constant(&value)
    }

    fn eval_call(&mut self, call: &'a Call, ctx: Ctx) -> Value<'a> {
        let name = self.name_text(&call.name);
        match self.lookup(name).cloned() {
            Some(Value::Function(function, scope_len)) => {
                let arguments = self.function_arguments(&function.parameters, &call.arguments, ctx);
                self.call_function(function, scope_len, arguments, call.span);
                return Value::Unknown;
            }
            Some(Value::Pattern(pattern, scope_len)) => {
                let arguments = self.eval_arguments(&call.arguments, ctx);
                self.call_pattern(pattern, scope_len, arguments, None, call.span);
                return Value::Unknown;
            }
            Some(_) => {
                self.eval_all(&call.arguments, ctx.scalar());
                return Value::Unknown;
            }
            None => {}
        }
        match name {
            "database" => match call.arguments.len() {
                0 => Value::Database(Self::current_db()),
                _ => match self.constant_argument(&call.arguments, 0) {
                    Some(db) => Value::Database(self.database_named(None, &db)),
                    None => {
                        self.dynamic(call.span);
                        Value::Unknown
                    }
                },
            },
            "cluster" => match self.constant_argument(&call.arguments, 0) {
                Some(cluster) => Value::Cluster(normalize_cluster(&cluster)),
                None => {
                    self.dynamic(call.span);
                    Value::Unknown
                }
            },
            "table" => {
                self.entity_call(&Self::current_db(), EntityKind::Table, call, call.span);
                Value::Unknown
            }
            "materialized_view" => {
                self.entity_call(&Self::current_db(), EntityKind::MaterializedView, call, call.span);
                Value::Unknown
            }
            "external_table" => {
                self.entity_call(&Self::current_db(), EntityKind::ExternalTable, call, call.span);
                Value::Unknown
            }
            _ if builtins::is_builtin_function(name) => {
                self.eval_all(&call.arguments, ctx.scalar());
                Value::Unknown
            }
            _ => {
                let arguments = self.stored_call_arguments(&call.arguments, ctx);
                self.record(EntityKind::Function, &Self::current_db(), name, call.span, arguments);
                Value::Unknown
            }
        }
    }

    /// `table('T')`, `materialized_view('v')`, `external_table('e')` in database `db`.
    fn entity_call(&mut self, db: &Db, kind: EntityKind, call: &'a Call, span: Span) {
        let Some(name) = self.constant_argument(&call.arguments, 0) else {
            self.dynamic(span);
            return;
        };
        for extra in call.arguments.iter().skip(1) {
            self.eval(extra, Ctx::Scalar);
        }
        if kind == EntityKind::Table && db.name.is_none() && db.cluster.is_none() {
            // `table('x')` names a `let` (a view is expanded) before a table.
            if let Some(value) = self.lookup(&name).cloned() {
                if let Value::Function(function, scope_len) = value {
                    if function.parameters.is_empty() {
                        self.call_function(function, scope_len, Vec::new(), span);
                    }
                }
                return;
            }
        }
        let first = self.out.reads.len();
        self.record(kind, db, &name, span, Vec::new());
        if kind == EntityKind::Table {
            for read in &mut self.out.reads[first..] {
                read.set_table_call();
            }
        }
    }

    fn database_named(&self, cluster: Option<String>, name: &str) -> Db {
        if cluster.is_none() {
            if let Some((_, db)) = self.aliases.iter().rev().find(|(alias, _)| alias == name) {
                return db.clone();
            }
        }
        Db { cluster, name: Some(name.to_string()) }
    }

    fn eval_arguments(&mut self, arguments: &'a [Expr], ctx: Ctx) -> Vec<Value<'a>> {
        arguments.iter().map(|a| self.eval(a, ctx.scalar())).collect()
    }

    fn stored_call_arguments(&mut self, arguments: &'a [Expr], ctx: Ctx) -> Vec<Option<String>> {
        arguments
            .iter()
            .map(|a| {
                let value = self.eval(a, ctx.scalar());
                self.constant(&value).map(|s| s.to_string())
            })
            .collect()
    }

    /// Arguments of a let-function call: a tabular parameter makes its argument a table.
    fn function_arguments(&mut self, parameters: &'a [Parameter], arguments: &'a [Expr], ctx: Ctx) -> Vec<Value<'a>> {
        arguments
            .iter()
            .enumerate()
            .map(|(i, argument)| {
                let tabular = parameters.get(i).is_some_and(|p| p.tabular);
                self.eval(argument, if tabular { Ctx::Tabular } else { ctx.scalar() })
            })
            .collect()
    }

    fn eval_path(&mut self, path: &'a Path, ctx: Ctx) -> Value<'a> {
        let mut segments = path.segments.iter();
        let mut value = match &path.base {
            // `db.T` in a union/find/search/restrict operand names a table of database `db`.
            Expr::Name(name) if ctx == Ctx::Operand && self.lookup(self.name_text(name)).is_none() => {
                Value::Database(self.database_named(None, self.name_text(name)))
            }
            Expr::Name(name) => match self.lookup(self.name_text(name)) {
                Some(value) => value.clone(),
                None => Value::Unknown,
            },
            Expr::Call(call) => match self.lookup(self.name_text(&call.name)).cloned() {
                Some(Value::Pattern(pattern, scope_len)) => {
                    let arguments = self.eval_arguments(&call.arguments, ctx);
                    let selector = match segments.next() {
                        Some(Segment::Member(name)) => Some(self.name_text(name).to_string()),
                        Some(Segment::Index(index)) => match &**index {
                            Expr::Literal(literal) => self.string_value(literal),
                            _ => None,
                        },
                        Some(Segment::Wildcard(_)) => Some("*".to_string()),
                        _ => None,
                    };
                    self.call_pattern(pattern, scope_len, arguments, selector.as_deref(), path.span);
                    Value::Unknown
                }
                _ => self.eval_call(call, Ctx::Scalar),
            },
            base => self.eval(base, ctx.scalar()),
        };
        for segment in segments {
            let span = Span {
                start: path.span.start,
                end: match segment {
                    Segment::Member(name) => name.span.end,
                    Segment::Call(call) => call.span.end,
                    Segment::Wildcard(span) => span.end,
                    // The `]` is not in the tree: it follows the index, unless it is missing (then
                    // the path ends with the index).
                    Segment::Index(index) => (index.span().end + 1).min(path.span.end),
                },
            };
            value = self.eval_segment(value, segment, span, ctx);
        }
        value
    }

    fn eval_segment(&mut self, base: Value<'a>, segment: &'a Segment, span: Span, ctx: Ctx) -> Value<'a> {
        match (base, segment) {
            (Value::Cluster(cluster), Segment::Call(call)) if self.name_text(&call.name) == "database" => {
                match self.constant_argument(&call.arguments, 0) {
                    Some(db) => Value::Database(self.database_named(Some(cluster), &db)),
                    None => {
                        self.dynamic(span);
                        Value::Unknown
                    }
                }
            }
            (Value::Database(db), segment) => {
                self.database_member(&db, segment, span, ctx);
                Value::Unknown
            }
            (Value::Group(dbs), segment) => {
                for db in &dbs {
                    self.database_member(db, segment, span, ctx);
                }
                Value::Unknown
            }
            (_, Segment::Index(index)) => {
                self.eval(index, ctx.scalar());
                Value::Unknown
            }
            (_, Segment::Call(call)) => {
                self.eval_all(&call.arguments, ctx.scalar());
                Value::Unknown
            }
            _ => Value::Unknown,
        }
    }

    /// `db.T`, `db.T*`, `db.F(x)`, `db.materialized_view('v')`, `db.external_table('e')`.
    fn database_member(&mut self, db: &Db, segment: &'a Segment, span: Span, ctx: Ctx) {
        match segment {
            Segment::Member(name) => {
                let name = self.name_text(name);
                self.record(EntityKind::Table, db, name, span, Vec::new());
            }
            Segment::Wildcard(wildcard) => {
                let pattern = wildcard.of(self.text);
                self.record(EntityKind::TablePattern, db, pattern, span, Vec::new());
            }
            Segment::Call(call) => match self.name_text(&call.name) {
                "materialized_view" => self.entity_call(db, EntityKind::MaterializedView, call, span),
                "external_table" => self.entity_call(db, EntityKind::ExternalTable, call, span),
                "table" => self.entity_call(db, EntityKind::Table, call, span),
                name => {
                    let arguments = self.stored_call_arguments(&call.arguments, ctx);
                    self.record(EntityKind::Function, db, name, span, arguments);
                }
            },
            Segment::Index(index) => {
                if let Expr::Literal(literal) = &**index {
                    if let Some(name) = self.string_value(literal) {
                        self.record(EntityKind::Table, db, &name, span, Vec::new());
                    }
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // Pipes and operators

    fn eval_pipe(&mut self, pipe: &'a Pipe) {
        if let Some(head) = &pipe.head {
            self.eval(head, Ctx::Tabular);
        }
        for operator in &pipe.operators {
            self.operator(operator);
        }
    }

    fn operator(&mut self, operator: &'a Operator) {
        match &operator.kind {
            OperatorKind::Rows(items) => {
                for item in items {
                    self.eval(item, Ctx::Row);
                }
            }
            OperatorKind::Source(items) => {
                for item in items {
                    self.eval(item, Ctx::Scalar);
                }
            }
            OperatorKind::Join { parameters, right, conditions } => {
                self.eval_all(parameters, Ctx::Scalar);
                self.eval(right, Ctx::Tabular);
                self.eval_all(conditions, Ctx::Row);
            }
            OperatorKind::Union { parameters, operands } => {
                self.eval_all(parameters, Ctx::Scalar);
                self.eval_all(operands, Ctx::Operand);
            }
            OperatorKind::As { parameters, name } => {
                self.eval_all(parameters, Ctx::Scalar);
                let name = self.name_text(name);
                self.bind(name, Value::Unknown);
            }
            OperatorKind::Invoke(call) => {
                self.eval(call, Ctx::Tabular);
            }
            OperatorKind::Evaluate { parameters, plugin } => {
                self.eval_all(parameters, Ctx::Scalar);
                let name = self.name_text(&plugin.name);
                if self.record_reads {
                    // What follows the call within the operator is its declared output.
                    let output_declared = operator.span.end > plugin.span.end;
                    let (name, span) = (name.to_string(), plugin.span);
                    self.out.plugins.push(PluginUse { name, span, via: Vec::new(), output_declared });
                }
                let tabular = builtins::plugin_tabular_parameters(name);
                for (i, argument) in plugin.arguments.iter().enumerate() {
                    self.eval(argument, if tabular.contains(&i) { Ctx::Tabular } else { Ctx::Row });
                }
            }
            OperatorKind::Nested { rows, subqueries } => {
                self.eval_all(rows, Ctx::Row);
                self.eval_all(subqueries, Ctx::Tabular);
            }
            OperatorKind::Partition { column, rows, subquery } => {
                self.eval_all(rows, Ctx::Row);
                let mark = self.scope.len();
                if let Some(column) = column {
                    let name = self.name_text(column);
                    self.bind(name, Value::Unknown);
                }
                self.eval(subquery, Ctx::Tabular);
                self.scope.truncate(mark);
            }
            OperatorKind::GraphToTable { rows, declared } => {
                self.eval_all(rows, Ctx::Row);
                for name in declared {
                    let name = self.name_text(name);
                    self.bind(name, Value::Unknown);
                }
            }
            OperatorKind::Search { sources, rows } => {
                match sources {
                    Some(sources) => self.eval_all(sources, Ctx::Operand),
                    None => {
                        let span = operator.keyword_span;
                        self.record(EntityKind::TablePattern, &Self::current_db(), "*", span, Vec::new());
                    }
                }
                self.eval_all(rows, Ctx::Row);
            }
            OperatorKind::MakeGraph { node_tables, rows, subqueries } => {
                self.eval_all(node_tables, Ctx::Tabular);
                self.eval_all(rows, Ctx::Row);
                self.eval_all(subqueries, Ctx::Tabular);
            }
            OperatorKind::MacroExpand { parameters, group, alias, body } => {
                self.eval_all(parameters, Ctx::Scalar);
                let group_value = self.eval(group, Ctx::Scalar);
                let mark = self.scope.len();
                if let Some(alias) = alias {
                    let name = self.name_text(alias);
                    self.bind(name, group_value);
                }
                self.block(body);
                self.scope.truncate(mark);
            }
        }
    }

    fn eval_all(&mut self, exprs: &'a [Expr], ctx: Ctx) {
        for expr in exprs {
            self.eval(expr, ctx);
        }
    }
}

#[cfg(test)]
mod tests;
