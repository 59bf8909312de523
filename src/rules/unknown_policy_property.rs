//! UP202: an update policy entry has a property ADX does not know (a typo, most often).

use super::{Context, Rule, RuleMeta, database_policy_members, did_you_mean, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::model::Database;

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

/// The property an entry's unknown property `key` most likely means (a typo of a known one),
/// which the fix renames it to; `None` for a known property or one too far from all.
pub fn intended_property(key: &str) -> Option<&'static str> {
    if KNOWN.iter().any(|k| k.eq_ignore_ascii_case(key)) {
        return None;
    }
    did_you_mean(key, KNOWN.iter().copied())
}

impl Rule for UnknownPolicyProperty {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_database(&self) -> bool {
        true
    }

    fn check_database(&self, _context: &Context<'_>, database: &Database, out: &mut Vec<Diagnostic>) {
        for (target, entry, member) in database_policy_members(database) {
            if KNOWN.iter().any(|k| k.eq_ignore_ascii_case(&member.key)) {
                continue;
            }
            let suggestion = intended_property(&member.key);
            let label = match suggestion {
                Some(known) => format!("did you mean `{known}`?"),
                None => "not a property of an update policy entry".to_string(),
            };
            let diagnostic = META.diagnostic(
                format!("unknown property `{}` in an entry of the update policy of `{target}`", member.key),
                Label::new(entry.location.file, member.key_span, label),
            );
            out.push(match suggestion {
                Some(known) => diagnostic
                    .with_note(META.cite(
                        format!("ADX ignores unknown properties: the entry is read as if `{known}` were not set"),
                        sources::UPDATE_POLICY,
                    ))
                    .with_help(format!("rename `\"{}\"` to `\"{known}\"`", member.key)),
                None => {
                    diagnostic
                        .with_note(META.cite(
                            format!("an entry's properties are {}", KNOWN[..7].join(", ")),
                            sources::UPDATE_POLICY,
                        ))
                        .with_help(format!("remove `\"{}\"`", member.key))
                }
            });
        }
    }
}
