//! Policy payloads: a string literal (or a bare JSON array) holding JSON, decoded once, with
//! every JSON value mapped back to its bytes in the file through both layers of escaping
//! (`spec/kql-grammar.md` §4.12).

use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::common::{Range, Ranged};
use jsonc_parser::{CollectOptions, ParseOptions, ParseResult};

use crate::kql::strings::{self, DecodedString, OffsetMap};
use crate::kql::token::Token;
use crate::span::Span;
use rustc_hash::FxHashSet;
use std::sync::Arc;

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
    /// Shared with the model (an update policy's history holds the payload as written).
    pub json: Result<std::sync::Arc<JsonValue>, JsonError>,
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
        value: Box<str>,
        map: OffsetMap,
    },
    Array(Vec<JsonValue>),
    /// Members in document order.
    Object(Vec<JsonMember>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct JsonMember {
    /// Shared by the members of one payload that spell it the same (a policy of thousands of
    /// entries holds `"Query"` once).
    pub key: Arc<str>,
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
            JsonKind::String { value, .. } => Value::String(value.to_string()),
            JsonKind::Array(items) => Value::Array(items.iter().map(JsonValue::to_plain).collect()),
            JsonKind::Object(members) => {
                Value::Object(members.iter().map(|m| (m.key.to_string(), m.value.to_plain())).collect())
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
        let json = parse_json(&text, &map).map(std::sync::Arc::new);
        Payload { span, json }
    }

    /// The entries of a payload that is a JSON array (an object alone is one entry).
    pub fn entries(&self) -> Vec<&JsonValue> {
        match self.json.as_deref() {
            Ok(JsonValue { kind: JsonKind::Array(items), .. }) => items.iter().collect(),
            Ok(value @ JsonValue { kind: JsonKind::Object(_), .. }) => vec![value],
            _ => Vec::new(),
        }
    }
}

/// What ADX's JSON reader accepts beyond strict JSON: keys and strings in single quotes (its own
/// documentation writes `[ { 'ObjectId' : '<id>', 'AllowedUsages' : 'NativeIngestion' }]`),
/// `//` and `/* */` comments, trailing commas, unquoted keys. Missing commas, hexadecimal,
/// `+1`, `.5`, `NaN` and JSON5 escapes stay errors.
fn options() -> ParseOptions {
    ParseOptions {
        allow_comments: true,
        allow_loose_object_property_names: true,
        allow_trailing_commas: true,
        allow_missing_commas: false,
        allow_single_quoted_strings: true,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// Parses JSON `text` (whose offsets `map` takes to the file) as ADX reads policies.
fn parse_json(text: &str, map: &OffsetMap) -> Result<JsonValue, JsonError> {
    let error_at = |range: Range, message: String| {
        // The error is at the first byte that does not fit, not at the blank before it.
        let start = floor_char_boundary(text, range.start.min(text.len()));
        let start = start + text[start..].len() - text[start..].trim_start().len();
        let end = floor_char_boundary(text, range.end.clamp(start, text.len()));
        // An empty range (the end of the text) still points at a byte when there is one.
        let end = if end == start { ceil_char_boundary(text, (start + 1).min(text.len())) } else { end };
        JsonError { message, span: map.span_to_source(Span::new(start, end)) }
    };
    match jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options()) {
        Ok(ParseResult { value: Some(value), .. }) => Ok(convert(&value, text, map, &mut FxHashSet::default())),
        Ok(ParseResult { value: None, .. }) => {
            Err(error_at(Range { start: text.len(), end: text.len() }, "no JSON value".to_string()))
        }
        Err(error) => Err(error_at(error.range(), lower_first(&error.kind().to_string()))),
    }
}

/// `Expected comma` as uplint words messages: `expected comma`.
fn lower_first(message: &str) -> String {
    let mut chars = message.chars();
    chars.next().map_or_else(String::new, |first| first.to_lowercase().chain(chars).collect())
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn ceil_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}

/// `value` as a [`JsonValue`]; `keys` holds the keys met so far, shared.
fn convert(value: &Value<'_>, text: &str, map: &OffsetMap, keys: &mut FxHashSet<Arc<str>>) -> JsonValue {
    let range = value.range();
    let span = map.span_to_source(Span::new(range.start, range.end));
    let kind = match value {
        Value::NullKeyword(_) => JsonKind::Null,
        Value::BooleanLit(b) => JsonKind::Bool(b.value),
        Value::NumberLit(n) => JsonKind::Number(n.value.to_string()),
        Value::StringLit(_) => {
            let decoded = strings::decode_json_string(&text[range.start..range.end], range.start);
            JsonKind::String { value: decoded.value.into_boxed_str(), map: map.compose(&decoded.map) }
        }
        Value::Array(array) => JsonKind::Array(array.elements.iter().map(|v| convert(v, text, map, keys)).collect()),
        Value::Object(object) => JsonKind::Object(
            object
                .properties
                .iter()
                .map(|property| {
                    let (key, key_range) = match &property.name {
                        ObjectPropName::String(name) => (&*name.value, name.range),
                        ObjectPropName::Word(name) => (name.value, name.range),
                    };
                    let key = match keys.get(key) {
                        Some(key) => key.clone(),
                        None => {
                            let key: Arc<str> = Arc::from(key);
                            keys.insert(key.clone());
                            key
                        }
                    };
                    JsonMember {
                        key,
                        key_span: map.span_to_source(Span::new(key_range.start, key_range.end)),
                        value: convert(&property.value, text, map, keys),
                    }
                })
                .collect(),
        ),
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
    fn reads_json_as_adx_does_through_every_literal_form() {
        // Single-quoted keys and strings (Microsoft's documented managed identity example),
        // comments, trailing commas and unquoted keys, in each literal form.
        let forms = [
            r#""[ { 'ObjectId' : 'abc', 'AllowedUsages' : 'NativeIngestion', 'Query': 'F() | where a == \\'x\\'' }]""#,
            r#"@'[ { ''ObjectId'' : ''abc'', ''AllowedUsages'' : ''NativeIngestion'', ''Query'': ''F() | where a == \''x\'''' }]'"#,
            r#"'[ { \'ObjectId\' : \'abc\', \'AllowedUsages\' : \'NativeIngestion\', \'Query\': \'F() | where a == \\\'x\\\'\' }]'"#,
            "```[ // the identity\n { 'ObjectId' : 'abc', /* usages */ 'AllowedUsages' : 'NativeIngestion', 'Query': 'F() | where a == \\'x\\'', },\n]```",
            "```[{ObjectId: \"abc\", AllowedUsages: \"NativeIngestion\", Query: \"F() | where a == 'x'\"}]```",
        ];
        for text in forms {
            let p = payload(text);
            assert!(p.json.is_ok(), "{text}: {:?}", p.json);
            let entry = p.entries()[0];
            assert_eq!(entry.member("objectid").unwrap().value.as_str(), Some("abc"), "{text}");
            let usages = &entry.member("AllowedUsages").unwrap();
            assert_eq!(usages.value.as_str(), Some("NativeIngestion"), "{text}");
            assert!(usages.key_span.of(text).contains("AllowedUsages"), "{text}");
            let query = &entry.member("Query").unwrap().value;
            assert_eq!(query.as_str(), Some("F() | where a == 'x'"), "{text}");
            let JsonKind::String { map, .. } = &query.kind else { unreachable!() };
            assert_eq!(map.span_to_source(Span::new(0, 3)).of(text), "F()", "{text}");
            assert_eq!(map.span_to_source(Span::new(18, 19)).of(text), "x", "{text}");
        }
    }

    #[test]
    fn what_even_adx_rejects_is_an_error_at_its_byte() {
        for (text, at) in [
            // A missing comma between members.
            (r#"@'[{"Source": "Raw" "Query": "T"}]'"#, r#""Query""#),
            // A single-quoted string that is not closed.
            ("```[{'Source': 'Raw}]```", "'Raw}]"),
            // Hexadecimal numbers.
            ("```[{\"N\": 0x1F}]```", "0x1F"),
        ] {
            let error = payload(text).json.unwrap_err();
            assert_eq!(error.span.start as usize, text.find(at).unwrap(), "{text}: {error:?}");
        }
        // Through a layer of escaping, the error is at the file's bytes.
        let text = r#""[{\"Source\": \"Raw\" \"Query\": \"T\"}]""#;
        let error = payload(text).json.unwrap_err();
        assert_eq!(error.span.start as usize, text.find(r#"\"Query"#).unwrap(), "{error:?}");
    }

    #[test]
    fn bare_json_arrays() {
        let text = r#"x [{"Query": "T"}] y"#;
        let p = Payload::bare(text, Span::new(2, 18));
        assert_eq!(p.entries()[0].member("Query").unwrap().value.span.of(text), "\"T\"");
    }
}
