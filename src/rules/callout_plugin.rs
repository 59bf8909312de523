//! UP102: an update policy runs a plugin that makes a callout (or the python/R sandbox).

use super::{Context, PolicyView, Rule, RuleMeta, sources, step_labels};
use crate::diagnostic::{Diagnostic, Severity};
use crate::resolve::EffectKind;

pub struct CalloutPlugin;

static META: RuleMeta = RuleMeta {
    code: "UP102",
    name: "callout-plugin",
    severity: Severity::Error,
    summary: "An update policy runs a plugin that makes a callout (sql_request, http_request...), or python/R (a warning).",
    doc: include_str!("../../rules/UP102-callout-plugin.md"),
    sources: &[
        sources::UPDATE_POLICY,
        sources::CALLOUT_POLICY,
        sources::SQL_REQUEST_PLUGIN,
        sources::PYTHON_PLUGIN,
        sources::STREAMING_INGESTION,
    ],
};

/// Plugins that call out of the cluster, as the plugin pages name them.
const CALLOUTS: &[&str] = &[
    "sql_request",
    "mysql_request",
    "postgresql_request",
    "cosmosdb_sql_request",
    "azure_digital_twins_query_request",
    "http_request",
    "http_request_post",
    "ai_embeddings",
    "ai_chat_completion",
    "ai_chat_completion_prompt",
];

/// Plugins that run code in the sandbox.
const SANDBOX: &[&str] = &["python", "r"];

impl Rule for CalloutPlugin {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_policy(&self) -> bool {
        true
    }

    fn check_policy(&self, _context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        if view.is_disabled() {
            return;
        }
        for effect in view.effects {
            let EffectKind::Plugin(name) = &effect.kind else { continue };
            let lower = name.to_ascii_lowercase();
            let sandbox = SANDBOX.contains(&lower.as_str());
            if !sandbox && !CALLOUTS.contains(&lower.as_str()) {
                continue;
            }
            let what = if sandbox { "runs code in the sandbox" } else { "makes a callout" };
            let primary = view.primary_for_chain(&effect.chain, &format!("runs `{name}`, which {what}"));
            let mut diagnostic = META.diagnostic(
                format!("the update policy of `{}` runs the `{name}` plugin, which {what}", view.target()),
                primary.clone(),
            );
            if sandbox {
                diagnostic.severity = Severity::Warning;
            }
            diagnostic.labels.extend(step_labels(&effect.chain, &format!("`evaluate {name}` here"), &primary));
            let diagnostic = if sandbox {
                diagnostic
                    .with_note(META.cite("the python and R plugins aren't supported in update policies under streaming ingestion, and their artifacts are sandbox callouts", sources::STREAMING_INGESTION))
                    .with_help(format!("compute the result with KQL operators instead of `{name}`, or run `{name}` at query time over the target table"))
            } else {
                diagnostic
                    .with_note(META.cite("an update policy's query can't make callouts by using a plugin", sources::UPDATE_POLICY))
                    .with_help(format!("ingest what `{name}` fetches into a table of this database (for example with a scheduled ingestion) and join with that table"))
            };
            out.push(diagnostic);
        }
    }
}
