//! UP213: an `.alter ... policy managed_identity` drops an identity an update policy uses.

use super::{Context, Identity, PolicyView, Rule, RuleMeta, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::model::{Cluster, Database, IdentityEntry, IdentityPolicy};
use crate::script::command::PolicyVerb;

pub struct IdentityPolicyReplaced;

static META: RuleMeta = RuleMeta {
    code: "UP213",
    name: "identity-policy-replaced",
    severity: Severity::Warning,
    summary: "An `.alter ... policy managed_identity` (not `-merge`) drops an ObjectId that an earlier command added and an update policy uses.",
    doc: include_str!("../../rules/UP213-identity-policy-replaced.md"),
    sources: &[
        sources::ALTER_MANAGED_IDENTITY_POLICY,
        sources::ALTER_MERGE_MANAGED_IDENTITY_POLICY,
        sources::MANAGED_IDENTITY_POLICY,
    ],
};

impl Rule for IdentityPolicyReplaced {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for cluster in context.workspace.model.clusters.values() {
            check_policy(context, cluster, None, &cluster.managed_identity, out);
            for database in cluster.databases.values() {
                check_policy(context, cluster, Some(database), &database.managed_identity, out);
            }
        }
    }
}

/// The `.alter` commands of one managed identity policy (the cluster's when `database` is
/// `None`) that drop an identity still used.
fn check_policy(
    context: &Context<'_>,
    cluster: &Cluster,
    database: Option<&Database>,
    policy: &IdentityPolicy,
    out: &mut Vec<Diagnostic>,
) {
    let mut current: Vec<&IdentityEntry> = Vec::new();
    for change in &policy.history {
        let before = std::mem::take(&mut current);
        match change.verb {
            PolicyVerb::Delete => {}
            PolicyVerb::AlterMerge => {
                current = before;
                for entry in &change.entries {
                    if !current.iter().any(|e| e.object_id.eq_ignore_ascii_case(&entry.object_id)) {
                        current.push(entry);
                    }
                }
            }
            PolicyVerb::Alter => {
                current = change.entries.iter().collect();
                for dropped in before
                    .iter()
                    .filter(|old| !change.entries.iter().any(|e| e.object_id.eq_ignore_ascii_case(&old.object_id)))
                {
                    // Added back later, or allowed at the other level: nothing is lost.
                    if policy.entries.iter().any(|e| e.object_id.eq_ignore_ascii_case(&dropped.object_id)) {
                        continue;
                    }
                    let users: Vec<&PolicyView<'_>> = context
                        .policies
                        .iter()
                        .filter(|view| {
                            std::ptr::eq(view.cluster, cluster)
                                && database.is_none_or(|db| std::ptr::eq(view.database, db))
                                && !view.is_disabled()
                                && view.identity.text().is_some_and(|id| id.eq_ignore_ascii_case(&dropped.object_id))
                                && !allowed_elsewhere(view, database.is_some(), &dropped.object_id)
                        })
                        .collect();
                    if users.is_empty() {
                        continue;
                    }
                    out.push(diagnostic(database, change.location, dropped, &users));
                }
            }
        }
    }
}

/// True when the other level's policy (the cluster's for a database policy, the database's
/// for the cluster's) allows `object_id` for AutomatedFlows.
fn allowed_elsewhere(view: &PolicyView<'_>, dropped_from_database: bool, object_id: &str) -> bool {
    let other = if dropped_from_database { &view.cluster.managed_identity } else { &view.database.managed_identity };
    other.entries.iter().any(|e| e.object_id.eq_ignore_ascii_case(object_id) && e.allows("AutomatedFlows"))
}

fn diagnostic(
    database: Option<&Database>,
    command: crate::model::Location,
    dropped: &IdentityEntry,
    users: &[&PolicyView<'_>],
) -> Diagnostic {
    let id = &dropped.object_id;
    let scope = match database {
        Some(db) => format!("database {}", super::bracketed(&db.name)),
        None => "cluster".to_string(),
    };
    let mut diagnostic = META
        .diagnostic(
            format!(
                "this `.alter {scope} policy managed_identity` drops the identity `{id}` that the update policy of `{}` uses",
                users[0].target()
            ),
            Label::new(command.file, command.span, format!("replaces the whole policy without `{id}`")),
        )
        .with_label(Label::new(dropped.location.file, dropped.location.span, "added here"));
    for user in users {
        if let Identity::System { span } | Identity::ObjectId { span, .. } = &user.identity {
            diagnostic = diagnostic.with_label(Label::new(
                user.entry.location.file,
                *span,
                format!("the update policy of `{}` runs as `{id}`", user.target()),
            ));
        }
    }
    let usages: Vec<&str> = dropped.usages.iter().map(|(u, _)| u.as_str()).collect();
    let usages = if usages.is_empty() { "AutomatedFlows".to_string() } else { usages.join(", ") };
    diagnostic
        .with_note(META.cite("`.alter ... policy managed_identity` replaces the whole policy; `.alter-merge` adds identities and usages", sources::ALTER_MANAGED_IDENTITY_POLICY))
        .with_help(format!(".alter-merge {scope} policy managed_identity ```[{{\"ObjectId\": \"{id}\", \"AllowedUsages\": \"{usages}\"}}]```"))
}
