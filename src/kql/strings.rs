//! String literal values, decoded once, with a map from decoded offsets back to the source.
//!
//! A diagnostic about text inside a string (a JSON property of a policy payload, a table name
//! in a `Query`) must point at the bytes of the file, through every layer of escaping
//! (`spec/kql-grammar.md` §4.12). [`OffsetMap`] records where each run of decoded bytes came
//! from, and maps compose, so a second decoding layer (JSON) can map back through the first.

use super::token::{StringForm, Token, TokenKind};
use crate::span::Span;

/// One stretch of decoded bytes and the source bytes it came from. A *copied* stretch has the
/// same length on both sides and maps byte for byte; an escape (`\"`, `""`, `\u0041`) maps its
/// decoded bytes to all of its source bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Segment {
    decoded: u32,
    decoded_len: u32,
    source: u32,
    source_len: u32,
    copied: bool,
}

impl Segment {
    fn decoded_end(&self) -> u32 {
        self.decoded + self.decoded_len
    }
    fn source_end(&self) -> u32 {
        self.source + self.source_len
    }
}

/// Where each stretch of a decoded string came from in its source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OffsetMap {
    segments: Vec<Segment>,
    /// Where an empty decoded text sits in the source.
    origin: u32,
}

impl OffsetMap {
    /// The identity map of a text of `len` bytes that starts at `source_start`.
    pub fn identity(source_start: usize, len: usize) -> OffsetMap {
        let mut map = OffsetMap { segments: Vec::with_capacity(1), origin: source_start as u32 };
        map.push_copied(0, source_start, len);
        map
    }

    fn push_copied(&mut self, decoded: usize, source: usize, len: usize) {
        if len == 0 {
            return;
        }
        if let Some(last) = self.segments.last_mut() {
            if last.copied && last.decoded_end() as usize == decoded && last.source_end() as usize == source {
                last.decoded_len += len as u32;
                last.source_len += len as u32;
                return;
            }
        }
        self.segments.push(Segment {
            decoded: decoded as u32,
            decoded_len: len as u32,
            source: source as u32,
            source_len: len as u32,
            copied: true,
        });
    }

    fn push_escape(&mut self, decoded: usize, decoded_len: usize, source: usize, source_len: usize) {
        self.segments.push(Segment {
            decoded: decoded as u32,
            decoded_len: decoded_len as u32,
            source: source as u32,
            source_len: source_len as u32,
            copied: false,
        });
    }

    /// The source offset where the decoded byte at `decoded` starts.
    pub fn to_source(&self, decoded: usize) -> usize {
        let d = decoded as u32;
        let at = self.segments.partition_point(|seg| seg.decoded_end() <= d);
        match self.segments.get(at) {
            Some(seg) if seg.decoded <= d => {
                if seg.copied {
                    (seg.source + (d - seg.decoded)) as usize
                } else {
                    seg.source as usize
                }
            }
            Some(seg) => seg.source as usize,
            None => self.segments.last().map_or(self.origin, Segment::source_end) as usize,
        }
    }

    /// The source offset where the decoded text that ends at `decoded` ends.
    pub fn end_to_source(&self, decoded: usize) -> usize {
        let d = decoded as u32;
        let at = self.segments.partition_point(|seg| seg.decoded_end() < d);
        match self.segments.get(at) {
            Some(seg) if seg.decoded < d => {
                if seg.copied {
                    (seg.source + (d - seg.decoded)) as usize
                } else {
                    seg.source_end() as usize
                }
            }
            Some(seg) => seg.source as usize,
            None => self.segments.last().map_or(self.origin, Segment::source_end) as usize,
        }
    }

    /// The source range of a decoded range.
    pub fn span_to_source(&self, span: Span) -> Span {
        let start = self.to_source(span.start as usize);
        if span.is_empty() {
            return Span::empty(start);
        }
        let end = self.end_to_source(span.end as usize).max(start);
        Span::new(start, end)
    }

    /// The map of a second decoding layer (`inner`, whose source is this map's decoded text)
    /// straight to this map's source.
    pub fn compose(&self, inner: &OffsetMap) -> OffsetMap {
        let mut out = OffsetMap {
            segments: Vec::with_capacity(inner.segments.len()),
            origin: self.to_source(inner.origin as usize) as u32,
        };
        for seg in &inner.segments {
            if !seg.copied {
                let span = self.span_to_source(Span::new(seg.source as usize, seg.source_end() as usize));
                out.push_escape(seg.decoded as usize, seg.decoded_len as usize, span.start as usize, span.len());
                continue;
            }
            // A copied stretch may cross several segments of this map: split it along them.
            let mut d1 = seg.source;
            let end1 = seg.source_end();
            while d1 < end1 {
                let at = self.segments.partition_point(|s| s.decoded_end() <= d1);
                let Some(outer) = self.segments.get(at) else { break };
                let piece_end = outer.decoded_end().min(end1);
                let d2 = (seg.decoded + (d1 - seg.source)) as usize;
                let len = (piece_end - d1) as usize;
                if outer.copied {
                    out.push_copied(d2, (outer.source + (d1 - outer.decoded)) as usize, len);
                } else {
                    out.push_escape(d2, len, outer.source as usize, outer.source_len as usize);
                }
                d1 = piece_end;
            }
        }
        out
    }
}

/// The value of a string literal (or of several adjacent ones) and its offset map.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodedString {
    pub value: String,
    pub map: OffsetMap,
    /// False when a backslash escape was not one KQL defines (the value keeps the character).
    pub escapes_valid: bool,
}

/// Decodes consecutive string tokens of `text` into one value (compound literal, §1.6).
pub fn decode_tokens(text: &str, tokens: &[Token]) -> DecodedString {
    let mut out = DecodedString { escapes_valid: true, ..DecodedString::default() };
    out.map.origin = tokens.first().map_or(0, |t| t.span.start);
    for token in tokens {
        if let TokenKind::String { form, obfuscated, terminated } = token.kind {
            decode_into(text, token.span, form, obfuscated, terminated, &mut out);
        }
    }
    out
}

/// Decodes one string token.
pub fn decode_token(text: &str, token: &Token) -> DecodedString {
    decode_tokens(text, std::slice::from_ref(token))
}

/// The value of consecutive string tokens whose spans index `text` once moved back by `base`
/// (a unit's tokens cut from its file's stream): [`decode_tokens`]'s value, without its map.
pub fn decode_value(text: &str, tokens: &[Token], base: u32) -> String {
    let shifted = |t: &Token| Span { start: t.span.start - base, end: t.span.end - base };
    // One literal with nothing to decode, the common case: its content as it is.
    if let [token] = tokens {
        if let TokenKind::String { form, obfuscated, terminated } = token.kind {
            let (quote, content_start, content_end) = content_range(text, shifted(token), form, obfuscated, terminated);
            let content = &text[content_start..content_end];
            let plain = match form {
                StringForm::MultiLine => true,
                StringForm::Verbatim => !content.as_bytes().contains(&quote),
                StringForm::Plain => !content.contains('\\'),
            };
            if plain {
                return content.to_string();
            }
        }
    }
    let mut out = DecodedString { escapes_valid: true, ..DecodedString::default() };
    for token in tokens {
        if let TokenKind::String { form, obfuscated, terminated } = token.kind {
            decode_into(text, shifted(token), form, obfuscated, terminated, &mut out);
        }
    }
    out.value
}

/// The opening quote byte of a string token and where its content starts and ends.
fn content_range(text: &str, span: Span, form: StringForm, obfuscated: bool, terminated: bool) -> (u8, usize, usize) {
    let mut start = span.start as usize;
    let end = span.end as usize;
    if obfuscated {
        start += 1;
    }
    if text[start..end].starts_with('@') {
        start += 1;
    }
    let (open, close) = match form {
        StringForm::MultiLine => (3, 3),
        _ => (1, 1),
    };
    let content_start = (start + open).min(end);
    let content_end = if terminated { end - close } else { end }.max(content_start);
    (text.as_bytes().get(start).copied().unwrap_or(b'"'), content_start, content_end)
}

fn decode_into(text: &str, span: Span, form: StringForm, obfuscated: bool, terminated: bool, out: &mut DecodedString) {
    let (quote, content_start, content_end) = content_range(text, span, form, obfuscated, terminated);
    let content = &text[content_start..content_end];
    match form {
        StringForm::MultiLine => copy_run(out, content, content_start),
        StringForm::Verbatim => {
            let mut run_start = 0;
            let bytes = content.as_bytes();
            let mut k = 0;
            while k < bytes.len() {
                if bytes[k] == quote && bytes.get(k + 1) == Some(&quote) {
                    copy_run(out, &content[run_start..k], content_start + run_start);
                    out.map.push_escape(out.value.len(), 1, content_start + k, 2);
                    out.value.push(quote as char);
                    k += 2;
                    run_start = k;
                } else {
                    k += 1;
                }
            }
            copy_run(out, &content[run_start..], content_start + run_start);
        }
        StringForm::Plain => decode_escapes(content, content_start, out),
    }
}

/// Decodes a JSON string token `raw` (quotes included) that sits at `source_start` of its text:
/// the JSON escapes `\" \\ \/ \b \f \n \r \t \uXXXX` (surrogate pairs included), and `\'`, with
/// a map back to that text. The token may be in single quotes, as ADX's JSON reader accepts. The
/// value equals what a JSON parser yields for a valid token.
pub fn decode_json_string(raw: &str, source_start: usize) -> DecodedString {
    let mut out = DecodedString { escapes_valid: true, ..DecodedString::default() };
    out.map.origin = source_start as u32;
    let quote = raw.chars().next().filter(|&c| c == '"' || c == '\'');
    let inner_start = quote.map_or(0, char::len_utf8);
    let closed = quote.is_some_and(|q| raw.len() > inner_start && raw.ends_with(q));
    let inner_end = if closed { raw.len() - 1 } else { raw.len() };
    let content = &raw[inner_start..inner_end];
    let base = source_start + inner_start;
    let bytes = content.as_bytes();
    let (mut run_start, mut k) = (0, 0);
    while k < bytes.len() {
        if bytes[k] != b'\\' {
            k += 1;
            continue;
        }
        copy_run(&mut out, &content[run_start..k], base + run_start);
        let decoded_at = out.value.len();
        let (decoded, len) = json_escape(&content[k..]);
        match decoded {
            Some(c) => out.value.push(c),
            None => out.escapes_valid = false,
        }
        out.map.push_escape(decoded_at, out.value.len() - decoded_at, base + k, len);
        k += len;
        run_start = k;
    }
    copy_run(&mut out, &content[run_start..], base + run_start);
    out
}

/// The JSON escape at the start of `s` (which starts with `\`): its character and length.
fn json_escape(s: &str) -> (Option<char>, usize) {
    let hex4 = |at: usize| {
        s.get(at..at + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|d| u32::from_str_radix(d, 16).ok())
    };
    match s.as_bytes().get(1) {
        Some(b'"') => (Some('"'), 2),
        Some(b'\'') => (Some('\''), 2),
        Some(b'\\') => (Some('\\'), 2),
        Some(b'/') => (Some('/'), 2),
        Some(b'b') => (Some('\u{8}'), 2),
        Some(b'f') => (Some('\u{C}'), 2),
        Some(b'n') => (Some('\n'), 2),
        Some(b'r') => (Some('\r'), 2),
        Some(b't') => (Some('\t'), 2),
        Some(b'u') => match hex4(2) {
            Some(high @ 0xD800..=0xDBFF) => match (s.get(6..8), hex4(8)) {
                (Some("\\u"), Some(low @ 0xDC00..=0xDFFF)) => {
                    (char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)), 12)
                }
                _ => (Some('\u{FFFD}'), 6),
            },
            Some(unit) => (Some(char::from_u32(unit).unwrap_or('\u{FFFD}')), 6),
            None => (None, 2),
        },
        Some(_) => (None, 1 + s[1..].chars().next().map_or(0, char::len_utf8)),
        None => (None, 1),
    }
}

fn copy_run(out: &mut DecodedString, run: &str, source: usize) {
    out.map.push_copied(out.value.len(), source, run.len());
    out.value.push_str(run);
}

fn decode_escapes(content: &str, base: usize, out: &mut DecodedString) {
    let bytes = content.as_bytes();
    let mut run_start = 0;
    let mut k = 0;
    while k < bytes.len() {
        if bytes[k] != b'\\' {
            k += 1;
            continue;
        }
        copy_run(out, &content[run_start..k], base + run_start);
        let decoded_at = out.value.len();
        let (decoded, len) = escape(&content[k..]);
        match decoded {
            Some(c) => out.value.push(c),
            None => {
                out.escapes_valid = false;
                // Lenient: keep the escaped character as written.
                if let Some(c) = content[k + 1..].chars().next() {
                    out.value.push(c);
                }
            }
        }
        out.map.push_escape(decoded_at, out.value.len() - decoded_at, base + k, len);
        k += len;
        run_start = k;
    }
    copy_run(out, &content[run_start..], base + run_start);
}

/// Decodes the escape at the start of `s` (which starts with `\`): the character, if the escape
/// is valid, and the number of bytes it spans.
fn escape(s: &str) -> (Option<char>, usize) {
    let rest = &s[1..];
    let Some(c) = rest.chars().next() else {
        return (None, 1);
    };
    let simple = match c {
        '\\' => Some('\\'),
        '\'' => Some('\''),
        '"' => Some('"'),
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{C}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\u{B}'),
        _ => None,
    };
    if simple.is_some() {
        return (simple, 2);
    }
    let hex = |n: usize| -> Option<u32> {
        let digits = rest.get(1..1 + n)?;
        if digits.bytes().all(|b| b.is_ascii_hexdigit()) { u32::from_str_radix(digits, 16).ok() } else { None }
    };
    match c {
        'u' => match hex(4) {
            Some(high @ 0xD800..=0xDBFF) => {
                // A UTF-16 surrogate pair written as two escapes.
                let low = rest
                    .get(5..7)
                    .filter(|p| *p == "\\u")
                    .and_then(|_| rest.get(7..11))
                    .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
                    .and_then(|d| u32::from_str_radix(d, 16).ok())
                    .filter(|low| (0xDC00..=0xDFFF).contains(low));
                match low {
                    Some(low) => (char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)), 12),
                    None => (Some('\u{FFFD}'), 6),
                }
            }
            Some(unit) => (Some(char::from_u32(unit).unwrap_or('\u{FFFD}')), 6),
            None => (None, 2),
        },
        'U' => match hex(8) {
            Some(cp) => (Some(char::from_u32(cp).unwrap_or('\u{FFFD}')), 10),
            None => (None, 2),
        },
        'x' => match hex(2) {
            Some(b) => (char::from_u32(b), 4),
            None => (None, 2),
        },
        '0'..='7' => {
            let digits: String = rest.chars().take(3).take_while(|c| ('0'..='7').contains(c)).collect();
            // Three digits only when the first is 0-3 (the value stays below 256).
            let digits = if digits.len() == 3 && digits.as_bytes()[0] > b'3' { &digits[..2] } else { &digits };
            let value = u32::from_str_radix(digits, 8).unwrap_or(0);
            (char::from_u32(value), 1 + digits.len())
        }
        other => (None, 1 + other.len_utf8()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kql::lexer::lex;

    fn decode(text: &str) -> DecodedString {
        let tokens = lex(text);
        let strings: Vec<Token> = tokens.into_iter().filter(|t| t.kind.is_string()).collect();
        decode_tokens(text, &strings)
    }

    #[test]
    fn decodes_every_form() {
        assert_eq!(decode("'a'").value, "a");
        assert_eq!(decode(r#""a\"b""#).value, "a\"b");
        assert_eq!(decode(r"'a\\b\n\t'").value, "a\\b\n\t");
        assert_eq!(decode(r"'\u0041\x42\101'").value, "ABA");
        assert_eq!(decode(r"'\U0001F600'").value, "\u{1F600}");
        assert_eq!(decode(r"'\uD83D\uDE00'").value, "\u{1F600}");
        assert_eq!(decode("@'c:\\x'").value, "c:\\x");
        assert_eq!(decode("@'it''s'").value, "it's");
        assert_eq!(decode("@\"a\"\"b\"").value, "a\"b");
        assert_eq!(decode("```x\n'y'```").value, "x\n'y'");
        assert_eq!(decode("h'secret'").value, "secret");
        assert_eq!(decode("H@'s''x'").value, "s'x");
        assert_eq!(decode("'it''s'").value, "its");
        assert_eq!(decode("'a' \"b\" // c\n@'d'").value, "abd");
    }

    #[test]
    fn invalid_escapes_are_kept_and_flagged() {
        // The lexer ends a literal at an invalid escape (as Kusto does); the decoder, given such a
        // literal anyway, keeps the character and flags it.
        let text = r"'\d+'";
        let whole = Token {
            kind: TokenKind::String { form: StringForm::Plain, obfuscated: false, terminated: true },
            span: Span::new(0, text.len()),
        };
        let d = decode_tokens(text, &[whole]);
        assert_eq!(d.value, "d+");
        assert!(!d.escapes_valid);
        assert!(decode(r"'\n'").escapes_valid);
    }

    #[test]
    fn maps_decoded_offsets_to_source_bytes() {
        //          0123456 7 89
        let text = r#"x = "ab\"cd""#;
        let d = decode(text);
        assert_eq!(d.value, "ab\"cd");
        let src = |a: usize, b: usize| d.map.span_to_source(Span::new(a, b)).of(text).to_string();
        assert_eq!(src(0, 2), "ab");
        assert_eq!(src(2, 3), "\\\"");
        assert_eq!(src(3, 5), "cd");
        assert_eq!(src(0, 5), "ab\\\"cd");
    }

    #[test]
    fn maps_through_doubled_quotes_and_concatenation() {
        let text = "@'it''s' 'x'";
        let d = decode(text);
        assert_eq!(d.value, "it'sx");
        let src = |a: usize, b: usize| d.map.span_to_source(Span::new(a, b)).of(text).to_string();
        assert_eq!(src(0, 2), "it");
        assert_eq!(src(3, 4), "s");
        assert_eq!(src(4, 5), "x");
    }

    #[test]
    fn decodes_json_strings_with_a_map() {
        let json = r#"{"Query": "T | where a == \"x\"\n| take 1"}"#;
        let start = json.find("\"T").unwrap();
        let end = json.rfind('"').unwrap() + 1;
        let d = decode_json_string(&json[start..end], start);
        assert_eq!(d.value, "T | where a == \"x\"\n| take 1");
        let src = |a: usize, b: usize| d.map.span_to_source(Span::new(a, b)).of(json).to_string();
        assert_eq!(src(0, 1), "T");
        assert_eq!(src(15, 18), "\\\"x\\\"");
        assert_eq!(src(18, 19), "\\n");
        assert_eq!(src(19, 25), "| take");
        assert_eq!(decode_json_string(r#""\u00e9\ud83d\ude00""#, 0).value, "\u{e9}\u{1F600}");
    }

    #[test]
    fn maps_compose_across_layers() {
        // Outer layer: a plain KQL string; inner layer: pretend JSON unescaping of `\\n`.
        let text = r#"'[\"q\"]'"#;
        let outer = decode(text);
        assert_eq!(outer.value, r#"["q"]"#);
        let inner = OffsetMap::identity(0, outer.value.len());
        let both = outer.map.compose(&inner);
        assert_eq!(both.span_to_source(Span::new(2, 3)).of(text), "q");
    }
}
