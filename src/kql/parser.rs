//! The KQL parser: tokens to a [`Block`] of statements, never failing as a whole.
//!
//! A hand-written recursive descent over the token stream (§2-3 of `spec/kql-grammar.md`). It
//! is lenient where leniency cannot hide a reference (a reserved keyword used as a name, a clause
//! it does not model), and strict where structure matters: statements, pipes, brackets and every
//! position of §3.4 that holds a table. A syntax error is recorded with its span and parsing
//! resumes at the next statement, pipe operator or closing bracket. Nesting deeper than
//! [`MAX_DEPTH`] is reported once and skipped, so no input can exhaust the stack.

use super::ast::*;
use super::keywords::Kw;
use super::lexer;
use super::strings;
use super::token::{Token, TokenKind};
use crate::span::Span;

/// How deeply expressions and statement blocks may nest.
pub const MAX_DEPTH: u32 = 96;

/// A syntax error: where and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
}

/// A parsed query: its statements, tokens and syntax errors.
#[derive(Clone, Debug)]
pub struct ParsedQuery {
    pub block: Block,
    pub tokens: Vec<Token>,
    pub errors: Vec<SyntaxError>,
}

/// Parses a query text (a statement list, optionally preceded by `#` directives).
pub fn parse_query(text: &str) -> ParsedQuery {
    let tokens = lexer::lex(text);
    let mut parser = Parser::new(text, &tokens);
    let block = parser.block(None);
    let errors = parser.errors;
    ParsedQuery { block, tokens, errors }
}

/// A parsed function declaration `(params) { body }`.
#[derive(Clone, Debug)]
pub struct ParsedFunction {
    pub function: Function,
    pub tokens: Vec<Token>,
    pub errors: Vec<SyntaxError>,
}

/// Parses a function declaration as written after the name in `.create function F(...) {...}`:
/// the parameters in parentheses, then the body in braces.
pub fn parse_function(text: &str) -> ParsedFunction {
    let tokens = lexer::lex(text);
    let mut parser = Parser::new(text, &tokens);
    let function = parser.function_declaration();
    if !parser.at(TokenKind::Eof) {
        let span = parser.peek().span;
        parser.error(span, "unexpected text after the function body");
    }
    let errors = parser.errors;
    ParsedFunction { function, tokens, errors }
}

/// Parses a body given with its braces, `{ ... }`, as found in a materialized view: the body's
/// statements.
pub fn parse_function_body(text: &str) -> ParsedQuery {
    let tokens = lexer::lex(text);
    let mut parser = Parser::new(text, &tokens);
    let block = if parser.at(TokenKind::LBrace) {
        let start = parser.bump().span;
        let mut block = parser.block(Some(TokenKind::RBrace));
        let end = parser.expect(TokenKind::RBrace, "expected `}` to close the function body");
        block.span = start.to(end);
        if !parser.at(TokenKind::Eof) {
            let span = parser.peek().span;
            parser.error(span, "unexpected text after the function body");
        }
        block
    } else {
        parser.block(None)
    };
    let errors = parser.errors;
    ParsedQuery { block, tokens, errors }
}

struct Parser<'a> {
    text: &'a str,
    tokens: &'a [Token],
    pos: usize,
    depth: u32,
    too_deep_reported: bool,
    /// Set while parsing positions where wildcarded names are allowed (`union T*`).
    wildcards: bool,
    /// Set while parsing the pattern of `parse`, where `*` matches any text.
    parse_pattern: bool,
    errors: Vec<SyntaxError>,
}

/// Keywords that, inside an operator, separate its clauses rather than start an expression.
fn is_clause_keyword(kw: Kw) -> bool {
    matches!(
        kw,
        Kw::By
            | Kw::On
            | Kw::Of
            | Kw::With
            | Kw::To
            | Kw::From
            | Kw::Step
            | Kw::Asc
            | Kw::Desc
            | Kw::First
            | Kw::Last
            | Kw::Limit
            | Kw::GrannyAsc
            | Kw::GrannyDesc
            | Kw::In
            | Kw::As
            | Kw::Where
            | Kw::Project
            | Kw::ProjectSmart
            | Kw::Kind
            | Kw::Others
            | Kw::Output
            | Kw::Declare
            | Kw::Optional
            | Kw::TopNested
    )
}

/// Binary operator keywords (string and set operators, `and`, `or`, `between`...).
fn is_operator_keyword(kw: Kw) -> bool {
    matches!(
        kw,
        Kw::And
            | Kw::Or
            | Kw::Between
            | Kw::NotBetween
            | Kw::In
            | Kw::NotIn
            | Kw::InCi
            | Kw::NotInCi
            | Kw::Has
            | Kw::NotHas
            | Kw::HasCs
            | Kw::NotHasCs
            | Kw::Hasprefix
            | Kw::NotHasprefix
            | Kw::HasprefixCs
            | Kw::NotHasprefixCs
            | Kw::Hassuffix
            | Kw::NotHassuffix
            | Kw::HassuffixCs
            | Kw::NotHassuffixCs
            | Kw::Contains
            | Kw::NotContains
            | Kw::ContainsCs
            | Kw::NotContainsCs
            | Kw::Containscs
            | Kw::Notcontains
            | Kw::Notcontainscs
            | Kw::Startswith
            | Kw::NotStartswith
            | Kw::StartswithCs
            | Kw::NotStartswithCs
            | Kw::Endswith
            | Kw::NotEndswith
            | Kw::EndswithCs
            | Kw::NotEndswithCs
            | Kw::Like
            | Kw::Notlike
            | Kw::Likecs
            | Kw::Notlikecs
            | Kw::MatchesRegex
            | Kw::HasAny
            | Kw::HasAll
    )
}

/// Operators that may follow `|` (§3.6).
fn is_piped_operator(kw: Kw) -> bool {
    matches!(
        kw,
        Kw::As
            | Kw::AssertSchema
            | Kw::Consume
            | Kw::Count
            | Kw::Distinct
            | Kw::Evaluate
            | Kw::UnderExecuteAndCache
            | Kw::Extend
            | Kw::Facet
            | Kw::Filter
            | Kw::Where
            | Kw::Find
            | Kw::Fork
            | Kw::Getschema
            | Kw::GraphMatch
            | Kw::GraphShortestPaths
            | Kw::GraphToTable
            | Kw::GraphMarkComponents
            | Kw::GraphWhereNodes
            | Kw::GraphWhereEdges
            | Kw::Invoke
            | Kw::Join
            | Kw::Lookup
            | Kw::MakeGraph
            | Kw::MakeSeries
            | Kw::MvApply
            | Kw::Mvapply
            | Kw::MvExpand
            | Kw::Mvexpand
            | Kw::Parse
            | Kw::ParseWhere
            | Kw::ParseKv
            | Kw::UnderPartitionby
            | Kw::Partition
            | Kw::Project
            | Kw::ProjectAway
            | Kw::UnderProjectAway
            | Kw::ProjectKeep
            | Kw::ProjectRename
            | Kw::ProjectReorder
            | Kw::ProjectByNames
            | Kw::Range
            | Kw::InlineExternalTable
            | Kw::Reduce
            | Kw::Render
            | Kw::Sample
            | Kw::SampleDistinct
            | Kw::Scan
            | Kw::Search
            | Kw::Serialize
            | Kw::Sort
            | Kw::Order
            | Kw::Summarize
            | Kw::Take
            | Kw::Limit
            | Kw::Top
            | Kw::TopHitters
            | Kw::TopNested
            | Kw::Union
            | Kw::Print
            | Kw::MacroExpand
    )
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, tokens: &'a [Token]) -> Parser<'a> {
        Parser {
            text,
            tokens,
            pos: 0,
            depth: 0,
            too_deep_reported: false,
            wildcards: false,
            parse_pattern: false,
            errors: Vec::new(),
        }
    }

    // -----------------------------------------------------------------------------------
    // Token access

    #[inline]
    fn peek(&self) -> Token {
        self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    #[inline]
    fn peek_at(&self, ahead: usize) -> Token {
        self.tokens[(self.pos + ahead).min(self.tokens.len() - 1)]
    }

    #[inline]
    fn kind(&self) -> TokenKind {
        self.peek().kind
    }

    #[inline]
    fn at(&self, kind: TokenKind) -> bool {
        self.kind() == kind
    }

    #[inline]
    fn at_kw(&self, kw: Kw) -> bool {
        self.kind() == TokenKind::Keyword(kw)
    }

    #[inline]
    fn bump(&mut self) -> Token {
        let token = self.peek();
        if token.kind != TokenKind::Eof {
            self.pos += 1;
        }
        token
    }

    fn eat(&mut self, kind: TokenKind) -> Option<Token> {
        if self.at(kind) { Some(self.bump()) } else { None }
    }

    fn eat_kw(&mut self, kw: Kw) -> Option<Token> {
        if self.at_kw(kw) { Some(self.bump()) } else { None }
    }

    /// The end of the previous token (where a construct that just ended stops).
    fn prev_end(&self) -> u32 {
        if self.pos == 0 { 0 } else { self.tokens[self.pos - 1].span.end }
    }

    fn span_from(&self, start: Span) -> Span {
        Span { start: start.start, end: self.prev_end().max(start.start) }
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        // One error per position: recovery must not pile up duplicates.
        if self.errors.last().is_some_and(|e| e.span.start == span.start) {
            return;
        }
        self.errors.push(SyntaxError { span, message: message.into() });
    }

    fn error_here(&mut self, message: impl Into<String>) {
        let span = self.peek().span;
        self.error(span, message);
    }

    fn expect(&mut self, kind: TokenKind, message: &str) -> Span {
        match self.eat(kind) {
            Some(token) => token.span,
            None => {
                self.error_here(message);
                Span::empty(self.prev_end() as usize)
            }
        }
    }

    /// True at a token that ends the current operator or expression list.
    fn at_terminator(&self) -> bool {
        matches!(
            self.kind(),
            TokenKind::Pipe
                | TokenKind::RParen
                | TokenKind::RBracket
                | TokenKind::RBrace
                | TokenKind::Semicolon
                | TokenKind::Eof
        )
    }

    /// Skips tokens, balancing brackets, until `stop` holds at nesting level 0, a closing bracket
    /// that closes an enclosing group, or the end.
    fn skip_until(&mut self, stop: impl Fn(&Token) -> bool) {
        let mut depth = 0usize;
        loop {
            let token = self.peek();
            match token.kind {
                TokenKind::Eof => return,
                TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => depth += 1,
                TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                }
                _ if depth == 0 && stop(&token) => return,
                _ => {}
            }
            self.bump();
        }
    }

    /// Skips one balanced group starting at an opening bracket; returns its span.
    fn skip_group(&mut self) -> Span {
        let start = self.bump().span;
        self.skip_until(|_| false);
        if matches!(self.kind(), TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace) {
            self.bump();
        } else {
            self.error(start, "unclosed bracket");
        }
        self.span_from(start)
    }

    /// Enters one nesting level; false (with the error reported once) when too deep.
    fn enter(&mut self) -> bool {
        self.depth += 1;
        if self.depth <= MAX_DEPTH {
            return true;
        }
        if !self.too_deep_reported {
            self.too_deep_reported = true;
            self.error_here(format!("nesting deeper than {MAX_DEPTH} levels; the rest of this group is skipped"));
        }
        false
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Skips what is left of a group that is too deep.
    fn skip_too_deep(&mut self) -> Expr {
        let start = self.peek().span;
        self.skip_until(|t| matches!(t.kind, TokenKind::Pipe | TokenKind::Semicolon | TokenKind::Comma));
        Expr::Error(self.span_from(start))
    }

    // -----------------------------------------------------------------------------------
    // Names

    /// True when the current token can be a name (identifier, keyword, bracketed name, `{x}`).
    fn at_name(&self) -> bool {
        match self.kind() {
            TokenKind::Ident | TokenKind::Keyword(_) => true,
            TokenKind::LBracket => self.bracketed_name_len().is_some(),
            TokenKind::LBrace => self.client_parameter_len().is_some(),
            _ => false,
        }
    }

    /// The number of tokens of a bracketed name `['a' 'b']` starting here.
    fn bracketed_name_len(&self) -> Option<usize> {
        let mut n = 1;
        while self.peek_at(n).kind.is_string() {
            n += 1;
        }
        (n > 1 && self.peek_at(n).kind == TokenKind::RBracket).then_some(n + 1)
    }

    /// The number of tokens of a client parameter `{name}` or `{name[-1]}` starting here.
    fn client_parameter_len(&self) -> Option<usize> {
        let open = self.peek();
        let name = self.peek_at(1);
        if !matches!(name.kind, TokenKind::Ident | TokenKind::Keyword(_)) || !open.is_adjacent_to(&name) {
            return None;
        }
        let mut n = 2;
        if self.peek_at(n).kind == TokenKind::LBracket {
            while !matches!(self.peek_at(n).kind, TokenKind::RBracket | TokenKind::Eof) && n < 8 {
                n += 1;
            }
            n += 1;
        }
        let close = self.peek_at(n);
        (close.kind == TokenKind::RBrace && self.peek_at(n - 1).is_adjacent_to(&close)).then_some(n + 1)
    }

    /// Parses a name; the caller checked [`Self::at_name`].
    fn name(&mut self) -> Name {
        match self.kind() {
            TokenKind::LBracket => {
                let len = self.bracketed_name_len().unwrap_or(1);
                let start = self.pos;
                let strings_tokens = &self.tokens[start + 1..start + len - 1];
                let decoded = strings::decode_tokens(self.text, strings_tokens).value;
                self.pos += len;
                Name {
                    span: self.tokens[start].span.to(self.tokens[start + len - 1].span),
                    decoded: Some(decoded.into_boxed_str()),
                }
            }
            TokenKind::LBrace => {
                let len = self.client_parameter_len().unwrap_or(1);
                let start = self.pos;
                self.pos += len;
                Name { span: self.tokens[start].span.to(self.tokens[start + len - 1].span), decoded: None }
            }
            _ => Name { span: self.bump().span, decoded: None },
        }
    }

    /// A name, or an error and an empty name.
    fn expect_name(&mut self, what: &str) -> Name {
        if self.at_name() {
            self.name()
        } else {
            self.error_here(format!("expected {what}"));
            Name { span: Span::empty(self.peek().span.start as usize), decoded: Some("".into()) }
        }
    }

    /// True when a name starts here and is followed by `=` (a declaration or a parameter).
    fn at_named(&self) -> bool {
        let len = match self.kind() {
            TokenKind::Ident | TokenKind::Keyword(_) => 1,
            TokenKind::LBracket => match self.bracketed_name_len() {
                Some(len) => len,
                None => return false,
            },
            _ => return false,
        };
        self.peek_at(len).kind == TokenKind::Eq
    }

    /// A wildcarded name here (`T*`, `*`, `*_x`, `T*x*`: parts adjacent, at least one `*`):
    /// its span, or `None`.
    fn wildcard_len(&self) -> Option<usize> {
        let mut n = 0;
        let mut has_star = false;
        loop {
            let token = self.peek_at(n);
            let part =
                matches!(token.kind, TokenKind::Ident | TokenKind::Keyword(_) | TokenKind::Long | TokenKind::Star);
            if !part || (n > 0 && !self.peek_at(n - 1).is_adjacent_to(&token)) {
                break;
            }
            has_star |= token.kind == TokenKind::Star;
            n += 1;
        }
        (has_star && n > 0).then_some(n)
    }

    fn wildcard(&mut self) -> Option<Span> {
        let len = self.wildcard_len()?;
        let start = self.peek().span;
        self.pos += len;
        Some(self.span_from(start))
    }

    // -----------------------------------------------------------------------------------
    // Statements (§2)

    /// Statements separated by `;`, up to `close` (not consumed) or the end.
    fn block(&mut self, close: Option<TokenKind>) -> Block {
        let start = self.peek().span;
        let mut statements = Vec::new();
        if !self.enter() {
            self.skip_too_deep();
            self.leave();
            return Block { statements, span: self.span_from(start) };
        }
        loop {
            while self.at(TokenKind::Directive) {
                self.bump();
            }
            if self.at(TokenKind::Eof) || close.is_some_and(|c| self.at(c)) {
                break;
            }
            if self.at(TokenKind::Semicolon) {
                self.error_here("empty statement");
                self.bump();
                continue;
            }
            let before = self.pos;
            statements.push(self.statement());
            if self.eat(TokenKind::Semicolon).is_some() {
                continue;
            }
            if self.at(TokenKind::Eof) || close.is_some_and(|c| self.at(c)) {
                break;
            }
            self.error_here("expected `;` between statements");
            if !self.at_statement_keyword() {
                self.skip_until(|t| t.kind == TokenKind::Semicolon);
                self.eat(TokenKind::Semicolon);
            }
            if self.pos == before {
                // A stray closing bracket: step over it.
                self.bump();
            }
        }
        self.leave();
        Block { statements, span: self.span_from(start) }
    }

    fn at_statement_keyword(&self) -> bool {
        let next = self.peek_at(1).kind;
        match self.kind() {
            TokenKind::Keyword(Kw::Let) => {
                matches!(next, TokenKind::Ident | TokenKind::Keyword(_) | TokenKind::LBracket)
            }
            TokenKind::Keyword(Kw::Set) => true,
            TokenKind::Keyword(Kw::Alias) => next == TokenKind::Keyword(Kw::Database),
            TokenKind::Keyword(Kw::Declare) => {
                matches!(next, TokenKind::Keyword(Kw::QueryParameters) | TokenKind::Keyword(Kw::Pattern))
            }
            TokenKind::Keyword(Kw::Restrict) => next == TokenKind::Keyword(Kw::Access),
            _ => false,
        }
    }

    fn statement(&mut self) -> Statement {
        let start = self.peek().span;
        if !self.at_statement_keyword() {
            return Statement::Expression(self.pipe_expr());
        }
        match self.kind() {
            TokenKind::Keyword(Kw::Let) => self.let_statement(),
            TokenKind::Keyword(Kw::Set) => {
                self.bump();
                self.skip_until(|t| t.kind == TokenKind::Semicolon);
                Statement::Set { span: self.span_from(start) }
            }
            TokenKind::Keyword(Kw::Alias) => {
                self.bump();
                self.bump();
                let name = self.expect_name("the alias name");
                self.expect(TokenKind::Eq, "expected `=` after the alias name");
                let value = self.expr();
                Statement::Alias { name, value, span: self.span_from(start) }
            }
            TokenKind::Keyword(Kw::Restrict) => {
                self.bump();
                self.bump();
                if self.eat_kw(Kw::To).is_none() {
                    self.error_here("expected `to` after `restrict access`");
                }
                let entities = self.wildcard_list();
                if self.eat_kw(Kw::With).is_some() && self.at(TokenKind::LParen) {
                    self.skip_group();
                }
                Statement::Restrict { entities, span: self.span_from(start) }
            }
            _ => {
                self.bump();
                if self.eat_kw(Kw::QueryParameters).is_some() {
                    let parameters = self.parameter_list();
                    Statement::QueryParameters { parameters, span: self.span_from(start) }
                } else {
                    self.bump();
                    Statement::Pattern(Box::new(self.pattern(start)))
                }
            }
        }
    }

    fn let_statement(&mut self) -> Statement {
        let start = self.bump().span;
        let name = self.expect_name("a name after `let`");
        self.expect(TokenKind::Eq, "expected `=` after the let name");
        let value = if self.at_function_declaration() {
            LetValue::Function(Box::new(self.function_declaration()))
        } else {
            LetValue::Expr(self.pipe_expr())
        };
        Statement::Let(Let { name, value, span: self.span_from(start) })
    }

    /// After `let x =`: `[view] ( )`, `[view] ( name :` start a function declaration.
    fn at_function_declaration(&self) -> bool {
        let at = if self.at_kw(Kw::View) { 1 } else { 0 };
        if self.peek_at(at).kind != TokenKind::LParen {
            return false;
        }
        match self.peek_at(at + 1).kind {
            TokenKind::RParen => true,
            TokenKind::Ident | TokenKind::Keyword(_) => self.peek_at(at + 2).kind == TokenKind::Colon,
            TokenKind::LBracket => {
                let mut n = at + 2;
                while self.peek_at(n).kind.is_string() {
                    n += 1;
                }
                self.peek_at(n).kind == TokenKind::RBracket && self.peek_at(n + 1).kind == TokenKind::Colon
            }
            _ => false,
        }
    }

    fn function_declaration(&mut self) -> Function {
        let start = self.peek().span;
        let is_view = self.eat_kw(Kw::View).is_some();
        let parameters = self.parameter_list();
        let body = self.braced_block();
        Function { parameters, body, is_view, span: self.span_from(start) }
    }

    /// `{ statements }`.
    fn braced_block(&mut self) -> Block {
        let start = self.peek().span;
        if self.eat(TokenKind::LBrace).is_none() {
            self.error_here("expected `{` to start a body");
            return Block { statements: Vec::new(), span: Span::empty(start.start as usize) };
        }
        let mut block = self.block(Some(TokenKind::RBrace));
        self.expect(TokenKind::RBrace, "expected `}` to close the body");
        block.span = self.span_from(start);
        block
    }

    /// `( name : type [= default], ... )`; a tabular type is `(*)` or `(col:type, ...)`.
    fn parameter_list(&mut self) -> Vec<Parameter> {
        let mut parameters = Vec::new();
        if self.eat(TokenKind::LParen).is_none() {
            self.error_here("expected `(` to start the parameters");
            return parameters;
        }
        while !self.at(TokenKind::RParen) && !self.at(TokenKind::Eof) {
            if !self.at_name() {
                self.error_here("expected a parameter name");
                self.skip_until(|t| t.kind == TokenKind::Comma);
            } else {
                let name = self.name();
                self.expect(TokenKind::Colon, "expected `:` and a type after the parameter name");
                let type_start = self.peek().span;
                let tabular = self.at(TokenKind::LParen);
                if tabular {
                    self.skip_group();
                } else if matches!(self.kind(), TokenKind::Ident | TokenKind::Keyword(_)) {
                    self.bump();
                } else {
                    self.error_here("expected a type");
                }
                let type_span = self.span_from(type_start);
                let default = self.eat(TokenKind::Eq).map(|_| self.unary());
                parameters.push(Parameter { name, tabular, type_span, default });
            }
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        self.expect(TokenKind::RParen, "expected `)` to close the parameters");
        parameters
    }

    /// After `declare pattern`: `name [= (params) [[name:type]] { (args)[.[path]] = { body }; ... }]`.
    fn pattern(&mut self, start: Span) -> Pattern {
        let name = self.expect_name("the pattern name");
        let mut parameters = Vec::new();
        let mut matches = Vec::new();
        if self.eat(TokenKind::Eq).is_some() {
            parameters = self.parameter_list();
            if self.at(TokenKind::LBracket) {
                self.skip_group();
            }
            if self.eat(TokenKind::LBrace).is_some() {
                while self.at(TokenKind::LParen) {
                    let arguments = match self.parenthesized() {
                        Expr::Parenthesized(items, _) => items,
                        other => vec![other],
                    };
                    let path = if self.eat(TokenKind::Dot).is_some() { Some(self.primary()) } else { None };
                    self.expect(TokenKind::Eq, "expected `=` in the pattern");
                    let body = self.braced_block();
                    self.eat(TokenKind::Semicolon);
                    matches.push(PatternMatch { arguments, path, body });
                }
                self.expect(TokenKind::RBrace, "expected `}` to close the pattern");
            }
        }
        Pattern { name, parameters, matches, span: self.span_from(start) }
    }

    // -----------------------------------------------------------------------------------
    // Pipes (§3.1, §3.6)

    /// True at an operator that starts a pipe without input (`union`, `print`, `range x from`...).
    fn at_source_operator(&self) -> bool {
        match self.kind() {
            TokenKind::Keyword(Kw::Union | Kw::Print | Kw::Search | Kw::Find | Kw::MacroExpand) => true,
            TokenKind::Keyword(Kw::Evaluate) => {
                matches!(self.peek_at(1).kind, TokenKind::Ident | TokenKind::Keyword(_))
            }
            TokenKind::Keyword(Kw::Range) => {
                matches!(self.peek_at(1).kind, TokenKind::Ident | TokenKind::Keyword(_) | TokenKind::LBracket)
                    && self.peek_at(2).kind == TokenKind::Keyword(Kw::From)
            }
            _ => false,
        }
    }

    /// A pipe expression: a head and `| operator`s. The head is an operator when one starts here.
    fn pipe_expr(&mut self) -> Expr {
        let start = self.peek().span;
        let mut operators = Vec::new();
        let head = if self.at_source_operator() || self.at_head_operator() {
            operators.push(self.operator());
            None
        } else {
            Some(self.expr())
        };
        self.pipe_tail(start, head, operators)
    }

    /// A piped operator written where a pipe starts, with implicit input (`where x > 1`, as
    /// Azure Resource Graph queries do). A keyword that can be a name is taken as one when it
    /// stands alone (`count | take 1`, `range | take 1`).
    fn at_head_operator(&self) -> bool {
        let Some(kw) = self.peek().keyword() else { return false };
        if !is_piped_operator(kw) {
            return false;
        }
        if !kw.is_name_capable() {
            return true;
        }
        !matches!(
            self.peek_at(1).kind,
            TokenKind::Pipe
                | TokenKind::Semicolon
                | TokenKind::RParen
                | TokenKind::RBrace
                | TokenKind::Eof
                | TokenKind::Dot
                | TokenKind::Comma
                | TokenKind::LParen
                | TokenKind::LBracket
        ) && !self.peek_at(1).kind.is_string()
    }

    /// A subquery whose input is implicit (`fork (where x | take 1)`): it may start with any
    /// operator; otherwise it is an ordinary pipe expression.
    fn sub_pipe(&mut self) -> Expr {
        let start = self.peek().span;
        match self.peek().keyword() {
            Some(kw) if is_piped_operator(kw) => {
                let first = self.operator();
                self.pipe_tail(start, None, vec![first])
            }
            _ => self.pipe_expr(),
        }
    }

    fn pipe_tail(&mut self, start: Span, head: Option<Expr>, mut operators: Vec<Operator>) -> Expr {
        while self.eat(TokenKind::Pipe).is_some() {
            operators.push(self.operator());
        }
        match head {
            Some(head) if operators.is_empty() => head,
            head => Expr::Pipe(Box::new(Pipe { head, operators, span: self.span_from(start) })),
        }
    }

    /// One query operator, at its keyword.
    fn operator(&mut self) -> Operator {
        let start = self.peek().span;
        let Some(keyword) = self.peek().keyword().filter(|&kw| is_piped_operator(kw)) else {
            self.error_here("expected a query operator");
            self.skip_until(|t| matches!(t.kind, TokenKind::Pipe | TokenKind::Semicolon));
            return Operator {
                keyword: Kw::Where,
                keyword_span: Span::empty(start.start as usize),
                kind: OperatorKind::Rows(Vec::new()),
                span: self.span_from(start),
            };
        };
        let keyword_span = self.bump().span;
        if !self.enter() {
            self.leave();
            self.skip_until(|t| matches!(t.kind, TokenKind::Pipe | TokenKind::Semicolon));
            return Operator {
                keyword,
                keyword_span,
                kind: OperatorKind::Rows(Vec::new()),
                span: self.span_from(start),
            };
        }
        let kind = match keyword {
            Kw::Join | Kw::Lookup => self.join(),
            Kw::Union => self.union(),
            Kw::As => {
                let parameters = self.parameters();
                let name = self.expect_name("a name after `as`");
                OperatorKind::As { parameters, name }
            }
            Kw::Invoke => OperatorKind::Invoke(self.unary()),
            Kw::Evaluate => self.evaluate(),
            Kw::Fork => self.fork(),
            Kw::Facet => self.facet(),
            Kw::Partition | Kw::UnderPartitionby => self.partition(),
            Kw::MvApply | Kw::Mvapply => self.mv_apply(),
            Kw::Find | Kw::Search => self.search(keyword),
            Kw::MakeGraph => self.make_graph(),
            Kw::MacroExpand => self.macro_expand(),
            Kw::Scan => self.scan(),
            Kw::Print | Kw::Range => OperatorKind::Source(self.clauses()),
            Kw::Parse | Kw::ParseWhere => {
                let saved = std::mem::replace(&mut self.parse_pattern, true);
                let items = self.clauses_declaring(None, true);
                self.parse_pattern = saved;
                OperatorKind::Rows(items)
            }
            Kw::ProjectAway | Kw::ProjectKeep | Kw::ProjectReorder | Kw::UnderProjectAway => {
                let saved = std::mem::replace(&mut self.wildcards, true);
                let items = self.clauses();
                self.wildcards = saved;
                OperatorKind::Rows(items)
            }
            Kw::GraphToTable => {
                let mut declared = Vec::new();
                let rows = self.clauses_declaring(Some(&mut declared), true);
                OperatorKind::GraphToTable { rows, declared }
            }
            Kw::GraphMatch | Kw::GraphShortestPaths => {
                // The graph pattern declares names and reads nothing: skip it.
                self.skip_until(|t| {
                    matches!(
                        t.kind,
                        TokenKind::Pipe | TokenKind::Semicolon | TokenKind::Keyword(Kw::Where | Kw::Project)
                    )
                });
                OperatorKind::Rows(self.clauses())
            }
            _ => OperatorKind::Rows(self.clauses()),
        };
        self.leave();
        Operator { keyword, keyword_span, kind, span: self.span_from(start) }
    }

    /// Operator parameters: `name=value` pairs right after the keyword (§3.5).
    fn parameters(&mut self) -> Vec<Expr> {
        let mut parameters = Vec::new();
        while self.at_named() && !self.at(TokenKind::LBracket) {
            let start = self.peek().span;
            let target = Expr::Name(self.name());
            self.bump();
            let value = self.parameter_value();
            parameters.push(Expr::Named(Box::new(Named { target, value, span: self.span_from(start) })));
        }
        parameters
    }

    /// The value of an operator parameter: one literal or word, never a call.
    fn parameter_value(&mut self) -> Expr {
        if self.at(TokenKind::Minus) && self.peek_at(1).kind.is_literal() {
            let start = self.bump().span;
            let literal = self.primary();
            return Expr::Unary(Box::new(literal), self.span_from(start));
        }
        if self.at_name() {
            return Expr::Name(self.name());
        }
        self.primary()
    }

    /// The clauses of an operator that computes over rows: expressions, `name = expr`
    /// declarations, `*`, and clause keywords (`by`, `asc`, `with (...)`...), up to the end of
    /// the operator.
    fn clauses(&mut self) -> Vec<Expr> {
        self.clauses_declaring(None, false)
    }

    /// [`Self::clauses`]. Items must be separated by commas or clause keywords unless
    /// `juxtaposed` (the patterns of `parse`); a `name = value` may
    /// always follow an item (`make-series avg(x) default=0`). Names declared by `as Name` are
    /// collected into `declared` if given.
    fn clauses_declaring(&mut self, mut declared: Option<&mut Vec<Name>>, juxtaposed: bool) -> Vec<Expr> {
        let mut items = Vec::new();
        let mut after_item = false;
        while !self.at_terminator() {
            let before = self.pos;
            match self.kind() {
                TokenKind::Comma => {
                    self.bump();
                    after_item = false;
                }
                TokenKind::Keyword(Kw::Nulls)
                    if matches!(self.peek_at(1).kind, TokenKind::Keyword(Kw::First | Kw::Last)) =>
                {
                    self.pos += 2;
                }
                TokenKind::Keyword(kw) if is_clause_keyword(kw) && !self.at_named() && !self.keyword_is_operand() => {
                    self.bump();
                    after_item = false;
                    if kw == Kw::As && self.at_name() {
                        if let Some(declared) = declared.as_deref_mut() {
                            declared.push(self.name());
                            after_item = true;
                        }
                    }
                    if kw == Kw::With && self.at(TokenKind::LParen) {
                        items.push(self.parenthesized());
                    }
                }
                _ => {
                    if after_item && !juxtaposed && !self.at_named() {
                        // Two expressions side by side: often a second query that lacks its `;`.
                        self.error_here("expected `,` or the end of the operator");
                    }
                    // An operator parameter (`hint.strategy=shuffle`, `kind=array`) is named by a
                    // keyword and may be followed by an item without a comma.
                    let parameter = self.at_named() && matches!(self.kind(), TokenKind::Keyword(_));
                    items.push(self.item(false));
                    after_item = !parameter;
                }
            }
            if self.pos == before {
                self.error_here("unexpected token");
                self.bump();
            }
        }
        items
    }

    /// True when the keyword here is an operand of a comparison (`where kind == 'x'`).
    fn keyword_is_operand(&self) -> bool {
        use TokenKind::*;
        match self.peek_at(1).kind {
            EqEq | BangEq | LtGt | Lt | LtEq | Gt | GtEq | Slash | Percent | EqTilde | BangTilde | Dot => true,
            Keyword(kw) => is_operator_keyword(kw) && kw != Kw::In,
            _ => false,
        }
    }

    /// One item of a list: `*`, `name = value`, `(a, b) = value`, a wildcard where allowed, or
    /// an expression (a pipe expression when `pipes`), with an optional `: type` suffix.
    fn item(&mut self, pipes: bool) -> Expr {
        let start = self.peek().span;
        if self.at(TokenKind::Star)
            && matches!(
                self.peek_at(1).kind,
                TokenKind::Comma | TokenKind::RParen | TokenKind::Pipe | TokenKind::Eof | TokenKind::Semicolon
            )
        {
            return Expr::Star(self.bump().span);
        }
        if self.wildcards {
            if let Some(span) = self.wildcard() {
                return Expr::Wildcard(span);
            }
        }
        if self.at_named() {
            let target = Expr::Name(self.name());
            self.bump();
            let value = if pipes { self.pipe_expr() } else { self.expr() };
            return Expr::Named(Box::new(Named { target, value, span: self.span_from(start) }));
        }
        let expr = if pipes { self.pipe_expr() } else { self.expr() };
        if matches!(expr, Expr::Parenthesized(..)) && self.eat(TokenKind::Eq).is_some() {
            let value = if pipes { self.pipe_expr() } else { self.expr() };
            return Expr::Named(Box::new(Named { target: expr, value, span: self.span_from(start) }));
        }
        if self.eat(TokenKind::Colon).is_some() {
            // A declared type (`parse ... with x:long`, `parse-kv ... as (a:string)`).
            if self.at(TokenKind::LParen) {
                self.skip_group();
            } else if matches!(self.kind(), TokenKind::Ident | TokenKind::Keyword(_)) {
                self.bump();
            } else {
                self.error_here("expected a type after `:`");
            }
        }
        expr
    }

    fn join(&mut self) -> OperatorKind {
        let parameters = self.parameters();
        let right = self.unary();
        let mut conditions = Vec::new();
        if self.eat_kw(Kw::On).is_some() {
            conditions = self.clauses();
        } else if self.eat_kw(Kw::Where).is_some() {
            conditions.push(self.expr());
        }
        OperatorKind::Join { parameters, right, conditions }
    }

    fn union(&mut self) -> OperatorKind {
        let parameters = self.parameters();
        let mut operands = Vec::new();
        let saved = std::mem::replace(&mut self.wildcards, true);
        loop {
            if self.at_terminator() {
                self.error_here("expected a table after `union`");
                break;
            }
            operands.push(self.union_operand());
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        self.wildcards = saved;
        OperatorKind::Union { parameters, operands }
    }

    /// `(pipe)`, a wildcard, or a name/path/call.
    fn union_operand(&mut self) -> Expr {
        if let Some(span) = self.wildcard() {
            return Expr::Wildcard(span);
        }
        self.unary()
    }

    /// `( entity, ... )` where entities may be wildcards (`find in`, `search in`, `restrict`).
    fn wildcard_list(&mut self) -> Vec<Expr> {
        let mut items = Vec::new();
        if self.eat(TokenKind::LParen).is_none() {
            self.error_here("expected `(`");
            return items;
        }
        let saved = std::mem::replace(&mut self.wildcards, true);
        while !self.at(TokenKind::RParen) && !self.at(TokenKind::Eof) {
            let before = self.pos;
            let item = self.union_operand();
            items.push(item);
            // `find in (T | as X)` is not modelled: skip the alias.
            if self.at(TokenKind::Pipe) {
                self.skip_until(|t| t.kind == TokenKind::Comma);
            }
            if self.eat(TokenKind::Comma).is_none() {
                if self.pos == before {
                    self.error_here("unexpected token");
                    self.bump();
                } else if !self.at(TokenKind::RParen) {
                    self.error_here("expected `,` or `)`");
                    self.skip_until(|t| t.kind == TokenKind::Comma);
                    self.eat(TokenKind::Comma);
                }
            }
        }
        self.wildcards = saved;
        self.expect(TokenKind::RParen, "expected `)`");
        items
    }

    fn evaluate(&mut self) -> OperatorKind {
        let parameters = self.parameters();
        let start = self.peek().span;
        let name = self.expect_name("a plugin name after `evaluate`");
        let mut arguments = Vec::new();
        if self.at(TokenKind::LParen) {
            arguments = self.arguments();
        } else {
            self.error_here("expected `(` after the plugin name");
        }
        let plugin = Call { name, arguments, span: self.span_from(start) };
        // An output schema: `: (a:string, ...)`.
        if self.eat(TokenKind::Colon).is_some() && self.at(TokenKind::LParen) {
            self.skip_group();
        }
        OperatorKind::Evaluate { parameters, plugin }
    }

    /// `fork [name =] (subquery) ...`.
    fn fork(&mut self) -> OperatorKind {
        let mut subqueries = Vec::new();
        while !self.at_terminator() {
            let before = self.pos;
            if self.at_named() {
                self.name();
                self.bump();
            }
            if self.at(TokenKind::LParen) {
                subqueries.push(self.parenthesized_sub_pipe());
            } else {
                self.error_here("expected `(` and a subquery");
                self.skip_until(|t| matches!(t.kind, TokenKind::LParen | TokenKind::Pipe | TokenKind::Semicolon));
            }
            if self.pos == before {
                self.bump();
            }
        }
        OperatorKind::Nested { rows: Vec::new(), subqueries }
    }

    /// `( subquery )` with implicit input.
    fn parenthesized_sub_pipe(&mut self) -> Expr {
        self.bump();
        if !self.enter() {
            let skipped = self.skip_too_deep();
            self.leave();
            self.eat(TokenKind::RParen);
            return skipped;
        }
        let sub = self.sub_pipe();
        self.leave();
        self.expect(TokenKind::RParen, "expected `)` to close the subquery");
        sub
    }

    /// `facet by cols [with (subquery) | with operator]`.
    fn facet(&mut self) -> OperatorKind {
        let mut rows = Vec::new();
        let mut subqueries = Vec::new();
        self.eat_kw(Kw::By);
        while !self.at_terminator() && !self.at_kw(Kw::With) {
            let before = self.pos;
            if self.eat(TokenKind::Comma).is_none() {
                rows.push(self.item(false));
            }
            if self.pos == before {
                self.bump();
            }
        }
        if self.eat_kw(Kw::With).is_some() {
            if self.at(TokenKind::LParen) {
                subqueries.push(self.parenthesized_sub_pipe());
            } else {
                let start = self.peek().span;
                let operator = self.operator();
                subqueries.push(Expr::Pipe(Box::new(Pipe {
                    head: None,
                    operators: vec![operator],
                    span: self.span_from(start),
                })));
            }
        }
        OperatorKind::Nested { rows, subqueries }
    }

    /// `partition [params] by col [in (...)] (subquery) | { query }`.
    fn partition(&mut self) -> OperatorKind {
        let mut rows = self.parameters();
        if self.eat_kw(Kw::By).is_none() {
            self.error_here("expected `by` and a column");
        }
        // The column is a name, so `by a (subquery)` is not a call of `a`.
        let column = if self.at_name() { Some(self.name()) } else { None };
        loop {
            if self.eat_kw(Kw::In).is_some() {
                rows.push(self.unary());
            } else if self.eat_kw(Kw::Id).is_some() {
                rows.push(self.parameter_value());
            } else {
                break;
            }
        }
        let subquery = match self.kind() {
            TokenKind::LParen => self.parenthesized_sub_pipe(),
            TokenKind::LBrace => {
                self.bump();
                let query = self.pipe_expr();
                self.expect(TokenKind::RBrace, "expected `}` to close the partition subquery");
                query
            }
            _ => {
                self.error_here("expected the partition subquery in `(...)` or `{...}`");
                Expr::Error(Span::empty(self.peek().span.start as usize))
            }
        };
        OperatorKind::Partition { column, rows, subquery }
    }

    /// `mv-apply [params] items [limit n] [id expr] on (subquery)`.
    fn mv_apply(&mut self) -> OperatorKind {
        let mut rows = Vec::new();
        while !self.at_terminator() && !self.at_kw(Kw::On) {
            let before = self.pos;
            match self.kind() {
                TokenKind::Comma => {
                    self.bump();
                }
                TokenKind::Keyword(Kw::To | Kw::Limit | Kw::Id) if !self.at_named() => {
                    self.bump();
                }
                _ => rows.push(self.item(false)),
            }
            if self.pos == before {
                self.error_here("unexpected token");
                self.bump();
            }
        }
        let mut subqueries = Vec::new();
        if self.eat_kw(Kw::On).is_some() {
            if self.at(TokenKind::LParen) {
                subqueries.push(self.parenthesized_sub_pipe());
            } else {
                self.error_here("expected `(` and a subquery after `on`");
            }
        } else {
            self.error_here("expected `on (subquery)`");
        }
        OperatorKind::Nested { rows, subqueries }
    }

    /// `find [params] [in (sources)] [where] predicate [project ...]` and
    /// `search [params] [in (sources)] predicate`.
    fn search(&mut self, keyword: Kw) -> OperatorKind {
        let mut rows = self.parameters();
        let sources = if self.at_kw(Kw::In) && self.peek_at(1).kind == TokenKind::LParen {
            self.bump();
            Some(self.wildcard_list())
        } else {
            None
        };
        if keyword == Kw::Find {
            self.eat_kw(Kw::Where);
        }
        rows.extend(self.clauses());
        OperatorKind::Search { sources, rows }
    }

    /// `make-graph [params] src --> dst [with T on col, ... | with_node_id=x] [partitioned-by col (subquery)]`.
    fn make_graph(&mut self) -> OperatorKind {
        let mut rows = self.parameters();
        let mut node_tables = Vec::new();
        let mut subqueries = Vec::new();
        rows.push(self.unary());
        // `-->` or `--`: adjacent `-`, `-` and an optional `>`.
        let mut arrow = 0;
        while self.at(TokenKind::Minus) && arrow < 2 {
            self.bump();
            arrow += 1;
        }
        self.eat(TokenKind::Gt);
        if arrow < 2 {
            self.error_here("expected `-->` or `--`");
        }
        rows.push(self.unary());
        while !self.at_terminator() {
            let before = self.pos;
            match self.kind() {
                TokenKind::Keyword(Kw::With) => {
                    self.bump();
                    loop {
                        if self.at_named() {
                            rows.extend(self.parameters());
                            break;
                        }
                        node_tables.push(self.unary());
                        if self.eat_kw(Kw::On).is_some() {
                            rows.push(self.unary());
                        }
                        if self.eat(TokenKind::Comma).is_none() {
                            break;
                        }
                    }
                }
                TokenKind::Keyword(Kw::PartitionedBy) => {
                    self.bump();
                    if self.at_name() {
                        rows.push(Expr::Name(self.name()));
                    }
                    if self.at(TokenKind::LParen) {
                        subqueries.push(self.parenthesized_sub_pipe());
                    }
                }
                _ if self.at_named() => rows.extend(self.parameters()),
                _ => {
                    self.error_here("unexpected token in `make-graph`");
                    self.bump();
                }
            }
            if self.pos == before {
                self.bump();
            }
        }
        OperatorKind::MakeGraph { node_tables, rows, subqueries }
    }

    /// `macro-expand [params] group [as X] ( statements )`.
    fn macro_expand(&mut self) -> OperatorKind {
        let parameters = self.parameters();
        let group = self.unary();
        let alias = if self.eat_kw(Kw::As).is_some() { Some(self.expect_name("a name after `as`")) } else { None };
        let start = self.peek().span;
        let body = if self.eat(TokenKind::LParen).is_some() {
            let mut body = self.block(Some(TokenKind::RParen));
            self.expect(TokenKind::RParen, "expected `)` to close the macro-expand body");
            body.span = self.span_from(start);
            body
        } else {
            self.error_here("expected `(` and the macro-expand body");
            Block::default()
        };
        OperatorKind::MacroExpand { parameters, group, alias, body }
    }

    /// `scan [params] [order by ..] [partition by ..] [declare (params)] with (steps)`.
    fn scan(&mut self) -> OperatorKind {
        let mut rows = self.parameters();
        while !self.at_terminator() && !self.at_kw(Kw::With) {
            let before = self.pos;
            match self.kind() {
                TokenKind::Keyword(Kw::Declare) => {
                    self.bump();
                    for parameter in self.parameter_list() {
                        rows.extend(parameter.default);
                    }
                }
                TokenKind::Keyword(Kw::Order | Kw::Partition | Kw::By | Kw::Asc | Kw::Desc) | TokenKind::Comma => {
                    self.bump();
                }
                _ => rows.push(self.item(false)),
            }
            if self.pos == before {
                self.bump();
            }
        }
        if self.eat_kw(Kw::With).is_some() && self.eat(TokenKind::LParen).is_some() {
            // step name [optional] [output = x] : condition [=> assignments] ;
            while self.eat_kw(Kw::Step).is_some() {
                self.expect_name("a step name");
                self.eat_kw(Kw::Optional);
                if self.at_named() {
                    rows.extend(self.parameters());
                }
                self.expect(TokenKind::Colon, "expected `:` after the step name");
                rows.push(self.expr());
                if self.eat(TokenKind::FatArrow).is_some() {
                    loop {
                        rows.push(self.item(false));
                        if self.eat(TokenKind::Comma).is_none() {
                            break;
                        }
                    }
                }
                self.eat(TokenKind::Semicolon);
            }
            self.expect(TokenKind::RParen, "expected `)` to close the scan steps");
        } else {
            self.error_here("expected `with (` and the scan steps");
        }
        OperatorKind::Rows(rows)
    }

    // -----------------------------------------------------------------------------------
    // Expressions (§3.2-3.3)

    /// A scalar expression: operands joined by binary operators.
    fn expr(&mut self) -> Expr {
        if !self.enter() {
            let skipped = self.skip_too_deep();
            self.leave();
            return skipped;
        }
        let start = self.peek().span;
        let first = self.unary();
        if !self.binary_operator() {
            self.leave();
            return first;
        }
        let mut operands = vec![first, self.unary()];
        while self.binary_operator() {
            operands.push(self.unary());
        }
        self.leave();
        Expr::Operation(Box::new(Operation { operands, span: self.span_from(start) }))
    }

    /// Consumes a binary operator if one is here.
    fn binary_operator(&mut self) -> bool {
        use TokenKind::*;
        let is_operator = match self.kind() {
            EqEq | BangEq | LtGt | Lt | LtEq | Gt | GtEq | Plus | Minus | Slash | Percent | EqTilde | BangTilde
            | DotDot => true,
            // In `parse` patterns `*` is a wildcard, never a product.
            Star => !self.parse_pattern,
            // `Column:"text"` (search syntax for `has`); `x:type` declarations are not operators.
            Colon => self.peek_at(1).kind.is_literal(),
            Keyword(kw) => is_operator_keyword(kw),
            _ => false,
        };
        if is_operator {
            self.bump();
        }
        is_operator
    }

    /// `-x`, `+x`, or a postfix expression.
    fn unary(&mut self) -> Expr {
        if matches!(self.kind(), TokenKind::Minus | TokenKind::Plus) {
            if !self.enter() {
                let skipped = self.skip_too_deep();
                self.leave();
                return skipped;
            }
            let start = self.bump().span;
            let operand = self.unary();
            self.leave();
            return Expr::Unary(Box::new(operand), self.span_from(start));
        }
        self.postfix()
    }

    /// A primary followed by `.member`, `.F(args)`, `.T*` and `[index]`.
    fn postfix(&mut self) -> Expr {
        let start = self.peek().span;
        let base = self.primary();
        let mut segments = Vec::new();
        loop {
            match self.kind() {
                TokenKind::Dot => {
                    self.bump();
                    if self.wildcards {
                        if let Some(span) = self.wildcard() {
                            segments.push(Segment::Wildcard(span));
                            continue;
                        }
                    }
                    if self.at(TokenKind::LBracket) && self.bracketed_name_len().is_none() {
                        // `x.[0]`: an index written after a dot.
                        self.bump();
                        let index = self.expr();
                        self.expect(TokenKind::RBracket, "expected `]`");
                        segments.push(Segment::Index(index));
                        continue;
                    }
                    if !self.at_name() {
                        self.error_here("expected a name after `.`");
                        break;
                    }
                    let name = self.name();
                    if self.at(TokenKind::LParen) {
                        let call_start = name.span;
                        let arguments = self.arguments();
                        segments.push(Segment::Call(Call { name, arguments, span: self.span_from(call_start) }));
                    } else {
                        segments.push(Segment::Member(name));
                    }
                }
                TokenKind::LBracket => {
                    if !self.enter() {
                        self.leave();
                        self.skip_group();
                        break;
                    }
                    self.bump();
                    let index = self.expr();
                    self.leave();
                    self.expect(TokenKind::RBracket, "expected `]`");
                    segments.push(Segment::Index(index));
                }
                TokenKind::Keyword(Kw::Datascope) if self.peek_at(1).kind == TokenKind::Eq => {
                    // `T datascope=hotcache`: a legacy suffix of a table reference.
                    self.pos += 2;
                    self.parameter_value();
                }
                _ => break,
            }
        }
        if segments.is_empty() {
            base
        } else {
            Expr::Path(Box::new(Path { base, segments, span: self.span_from(start) }))
        }
    }

    /// `( args )` of a call.
    fn arguments(&mut self) -> Vec<Expr> {
        match self.parenthesized() {
            Expr::Parenthesized(items, _) => items,
            _ => Vec::new(),
        }
    }

    /// `( item, ... )`, each item a pipe expression or a declaration.
    fn parenthesized(&mut self) -> Expr {
        let start = self.bump().span;
        if !self.enter() {
            self.skip_until(|_| false);
            self.leave();
            self.eat(TokenKind::RParen);
            return Expr::Error(self.span_from(start));
        }
        let saved = std::mem::replace(&mut self.wildcards, false);
        let mut items = Vec::new();
        while !self.at(TokenKind::RParen) && !self.at(TokenKind::Eof) {
            let before = self.pos;
            items.push(self.item(true));
            if self.eat(TokenKind::Comma).is_some() {
                continue;
            }
            if !self.at(TokenKind::RParen) {
                self.error_here("expected `,` or `)`");
                self.skip_until(|t| t.kind == TokenKind::Comma);
                self.eat(TokenKind::Comma);
            }
            if self.pos == before {
                self.bump();
            }
        }
        self.wildcards = saved;
        self.leave();
        self.expect(TokenKind::RParen, "expected `)`");
        Expr::Parenthesized(items, self.span_from(start))
    }

    /// One string literal made of adjacent string tokens.
    fn string_literal(&mut self) -> Literal {
        let first = self.pos;
        let start = self.peek().span;
        while self.kind().is_string() {
            self.bump();
        }
        Literal {
            kind: LiteralKind::String { first_token: first as u32, token_count: (self.pos - first) as u32 },
            span: self.span_from(start),
        }
    }

    fn primary(&mut self) -> Expr {
        let token = self.peek();
        let literal = |kind| Expr::Literal(Literal { kind, span: token.span });
        match token.kind {
            TokenKind::String { .. } => Expr::Literal(self.string_literal()),
            TokenKind::Long | TokenKind::Real | TokenKind::Timespan => {
                self.bump();
                literal(LiteralKind::Number)
            }
            TokenKind::Bool => {
                self.bump();
                literal(LiteralKind::Bool)
            }
            TokenKind::Guid => {
                self.bump();
                literal(LiteralKind::Guid)
            }
            TokenKind::TypedLiteral { terminated, .. } => {
                self.bump();
                if !terminated {
                    self.error(token.span, "expected `)` to close the literal");
                }
                literal(LiteralKind::Typed)
            }
            TokenKind::LParen => self.parenthesized(),
            TokenKind::LBracket => {
                if self.bracketed_name_len().is_some() {
                    self.name_or_call()
                } else {
                    let span = self.skip_group();
                    Expr::Inline(span)
                }
            }
            TokenKind::LBrace if self.client_parameter_len().is_some() => self.name_or_call(),
            TokenKind::Star => Expr::Star(self.bump().span),
            TokenKind::Ident => self.name_or_call(),
            TokenKind::Keyword(kw) => self.keyword_primary(kw),
            TokenKind::At => {
                self.bump();
                Expr::Name(Name { span: token.span, decoded: None })
            }
            _ => {
                self.error(token.span, "expected an expression");
                if !self.at_terminator() && !self.at(TokenKind::Comma) {
                    self.bump();
                }
                Expr::Error(token.span)
            }
        }
    }

    fn keyword_primary(&mut self, kw: Kw) -> Expr {
        let start = self.peek().span;
        let next = self.peek_at(1).kind;
        match kw {
            Kw::Toscalar | Kw::Totable | Kw::Materialize
                if next == TokenKind::LParen || next == TokenKind::Keyword(Kw::Kind) =>
            {
                self.bump();
                self.parameters();
                if !self.at(TokenKind::LParen) {
                    self.error_here("expected `(`");
                    return Expr::Error(self.span_from(start));
                }
                let inner = match self.parenthesized() {
                    Expr::Parenthesized(mut items, _) if items.len() == 1 => items.remove(0),
                    other => other,
                };
                Expr::Subquery(Box::new(inner), self.span_from(start))
            }
            Kw::Datatable | Kw::Dynamic | Kw::Typeof | Kw::UnderContextualDatatable if next == TokenKind::LParen => {
                self.bump();
                self.skip_group();
                if kw == Kw::Datatable && self.at(TokenKind::LBracket) {
                    self.skip_group();
                }
                Expr::Inline(self.span_from(start))
            }
            Kw::Externaldata | Kw::ExternalData
                if next == TokenKind::LParen || next == TokenKind::Keyword(Kw::Kind) =>
            {
                self.bump();
                self.parameters();
                if self.at(TokenKind::LParen) {
                    self.skip_group();
                }
                let mut urls = Vec::new();
                if self.eat(TokenKind::LBracket).is_some() {
                    while !self.at(TokenKind::RBracket) && !self.at(TokenKind::Eof) {
                        let before = self.pos;
                        if self.kind().is_string() {
                            urls.push(self.string_literal());
                        } else if self.eat(TokenKind::Comma).is_none() {
                            self.error_here("expected a URL string");
                            self.skip_until(|t| t.kind == TokenKind::Comma);
                        }
                        if self.pos == before {
                            break;
                        }
                    }
                    self.expect(TokenKind::RBracket, "expected `]` after the URLs");
                } else {
                    self.error_here("expected `[` and the URLs");
                }
                if self.at_kw(Kw::With) && self.peek_at(1).kind == TokenKind::LParen {
                    self.bump();
                    self.skip_group();
                }
                Expr::ExternalData { urls, span: self.span_from(start) }
            }
            Kw::InlineExternalTable => {
                // `inline_external_table [(schema)] kind=.. [partition by (..)] [pathformat=(..)]
                // [dataformat=..] (urls) [with (..)]`: external data, nothing to resolve.
                self.bump();
                self.skip_until(|t| matches!(t.kind, TokenKind::Pipe | TokenKind::Semicolon | TokenKind::Comma));
                Expr::ExternalData { urls: Vec::new(), span: self.span_from(start) }
            }
            Kw::EntityGroup if next == TokenKind::LBracket => {
                self.bump();
                self.bump();
                let mut members = Vec::new();
                while !self.at(TokenKind::RBracket) && !self.at(TokenKind::Eof) {
                    let before = self.pos;
                    members.push(self.expr());
                    if self.eat(TokenKind::Comma).is_none() && !self.at(TokenKind::RBracket) {
                        self.error_here("expected `,` or `]`");
                        self.skip_until(|t| t.kind == TokenKind::Comma);
                        self.eat(TokenKind::Comma);
                    }
                    if self.pos == before {
                        self.bump();
                    }
                }
                self.expect(TokenKind::RBracket, "expected `]` to close the entity group");
                Expr::EntityGroup(members, self.span_from(start))
            }
            _ if self.at_source_operator() => {
                let start = self.peek().span;
                let operator = self.operator();
                Expr::Pipe(Box::new(Pipe { head: None, operators: vec![operator], span: self.span_from(start) }))
            }
            _ => self.name_or_call(),
        }
    }

    /// A name, or a call `name(args)`.
    fn name_or_call(&mut self) -> Expr {
        let name = self.name();
        if self.at(TokenKind::LParen) {
            let start = name.span;
            let arguments = self.arguments();
            return Expr::Call(Box::new(Call { name, arguments, span: self.span_from(start) }));
        }
        Expr::Name(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        parse_query(text).errors.into_iter().map(|e| format!("{}: {}", e.span.of(text), e.message)).collect()
    }

    fn parses_cleanly(text: &str) {
        let errs = errors(text);
        assert!(errs.is_empty(), "{text:?}: {errs:?}");
    }

    #[test]
    fn parses_statements() {
        parses_cleanly("let x = 1; let T2 = T | take 1; T2");
        parses_cleanly("let f = (a:string, n:long = 10) { T | take n }; f('x')");
        parses_cleanly("let f = (t:(*)) { t | count }; f(T)");
        parses_cleanly("let f = (t:(a:string, b:long)) { t }; f(T)");
        parses_cleanly("let v = view () { T }; v");
        parses_cleanly("declare query_parameters(p:string = 'x', n:long); T | where a == p");
        parses_cleanly("set notruncation; T");
        parses_cleanly("set x = 10; T");
        parses_cleanly("alias database db = cluster('c').database('d'); database('db').T");
        parses_cleanly("restrict access to (T, database('d').*, my*); T");
        parses_cleanly("T | take 1;");
        parses_cleanly("#connect cluster('c').database('d')\nT | count");
    }

    #[test]
    fn parses_operators() {
        for text in [
            "T | where a > 1 and b has 'x' | project a, b = c * 2 | extend d = tostring(a)",
            "T | summarize count(), dcount(a) by bin(ts, 1h), b | sort by a desc nulls last",
            "T | top 10 by a asc | take 5 | limit 3 | distinct a, b | count",
            "T | join kind=inner hint.strategy=shuffle (U | where x) on a, $left.b == $right.c",
            "T | join U on a | lookup kind=leftouter V on k",
            "T | union withsource=S kind=outer U, (V | take 1), database('d').W, X*",
            "union T*, database('d').*, cluster('c').database('e').T",
            "T | as X | join (X) on a",
            "T | fork (where a > 1 | count) (take 10) c = (summarize by a)",
            "T | facet by a, b with (top 5 by c)",
            "T | partition hint.strategy=native by a (top 1 by b)",
            "T | partition by a { U | where k == toscalar(k) }",
            "T | mv-apply x = arr to typeof(long) on (summarize sum(x))",
            "T | mv-expand a, b to typeof(string) limit 10",
            "T | evaluate bag_unpack(d) : (a:string)",
            "evaluate sql_request('cs', 'select 1')",
            "T | invoke F(1) | invoke database('d').G()",
            "find in (T, U*) where x == 1 project a, b",
            "find withsource=S where x == 1",
            "search in (T) 'x'",
            "search kind=case_sensitive * has 'x'",
            "T | parse a with * 'x=' x:long ',' rest",
            "T | parse-kv a as (k:string, v:long) with (pair_delimiter=',', kv_delimiter='=')",
            "T | make-series avg(x) default=0 on ts from ago(1d) to now() step 1h by y",
            "T | make-series avg(x) on ts in range(ago(1d), now(), 1h)",
            "T | render timechart with (title='x', ycolumns=a, b)",
            "T | project-away a*, b | project-reorder c asc, d* | project-rename e = f",
            "range x from 1 to 10 step 1",
            "print a = 1, b = toscalar(T | count)",
            "T | where x in ((U | project y)) | where z !in~ ('a', 'b')",
            "T | where x between (1 .. 10)",
            "T | scan with_match_id=m declare (n:long = 0) with (step s1: a > 1 => n = 1; step s2 output=none: b < 2;)",
            "T | make-graph a --> b with N on id partitioned-by p (graph-match (x)-[e]->(y) project x.id)",
            "G | graph-match (a)-[e*1..3]->(b) where a.x > 1 project b.y",
            "macro-expand entity_group [cluster('C1').database('D'), database('E')] as X (X.T | count)",
            "datatable(a:string, b:long)['x', 1, 'y', 2] | where b > 1",
            "externaldata (a:string) [@'https://x/y.csv', h'https://z'] with (format='csv')",
            "T | extend d = dynamic({'a': [1, 2], 'b|c': '//x'}) | where d.a[0] == 1",
            "T | summarize (m, a) = arg_max(ts, *) by k",
            "T | where * has 'x'",
            "T | sample 10 | sample-distinct 5 of a | top-nested 3 of a by count() with others = 0",
            "T | getschema | consume",
            "T | serialize n = row_number() | where prev(n) > 1",
            "T | reduce by a with threshold=0.1",
            "T | extend x = iff(a > 1, 'a', 'b') | extend ['my col'] = 1",
            "T | project title = 1, ['to'] = 2",
            "count | take 1",
            "range | take 1",
            "T | where kind == 'x'",
            "T | where datetime_diff('day', now(), ts) > datetime(2020-01-01) - 1d",
            "T | summarize hint.strategy = shuffle hint.num_partitions = 10 count() by a",
            "T | mv-expand bagexpansion=array with_itemindex=i x",
            "T | top-nested 3 of a by sum(b), top-nested 2 of c by count()",
            "T | render barchart kind=stacked title='x'",
            "where type =~ 'microsoft.web/sites' | project id",
            "T | extend a = b.[0], c = d['e'] | where x.[1] > 0",
            "T datascope=hotcache | count",
            "inline_external_table(a:string) kind=storage dataformat=csv (h@'https://x') | count",
            "search FirstName:'Aaron' or LastName:\"Hughes\"",
            "T | parse x with * 'a' y:string 'b' *",
        ] {
            parses_cleanly(text);
        }
    }

    #[test]
    fn reports_errors_and_recovers() {
        let parsed = parse_query("T | where | take 1; U | WHERE x; V");
        assert!(!parsed.errors.is_empty());
        assert_eq!(parsed.block.statements.len(), 3);
        assert!(!errors("let a = 1;; T").is_empty());
        assert!(!errors("T | where (a > 1").is_empty());
        assert!(!errors("let x = 1\nlet y = 2; T").is_empty());
        assert!(!errors("T | summarize count() by x )").is_empty());
        // Two queries without `;` between them: the second one's table is not an item.
        assert!(!errors("T | where a > 1\n\nU | take 1").is_empty());
        assert!(!errors("T | project a, b\n\nU").is_empty());
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
        let parsed = parse_query(&deep);
        assert!(parsed.errors.iter().any(|e| e.message.contains("nesting")));
        let minus = format!("print {}1", "-".repeat(100_000));
        assert!(!parse_query(&minus).errors.is_empty());
        let calls = format!("print {}1{}", "f(".repeat(50_000), ")".repeat(50_000));
        assert!(!parse_query(&calls).errors.is_empty());
    }
}
