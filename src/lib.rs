//! uplint: a static analyzer for Azure Data Explorer (Kusto) update policies.

pub mod kql;
pub mod span;
