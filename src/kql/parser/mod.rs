//! The KQL parser: tokens to a [`Block`] of statements, never failing as a whole.
//!
//! A hand-written recursive descent over the token stream (§2-3 of `spec/kql-grammar.md`). It
//! is lenient where leniency cannot hide a reference (a reserved keyword used as a name, a clause
//! it does not model), and strict where structure matters: statements, pipes, brackets and every
//! position of §3.4 that holds a table. A syntax error is recorded with its span and parsing
//! resumes at the next statement, pipe operator or closing bracket. Nesting deeper than
//! [`MAX_DEPTH`] is reported once and skipped, so no input can exhaust the stack.
//!
//! The grammar is split by level: `statements.rs` (statement lists, `let`, `declare`...),
//! `operators.rs` (pipes and every query operator) and `expressions.rs` (scalar expressions,
//! names, calls, paths, literals); this file holds the entry points, token access and names.

mod expressions;
mod operators;
mod statements;

use super::ast::*;
use super::keywords::{KeywordClass, Kw};
use super::lexer;
use super::strings;
use super::token::{Token, TokenKind, Tokens};
use crate::span::Span;

/// How deeply expressions and statement blocks may nest.
pub const MAX_DEPTH: u32 = 96;

/// A syntax error: where the user must edit, what is wrong, and secondary places (the opening
/// quote or bracket of something left unclosed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
    /// Secondary places with their messages (`unclosed '(' opened here`).
    pub labels: Vec<(Span, String)>,
}

impl SyntaxError {
    pub fn new(span: Span, message: impl Into<String>) -> SyntaxError {
        SyntaxError { span, message: message.into(), labels: Vec::new() }
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> SyntaxError {
        self.labels.push((span, message.into()));
        self
    }
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
    let (block, errors) = parse_query_tokens(text, Tokens::of(&tokens));
    ParsedQuery { block, tokens, errors }
}

/// [`parse_query`] of a text already lexed: its statements and syntax errors.
pub fn parse_query_tokens(text: &str, tokens: Tokens<'_>) -> (Block, Vec<SyntaxError>) {
    let mut parser = Parser::new(text, tokens);
    let block = parser.block(None);
    (block, parser.errors)
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
    let (function, errors) = parse_function_tokens(text, Tokens::of(&tokens));
    ParsedFunction { function, tokens, errors }
}

/// [`parse_function`] of a text already lexed: the function and the syntax errors.
pub fn parse_function_tokens(text: &str, tokens: Tokens<'_>) -> (Function, Vec<SyntaxError>) {
    let mut parser = Parser::new(text, tokens);
    let function = parser.function_declaration();
    if !parser.at(TokenKind::Eof) {
        let span = parser.peek().span;
        parser.error(span, "unexpected text after the function body");
    }
    (function, parser.errors)
}

/// Parses a body given with its braces, `{ ... }`, as found in a materialized view: the body's
/// statements.
pub fn parse_function_body(text: &str) -> ParsedQuery {
    let tokens = lexer::lex(text);
    let (block, errors) = parse_function_body_tokens(text, Tokens::of(&tokens));
    ParsedQuery { block, tokens, errors }
}

/// [`parse_function_body`] of a text already lexed: the body's statements and syntax errors.
pub fn parse_function_body_tokens(text: &str, tokens: Tokens<'_>) -> (Block, Vec<SyntaxError>) {
    let mut parser = Parser::new(text, tokens);
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
    (block, parser.errors)
}

struct Parser<'a> {
    text: &'a str,
    tokens: Tokens<'a>,
    pos: usize,
    depth: u32,
    too_deep_reported: bool,
    /// Set while parsing positions where wildcarded names are allowed (`union T*`).
    wildcards: bool,
    /// Set while parsing the pattern of `parse`, where `*` matches any text.
    parse_pattern: bool,
    /// The operator being parsed (its clause keywords differ).
    operator: Option<Kw>,
    /// Set while the next operator has an input (it follows a `|`).
    piped: bool,
    /// Set right before a primary that may be a list `(a, b)` (after `in`, before `=`).
    tuple_ok: bool,
    /// Set while parsing a `where` predicate, where `=` compares (`where x = 1`).
    eq_compares: bool,
    /// Parsing the lower bound of `between (low .. high)`: `..` ends it, it is no operator.
    in_lower_bound: bool,
    /// Set after a syntax error until the parser steps over a `|`, `;` or closing bracket: the
    /// errors in between only follow from the first (one error per mistake).
    recovering: bool,
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

/// Keywords that name operator parameters (`kind=inner`, `hint.strategy=shuffle`,
/// `withsource=T`, `bagexpansion=array`...).
fn is_parameter_name(kw: Kw) -> bool {
    let text = kw.text();
    text.starts_with("hint.")
        || text.starts_with("__")
        || matches!(
            kw,
            Kw::Kind
                | Kw::Withsource
                | Kw::WithSource
                | Kw::Isfuzzy
                | Kw::Bagexpansion
                | Kw::WithItemindex
                | Kw::Flags
                | Kw::Decodeblocks
                | Kw::WithMatchId
                | Kw::WithStepName
                | Kw::Datascope
                | Kw::Expandoutput
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
    fn new(text: &'a str, tokens: Tokens<'a>) -> Parser<'a> {
        Parser {
            text,
            tokens,
            pos: 0,
            depth: 0,
            too_deep_reported: false,
            wildcards: false,
            parse_pattern: false,
            eq_compares: false,
            in_lower_bound: false,
            tuple_ok: false,
            operator: None,
            piped: false,
            recovering: false,
            errors: Vec::new(),
        }
    }

    // -----------------------------------------------------------------------------------
    // Token access

    #[inline]
    fn peek(&self) -> Token {
        self.tokens.get(self.pos)
    }

    #[inline]
    fn peek_at(&self, ahead: usize) -> Token {
        self.tokens.get(self.pos + ahead)
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
        match token.kind {
            TokenKind::Pipe | TokenKind::Semicolon | TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => {
                self.recovering = false;
            }
            TokenKind::String { terminated: false, .. } => self.unterminated_string(token),
            _ => {}
        }
        token
    }

    /// Reports a string literal without its closing quote (or cut at an invalid escape).
    #[cold]
    fn unterminated_string(&mut self, token: Token) {
        let end = token.span.end as usize;
        let error = if self.text[end..].starts_with('\\') {
            let len = self.text[end + 1..].chars().next().map_or(0, char::len_utf8);
            let escape = &self.text[end..end + 1 + len];
            SyntaxError::new(
                Span::new(end, end + 1 + len),
                format!(
                    "invalid escape sequence '{escape}' in a string literal (write '\\\\' for a backslash, or use a verbatim string @\"...\")"
                ),
            )
        } else {
            let opening = self.text[token.span.start as usize..]
                .chars()
                .take_while(|c| !matches!(c, '\'' | '"' | '`' | '~'))
                .count();
            let quote_at = token.span.start as usize + opening;
            let quote_len = self.text[quote_at..].chars().next().map_or(1, char::len_utf8);
            SyntaxError::new(Span::empty(end), "unterminated string literal")
                .with_label(Span::new(token.span.start as usize, quote_at + quote_len), "the string starts here")
        };
        // A string left open is an error of its own, not one that follows from an error before
        // it (Kusto reports both): reported while recovering too.
        let recovering = std::mem::replace(&mut self.recovering, false);
        self.report(error);
        self.recovering |= recovering;
    }

    fn eat(&mut self, kind: TokenKind) -> Option<Token> {
        if self.at(kind) { Some(self.bump()) } else { None }
    }

    fn eat_kw(&mut self, kw: Kw) -> Option<Token> {
        if self.at_kw(kw) { Some(self.bump()) } else { None }
    }

    /// The end of the previous token (where a construct that just ended stops).
    fn prev_end(&self) -> u32 {
        if self.pos == 0 { 0 } else { self.tokens.get(self.pos - 1).span.end }
    }

    fn span_from(&self, start: Span) -> Span {
        Span { start: start.start, end: self.prev_end().max(start.start) }
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.report(SyntaxError::new(span, message));
    }

    /// Records an error unless it only follows from the previous one (until the next `|`, `;` or
    /// closing bracket) or sits where an error already is.
    fn report(&mut self, error: SyntaxError) {
        if self.recovering || self.errors.last().is_some_and(|e| e.span.start == error.span.start) {
            return;
        }
        self.recovering = true;
        self.errors.push(error);
    }

    fn error_here(&mut self, message: impl Into<String>) {
        let span = self.peek().span;
        self.error(span, message);
    }

    /// Where something missing must be written: the next token when it is on the same line,
    /// otherwise right after the previous token.
    fn missing_span(&self) -> Span {
        let next = self.peek();
        let end = self.prev_end();
        if next.kind == TokenKind::Eof || self.text[end as usize..next.span.start as usize].contains(['\n', '\r']) {
            Span::empty(end as usize)
        } else {
            next.span
        }
    }

    /// Reports something missing before the next token.
    fn missing(&mut self, message: impl Into<String>) {
        let span = self.missing_span();
        self.error(span, message);
    }

    fn expect(&mut self, kind: TokenKind, message: &str) -> Span {
        match self.eat(kind) {
            Some(token) => token.span,
            None => {
                self.missing(message);
                Span::empty(self.prev_end() as usize)
            }
        }
    }

    /// Expects the bracket that closes `open`; when it is missing, the error points where it
    /// belongs and a secondary label at the opening bracket.
    fn expect_close(&mut self, kind: TokenKind, open: Span) -> Span {
        if let Some(token) = self.eat(kind) {
            return token.span;
        }
        let (close, name) = match kind {
            TokenKind::RParen => (")", "("),
            TokenKind::RBracket => ("]", "["),
            _ => ("}", "{"),
        };
        let message = match self.kind() {
            TokenKind::Eof => format!("expected '{close}' to close this '{name}'"),
            _ => format!("expected '{close}' to close this '{name}', found {}", self.describe()),
        };
        let span = self.missing_span();
        self.report(SyntaxError::new(span, message).with_label(open, format!("unclosed '{name}'")));
        Span::empty(self.prev_end() as usize)
    }

    /// `unexpected 'x'`, `unexpected string`, `unexpected end of the query`: the current token
    /// after "unexpected" (which takes no article).
    fn unexpected(&self) -> String {
        match self.peek().kind {
            TokenKind::Eof => "unexpected end of the query".to_string(),
            TokenKind::String { .. } => "unexpected string".to_string(),
            _ => format!("unexpected {}", self.describe()),
        }
    }

    /// The current token for a message: `'where'`, `the end of the query`.
    fn describe(&self) -> String {
        let token = self.peek();
        match token.kind {
            TokenKind::Eof => "the end of the query".to_string(),
            TokenKind::String { .. } => "a string".to_string(),
            _ => {
                let text = token.span.of(self.text);
                // Control characters are shown escaped: a message must not carry a NUL or a
                // terminal escape sequence from the file to the output.
                let short: String = text
                    .chars()
                    .take(40)
                    .flat_map(|c| {
                        let escaped = c.is_control().then(|| c.escape_default());
                        escaped.into_iter().flatten().chain((!c.is_control()).then_some(c))
                    })
                    .collect();
                format!("'{short}'")
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
        // Skipping is part of recovering: the tokens skipped do not end it.
        let recovering = self.recovering;
        self.skip_until_inner(stop);
        self.recovering = recovering;
    }

    fn skip_until_inner(&mut self, stop: impl Fn(&Token) -> bool) {
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

    /// A `[` and the strings after it that no `]` closes (`['Total = ...`, `["a] = ...` with
    /// the quote left open): as in Kusto, a `[` before a string starts a bracketed name, which
    /// must close right after its strings, so the `]` is reported missing there (with the
    /// unclosed `[`), not at the `[` as an unbalanced group; the rest is parsed as it comes.
    /// Returns the span of the `[` and its strings.
    fn unclosed_bracketed_name(&mut self) -> Span {
        let open = self.bump().span;
        while self.kind().is_string() {
            self.bump();
        }
        self.expect_close(TokenKind::RBracket, open);
        self.span_from(open)
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
                let strings_tokens = self.tokens.raw(start + 1..start + len - 1);
                let decoded = strings::decode_value(self.text, strings_tokens, self.tokens.base());
                self.pos += len;
                Name {
                    span: self.tokens.get(start).span.to(self.tokens.get(start + len - 1).span),
                    decoded: Some(Box::new(decoded)),
                }
            }
            TokenKind::LBrace => {
                let len = self.client_parameter_len().unwrap_or(1);
                let start = self.pos;
                self.pos += len;
                Name { span: self.tokens.get(start).span.to(self.tokens.get(start + len - 1).span), decoded: None }
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
            Name { span: Span::empty(self.peek().span.start as usize), decoded: Some(Box::default()) }
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
}

#[cfg(test)]
mod tests;
