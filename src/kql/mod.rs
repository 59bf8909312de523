//! KQL: lexer, parser and reference analysis of one query text.

pub mod analyze;
pub mod ast;
pub mod builtins;
pub mod keywords;
pub mod lexer;
pub mod parser;
pub mod references;
pub mod strings;
pub mod token;
pub mod types;

pub use analyze::Analysis;
pub use parser::SyntaxError;
pub use token::Tokens;

/// A query text parsed and analysed: its syntax errors and what it refers to and reads. Kept
/// for the whole run, one per distinct unit text (72 bytes; the errors and parameters, which
/// most texts lack, boxed with the analysis's rare lists).
#[derive(Clone, Default)]
pub struct AnalyzedQuery {
    pub analysis: Analysis,
}

impl AnalyzedQuery {
    fn new(errors: Vec<SyntaxError>, analysis: Analysis, parameters: Vec<FunctionParameter>) -> AnalyzedQuery {
        AnalyzedQuery { analysis: analysis.with(errors, parameters) }
    }

    /// The syntax errors.
    pub fn errors(&self) -> &[SyntaxError] {
        self.analysis.errors()
    }

    /// The parameters, for a function declaration (empty for a query).
    pub fn parameters(&self) -> &[FunctionParameter] {
        self.analysis.parameters()
    }
}

impl std::fmt::Debug for AnalyzedQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnalyzedQuery")
            .field("errors", &self.errors())
            .field("analysis", &self.analysis)
            .field("parameters", &self.parameters())
            .finish()
    }
}

/// A parameter of a function declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionParameter {
    pub name: String,
    /// `T:(*)` or `T:(col:type, ...)`.
    pub tabular: bool,
    /// The type as written (`string`, `(*)`).
    pub type_text: String,
    pub has_default: bool,
}

/// Parses and analyses a function declaration `(params) { body }` (the text after the name in
/// `.create function F(...) {...}`), its parameters bound to unknown values.
pub fn analyze_function(text: &str) -> AnalyzedQuery {
    analyze_function_tokens(text, Tokens::of(&lexer::lex(text)))
}

/// [`analyze_function`] of a text already lexed (`tokens`: its own or its run of its file's).
pub fn analyze_function_tokens(text: &str, tokens: Tokens<'_>) -> AnalyzedQuery {
    let (function, errors) = parser::parse_function_tokens(text, tokens);
    let analysis = analyze::analyze_function_tokens(text, tokens, &function, &[]);
    let parameters = function
        .parameters
        .iter()
        .map(|p| FunctionParameter {
            name: p.name.text(text).to_string(),
            tabular: p.tabular,
            type_text: p.type_span.of(text).to_string(),
            has_default: p.default.is_some(),
        })
        .collect();
    AnalyzedQuery::new(errors, analysis, parameters)
}

/// Parses and analyses a body in braces `{ ... }` (a materialized view's query).
pub fn analyze_body(text: &str) -> AnalyzedQuery {
    analyze_body_tokens(text, Tokens::of(&lexer::lex(text)))
}

/// [`analyze_body`] of a text already lexed (`tokens`: its own or its run of its file's).
pub fn analyze_body_tokens(text: &str, tokens: Tokens<'_>) -> AnalyzedQuery {
    let (block, errors) = parser::parse_function_body_tokens(text, tokens);
    let analysis = analyze::analyze_tokens(text, tokens, &block);
    AnalyzedQuery::new(errors, analysis, Vec::new())
}

/// Parses and analyses one query text.
pub fn analyze_query(text: &str) -> AnalyzedQuery {
    analyze_query_tokens(text, Tokens::of(&lexer::lex(text)))
}

/// [`analyze_query`] of a text already lexed (`tokens`: its own or its run of its file's).
pub fn analyze_query_tokens(text: &str, tokens: Tokens<'_>) -> AnalyzedQuery {
    let (block, errors) = parser::parse_query_tokens(text, tokens);
    let analysis = analyze::analyze_tokens(text, tokens, &block);
    AnalyzedQuery::new(errors, analysis, Vec::new())
}

/// True when the first token of `text` (after directives) is `.`: a management command, not a
/// query.
pub fn starts_with_command(text: &str) -> bool {
    let mut rest = lexer::skip_trivia(text);
    while rest.starts_with('#') {
        rest = lexer::skip_trivia(rest.find(['\n', '\r']).map_or("", |end| &rest[end..]));
    }
    rest.starts_with('.')
}
