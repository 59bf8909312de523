//! UP104: an update policy reads a table whose restricted view access policy is on.

use super::{Context, PolicyView, Rule, RuleMeta, read_of_guarded_table, sources};
use crate::diagnostic::{Diagnostic, Severity};
use crate::resolve::AccessKind;

pub struct RestrictedViewAccessTable;

static META: RuleMeta = RuleMeta {
    code: "UP104",
    name: "restricted-view-access-table",
    severity: Severity::Error,
    summary: "An update policy reads a table whose restricted view access policy is enabled.",
    doc: include_str!("../../rules/UP104-restricted-view-access-table.md"),
    sources: &[sources::UPDATE_POLICY, sources::RESTRICTED_VIEW_ACCESS_POLICY],
};

impl Rule for RestrictedViewAccessTable {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_policy(&self) -> bool {
        true
    }

    fn check_policy(&self, context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        let model = &context.workspace.model;
        if view.is_disabled() {
            return;
        }
        for access in view.distinct_reads(AccessKind::Table) {
            let Some(table) = view.read_table(model, access) else { continue };
            let Some(rva) = table.restricted_view_access.as_ref().filter(|r| r.enabled) else { continue };
            let diagnostic = read_of_guarded_table(
                &META,
                view,
                access,
                &format!("reads `{}`, which has restricted view access", access.name),
                format!(
                    "the update policy of `{}` reads `{}.{}`, whose restricted view access policy is enabled",
                    view.target(),
                    access.database,
                    access.name
                ),
                rva.location,
                "restricted view access is enabled here",
            );
            out.push(
                diagnostic
                    .with_note(META.cite("an update policy's query has no read access to tables with the RestrictedViewAccess policy enabled, whatever its identity", sources::UPDATE_POLICY))
                    .with_help(format!(
                        "read a table without restricted view access, or turn it off: .alter table {} policy restricted_view_access false",
                        super::qualified(&access.database, &access.name)
                    )),
            );
        }
    }
}
