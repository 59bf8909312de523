//! UP106: the `Query` text itself (not a function it calls) names another database.

use super::{Context, PolicyView, Rule, RuleMeta, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::model::{Location, same_database};

pub struct CrossDatabaseInPolicyQuery;

static META: RuleMeta = RuleMeta {
    code: "UP106",
    name: "cross-database-in-policy-query",
    severity: Severity::Warning,
    summary: "An update policy's Query text itself names another database; the documentation puts such references inside the function it calls.",
    doc: include_str!("../../rules/UP106-cross-database-in-policy-query.md"),
    sources: &[sources::UPDATE_POLICY_WITH_MANAGED_IDENTITY, sources::UPDATE_POLICY],
};

impl Rule for CrossDatabaseInPolicyQuery {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_policy(&self) -> bool {
        true
    }

    fn check_policy(&self, context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        let Some(unit_id) = view.unit else { return };
        if view.is_disabled() {
            return;
        }
        let unit = context.workspace.unit(unit_id);
        let mut reported: Vec<String> = Vec::new();
        for read in unit.query.analysis.reads() {
            let entity = &read.entity;
            let Some(database) = entity.database() else { continue };
            if view.is_other_cluster(entity.cluster().or(unit.cluster()))
                || same_database(database, &view.database.name)
                || reported.iter().any(|d| same_database(d, database))
            {
                continue;
            }
            reported.push(database.to_string());
            let here = Location { file: unit.file, span: unit.file_span(read.span) };
            out.push(
                META.diagnostic(
                    format!("the Query of the update policy of `{}` names database `{database}` itself", view.target()),
                    view.primary(format!("names database `{database}`")),
                )
                .with_label(Label::new(here.file, here.span, format!("`{}` of database `{database}` here", entity.name())))
                .with_note(META.cite("the Source and Query properties should reference only the policy's own database; the documented pattern reads other databases inside the stored function that Query calls", sources::UPDATE_POLICY_WITH_MANAGED_IDENTITY))
                .with_help(format!(
                    "move this reference into a stored function of database `{}` and call the function from Query",
                    view.database.name
                )),
            );
        }
    }
}
