//! UP201: an update policy payload that is not an array of entry objects with the right types.

use super::{Context, Rule, RuleMeta, sources};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::model::{Database, UpdatePolicyChange};
use crate::script::payload::{JsonKind, JsonValue};
use crate::source::FileId;

pub struct InvalidPolicyJson;

static META: RuleMeta = RuleMeta {
    code: "UP201",
    name: "invalid-policy-json",
    severity: Severity::Error,
    summary: "An update policy is not a JSON array of objects, an entry lacks Source or Query, or a property has a value of the wrong type.",
    doc: include_str!("../../rules/UP201-invalid-policy-json.md"),
    sources: &[sources::UPDATE_POLICY, sources::ALTER_TABLE_UPDATE_POLICY],
};

/// The type a property of an entry takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expected {
    Boolean,
    String,
}

/// The properties whose type is checked (`ManagedIdentity` is UP006's).
const TYPED: &[(&str, Expected)] = &[
    ("IsEnabled", Expected::Boolean),
    ("Source", Expected::String),
    ("SourceIsWildCard", Expected::Boolean),
    ("Query", Expected::String),
    ("IsTransactional", Expected::Boolean),
    ("PropagateIngestionProperties", Expected::Boolean),
];

/// The properties an entry must have.
const REQUIRED: &[&str] = &["Source", "Query"];

impl Rule for InvalidPolicyJson {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn per_database(&self) -> bool {
        true
    }

    fn check_database(&self, _context: &Context<'_>, database: &Database, out: &mut Vec<Diagnostic>) {
        for (table, t) in &database.tables {
            for change in &t.update_policy.history {
                check_change(&format!("{}.{table}", database.name), change, out);
            }
        }
    }
}

fn check_change(target: &str, change: &UpdatePolicyChange, out: &mut Vec<Diagnostic>) {
    let Some(payload) = change.payload.as_deref() else { return };
    let file = change.location.file;
    let items = match &payload.kind {
        JsonKind::Array(items) => items.iter().collect::<Vec<_>>(),
        _ => {
            out.push(
                META.diagnostic(
                    format!("the update policy of `{target}` is a JSON {}, not an array of entries", payload.type_name()),
                    Label::new(file, payload.span, "expected `[{...}, ...]`"),
                )
                .with_note(META.cite("the update policy is a JSON array of zero or more entry objects", sources::UPDATE_POLICY))
                .with_help(match payload.kind {
                    JsonKind::Object(_) => "write the entry inside brackets: `[{...}]`",
                    _ => "write the policy as `[{\"IsEnabled\": true, \"Source\": \"...\", \"Query\": \"...\", \"IsTransactional\": true}]`",
                }),
            );
            if !matches!(payload.kind, JsonKind::Object(_)) {
                return;
            }
            vec![payload]
        }
    };
    for item in items {
        let JsonKind::Object(members) = &item.kind else {
            out.push(
                META.diagnostic(
                    format!("an entry of the update policy of `{target}` is a JSON {}, not an object", item.type_name()),
                    Label::new(file, item.span, "expected `{\"Source\": ..., \"Query\": ...}`"),
                )
                .with_note(META.cite("each entry of the update policy is an object with at least Source and Query", sources::UPDATE_POLICY))
                .with_help("write each entry as `{\"IsEnabled\": true, \"Source\": \"...\", \"Query\": \"...\", \"IsTransactional\": true}`"),
            );
            continue;
        };
        for required in REQUIRED {
            if item.member(required).is_none_or(|m| m.value.is_null()) {
                out.push(
                    META.diagnostic(
                        format!("an entry of the update policy of `{target}` has no `{required}`"),
                        Label::new(file, item.span, format!("no `{required}`")),
                    )
                    .with_note(META.cite("every entry names its Source table and the Query that turns its new rows into rows of the target", sources::UPDATE_POLICY))
                    .with_help(format!("add `\"{required}\": \"...\"` to the entry")),
                );
            }
        }
        for member in members {
            let Some((name, expected)) = TYPED.iter().find(|(n, _)| n.eq_ignore_ascii_case(&member.key)) else {
                continue;
            };
            if let Some(found) = wrong_type(&member.value, *expected) {
                out.push(wrong_type_diagnostic(target, file, name, *expected, found, &member.value));
            }
        }
    }
}

/// The JSON type written, when it is not one ADX reads as `expected`. A string spelling a
/// boolean is UP211's; `null` is left alone (ADX writes `null` for unset properties).
fn wrong_type(value: &JsonValue, expected: Expected) -> Option<&'static str> {
    match (expected, &value.kind) {
        (_, JsonKind::Null) => None,
        (Expected::Boolean, JsonKind::Bool(_)) => None,
        (Expected::Boolean, JsonKind::String { .. }) if value.as_flag().is_some() => None,
        (Expected::String, JsonKind::String { .. }) => None,
        _ => Some(value.type_name()),
    }
}

fn wrong_type_diagnostic(
    target: &str,
    file: FileId,
    name: &str,
    expected: Expected,
    found: &str,
    value: &JsonValue,
) -> Diagnostic {
    let (expected_text, help) = match expected {
        Expected::Boolean => ("a boolean", format!("\"{name}\": true (or false)")),
        Expected::String => ("a string", format!("\"{name}\": \"...\"")),
    };
    let shown = match &value.kind {
        JsonKind::String { value, .. } => format!("\"{value}\""),
        _ => value.to_plain().to_string(),
    };
    META.diagnostic(
        format!("`{name}` of an entry of the update policy of `{target}` is {shown}, not {expected_text}"),
        Label::new(file, value.span, format!("a {found}, expected {expected_text}")),
    )
    .with_note(META.cite(
        format!("ADX reads `{name}` as {expected_text} and rejects the policy otherwise"),
        sources::UPDATE_POLICY,
    ))
    .with_help(help)
}
