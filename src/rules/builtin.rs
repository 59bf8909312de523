//! The codes uplint raises itself rather than through a rule: text that does not parse, files
//! that cannot be read. They have metadata and pages like the rules (`uplint rule UP901`), so
//! every code uplint can print is documented.
//!
//! To add one: a [`Code`](crate::diagnostic::Code) constant in [`crate::diagnostic`] for the
//! code that raises it, a [`RuleMeta`] here built from it, its page in `rules/`, and an entry in
//! [`CODES`] (kept in code order).

use super::{RuleMeta, sources};
use crate::diagnostic::{
    INVALID_SUPPRESSION, SYNTAX_ERROR, Severity, UNLABELLED_KUSTO_BLOCK, UNREADABLE_FILE, UNUSED_SUPPRESSION,
};

/// `UP901`: a command, a query or a policy payload that does not parse.
pub static SYNTAX_ERROR_META: RuleMeta = RuleMeta {
    code: SYNTAX_ERROR.code,
    name: SYNTAX_ERROR.name,
    severity: Severity::Error,
    summary: "A command, a KQL query or a policy's JSON does not parse.",
    doc: include_str!("../../rules/UP901-syntax-error.md"),
    sources: &[
        sources::KQL_OVERVIEW,
        sources::ALTER_TABLE_UPDATE_POLICY,
        sources::STRING_LITERALS,
        sources::INGEST_WITH_MANAGED_IDENTITY,
    ],
};

/// `UP902`: a file that could not be read.
pub static UNREADABLE_FILE_META: RuleMeta = RuleMeta {
    code: UNREADABLE_FILE.code,
    name: UNREADABLE_FILE.name,
    severity: Severity::Error,
    summary: "A script file could not be read: missing, unreadable, not UTF-8, or too large.",
    doc: include_str!("../../rules/UP902-unreadable-file.md"),
    sources: &[sources::EXECUTE_DATABASE_SCRIPT],
};

/// `UP903`: a suppression comment that silenced nothing.
pub static UNUSED_SUPPRESSION_META: RuleMeta = RuleMeta {
    code: UNUSED_SUPPRESSION.code,
    name: UNUSED_SUPPRESSION.name,
    severity: Severity::Warning,
    summary: "A suppression comment (`// uplint: allow(...)`) silenced nothing.",
    doc: include_str!("../../rules/UP903-unused-suppression.md"),
    sources: &[sources::KQL_OVERVIEW, sources::ALTER_TABLE_UPDATE_POLICY],
};

/// `UP904`: a suppression comment that is malformed or names an unknown code.
pub static INVALID_SUPPRESSION_META: RuleMeta = RuleMeta {
    code: INVALID_SUPPRESSION.code,
    name: INVALID_SUPPRESSION.name,
    severity: Severity::Warning,
    summary: "A suppression comment is malformed, names an unknown code, or lacks a required reason.",
    doc: include_str!("../../rules/UP904-invalid-suppression.md"),
    sources: &[sources::KQL_OVERVIEW],
};

/// `UP905`: a Markdown code block without a language that starts with a Kusto command.
pub static UNLABELLED_KUSTO_BLOCK_META: RuleMeta = RuleMeta {
    code: UNLABELLED_KUSTO_BLOCK.code,
    name: UNLABELLED_KUSTO_BLOCK.name,
    severity: Severity::Info,
    summary: "A Markdown code block has no language and starts with a Kusto command: it is not read.",
    doc: include_str!("../../rules/UP905-unlabelled-kusto-block.md"),
    sources: &[sources::KQL_OVERVIEW, sources::EXECUTE_DATABASE_SCRIPT],
};

/// Every code uplint raises itself, in code order.
pub static CODES: &[&RuleMeta] = &[
    &SYNTAX_ERROR_META,
    &UNREADABLE_FILE_META,
    &UNUSED_SUPPRESSION_META,
    &INVALID_SUPPRESSION_META,
    &UNLABELLED_KUSTO_BLOCK_META,
];
