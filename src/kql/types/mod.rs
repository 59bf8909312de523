//! Types: scalar types, tabular schemas and the output schema of a query.
//!
//! * [`scalar`]: Kusto's scalar types and their aliases.
//! * [`builtin`] and the generated [`builtin_table`]: every built-in function's and aggregate's
//!   signatures, return-type rule and result name, from Kusto.Language's function table
//!   (`tools/gen_builtin_types.js` regenerates it).
//! * [`schema`]: columns and tables, possibly open ("unknown" is an answer, never a guess).
//! * [`infer`]: the engine that walks a query's syntax tree with a row scope and computes its
//!   output schema, asking an [`infer::Environment`] for tables and stored functions.

pub mod builtin;
#[rustfmt::skip]
pub mod builtin_table;
pub mod infer;
pub mod scalar;
pub mod schema;

pub use infer::{EntityKind, EntityRef, Environment, Inference, NoEnvironment, TYPED_PLUGINS, Value};
pub use scalar::ScalarType;
pub use schema::{Column, Origin, TableType};

use super::parser;

/// The output schema of a query text, tables and functions resolved by `env` (`None` when the
/// query has no tabular result).
pub fn query_schema(text: &str, env: &mut dyn Environment) -> Option<TableType> {
    let parsed = parser::parse_query(text);
    let mut inference = Inference::new(text, &parsed.tokens, 0, env);
    match inference.block(&parsed.block)? {
        Value::Table(t) => Some(t),
        Value::Scalar(_) => None,
    }
}

#[cfg(test)]
mod tests;
