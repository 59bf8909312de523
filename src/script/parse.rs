//! The command parser: the tokens of one command (from its `.` to the next command) to a
//! typed [`Command`] (§4 of `spec/kql-grammar.md`).
//!
//! Command words are matched as adjacent tokens (`create-or-alter` is five tokens) and are
//! case-sensitive, as in Kusto. A command this parser does not model is [`CommandKind::Other`]
//! and is skipped without complaint; a modelled command that is malformed gets a syntax error at
//! the exact place.

use super::command::*;
use super::payload::{Payload, StringLiteral};
use crate::kql::keywords::Kw;
use crate::kql::parser::SyntaxError;
use crate::kql::strings;
use crate::kql::token::{Token, TokenKind};
use crate::span::Span;

/// The outcome of parsing one command.
pub struct Parsed {
    pub command: Command,
    /// The command words as written (`alter table policy update`), for display.
    pub words: String,
    /// The index of the first token after the command.
    pub end: usize,
    pub errors: Vec<SyntaxError>,
}

/// Parses the command whose `.` is `tokens[start]`; it may not extend to `limit` or beyond.
/// `blank_line_before(i)` tells whether a blank line separates token `i` from the one before
/// it: a command that is not modelled ends there.
pub fn parse_command(
    text: &str,
    tokens: &[Token],
    start: usize,
    limit: usize,
    blank_line_before: &dyn Fn(usize) -> bool,
) -> Parsed {
    let mut p =
        CommandParser { text, tokens, pos: start + 1, limit, errors: Vec::new(), words: Vec::new(), blank_line_before };
    let kind = p.command();
    let kind = match kind {
        Some(kind) => kind,
        None => {
            // Not modelled (or abandoned after an error): the command runs to a blank line.
            p.skip_to_blank_line();
            CommandKind::Other
        }
    };
    if p.at(TokenKind::Semicolon) {
        p.pos += 1;
    }
    let end_token = p.pos.max(start + 1) - 1;
    let span = tokens[start].span.to(tokens[end_token].span);
    Parsed { command: Command { span, kind }, words: p.words.join(" "), end: p.pos, errors: p.errors }
}

struct CommandParser<'a> {
    text: &'a str,
    tokens: &'a [Token],
    pos: usize,
    limit: usize,
    errors: Vec<SyntaxError>,
    /// The command words met, for display (`alter table policy update`).
    words: Vec<String>,
    blank_line_before: &'a dyn Fn(usize) -> bool,
}

/// Roles that can be given on a database, table, function, view or external table.
const ROLES: &[&str] = &["admins", "users", "viewers", "unrestrictedviewers", "ingestors", "monitors"];

impl<'a> CommandParser<'a> {
    // -----------------------------------------------------------------------------------
    // Tokens

    fn peek(&self) -> Token {
        self.peek_at(0)
    }

    fn peek_at(&self, ahead: usize) -> Token {
        let i = self.pos + ahead;
        if i < self.limit {
            self.tokens[i]
        } else {
            let at = self.tokens[self.limit.saturating_sub(1)].span.end as usize;
            Token { kind: TokenKind::Eof, span: Span::empty(at) }
        }
    }

    /// Skips to the first token after a blank line (at bracket depth 0), or to the limit.
    fn skip_to_blank_line(&mut self) {
        let mut depth = 0usize;
        while !self.at_end() {
            if depth == 0 && (self.blank_line_before)(self.pos) {
                return;
            }
            match self.peek().kind {
                TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => depth += 1,
                TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.bump();
        }
    }

    fn at(&self, kind: TokenKind) -> bool {
        self.peek().kind == kind
    }

    fn at_end(&self) -> bool {
        self.pos >= self.limit
    }

    fn bump(&mut self) -> Token {
        let token = self.peek();
        if self.pos < self.limit {
            self.pos += 1;
        }
        token
    }

    fn eat(&mut self, kind: TokenKind) -> Option<Token> {
        if self.at(kind) { Some(self.bump()) } else { None }
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.errors.push(SyntaxError::new(span, message));
    }

    fn error_here(&mut self, message: impl Into<String>) {
        let span = self.peek().span;
        self.error(span, message);
    }

    fn prev_end(&self) -> usize {
        if self.pos == 0 { 0 } else { self.tokens[self.pos - 1].span.end as usize }
    }

    /// The command word starting here: adjacent identifier, keyword and `-` tokens
    /// (`create-or-alter`, `materialized-view`, `skip-results`), its span and token count.
    fn peek_word(&self) -> Option<(String, Span, usize)> {
        let is_word = |t: &Token| matches!(t.kind, TokenKind::Ident | TokenKind::Keyword(_));
        let first = self.peek();
        if !is_word(&first) {
            return None;
        }
        let mut word = first.span.of(self.text).to_string();
        let mut span = first.span;
        let mut n = 1;
        loop {
            let (before, dash, next) = (self.peek_at(n - 1), self.peek_at(n), self.peek_at(n + 1));
            if dash.kind != TokenKind::Minus
                || !is_word(&next)
                || !before.is_adjacent_to(&dash)
                || !dash.is_adjacent_to(&next)
            {
                break;
            }
            word.push('-');
            word.push_str(next.span.of(self.text));
            span = span.to(next.span);
            n += 2;
        }
        Some((word, span, n))
    }

    /// True when the next word is `word`.
    fn at_word(&self, word: &str) -> bool {
        self.peek_word().is_some_and(|(w, _, _)| w == word)
    }

    /// Consumes the next word if it is `word`.
    fn eat_word(&mut self, word: &str) -> bool {
        match self.peek_word() {
            Some((w, _, n)) if w == word => {
                self.pos += n;
                self.words.push(w);
                true
            }
            _ => false,
        }
    }

    /// Consumes any next word.
    fn any_word(&mut self) -> Option<(String, Span)> {
        let (w, span, n) = self.peek_word()?;
        self.pos += n;
        self.words.push(w.clone());
        Some((w, span))
    }

    // -----------------------------------------------------------------------------------
    // Names, lists, literals

    /// A name: identifier, keyword, `['x']`, `[x y]` (raw, up to `]` on the line), or `'x'`.
    fn name(&mut self) -> Option<NameRef> {
        let token = self.peek();
        match token.kind {
            TokenKind::Ident | TokenKind::Keyword(_) => {
                self.bump();
                Some(NameRef { text: token.span.of(self.text).into(), span: token.span })
            }
            TokenKind::String { .. } => {
                let literal = self.string_literal()?;
                Some(NameRef { text: literal.decoded.value.into(), span: literal.span })
            }
            TokenKind::LBracket => {
                let start = self.pos;
                self.bump();
                let mut n = 0;
                while self.peek_at(n).kind.is_string() {
                    n += 1;
                }
                if n > 0 && self.peek_at(n).kind == TokenKind::RBracket {
                    let strings = &self.tokens[self.pos..self.pos + n];
                    let value = strings::decode_tokens(self.text, strings).value;
                    self.pos += n;
                    let close = self.bump();
                    return Some(NameRef { text: value.into(), span: token.span.to(close.span) });
                }
                // `[My Table]`: every token up to `]` on the same line.
                let line_end = self.text[token.span.end as usize..]
                    .find(['\n', '\r'])
                    .map_or(self.text.len(), |i| i + token.span.end as usize);
                while !self.at_end() && !self.at(TokenKind::RBracket) && (self.peek().span.start as usize) < line_end {
                    self.bump();
                }
                match self.eat(TokenKind::RBracket) {
                    Some(close) => {
                        let inner = &self.text[token.span.end as usize..close.span.start as usize];
                        Some(NameRef { text: inner.trim().into(), span: token.span.to(close.span) })
                    }
                    None => {
                        self.pos = start;
                        self.error(token.span, "unclosed `[` in a name");
                        None
                    }
                }
            }
            _ => None,
        }
    }

    fn expect_name(&mut self, what: &str) -> Option<NameRef> {
        let name = self.name();
        if name.is_none() {
            self.error_here(format!("expected {what}"));
        }
        name
    }

    /// `[Database.]Name`.
    fn qualified_name(&mut self, what: &str) -> Option<QualifiedName> {
        let first = self.expect_name(what)?;
        if self.at(TokenKind::Dot)
            && matches!(
                self.peek_at(1).kind,
                TokenKind::Ident | TokenKind::Keyword(_) | TokenKind::LBracket | TokenKind::String { .. }
            )
        {
            self.bump();
            let name = self.expect_name(what)?;
            let span = first.span.to(name.span);
            return Some(QualifiedName { database: Some(first), name, span });
        }
        let span = first.span;
        Some(QualifiedName { database: None, name: first, span })
    }

    /// Adjacent string tokens.
    fn string_literal(&mut self) -> Option<StringLiteral> {
        let start = self.pos;
        while self.peek().kind.is_string() {
            self.bump();
        }
        if self.pos == start {
            return None;
        }
        for token in &self.tokens[start..self.pos] {
            if let TokenKind::String { terminated: false, .. } = token.kind {
                self.error(token.span, "unterminated string literal");
            }
        }
        Some(StringLiteral::from_tokens(self.text, &self.tokens[start..self.pos]))
    }

    /// `[Db.]T.C`: the table and the column (a database, if written, is dropped: column
    /// commands act on the table of the context's database or the one named).
    fn table_column(&mut self, what: &str) -> Option<(NameRef, NameRef)> {
        let mut names = vec![self.expect_name(what)?];
        while names.len() < 3 && self.at(TokenKind::Dot) {
            self.bump();
            names.push(self.expect_name(what)?);
        }
        let column = names.pop()?;
        let table = names.pop()?;
        Some((table, column))
    }

    /// `( item, ... )` of names.
    fn name_list(&mut self, what: &str) -> Vec<NameRef> {
        let mut names = Vec::new();
        if self.eat(TokenKind::LParen).is_none() {
            self.error_here("expected `(`");
            return names;
        }
        while !self.at_end() && !self.at(TokenKind::RParen) {
            match self.name() {
                Some(name) => names.push(name),
                None => {
                    self.error_here(format!("expected {what}"));
                    return names;
                }
            }
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        if self.eat(TokenKind::RParen).is_none() {
            self.error_here("expected `)`");
        }
        names
    }

    /// `with ( key = value, ... )`, if present.
    fn with_properties(&mut self) -> Vec<Property> {
        let mut properties = Vec::new();
        if !(self.peek().is(Kw::With) && self.peek_at(1).kind == TokenKind::LParen) {
            return properties;
        }
        self.pos += 2;
        while !self.at_end() && !self.at(TokenKind::RParen) {
            let Some(key) = self.name() else {
                self.error_here("expected a property name");
                break;
            };
            if self.eat(TokenKind::Eq).is_none() {
                self.error_here("expected `=` after the property name");
                break;
            }
            let value_start = self.peek().span;
            let (value, is_string) = if self.peek().kind.is_string() {
                let literal = self.string_literal().map(|l| l.decoded.value).unwrap_or_default();
                (literal, true)
            } else {
                // A literal or a word; `dynamic([...])`, `time(...)` and the like whole.
                let mut depth = 0usize;
                while !self.at_end() {
                    match self.peek().kind {
                        TokenKind::LParen | TokenKind::LBracket => depth += 1,
                        TokenKind::RParen | TokenKind::RBracket if depth == 0 => break,
                        TokenKind::RParen | TokenKind::RBracket => depth -= 1,
                        TokenKind::Comma if depth == 0 => break,
                        _ => {}
                    }
                    self.bump();
                }
                (
                    self.text[value_start.start as usize..self.prev_end().max(value_start.start as usize)]
                        .trim()
                        .to_string(),
                    false,
                )
            };
            let value_span = Span::new(value_start.start as usize, self.prev_end().max(value_start.start as usize));
            properties.push(Property { key, value, value_span, value_is_string: is_string });
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        if self.eat(TokenKind::RParen).is_none() {
            self.error_here("expected `)` to close the properties");
        }
        properties
    }

    /// Skips a balanced group at an opening bracket; returns the index after it.
    fn skip_group(&mut self) -> bool {
        let mut depth = 0usize;
        while !self.at_end() {
            match self.bump().kind {
                TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => depth += 1,
                TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return true;
                    }
                }
                _ => {}
            }
        }
        false
    }

    /// `( col:type, ... )` of a table.
    fn schema(&mut self, name: NameRef) -> Option<TableSchema> {
        self.eat(TokenKind::LParen)?;
        let mut columns = Vec::new();
        while !self.at_end() && !self.at(TokenKind::RParen) {
            let column = self.expect_name("a column name")?;
            if self.eat(TokenKind::Colon).is_none() {
                self.error_here("expected `:` and a type after the column name");
                return None;
            }
            let type_name = self.expect_name("a column type")?;
            columns.push(Column { name: column.text, type_name: type_name.text });
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        if self.eat(TokenKind::RParen).is_none() {
            self.error_here("expected `,` or `)` in the table schema");
            return None;
        }
        Some(TableSchema { name, columns: columns.into() })
    }

    /// The payload of a policy: string literal(s) or a bare JSON array. Its JSON syntax error,
    /// if any, is reported at its place in the file.
    fn payload(&mut self) -> Option<Payload> {
        let payload = if self.peek().kind.is_string() {
            self.string_literal().map(Payload::from_literal)?
        } else if self.at(TokenKind::LBracket) || self.at(TokenKind::LBrace) {
            let start = self.peek().span;
            if !self.skip_group() {
                self.error(start, "unclosed bracket in the policy");
                return None;
            }
            Payload::bare(self.text, Span::new(start.start as usize, self.prev_end()))
        } else {
            return None;
        };
        if let Err(error) = &payload.json {
            self.error(error.span, format!("the policy is not valid JSON: {}", error.message));
        }
        Some(payload)
    }

    fn expect_payload(&mut self, what: &str) -> Option<Payload> {
        let payload = self.payload();
        if payload.is_none() {
            self.error_here(format!("expected {what} (a string literal holding JSON)"));
        }
        payload
    }

    /// A duration: `1d`, `0s`, `time(1.00:00:00)`, `'10.00:00:00'`.
    fn duration(&mut self) -> Option<Duration> {
        let token = self.peek();
        let text = token.span.of(self.text);
        let seconds = match token.kind {
            TokenKind::Timespan => parse_timespan_literal(text),
            TokenKind::Long | TokenKind::Real => text.parse::<f64>().ok().map(|days| days * 86_400.0),
            TokenKind::TypedLiteral { .. } => text
                .split_once('(')
                .and_then(|(_, rest)| rest.strip_suffix(')'))
                .and_then(|inner| parse_timespan_literal(inner.trim()).or_else(|| parse_dotnet_timespan(inner.trim()))),
            TokenKind::String { .. } => {
                let value = strings::decode_token(self.text, &token).value;
                parse_dotnet_timespan(&value).or_else(|| parse_timespan_literal(&value))
            }
            _ => None,
        };
        let seconds = seconds?;
        self.bump();
        Some(Duration { seconds, span: token.span })
    }

    // -----------------------------------------------------------------------------------
    // Commands

    /// Parses after the `.`; `None` for a command that is not modelled.
    fn command(&mut self) -> Option<CommandKind> {
        let (verb, _) = self.any_word()?;
        match verb.as_str() {
            "create" | "create-merge" | "create-or-alter" | "alter" | "alter-merge" => self.create_or_alter(&verb),
            "drop" => self.drop(),
            "delete" => self.delete(),
            "rename" => self.rename(),
            "set" | "append" | "set-or-append" | "set-or-replace" if !self.at_role_scope() => self.ingest_into(&verb),
            "add" | "set" => self.principals(if verb == "add" { RoleAction::Add } else { RoleAction::Set }),
            "ingest" => {
                self.eat_word("async");
                self.eat_word("inline");
                if !(self.eat_word("into") && self.eat_word("table")) {
                    return None;
                }
                let table = self.qualified_name("a table name")?;
                self.skip_to_blank_line();
                Some(CommandKind::Ingest { table: Box::new(table), creates: false })
            }
            "execute" => {
                let _ = self.eat_word("database") || self.eat_word("cluster");
                if !self.eat_word("script") {
                    return None;
                }
                self.with_properties();
                if self.eat(TokenKind::InputPipe).is_none() {
                    self.error_here("expected `<|` before the script");
                }
                Some(CommandKind::ExecuteScript)
            }
            _ => None,
        }
    }

    fn policy_verb(verb: &str) -> PolicyVerb {
        match verb {
            "alter-merge" => PolicyVerb::AlterMerge,
            _ => PolicyVerb::Alter,
        }
    }

    fn create_or_alter(&mut self, verb: &str) -> Option<CommandKind> {
        let if_not_exists_before = verb == "create" && self.eat_word("ifnotexists");
        if self.eat_word("async") {
            self.eat_word("ifnotexists");
        }
        let (object, _) = self.any_word()?;
        match object.as_str() {
            "column" if verb == "alter" => {
                let (table, column) = self.table_column("a column `Table.Column`")?;
                if self.at_word("policy") {
                    // `.alter column T.c policy encoding ...`: a column's policy, not modelled.
                    return None;
                }
                if !(self.eat_word("type") && self.eat(TokenKind::Eq).is_some()) {
                    self.error_here("expected `type = ` and the new type");
                    return None;
                }
                let type_name = self.expect_name("a type")?;
                Some(CommandKind::AlterColumnType { table, column: Box::new(column), type_name: Box::new(type_name) })
            }
            "table" => self.table_command(verb),
            "tables" => {
                if self.eat_word("policy") || self.at(TokenKind::LParen) {
                    return self.tables_policy(verb);
                }
                let verb = table_verb(verb)?;
                let mut tables = Vec::new();
                loop {
                    let name = self.expect_name("a table name")?;
                    tables.push(self.schema(name)?);
                    if self.eat(TokenKind::Comma).is_none() {
                        break;
                    }
                }
                let properties = self.with_properties();
                CommandKind::tables_of(verb, tables, properties)
            }
            "function" => {
                let if_not_exists = if_not_exists_before || self.eat_word("ifnotexists");
                let properties = self.with_properties();
                let name = self.expect_name("a function name")?;
                if !self.at(TokenKind::LParen) && !self.at(TokenKind::LBrace) {
                    // `.alter function F docstring "..."` and the like.
                    return None;
                }
                let verb = match verb {
                    "create" => FunctionVerb::Create { if_not_exists },
                    "create-or-alter" => FunctionVerb::CreateOrAlter,
                    "alter" => FunctionVerb::Alter,
                    _ => return None,
                };
                let declaration = self.function_declaration()?;
                Some(CommandKind::Function { verb, name, properties: properties.into(), declaration })
            }
            "materialized-view" => {
                let properties = self.with_properties();
                let name = self.qualified_name("a materialized view name")?;
                if self.eat_word("policy") {
                    return self.policy(verb, PolicyScope::MaterializedView(name));
                }
                if !self.eat_word("on") {
                    return None;
                }
                let source_is_view = self.eat_word("materialized-view");
                if !source_is_view && !self.eat_word("table") {
                    self.error_here("expected `table` or `materialized-view` after `on`");
                    return None;
                }
                let source = self.expect_name("the source name")?;
                let body = self.braced_span("the materialized view query")?;
                Some(CommandKind::MaterializedView {
                    name: Box::new(name.name),
                    source: Box::new(source),
                    source_is_view,
                    properties: properties.into(),
                    body,
                })
            }
            "external" => {
                if !self.eat_word("table") {
                    return None;
                }
                let name = self.expect_name("an external table name")?;
                if self.eat_word("policy") {
                    let (policy, _) = self.any_word()?;
                    if policy != "query_acceleration" {
                        return None;
                    }
                    let payload = self.expect_payload("the query acceleration policy");
                    return Some(CommandKind::QueryAcceleration {
                        verb: Self::policy_verb(verb),
                        table: name,
                        payload: payload.map(Box::new),
                    });
                }
                // The definition: `(schema) kind = storage ...`: the columns and the kind.
                let columns = if self.at(TokenKind::LParen) {
                    self.schema(name.clone()).map(|schema| schema.columns)
                } else {
                    None
                };
                let mut kind = None;
                while !self.at_end() {
                    if self.peek().is(Kw::Kind) && self.peek_at(1).kind == TokenKind::Eq {
                        self.pos += 2;
                        kind = self.name();
                        break;
                    }
                    self.bump();
                }
                let rest = self.pos;
                self.skip_to_blank_line();
                // Connection strings that end in `;impersonate` run with the caller's identity.
                let impersonation = self.tokens[rest..self.pos].iter().filter(|t| t.kind.is_string()).any(|token| {
                    strings::decode_token(self.text, token).value.to_ascii_lowercase().contains(";impersonate")
                });
                Some(CommandKind::ExternalTable {
                    name: Box::new(name),
                    kind: kind.map(Box::new),
                    columns,
                    impersonation,
                })
            }
            "database" | "cluster" => {
                let scope = if object == "cluster" {
                    PolicyScope::Cluster
                } else if self.at_word("policy") {
                    PolicyScope::Database(None)
                } else {
                    PolicyScope::Database(Some(self.expect_name("a database name")?))
                };
                if !self.eat_word("policy") {
                    return None;
                }
                self.policy(verb, scope)
            }
            _ => None,
        }
    }

    /// After `table` in `.create|.alter...`.
    fn table_command(&mut self, verb: &str) -> Option<CommandKind> {
        let name = self.qualified_name("a table name")?;
        if self.eat_word("policy") {
            return self.policy(verb, PolicyScope::Table(name));
        }
        if self.at(TokenKind::LParen) {
            let verb = table_verb(verb)?;
            if let Some(database) = &name.database {
                self.error(database.span, "a table schema command takes an unqualified table name");
            }
            let schema = self.schema(name.name)?;
            let properties = self.with_properties();
            return CommandKind::tables_of(verb, vec![schema], properties);
        }
        if matches!(verb, "create" | "create-or-alter") && self.eat_word("ingestion") {
            self.ingestion_mapping();
            self.skip_to_blank_line();
            return Some(CommandKind::Ingest { table: Box::new(name), creates: false });
        }
        if verb == "create" && self.eat_word("based-on") {
            let based_on = self.expect_name("a table name after `based-on`")?;
            self.eat_word("ifnotexists");
            self.with_properties();
            return Some(CommandKind::TableBasedOn { name: name.name, based_on: Box::new(based_on) });
        }
        // What may follow `.alter[-merge] table T` (Kusto.Language's grammar): another word is no
        // command (`.alter-merge table T schema (...)` is none), not one uplint does not model.
        let follows: &[&str] = match verb {
            "alter-merge" => &["column-docstrings", "extent", "ingestion", "policy"],
            "alter" => &[
                "column",
                "column-docstrings",
                "columns",
                "docstring",
                "extent",
                "folder",
                "ingestion",
                "policy",
                "rowstore_references",
            ],
            _ => &[],
        };
        if let Some((word, span, _)) =
            self.peek_word().filter(|(word, _, _)| !follows.is_empty() && !follows.contains(&word.as_str()))
        {
            let expected = follows.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(", ");
            self.error(
                span,
                format!("expected `(` or one of {expected} after `.{verb} table {}`, found `{word}`", name.name.text),
            );
        }
        None
    }

    /// `<kind> mapping "<name>" '<mapping>'` after `.create table T ingestion`: the name and the
    /// mapping are string literals (Kusto rejects `mapping m ...` and a mapping written as bare
    /// JSON). What follows the mapping is not read (Kusto skips it too).
    fn ingestion_mapping(&mut self) {
        let Some((_, _, kind)) = self.peek_word() else { return };
        if self.peek_at(kind).span.of(self.text) != "mapping" {
            return;
        }
        self.pos += kind + 1;
        if !self.peek().kind.is_string() {
            self.error_here("expected the mapping's name as a string literal");
            return;
        }
        self.pos += 1;
        if !self.peek().kind.is_string() {
            self.error_here("expected the mapping as a string literal (`'[...]'`)");
        }
    }

    /// `.alter tables (T1, T2) policy restricted_view_access true`.
    fn tables_policy(&mut self, verb: &str) -> Option<CommandKind> {
        let names = self.name_list("a table name");
        if !self.eat_word("policy") || !self.eat_word("restricted_view_access") || verb != "alter" {
            return None;
        }
        let enabled = self.boolean("`true` or `false`")?;
        let tables = names.into_iter().map(|n| QualifiedName { span: n.span, database: None, name: n }).collect();
        Some(CommandKind::RestrictedViewAccess { verb: PolicyVerb::Alter, tables, enabled })
    }

    fn boolean(&mut self, what: &str) -> Option<bool> {
        let token = self.peek();
        let value = match token.kind {
            TokenKind::Bool => Some(token.span.of(self.text).eq_ignore_ascii_case("true")),
            TokenKind::String { .. } => {
                match strings::decode_token(self.text, &token).value.to_ascii_lowercase().as_str() {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                }
            }
            _ => None,
        };
        match value {
            Some(v) => {
                self.bump();
                Some(v)
            }
            None => {
                self.error_here(format!("expected {what}"));
                None
            }
        }
    }

    /// After `policy` in `.alter|.alter-merge ... policy`.
    fn policy(&mut self, verb: &str, scope: PolicyScope) -> Option<CommandKind> {
        let (policy, _) = self.any_word()?;
        let policy_verb = Self::policy_verb(verb);
        if !matches!(verb, "alter" | "alter-merge") {
            return None;
        }
        match (policy.as_str(), &scope) {
            ("update", PolicyScope::Table(table)) => {
                let table = table.clone();
                let mut properties = self.with_properties();
                let payload = self.expect_payload("the update policy");
                properties.extend(self.with_properties());
                Some(CommandKind::UpdatePolicy {
                    verb: policy_verb,
                    table: Box::new(table),
                    payload: payload.map(Box::new),
                    properties: properties.into(),
                })
            }
            ("managed_identity", PolicyScope::Cluster | PolicyScope::Database(_)) => {
                let payload = self.expect_payload("the managed identity policy");
                Some(CommandKind::ManagedIdentityPolicy {
                    verb: policy_verb,
                    scope: Box::new(scope),
                    payload: payload.map(Box::new),
                })
            }
            ("row_level_security", PolicyScope::Table(_) | PolicyScope::MaterializedView(_)) if verb == "alter" => {
                let enabled = if self.eat_word("enable") {
                    true
                } else if self.eat_word("disable") {
                    false
                } else {
                    self.error_here("expected `enable` or `disable`");
                    return Some(CommandKind::Other);
                };
                self.with_properties();
                let query = self.string_literal().map(Box::new);
                if query.is_none() {
                    self.error_here("expected the row level security query as a string literal");
                }
                Some(CommandKind::RowLevelSecurity { verb: PolicyVerb::Alter, scope: Box::new(scope), enabled, query })
            }
            ("restricted_view_access", PolicyScope::Table(table)) if verb == "alter" => {
                let table = table.clone();
                let enabled = self.boolean("`true` or `false`")?;
                Some(CommandKind::RestrictedViewAccess { verb: PolicyVerb::Alter, tables: vec![table], enabled })
            }
            ("retention", PolicyScope::Table(_) | PolicyScope::Database(_) | PolicyScope::MaterializedView(_)) => {
                if self.peek().kind.is_string() || self.at(TokenKind::LBrace) {
                    let payload = self.payload();
                    let soft_delete = payload.as_ref().and_then(retention_from_json);
                    return Some(CommandKind::Retention {
                        verb: policy_verb,
                        scope: Box::new(scope),
                        soft_delete,
                        payload: payload.map(Box::new),
                    });
                }
                let mut soft_delete = None;
                while !self.at_end() {
                    let Some((key, _, _)) = self.peek_word() else { break };
                    if self.peek_at(1).kind != TokenKind::Eq {
                        break;
                    }
                    self.pos += 2;
                    if key.eq_ignore_ascii_case("softdelete") {
                        soft_delete = self.duration();
                        if soft_delete.is_none() {
                            self.error_here("expected a duration such as `10d`");
                            return None;
                        }
                    } else {
                        self.bump();
                    }
                }
                Some(CommandKind::Retention { verb: policy_verb, scope: Box::new(scope), soft_delete, payload: None })
            }
            _ => None,
        }
    }

    fn delete(&mut self) -> Option<CommandKind> {
        let (object, _) = self.any_word()?;
        let scope = match object.as_str() {
            "table" => PolicyScope::Table(self.qualified_name("a table name")?),
            "materialized-view" => PolicyScope::MaterializedView(self.qualified_name("a materialized view name")?),
            "database" => {
                if self.at_word("policy") {
                    PolicyScope::Database(None)
                } else {
                    PolicyScope::Database(Some(self.expect_name("a database name")?))
                }
            }
            "cluster" => PolicyScope::Cluster,
            "external" => {
                if !self.eat_word("table") {
                    return None;
                }
                let table = self.expect_name("an external table name")?;
                if self.eat_word("policy") && self.eat_word("query_acceleration") {
                    return Some(CommandKind::QueryAcceleration { verb: PolicyVerb::Delete, table, payload: None });
                }
                return None;
            }
            _ => return None,
        };
        if !self.eat_word("policy") {
            return None;
        }
        let (policy, _) = self.any_word()?;
        let verb = PolicyVerb::Delete;
        match (policy.as_str(), scope) {
            ("update", PolicyScope::Table(table)) => Some(CommandKind::UpdatePolicy {
                verb,
                table: Box::new(table),
                payload: None,
                properties: Default::default(),
            }),
            ("managed_identity", scope @ (PolicyScope::Cluster | PolicyScope::Database(_))) => {
                Some(CommandKind::ManagedIdentityPolicy { verb, scope: Box::new(scope), payload: None })
            }
            ("row_level_security", scope @ (PolicyScope::Table(_) | PolicyScope::MaterializedView(_))) => {
                Some(CommandKind::RowLevelSecurity { verb, scope: Box::new(scope), enabled: false, query: None })
            }
            ("restricted_view_access", PolicyScope::Table(table)) => {
                Some(CommandKind::RestrictedViewAccess { verb, tables: vec![table], enabled: false })
            }
            ("retention", scope) => {
                Some(CommandKind::Retention { verb, scope: Box::new(scope), soft_delete: None, payload: None })
            }
            _ => None,
        }
    }

    fn drop(&mut self) -> Option<CommandKind> {
        let (object, _) = self.any_word()?;
        match object.as_str() {
            "column" => {
                let (table, column) = self.table_column("a column `Table.Column`")?;
                self.eat_word("ifexists");
                Some(CommandKind::DropColumns { table: Box::new(table), columns: vec![column] })
            }
            "table" | "function" | "materialized-view" => {
                let name = self.qualified_name("a name")?;
                if self.peek_word().is_some_and(|(w, _, _)| ROLES.contains(&w.as_str())) {
                    let scope = match object.as_str() {
                        "table" => RoleScope::Table(name),
                        "function" => RoleScope::Function(name),
                        _ => RoleScope::MaterializedView(name),
                    };
                    return self.role_assignment(RoleAction::Drop, scope);
                }
                if self.at(TokenKind::Ident) && self.at_word("columns") {
                    self.bump();
                    if object != "table" {
                        return None;
                    }
                    let columns = self.name_list("a column name");
                    return Some(CommandKind::DropColumns { table: Box::new(name.name), columns });
                }
                // `.drop table T ingestion csv mapping "m"`, `.drop table T extent tags (...)`:
                // commands of their own, not modelled (and not the table dropped).
                if object == "table"
                    && self.peek_word().is_some_and(|(word, _, _)| matches!(&*word, "ingestion" | "extent"))
                {
                    return None;
                }
                self.eat_word("ifexists");
                let name = name.name;
                Some(match object.as_str() {
                    "table" => CommandKind::DropTables { names: vec![name] },
                    "function" => CommandKind::DropFunctions { names: vec![name] },
                    _ => CommandKind::DropMaterializedView { name },
                })
            }
            "tables" | "functions" => {
                let names = self.name_list("a name");
                self.eat_word("ifexists");
                Some(if object == "tables" {
                    CommandKind::DropTables { names }
                } else {
                    CommandKind::DropFunctions { names }
                })
            }
            "external" => {
                if !self.eat_word("table") {
                    return None;
                }
                let name = self.expect_name("an external table name")?;
                if self.peek_word().is_some_and(|(w, _, _)| ROLES.contains(&w.as_str())) {
                    let scope = RoleScope::ExternalTable(QualifiedName { span: name.span, database: None, name });
                    return self.role_assignment(RoleAction::Drop, scope);
                }
                // `.drop external table E mapping "m"`: not modelled (and not the table dropped).
                if self.peek_word().is_some_and(|(word, _, _)| word == "mapping") {
                    return None;
                }
                self.eat_word("ifexists");
                Some(CommandKind::DropExternalTable { name })
            }
            "database" => {
                let database = self.expect_name("a database name")?;
                self.role_assignment(RoleAction::Drop, RoleScope::Database(Some(database)))
            }
            _ => None,
        }
    }

    fn rename(&mut self) -> Option<CommandKind> {
        if self.eat_word("column") {
            let (table, old) = self.table_column("a column `Table.Column`")?;
            if !self.eat_word("to") {
                self.error_here("expected `to` and the new name");
                return None;
            }
            let new = self.expect_name("the new column name")?;
            return Some(CommandKind::RenameColumns { renames: vec![(table, old, new)] });
        }
        if self.eat_word("columns") {
            let mut renames = Vec::new();
            loop {
                let new = self.expect_name("the new column name")?;
                if self.eat(TokenKind::Eq).is_none() {
                    self.error_here("expected `=` and the current `Table.Column`");
                    return None;
                }
                let (table, old) = self.table_column("a column `Table.Column`")?;
                renames.push((table, old, new));
                if self.eat(TokenKind::Comma).is_none() {
                    break;
                }
            }
            return Some(CommandKind::RenameColumns { renames });
        }
        if self.eat_word("table") {
            let old = self.expect_name("a table name")?;
            if !self.eat_word("to") {
                self.error_here("expected `to` and the new name");
                return None;
            }
            let new = self.expect_name("the new table name")?;
            return Some(CommandKind::RenameTables { renames: vec![(old, new)] });
        }
        if self.eat_word("tables") {
            let mut renames = Vec::new();
            loop {
                let new = self.expect_name("the new table name")?;
                if self.eat(TokenKind::Eq).is_none() {
                    self.error_here("expected `=` and the current name");
                    return None;
                }
                let old = self.expect_name("a table name")?;
                self.eat_word("ifexists");
                renames.push((old, new));
                if self.eat(TokenKind::Comma).is_none() {
                    break;
                }
            }
            return Some(CommandKind::RenameTables { renames });
        }
        None
    }

    /// True at `database`, `table`... after `.set`: a role assignment, not an ingestion.
    fn at_role_scope(&self) -> bool {
        ["database", "table", "tables", "function", "materialized-view", "external", "cluster"]
            .iter()
            .any(|w| self.at_word(w))
    }

    /// After `.set`, `.append`, `.set-or-append`, `.set-or-replace`: `[async] T [with (...)] <|
    /// query`; the query is skipped.
    fn ingest_into(&mut self, verb: &str) -> Option<CommandKind> {
        self.eat_word("async");
        let table = self.qualified_name("a table name")?;
        self.with_properties();
        self.eat(TokenKind::InputPipe)?;
        self.skip_to_blank_line();
        Some(CommandKind::Ingest { table: Box::new(table), creates: verb != "append" })
    }

    /// After `.add` or `.set`: `database [Db] Role (...)`, `table T Role (...)`...
    fn principals(&mut self, action: RoleAction) -> Option<CommandKind> {
        let (object, _) = self.any_word()?;
        let scope = match object.as_str() {
            "database" => {
                // `.add database viewers (...)`: the name is optional for `.add`.
                let role_next = self.peek_word().is_some_and(|(w, _, n)| {
                    ROLES.contains(&w.as_str()) && matches!(self.peek_at(n).kind, TokenKind::LParen | TokenKind::Ident)
                });
                if role_next {
                    RoleScope::Database(None)
                } else {
                    RoleScope::Database(Some(self.expect_name("a database name")?))
                }
            }
            "table" => RoleScope::Table(self.qualified_name("a table name")?),
            "function" => RoleScope::Function(self.qualified_name("a function name")?),
            "materialized-view" => RoleScope::MaterializedView(self.qualified_name("a materialized view name")?),
            "external" if self.eat_word("table") => {
                let name = self.expect_name("an external table name")?;
                RoleScope::ExternalTable(QualifiedName { span: name.span, database: None, name })
            }
            _ => return None,
        };
        self.role_assignment(action, scope)
    }

    /// `Role (principals) [skip-results] ['notes']` or `Role none [skip-results]`.
    fn role_assignment(&mut self, action: RoleAction, scope: RoleScope) -> Option<CommandKind> {
        let (role, span, n) = self.peek_word()?;
        if !ROLES.contains(&role.as_str()) {
            return None;
        }
        self.pos += n;
        self.words.push(role.clone());
        let role = NameRef { text: role.into(), span };
        let mut principals = Vec::new();
        if action == RoleAction::Set && self.eat_word("none") {
            self.eat_word("skip-results");
            return Some(CommandKind::Principals { action, scope: Box::new(scope), role: Box::new(role), principals });
        }
        if self.eat(TokenKind::LParen).is_none() {
            self.error_here("expected `(` and the principals");
            return None;
        }
        while !self.at_end() && !self.at(TokenKind::RParen) {
            match self.string_literal() {
                Some(literal) => principals.push(Principal::parse(&literal.decoded.value, literal.span)),
                None => {
                    self.error_here("expected a principal string such as 'aadapp=<id>;<tenant>'");
                    return None;
                }
            }
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        if self.eat(TokenKind::RParen).is_none() {
            self.error_here("expected `,` or `)` after the principal");
            return None;
        }
        self.eat_word("skip-results");
        self.string_literal();
        Some(CommandKind::Principals { action, scope: Box::new(scope), role: Box::new(role), principals })
    }

    /// `( params ) { body }` after a function name, or `{ body }` alone (no parameters): its span
    /// in the file.
    fn function_declaration(&mut self) -> Option<Span> {
        let start = self.peek().span;
        if self.at(TokenKind::LBrace) {
            return self.braced_span("the function body");
        }
        if !self.skip_group() {
            self.error(start, "unclosed `(` in the function parameters");
            return None;
        }
        let body = self.braced_span("the function body")?;
        Some(start.to(body))
    }

    /// `{ ... }`: its span.
    fn braced_span(&mut self, what: &str) -> Option<Span> {
        let open = self.peek().span;
        if !self.at(TokenKind::LBrace) {
            self.error_here(format!("expected `{{` and {what}"));
            return None;
        }
        if !self.skip_group() {
            self.error(open, format!("unclosed `{{` in {what}"));
            return None;
        }
        Some(Span::new(open.start as usize, self.prev_end()))
    }
}

fn table_verb(verb: &str) -> Option<TableVerb> {
    match verb {
        "create" => Some(TableVerb::Create),
        "create-merge" => Some(TableVerb::CreateMerge),
        "alter" => Some(TableVerb::Alter),
        "alter-merge" => Some(TableVerb::AlterMerge),
        _ => None,
    }
}

/// `SoftDeletePeriod` of a JSON retention policy.
fn retention_from_json(payload: &Payload) -> Option<Duration> {
    let value = payload.json.as_ref().ok()?;
    let period = &value.member("SoftDeletePeriod")?.value;
    let seconds = parse_dotnet_timespan(period.as_str()?)?;
    Some(Duration { seconds, span: period.span })
}

/// A KQL timespan literal (`1d`, `1.5h`, `30min`, `10ms`) in seconds.
pub fn parse_timespan_literal(text: &str) -> Option<f64> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match unit {
        "d" | "day" | "days" => 86_400.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600.0,
        "m" | "min" | "minute" | "minutes" => 60.0,
        "s" | "sec" | "second" | "seconds" => 1.0,
        "ms" | "milli" | "millis" | "millisec" | "millisecond" | "milliseconds" => 1e-3,
        "micro" | "micros" | "microsec" | "microsecond" | "microseconds" => 1e-6,
        "nano" | "nanos" | "nanosec" | "nanosecond" | "nanoseconds" => 1e-9,
        "tick" | "ticks" => 1e-7,
        _ => return None,
    };
    Some(number * factor)
}

/// A .NET timespan string (`[d.]hh:mm:ss[.fff]`) in seconds.
pub fn parse_dotnet_timespan(text: &str) -> Option<f64> {
    let text = text.trim();
    let (days, clock) = match text.split_once(':') {
        None => return text.parse::<f64>().ok().map(|d| d * 86_400.0),
        Some(_) => match text.split_once('.') {
            Some((days, rest)) if !days.contains(':') => (days.parse::<f64>().ok()?, rest),
            _ => (0.0, text),
        },
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if parts.len() != 3 {
        return None;
    }
    let hours: f64 = parts[0].parse().ok()?;
    let minutes: f64 = parts[1].parse().ok()?;
    let seconds: f64 = parts[2].parse().ok()?;
    Some(days * 86_400.0 + hours * 3_600.0 + minutes * 60.0 + seconds)
}
