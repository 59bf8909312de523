//! `uplint check`: everything that is wrong with a project, in a stable order.

use crate::context::{FALLBACK_DATABASE, Reason};
use crate::diagnostic::{Diagnostic, Held, Text};
use serde::Serialize;

use std::borrow::Cow;
use std::sync::Arc;

use crate::source::FileId;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::model::changes::{DatabaseId, Recorder};
use crate::resolve::{self, Resolution};
use crate::rules::{self, Settings};
use crate::typecheck::{self, Outputs};
use crate::workspace::Workspace;

/// How many update policy entries in effect (and enabled) the check covered, and how many of
/// them could be checked only in part: they read something the project does not describe (what
/// UP007 reports), a name computed at run time, or text that does not parse (`unresolved`); or
/// everything they read is known but their output's columns or their table's are not, so their
/// output could not be compared with their table in full (`schema_unknown`: a Source table or a
/// target the scripts do not define, a plugin whose output depends on the data, a column whose
/// type is not inferred).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PolicyCounts {
    pub total: usize,
    pub fully_checked: usize,
    pub unresolved: usize,
    pub schema_unknown: usize,
}

impl PolicyCounts {
    /// The counts of the entries of `context` (every entry in effect) written in each file, in
    /// file order (files without an entry left out).
    pub fn by_file(context: &rules::Context<'_>) -> Vec<(FileId, PolicyCounts)> {
        let mut by_file: FxHashMap<FileId, PolicyCounts> = FxHashMap::default();
        for view in context.policies.iter().filter(|view| !view.is_disabled()) {
            let counts = by_file.entry(view.entry.location.file).or_default();
            counts.total += 1;
            // Fully checked: everything it reads is in the project, every text on the way
            // parses and names what it reads with constants, and its output was compared with
            // its table (an entry whose `Query` is no text has nothing more to check).
            let schema_unknown = || {
                let typed = context.typed(view);
                typecheck::verdict(typed.map(|t| t.0), typed.map(|t| t.1)) == typecheck::Verdict::Unknown
            };
            match view.unit {
                Some(_) if !view.reads_complete => counts.unresolved += 1,
                Some(_) if schema_unknown() => counts.schema_unknown += 1,
                _ => counts.fully_checked += 1,
            }
        }
        let mut by_file: Vec<(FileId, PolicyCounts)> = by_file.into_iter().collect();
        by_file.sort_unstable_by_key(|(file, _)| *file);
        by_file
    }

    /// The counts added up.
    pub fn sum<'c>(counts: impl IntoIterator<Item = &'c PolicyCounts>) -> PolicyCounts {
        counts.into_iter().fold(PolicyCounts::default(), |sum, counts| PolicyCounts {
            total: sum.total + counts.total,
            fully_checked: sum.fully_checked + counts.fully_checked,
            unresolved: sum.unresolved + counts.unresolved,
            schema_unknown: sum.schema_unknown + counts.schema_unknown,
        })
    }
}

/// The result of a check: the diagnostics and how completely the policies were checked.
#[derive(Clone, Debug, Default)]
pub struct Checked<D = Diagnostic> {
    pub diagnostics: Vec<D>,
    /// How completely the policy entries written in each file were checked, in file order
    /// (files without an entry left out): a run on named files counts theirs
    /// ([`crate::project`]).
    pub policies_by_file: Vec<(FileId, PolicyCounts)>,
}

impl<D> Checked<D> {
    /// How completely the policies of the whole workspace were checked.
    pub fn policies(&self) -> PolicyCounts {
        PolicyCounts::sum(self.policies_by_file.iter().map(|(_, counts)| counts))
    }
}

/// A check's diagnostics shared with what the check keeps for the next ([`run_shared`]).
pub type Shared = Checked<Arc<Diagnostic>>;

/// Every diagnostic of a workspace: files that could not be read, commands and queries that do
/// not parse, and every rule's findings, sorted by path, then position, then code.
pub fn check(workspace: &Workspace, settings: &Settings) -> Vec<Diagnostic> {
    run(workspace, settings).diagnostics
}

/// [`check`], with the counts of policies checked fully and in part.
pub fn run(workspace: &Workspace, settings: &Settings) -> Checked {
    // Resolving and typing read the workspace alone: on two threads when there are two.
    let (resolution, outputs) = rayon::join(|| resolve::resolve(workspace), || typecheck::check(workspace));
    finish(workspace, settings, &resolution, Cow::Owned(outputs), None)
}

/// What a check keeps for the next check of the same workspace: each policy entry's (and
/// materialized view's) resolution and typing, with what they looked up in the model.
#[derive(Debug, Default)]
pub struct Cache {
    /// The workspace and revision the results are of.
    version: Option<(u64, u64)>,
    recorder: Recorder,
    resolved: resolve::Kept,
    typed: typecheck::Kept,
    /// The rules' findings per database.
    found: rules::Kept,
    /// The settings the results were found with (as text).
    settings: String,
}

impl Cache {
    /// The resolution of the workspace last checked.
    pub fn resolution(&self) -> &Resolution {
        &self.resolved.resolution
    }
}

/// [`run`], keeping in `cache` what the next check of the same workspace can reuse: after
/// [`Workspace::set_texts`], only the policies and views that looked up something the edit
/// changed in the model are resolved and typed again. Gives exactly what [`run`] gives.
pub fn run_cached(workspace: &Workspace, settings: &Settings, cache: &mut Cache) -> Checked {
    let shared = run_shared(workspace, settings, cache);
    Checked {
        diagnostics: shared.diagnostics.iter().map(|d| (**d).clone()).collect(),
        policies_by_file: shared.policies_by_file,
    }
}

/// [`run_cached`] with the diagnostics shared with `cache` (not copied).
pub fn run_shared(workspace: &Workspace, settings: &Settings, cache: &mut Cache) -> Shared {
    let (id, revision) = workspace.version();
    let settings_text = format!("{settings:?}");
    let changes = match cache.version {
        Some((cached, from)) if cached == id && cache.settings == settings_text => {
            workspace.changes_since(from).filter(|c| !c.all)
        }
        _ => None,
    };
    cache.settings = settings_text;
    cache.recorder.start();
    let changed_databases: Option<FxHashSet<DatabaseId>> =
        changes.as_ref().map(|c| c.parts.iter().map(|(database, _)| database.clone()).collect());
    let touched = match &changes {
        Some(changes) => cache.recorder.touched(changes),
        None => {
            cache.resolved = resolve::Kept::default();
            cache.typed = typecheck::Kept::default();
            FxHashSet::default()
        }
    };
    let mut recomputed = resolve::resolve_kept(workspace, &mut cache.resolved, Some(&touched), &mut cache.recorder);
    recomputed.extend(typecheck::check_kept(workspace, &mut cache.typed, Some(&touched), &mut cache.recorder));
    cache.version = Some((id, revision));
    let outputs = Cow::Borrowed(&cache.typed.outputs);
    let changed = changes.as_ref().zip(changed_databases.as_ref()).map(|(changes, databases)| rules::Changed {
        parts: &changes.parts,
        databases,
        policies: &recomputed,
    });
    let kept = Some((&mut cache.found, changed));
    finish(workspace, settings, &cache.resolved.resolution, outputs, kept)
}

/// The check of a workspace whose policies are resolved and typed.
fn finish<D: Held + Clone + Send + Sync>(
    workspace: &Workspace,
    settings: &Settings,
    resolution: &Resolution,
    outputs: Cow<'_, Outputs>,
    kept: Option<(&mut rules::Kept<D>, Option<rules::Changed<'_>>)>,
) -> Checked<D> {
    let mut problems: Vec<D> = workspace.diagnostics.iter().cloned().map(D::from).collect();
    for unit in &workspace.units {
        problems.extend(unit.diagnostics().into_iter().map(D::from));
    }
    let context = rules::Context::with_outputs(workspace, resolution, settings, outputs);
    let policies_by_file = PolicyCounts::by_file(&context);
    let mut diagnostics = rules::run_in(&context, kept);
    // The rules' context (every entry's view and typed output) is freed beside the rest.
    let ((), ()) = rayon::join(
        move || drop(context),
        || {
            // Each file's note made once, shared by its findings.
            let mut notes: FxHashMap<FileId, Option<Text>> = FxHashMap::default();
            for diagnostic in &mut diagnostics {
                let file = diagnostic.as_ref().primary.file;
                let note = notes.entry(file).or_insert_with(|| default_database_note(workspace, file));
                if note.is_none() {
                    continue;
                }
                if diagnostic.as_ref().file_note != *note {
                    // A finding kept for the next check is copied: the note is set on each check.
                    diagnostic.to_mut().file_note.clone_from(note);
                }
                if let Some(mixed) = unmapped_folders_note(workspace, diagnostic.as_ref()) {
                    // (A finding kept from the last check has it already.)
                    if !diagnostic.as_ref().notes.iter().any(|n| *n == mixed) {
                        diagnostic.to_mut().notes.push(mixed.into());
                    }
                }
            }
            // The load problems and syntax errors go before the rules' findings, in the rules'
            // list (one list of findings held, not two: a project can have many).
            diagnostics.splice(0..0, problems);
            sort(workspace, &mut diagnostics);
        },
    );
    Checked { diagnostics, policies_by_file }
}

/// Sorts diagnostics by file, start, code and message, keeping the order they came in among
/// equals, without the scratch copy a stable sort makes: each is sorted with its position.
fn sort<D: Held>(workspace: &Workspace, diagnostics: &mut [D]) {
    let sources = &workspace.sources;
    // Each file's rank by its path as shown (equal paths share one), so that the sort compares
    // numbers, not paths, and each diagnostic's rank and start are read once.
    let mut files: Vec<FileId> = diagnostics.iter().map(|d| d.as_ref().primary.file).collect();
    files.sort_unstable();
    files.dedup();
    files.sort_by(|a, b| sources.get(*a).display.cmp(&sources.get(*b).display));
    let mut ranks: FxHashMap<FileId, u32> = FxHashMap::default();
    let mut rank = 0;
    for (k, file) in files.iter().enumerate() {
        if k > 0 && sources.get(files[k - 1]).display != sources.get(*file).display {
            rank += 1;
        }
        ranks.insert(*file, rank);
    }
    let key = |d: &Diagnostic| (ranks.get(&d.primary.file).copied().unwrap_or_default(), d.primary.span.start);
    let mut order: Vec<(u32, u32, u32)> = diagnostics
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let (rank, start) = key(d.as_ref());
            (rank, start, i as u32)
        })
        .collect();
    order.sort_unstable_by(|x, y| {
        (x.0, x.1).cmp(&(y.0, y.1)).then_with(|| {
            let (a, b) = (diagnostics[x.2 as usize].as_ref(), diagnostics[y.2 as usize].as_ref());
            a.code.code.cmp(b.code.code).then(a.message.cmp(&b.message)).then(x.2.cmp(&y.2))
        })
    });
    let mut order: Vec<u32> = order.into_iter().map(|(_, _, i)| i).collect();
    // Moved into place along the cycles of the permutation: position `k` takes the diagnostic
    // at `order[k]`.
    for start in 0..order.len() {
        let mut k = start;
        while order[k] as usize != start {
            let next = order[k] as usize;
            diagnostics.swap(k, next);
            order[k] = k as u32;
            k = next;
        }
        order[k] = k as u32;
    }
}

/// True when nothing maps `file` to a database (its commands run against `default`).
fn names_no_database(workspace: &Workspace, file: crate::source::FileId) -> bool {
    workspace.context(file).is_some_and(|context| context.database_reason == Reason::Default)
}

/// The note of a file that nothing maps to a database, put on its findings: its commands ran
/// against `default`, which is rarely what the project means, and how to map it.
fn default_database_note(workspace: &Workspace, file: FileId) -> Option<Text> {
    if !names_no_database(workspace, file) {
        return None;
    }
    let path = &workspace.sources.get(file).display;
    Some(Text::from(format!(
        "`{path}` names no database (no `#connect`, no `[[databases]]` entry in uplint.toml, no folder named \
         after a database), so its commands run against database `{FALLBACK_DATABASE}`; map it with \
         `#connect cluster('<cluster>').database('<database>')` at its top or a `[[databases]]` entry \
         with `name` and `paths` in uplint.toml"
    )))
}

/// The note of a finding in a file that nothing maps whose evidence is in a file of another
/// folder that nothing maps either: both ran against `default`, which mixes two databases when
/// the folders stand for two (a folder per database, or unrelated projects checked together).
fn unmapped_folders_note(workspace: &Workspace, diagnostic: &Diagnostic) -> Option<String> {
    let folder = |file: FileId| workspace.sources.get(file).path.parent();
    let here = diagnostic.primary.file;
    let other = diagnostic
        .labels
        .iter()
        .map(|label| label.file)
        .find(|&file| file != here && folder(file) != folder(here) && names_no_database(workspace, file))?;
    let path = &workspace.sources.get(other).display;
    Some(format!(
        "this finding also rests on `{path}`, in another folder that nothing maps either, so both ran against \
         database `{FALLBACK_DATABASE}`: if the two folders are two databases (or two projects), it may come from \
         mixing them; map each folder with a `[[databases]]` entry (`name` and `paths`) in uplint.toml"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::{LoadOptions, from_texts};

    /// A policy whose output was compared with its table, one that reads a function the project
    /// does not define, and one whose Source table (and so its output) the scripts do not
    /// describe: each counted as what it is, the last not as fully checked.
    #[test]
    fn a_policy_whose_output_could_not_be_compared_is_not_counted_as_fully_checked() {
        let script = r#"
.create table Raw (a:string)
.create table Known (a:string)
.create table Unresolved (a:string)
.create table Unverified (a:string)
.alter table Known policy update @'[{"Source": "Raw", "Query": "Raw | project a", "IsEnabled": true}]'
.alter table Unresolved policy update @'[{"Source": "Raw", "Query": "Missing()", "IsEnabled": true}]'
.alter table Unverified policy update @'[{"Source": "Outside", "Query": "Outside | project a", "IsEnabled": true}]'
.alter table Raw policy update @'[{"Source": "Outside", "Query": "Outside", "IsEnabled": false}]'
"#;
        let workspace = from_texts(&[("a.kql", script)], &LoadOptions::default());
        let counts = run(&workspace, &Settings::default()).policies();
        assert_eq!(counts, PolicyCounts { total: 3, fully_checked: 1, unresolved: 1, schema_unknown: 1 });
    }

    /// A finding in a file that nothing maps, whose evidence is in another folder that nothing
    /// maps either, says that the two were put in one database (they may be two); evidence in
    /// the same folder, or in a folder that `#connect` maps, adds nothing.
    #[test]
    fn a_finding_that_rests_on_another_unmapped_folder_says_so() {
        let table = ".create table Events (a:string)\n";
        let policy = ".create table Raw (a:long)\n.alter table Events policy update @'[{\"Source\": \"Raw\", \"Query\": \"Raw\", \"IsTransactional\": true, \"IsEnabled\": true}]'\n";
        let mixed = |files: &[(&str, &str)]| -> Vec<(&'static str, bool)> {
            let workspace = from_texts(files, &LoadOptions::default());
            let said = |d: &Diagnostic| d.notes.iter().any(|n| n.contains("another folder that nothing maps either"));
            check(&workspace, &Settings::default()).iter().map(|d| (d.code.code, said(d))).collect()
        };
        assert_eq!(mixed(&[("sales/tables.kql", table), ("telemetry/policies.kql", policy)]), [("UP301", true)]);
        assert_eq!(mixed(&[("sales/tables.kql", table), ("sales/policies.kql", policy)]), [("UP301", false)]);
        let connected = format!("#connect cluster('c').database('Db')\n{table}");
        let policy = format!("#connect cluster('c').database('Db')\n{policy}");
        assert_eq!(mixed(&[("sales/tables.kql", &connected), ("telemetry/policies.kql", &policy)]), [("UP301", false)]);
    }
}
