//! Policy payloads: a string literal (or a bare JSON array) holding JSON, decoded once, with
//! every JSON value mapped back to its bytes in the file through both layers of escaping
//! (`spec/kql-grammar.md` §4.12).

use json_spanned_value::spanned;

use crate::kql::strings::{self, DecodedString, OffsetMap};
use crate::kql::token::Token;
use crate::span::Span;

/// One or more adjacent string tokens in a command, decoded, with a map to the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StringLiteral {
    pub span: Span,
    pub decoded: DecodedString,
}

impl StringLiteral {
    /// Decodes adjacent string tokens of `text`.
    pub fn from_tokens(text: &str, tokens: &[Token]) -> StringLiteral {
        let span =
            tokens.first().map_or(Span::default(), |t| t.span).to(tokens.last().map_or(Span::default(), |t| t.span));
        StringLiteral { span, decoded: strings::decode_tokens(text, tokens) }
    }
}

/// A policy payload: its JSON text, decoded, and the parsed JSON or the syntax error.
#[derive(Clone, Debug, PartialEq)]
pub struct Payload {
    /// The literal(s) or the bare JSON in the file.
    pub span: Span,
    /// The decoded JSON text.
    pub text: String,
    /// From offsets in `text` to offsets in the file.
    pub map: OffsetMap,
    pub json: Result<JsonValue, JsonError>,
}

/// A JSON syntax error, at its place in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    pub message: String,
    pub span: Span,
}

/// A JSON value with the bytes of the file it was written as.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonValue {
    pub span: Span,
    pub kind: JsonKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum JsonKind {
    Null,
    Bool(bool),
    /// A number, as written.
    Number(String),
    /// A string's value and a map from its offsets to the file.
    String {
        value: String,
        map: OffsetMap,
    },
    Array(Vec<JsonValue>),
    /// Members in document order.
    Object(Vec<JsonMember>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct JsonMember {
    pub key: String,
    pub key_span: Span,
    pub value: JsonValue,
}

/// A boolean as a policy writes it: `true`, or the string `"True"` seen in real scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flag {
    pub value: bool,
    /// Written as a string (`"True"`).
    pub from_string: bool,
}

impl JsonValue {
    /// The member `key` of an object, compared case-insensitively (as ADX reads policies).
    pub fn member(&self, key: &str) -> Option<&JsonMember> {
        match &self.kind {
            JsonKind::Object(members) => members.iter().rev().find(|m| m.key.eq_ignore_ascii_case(key)),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            JsonKind::String { value, .. } => Some(value),
            _ => None,
        }
    }

    /// A boolean, or a string spelling one (`"True"`, `"false"`).
    pub fn as_flag(&self) -> Option<Flag> {
        match &self.kind {
            JsonKind::Bool(value) => Some(Flag { value: *value, from_string: false }),
            JsonKind::String { value, .. } => match value.trim().to_ascii_lowercase().as_str() {
                "true" => Some(Flag { value: true, from_string: true }),
                "false" => Some(Flag { value: false, from_string: true }),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, JsonKind::Null)
    }

    /// The value as plain JSON (members in document order).
    pub fn to_plain(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            JsonKind::Null => Value::Null,
            JsonKind::Bool(b) => Value::Bool(*b),
            JsonKind::Number(n) => serde_json::from_str(n).unwrap_or_else(|_| Value::String(n.clone())),
            JsonKind::String { value, .. } => Value::String(value.clone()),
            JsonKind::Array(items) => Value::Array(items.iter().map(JsonValue::to_plain).collect()),
            JsonKind::Object(members) => {
                Value::Object(members.iter().map(|m| (m.key.clone(), m.value.to_plain())).collect())
            }
        }
    }

    /// The name of the JSON type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            JsonKind::Null => "null",
            JsonKind::Bool(_) => "boolean",
            JsonKind::Number(_) => "number",
            JsonKind::String { .. } => "string",
            JsonKind::Array(_) => "array",
            JsonKind::Object(_) => "object",
        }
    }
}

impl Payload {
    /// A payload written as string literal(s).
    pub fn from_literal(literal: StringLiteral) -> Payload {
        let StringLiteral { span, decoded } = literal;
        Payload::new(span, decoded.value, decoded.map)
    }

    /// A payload written as bare JSON at `span` of `text`.
    pub fn bare(text: &str, span: Span) -> Payload {
        Payload::new(span, span.of(text).to_string(), OffsetMap::identity(span.start as usize, span.len()))
    }

    fn new(span: Span, text: String, map: OffsetMap) -> Payload {
        let json = parse_json(&text, &map);
        Payload { span, text, map, json }
    }

    /// The entries of a payload that is a JSON array (an object alone is one entry).
    pub fn entries(&self) -> Vec<&JsonValue> {
        match &self.json {
            Ok(JsonValue { kind: JsonKind::Array(items), .. }) => items.iter().collect(),
            Ok(value @ JsonValue { kind: JsonKind::Object(_), .. }) => vec![value],
            _ => Vec::new(),
        }
    }
}

/// Parses JSON `text` (whose offsets `map` takes to the file).
fn parse_json(text: &str, map: &OffsetMap) -> Result<JsonValue, JsonError> {
    let settings = json_spanned_value::Settings { allow_duplicate_keys: true, ..Default::default() };
    match json_spanned_value::from_str_with_settings::<spanned::Value>(text, &settings) {
        Ok(value) => Ok(convert(&value, text, map)),
        Err(error) => {
            let offset = error_offset(text, error.line(), error.column());
            let message = error.to_string();
            // serde_json appends " at line L column C": the position is shown by the span.
            let message = match message.rfind(" at line ") {
                Some(cut) => message[..cut].to_string(),
                None => message,
            };
            Err(JsonError {
                message,
                span: map.span_to_source(Span::new(offset, (offset + 1).min(text.len()).max(offset))),
            })
        }
    }
}

/// The byte offset of a 1-based line and column (columns in bytes, as serde_json counts them).
fn error_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum::<usize>();
    let mut offset = (line_start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn convert(value: &spanned::Value, text: &str, map: &OffsetMap) -> JsonValue {
    let range = value.range();
    let span = map.span_to_source(Span::new(range.start, range.end));
    let kind = match value.get_ref() {
        json_spanned_value::Value::Null => JsonKind::Null,
        json_spanned_value::Value::Bool(b) => JsonKind::Bool(*b),
        json_spanned_value::Value::Number(n) => JsonKind::Number(n.to_string()),
        json_spanned_value::Value::String(_) => {
            let decoded = strings::decode_json_string(&text[range.clone()], range.start);
            JsonKind::String { value: decoded.value, map: map.compose(&decoded.map) }
        }
        json_spanned_value::Value::Array(items) => {
            JsonKind::Array(items.iter().map(|v| convert(v, text, map)).collect())
        }
        json_spanned_value::Value::Object(members) => {
            let mut members: Vec<JsonMember> = members
                .iter()
                .map(|(key, v)| JsonMember {
                    key: key.get_ref().clone(),
                    key_span: map.span_to_source(Span::new(key.range().start, key.range().end)),
                    value: convert(v, text, map),
                })
                .collect();
            members.sort_by_key(|m| m.key_span.start);
            JsonKind::Object(members)
        }
    };
    JsonValue { span, kind }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kql::lexer::lex;

    fn payload(text: &str) -> Payload {
        let tokens: Vec<Token> = lex(text).into_iter().filter(|t| t.kind.is_string()).collect();
        Payload::from_literal(StringLiteral::from_tokens(text, &tokens))
    }

    fn query_span<'a>(text: &'a str, p: &Payload) -> &'a str {
        let entry = p.entries()[0];
        entry.member("Query").unwrap().value.span.of(text)
    }

    #[test]
    fn maps_json_values_through_every_literal_form() {
        let forms = [
            r#"```[{"Source": "Raw", "Query": "F() | where a == \"x\""}]```"#,
            r#"@'[{"Source": "Raw", "Query": "F() | where a == \"x\""}]'"#,
            r#""[{\"Source\": \"Raw\", \"Query\": \"F() | where a == \\\"x\\\"\"}]""#,
            r#"'[{"Source": "Raw", ' '"Query": "F() | where a == \\\"x\\\""}]'"#,
        ];
        for text in forms {
            let p = payload(text);
            let entry = p.entries()[0];
            assert_eq!(entry.member("source").unwrap().value.as_str(), Some("Raw"), "{text}");
            let query = &entry.member("Query").unwrap().value;
            assert_eq!(query.as_str(), Some("F() | where a == \"x\""), "{text}");
            // The value's span covers its quotes in the file; the string map reaches inside.
            assert!(query_span(text, &p).starts_with(['"', '\\']), "{text}");
            let JsonKind::String { map, .. } = &query.kind else { unreachable!() };
            assert_eq!(map.span_to_source(Span::new(0, 3)).of(text), "F()", "{text}");
            let x = map.span_to_source(Span::new(18, 19)).of(text);
            assert_eq!(x, "x", "{text}");
        }
    }

    #[test]
    fn booleans_may_be_strings() {
        let p = payload(r#"@'[{"IsEnabled": "True", "IsTransactional": false, "ManagedIdentity": null}]'"#);
        let entry = p.entries()[0];
        assert_eq!(entry.member("IsEnabled").unwrap().value.as_flag(), Some(Flag { value: true, from_string: true }));
        assert_eq!(
            entry.member("istransactional").unwrap().value.as_flag(),
            Some(Flag { value: false, from_string: false })
        );
        assert!(entry.member("ManagedIdentity").unwrap().value.is_null());
    }

    #[test]
    fn syntax_errors_point_into_the_file() {
        let text = "@'[{\"Source\": \"Raw\",, }]'";
        let p = payload(text);
        let error = p.json.unwrap_err();
        assert_eq!(error.span.of(text), ",");
        assert_eq!(error.span.start, 20);
    }

    #[test]
    fn bare_json_arrays() {
        let text = r#"x [{"Query": "T"}] y"#;
        let p = Payload::bare(text, Span::new(2, 18));
        assert_eq!(p.entries()[0].member("Query").unwrap().value.span.of(text), "\"T\"");
    }
}
