//! Output schemas of queries: the engine that walks the syntax tree with a row scope.
//!
//! The tree keeps expressions as flat operand chains and drops clause keywords (`by`, `on`,
//! `with`, `to`), so the engine reads the tokens between the tree's spans where it needs them.
//! What it cannot know it says so: a column of unknown type, an open table.

use rustc_hash::FxHashMap;

use super::builtin;
use super::scalar::ScalarType;
use super::schema::{Column, Origin, TableType};
use crate::kql::ast::*;
use crate::kql::keywords::Kw;
use crate::kql::token::{LiteralType, Token, TokenKind};
use crate::span::Span;

/// A value: a table, or a scalar of a (possibly unknown) type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Table(TableType),
    Scalar(Option<ScalarType>),
}

impl Value {
    /// The value as a table (a scalar, or nothing, is an unknown table).
    pub fn into_table(self) -> TableType {
        match self {
            Value::Table(t) => t,
            Value::Scalar(_) => TableType::unknown(),
        }
    }
}

/// How a database entity is named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntityKind {
    /// A bare name or `table('T')` in a tabular position: a table, a view or a function
    /// callable without arguments.
    Table,
    /// `F(args)`: a stored function.
    Call,
    MaterializedView,
    ExternalTable,
}

/// A reference to something of a database, for [`Environment::entity`].
#[derive(Debug)]
pub struct EntityRef<'a> {
    pub kind: EntityKind,
    pub cluster: Option<String>,
    pub database: Option<String>,
    pub name: &'a str,
    /// The arguments of a call.
    pub arguments: &'a [Value],
}

/// What the engine asks of the project: the schema of tables and the output of stored
/// functions. `None` when the name is not known.
pub trait Environment {
    fn entity(&mut self, entity: &EntityRef<'_>) -> Option<Value>;

    /// A bare name read as a column of a row whose columns are all known, which has no such
    /// column and is no `let` or parameter either (at `origin`).
    fn unknown_column(&mut self, _name: &str, _origin: Origin, _row: &TableType) {}

    /// A column name that one operator declares a second time (`project x = a, x = b`,
    /// `summarize by a, a`, `project-rename a = b` where `a` exists): at `origin`, first
    /// declared at `first`. Kusto rejects the query.
    fn duplicate_column(&mut self, _name: &str, _origin: Origin, _first: Option<Origin>) {}
}

/// An environment that knows nothing.
pub struct NoEnvironment;

impl Environment for NoEnvironment {
    fn entity(&mut self, _: &EntityRef<'_>) -> Option<Value> {
        None
    }
}

/// The plugins whose output columns [`Inference`] infers without the data, when the query
/// does not declare them (`: (...)`); every other plugin's output is open.
pub const TYPED_PLUGINS: &[&str] =
    &["narrow", "sequence_detect", "autocluster", "basket", "diffpatterns", "ipv4_lookup", "ipv6_lookup"];

/// How deeply let-functions may call each other.
const MAX_CALL_DEPTH: u32 = 24;
/// How many let-function calls one inference expands in all (a chain of functions that each
/// call the next twice would otherwise take exponential time); later calls are unknown.
const MAX_CALLS: u32 = 4096;

#[derive(Clone)]
enum Binding<'t> {
    Value(Value),
    Function(&'t Function),
}

/// One text with its tokens: the engine over it.
pub struct Inference<'t, 'e> {
    text: &'t str,
    tokens: &'t [Token],
    source: u32,
    env: &'e mut dyn Environment,
    scopes: Vec<FxHashMap<String, Binding<'t>>>,
    depth: u32,
    calls: u32,
    /// The rows a subquery without a head reads (`mv-apply ... on (subquery)`).
    implicit: Option<TableType>,
}

impl<'t, 'e> Inference<'t, 'e> {
    /// An engine over `text` (its `tokens` as the parser made them); columns it makes carry
    /// `source` in their origin.
    pub fn new(text: &'t str, tokens: &'t [Token], source: u32, env: &'e mut dyn Environment) -> Self {
        Inference { text, tokens, source, env, scopes: vec![FxHashMap::default()], depth: 0, calls: 0, implicit: None }
    }

    /// The value of a query: its last expression statement.
    pub fn block(&mut self, block: &'t Block) -> Option<Value> {
        let mut result = None;
        for statement in &block.statements {
            match statement {
                Statement::Let(l) => self.bind_let(l),
                Statement::Expression(e) => result = Some(self.value(e)),
                Statement::QueryParameters { parameters, .. } => self.bind_parameters(parameters, &[]),
                _ => {}
            }
        }
        result
    }

    /// The value of a function's body with its parameters bound to `arguments` (positionally;
    /// missing ones take their declared type).
    pub fn function(&mut self, function: &'t Function, arguments: &[Value]) -> Option<Value> {
        self.scopes.push(FxHashMap::default());
        self.bind_parameters(&function.parameters, arguments);
        let result = self.block(&function.body);
        self.scopes.pop();
        result
    }

    fn bind_parameters(&mut self, parameters: &'t [Parameter], arguments: &[Value]) {
        for (i, parameter) in parameters.iter().enumerate() {
            let declared = parameter.type_span.of(self.text);
            let value = match arguments.get(i) {
                Some(Value::Table(t)) if parameter.tabular => Value::Table(t.clone()),
                Some(Value::Scalar(Some(ty))) if !parameter.tabular && ScalarType::parse(declared).is_none() => {
                    Value::Scalar(Some(*ty))
                }
                _ if parameter.tabular => Value::Table(TableType::parse(declared)),
                _ => Value::Scalar(ScalarType::parse(declared)),
            };
            let name = parameter.name.text(self.text).to_string();
            self.bind(name, Binding::Value(value));
        }
    }

    fn bind(&mut self, name: String, binding: Binding<'t>) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name, binding);
        }
    }

    fn lookup(&self, name: &str) -> Option<&Binding<'t>> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    fn bind_let(&mut self, l: &'t Let) {
        let name = l.name.text(self.text).to_string();
        let binding = match &l.value {
            LetValue::Function(f) => Binding::Function(f),
            LetValue::Expr(e) => Binding::Value(self.value(e)),
        };
        self.bind(name, binding);
    }

    // ------------------------------------------------------------------ tokens

    fn token_index(&self, offset: u32) -> usize {
        self.tokens.partition_point(|t| t.span.start < offset)
    }

    /// The offsets of `keywords` at nesting depth 0 between `from` and `to`.
    fn keywords_at_top(&self, from: u32, to: u32, keywords: &[Kw]) -> Vec<(Kw, u32)> {
        let mut found = Vec::new();
        let mut depth = 0i32;
        for token in &self.tokens[self.token_index(from)..] {
            if token.span.start >= to {
                break;
            }
            match token.kind {
                TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => depth += 1,
                TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => depth -= 1,
                TokenKind::Keyword(kw) if depth == 0 && keywords.contains(&kw) => found.push((kw, token.span.start)),
                _ => {}
            }
        }
        found
    }

    /// The token that starts at `offset`.
    fn token_at(&self, offset: u32) -> Option<&Token> {
        self.tokens.get(self.token_index(offset)).filter(|t| t.span.start == offset)
    }

    /// The tokens strictly between two offsets.
    fn tokens_between(&self, from: u32, to: u32) -> &'t [Token] {
        let start = self.token_index(from);
        let end = self.token_index(to);
        &self.tokens[start..end.max(start)]
    }

    /// The type written after `:` right after `end` (`x:long` in `parse`), if any.
    fn declared_type_after(&self, end: u32) -> Option<Option<ScalarType>> {
        let i = self.token_index(end);
        let colon = self.tokens.get(i)?;
        if colon.kind != TokenKind::Colon {
            return None;
        }
        let ty = self.tokens.get(i + 1)?;
        Some(ScalarType::parse(ty.span.of(self.text)))
    }

    fn origin(&self, span: Span) -> Option<Origin> {
        Some(Origin { source: self.source, span })
    }

    // ------------------------------------------------------------------ values

    /// The value of an expression in a position where a table or a scalar may stand.
    pub fn value(&mut self, expr: &'t Expr) -> Value {
        match expr {
            Expr::Pipe(_) | Expr::ExternalData(_) => Value::Table(self.table(expr)),
            Expr::Name(name) => {
                let text = name.text(self.text);
                match self.lookup(text).cloned() {
                    Some(Binding::Value(v)) => v,
                    Some(Binding::Function(f)) => self.call_let(f, &[]).unwrap_or(Value::Scalar(None)),
                    None => Value::Table(self.table(expr)),
                }
            }
            Expr::Inline(span) if self.token_at(span.start).is_some_and(|t| t.is(Kw::Datatable)) => {
                Value::Table(self.table(expr))
            }
            Expr::Subquery(inner, span) => match self.token_at(span.start).and_then(Token::keyword) {
                Some(Kw::Toscalar) => Value::Scalar(self.scalar_of_table(inner)),
                _ => Value::Table(self.table(inner)),
            },
            Expr::Call(call) => {
                let name = call.name.text(self.text);
                if let Some(Binding::Function(f)) = self.lookup(name).cloned() {
                    let arguments: Vec<Value> = call.arguments.iter().map(|a| self.argument(a)).collect();
                    return self.call_let(f, &arguments).unwrap_or(Value::Scalar(None));
                }
                if builtin::function(name).is_some() && !matches!(name, "table" | "view") {
                    return Value::Scalar(self.scalar(expr, &TableType::unknown()));
                }
                Value::Table(self.table(expr))
            }
            Expr::Path(_) => Value::Table(self.table(expr)),
            Expr::Parenthesized(group) if group.items.len() == 1 => self.value(&group.items[0]),
            _ => Value::Scalar(self.scalar(expr, &TableType::unknown())),
        }
    }

    fn argument(&mut self, expr: &'t Expr) -> Value {
        match expr {
            Expr::Named(named) => self.argument(&named.value),
            _ => self.value(expr),
        }
    }

    fn scalar_of_table(&mut self, expr: &'t Expr) -> Option<ScalarType> {
        match self.value(expr) {
            Value::Table(t) => t.columns.first().and_then(|c| c.ty),
            Value::Scalar(ty) => ty,
        }
    }

    fn call_let(&mut self, function: &'t Function, arguments: &[Value]) -> Option<Value> {
        if self.depth >= MAX_CALL_DEPTH || self.calls >= MAX_CALLS {
            return None;
        }
        self.depth += 1;
        self.calls += 1;
        let result = self.function(function, arguments);
        self.depth -= 1;
        result
    }

    // ------------------------------------------------------------------ tables

    /// The schema of a tabular expression.
    pub fn table(&mut self, expr: &'t Expr) -> TableType {
        match expr {
            Expr::Pipe(pipe) => {
                let mut current = match &pipe.head {
                    Some(head) => self.table(head),
                    None => self.implicit.take().unwrap_or_else(TableType::unknown),
                };
                for operator in &pipe.operators {
                    current = self.operator(operator, current);
                }
                current
            }
            Expr::Name(name) => {
                let text = name.text(self.text);
                match self.lookup(text).cloned() {
                    Some(Binding::Value(v)) => v.into_table(),
                    Some(Binding::Function(f)) => {
                        self.call_let(f, &[]).map_or_else(TableType::unknown, Value::into_table)
                    }
                    None => self.entity(EntityKind::Table, None, None, text, &[]),
                }
            }
            Expr::Call(call) => self.call_table(call, None, None),
            Expr::Path(path) => self.path_table(path),
            Expr::Parenthesized(group) if group.items.len() == 1 => self.table(&group.items[0]),
            Expr::Subquery(inner, _) => self.table(inner),
            Expr::Inline(span) => self.datatable(*span),
            Expr::ExternalData(data) => self.schema_after_keyword(data.span),
            _ => TableType::unknown(),
        }
    }

    fn entity(
        &mut self,
        kind: EntityKind,
        cluster: Option<String>,
        database: Option<String>,
        name: &str,
        arguments: &[Value],
    ) -> TableType {
        let entity = EntityRef { kind, cluster, database, name, arguments };
        self.env.entity(&entity).map_or_else(TableType::unknown, Value::into_table)
    }

    fn string_argument(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Literal(Literal { kind: LiteralKind::String, span }) => Some(string_value(span.of(self.text))),
            _ => None,
        }
    }

    fn call_table(&mut self, call: &'t Call, cluster: Option<String>, database: Option<String>) -> TableType {
        let name = call.name.text(self.text);
        let first = call.arguments.first().and_then(|a| self.string_argument(a));
        match name {
            "table" | "view" => match first {
                Some(table) => self.entity(EntityKind::Table, cluster, database, &table, &[]),
                None => TableType::unknown(),
            },
            "materialized_view" => match first {
                Some(view) => self.entity(EntityKind::MaterializedView, cluster, database, &view, &[]),
                None => TableType::unknown(),
            },
            "external_table" => match first {
                Some(table) => self.entity(EntityKind::ExternalTable, cluster, database, &table, &[]),
                None => TableType::unknown(),
            },
            _ => {
                if cluster.is_none() && database.is_none() {
                    if let Some(Binding::Function(f)) = self.lookup(name).cloned() {
                        let arguments: Vec<Value> = call.arguments.iter().map(|a| self.argument(a)).collect();
                        return self.call_let(f, &arguments).map_or_else(TableType::unknown, Value::into_table);
                    }
                }
                let arguments: Vec<Value> = call.arguments.iter().map(|a| self.argument(a)).collect();
                self.entity(EntityKind::Call, cluster, database, name, &arguments)
            }
        }
    }

    /// `database('d').T`, `cluster('c').database('d').F(x)`, `database('d').table('T')`.
    fn path_table(&mut self, path: &'t Path) -> TableType {
        match self.qualified(path) {
            Some((cluster, database, Segment::Call(call))) => self.call_table(call, cluster, database),
            Some((cluster, database, Segment::Member(name))) => {
                let name = name.text(self.text).to_string();
                self.entity(EntityKind::Table, cluster, database, &name, &[])
            }
            _ => TableType::unknown(),
        }
    }

    /// `cluster(c).database(d).<last>` (either qualifier optional, in this order or alone):
    /// the cluster and database named, and the last segment. None for any other path.
    fn qualified(&self, path: &'t Path) -> Option<(Option<String>, Option<String>, &'t Segment)> {
        let Expr::Call(first) = &path.base else { return None };
        let (last, between) = path.segments.split_last()?;
        let mut qualifiers = vec![first];
        for segment in between {
            match segment {
                Segment::Call(call) if matches!(call.name.text(self.text), "cluster" | "database") => {
                    qualifiers.push(call)
                }
                _ => return None,
            }
        }
        let (mut cluster, mut database) = (None, None);
        for step in qualifiers {
            let value = step.arguments.first().and_then(|a| self.string_argument(a));
            match step.name.text(self.text) {
                "cluster" => cluster = value,
                "database" => database = value,
                _ => return None,
            }
        }
        Some((cluster, database, last))
    }

    /// `datatable(a:long, ...)[...]`.
    fn datatable(&self, span: Span) -> TableType {
        if !self.token_at(span.start).is_some_and(|t| t.is(Kw::Datatable)) {
            return TableType::unknown();
        }
        self.schema_after_keyword(span)
    }

    /// The first parenthesized schema after the keyword at the start of `span`.
    fn schema_after_keyword(&self, span: Span) -> TableType {
        let tokens = self.tokens_between(span.start, span.end);
        let Some(open) = tokens.iter().position(|t| t.kind == TokenKind::LParen) else { return TableType::unknown() };
        let mut depth = 0;
        for token in &tokens[open..] {
            match token.kind {
                TokenKind::LParen => depth += 1,
                TokenKind::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        let text = &self.text[tokens[open].span.start as usize..token.span.end as usize];
                        return TableType::parse(text);
                    }
                }
                _ => {}
            }
        }
        TableType::unknown()
    }

    // ------------------------------------------------------------------ operators

    /// Items that are operator parameters (`kind=inner`, `hint.strategy=shuffle`,
    /// `with_itemindex=i`) are not columns.
    fn is_parameter(&self, item: &Expr, names: &[&str]) -> bool {
        let Expr::Named(named) = item else { return false };
        let Expr::Name(target) = &named.target else { return false };
        let text = target.span.of(self.text);
        text.starts_with("hint.") || names.iter().any(|n| n.eq_ignore_ascii_case(text))
    }

    fn parameter_value(&self, parameters: &[Expr], name: &str) -> Option<String> {
        parameters.iter().find_map(|p| {
            let Expr::Named(named) = p else { return None };
            let Expr::Name(target) = &named.target else { return None };
            if !target.span.of(self.text).eq_ignore_ascii_case(name) {
                return None;
            }
            Some(match &named.value {
                Expr::Name(n) => n.text(self.text).to_string(),
                other => string_value(other.span().of(self.text)),
            })
        })
    }

    fn operator(&mut self, operator: &'t Operator, input: TableType) -> TableType {
        use Kw::*;
        match (&operator.kind, operator.keyword) {
            (OperatorKind::Rows(items), Where | Filter | Sort | Order | Top) => {
                // Typed for what they read (an unknown column), not for what they make.
                for item in items {
                    if !matches!(item, Expr::Named(_)) {
                        self.scalar(item, &input);
                    }
                }
                input
            }
            (OperatorKind::Rows(_), Take | Limit | Sample | Render | Consume) => input,
            (OperatorKind::Rows(items), Extend | Serialize) => self.extend(items, input),
            (OperatorKind::Rows(items), Project) => self.project(items, &input, false),
            (OperatorKind::Rows(items), Distinct) => {
                if items.iter().any(|i| matches!(i, Expr::Star(_))) {
                    TableType { open: input.open, ..input }
                } else {
                    self.project(items, &input, true)
                }
            }
            (OperatorKind::Rows(items), ProjectAway | UnderProjectAway) => {
                let patterns = self.patterns(items);
                let columns =
                    input.columns.into_iter().filter(|c| !patterns.iter().any(|p| p.matches(&c.name))).collect();
                TableType { columns, open: input.open }
            }
            (OperatorKind::Rows(items), ProjectKeep) => {
                let patterns = self.patterns(items);
                let columns =
                    input.columns.into_iter().filter(|c| patterns.iter().any(|p| p.matches(&c.name))).collect();
                TableType { columns, open: input.open }
            }
            (OperatorKind::Rows(items), ProjectReorder) => {
                let patterns = self.patterns(items);
                let mut rest = input.columns;
                let mut columns = Vec::new();
                for pattern in &patterns {
                    let (matched, kept): (Vec<Column>, Vec<Column>) =
                        rest.into_iter().partition(|c| pattern.matches(&c.name));
                    columns.extend(matched);
                    rest = kept;
                }
                columns.extend(rest);
                TableType { columns, open: input.open }
            }
            (OperatorKind::Rows(items), ProjectRename) => {
                let mut output = input;
                for item in items {
                    let Expr::Named(named) = item else { continue };
                    let (Expr::Name(new), Expr::Name(old)) = (&named.target, &named.value) else { continue };
                    let (old, new_name) = (old.text(self.text), new.text(self.text));
                    // A new name the row already has is an error (the column is declared
                    // already): Kusto.Language leaves that column as it was.
                    if new_name != old && output.column(new_name).is_some() {
                        let first = output.column(new_name).and_then(|c| c.origin);
                        self.env.duplicate_column(new_name, Origin { source: self.source, span: named.span }, first);
                        continue;
                    }
                    if let Some(i) = output.position(old) {
                        output.columns[i].name = new.text(self.text).to_string();
                        output.columns[i].origin = self.origin(named.span);
                    }
                }
                output
            }
            (OperatorKind::Rows(items), Summarize) => self.summarize(operator, items, &input),
            (OperatorKind::Rows(_), Count) => TableType::closed(vec![Column::new("Count", Some(ScalarType::Long))]),
            (OperatorKind::Rows(_), Getschema) => TableType::closed(vec![
                Column::new("ColumnName", Some(ScalarType::String)),
                Column::new("ColumnOrdinal", Some(ScalarType::Long)),
                Column::new("DataType", Some(ScalarType::String)),
                Column::new("ColumnType", Some(ScalarType::String)),
            ]),
            (OperatorKind::Rows(items), MvExpand | Mvexpand) => self.mv_expand(operator, items, input).0,
            (OperatorKind::Nested { rows, subqueries }, MvApply | Mvapply) => {
                self.mv_apply(operator, rows, subqueries, input)
            }
            (OperatorKind::Rows(_), Reduce) => TableType::closed(vec![
                Column::new("Pattern", Some(ScalarType::String)),
                Column::new("Count", Some(ScalarType::Long)),
                Column::new("Representative", Some(ScalarType::String)),
            ]),
            (OperatorKind::Rows(items), Parse | ParseWhere) => self.parse(operator, items, input),
            (OperatorKind::Rows(_), ParseKv) => self.parse_kv(operator, input),
            (OperatorKind::Rows(items), MakeSeries) => self.make_series(operator, items, &input),
            (OperatorKind::Rows(items), TopNested) => self.top_nested(operator, items, &input),
            (OperatorKind::Source(items), Print) => self.print(items),
            (OperatorKind::Source(items), Range) => {
                let mut columns = Vec::new();
                if let (Some(Expr::Name(name)), Some(start)) = (items.first(), items.get(1)) {
                    let ty = self.scalar(start, &TableType::unknown());
                    columns.push(Column { name: name.text(self.text).to_string(), ty, origin: self.origin(name.span) });
                }
                TableType::closed(columns)
            }
            (OperatorKind::Join { parameters, right, conditions }, Join) => {
                let right = self.table(right);
                let kind = self.parameter_value(parameters, "kind").unwrap_or_default().to_ascii_lowercase();
                self.join_keys(conditions, &input, &right);
                match kind.as_str() {
                    "leftsemi" | "leftanti" | "leftantisemi" | "anti" => input,
                    "rightsemi" | "rightanti" | "rightantisemi" => right,
                    _ => join_columns(input, right, &[]),
                }
            }
            (OperatorKind::Join { right, conditions, .. }, Lookup) => {
                let right = self.table(right);
                self.join_keys(conditions, &input, &right);
                let mut keys = Vec::new();
                let member = |e: Option<&Expr>| match e {
                    Some(Expr::Path(p)) => match p.segments.last() {
                        Some(Segment::Member(m)) => Some(m.text(self.text).to_string()),
                        _ => None,
                    },
                    _ => None,
                };
                for condition in conditions {
                    match condition {
                        Expr::Name(n) => keys.push(n.text(self.text).to_string()),
                        Expr::Operation(o) => {
                            let (Some(left_key), Some(right_key)) =
                                (member(o.operands.first()), member(o.operands.get(1)))
                            else {
                                continue;
                            };
                            // Keys of two known, different types (an error) keep the right one.
                            let left_ty = input.column(&left_key).and_then(|c| c.ty);
                            let right_ty = right.column(&right_key).and_then(|c| c.ty);
                            if left_ty.is_none() || right_ty.is_none() || left_ty == right_ty {
                                keys.push(right_key);
                            }
                        }
                        _ => {}
                    }
                }
                join_columns(input, right, &keys)
            }
            (OperatorKind::Union { parameters, operands }, Union) => {
                let mut tables = Vec::new();
                if operator.span.start != self.statement_head(operator) {
                    tables.push(input);
                }
                for operand in operands {
                    tables.push(match operand {
                        Expr::Wildcard(_) => TableType::unknown(),
                        other => self.table(other),
                    });
                }
                let kind = self.parameter_value(parameters, "kind").unwrap_or_default().to_ascii_lowercase();
                let source = self
                    .parameter_value(parameters, "withsource")
                    .or_else(|| self.parameter_value(parameters, "with_source"));
                let mut output = if kind == "inner" { union_inner(tables) } else { union_outer(tables) };
                if let Some(source) = source {
                    output.columns.insert(0, Column::new(source, Some(ScalarType::String)));
                }
                output
            }
            // `[T |] search [in (sources)] predicate`: `$table`, then the columns of what it
            // searches (every table without `in`: unknown).
            (OperatorKind::Search { sources: Some(sources), .. }, Search) => {
                let tables = if sources.is_empty() {
                    vec![input]
                } else {
                    sources
                        .iter()
                        .map(|s| match s {
                            Expr::Wildcard(_) => TableType::unknown(),
                            other => self.table(other),
                        })
                        .collect()
                };
                let mut output = union_outer(tables);
                output.columns.insert(0, Column::new("$table", Some(ScalarType::String)));
                output
            }
            (OperatorKind::As { name, .. }, As) => {
                let name = name.text(self.text).to_string();
                self.bind(name, Binding::Value(Value::Table(input.clone())));
                input
            }
            (OperatorKind::Invoke(call), Invoke) => {
                let Expr::Call(call) = call else { return TableType::unknown() };
                let name = call.name.text(self.text);
                let mut arguments = vec![Value::Table(input)];
                arguments.extend(call.arguments.iter().map(|a| self.argument(a)));
                match self.lookup(name).cloned() {
                    Some(Binding::Function(f)) => {
                        self.call_let(f, &arguments).map_or_else(TableType::unknown, Value::into_table)
                    }
                    _ => self.entity(EntityKind::Call, None, None, name, &arguments),
                }
            }
            (OperatorKind::Evaluate { plugin, .. }, Evaluate) => self.evaluate(operator, plugin, input),
            _ => TableType::unknown(),
        }
    }

    /// `evaluate plugin(args) [: (schema)]`: the declared schema, or what Kusto.Language
    /// gives the plugin (data-dependent columns make an open table): the plugins of
    /// [`TYPED_PLUGINS`] are typed from their input, every other one is open.
    fn evaluate(&mut self, operator: &Operator, plugin: &'t Call, input: TableType) -> TableType {
        if let Some(colon) = self.tokens.get(self.token_index(plugin.span.end)).filter(|t| t.kind == TokenKind::Colon) {
            return self.schema_after_keyword(Span::new(colon.span.start as usize, operator.span.end as usize));
        }
        let name_of = |e: &Expr| match e {
            Expr::Name(n) => Some(n.text(self.text).to_string()),
            _ => None,
        };
        let long = |name: &str| Column::new(name, Some(ScalarType::Long));
        let real = |name: &str| Column::new(name, Some(ScalarType::Real));
        let arguments = &plugin.arguments;
        match plugin.name.text(self.text) {
            "bag_unpack" => {
                let column = arguments.first().and_then(name_of);
                let columns = input.columns.into_iter().filter(|c| Some(&c.name) != column.as_ref()).collect();
                TableType { columns, open: true }
            }
            "pivot" => {
                // `pivot(column[, aggregate][, key, ...])`: the keys (by default every column
                // that neither the pivot nor the aggregate reads), then one column per value of
                // the data.
                let pivot = arguments.first().and_then(name_of);
                let keys: Vec<String> = arguments.iter().skip(2).filter_map(name_of).collect();
                let mut read = Vec::new();
                if let Some(aggregate) = arguments.get(1) {
                    names_read(aggregate, self.text, &mut read);
                }
                let columns = if keys.is_empty() {
                    input
                        .columns
                        .into_iter()
                        .filter(|c| Some(&c.name) != pivot.as_ref() && !read.contains(&c.name))
                        .collect()
                } else {
                    keys.iter().filter_map(|k| input.column(k).cloned()).collect()
                };
                TableType { columns, open: true }
            }
            // Segments, then every column of the input.
            "autocluster" | "basket" => {
                let mut columns = vec![long("SegmentId"), long("Count"), real("Percent")];
                columns.extend(input.columns);
                TableType { columns, open: input.open }
            }
            "diffpatterns" => {
                let mut columns = vec![
                    long("SegmentId"),
                    long("CountA"),
                    long("CountB"),
                    real("PercentA"),
                    real("PercentB"),
                    real("PercentDiffAB"),
                ];
                columns.extend(input.columns);
                TableType { columns, open: input.open }
            }
            "narrow" => TableType::closed(vec![
                long("Row"),
                Column::new("Column", Some(ScalarType::String)),
                Column::new("Value", Some(ScalarType::String)),
            ]),
            // `sequence_detect(timestamp, step, span, name = predicate, ..., dimension, ...)`:
            // the dimensions, each event's timestamp (`<name>_<timestamp>`), the duration.
            "sequence_detect" => {
                let Some(timestamp) = arguments.first().and_then(name_of) else { return TableType::unknown() };
                let mut columns = Vec::new();
                let mut events = Vec::new();
                for argument in arguments.iter().skip(3) {
                    match argument {
                        Expr::Named(named) => {
                            if let Some(event) = name_of(&named.target) {
                                events.push(Column::new(format!("{event}_{timestamp}"), Some(ScalarType::DateTime)));
                            }
                        }
                        other => {
                            let Some(name) = name_of(other) else { return TableType::unknown() };
                            columns.push(Column::new(name.clone(), input.column(&name).and_then(|c| c.ty)));
                        }
                    }
                }
                columns.extend(events);
                columns.push(Column::new("Duration", Some(ScalarType::TimeSpan)));
                TableType::closed(columns)
            }
            // `ipv4_lookup(LookupTable, key, lookup_key, ...)`: the input's columns, then the
            // lookup table's (renamed where they collide, as a join's).
            "ipv4_lookup" | "ipv6_lookup" => {
                let Some(table) = arguments.first() else { return TableType::unknown() };
                let lookup = self.table(table);
                join_columns(input, lookup, &[])
            }
            _ => TableType::unknown(),
        }
    }

    /// The keys of `join`/`lookup ... on`: `a` is read on both sides, `$left.a` on the left,
    /// `$right.b` on the right.
    fn join_keys(&mut self, conditions: &[Expr], left: &TableType, right: &TableType) {
        let read = |this: &mut Self, name: &Name, row: &TableType| {
            let text = name.text(this.text);
            if !row.open && row.column(text).is_none() {
                this.env.unknown_column(text, Origin { source: this.source, span: name.span }, row);
            }
        };
        for condition in conditions {
            match condition {
                Expr::Name(name) => {
                    read(self, name, left);
                    read(self, name, right);
                }
                Expr::Operation(operation) => {
                    for operand in &operation.operands {
                        let Expr::Path(path) = operand else { continue };
                        let (Expr::Name(side), [Segment::Member(member)]) = (&path.base, &*path.segments) else {
                            continue;
                        };
                        match side.text(self.text) {
                            "$left" => read(self, member, left),
                            "$right" => read(self, member, right),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// The offset where the pipe of a head operator starts (`union A, B` with no input).
    fn statement_head(&self, operator: &Operator) -> u32 {
        // A union that starts its pipe has no `|` before its keyword.
        let index = self.token_index(operator.keyword_span.start);
        match index.checked_sub(1).and_then(|i| self.tokens.get(i)) {
            Some(t) if t.kind == TokenKind::Pipe => u32::MAX,
            _ => operator.span.start,
        }
    }

    fn patterns(&self, items: &[Expr]) -> Vec<Pattern> {
        items
            .iter()
            .filter_map(|item| match item {
                Expr::Name(n) => Some(Pattern(n.text(self.text).to_string())),
                Expr::Wildcard(span) => Some(Pattern(span.of(self.text).to_string())),
                Expr::Star(_) => Some(Pattern("*".to_string())),
                _ => None,
            })
            .collect()
    }

    fn extend(&mut self, items: &'t [Expr], input: TableType) -> TableType {
        let mut output = input;
        let mut counter = ColumnCounter::default();
        let mut declared = Declared::default();
        for item in items {
            for (name, ty, span) in self.declarations(item, &output, &mut counter) {
                if matches!(item, Expr::Named(_)) && !self.declare(&mut declared, &name, span) {
                    continue;
                }
                let column = Column { name, ty, origin: self.origin(span) };
                match output.position(&column.name) {
                    Some(i) => output.columns[i] = column,
                    None => output.columns.push(column),
                }
            }
        }
        output
    }

    /// The columns an item of `extend`/`project`/`summarize` declares: `(name, type, span)`.
    fn declarations(
        &mut self,
        item: &'t Expr,
        row: &TableType,
        counter: &mut ColumnCounter,
    ) -> Vec<(String, Option<ScalarType>, Span)> {
        match item {
            Expr::Named(named) => match &named.target {
                Expr::Name(name) => {
                    vec![(name.text(self.text).to_string(), self.scalar(&named.value, row), named.span)]
                }
                Expr::Parenthesized(group) => {
                    let names = &group.items;
                    // `(a, b) = series_decompose(x)`: the series functions return dynamic arrays.
                    let series = matches!(&named.value, Expr::Call(c) if c.name.text(self.text).starts_with("series_"));
                    let ty = series.then_some(ScalarType::Dynamic);
                    names
                        .iter()
                        .filter_map(|n| match n {
                            Expr::Name(n) => Some((n.text(self.text).to_string(), ty, named.span)),
                            _ => None,
                        })
                        .collect()
                }
                _ => Vec::new(),
            },
            _ => {
                let ty = self.scalar(item, row);
                let name = self.expression_name(item).unwrap_or_else(|| counter.next(row));
                vec![(name, ty, item.span())]
            }
        }
    }

    fn project(&mut self, items: &'t [Expr], input: &TableType, distinct: bool) -> TableType {
        let mut output = TableType::closed(Vec::new());
        let mut counter = ColumnCounter::default();
        let mut declared = Declared::default();
        for item in items {
            if distinct && self.is_parameter(item, &[]) {
                continue;
            }
            if let Expr::Name(name) = item {
                let text = name.text(self.text);
                // A name written twice is an error; the first stays (as in Kusto.Language).
                if self.declare(&mut declared, text, name.span) && output.column(text).is_none() {
                    let ty = input.column(text).and_then(|c| c.ty).or_else(|| self.scalar(item, input));
                    let origin = input.column(text).and_then(|c| c.origin).or(self.origin(name.span));
                    output.columns.push(Column { name: text.to_string(), ty, origin });
                }
                continue;
            }
            for (name, ty, span) in self.declarations(item, input, &mut counter) {
                let written = matches!(item, Expr::Named(_));
                if written && !self.declare(&mut declared, &name, span) {
                    continue;
                }
                let name = if written { name } else { output.unique_name(&name) };
                let column = Column { name, ty, origin: self.origin(span) };
                match output.position(&column.name) {
                    Some(i) => output.columns[i] = column,
                    None => output.columns.push(column),
                }
            }
        }
        output
    }

    /// Notes that an operator declares `name` (written in the query) at `span`; false, after
    /// reporting it, when the operator declared it already.
    fn declare(&mut self, declared: &mut Declared, name: &str, span: Span) -> bool {
        match declared.0.iter().find(|(n, _)| n == name) {
            Some((_, first)) => {
                let (origin, first) =
                    (Origin { source: self.source, span }, Origin { source: self.source, span: *first });
                self.env.duplicate_column(name, origin, Some(first));
                false
            }
            None => {
                declared.0.push((name.to_string(), span));
                true
            }
        }
    }

    fn print(&mut self, items: &'t [Expr]) -> TableType {
        let mut output = TableType::closed(Vec::new());
        let mut declared = Declared::default();
        let row = TableType::unknown();
        for (index, item) in items.iter().enumerate() {
            let (name, ty, span) = match item {
                Expr::Named(named) => match &named.target {
                    Expr::Name(n) => (n.text(self.text).to_string(), self.scalar(&named.value, &row), named.span),
                    _ => continue,
                },
                _ => {
                    let ty = self.scalar(item, &row);
                    let name = match item {
                        Expr::Name(_) | Expr::Path(_) => self.expression_name(item),
                        _ => None,
                    };
                    (name.unwrap_or_else(|| format!("print_{index}")), ty, item.span())
                }
            };
            if matches!(item, Expr::Named(_)) && !self.declare(&mut declared, &name, span) {
                continue;
            }
            let name = output.unique_name(&name);
            output.columns.push(Column { name, ty, origin: self.origin(span) });
        }
        output
    }

    /// `summarize aggregates [by keys]`.
    fn summarize(&mut self, operator: &Operator, items: &'t [Expr], input: &TableType) -> TableType {
        let by =
            self.keywords_at_top(operator.keyword_span.end, operator.span.end, &[Kw::By]).first().map(|(_, at)| *at);
        let (aggregates, keys): (Vec<&'t Expr>, Vec<&'t Expr>) =
            items.iter().filter(|i| !self.is_parameter(i, &[])).partition(|i| by.is_none_or(|at| i.span().start < at));
        let mut output = TableType::closed(Vec::new());
        let mut counter = ColumnCounter::default();
        let mut key_columns = Vec::new();
        let mut declared = Declared::default();
        for key in &keys {
            if let Expr::Name(n) = key {
                key_columns.push(n.text(self.text).to_string());
            }
            for (name, ty, span) in self.declarations(key, input, &mut counter) {
                let written = matches!(key, Expr::Named(_) | Expr::Name(_));
                if written && !self.declare(&mut declared, &name, span) {
                    continue;
                }
                let name = output.unique_name(&name);
                output.columns.push(Column { name, ty, origin: self.origin(span) });
            }
        }
        let mut aggregate_columns = Vec::new();
        for aggregate in aggregates {
            let (target, value, span) = match aggregate {
                Expr::Named(named) => (Some(&named.target), &named.value, named.span),
                other => (None, other, other.span()),
            };
            let columns = self.aggregate(value, input, &key_columns, &mut counter);
            match target {
                // `x = arg_max(a, *)`, `(x, y) = arg_max(a, *)`: the names given rename the first
                // columns; the others keep theirs.
                Some(Expr::Name(name)) => {
                    let mut columns = columns.into_iter();
                    let ty = columns.next().and_then(|c| c.1);
                    aggregate_columns.push((name.text(self.text).to_string(), ty, span, true));
                    aggregate_columns.extend(columns.map(|(name, ty)| (name, ty, span, false)));
                }
                Some(Expr::Parenthesized(group)) => {
                    let names = &group.items;
                    for (i, (column_name, ty)) in columns.into_iter().enumerate() {
                        match names.get(i) {
                            Some(Expr::Name(n)) => {
                                aggregate_columns.push((n.text(self.text).to_string(), ty, span, true))
                            }
                            _ => aggregate_columns.push((column_name, ty, span, false)),
                        }
                    }
                }
                _ => {
                    for (name, ty) in columns {
                        aggregate_columns.push((name, ty, span, false));
                    }
                }
            }
        }
        for (name, ty, span, written) in aggregate_columns {
            if written && !self.declare(&mut declared, &name, span) {
                continue;
            }
            let name = output.unique_name(&name);
            output.columns.push(Column { name, ty, origin: self.origin(span) });
        }
        // Kusto.Language keeps the result of an open input open.
        output.open = input.open;
        output
    }

    /// The columns one aggregate call makes: `(name, type)`.
    fn aggregate(
        &mut self,
        expr: &'t Expr,
        input: &TableType,
        keys: &[String],
        counter: &mut ColumnCounter,
    ) -> Vec<(String, Option<ScalarType>)> {
        let call = match expr {
            Expr::Call(call) => call,
            other => {
                let ty = self.scalar(other, input);
                return vec![(self.expression_name(other).unwrap_or_else(|| counter.next(input)), ty)];
            }
        };
        let name = call.name.text(self.text);
        let arguments: Vec<&'t Expr> = call.arguments.iter().collect();
        match name {
            "arg_max" | "arg_min" | "argmax" | "argmin" | "take_any" | "any" | "take_anyif" => {
                let skip_last = name == "take_anyif";
                let list =
                    if skip_last && !arguments.is_empty() { &arguments[..arguments.len() - 1] } else { &arguments[..] };
                if matches!(name, "any") && list.len() == 1 && !matches!(list[0], Expr::Star(_)) {
                    let ty = self.scalar(list[0], input);
                    let arg = self.expression_name(list[0]).unwrap_or_default();
                    return vec![(format!("any_{arg}"), ty)];
                }
                let mut columns: Vec<(String, Option<ScalarType>)> = Vec::new();
                let explicit: Vec<String> = list
                    .iter()
                    .filter_map(|a| match a {
                        Expr::Name(n) => Some(n.text(self.text).to_string()),
                        _ => None,
                    })
                    .collect();
                // The deprecated `any` names every column `any_<name>`.
                let prefix = if matches!(name, "any") { "any_" } else { "" };
                for argument in list {
                    match argument {
                        Expr::Star(_) => {
                            if input.open {
                                return vec![];
                            }
                            for column in &input.columns {
                                if !explicit.contains(&column.name) && !keys.contains(&column.name) {
                                    columns.push((format!("{prefix}{}", column.name), column.ty));
                                }
                            }
                        }
                        Expr::Named(named) => {
                            if let Expr::Name(n) = &named.target {
                                columns.push((n.text(self.text).to_string(), self.scalar(&named.value, input)));
                            }
                        }
                        other => {
                            let ty = self.scalar(other, input);
                            let name = self.expression_name(other).unwrap_or_else(|| counter.next(input));
                            columns.push((format!("{prefix}{name}"), ty));
                        }
                    }
                }
                columns
            }
            "percentile" | "percentiles" | "percentilew" | "percentilesw" => {
                let weighted = name.ends_with('w');
                let Some(first) = arguments.first() else { return vec![] };
                let ty = self.scalar(first, input);
                let stem = self.expression_name(first).unwrap_or_default();
                let values = &arguments[if weighted { 2 } else { 1 }.min(arguments.len())..];
                let prefix = if weighted { "percentilew" } else { "percentile" };
                values
                    .iter()
                    .map(|v| {
                        let text = v.span().of(self.text).replace('.', "_");
                        (format!("{prefix}_{stem}_{text}"), ty)
                    })
                    .collect()
            }
            _ => {
                let types: Vec<Option<ScalarType>> = arguments
                    .iter()
                    .map(|a| if matches!(a, Expr::Star(_)) { None } else { self.scalar(a, input) })
                    .collect();
                let names: Vec<Option<String>> = arguments.iter().map(|a| self.expression_name(a)).collect();
                match builtin::aggregate(name) {
                    Some(aggregate) => {
                        let ty = aggregate.return_type(&types);
                        let name = aggregate.result_name(&names).unwrap_or_else(|| counter.next(input));
                        vec![(name, ty)]
                    }
                    // A scalar function over aggregates (`round(avg(x))`): named as an unnamed
                    // expression is (after its aggregate, `avg_x`).
                    None => {
                        let ty = self.scalar(expr, input);
                        vec![(self.expression_name(expr).unwrap_or_else(|| counter.next(input)), ty)]
                    }
                }
            }
        }
    }

    /// `mv-apply [params] [name =] expr [to typeof(t)], ... on (subquery)`: the subquery runs
    /// over the expanded rows; the output is the input's columns but the expanded ones, with
    /// the subquery's columns (the subquery's type where a name is in both).
    fn mv_apply(
        &mut self,
        operator: &Operator,
        rows: &'t [Expr],
        subqueries: &'t [Expr],
        input: TableType,
    ) -> TableType {
        let Some(subquery) = subqueries.first() else { return TableType::unknown() };
        let (expanded, names) = self.mv_expand(operator, rows, input.clone());
        let saved = self.implicit.replace(expanded);
        let inner = self.table(subquery);
        self.implicit = saved;
        let mut output = TableType {
            columns: input.columns.into_iter().filter(|c| !names.contains(&c.name)).collect(),
            open: input.open || inner.open,
        };
        for column in inner.columns {
            match output.position(&column.name) {
                Some(i) => output.columns[i] = column,
                None => output.columns.push(column),
            }
        }
        output
    }

    /// `mv-expand [params] [name =] expr [to typeof(t)], ... [limit n]`: the output and the
    /// names of the columns it expanded in place (and the item index).
    fn mv_expand(&mut self, operator: &Operator, items: &'t [Expr], input: TableType) -> (TableType, Vec<String>) {
        let mut output = input;
        let marks = self.keywords_at_top(operator.keyword_span.end, operator.span.end, &[Kw::To, Kw::Limit]);
        let limit = marks.iter().find(|(k, _)| *k == Kw::Limit).map(|(_, at)| *at);
        let mut index_column = None;
        let mut expanded: Vec<usize> = Vec::new();
        // Columns expanded under their own name (`mv-expand d`), not into a new one (`x = d`).
        let mut expanded_in_place: Vec<usize> = Vec::new();
        for item in items {
            if limit.is_some_and(|at| item.span().start > at) {
                break;
            }
            if self.is_parameter(item, &["kind", "bagexpansion"]) {
                continue;
            }
            if self.is_parameter(item, &["with_itemindex"]) {
                if let Expr::Named(named) = item {
                    if let Expr::Name(n) = &named.value {
                        index_column = Some((n.text(self.text).to_string(), named.span));
                    }
                }
                continue;
            }
            // `to typeof(t)` after an item: that item's type.
            let after_to = marks.iter().any(|(k, at)| {
                *k == Kw::To && *at < item.span().start && self.tokens_between(*at, item.span().start).len() <= 1
            });
            if after_to {
                if let (Some(&last), Expr::Inline(span)) = (expanded.last(), item) {
                    let ty = self.typeof_type(*span);
                    output.columns[last].ty = ty;
                }
                continue;
            }
            // What is expanded is read.
            let value = match item {
                Expr::Named(named) => &named.value,
                other => other,
            };
            self.scalar(value, &output);
            let (name, span) = match item {
                Expr::Named(named) => match &named.target {
                    Expr::Name(n) => (n.text(self.text).to_string(), named.span),
                    _ => continue,
                },
                other => match self.expression_name(other) {
                    Some(name) => (name, other.span()),
                    None => continue,
                },
            };
            let column = Column { name, ty: Some(ScalarType::Dynamic), origin: self.origin(span) };
            let index = match output.position(&column.name) {
                Some(i) => {
                    output.columns[i] = column;
                    i
                }
                None => {
                    output.columns.push(column);
                    output.columns.len() - 1
                }
            };
            expanded.push(index);
            if !matches!(item, Expr::Named(_)) {
                expanded_in_place.push(index);
            }
        }
        let mut names: Vec<String> = expanded_in_place.iter().map(|&i| output.columns[i].name.clone()).collect();
        if let Some((name, span)) = index_column {
            names.push(name.clone());
            output.columns.push(Column { name, ty: Some(ScalarType::Long), origin: self.origin(span) });
        }
        (output, names)
    }

    /// `typeof(t)`.
    fn typeof_type(&self, span: Span) -> Option<ScalarType> {
        let tokens = self.tokens_between(span.start, span.end);
        if !tokens.first().is_some_and(|t| t.is(Kw::Typeof)) {
            return None;
        }
        let inner = tokens.get(2)?;
        ScalarType::parse(inner.span.of(self.text))
    }

    /// `parse [params] expr with pattern`: each name of the pattern is a column (`string`
    /// unless `name:type`).
    fn parse(&mut self, operator: &Operator, items: &'t [Expr], input: TableType) -> TableType {
        let Some(&(_, with)) = self.keywords_at_top(operator.keyword_span.end, operator.span.end, &[Kw::With]).first()
        else {
            return input;
        };
        // What is parsed is read.
        for item in items {
            if item.span().start < with && !self.is_parameter(item, &["kind", "flags"]) {
                self.scalar(item, &input);
            }
        }
        let mut output = input;
        for item in items {
            if item.span().start < with {
                continue;
            }
            let Expr::Name(name) = item else { continue };
            let ty = self.declared_type_after(name.span.end).unwrap_or(Some(ScalarType::String));
            let column = Column { name: name.text(self.text).to_string(), ty, origin: self.origin(name.span) };
            match output.position(&column.name) {
                Some(i) => output.columns[i] = column,
                None => output.columns.push(column),
            }
        }
        output
    }

    /// `parse-kv expr as (k:type, ...) with (...)`.
    fn parse_kv(&mut self, operator: &Operator, input: TableType) -> TableType {
        let Some(&(_, at)) = self.keywords_at_top(operator.keyword_span.end, operator.span.end, &[Kw::As]).first()
        else {
            return TableType { open: true, ..input };
        };
        let mut output = input;
        let schema = self.schema_after_keyword(Span::new(at as usize, operator.span.end as usize));
        for column in schema.columns {
            match output.position(&column.name) {
                Some(i) => output.columns[i] = column,
                None => output.columns.push(column),
            }
        }
        output
    }

    /// `make-series aggregates on axis ... [by keys]`: keys, then the series (dynamic), then
    /// the axis (dynamic).
    fn make_series(&mut self, operator: &Operator, items: &'t [Expr], input: &TableType) -> TableType {
        let marks = self.keywords_at_top(operator.keyword_span.end, operator.span.end, &[Kw::On, Kw::By]);
        let on = marks.iter().find(|(k, _)| *k == Kw::On).map(|(_, at)| *at);
        let by = marks.iter().find(|(k, _)| *k == Kw::By).map(|(_, at)| *at);
        let Some(on) = on else { return TableType::unknown() };
        let mut output = TableType::closed(Vec::new());
        let mut counter = ColumnCounter::default();
        if let Some(by) = by {
            for key in items.iter().filter(|i| i.span().start > by) {
                for (name, ty, span) in self.declarations(key, input, &mut counter) {
                    let name = output.unique_name(&name);
                    output.columns.push(Column { name, ty, origin: self.origin(span) });
                }
            }
        }
        let aggregates: Vec<&'t Expr> =
            items.iter().filter(|i| i.span().start < on && !self.is_parameter(i, &["default", "kind"])).collect();
        for aggregate in aggregates {
            let (name, span) = match aggregate {
                Expr::Named(named) => match &named.target {
                    Expr::Name(n) => (n.text(self.text).to_string(), named.span),
                    _ => continue,
                },
                other => {
                    let columns = self.aggregate(other, input, &[], &mut counter);
                    match columns.into_iter().next() {
                        Some((name, _)) => (name, other.span()),
                        None => continue,
                    }
                }
            };
            let name = output.unique_name(&name);
            output.columns.push(Column { name, ty: Some(ScalarType::Dynamic), origin: self.origin(span) });
        }
        if let Some(axis) = items.iter().find(|i| i.span().start > on) {
            if let Some(name) = self.expression_name(axis) {
                let name = output.unique_name(&name);
                output.columns.push(Column { name, ty: Some(ScalarType::Dynamic), origin: self.origin(axis.span()) });
            }
        }
        output
    }

    /// `top-nested [n] of expr [with others = v] by aggregate [asc|desc], top-nested ...`: per
    /// clause, the value (named as an unnamed expression, `bin(t, 1d)` as `t`) and the
    /// aggregate (`aggregated_<value>` unless named).
    fn top_nested(&mut self, operator: &Operator, items: &'t [Expr], input: &TableType) -> TableType {
        let mut marks = vec![(Kw::TopNested, operator.keyword_span.start)];
        marks.extend(self.keywords_at_top(
            operator.keyword_span.end,
            operator.span.end,
            &[Kw::TopNested, Kw::Of, Kw::By],
        ));
        let mut output = TableType::closed(Vec::new());
        let mut counter = ColumnCounter::default();
        for (i, &(kw, at)) in marks.iter().enumerate() {
            if kw != Kw::TopNested {
                continue;
            }
            let end = marks[i + 1..].iter().find(|(k, _)| *k == Kw::TopNested).map_or(operator.span.end, |(_, at)| *at);
            let of = marks.iter().find(|(k, a)| *k == Kw::Of && *a > at && *a < end).map(|(_, a)| *a);
            let by = marks.iter().find(|(k, a)| *k == Kw::By && *a > at && *a < end).map(|(_, a)| *a);
            let (Some(of), Some(by)) = (of, by) else { return TableType::unknown() };
            let value = items.iter().find(|e| e.span().start > of && e.span().start < by);
            let aggregate = items.iter().find(|e| e.span().start > by && e.span().start < end);
            let (Some(value), Some(aggregate)) = (value, aggregate) else { return TableType::unknown() };
            let (name, ty) = match value {
                Expr::Named(named) => match &named.target {
                    Expr::Name(n) => (n.text(self.text).to_string(), self.scalar(&named.value, input)),
                    _ => return TableType::unknown(),
                },
                Expr::Call(call) if call.name.text(self.text) == "bin" && !call.arguments.is_empty() => {
                    let name = self.expression_name(&call.arguments[0]).unwrap_or_else(|| counter.next(input));
                    (name, self.scalar(value, input))
                }
                other => {
                    (self.expression_name(other).unwrap_or_else(|| counter.next(input)), self.scalar(other, input))
                }
            };
            let (aggregate_name, aggregate_value) = match aggregate {
                Expr::Named(named) => match &named.target {
                    Expr::Name(n) => (n.text(self.text).to_string(), &named.value),
                    _ => return TableType::unknown(),
                },
                other => (format!("aggregated_{name}"), other),
            };
            let aggregate_ty = self.aggregate(aggregate_value, input, &[], &mut counter).first().and_then(|c| c.1);
            output.columns.push(Column { name, ty, origin: self.origin(value.span()) });
            output.columns.push(Column {
                name: aggregate_name,
                ty: aggregate_ty,
                origin: self.origin(aggregate.span()),
            });
        }
        output.open = input.open;
        output
    }

    // ------------------------------------------------------------------ scalars

    /// The name Kusto gives an unnamed expression, if it gives one (`None`: `ColumnN`).
    pub fn expression_name(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Name(n) => Some(n.text(self.text).to_string()),
            // `tostring(x = make_list(a))`: the argument's name.
            Expr::Named(named) => match &named.target {
                Expr::Name(n) => Some(n.text(self.text).to_string()),
                _ => None,
            },
            Expr::Parenthesized(group) if group.items.len() == 1 => self.expression_name(&group.items[0]),
            Expr::Path(path) => {
                let mut name = self.expression_name(&path.base)?;
                for segment in &path.segments {
                    match segment {
                        Segment::Member(m) => {
                            name.push('_');
                            name.push_str(m.text(self.text));
                        }
                        Segment::Index(index) => {
                            let text = match &**index {
                                Expr::Literal(Literal { kind: LiteralKind::String, span }) => {
                                    string_value(span.of(self.text))
                                }
                                Expr::Literal(Literal { kind: LiteralKind::Number, span }) => {
                                    span.of(self.text).to_string()
                                }
                                _ => return None,
                            };
                            name.push('_');
                            name.push_str(&text);
                        }
                        _ => return None,
                    }
                }
                Some(name)
            }
            Expr::Call(call) => {
                let name = call.name.text(self.text);
                let function = builtin::function(name).or_else(|| builtin::aggregate(name))?;
                let arguments: Vec<Option<String>> = call.arguments.iter().map(|a| self.expression_name(a)).collect();
                function.result_name(&arguments)
            }
            _ => None,
        }
    }

    /// The type of a scalar expression over the columns of `row`.
    pub fn scalar(&mut self, expr: &'t Expr, row: &TableType) -> Option<ScalarType> {
        match expr {
            Expr::Literal(literal) => self.literal_type(literal),
            Expr::Name(name) => {
                // A column wins over a scalar `let` (or parameter) of that name, as in
                // Kusto.Language.
                let text = name.text(self.text);
                if let Some(column) = row.column(text) {
                    return column.ty;
                }
                match self.lookup(text).cloned() {
                    Some(Binding::Value(Value::Scalar(ty))) => return ty,
                    Some(Binding::Function(f)) if f.parameters.is_empty() => {
                        if let Some(Value::Scalar(ty)) = self.call_let(f, &[]) {
                            return ty;
                        }
                    }
                    _ => {}
                }
                match row.column(text) {
                    Some(column) => column.ty,
                    None => {
                        let plain = !text.starts_with(['$', '{', '@']) && !text.is_empty();
                        if plain && !row.open {
                            let origin = Origin { source: self.source, span: name.span };
                            self.env.unknown_column(text, origin, row);
                        }
                        None
                    }
                }
            }
            Expr::Call(call) => self.call_type(call, row),
            Expr::Path(path) => {
                // `database(d).F(args)`: a stored function that returns a scalar.
                if let Some((cluster, database, Segment::Call(call))) = self.qualified(path) {
                    return self.stored_scalar(call, cluster, database, row);
                }
                let base = self.scalar(&path.base, row);
                match path.segments.last() {
                    Some(Segment::Member(_) | Segment::Index(_)) if base == Some(ScalarType::Dynamic) => {
                        Some(ScalarType::Dynamic)
                    }
                    _ => None,
                }
            }
            Expr::Operation(operation) => self.operation_type(operation, row),
            Expr::Unary(inner, _) => self.scalar(inner, row),
            Expr::Parenthesized(group) if group.items.len() == 1 => self.scalar(&group.items[0], row),
            Expr::Named(named) => self.scalar(&named.value, row),
            Expr::Subquery(inner, span) => match self.token_at(span.start).and_then(Token::keyword) {
                Some(Kw::Toscalar) => self.scalar_of_table(inner),
                _ => None,
            },
            Expr::Inline(span) => match self.token_at(span.start).and_then(Token::keyword) {
                Some(Kw::Dynamic) => Some(ScalarType::Dynamic),
                _ => None,
            },
            _ => None,
        }
    }

    fn literal_type(&self, literal: &Literal) -> Option<ScalarType> {
        let token = self.token_at(literal.span.start)?;
        Some(match token.kind {
            TokenKind::String { .. } => ScalarType::String,
            TokenKind::Long => ScalarType::Long,
            TokenKind::Real => ScalarType::Real,
            TokenKind::Timespan => ScalarType::TimeSpan,
            TokenKind::Bool => ScalarType::Bool,
            TokenKind::Guid => ScalarType::Guid,
            TokenKind::TypedLiteral { ty, .. } => match ty {
                LiteralType::DateTime => ScalarType::DateTime,
                LiteralType::TimeSpan => ScalarType::TimeSpan,
                LiteralType::Long => ScalarType::Long,
                LiteralType::Int => ScalarType::Int,
                LiteralType::Real => ScalarType::Real,
                LiteralType::Decimal => ScalarType::Decimal,
                LiteralType::Bool => ScalarType::Bool,
                LiteralType::Guid => ScalarType::Guid,
            },
            _ => return None,
        })
    }

    fn call_type(&mut self, call: &'t Call, row: &TableType) -> Option<ScalarType> {
        let name = call.name.text(self.text);
        if let Some(binding) = self.lookup(name).cloned() {
            return match binding {
                Binding::Function(f) => {
                    let arguments: Vec<Value> =
                        call.arguments.iter().map(|a| Value::Scalar(self.scalar(a, row))).collect();
                    match self.call_let(f, &arguments) {
                        Some(Value::Scalar(ty)) => ty,
                        _ => None,
                    }
                }
                Binding::Value(_) => None,
            };
        }
        let Some(function) = builtin::function(name).or_else(|| builtin::aggregate(name)) else {
            return self.stored_scalar(call, None, None, row);
        };
        let arguments: Vec<Option<ScalarType>> = call.arguments.iter().map(|a| self.scalar(a, row)).collect();
        function.return_type(&arguments)
    }

    /// The type a stored function returns when it returns a scalar (`toscalar(...)`, an
    /// expression), called with `call`'s arguments in `cluster` and `database` (`None`: the
    /// caller's).
    fn stored_scalar(
        &mut self,
        call: &'t Call,
        cluster: Option<String>,
        database: Option<String>,
        row: &TableType,
    ) -> Option<ScalarType> {
        let arguments: Vec<Value> = call.arguments.iter().map(|a| Value::Scalar(self.scalar(a, row))).collect();
        let name = call.name.text(self.text);
        let entity = EntityRef { kind: EntityKind::Call, cluster, database, name, arguments: &arguments };
        match self.env.entity(&entity) {
            Some(Value::Scalar(ty)) => ty,
            _ => None,
        }
    }

    /// A chain of operands and binary operators.
    fn operation_type(&mut self, operation: &'t Operation, row: &TableType) -> Option<ScalarType> {
        let operands = &operation.operands;
        let mut operators = Vec::with_capacity(operands.len());
        for pair in operands.windows(2) {
            let between = self.tokens_between(pair[0].span().end, pair[1].span().start);
            operators.push(between.first().map(|t| t.kind));
        }
        if operators.iter().any(|op| {
            !matches!(
                op,
                Some(TokenKind::Plus | TokenKind::Minus | TokenKind::Star | TokenKind::Slash | TokenKind::Percent)
            )
        }) {
            // A comparison, a string predicate, `in`, `between`, `and`/`or`: a boolean. Its
            // operands are read (for unknown columns), except the list of `in` and `has_any`,
            // which may name a table.
            for (i, operand) in operands.iter().enumerate() {
                let after_list_operator = i > 0
                    && matches!(
                        operators[i - 1],
                        Some(TokenKind::Keyword(Kw::In | Kw::NotIn | Kw::InCi | Kw::NotInCi | Kw::HasAny | Kw::HasAll))
                    );
                if !after_list_operator {
                    self.scalar(operand, row);
                    continue;
                }
                // A list of two or more items holds scalars; a single name may be a table
                // (`x in (OtherTable)`), so it is read only when it is no table.
                match operand {
                    Expr::Parenthesized(group) if group.items.len() >= 2 => {
                        for item in &group.items {
                            self.scalar(item, row);
                        }
                    }
                    Expr::Parenthesized(group)
                        if group.items.len() == 1 && !matches!(group.items[0], Expr::Name(_)) =>
                    {
                        self.scalar(&group.items[0], row);
                    }
                    _ => {}
                }
            }
            return Some(ScalarType::Bool);
        }
        let mut current = self.scalar(&operands[0], row);
        for (operand, op) in operands[1..].iter().zip(operators) {
            let right = self.scalar(operand, row);
            current = arithmetic(op?, current?, right?);
        }
        current
    }
}

/// The type of `left op right`.
fn arithmetic(op: TokenKind, left: ScalarType, right: ScalarType) -> Option<ScalarType> {
    use ScalarType::*;
    Some(match (op, left, right) {
        (_, Dynamic, Dynamic) => Dynamic,
        // A dynamic operand takes the other side's type where Kusto can tell (Kusto.Language's
        // answers: `long + dynamic` is long, `datetime - dynamic` timespan, `timespan * dynamic`
        // unknown).
        (_, Dynamic, n) | (_, n, Dynamic) if n.is_numeric() => n.wider(Long),
        (TokenKind::Plus, DateTime, Dynamic) | (TokenKind::Plus, Dynamic, DateTime) => DateTime,
        (TokenKind::Minus, DateTime, Dynamic) => TimeSpan,
        (_, Dynamic, _) | (_, _, Dynamic) => return None,
        (TokenKind::Plus, DateTime, TimeSpan) | (TokenKind::Plus, TimeSpan, DateTime) => DateTime,
        (TokenKind::Minus, DateTime, DateTime) => TimeSpan,
        (TokenKind::Minus, DateTime, TimeSpan) => DateTime,
        (TokenKind::Plus | TokenKind::Minus, TimeSpan, TimeSpan) => TimeSpan,
        (TokenKind::Star, TimeSpan, n) | (TokenKind::Star, n, TimeSpan) if n.is_numeric() => TimeSpan,
        (TokenKind::Slash, TimeSpan, TimeSpan) => Real,
        (TokenKind::Slash, TimeSpan, n) if n.is_numeric() => TimeSpan,
        (TokenKind::Percent, TimeSpan, _) => TimeSpan,
        (_, l, r) if l.is_numeric() && r.is_numeric() => match l.wider(r) {
            Int => Long,
            wider => wider,
        },
        _ => return None,
    })
}

/// The bare names an expression reads (`sum(c)` reads `c`).
fn names_read(expr: &Expr, text: &str, names: &mut Vec<String>) {
    match expr {
        Expr::Name(n) => names.push(n.text(text).to_string()),
        Expr::Call(call) => call.arguments.iter().for_each(|a| names_read(a, text, names)),
        Expr::Operation(o) => o.operands.iter().for_each(|a| names_read(a, text, names)),
        Expr::Parenthesized(group) => group.items.iter().for_each(|a| names_read(a, text, names)),
        Expr::Unary(inner, _) => names_read(inner, text, names),
        Expr::Named(named) => names_read(&named.value, text, names),
        Expr::Path(path) => names_read(&path.base, text, names),
        _ => {}
    }
}

/// Joined columns: the left's, then the right's except `drop`, renamed where they collide.
fn join_columns(left: TableType, right: TableType, drop: &[String]) -> TableType {
    let open = left.open || right.open;
    let mut output = left;
    let right_names: Vec<String> = right.columns.iter().map(|c| c.name.clone()).collect();
    for column in right.columns {
        if drop.contains(&column.name) {
            continue;
        }
        let mut name = column.name.clone();
        if output.column(&name).is_some() {
            name = (1..)
                .map(|n| format!("{}{n}", column.name))
                .find(|c| output.column(c).is_none() && !right_names.contains(c))
                .unwrap_or_default();
        }
        output.columns.push(Column { name, ..column });
    }
    output.open = open;
    output
}

/// `union kind=outer`: every column by name; a name with several types becomes `name_type`.
fn union_outer(tables: Vec<TableType>) -> TableType {
    let open = tables.iter().any(|t| t.open);
    let mut merged: Vec<(String, Vec<Column>)> = Vec::new();
    for table in tables {
        for column in table.columns {
            match merged.iter_mut().find(|(n, _)| *n == column.name) {
                Some((_, variants)) => {
                    if !variants.iter().any(|v| v.ty == column.ty || v.ty.is_none() || column.ty.is_none()) {
                        variants.push(column);
                    }
                }
                None => merged.push((column.name.clone(), vec![column])),
            }
        }
    }
    let mut columns = Vec::new();
    for (name, variants) in merged {
        if variants.len() == 1 {
            columns.extend(variants);
        } else {
            for v in variants {
                let ty_name = v.ty.map_or("unknown", ScalarType::name);
                columns.push(Column { name: format!("{name}_{ty_name}"), ..v });
            }
        }
    }
    TableType { columns, open }
}

/// `union kind=inner`: the columns every table has (same name and type).
fn union_inner(tables: Vec<TableType>) -> TableType {
    let mut iter = tables.into_iter();
    let Some(first) = iter.next() else { return TableType::unknown() };
    let rest: Vec<TableType> = iter.collect();
    if rest.iter().any(|t| t.open) || first.open {
        return TableType::unknown();
    }
    let columns = first
        .columns
        .into_iter()
        .filter(|c| rest.iter().all(|t| t.column(&c.name).is_some_and(|o| o.ty == c.ty)))
        .collect();
    TableType::closed(columns)
}

/// The names an operator declared so far, with where.
#[derive(Default)]
struct Declared(Vec<(String, Span)>);

/// `Column1`, `Column2`... numbered per operator, skipping names the row already has.
#[derive(Default)]
struct ColumnCounter(u32);

impl ColumnCounter {
    fn next(&mut self, row: &TableType) -> String {
        loop {
            self.0 += 1;
            let name = format!("Column{}", self.0);
            if row.column(&name).is_none() {
                return name;
            }
        }
    }
}

/// A name or a wildcard pattern (`a*`, `*_x`, `*`).
struct Pattern(String);

impl Pattern {
    fn matches(&self, name: &str) -> bool {
        let pattern = &self.0;
        if !pattern.contains('*') {
            return pattern == name;
        }
        let parts: Vec<&str> = pattern.split('*').collect();
        let mut rest = name;
        for (i, part) in parts.iter().enumerate() {
            if i == 0 {
                let Some(r) = rest.strip_prefix(part) else { return false };
                rest = r;
            } else if i == parts.len() - 1 {
                return rest.ends_with(part);
            } else {
                match rest.find(part) {
                    Some(at) => rest = &rest[at + part.len()..],
                    None => return false,
                }
            }
        }
        true
    }
}

/// The value of a simple string literal (`'x'`, `"x"`, `@'x'`), escapes left as written
/// except `\'`, `\"` and `\\`.
fn string_value(text: &str) -> String {
    let text = text.trim();
    let text = text.strip_prefix('@').unwrap_or(text);
    for quote in ['\'', '"'] {
        if let Some(inner) = text.strip_prefix(quote).and_then(|s| s.strip_suffix(quote)) {
            return inner.replace("\\'", "'").replace("\\\"", "\"").replace("\\\\", "\\");
        }
    }
    text.to_string()
}
