//! UP202: an update policy entry has a property ADX does not know (a typo, most often).

use super::{Context, Rule, RuleMeta, did_you_mean, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::script::payload::JsonKind;

pub struct UnknownPolicyProperty;

static META: RuleMeta = RuleMeta {
    code: "UP202",
    name: "unknown-policy-property",
    severity: Severity::Warning,
    summary: "An update policy entry has a property that is not one of IsEnabled, Source, SourceIsWildCard, Query, IsTransactional, PropagateIngestionProperties, ManagedIdentity.",
    doc: include_str!("../../rules/UP202-unknown-policy-property.md"),
    sources: &[sources::UPDATE_POLICY],
};

/// Every property of an entry, as the documentation spells it (`OwnerPrincipalDetails` is set
/// by the service and appears when a policy is read back).
const KNOWN: &[&str] = &[
    "IsEnabled",
    "Source",
    "SourceIsWildCard",
    "Query",
    "IsTransactional",
    "PropagateIngestionProperties",
    "ManagedIdentity",
    "OwnerPrincipalDetails",
];

impl Rule for UnknownPolicyProperty {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for cluster in context.workspace.model.clusters.values() {
            for database in cluster.databases.values() {
                for (table, t) in &database.tables {
                    for change in &t.update_policy.history {
                        for entry in &change.entries {
                            let JsonKind::Object(members) = &entry.json.kind else { continue };
                            for member in members {
                                if KNOWN.iter().any(|k| k.eq_ignore_ascii_case(&member.key)) {
                                    continue;
                                }
                                let suggestion = did_you_mean(&member.key, KNOWN.iter().copied());
                                let label = match suggestion {
                                    Some(known) => format!("did you mean `{known}`?"),
                                    None => "not a property of an update policy entry".to_string(),
                                };
                                let mut diagnostic = META.diagnostic(
                                    format!(
                                        "unknown property `{}` in an entry of the update policy of `{}.{table}`",
                                        member.key, database.name
                                    ),
                                    Label::new(entry.location.file, member.key_span, label),
                                );
                                diagnostic = match suggestion {
                                    Some(known) => diagnostic
                                        .with_note(META.cite(&format!(
                                            "ADX ignores unknown properties: the entry is read as if `{known}` were not set"
                                        ), sources::UPDATE_POLICY))
                                        .with_help(format!("rename `\"{}\"` to `\"{known}\"`", member.key)),
                                    None => diagnostic
                                        .with_note(META.cite(&format!("an entry's properties are {}", KNOWN[..7].join(", ")), sources::UPDATE_POLICY))
                                        .with_help(format!("remove `\"{}\"`", member.key)),
                                };
                                out.push(diagnostic);
                            }
                        }
                    }
                }
            }
        }
    }
}
