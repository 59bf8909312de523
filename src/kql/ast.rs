//! The syntax tree of a KQL query, shaped for finding what a query reads.
//!
//! The tree keeps every place a table, function, database or cluster can be named (§3.3-3.4)
//! and the scopes that decide what a bare name means (§2.8). It drops what does not matter for
//! that: operator precedence (an [`Expr::Operation`] is a flat chain of operands, which also keeps
//! trees shallow on long chains), literal values (kept as spans, decoded on demand) and the
//! exact shape of clauses such as `by`, `asc` or `with (...)`.

use super::keywords::Kw;
use crate::span::Span;

/// A name as written: an identifier, a keyword used as a name, a bracketed name `['x y']`
/// or a client parameter `{x}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    pub span: Span,
    /// The decoded text when it differs from the source text (bracketed names; rare, so behind
    /// one thin pointer: a name is 16 bytes).
    pub decoded: Option<Box<String>>,
}

impl Name {
    /// The name's text.
    pub fn text<'a>(&'a self, source: &'a str) -> &'a str {
        match &self.decoded {
            Some(text) => text,
            None => self.span.of(source),
        }
    }
}

/// A whole query or a body between braces: statements separated by `;`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Block {
    pub statements: Vec<Statement>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    /// `let name = value`.
    Let(Let),
    /// A tabular or scalar expression whose value is a result of the query.
    Expression(Expr),
    /// `set option [= value]`.
    Set { span: Span },
    /// `alias database Name = cluster('c').database('d')`.
    Alias { name: Name, value: Expr, span: Span },
    /// `restrict access to (entities)`.
    Restrict { entities: Vec<Expr>, span: Span },
    /// `declare query_parameters(params)`.
    QueryParameters { parameters: Vec<Parameter>, span: Span },
    /// `declare pattern name = ...`.
    Pattern(Box<Pattern>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Let {
    pub name: Name,
    pub value: LetValue,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum LetValue {
    /// A scalar or tabular expression (including `materialize(...)` and `entity_group [...]`).
    Expr(Expr),
    /// A function: `(params) { body }` or `view () { body }`.
    Function(Box<Function>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    pub parameters: Vec<Parameter>,
    pub body: Block,
    pub is_view: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    pub name: Name,
    pub tabular: bool,
    /// The type as written (`string`, `(*)`, `(a:long)`).
    pub type_span: Span,
    pub default: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    pub name: Name,
    pub parameters: Vec<Parameter>,
    pub matches: Vec<PatternMatch>,
    pub span: Span,
}

/// One `(args).[path] = { body };` of a pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct PatternMatch {
    pub arguments: Vec<Expr>,
    pub path: Option<Expr>,
    pub body: Block,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Name(Name),
    /// A wildcarded name (`T*`, `*`, `*_x`) in a position that allows one.
    Wildcard(Span),
    /// A literal; strings may be several adjacent tokens (`'a' 'b'`).
    Literal(Literal),
    Call(Box<Call>),
    /// `base.member`, `base.F(x)`, `base[index]`, chained.
    Path(Box<Path>),
    /// Operands joined by binary operators (`a + b * c`, `x in (..)`), without precedence.
    Operation(Box<Operation>),
    /// `-x`, `+x`.
    Unary(Box<Expr>, Span),
    /// `(a)`, `(a, b)`: what is between parentheses, one item per comma-separated part.
    Parenthesized(Box<Group>),
    /// `name = value` (declarations in `extend`, arguments, parameters of operators).
    Named(Box<Named>),
    /// A pipeline: a head (absent for subqueries with implicit input) and operators.
    Pipe(Box<Pipe>),
    /// `toscalar(..)`, `totable(..)`, `materialize(..)`: a tabular subquery in a scalar place.
    Subquery(Box<Expr>, Span),
    /// `entity_group [a, b]`.
    EntityGroup(Box<Group>),
    /// `externaldata (schema) [urls] with (..)` / `external_data`.
    ExternalData(Box<ExternalData>),
    /// Data that reads nothing: `datatable(..)[..]`, `dynamic(..)`, `typeof(..)`.
    Inline(Span),
    /// `*` as an operand (`count(*)`, `where * has 'x'`).
    Star(Span),
    /// Something that failed to parse; a syntax error was reported.
    Error(Span),
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Name(n) => n.span,
            Expr::Literal(l) => l.span,
            Expr::Call(c) => c.span,
            Expr::Path(p) => p.span,
            Expr::Operation(o) => o.span,
            Expr::Named(n) => n.span,
            Expr::Pipe(p) => p.span,
            Expr::Parenthesized(g) | Expr::EntityGroup(g) => g.span,
            Expr::ExternalData(e) => e.span,
            Expr::Wildcard(s)
            | Expr::Unary(_, s)
            | Expr::Subquery(_, s)
            | Expr::Inline(s)
            | Expr::Star(s)
            | Expr::Error(s) => *s,
        }
    }
}

/// Expressions in brackets: `(a, b)`, `entity_group [a, b]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub items: Vec<Expr>,
    pub span: Span,
}

/// `externaldata (schema) [urls] with (..)`, `inline_external_table ...`.
#[derive(Clone, Debug, PartialEq)]
pub struct ExternalData {
    pub urls: Vec<Literal>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiteralKind {
    /// One or more adjacent string tokens: the tokens the literal's span covers.
    String,
    Number,
    Bool,
    Guid,
    Typed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Literal {
    pub kind: LiteralKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub name: Name,
    pub arguments: Vec<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    pub base: Expr,
    /// At least one; as many as written (no spare room: most paths have one).
    pub segments: Segments,
    pub span: Span,
}

/// One step of a path; the rare large ones are boxed (a segment is 24 bytes).
/// The segments of a [`Path`]: a single one held in the path itself (`x.a`, the common case,
/// costs one allocation, not two), more in a boxed slice. Reads as a slice.
#[derive(Clone, Debug, PartialEq)]
pub enum Segments {
    One([Segment; 1]),
    Many(Box<[Segment]>),
}

impl std::ops::Deref for Segments {
    type Target = [Segment];

    fn deref(&self) -> &[Segment] {
        match self {
            Segments::One(one) => one,
            Segments::Many(many) => many,
        }
    }
}

impl<'a> IntoIterator for &'a Segments {
    type Item = &'a Segment;
    type IntoIter = std::slice::Iter<'a, Segment>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Segment {
    /// `.name` or `.['name']`.
    Member(Name),
    /// `.F(args)`.
    Call(Box<Call>),
    /// `.T*`.
    Wildcard(Span),
    /// `[index]`.
    Index(Box<Expr>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    pub operands: Vec<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Named {
    /// What is declared: a name, or a parenthesized list of names `(a, b) = ...`.
    pub target: Expr,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pipe {
    pub head: Option<Expr>,
    pub operators: Vec<Operator>,
    pub span: Span,
}

/// One query operator (`where ...`, `join ...`, `union ...`).
#[derive(Clone, Debug, PartialEq)]
pub struct Operator {
    /// The operator keyword (`Kw::Where`, `Kw::Join`, ...).
    pub keyword: Kw,
    pub keyword_span: Span,
    pub kind: OperatorKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OperatorKind {
    /// Operators that compute over the rows of their input (`where`, `extend`, `summarize`,
    /// `project`, `sort`, `top`, `mv-expand`, `parse`, `render`...): a bare name is a column.
    Rows(Vec<Expr>),
    /// Data sources that have no input rows (`print`, `range`): a bare name is not a column.
    Source(Vec<Expr>),
    /// `join` / `lookup`: the right side is tabular, the conditions are over rows.
    Join { parameters: Vec<Expr>, right: Expr, conditions: Vec<Expr> },
    /// `union`: every operand is tabular.
    Union { parameters: Vec<Expr>, operands: Vec<Expr> },
    /// `as Name`: names the input for later operators.
    As { parameters: Vec<Expr>, name: Name },
    /// `invoke F(args)`.
    Invoke(Expr),
    /// `evaluate plugin(args)`.
    Evaluate { parameters: Vec<Expr>, plugin: Call },
    /// Operators with nested subqueries over their input (`fork`, `facet`, `mv-apply`): row
    /// expressions and subqueries.
    Nested { rows: Vec<Expr>, subqueries: Vec<Expr> },
    /// `partition [params] by column [in ..] (subquery) | { query }`: the column's value is in
    /// scope inside the subquery (`toscalar(column)`).
    Partition { column: Option<Name>, rows: Vec<Expr>, subquery: Expr },
    /// `graph-to-table nodes as N, edges as E`: declares tabular names for later statements.
    GraphToTable { rows: Vec<Expr>, declared: Vec<Name> },
    /// `find` / `search`: the sources (`None` without `in (...)`: all tables) and the rest.
    Search { sources: Option<Vec<Expr>>, rows: Vec<Expr> },
    /// `make-graph`: tables of nodes after `with`, and the rest.
    MakeGraph { node_tables: Vec<Expr>, rows: Vec<Expr>, subqueries: Vec<Expr> },
    /// `macro-expand group as X ( body )`.
    MacroExpand { parameters: Vec<Expr>, group: Expr, alias: Option<Name>, body: Block },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kql::token::{Token, TokenKind};

    /// The sizes that make a tree of a long expression fit in a few times its text (a 1 MB line
    /// of `x.a + x.a ...` has 166,000 paths): boxed rare variants, thin optional parts.
    #[test]
    fn tokens_and_nodes_stay_small() {
        assert!(size_of::<TokenKind>() <= 4, "TokenKind: {}", size_of::<TokenKind>());
        assert!(size_of::<Token>() <= 12, "Token: {}", size_of::<Token>());
        assert!(size_of::<Name>() <= 16, "Name: {}", size_of::<Name>());
        assert!(size_of::<Literal>() <= 12, "Literal: {}", size_of::<Literal>());
        assert!(size_of::<Expr>() <= 24, "Expr: {}", size_of::<Expr>());
        assert!(size_of::<Segment>() <= 24, "Segment: {}", size_of::<Segment>());
        assert!(size_of::<Segments>() <= 24, "Segments: {}", size_of::<Segments>());
        // 56 bytes take the same 64-byte block of the allocator as 48 did, and a path of one
        // segment no longer allocates its segments apart.
        assert!(size_of::<Path>() <= 56, "Path: {}", size_of::<Path>());
        assert!(size_of::<Operation>() <= 32, "Operation: {}", size_of::<Operation>());
    }
}
