//! uplint: a static analyzer for Azure Data Explorer (Kusto) update policies.

pub mod cli;
pub mod diagnostic;
pub mod discover;
pub mod kql;
pub mod render;
pub mod source;
pub mod span;
pub mod unit;
pub mod workspace;
