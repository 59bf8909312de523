//! UP206: an `.alter` replaces update policy entries that an earlier command set, or an
//! `.alter-merge` adds an entry that is already there.

use super::{Context, Rule, RuleMeta, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::model::{Database, UpdatePolicyEntry};
use crate::script::command::PolicyVerb;

pub struct PolicyReplaced;

static META: RuleMeta = RuleMeta {
    code: "UP206",
    name: "policy-replaced",
    severity: Severity::Warning,
    summary: "An `.alter table T policy update` silently drops entries that an earlier command set, or an `.alter-merge` adds an entry identical to an existing one.",
    doc: include_str!("../../rules/UP206-policy-replaced.md"),
    sources: &[sources::ALTER_TABLE_UPDATE_POLICY, sources::ALTER_MERGE_TABLE_UPDATE_POLICY],
};

impl Rule for PolicyReplaced {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_database(&self) -> bool {
        true
    }

    fn check_database(&self, _context: &Context<'_>, database: &Database, out: &mut Vec<Diagnostic>) {
        for (table, t) in &database.tables {
            let mut current: Vec<&UpdatePolicyEntry> = Vec::new();
            for change in &t.update_policy.history {
                match change.verb {
                    PolicyVerb::Delete => current.clear(),
                    PolicyVerb::Alter => {
                        let dropped: Vec<&UpdatePolicyEntry> = current
                            .iter()
                            .copied()
                            .filter(|old| !change.entries.iter().any(|new| source(new) == source(old)))
                            .collect();
                        // `[]` clears the policy on purpose.
                        if let (false, Some(first)) = (dropped.is_empty(), change.entries.first()) {
                            out.push(replaced(database, table, first, &dropped, &change.entries));
                        }
                        current = change.entries.iter().collect();
                    }
                    PolicyVerb::AlterMerge => {
                        for new in &change.entries {
                            if let Some(old) = current.iter().find(|old| same_entry(old, new)) {
                                out.push(duplicate(database, table, new, old));
                            }
                            current.push(new);
                        }
                    }
                }
            }
        }
    }
}

fn source(entry: &UpdatePolicyEntry) -> Option<&str> {
    entry.json.member("Source").and_then(|m| m.value.as_str())
}

fn query(entry: &UpdatePolicyEntry) -> Option<&str> {
    entry.json.member("Query").and_then(|m| m.value.as_str()).map(str::trim)
}

/// Two entries that run the same query on the same source: each ingestion makes its rows twice.
fn same_entry(a: &UpdatePolicyEntry, b: &UpdatePolicyEntry) -> bool {
    source(a).is_some() && source(a) == source(b) && query(a).is_some() && query(a) == query(b)
}

fn table_name(table: &str, entry: &UpdatePolicyEntry) -> String {
    match &entry.database_written {
        Some(written) => super::qualified(written, table),
        None => super::bracketed(table),
    }
}

fn replaced(
    database: &Database,
    table: &str,
    first: &UpdatePolicyEntry,
    dropped: &[&UpdatePolicyEntry],
    entries: &[UpdatePolicyEntry],
) -> Diagnostic {
    let mut sources: Vec<String> = Vec::new();
    for entry in dropped {
        let name = format!("`{}`", source(entry).unwrap_or("?"));
        if !sources.contains(&name) {
            sources.push(name);
        }
    }
    let mut diagnostic = META.diagnostic(
        format!(
            "this `.alter` replaces the update policy of `{}.{table}` and drops the entr{} for Source {} set earlier",
            database.name,
            if dropped.len() == 1 { "y" } else { "ies" },
            sources.join(", ")
        ),
        Label::new(first.location.file, first.location.span, "the policy becomes only this command's entries"),
    );
    for old in dropped {
        diagnostic = diagnostic.with_label(Label::new(old.location.file, old.location.span, "this entry is dropped"));
    }
    let all: Vec<serde_json::Value> = dropped.iter().copied().chain(entries).map(|e| e.json.to_plain()).collect();
    let json = serde_json::Value::Array(all).to_string().replace('\'', "''");
    diagnostic
        .with_note(META.cite(
            "`.alter table ... policy update` replaces the whole policy; `.alter-merge` appends entries",
            sources::ALTER_TABLE_UPDATE_POLICY,
        ))
        .with_help(format!(".alter table {} policy update @'{json}'", table_name(table, first)))
}

fn duplicate(database: &Database, table: &str, new: &UpdatePolicyEntry, old: &UpdatePolicyEntry) -> Diagnostic {
    META.diagnostic(
        format!(
            "this `.alter-merge` adds to the update policy of `{}.{table}` an entry it already has (Source `{}`)",
            database.name,
            source(new).unwrap_or("?")
        ),
        Label::new(new.location.file, new.location.span, "the same Source and Query again"),
    )
    .with_label(Label::new(old.location.file, old.location.span, "already in the policy from here"))
    .with_note(META.cite(
        "`.alter-merge` does not de-duplicate entries: each ingestion into the Source then appends its rows twice",
        sources::ALTER_MERGE_TABLE_UPDATE_POLICY,
    ))
    .with_help("remove this `.alter-merge`, or use `.alter` to set the whole policy")
}
