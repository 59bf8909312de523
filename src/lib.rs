//! uplint: a static analyzer for Azure Data Explorer (Kusto) update policies.
//!
//! # Architecture
//!
//! Data flows one way; each stage is a module, and each arrow a function from one plain value
//! to the next:
//!
//! ```text
//! paths ─discover─▶ files ─source::load─▶ SourceMap ─unit─▶ Units ─render─▶ human | json
//!                                                      │
//!                                   kql: lexer ▶ parser ▶ analyze
//! ```
//!
//! * [`discover`]: which files to read (explicit files, Kusto scripts under directories).
//! * [`source`]: the files' text ([`source::SourceMap`], which codespan-reporting reads),
//!   loading with its failures (`UP902`), and byte offsets to lines and columns.
//! * [`unit`](mod@unit): the pieces of KQL to analyse, each with an offset map to its file, because a
//!   unit's text may be a decoded string literal.
//! * [`kql`]: one query text in, references out. [`kql::lexer`] (nom) makes tokens with byte
//!   spans; [`kql::parser`] builds a [`kql::ast`] tree that keeps every place a table can be
//!   named and recovers from syntax errors; [`kql::analyze`] walks it with `let` scopes and
//!   returns references as written and what the query reads ([`kql::references`]).
//!   [`kql::strings`] decodes literals with a map back to source bytes.
//! * [`workspace`]: the loading stages together (discover, load, units) for one run.
//! * [`diagnostic`]: problems as plain data (code, severity, labels, notes, help).
//! * [`render`]: reports and diagnostics to text (codespan-reporting) and JSON.
//! * [`cli`]: arguments to a library call to an exit status; `main.rs` only calls it.
//!
//! # Invariants
//!
//! * A span is a byte range in one text; lines and columns exist only when rendering.
//! * Parsing never fails as a whole: it returns what it understood and its syntax errors, and
//!   nests no deeper than [`kql::parser::MAX_DEPTH`], so no input exhausts the stack.
//! * Text inside a string literal is decoded once, with a map back to source bytes.
//! * Output is deterministic: units, references and reads come out in a fixed order.
//! * Nothing reaches back up the chain: the KQL front end knows nothing of files or policies,
//!   renderers know nothing of how diagnostics were found.

pub mod cli;
pub mod diagnostic;
pub mod discover;
pub mod kql;
pub mod model;
pub mod render;
pub mod script;
pub mod source;
pub mod span;
pub mod unit;
pub mod workspace;
