//! UP203: an update policy's `Source` names no table of its database.

use super::{Context, PolicyView, Rule, RuleMeta, did_you_mean, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::model::changes::{DatabaseId, Part};
use rustc_hash::FxHashSet;

pub struct UnknownSourceTable;

static META: RuleMeta = RuleMeta {
    code: "UP203",
    name: "unknown-source-table",
    severity: Severity::Error,
    summary: "An update policy's Source names no table of the policy's database (checked when the project defines that database's tables).",
    doc: include_str!("../../rules/UP203-unknown-source-table.md"),
    sources: &[sources::UPDATE_POLICY, sources::ENTITY_NAMES],
};

impl Rule for UnknownSourceTable {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_policy(&self) -> bool {
        true
    }

    /// Its suggestion is any table of the database (and where it is created): found again
    /// after any change of the database.
    fn keeps_policy(&self, changes: &FxHashSet<(DatabaseId, Part)>, view: &PolicyView<'_>) -> bool {
        if changes.is_empty() {
            return true;
        }
        let own = view.database_id();
        !changes.iter().any(|(database, _)| *database == own)
    }

    fn check_policy(&self, _context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        let Some((source, span)) = view.source() else { return };
        let database = view.database;
        if view.is_disabled()
            || source.is_empty()
            || source.contains('*')
            || view.source_is_wildcard()
            || !database.defines_tables()
            || database.knows_table(source)
            || database.materialized_views.contains_key(source)
            || database.external_tables.contains_key(source)
        {
            return;
        }
        // A name near no table of the project may be a table made outside the scripts (an
        // Eventstream, a data connection, another repository): only a near miss is reported.
        // The policy's own table is no candidate: a table that feeds itself is UP205's.
        let known = database
            .known_tables()
            .map(|(name, _)| &**name)
            .chain(database.tables.keys().map(|k| &**k).filter(|t| database.known_table(t).is_none()))
            .filter(|name| *name != view.table);
        let Some(name) = did_you_mean(source, known).filter(|name| is_typo(source, name)) else {
            return;
        };
        let mut diagnostic = META.diagnostic(
            format!(
                "the Source `{source}` of the update policy of `{}` is not a table of database `{}`; did you mean `{name}`?",
                view.target(),
                database.name
            ),
            Label::new(view.entry.location.file, span, format!("no table `{source}`; did you mean `{name}`?")),
        );
        let location = database
            .known_table(name)
            .or_else(|| database.tables.get(name).and_then(|t| t.update_policy.commands.first().copied()));
        if let Some(location) = location {
            diagnostic =
                diagnostic.with_label(Label::new(location.file, location.span, format!("`{name}` is created here")));
        }
        out.push(
            diagnostic
                .with_note(META.cite(
                    format!(
                        "the Source table must exist in the policy's database `{}`, and table names are case-sensitive",
                        database.name
                    ),
                    sources::UPDATE_POLICY,
                ))
                .with_help(format!("\"Source\": \"{name}\"")),
        );
    }
}

/// True when `written` is a typo of the table `name`: one edit (letter case aside: a letter
/// missing, added or changed, or two letters swapped), in a name of at least 4 letters (`Q` and
/// `A` are distinct tables), and not a difference of digits only (`Events1`, `Events2`).
/// `ActivityLogsRaw` and `ActivityLogs`, `MyRawTable` and `rawTable`, are distinct tables.
fn is_typo(written: &str, name: &str) -> bool {
    written.chars().count() >= 4
        && super::edit_distance(&written.to_lowercase(), &name.to_lowercase()) <= 1
        && !differ_in_digits_only(written, name)
}

/// `Table1` and `Table2`: distinct tables more often than a typo.
fn differ_in_digits_only(a: &str, b: &str) -> bool {
    let strip = |s: &str| s.chars().filter(|c| !c.is_ascii_digit()).collect::<String>();
    a != b && strip(a) == strip(b)
}
