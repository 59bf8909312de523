//! Statements (§2): `let`, `set`, `alias`, `restrict`, `declare`, and blocks of them.

use super::*;

impl Parser<'_> {
    /// Statements separated by `;`, up to `close` (not consumed) or the end.
    pub(super) fn block(&mut self, close: Option<TokenKind>) -> Block {
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
            if self.at_statement_keyword() || matches!(self.kind(), TokenKind::Ident | TokenKind::Keyword(_)) {
                self.missing("expected ';' between statements");
            } else {
                let message = self.unexpected();
                self.error_here(message);
            }
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

    pub(super) fn at_statement_keyword(&self) -> bool {
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

    pub(super) fn statement(&mut self) -> Statement {
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

    pub(super) fn let_statement(&mut self) -> Statement {
        let start = self.bump().span;
        if let Some(kw) = self.peek().keyword().filter(|kw| kw.class() != KeywordClass::Name) {
            self.keyword_as_name(kw);
        }
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
    pub(super) fn at_function_declaration(&self) -> bool {
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

    pub(super) fn function_declaration(&mut self) -> Function {
        let start = self.peek().span;
        let is_view = self.eat_kw(Kw::View).is_some();
        // A stored function may omit its parameter list: `.create-or-alter function F { ... }`
        // is `F()`.
        let parameters = if self.at(TokenKind::LBrace) { Vec::new() } else { self.parameter_list() };
        let body = self.braced_block();
        Function { parameters, body, is_view, span: self.span_from(start) }
    }

    /// `{ statements }`.
    pub(super) fn braced_block(&mut self) -> Block {
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
    pub(super) fn parameter_list(&mut self) -> Vec<Parameter> {
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
    pub(super) fn pattern(&mut self, start: Span) -> Pattern {
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
                        Expr::Parenthesized(group) => group.items,
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
}
