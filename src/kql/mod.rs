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

/// A query text parsed and analysed: its syntax errors and what it refers to and reads.
#[derive(Clone, Debug, Default)]
pub struct AnalyzedQuery {
    pub errors: Box<[SyntaxError]>,
    pub analysis: Analysis,
    /// The parameters, for a function declaration (empty for a query).
    pub parameters: Box<[FunctionParameter]>,
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
    AnalyzedQuery { errors: errors.into_boxed_slice(), analysis, parameters }
}

/// Parses and analyses a body in braces `{ ... }` (a materialized view's query).
pub fn analyze_body(text: &str) -> AnalyzedQuery {
    analyze_body_tokens(text, Tokens::of(&lexer::lex(text)))
}

/// [`analyze_body`] of a text already lexed (`tokens`: its own or its run of its file's).
pub fn analyze_body_tokens(text: &str, tokens: Tokens<'_>) -> AnalyzedQuery {
    let (block, errors) = parser::parse_function_body_tokens(text, tokens);
    let analysis = analyze::analyze_tokens(text, tokens, &block);
    AnalyzedQuery { errors: errors.into_boxed_slice(), analysis, parameters: Box::default() }
}

/// Parses and analyses one query text.
pub fn analyze_query(text: &str) -> AnalyzedQuery {
    analyze_query_tokens(text, Tokens::of(&lexer::lex(text)))
}

/// [`analyze_query`] of a text already lexed (`tokens`: its own or its run of its file's).
pub fn analyze_query_tokens(text: &str, tokens: Tokens<'_>) -> AnalyzedQuery {
    let (block, errors) = parser::parse_query_tokens(text, tokens);
    let analysis = analyze::analyze_tokens(text, tokens, &block);
    AnalyzedQuery { errors: errors.into_boxed_slice(), analysis, parameters: Box::default() }
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
