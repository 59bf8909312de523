//! UP101: an update policy reads another cluster.

use super::{Context, PolicyView, Rule, RuleMeta, chain_labels, sources};
use crate::diagnostic::{Diagnostic, Severity};

pub struct CrossClusterReference;

static META: RuleMeta = RuleMeta {
    code: "UP101",
    name: "cross-cluster-reference",
    severity: Severity::Error,
    summary: "An update policy reads another cluster (`cluster(...)`), directly or through functions.",
    doc: include_str!("../../rules/UP101-cross-cluster-reference.md"),
    sources: &[sources::UPDATE_POLICY, sources::CLUSTER_FUNCTION, sources::CROSS_DATABASE_QUERIES],
};

impl Rule for CrossClusterReference {
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
        let mut reported: Vec<String> = Vec::new();
        for access in view.reads {
            let Some(cluster) = access.cluster.as_deref().filter(|c| view.is_other_cluster(Some(c))) else {
                continue;
            };
            if reported.iter().any(|c| c.eq_ignore_ascii_case(cluster)) {
                continue;
            }
            reported.push(cluster.to_string());
            let primary = view.primary_for(access, &format!("reads cluster `{cluster}`"));
            let mut diagnostic = META.diagnostic(
                format!("the update policy of `{}` reads cluster `{cluster}`", view.target()),
                primary.clone(),
            );
            diagnostic.labels.extend(chain_labels(
                access,
                &format!("reads `{}.{}` of cluster `{cluster}` here", access.database, access.name),
                &primary,
            ));
            out.push(
                diagnostic
                    .with_note(META.cite("an update policy's query can't perform cross-cluster queries, with or without a managed identity", sources::UPDATE_POLICY))
                    .with_help(format!(
                        "bring the data of `{}` into this cluster (a follower database, or ingestion into a local table) and read the local copy instead of `cluster('{cluster}')`",
                        access.name
                    )),
            );
        }
    }
}
