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
        let Some(operator) = self.binary_operator() else {
            self.leave();
            return first;
        };
        let mut operands = vec![first, self.right_operand(operator)];
        while let Some(operator) = self.binary_operator() {
            operands.push(self.right_operand(operator));
        }
        // A long chain (`a + b + ...`, thousands of operands) keeps no spare room.
        if operands.capacity() - operands.len() > 64 {
            operands.shrink_to_fit();
        }
        self.leave();
        Expr::Operation(Box::new(Operation { operands, span: self.span_from(start) }))
    }

    /// The operand after a binary operator, checked against what the operator takes: a list in
    /// `()` for `in`, `has_any`..., `(a .. b)` for `between`, a single value for the others.
    fn right_operand(&mut self, operator: Token) -> Expr {
        let kw = operator.keyword();
        let takes_list = matches!(kw, Some(Kw::In | Kw::NotIn | Kw::InCi | Kw::NotInCi | Kw::HasAny | Kw::HasAll));
        if matches!(kw, Some(Kw::Between | Kw::NotBetween)) {
            return self.between_range(operator);
        }
        if self.at_terminator() || self.at(TokenKind::Comma) {
            self.missing(format!("expected an expression after '{}'", operator.span.of(self.text)));
            return Expr::Error(Span::empty(self.prev_end() as usize));
        }
        // `make-series ... on Timestamp in range(start, stop, step)`: the axis, not a list.
        let series_axis = kw == Some(Kw::In) && self.operator == Some(Kw::MakeSeries);
        if takes_list && !series_axis && !self.at(TokenKind::LParen) {
            // Kusto takes the values of `in`, `has_any`... in `()` only (`x in ("a", "b")`,
            // `x in (T | project y)`, `x in (dyn)`): a bare value is an error. The operand is
            // parsed still, for what it reads.
            let text = operator.span.of(self.text);
            self.missing(format!(
                "expected '(' after '{text}': its values are written in '()', as in 'x {text} (\"a\", \"b\")'"
            ));
        }
        let at = self.pos;
        self.tuple_ok = true;
        let operand = self.unary();
        self.tuple_ok = false;
        if let Expr::Parenthesized(group) = &operand {
            let items = &group.items;
            if items.len() > 1 && !takes_list && self.tokens.get(at).kind == TokenKind::LParen {
                let text = operator.span.of(self.text);
                let message = match kw {
                    Some(Kw::Has | Kw::HasCs) => format!("'{text}' takes a single value; did you mean 'has_any'?"),
                    Some(Kw::NotHas | Kw::NotHasCs) => {
                        format!("'{text}' takes a single value; did you mean 'not(x has_any (...))'?")
                    }
                    None if operator.kind == TokenKind::EqEq => {
                        format!("'{text}' takes a single value; did you mean 'in'?")
                    }
                    _ => format!("'{text}' takes a single value, not a list"),
                };
                let second = items[1].span();
                self.report(SyntaxError::new(second, message).with_label(operator.span, "this operator"));
            }
        }
        operand
    }

    /// `(low .. high)` after `between`.
    fn between_range(&mut self, operator: Token) -> Expr {
        let text = operator.span.of(self.text);
        let Some(open) = self.eat(TokenKind::LParen) else {
            self.missing(format!("expected '(low .. high)' after '{text}'"));
            return Expr::Error(Span::empty(self.prev_end() as usize));
        };
        let start = open.span;
        let mut items = Vec::new();
        if self.at(TokenKind::RParen) {
            self.missing(format!("expected 'low .. high' in the '()' after '{text}'"));
        } else {
            // A whole expression (`now() - 1d .. now()`) up to the `..`.
            let saved = std::mem::replace(&mut self.in_lower_bound, true);
            items.push(self.expr());
            self.in_lower_bound = saved;
            if self.eat(TokenKind::DotDot).is_some() {
                items.push(self.expr());
            } else {
                self.missing(format!("expected '..' between the bounds of '{text}'"));
            }
        }
        self.expect_close(TokenKind::RParen, open.span);
        Expr::Parenthesized(Box::new(Group { items, span: self.span_from(start) }))
    }

    /// Consumes a binary operator if one is here.
    pub(super) fn binary_operator(&mut self) -> Option<Token> {
        use TokenKind::*;
        let is_operator = match self.kind() {
            EqEq | BangEq | LtGt | Lt | LtEq | Gt | GtEq | Plus | Minus | Slash | Percent | EqTilde | BangTilde => true,
            DotDot => !self.in_lower_bound,
            // In `parse` patterns `*` is a wildcard, never a product.
            Star => !self.parse_pattern,
            Eq => self.eq_compares,
            // `Column:"text"` (search syntax for `has`); `x:type` declarations are not operators.
            Colon => self.peek_at(1).kind.is_literal(),
            Keyword(kw) => is_operator_keyword(kw),
            _ => false,
        };
        is_operator.then(|| self.bump())
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
        let mut segments = PathSegments::default();
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
                        segments.push(Segment::Index(Box::new(index)));
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
                        segments.push(Segment::Call(Box::new(Call {
                            name,
                            arguments,
                            span: self.span_from(call_start),
                        })));
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
                    segments.push(Segment::Index(Box::new(index)));
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
            Expr::Path(Box::new(Path { base, segments: segments.finish(), span: self.span_from(start) }))
        }
    }

    /// `( args )` of a call: scalar arguments, never a query without its own parentheses.
    pub(super) fn arguments(&mut self) -> Vec<Expr> {
        self.group(false).map(|(items, _)| items).unwrap_or_default()
    }

    /// `( item, ... )`, each item a pipe expression or a declaration.
    pub(super) fn parenthesized(&mut self) -> Expr {
        match self.group(true) {
            Ok((items, span)) => Expr::Parenthesized(Box::new(Group { items, span })),
            Err(span) => Expr::Error(span),
        }
    }

    /// `( item, ... )`; items are pipe expressions when `pipes`. The items and the span, or the
    /// span skipped when nested too deeply.
    fn group(&mut self, pipes: bool) -> Result<(Vec<Expr>, Span), Span> {
        let open = self.bump().span;
        if !self.enter() {
            self.skip_until(|_| false);
            self.leave();
            self.eat(TokenKind::RParen);
            return Err(self.span_from(open));
        }
        let saved = std::mem::replace(&mut self.wildcards, false);
        let mut items = Vec::new();
        while !self.at(TokenKind::RParen) && !self.at(TokenKind::Eof) {
            let before = self.pos;
            if self.at(TokenKind::Comma) {
                self.missing("expected an expression before ','");
                self.bump();
                continue;
            }
            items.push(self.item(pipes));
            if self.eat(TokenKind::Comma).is_some() {
                if self.at_terminator() {
                    self.missing("expected an expression after ','");
                    if !self.at(TokenKind::RParen) {
                        break;
                    }
                }
                continue;
            }
            if !self.at(TokenKind::RParen) {
                let closes = self.at_terminator() || self.at_statement_keyword();
                let message = if closes {
                    "expected ')' to close this '('".to_string()
                } else {
                    format!("expected ',' or ')', found {}", self.describe())
                };
                let span = self.missing_span();
                self.report(SyntaxError::new(span, message).with_label(open, "unclosed '('"));
                if closes {
                    // The `)` is missing: what follows belongs to the enclosing query.
                    break;
                }
                self.skip_until(|t| matches!(t.kind, TokenKind::Comma | TokenKind::Pipe | TokenKind::Semicolon));
                if self.eat(TokenKind::Comma).is_none() {
                    break;
                }
            }
            if self.pos == before {
                self.bump();
            }
        }
        self.wildcards = saved;
        self.leave();
        self.expect_close(TokenKind::RParen, open);
        Ok((items, self.span_from(open)))
    }

    /// True at `( ... ) =`: a parenthesized list of declared names.
    pub(super) fn at_declared_tuple(&self) -> bool {
        let close = self
            .tokens
            .kinds_from(self.pos)
            .scan(0usize, |depth, kind| {
                match kind {
                    TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => *depth += 1,
                    TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => *depth = depth.saturating_sub(1),
                    _ => {}
                }
                Some(*depth)
            })
            .position(|d| d == 0);
        close.is_some_and(|at| self.peek_at(at + 1).kind == TokenKind::Eq)
    }

    /// One string literal made of adjacent string tokens.
    pub(super) fn string_literal(&mut self) -> Literal {
        let start = self.peek().span;
        while self.kind().is_string() {
            self.bump();
        }
        Literal { kind: LiteralKind::String, span: self.span_from(start) }
    }

    pub(super) fn primary(&mut self) -> Expr {
        let tuple_ok = std::mem::take(&mut self.tuple_ok);
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
            TokenKind::LParen => {
                let group = self.parenthesized();
                if let Expr::Parenthesized(group) = &group {
                    let (items, span) = (&group.items, group.span);
                    if items.is_empty() {
                        let close = Span::new(span.end.saturating_sub(1) as usize, span.end as usize);
                        self.error(close, "expected an expression in '()'");
                    } else if items.len() > 1 && !tuple_ok {
                        // `(a, b)` is a list only after `in`, `has_any`... and before `=`.
                        let first_end = items[0].span().end;
                        let comma = self.tokens.get(self.tokens.index_at(first_end)).span;
                        let span = if self.text[first_end as usize..comma.start as usize].contains(['\n', '\r']) {
                            Span::empty(first_end as usize)
                        } else {
                            comma
                        };
                        self.report(
                            SyntaxError::new(
                                span,
                                "expected ')': a list in '()' is only allowed after 'in', 'has_any' and the like",
                            )
                            .with_label(token.span, "this '('"),
                        );
                    }
                }
                group
            }
            TokenKind::LBracket => {
                if self.bracketed_name_len().is_some() {
                    self.name_or_call()
                } else if self.peek_at(1).kind.is_string() {
                    Expr::Inline(self.unclosed_bracketed_name())
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
                if self.at_terminator() || self.at(TokenKind::Comma) {
                    self.missing("expected an expression");
                } else {
                    self.error(token.span, format!("expected an expression, found {}", self.describe()));
                }
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
                    Expr::Parenthesized(mut group) if group.items.len() == 1 => group.items.remove(0),
                    Expr::Parenthesized(group) if group.items.is_empty() => {
                        let span = group.span;
                        let close = Span::new(span.end.saturating_sub(1) as usize, span.end as usize);
                        self.error(close, format!("expected a query in '{}()'", kw.text()));
                        Expr::Parenthesized(group)
                    }
                    other => other,
                };
                Expr::Subquery(Box::new(inner), self.span_from(start))
            }
            Kw::Dynamic if next == TokenKind::LParen => {
                self.bump();
                let open = self.bump().span;
                if self.at(TokenKind::RParen) {
                    self.error_here("expected a value in 'dynamic()': null, a number, a string, [...] or {...}");
                } else {
                    self.json_value();
                }
                self.expect_close(TokenKind::RParen, open);
                Expr::Inline(self.span_from(start))
            }
            Kw::Datatable if next == TokenKind::LParen => {
                self.bump();
                self.datatable();
                Expr::Inline(self.span_from(start))
            }
            Kw::Typeof | Kw::UnderContextualDatatable if next == TokenKind::LParen => {
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
                    self.schema();
                } else {
                    self.missing(format!("expected the schema in '()' after '{}'", kw.text()));
                }
                let mut urls = Vec::new();
                if self.eat(TokenKind::LBracket).is_some() {
                    while !self.at(TokenKind::RBracket) && !self.at(TokenKind::Eof) {
                        let before = self.pos;
                        if self.kind().is_string() {
                            urls.push(self.string_literal());
                        } else {
                            // A URL computed from a query parameter or a `let` value
                            // (`[URI]`, `[strcat(base, "x.csv")]`), as the documentation shows:
                            // an expression, whose value is known only at run time.
                            self.expr();
                        }
                        if self.eat(TokenKind::Comma).is_none() && !self.at(TokenKind::RBracket) {
                            self.error_here("expected ',' or ']' after a URL");
                            self.skip_until(|t| matches!(t.kind, TokenKind::Comma | TokenKind::RBracket));
                            self.eat(TokenKind::Comma);
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
                    self.parenthesized();
                }
                Expr::ExternalData(Box::new(ExternalData { urls, span: self.span_from(start) }))
            }
            Kw::InlineExternalTable => {
                // `inline_external_table [(schema)] kind=.. [partition by (..)] [pathformat=(..)]
                // [dataformat=..] (urls) [with (..)]`: external data, nothing to resolve.
                self.bump();
                self.skip_until(|t| matches!(t.kind, TokenKind::Pipe | TokenKind::Semicolon | TokenKind::Comma));
                Expr::ExternalData(Box::new(ExternalData { urls: Vec::new(), span: self.span_from(start) }))
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
                Expr::EntityGroup(Box::new(Group { items: members, span: self.span_from(start) }))
            }
            _ if self.at_source_operator() => {
                let start = self.peek().span;
                let operator = self.operator();
                Expr::Pipe(Box::new(Pipe { head: None, operators: vec![operator], span: self.span_from(start) }))
            }
            _ => {
                let typed_literal = kw.starts_typed_literal() && next == TokenKind::LParen;
                if !kw.is_name_capable() && !typed_literal {
                    self.keyword_as_name(kw);
                }
                self.name_or_call()
            }
        }
    }

    /// A value of a `dynamic(...)` literal: JSON with KQL literals (`[1, "a", {"b": null}]`,
    /// `datetime(...)`, `1d`).
    pub(super) fn json_value(&mut self) {
        if !self.enter() {
            self.skip_too_deep();
            self.leave();
            return;
        }
        match self.kind() {
            TokenKind::LBracket => {
                let open = self.bump().span;
                self.json_items(TokenKind::RBracket, |p| p.json_value());
                self.expect_close(TokenKind::RBracket, open);
            }
            TokenKind::LBrace => {
                let open = self.bump().span;
                self.json_items(TokenKind::RBrace, |p| {
                    if p.kind().is_string() {
                        p.string_literal();
                    } else {
                        p.missing("expected a property name in quotes (\"name\": value)");
                        return;
                    }
                    if p.eat(TokenKind::Colon).is_none() {
                        p.missing("expected ':' after the property name");
                        return;
                    }
                    p.json_value();
                });
                self.expect_close(TokenKind::RBrace, open);
            }
            _ => self.scalar_literal("a JSON value (null, a number, a string, [...] or {...})"),
        }
        self.leave();
    }

    /// Comma-separated items up to `close`: no empty item, no trailing comma.
    fn json_items(&mut self, close: TokenKind, mut item: impl FnMut(&mut Self)) {
        if self.at(close) {
            return;
        }
        loop {
            let before = self.pos;
            item(self);
            if self.eat(TokenKind::Comma).is_none() {
                if !self.at(close) && !self.at_terminator() && self.pos != before {
                    self.missing("missing ',' between values");
                    self.skip_until(|t| t.kind == TokenKind::Comma);
                    if self.eat(TokenKind::Comma).is_some() {
                        continue;
                    }
                }
                return;
            }
            if self.at(close) {
                self.missing("expected a value after ','");
                return;
            }
        }
    }

    /// A literal value (in `dynamic(...)` and `datatable(...)[...]`): a number, string, bool,
    /// guid, timespan, typed literal, `null`, `-number` or a nested `dynamic(...)`.
    fn scalar_literal(&mut self, what: &str) {
        match self.kind() {
            kind if kind.is_string() => {
                self.string_literal();
            }
            TokenKind::Long
            | TokenKind::Real
            | TokenKind::Timespan
            | TokenKind::Bool
            | TokenKind::Guid
            | TokenKind::Keyword(Kw::Null) => {
                self.bump();
            }
            TokenKind::TypedLiteral { .. } => {
                self.primary();
            }
            TokenKind::Minus
                if matches!(self.peek_at(1).kind, TokenKind::Long | TokenKind::Real | TokenKind::Timespan) =>
            {
                self.pos += 2;
            }
            TokenKind::Keyword(Kw::Dynamic) if self.peek_at(1).kind == TokenKind::LParen => {
                self.keyword_primary(Kw::Dynamic);
            }
            TokenKind::Keyword(kw) if kw.starts_typed_literal() && self.peek_at(1).kind == TokenKind::LParen => {
                self.bump();
                self.skip_group();
            }
            _ if self.at(TokenKind::Comma) || self.at_terminator() => self.missing(format!("expected {what}")),
            _ => {
                self.error_here(format!("expected {what}, found {}", self.describe()));
                self.bump();
            }
        }
    }

    /// A schema `(name:type, ...)` (of `datatable`, `externaldata`, an `evaluate` output), at `(`.
    pub(super) fn schema(&mut self) {
        let open = self.bump().span;
        while !self.at(TokenKind::RParen) && !self.at_terminator() {
            if self.eat(TokenKind::Star).is_some() {
                // `(*)`, `(*, a:long)`: any columns.
                if self.eat(TokenKind::Comma).is_none() {
                    break;
                }
                continue;
            }
            if self.at_name()
                && self
                    .peek()
                    .keyword()
                    .is_none_or(|kw| matches!(kw.class(), KeywordClass::Name | KeywordClass::Extended))
            {
                self.name();
            } else if let Some(kw) = self.peek().keyword() {
                self.keyword_as_name(kw);
                break;
            } else {
                self.missing("expected a column name");
                break;
            }
            if self.eat(TokenKind::Colon).is_none() {
                self.missing("expected ':' and a type after the column name");
                break;
            }
            if matches!(self.kind(), TokenKind::Ident | TokenKind::Keyword(_)) {
                self.bump();
            } else {
                self.missing("expected a type after ':'");
                break;
            }
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        self.expect_close(TokenKind::RParen, open);
    }

    /// After `datatable`: `(name:type, ...)[value, ...]` (a trailing comma is allowed in the values).
    fn datatable(&mut self) {
        self.schema();
        let Some(open) = self.eat(TokenKind::LBracket) else {
            self.missing("expected '[' and the values of the datatable");
            return;
        };
        // A comma may lead the values (`[\n, "a", 1\n, "b", 2]`).
        self.eat(TokenKind::Comma);
        while !self.at(TokenKind::RBracket) && !self.at_terminator() {
            let before = self.pos;
            self.scalar_literal("a value");
            if self.eat(TokenKind::Comma).is_none() {
                if !self.at(TokenKind::RBracket) && self.pos != before {
                    self.missing("missing ',' between values");
                }
                break;
            }
            if self.pos == before {
                break;
            }
        }
        self.expect_close(TokenKind::RBracket, open.span);
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

/// The segments of a path being parsed: the first is held apart until a second comes, so a
/// path of one segment (most) allocates nothing for them.
#[derive(Default)]
struct PathSegments {
    first: Option<Segment>,
    more: Vec<Segment>,
}

impl PathSegments {
    fn push(&mut self, segment: Segment) {
        if self.more.is_empty() {
            match self.first.take() {
                None => {
                    self.first = Some(segment);
                    return;
                }
                Some(first) => {
                    self.more.reserve_exact(2);
                    self.more.push(first);
                }
            }
        }
        self.more.push(segment);
    }

    fn is_empty(&self) -> bool {
        self.first.is_none() && self.more.is_empty()
    }

    fn finish(self) -> Segments {
        match self.first {
            Some(one) => Segments::One([one]),
            None => Segments::Many(self.more.into_boxed_slice()),
        }
    }
}
