//! UP004: a policy's identity has no role that reads a database the policy reads.

use super::{
    Context, Identity, Rule, RuleMeta, bracketed, chain_labels, partial_read_notes, reference_message, sources,
};
use crate::diagnostic::{Diagnostic, Label, Note, Severity};
use crate::model::{Database, Grant};
use crate::script::command::PrincipalKind;

pub struct MissingViewerGrant;

static META: RuleMeta = RuleMeta {
    code: "UP004",
    name: "missing-viewer-grant",
    severity: Severity::Error,
    summary: "An update policy's identity has no viewer (or users, admins) role on a database the policy reads.",
    doc: include_str!("../../rules/UP004-missing-viewer-grant.md"),
    sources: &[
        sources::UPDATE_POLICY,
        sources::UPDATE_POLICY_WITH_MANAGED_IDENTITY,
        sources::MANAGE_DATABASE_SECURITY_ROLES,
        sources::SECURITY_ROLES,
        sources::SECURITY_PRINCIPALS,
    ],
};

/// Database roles that read data; `unrestrictedviewers` does nothing alone.
const READING_ROLES: &[&str] = &["viewers", "users", "admins"];

fn is_identity(grant: &Grant, object_id: &str) -> bool {
    grant.principal.kind == PrincipalKind::App && grant.principal.id.eq_ignore_ascii_case(object_id)
}

impl Rule for MissingViewerGrant {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let model = &context.workspace.model;
        for view in &context.policies {
            if view.is_disabled() {
                continue;
            }
            let (object_id, span, system) = match &view.identity {
                Identity::ObjectId { id, span } => (id.clone(), *span, false),
                Identity::System { span } => match context.settings.system_identity(view.cluster.name.as_deref()) {
                    Some(id) => (id.to_string(), *span, true),
                    // Unknown object id: UP005 says why nothing is checked.
                    None => continue,
                },
                _ => continue,
            };
            if context.settings.reads_every_database(view.cluster.name.as_deref(), &object_id) {
                continue;
            }
            for access in view.other_databases() {
                let cluster = access.cluster.as_deref().or(view.cluster.name.as_deref());
                let database = model.database(cluster, &access.database);
                let grants = |roles: &[&str]| -> Vec<&Grant> {
                    database.map_or(Vec::new(), |db: &Database| {
                        roles
                            .iter()
                            .filter_map(|r| db.roles.get(*r))
                            .flatten()
                            .filter(|g| is_identity(g, &object_id))
                            .collect()
                    })
                };
                if !grants(READING_ROLES).is_empty() {
                    continue;
                }
                let who =
                    if system { format!("the system identity (`{object_id}`)") } else { format!("`{object_id}`") };
                let primary = Label::new(
                    view.entry.location.file,
                    span,
                    format!("has no role that reads database `{}`", access.database),
                );
                let mut diagnostic = META.diagnostic(
                    format!(
                        "the managed identity {who} of the update policy of `{}` has no viewer role on database `{}`, which the policy reads",
                        view.target(),
                        access.database
                    ),
                    primary.clone(),
                );
                diagnostic.labels.extend(chain_labels(access, &reference_message(access), &primary));
                diagnostic.notes.extend(partial_read_notes(view, &[access]).into_iter().map(Note::from));
                for grant in grants(&["unrestrictedviewers"]) {
                    diagnostic = diagnostic.with_label(Label::new(
                        grant.location.file,
                        grant.location.span,
                        "unrestrictedviewers alone does not let it read",
                    ));
                }
                if database.is_none_or(|db| db.roles.is_empty()) {
                    diagnostic = diagnostic.with_note(format!(
                        "the project grants no role on database `{}`; if its grants are made outside these scripts, describe them in a script (see the README)",
                        access.database
                    ));
                }
                let principal = match tenant_of(context, &object_id, system) {
                    Some(tenant) => format!("aadapp={object_id};{tenant}"),
                    None => format!("aadapp={object_id}"),
                };
                let diagnostic = diagnostic.with_note(META.cite(
                    "the identity needs the viewer role on every database the policy reads",
                    sources::UPDATE_POLICY,
                ));
                out.push(if access.database.contains('*') {
                    diagnostic.with_help(format!(
                        "grant `{principal}` the viewer role on every database that `{}` matches",
                        access.database
                    ))
                } else {
                    diagnostic
                        .with_help(format!(".add database {} viewers ('{principal}')", bracketed(&access.database)))
                });
            }
        }
    }
}

/// The tenant to write in a grant for `object_id`: the one a grant of it already names, else
/// the one most grants of applications name. The system identity is granted without a tenant.
fn tenant_of(context: &Context<'_>, object_id: &str, system: bool) -> Option<String> {
    if system {
        return None;
    }
    let mut counts: Vec<(String, usize)> = Vec::new();
    for cluster in context.workspace.model.clusters.values() {
        for database in cluster.databases.values() {
            for grant in database.roles.values().flatten() {
                let Some(tenant) =
                    grant.principal.tenant.as_ref().filter(|_| grant.principal.kind == PrincipalKind::App)
                else {
                    continue;
                };
                if grant.principal.id.eq_ignore_ascii_case(object_id) {
                    return Some(tenant.clone());
                }
                match counts.iter_mut().find(|(t, _)| t.eq_ignore_ascii_case(tenant)) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((tenant.clone(), 1)),
                }
            }
        }
    }
    counts.into_iter().max_by_key(|(_, n)| *n).map(|(t, _)| t)
}
