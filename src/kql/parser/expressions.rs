//! Scalar expressions, names, calls, paths and literals (§3.2-3.3).

use super::*;

impl Parser<'_> {
    /// A scalar expression: operands joined by binary operators.
    pub(super) fn expr(&mut self) -> Expr {
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
    pub(super) fn binary_operator(&mut self) -> bool {
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
    pub(super) fn unary(&mut self) -> Expr {
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
    pub(super) fn postfix(&mut self) -> Expr {
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
    pub(super) fn arguments(&mut self) -> Vec<Expr> {
        match self.parenthesized() {
            Expr::Parenthesized(items, _) => items,
            _ => Vec::new(),
        }
    }

    /// `( item, ... )`, each item a pipe expression or a declaration.
    pub(super) fn parenthesized(&mut self) -> Expr {
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
    pub(super) fn string_literal(&mut self) -> Literal {
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

    pub(super) fn primary(&mut self) -> Expr {
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

    pub(super) fn keyword_primary(&mut self, kw: Kw) -> Expr {
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
    pub(super) fn name_or_call(&mut self) -> Expr {
        let name = self.name();
        if self.at(TokenKind::LParen) {
            let start = name.span;
            let arguments = self.arguments();
            return Expr::Call(Box::new(Call { name, arguments, span: self.span_from(start) }));
        }
        Expr::Name(name)
    }
}
