//! UP211: a boolean property written as a string (`"True"`).

use super::{Context, Rule, RuleMeta, database_policy_members, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::model::Database;

pub struct StringBoolean;

static META: RuleMeta = RuleMeta {
    code: "UP211",
    name: "string-boolean",
    severity: Severity::Info,
    summary: "A boolean property of an update policy entry is written as a string (`\"True\"`).",
    doc: include_str!("../../rules/UP211-string-boolean.md"),
    sources: &[sources::UPDATE_POLICY],
};

const BOOLEANS: &[&str] = &["IsEnabled", "SourceIsWildCard", "IsTransactional", "PropagateIngestionProperties"];

impl Rule for StringBoolean {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_database(&self) -> bool {
        true
    }

    fn check_database(&self, _context: &Context<'_>, database: &Database, out: &mut Vec<Diagnostic>) {
        for (target, entry, member) in database_policy_members(database) {
            let Some(name) = BOOLEANS.iter().find(|b| b.eq_ignore_ascii_case(&member.key)) else { continue };
            let Some(flag) = member.value.as_flag().filter(|f| f.from_string) else { continue };
            let written = member.value.as_str().unwrap_or_default();
            out.push(
                META.diagnostic(
                    format!("`{name}` of an entry of the update policy of `{target}` is the string \"{written}\""),
                    Label::new(entry.location.file, member.value.span, "a string, not a boolean"),
                )
                .with_note(META.cite("the property is a JSON boolean; a string is read as one, but tools that read the policy back may not", sources::UPDATE_POLICY))
                .with_help(format!("\"{name}\": {}", flag.value))
                // The value's place covers the string as written, quotes and escapes included: a
                // bare boolean needs no quoting in any form of the literal.
                .with_fix(
                    format!("Write \"{name}\" as the boolean {}", flag.value),
                    member.value.span,
                    flag.value.to_string(),
                ),
            );
        }
    }
}
