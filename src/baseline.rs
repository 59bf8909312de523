//! Baselines: the findings of a project recorded once (`--write-baseline FILE`) so that later
//! runs (`--baseline FILE`) report only new ones. Entries are keyed without line numbers, by
//! code, file, entity (the kind of command the finding is in) and message, so that editing
//! other parts of a file does not bring old findings back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Subject};
use crate::script::Item;
use crate::workspace::Workspace;

/// The version of the baseline file format.
pub const VERSION: u32 = 1;

/// A baseline file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub entries: Vec<Entry>,
}

/// One recorded finding (with how many identical ones there were).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    pub code: String,
    pub path: String,
    /// What the finding is about: the update policy entry (`update policy entry Sales.Orders[0]`),
    /// else the command words (`alter table policy update`), `query` for query text, `file` for
    /// the file as a whole.
    pub entity: String,
    pub message: String,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub count: usize,
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

/// The entity a diagnostic is in (see [`Entry::entity`]).
fn entity(workspace: &Workspace, diagnostic: &Diagnostic) -> String {
    if let Some(Subject::UpdatePolicyEntry { database, table, index, .. }) = diagnostic.subject.as_deref() {
        return format!("update policy entry {database}.{table}[{index}]");
    }
    let at = diagnostic.primary.span.start;
    let script = workspace.scripts.iter().find(|(id, _)| *id == diagnostic.primary.file).map(|(_, s)| s);
    let Some(script) = script else { return "file".to_string() };
    let item = script.items.iter().find(|item| {
        let span = match item {
            Item::Command { command: c, .. } => c.span,
            Item::Taken { span, .. } | Item::Query(span) => *span,
            Item::Connect(c) => c.span,
        };
        span.start <= at && at < span.end.max(span.start + 1)
    });
    match item {
        Some(Item::Query(_)) => "query".to_string(),
        Some(Item::Connect(_)) => "connect".to_string(),
        Some(command) => script.command_of(command).map_or_else(String::new, |(_, words)| words.to_string()),
        None => "file".to_string(),
    }
}

fn key(workspace: &Workspace, d: &Diagnostic) -> (String, String, String, String) {
    (
        d.code.code.to_string(),
        workspace.sources.get(d.primary.file).display.clone(),
        entity(workspace, d),
        d.message.to_string(),
    )
}

impl Baseline {
    /// The baseline of these diagnostics.
    pub fn of(workspace: &Workspace, diagnostics: &[Diagnostic]) -> Baseline {
        let mut counts: BTreeMap<(String, String, String, String), usize> = BTreeMap::new();
        for d in diagnostics {
            *counts.entry(key(workspace, d)).or_default() += 1;
        }
        let entries = counts
            .into_iter()
            .map(|((code, path, entity, message), count)| Entry { code, path, entity, message, count })
            .collect();
        Baseline { version: VERSION, entries }
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    pub fn from_json(text: &str) -> Result<Baseline, String> {
        let baseline: Baseline = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if baseline.version != VERSION {
            return Err(format!("baseline version {} is not supported (expected {VERSION})", baseline.version));
        }
        Ok(baseline)
    }

    /// Hides the diagnostics the baseline records. Returns the new ones, how many were hidden,
    /// and how many recorded findings no longer occur.
    pub fn filter(&self, workspace: &Workspace, diagnostics: Vec<Diagnostic>) -> Filtered {
        let mut remaining: BTreeMap<(String, String, String, String), usize> = BTreeMap::new();
        for e in &self.entries {
            *remaining.entry((e.code.clone(), e.path.clone(), e.entity.clone(), e.message.clone())).or_default() +=
                e.count;
        }
        let mut hidden = 0;
        let mut kept = Vec::new();
        for d in diagnostics {
            match remaining.get_mut(&key(workspace, &d)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    hidden += 1;
                }
                _ => kept.push(d),
            }
        }
        Filtered { diagnostics: kept, hidden, gone: remaining.values().sum() }
    }
}

/// The outcome of [`Baseline::filter`].
#[derive(Debug)]
pub struct Filtered {
    pub diagnostics: Vec<Diagnostic>,
    /// Diagnostics hidden because the baseline records them.
    pub hidden: usize,
    /// Recorded findings that did not occur in this run.
    pub gone: usize,
}
