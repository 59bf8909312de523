//! UP103: an update policy reads external data, or an external table that is not accelerated
//! over all its data.

use super::{Context, Identity, PolicyView, Rule, RuleMeta, chain_labels, sources, step_labels};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::model::{ExternalTable, ExternalTableDefinition};
use crate::resolve::{Access, AccessKind, EffectKind};

pub struct ExternalData;

static META: RuleMeta = RuleMeta {
    code: "UP103",
    name: "external-data",
    severity: Severity::Error,
    summary: "An update policy uses `externaldata`, or reads an external table without a query acceleration policy whose Hot period is at least 100 years.",
    doc: include_str!("../../rules/UP103-external-data.md"),
    sources: &[
        sources::UPDATE_POLICY,
        sources::EXTERNAL_TABLE_FUNCTION,
        sources::QUERY_ACCELERATION_POLICY,
        sources::QUERY_ACCELERATION_TROUBLESHOOTING,
        sources::EXTERNALDATA_OPERATOR,
    ],
};

/// 100 years of 365 days, the `Hot` period the documentation asks for (`36500.00:00:00`).
const HOT_SECONDS_NEEDED: f64 = 36500.0 * 86400.0;

impl Rule for ExternalData {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_policy(&self) -> bool {
        true
    }

    fn check_policy(&self, context: &Context<'_>, view: &PolicyView<'_>, out: &mut Vec<Diagnostic>) {
        if view.is_disabled() {
            return;
        }
        for effect in view.effects {
            if effect.kind != EffectKind::ExternalData {
                continue;
            }
            let primary = view.primary_for_chain(&effect.chain, "reads external data");
            let mut diagnostic = META.diagnostic(
                format!("the update policy of `{}` reads external data (`externaldata`)", view.target()),
                primary.clone(),
            );
            diagnostic.labels.extend(step_labels(&effect.chain, "external data read here", &primary));
            out.push(
                diagnostic
                    .with_note(META.cite("an update policy's query can't access external data", sources::UPDATE_POLICY))
                    .with_help("ingest the external data into a table of this database and read that table"),
            );
        }
        for access in view.distinct_reads(AccessKind::ExternalTable) {
            out.extend(external_table(context, view, access));
        }
    }
}

/// The diagnostic about reading an external table the project defines, unless its query
/// acceleration covers all its data (or the project does not tell).
fn external_table(context: &Context<'_>, view: &PolicyView<'_>, access: &Access) -> Option<Diagnostic> {
    let cluster = access.cluster.as_deref().or(view.cluster.name.as_deref());
    let database = context.workspace.model.database(cluster, &access.database)?;
    let table: &ExternalTable = database.external_tables.get(&*access.name)?;
    let definition = table.definitions.last();
    let (problem, evidence) = match &table.query_acceleration {
        None => {
            let definition = definition?;
            (
                "has no query acceleration policy".to_string(),
                Label::new(
                    definition.location.file,
                    definition.location.span,
                    "defined here without query acceleration",
                ),
            )
        }
        Some(qa) if qa.enabled == Some(false) => (
            "has a disabled query acceleration policy".to_string(),
            Label::new(qa.location.file, qa.location.span, "query acceleration is disabled here"),
        ),
        Some(qa) => {
            let hot = qa.hot_seconds?;
            if hot >= HOT_SECONDS_NEEDED {
                return impersonation_without_identity(context, view, access, definition?);
            }
            (
                format!("is accelerated over {} days only", format_days(hot)),
                Label::new(qa.location.file, qa.location.span, format!("`Hot` is {} days here", format_days(hot))),
            )
        }
    };
    let primary = view.primary_for(access, &format!("reads external table `{}`", access.name));
    let mut diagnostic = META
        .diagnostic(
            format!("the update policy of `{}` reads external table `{}`, which {problem}", view.target(), access.name),
            primary.clone(),
        )
        .with_label(evidence);
    diagnostic.labels.extend(chain_labels(access, &format!("reads `{}` here", access.name), &primary));
    Some(
        diagnostic
            .with_note(META.cite("an update policy may read an external table only through `external_table()` when an enabled query acceleration policy covers all its data (`Hot` of at least 100 years)", sources::QUERY_ACCELERATION_POLICY))
            .with_help(format!(
                ".alter external table {} policy query_acceleration '{{\"IsEnabled\": true, \"Hot\": \"36500.00:00:00\"}}'",
                super::bracketed(&access.name)
            )),
    )
}

/// An accelerated external table that authenticates with `;impersonate` runs the query as the
/// policy's identity: without a `ManagedIdentity` there is none to impersonate.
fn impersonation_without_identity(
    context: &Context<'_>,
    view: &PolicyView<'_>,
    access: &Access,
    definition: &ExternalTableDefinition,
) -> Option<Diagnostic> {
    if !definition.impersonation || view.identity != Identity::Absent {
        return None;
    }
    let primary = view.primary_for(access, &format!("reads `{}` without a managed identity", access.name));
    let at = definition.location;
    let mut diagnostic = META
        .diagnostic(
            format!(
                "the update policy of `{}` reads external table `{}`, which authenticates by impersonation, but has no ManagedIdentity",
                view.target(),
                access.name
            ),
            primary.clone(),
        )
        .with_label(Label::new(at.file, at.span, "defined here with an `;impersonate` connection string"));
    diagnostic.labels.extend(chain_labels(access, &format!("reads `{}` here", access.name), &primary));
    Some(
        diagnostic
            .with_note(META.cite("an update policy may read an accelerated external table that uses impersonation only with a ManagedIdentity, which also needs access to the underlying storage (uplint cannot check that access)", sources::UPDATE_POLICY))
            .with_help(view.alter_with_identity(&context.suggested_identity(view))),
    )
}

fn format_days(seconds: f64) -> String {
    let days = seconds / 86400.0;
    if days.fract() == 0.0 { format!("{days:.0}") } else { format!("{days:.2}") }
}
