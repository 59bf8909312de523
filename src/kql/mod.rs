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

pub use analyze::Analysis;
pub use parser::SyntaxError;

/// A query text parsed and analysed: its syntax errors and what it refers to and reads.
#[derive(Clone, Debug)]
pub struct AnalyzedQuery {
    pub errors: Vec<SyntaxError>,
    pub analysis: Analysis,
}

/// Parses and analyses one query text.
pub fn analyze_query(text: &str) -> AnalyzedQuery {
    let parsed = parser::parse_query(text);
    let analysis = analyze::analyze(text, &parsed.tokens, &parsed.block);
    AnalyzedQuery { errors: parsed.errors, analysis }
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
