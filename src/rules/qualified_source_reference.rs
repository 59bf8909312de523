//! UP105: the `Source` table is referenced with `database(...)` or `cluster(...)`.

use super::{Context, PolicyView, Rule, RuleMeta, chain_labels, sources};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::same_database;
use crate::resolve::AccessKind;

pub struct QualifiedSourceReference;

static META: RuleMeta = RuleMeta {
    code: "UP105",
    name: "qualified-source-reference",
    severity: Severity::Error,
    summary: "An update policy's query (or a function it calls) names its Source table with `database(...)` or `cluster(...)`.",
    doc: include_str!("../../rules/UP105-qualified-source-reference.md"),
    sources: &[sources::UPDATE_POLICY],
};

impl Rule for QualifiedSourceReference {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_policy(&self) -> bool {
        true
    }

    fn check_policy(&self, _context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        let Some((source, _)) = view.source() else { return };
        if view.is_disabled() || view.source_is_wildcard() {
            return;
        }
        // Each place that names the Source is reported once, however many chains reach it.
        let mut reported = rustc_hash::FxHashSet::default();
        for access in view.reads {
            let names_source = access.kind == AccessKind::Table
                && access.qualified
                && *access.name == *source
                && same_database(&access.database, &view.database.name)
                && !view.is_other_cluster(access.cluster.as_deref());
            let at = access.reference().location;
            if !names_source || !reported.insert(at) {
                continue;
            }
            let primary = view.primary_for(access, &format!("names the Source table `{source}` with its database"));
            let mut diagnostic = META.diagnostic(
                format!(
                    "the update policy of `{}` names its Source table `{source}` with a database or cluster qualifier",
                    view.target()
                ),
                primary.clone(),
            );
            diagnostic.labels.extend(chain_labels(access, &format!("write `{source}` alone here"), &primary));
            out.push(
                diagnostic
                    .with_note(META.cite("the update policy gives its query only the newly ingested rows of the Source table when the query names it by its bare name; `database(\"...\").Table` and `cluster(\"...\").database(\"...\").Table` are not allowed", sources::UPDATE_POLICY))
                    .with_help(format!("write `{}` without `database(...)` or `cluster(...)`", super::bracketed(source))),
            );
        }
    }
}
