//! Pipes and query operators (§3.1, §3.4-3.7).

use super::*;

impl Parser<'_> {
    /// True at an operator that starts a pipe without input (`union`, `print`, `range x from`...).
    pub(super) fn at_source_operator(&self) -> bool {
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
    pub(super) fn pipe_expr(&mut self) -> Expr {
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
    pub(super) fn at_head_operator(&self) -> bool {
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
                | TokenKind::EqEq
                | TokenKind::BangEq
                | TokenKind::LtGt
                | TokenKind::Lt
                | TokenKind::LtEq
                | TokenKind::Gt
                | TokenKind::GtEq
                | TokenKind::EqTilde
                | TokenKind::BangTilde
                | TokenKind::Plus
                | TokenKind::Slash
                | TokenKind::Percent
                | TokenKind::Eq
        ) && !self.peek_at(1).kind.is_string()
            && !self.peek_at(1).keyword().is_some_and(is_operator_keyword)
    }

    /// A subquery whose input is implicit (`fork (where x | take 1)`): it may start with any
    /// operator; otherwise it is an ordinary pipe expression.
    pub(super) fn sub_pipe(&mut self) -> Expr {
        let start = self.peek().span;
        match self.peek().keyword() {
            Some(kw) if is_piped_operator(kw) => {
                let first = self.operator();
                self.pipe_tail(start, None, vec![first])
            }
            _ => self.pipe_expr(),
        }
    }

    pub(super) fn pipe_tail(&mut self, start: Span, head: Option<Expr>, mut operators: Vec<Operator>) -> Expr {
        let piped = head.is_some() || !operators.is_empty();
        while self.eat(TokenKind::Pipe).is_some() {
            self.piped = piped;
            operators.push(self.operator());
        }
        match head {
            Some(head) if operators.is_empty() => head,
            head => Expr::Pipe(Box::new(Pipe { head, operators, span: self.span_from(start) })),
        }
    }

    /// One query operator, at its keyword.
    pub(super) fn operator(&mut self) -> Operator {
        let start = self.peek().span;
        let Some(keyword) = self.peek().keyword().filter(|&kw| is_piped_operator(kw)) else {
            let message = self.unknown_operator_message();
            self.error_here(message);
            self.skip_until(|t| matches!(t.kind, TokenKind::Pipe | TokenKind::Semicolon));
            return Operator {
                keyword: Kw::Where,
                keyword_span: Span::empty(start.start as usize),
                kind: OperatorKind::Rows(Vec::new()),
                span: self.span_from(start),
            };
        };
        let keyword_span = self.bump().span;
        let piped = std::mem::take(&mut self.piped);
        let outer = self.operator.replace(keyword);
        if !self.enter() {
            self.operator = outer;
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
            Kw::Where | Kw::Filter => {
                let saved = std::mem::replace(&mut self.eq_compares, true);
                let predicate = self.required_expr(keyword);
                self.eq_compares = saved;
                OperatorKind::Rows(vec![predicate])
            }
            Kw::Extend => OperatorKind::Rows(self.list(
                keyword,
                "an expression",
                "expressions",
                true,
                &[],
                Self::push_declaration,
            )),
            Kw::Project | Kw::ProjectRename | Kw::Serialize => {
                OperatorKind::Rows(self.list(keyword, "a column", "columns", false, &[], Self::push_declaration))
            }
            Kw::Print => OperatorKind::Source(self.list(
                keyword,
                "an expression",
                "expressions",
                true,
                &[],
                Self::push_declaration,
            )),
            Kw::Take | Kw::Limit | Kw::Sample => {
                let mut rows = self.parameters();
                rows.push(self.required_expr(keyword));
                OperatorKind::Rows(rows)
            }
            Kw::Summarize => {
                let mut rows = self.parameters();
                rows.extend(self.list(keyword, "an aggregate", "aggregates", false, &[Kw::By], Self::push_declaration));
                if self.eat_kw(Kw::By).is_some() {
                    rows.extend(self.list(Kw::By, "a column", "columns", true, &[], Self::push_declaration));
                }
                OperatorKind::Rows(rows)
            }
            Kw::Distinct => {
                let mut rows = self.parameters();
                rows.extend(self.list(keyword, "a column", "columns", true, &[], Self::push_declaration));
                OperatorKind::Rows(rows)
            }
            Kw::Sort | Kw::Order => {
                let mut rows = self.parameters();
                if self.eat_kw(Kw::By).is_some() {
                    rows.extend(self.list(Kw::By, "an expression", "expressions", true, &[], Self::push_sort_item));
                } else {
                    self.missing(format!("expected 'by' after '{}'", keyword.text()));
                }
                OperatorKind::Rows(rows)
            }
            Kw::Top => {
                let mut rows = self.parameters();
                rows.push(self.required_expr(keyword));
                if self.eat_kw(Kw::By).is_some() {
                    rows.extend(self.list(Kw::By, "an expression", "expressions", true, &[], Self::push_sort_item));
                } else {
                    self.missing("expected 'by' after the number of rows of 'top'");
                }
                OperatorKind::Rows(rows)
            }
            Kw::MvExpand | Kw::Mvexpand => {
                let mut rows = self.parameters();
                rows.extend(self.list(keyword, "a column", "columns", true, &[Kw::Limit], Self::mv_expand_item));
                if self.eat_kw(Kw::Limit).is_some() {
                    rows.push(self.required_expr(Kw::Limit));
                }
                OperatorKind::Rows(rows)
            }
            Kw::Count => {
                if self.eat_kw(Kw::As).is_some() {
                    self.expect_name("a column name after 'as'");
                }
                OperatorKind::Rows(Vec::new())
            }
            Kw::Render => self.render(),
            Kw::Join | Kw::Lookup => self.join(keyword),
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
            Kw::Find | Kw::Search => self.search(keyword, piped),
            Kw::MakeGraph => self.make_graph(),
            Kw::MacroExpand => self.macro_expand(),
            Kw::Scan => self.scan(),
            Kw::Range => OperatorKind::Source(self.clauses()),
            Kw::Parse | Kw::ParseWhere => self.parse(keyword),
            Kw::ParseKv => {
                let mut rows = self.parameters();
                rows.push(self.required_expr(keyword));
                if self.eat_kw(Kw::As).is_some() && self.at(TokenKind::LParen) {
                    self.schema();
                } else {
                    self.missing("expected 'as (name:type, ...)' after the expression of 'parse-kv'");
                }
                if self.eat_kw(Kw::With).is_some() {
                    if self.at(TokenKind::LParen) {
                        rows.push(self.parenthesized());
                    } else {
                        self.missing("expected '(' and the options after 'with'");
                    }
                }
                OperatorKind::Rows(rows)
            }
            Kw::ProjectAway | Kw::ProjectKeep | Kw::ProjectReorder | Kw::UnderProjectAway => {
                let saved = std::mem::replace(&mut self.wildcards, true);
                let items = self.list(keyword, "a column", "columns", false, &[], Self::push_column_pattern);
                self.wildcards = saved;
                OperatorKind::Rows(items)
            }
            Kw::GraphToTable => self.graph_to_table(),
            Kw::GraphMatch | Kw::GraphShortestPaths => {
                // The graph pattern declares names and reads nothing: skip it.
                self.skip_until(|t| {
                    matches!(
                        t.kind,
                        TokenKind::Pipe | TokenKind::Semicolon | TokenKind::Keyword(Kw::Where | Kw::Project)
                    )
                });
                let mut rows = Vec::new();
                if self.eat_kw(Kw::Where).is_some() {
                    rows.push(self.required_expr(Kw::Where));
                }
                if self.eat_kw(Kw::Project).is_some() {
                    rows.extend(self.list(Kw::Project, "a column", "columns", true, &[], Self::push_declaration));
                }
                OperatorKind::Rows(rows)
            }
            _ => {
                if matches!(keyword, Kw::Getschema | Kw::UnderExecuteAndCache) {
                    return self.finish_operator(start, keyword, keyword_span, outer, OperatorKind::Rows(Vec::new()));
                }
                if self.at_terminator() && keyword != Kw::Consume {
                    self.missing(format!("expected the arguments of '{}'", keyword.text()));
                }
                OperatorKind::Rows(self.clauses())
            }
        };
        self.finish_operator(start, keyword, keyword_span, outer, kind)
    }

    fn finish_operator(
        &mut self,
        start: Span,
        keyword: Kw,
        keyword_span: Span,
        outer: Option<Kw>,
        kind: OperatorKind,
    ) -> Operator {
        self.end_of_operator(keyword);
        self.operator = outer;
        self.leave();
        Operator { keyword, keyword_span, kind, span: self.span_from(start) }
    }

    /// Operator parameters: `name=value` pairs right after the keyword (§3.5).
    /// Their names are the parameter keywords (`kind`, `hint.strategy`, `withsource`...), so
    /// `mv-expand x = y` declares `x`.
    pub(super) fn parameters(&mut self) -> Vec<Expr> {
        self.parameters_named(is_parameter_name)
    }

    /// Parameters named by any keyword (`make-graph ... with_node_id=x`, `scan` steps' `output=`).
    pub(super) fn keyword_parameters(&mut self) -> Vec<Expr> {
        self.parameters_named(|_| true)
    }

    fn parameters_named(&mut self, accept: impl Fn(Kw) -> bool) -> Vec<Expr> {
        let mut parameters = Vec::new();
        while self.at_named() && self.peek().keyword().is_some_and(&accept) {
            let start = self.peek().span;
            let target = Expr::Name(self.name());
            self.bump();
            let value = self.parameter_value();
            parameters.push(Expr::Named(Box::new(Named { target, value, span: self.span_from(start) })));
        }
        parameters
    }

    /// The value of an operator parameter: one literal or word, never a call.
    pub(super) fn parameter_value(&mut self) -> Expr {
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
    pub(super) fn clauses(&mut self) -> Vec<Expr> {
        self.clauses_declaring(None, false)
    }

    /// [`Self::clauses`]. Items must be separated by commas or clause keywords unless
    /// `juxtaposed` (the patterns of `parse`); a `name = value` may
    /// always follow an item (`make-series avg(x) default=0`). Names declared by `as Name` are
    /// collected into `declared` if given.
    pub(super) fn clauses_declaring(&mut self, mut declared: Option<&mut Vec<Name>>, juxtaposed: bool) -> Vec<Expr> {
        let mut items = Vec::new();
        let (mut after_item, mut after_parameter) = (false, false);
        while !self.at_terminator() {
            let before = self.pos;
            match self.kind() {
                TokenKind::Comma => {
                    if !after_item && !after_parameter {
                        self.missing("expected an expression before ','");
                    }
                    self.bump();
                    after_item = false;
                    after_parameter = false;
                    if self.at_terminator() {
                        self.missing("expected an expression after ','");
                    }
                }
                TokenKind::Keyword(Kw::Where | Kw::Project)
                    if !matches!(
                        self.operator,
                        Some(Kw::Find | Kw::Search | Kw::GraphMatch | Kw::GraphShortestPaths)
                    ) && !self.at_named()
                        && !self.keyword_is_operand() =>
                {
                    break;
                }
                TokenKind::Keyword(Kw::Nulls)
                    if matches!(self.peek_at(1).kind, TokenKind::Keyword(Kw::First | Kw::Last)) =>
                {
                    self.pos += 2;
                }
                TokenKind::Keyword(kw) if is_clause_keyword(kw) && !self.at_named() && !self.keyword_is_operand() => {
                    self.bump();
                    after_item = false;
                    after_parameter = false;
                    if kw == Kw::As && self.at_name() {
                        if let Some(declared) = declared.as_deref_mut() {
                            declared.push(self.name());
                            after_item = true;
                        }
                    }
                    if kw == Kw::With && self.at(TokenKind::LParen) {
                        items.push(self.parenthesized());
                        after_item = true;
                    }
                }
                _ => {
                    if after_item && !juxtaposed && !self.at_named() {
                        // Two expressions side by side: often a second query that lacks its `;`
                        // (reported where the `,`, `|` or `;` is missing, as Kusto does).
                        self.missing("expected `,` or the end of the operator");
                    }
                    // An operator parameter (`hint.strategy=shuffle`, `kind=array`) is named by a
                    // keyword and may be followed by an item without a comma.
                    let parameter = self.at_named() && matches!(self.kind(), TokenKind::Keyword(_));
                    items.push(self.item(false));
                    after_item = !parameter;
                    after_parameter = parameter;
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
    pub(super) fn keyword_is_operand(&self) -> bool {
        use TokenKind::*;
        match self.peek_at(1).kind {
            EqEq | BangEq | LtGt | Lt | LtEq | Gt | GtEq | Slash | Percent | EqTilde | BangTilde | Dot => true,
            Keyword(kw) => is_operator_keyword(kw) && kw != Kw::In,
            _ => false,
        }
    }

    /// One item of a list: `*`, `name = value`, `(a, b) = value`, a wildcard where allowed, or
    /// an expression (a pipe expression when `pipes`), with an optional `: type` suffix.
    pub(super) fn item(&mut self, pipes: bool) -> Expr {
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
        self.tuple_ok = self.at(TokenKind::LParen) && self.at_declared_tuple();
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

    /// What to say at a token that should be an operator: `unknown operator 'wher'; did you
    /// mean 'where'?` for a near spelling (another case, a letter dropped, added, changed or two
    /// swapped, `_` for `-`).
    fn unknown_operator_message(&self) -> String {
        let token = self.peek();
        if !matches!(token.kind, TokenKind::Ident | TokenKind::Keyword(_)) {
            return format!("expected a query operator after '|', found {}", self.describe());
        }
        // `project_away`, `mv-expand` spelt with `_`: the lexer made several tokens of some.
        let word = token.span.of(self.text);
        let best = crate::kql::keywords::all()
            .iter()
            .filter(|kw| is_piped_operator(**kw))
            .map(|kw| (edit_distance(&word.to_ascii_lowercase(), &kw.text().replace('-', "_")), *kw))
            .chain(
                crate::kql::keywords::all()
                    .iter()
                    .filter(|kw| is_piped_operator(**kw))
                    .map(|kw| (edit_distance(word, kw.text()), *kw)),
            )
            // Two edits make a short word into too many others (`bin` into `find`).
            .filter(|(d, _)| *d <= if word.len() <= 4 { 1 } else { 2 })
            .min_by_key(|(d, kw)| (*d, kw.text().len()));
        match best {
            Some((_, kw)) => format!("unknown operator '{word}'; did you mean '{}'?", kw.text()),
            None if crate::kql::builtins::is_builtin_function(&word.to_ascii_lowercase()) => format!(
                "'{word}' is a function, not a query operator: call it inside one (`extend`, `where`, \
                 `summarize ... by`...)"
            ),
            None => format!("unknown operator '{word}': expected a query operator after '|'"),
        }
    }

    /// After an operator: the next token must end it (`|`, `;`, a closing bracket, the end).
    pub(super) fn end_of_operator(&mut self, keyword: Kw) {
        if self.at_terminator() {
            return;
        }
        match self.peek().keyword() {
            Some(Kw::Print) if !self.keyword_is_operand() => {
                self.missing("expected ';' before 'print' (a statement ends with ';')");
            }
            Some(kw) if is_piped_operator(kw) && !self.keyword_is_operand() => {
                self.missing(format!("expected '|' before '{}'", kw.text()));
            }
            _ if self.at_statement_keyword() => {
                self.missing(format!(
                    "expected ';' before '{}' (a statement ends with ';')",
                    self.peek().span.of(self.text)
                ));
            }
            _ => {
                let message = format!("{} after the '{}' operator", self.unexpected(), keyword.text());
                // Where the operator should end (a `|` or `;` is missing), as Kusto reports it:
                // at the token when it is on the operator's line, else at the operator's end,
                // with the token labelled.
                let (span, token) = (self.missing_span(), self.peek().span);
                let mut error = SyntaxError::new(span, message);
                if span != token {
                    error = error.with_label(token, format!("not part of the '{}' operator", keyword.text()));
                }
                self.report(error);
            }
        }
        self.skip_until(|t| matches!(t.kind, TokenKind::Pipe | TokenKind::Semicolon));
    }

    /// The expression an operator requires (`where`, `take`...).
    pub(super) fn required_expr(&mut self, after: Kw) -> Expr {
        if self.at_terminator() {
            self.missing(format!("expected an expression after '{}'", after.text()));
            return Expr::Error(Span::empty(self.prev_end() as usize));
        }
        self.expr()
    }

    /// True at the end of a list: the end of the operator or one of `ends` (a clause keyword).
    fn at_list_end(&self, ends: &[Kw]) -> bool {
        self.at_terminator() || self.peek().keyword().is_some_and(|kw| ends.contains(&kw) && !self.keyword_is_operand())
    }

    /// Items separated by commas after `after`, up to the end of the operator or a keyword of
    /// `ends`. An empty item (`a,, b`), a trailing comma and two items side by side are errors;
    /// `required` lists need one item.
    pub(super) fn list(
        &mut self,
        after: Kw,
        one: &str,
        many: &str,
        required: bool,
        ends: &[Kw],
        item: fn(&mut Self, &mut Vec<Expr>),
    ) -> Vec<Expr> {
        let mut items = Vec::new();
        if self.at_list_end(ends) {
            if required {
                self.missing(format!("expected {one} after '{}'", after.text()));
            }
            return items;
        }
        loop {
            let before = self.pos;
            if self.at(TokenKind::Comma) {
                self.missing(format!("expected {one} before ','"));
                self.bump();
                continue;
            }
            item(self, &mut items);
            if self.eat(TokenKind::Comma).is_some() {
                if self.at_list_end(ends) {
                    self.missing(format!("expected {one} after ','"));
                    break;
                }
                continue;
            }
            if self.at_list_end(ends) || !self.starts_item() {
                break;
            }
            self.missing(format!("missing ',' between {many}"));
            if self.pos == before {
                break;
            }
        }
        items
    }

    /// True when the token here can start an expression (two items side by side).
    pub(super) fn starts_item(&self) -> bool {
        match self.kind() {
            TokenKind::Keyword(kw) => {
                let operator = is_piped_operator(kw) && !self.keyword_is_operand();
                (!operator && !is_clause_keyword(kw)) || self.at_named()
            }
            TokenKind::Ident | TokenKind::LParen | TokenKind::LBracket | TokenKind::Star | TokenKind::At => true,
            kind => kind.is_literal(),
        }
    }

    /// An item that may declare a name: `name = expr`, `(a, b) = expr`, or an expression. A
    /// declared name may be a keyword of the `Name` or `Extended` class only.
    pub(super) fn declaration(&mut self) -> Expr {
        if self.at_named() {
            if let Some(kw) = self.peek().keyword() {
                if !matches!(kw.class(), KeywordClass::Name | KeywordClass::Extended) {
                    self.keyword_as_name(kw);
                }
            }
        }
        self.item(false)
    }

    fn push_declaration(&mut self, items: &mut Vec<Expr>) {
        items.push(self.declaration());
    }

    fn push_sort_item(&mut self, items: &mut Vec<Expr>) {
        items.push(self.sort_item());
    }

    fn push_column_pattern(&mut self, items: &mut Vec<Expr>) {
        items.push(self.column_pattern());
    }

    /// Reports a keyword written where a name is needed.
    pub(super) fn keyword_as_name(&mut self, kw: Kw) {
        let text = kw.text();
        self.error_here(format!("'{text}' is a keyword: write ['{text}'] to use it as a name"));
    }

    /// `expr [asc | desc] [nulls first | nulls last]`.
    pub(super) fn sort_item(&mut self) -> Expr {
        let expr = self.expr();
        if self.at_kw(Kw::Asc) || self.at_kw(Kw::Desc) || self.at_kw(Kw::GrannyAsc) || self.at_kw(Kw::GrannyDesc) {
            self.bump();
        }
        if self.at_kw(Kw::Nulls) && matches!(self.peek_at(1).kind, TokenKind::Keyword(Kw::First | Kw::Last)) {
            self.pos += 2;
        }
        expr
    }

    /// `[name =] expr [to typeof(type)]`: the item, then the `typeof(type)` as [`Expr::Inline`].
    pub(super) fn mv_expand_item(&mut self, items: &mut Vec<Expr>) {
        items.push(self.declaration());
        if self.eat_kw(Kw::To).is_some() {
            if self.at_kw(Kw::Typeof) && self.peek_at(1).kind == TokenKind::LParen {
                let start = self.bump().span;
                self.skip_group();
                items.push(Expr::Inline(self.span_from(start)));
            } else {
                self.missing("expected 'typeof(type)' after 'to'");
            }
        }
    }

    /// A column or a wildcard (`project-away`, `project-keep`, `project-reorder` with an
    /// optional `asc`/`desc`): plain names, or keywords of the `Name` class.
    pub(super) fn column_pattern(&mut self) -> Expr {
        let expr = if let Some(span) = self.wildcard() {
            Expr::Wildcard(span)
        } else if self.at_name() {
            if let Some(kw) = self.peek().keyword().filter(|kw| kw.class() != KeywordClass::Name) {
                self.keyword_as_name(kw);
            }
            self.postfix()
        } else {
            self.missing("expected a column name");
            if !self.at_terminator() && !self.at(TokenKind::Comma) {
                self.bump();
            }
            Expr::Error(Span::empty(self.prev_end() as usize))
        };
        if self.operator == Some(Kw::ProjectReorder)
            && matches!(self.kind(), TokenKind::Keyword(Kw::Asc | Kw::Desc | Kw::GrannyAsc | Kw::GrannyDesc))
        {
            self.bump();
        }
        expr
    }

    /// `parse [params] expr with pattern`: strings, `*` and columns (`name[:type]`); a column
    /// followed by `=` (an assignment of a next operator without its `|`) is an error.
    pub(super) fn parse(&mut self, keyword: Kw) -> OperatorKind {
        let saved = std::mem::replace(&mut self.parse_pattern, true);
        let mut rows = self.parameters();
        rows.push(self.required_expr(keyword));
        if self.eat_kw(Kw::With).is_none() {
            self.missing(format!("expected 'with' and the pattern after the expression of '{}'", keyword.text()));
            self.parse_pattern = saved;
            return OperatorKind::Rows(rows);
        }
        let mut any = false;
        loop {
            match self.kind() {
                kind if kind.is_string() => {
                    self.string_literal();
                }
                TokenKind::Star => {
                    self.bump();
                }
                TokenKind::Keyword(kw) if is_piped_operator(kw) && !kw.is_name_capable() => break,
                _ if self.at_named() => {
                    let found = self.describe();
                    self.error_here(format!(
                        "unexpected {found} in the pattern of '{}': is a '|' missing?",
                        keyword.text()
                    ));
                    break;
                }
                _ if self.at_name() => {
                    rows.push(Expr::Name(self.name()));
                    if self.eat(TokenKind::Colon).is_some() {
                        if matches!(self.kind(), TokenKind::Ident | TokenKind::Keyword(_)) {
                            self.bump();
                        } else {
                            self.missing("expected a type after ':'");
                        }
                    }
                }
                _ => break,
            }
            any = true;
        }
        if !any {
            self.missing("expected the pattern after 'with'");
        }
        self.parse_pattern = saved;
        OperatorKind::Rows(rows)
    }

    /// `graph-to-table nodes|edges [as Name] [params], ...`.
    pub(super) fn graph_to_table(&mut self) -> OperatorKind {
        let (mut rows, mut declared) = (Vec::new(), Vec::new());
        loop {
            if self.at_kw(Kw::Nodes) || self.at_kw(Kw::Edges) {
                self.bump();
            } else {
                self.missing("expected 'nodes' or 'edges' after 'graph-to-table'");
                break;
            }
            if self.eat_kw(Kw::As).is_some() {
                declared.push(self.expect_name("a name after 'as'"));
            }
            // `with_node_id=x`, `with_source_id=x`, `with_target_id=x`.
            while self.at_named() {
                let start = self.peek().span;
                let target = Expr::Name(self.name());
                self.bump();
                let value = self.parameter_value();
                rows.push(Expr::Named(Box::new(Named { target, value, span: self.span_from(start) })));
            }
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        OperatorKind::GraphToTable { rows, declared }
    }

    /// `render chart [with (properties)] [legacy properties]`.
    pub(super) fn render(&mut self) -> OperatorKind {
        if matches!(self.kind(), TokenKind::Ident | TokenKind::Keyword(_)) {
            self.bump();
        } else {
            self.missing("expected a chart type after 'render' (timechart, barchart, table...)");
            return OperatorKind::Rows(Vec::new());
        }
        OperatorKind::Rows(self.clauses())
    }

    /// `join|lookup [params] right [on conditions | where predicate]` (`on` is required by `lookup`).
    pub(super) fn join(&mut self, keyword: Kw) -> OperatorKind {
        let parameters = self.parameters();
        let right = if self.at_terminator() || self.at_kw(Kw::On) {
            self.missing(format!("expected the right side (a table or a query in '()') after '{}'", keyword.text()));
            Expr::Error(Span::empty(self.prev_end() as usize))
        } else {
            self.unary()
        };
        let mut conditions = Vec::new();
        if self.eat_kw(Kw::On).is_some() {
            conditions = self.list(Kw::On, "a join condition", "join conditions", true, &[], Self::push_declaration);
        } else if keyword == Kw::Join && self.eat_kw(Kw::Where).is_some() {
            conditions.push(self.required_expr(Kw::Where));
        } else if keyword == Kw::Lookup {
            self.missing("expected 'on' and the columns to match after the right side of 'lookup'");
        }
        OperatorKind::Join { parameters, right, conditions }
    }

    pub(super) fn union(&mut self) -> OperatorKind {
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
    pub(super) fn union_operand(&mut self) -> Expr {
        if let Some(span) = self.wildcard() {
            return Expr::Wildcard(span);
        }
        self.unary()
    }

    /// `( entity, ... )` where entities may be wildcards (`find in`, `search in`, `restrict`).
    pub(super) fn wildcard_list(&mut self) -> Vec<Expr> {
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

    pub(super) fn evaluate(&mut self) -> OperatorKind {
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
        if self.eat(TokenKind::Colon).is_some() {
            if self.at(TokenKind::LParen) {
                self.schema();
            } else {
                self.missing("expected the output schema in '()' after ':'");
            }
        }
        OperatorKind::Evaluate { parameters, plugin }
    }

    /// `fork [name =] (subquery) ...`.
    pub(super) fn fork(&mut self) -> OperatorKind {
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
    pub(super) fn parenthesized_sub_pipe(&mut self) -> Expr {
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
    pub(super) fn facet(&mut self) -> OperatorKind {
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
    pub(super) fn partition(&mut self) -> OperatorKind {
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
    pub(super) fn mv_apply(&mut self) -> OperatorKind {
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
    /// A piped `search` searches its input only (its sources are then empty).
    pub(super) fn search(&mut self, keyword: Kw, piped: bool) -> OperatorKind {
        let mut rows = self.parameters();
        let sources = if self.at_kw(Kw::In) && self.peek_at(1).kind == TokenKind::LParen {
            self.bump();
            let open = self.peek().span;
            let sources = self.wildcard_list();
            if sources.is_empty() {
                let close = Span::new(self.prev_end().saturating_sub(1) as usize, self.prev_end() as usize);
                self.report(
                    SyntaxError::new(close, format!("expected a table in the '()' after '{} in'", keyword.text()))
                        .with_label(open, "these parentheses"),
                );
            }
            Some(sources)
        } else if piped {
            Some(Vec::new())
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
    pub(super) fn make_graph(&mut self) -> OperatorKind {
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
                            rows.extend(self.keyword_parameters());
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
                _ if self.at_named() => rows.extend(self.keyword_parameters()),
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
    pub(super) fn macro_expand(&mut self) -> OperatorKind {
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
    pub(super) fn scan(&mut self) -> OperatorKind {
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
                    rows.extend(self.keyword_parameters());
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
}

/// The Damerau-Levenshtein distance (adjacent swaps count one) between two short words.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 2 || a.len() > 40 || b.len() > 40 {
        return usize::MAX;
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}
