//! UP203: an update policy's `Source` names no table of its database.

use super::{Context, PolicyView, Rule, RuleMeta, nearest_within, sources};
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

    fn check_policy(&self, context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
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
        // Eventstream, a data connection, another repository): only a near miss is reported
        // (one edit, [`is_typo`]), so only the names of about its length are compared. The
        // policy's own table is no candidate: a table that feeds itself is UP205's.
        let own;
        let names = match context.table_names(database) {
            Some(names) => names,
            None => {
                own = TableNames::of(database);
                &own
            }
        };
        let known = names.near(source).into_iter().filter(|name| *name != view.table);
        let Some(name) = nearest_within(source, known, 1).filter(|name| is_typo(source, name)) else {
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

/// The names of the tables of a database that a Source may be a typo of: those a command
/// creates, fills or maps ([`crate::model::Database::known_tables`]) and the others the model
/// holds, by the length of their lower-cased form (a name one edit away is at most one
/// character longer or shorter). A database whose policies name many sources it does not
/// create also gets an index of the names one edit away ([`OneEdit`]): names of one length
/// can be most of a database's.
pub struct TableNames<'a> {
    by_length: Vec<(usize, &'a str)>,
    /// How many names the sources looked up were compared with.
    compared: std::sync::atomic::AtomicUsize,
    one_edit: std::sync::OnceLock<OneEdit>,
}

impl<'a> TableNames<'a> {
    pub fn of(database: &'a crate::model::Database) -> TableNames<'a> {
        let names = database
            .known_tables()
            .map(|(name, _)| &**name)
            .chain(database.tables.keys().map(|k| &**k).filter(|t| database.known_table(t).is_none()));
        TableNames::from_names(names)
    }

    fn from_names(names: impl Iterator<Item = &'a str>) -> TableNames<'a> {
        let mut by_length: Vec<(usize, &str)> = names.map(|name| (lowered_length(name), name)).collect();
        by_length.sort_unstable();
        TableNames { by_length, compared: Default::default(), one_edit: Default::default() }
    }

    /// Names to compare with `word`: every name at most one edit away from it, and some
    /// further (those whose lower-cased form is at most one character longer or shorter, or,
    /// once the database's names are indexed, those sharing a key with it).
    fn near(&self, word: &str) -> Vec<&'a str> {
        let length = lowered_length(word);
        let start = self.by_length.partition_point(|(l, _)| *l + 1 < length);
        let end = self.by_length.partition_point(|(l, _)| *l <= length + 1);
        let compared = self.compared.fetch_add(end - start, std::sync::atomic::Ordering::Relaxed);
        if self.one_edit.get().is_some() || compared + (end - start) > INDEXED_AFTER * self.by_length.len() {
            let index = self.one_edit.get_or_init(|| OneEdit::of(&self.by_length));
            return index.near(word).into_iter().map(|i| self.by_length[i as usize].1).collect();
        }
        self.by_length[start..end].iter().map(|(_, name)| *name).collect()
    }
}

/// The names of a database are indexed ([`OneEdit`]) once its sources were compared with
/// this many times as many names as it has (the index costs about that much to make).
const INDEXED_AFTER: usize = 4;

/// The names a name is one edit from, found without comparing it with every name of its
/// length: two lower-cased names at most one edit apart (a character replaced, added, dropped,
/// or two neighbours swapped) are equal once one character is dropped from one of them, or
/// from both. Each name is keyed by a hash of its lower-cased form and of each form with one
/// character dropped; a hash shared by chance only adds a name to compare.
struct OneEdit {
    /// (key, index into `by_length`), sorted.
    keys: Vec<(u32, u32)>,
}

impl OneEdit {
    fn of(names: &[(usize, &str)]) -> OneEdit {
        let mut keys = Vec::with_capacity(names.iter().map(|(length, _)| length + 1).sum());
        for (index, (_, name)) in names.iter().enumerate() {
            keys.extend(one_edit_keys(name).into_iter().map(|key| (key, index as u32)));
        }
        keys.sort_unstable();
        keys.dedup();
        OneEdit { keys }
    }

    /// The indices of the names that share a key with `word`, in order, once each.
    fn near(&self, word: &str) -> Vec<u32> {
        let mut found = Vec::new();
        for key in one_edit_keys(word) {
            let start = self.keys.partition_point(|(k, _)| *k < key);
            found.extend(self.keys[start..].iter().take_while(|(k, _)| *k == key).map(|(_, index)| *index));
        }
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// The hashes of `name` lower-cased and of each of its forms with one character dropped.
fn one_edit_keys(name: &str) -> Vec<u32> {
    use std::hash::Hasher;
    let lowered: Vec<char> = name.to_lowercase().chars().collect();
    let hash = |skip: Option<usize>| {
        let mut hasher = rustc_hash::FxHasher::default();
        for (i, c) in lowered.iter().enumerate() {
            if Some(i) != skip {
                hasher.write_u32(*c as u32);
            }
        }
        hasher.write_usize(lowered.len() - usize::from(skip.is_some()));
        hasher.finish() as u32
    };
    std::iter::once(hash(None)).chain((0..lowered.len()).map(|i| hash(Some(i)))).collect()
}

/// The number of characters of `name` lower-cased (the lengths edit distances are taken of).
fn lowered_length(name: &str) -> usize {
    if name.is_ascii() { name.len() } else { name.to_lowercase().chars().count() }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The suggestion made from the names of about the source's length, at most one edit away,
    /// is the one made from every name with the limit of [`super::super::did_you_mean`].
    #[test]
    fn suggestions_from_names_of_about_the_length_are_those_from_all_names() {
        let mut names = super::super::NEAR_NAMES.to_vec();
        names.extend(["Table1", "Table2", "Tabel1", "TelemetryRaw", "TelemetryRaws", "elemetryRaw"]);
        for skip in 0..3 {
            let candidates: Vec<&str> = names.iter().copied().skip(skip).collect();
            let index = TableNames::from_names(candidates.iter().copied());
            // The words again and again: compared with the names of about their length, then
            // (past the first lookups) looked up in the index of the names one edit away.
            let words: Vec<&str> = names.iter().copied().chain(["Evnet", "LANDIN", "Strase", "TelemetryRa"]).collect();
            for word in words.iter().cycle().take((INDEXED_AFTER + 2) * words.len()) {
                let everywhere =
                    super::super::did_you_mean(word, candidates.iter().copied()).filter(|n| is_typo(word, n));
                let near = nearest_within(word, index.near(word), 1).filter(|n| is_typo(word, n));
                assert_eq!(near, everywhere, "{word}");
            }
            assert!(index.one_edit.get().is_some());
        }
    }
}
