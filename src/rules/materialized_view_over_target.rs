//! UP212: an update policy reads a materialized view whose query reads the policy's target.

use super::{Context, Rule, RuleMeta, chain_labels, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::model::{Location, same_database};
use crate::resolve::AccessKind;

pub struct MaterializedViewOverTarget;

static META: RuleMeta = RuleMeta {
    code: "UP212",
    name: "materialized-view-over-target",
    severity: Severity::Warning,
    summary: "An update policy reads a materialized view whose query reads the policy's own target table.",
    doc: include_str!("../../rules/UP212-materialized-view-over-target.md"),
    sources: &[sources::UPDATE_POLICY, sources::MATERIALIZED_VIEWS],
};

impl Rule for MaterializedViewOverTarget {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let workspace = context.workspace;
        for view in &context.policies {
            if view.is_disabled() {
                continue;
            }
            let mut reported: Vec<(String, String)> = Vec::new();
            for access in view.reads.iter().filter(|a| a.kind == AccessKind::MaterializedView) {
                if view.is_other_cluster(access.cluster.as_deref()) {
                    continue;
                }
                let cluster = access.cluster.as_deref().or(view.cluster.name.as_deref());
                let Some(database) = workspace.model.database(cluster, &access.database) else { continue };
                let Some(definition) = database.materialized_views.get(&access.name).and_then(|v| v.definitions.last())
                else {
                    continue;
                };
                let key = (access.database.to_lowercase(), access.name.clone());
                if reported.contains(&key) {
                    continue;
                }
                let in_target_database = same_database(&database.name, &view.database.name);
                let unit = workspace.unit(definition.unit);
                // The view's source table, else a read of the target in its query.
                let evidence = if in_target_database && definition.source == view.table {
                    Some(definition.location)
                } else {
                    unit.query.analysis.reads.iter().find_map(|read| {
                        let db = read.entity.database.as_deref().unwrap_or(&database.name);
                        (read.entity.name == view.table
                            && read.entity.cluster.is_none()
                            && same_database(db, &view.database.name))
                        .then(|| Location { file: unit.file, span: unit.file_span(read.span) })
                    })
                };
                let Some(evidence) = evidence else { continue };
                reported.push(key);
                let primary = view.primary_for(access, &format!("reads materialized view `{}`", access.name));
                let mut diagnostic = META
                    .diagnostic(
                        format!(
                            "the update policy of `{}` reads materialized view `{}`, whose query reads `{}` itself",
                            view.target(),
                            access.name,
                            view.table
                        ),
                        primary.clone(),
                    )
                    .with_label(Label::new(
                        evidence.file,
                        evidence.span,
                        format!("the view reads `{}` here", view.table),
                    ));
                diagnostic.labels.extend(chain_labels(access, &format!("reads `{}` here", access.name), &primary));
                out.push(
                    diagnostic
                        .with_note(META.cite("an update policy's query shouldn't reference a materialized view whose query uses the policy's target table: the results are unexpected", sources::UPDATE_POLICY))
                        .with_help(format!("read the tables `{}` is built from instead of the view", access.name)),
                );
            }
        }
    }
}
