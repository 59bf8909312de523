//! KQL: lexer, parser and reference analysis of one query text.

pub mod builtins;
pub mod keywords;
pub mod lexer;
pub mod strings;
pub mod token;
pub mod ast;
pub mod parser;
pub mod analyze;
pub mod references;
