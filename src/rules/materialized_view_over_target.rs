//! UP212: an update policy reads a materialized view whose query reads the policy's target.

use super::{Context, PolicyView, Rule, RuleMeta, chain_labels, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::model::{MaterializedViewDefinition, same_database};
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
            for access in view.distinct_reads(AccessKind::MaterializedView) {
                if view.is_other_cluster(access.cluster.as_deref()) {
                    continue;
                }
                let cluster = access.cluster.as_deref().or(view.cluster.name.as_deref());
                let Some(database) = workspace.model.database(cluster, &access.database) else { continue };
                let Some(definition) =
                    database.materialized_views.get(&*access.name).and_then(|v| v.definitions.last())
                else {
                    continue;
                };
                let Some(evidence) = evidence(context, view, &database.name, definition) else { continue };
                let primary = view.primary_for(access, &format!("reads materialized view `{}`", access.name));
                let mut diagnostic = META.diagnostic(
                    format!(
                        "the update policy of `{}` reads materialized view `{}`, whose query reads `{}` itself",
                        view.target(),
                        access.name,
                        view.table
                    ),
                    primary.clone(),
                );
                diagnostic.labels.extend(evidence);
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

/// Where the view's definition reads the policy's target table: its source table, else a read of
/// the target in its query or in a function that query calls (with the calls on the way).
fn evidence(
    context: &Context<'_>,
    view: &PolicyView<'_>,
    view_database: &str,
    definition: &MaterializedViewDefinition,
) -> Option<Vec<Label>> {
    let target = view.table;
    if same_database(view_database, &view.database.name) && definition.source == target {
        let at = definition.location;
        return Some(vec![Label::new(at.file, at.span, format!("the view is built from `{target}` here"))]);
    }
    let read = context.resolution.view_reads(definition.unit).iter().find(|read| {
        read.kind == AccessKind::Table
            && *read.name == *target
            && same_database(&read.database, &view.database.name)
            && !view.is_other_cluster(read.cluster.as_deref())
    })?;
    let first = &read.chain[0];
    let calls: Vec<String> =
        read.chain.iter().filter_map(|step| step.calls.as_ref()).map(|f| format!("`{f}`")).collect();
    if calls.is_empty() {
        return Some(vec![Label::new(
            first.location.file,
            first.location.span,
            format!("the view reads `{target}` here"),
        )]);
    }
    let reference = read.reference().location;
    Some(vec![
        Label::new(
            first.location.file,
            first.location.span,
            format!("the view reads `{target}` through {}", calls.join(" -> ")),
        ),
        Label::new(reference.file, reference.span, format!("`{target}` is read here")),
    ])
}
