//! The KQL lexer: text to tokens with exact byte spans (`spec/kql-grammar.md` §1).
//!
//! Each token recognizer is a nom parser over the rest of the text; [`lex`] skips trivia,
//! dispatches on the first character in the order the official lexer uses (§1.3), and records
//! the byte range each recognizer consumed. Lexing never fails: a character that starts no
//! token becomes a [`TokenKind::Bad`] token and an unterminated literal is flagged in its kind.

use nom::{
    IResult, Parser,
    branch::alt,
    bytes::complete::{tag, take_while, take_while_m_n, take_while1},
    character::complete::{char, one_of, satisfy},
    combinator::{not, opt, peek, recognize},
};

use super::keywords::{self, Kw};
use super::token::{LiteralType, StringForm, Token, TokenKind};
use crate::span::Span;

type Res<'a, T> = IResult<&'a str, T>;

/// Tokenizes `text`. The last token is always [`TokenKind::Eof`].
pub fn lex(text: &str) -> Vec<Token> {
    // Scripts have a token per 5 to 8 bytes; denser text grows the vector.
    let mut tokens = Vec::with_capacity(text.len() / 4 + 2);
    lex_into(text, 0, usize::MAX, &mut tokens);
    // A big text's tokens stay while its units are parsed: without much spare room.
    if tokens.capacity() - tokens.len() > 1 << 16 {
        tokens.shrink_to_fit();
    }
    tokens
}

/// Adds to `tokens` up to `count` tokens of `text` from byte `from` (the end of a token, or 0),
/// as [`lex`] gives them (the last [`TokenKind::Eof`]): a large text can be lexed a stretch at
/// a time. Gives where the next token's trivia starts, or `None` once the
/// [`TokenKind::Eof`] is added. One loop for both, so that the token's recognizers are
/// inlined into it once.
pub fn lex_into(text: &str, from: usize, count: usize, tokens: &mut Vec<Token>) -> Option<usize> {
    let mut rest = &text[from..];
    for _ in 0..count {
        rest = skip_trivia(rest);
        let start = text.len() - rest.len();
        if rest.is_empty() {
            tokens.push(Token { kind: TokenKind::Eof, span: Span::empty(start) });
            return None;
        }
        let (after, kind) = next_token(rest);
        let end = text.len() - after.len();
        tokens.push(Token { kind, span: Span::new(start, end) });
        rest = after;
    }
    Some(text.len() - rest.len())
}

/// Identifier characters after the first (§1.4): ASCII letters, digits and `_`.
#[inline]
pub fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The characters that start a line break (§1.1).
#[inline]
pub fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// KQL whitespace (§1.1); the BOM is whitespace anywhere.
#[inline]
pub fn is_whitespace(c: char) -> bool {
    match c {
        ' ' | '\t' | '\r' | '\n' | '\u{000C}' => true,
        c if c.is_ascii() => false,
        '\u{00A0}'
        | '\u{1680}'
        | '\u{180E}'
        | '\u{2000}'..='\u{200B}'
        | '\u{202F}'
        | '\u{205F}'
        | '\u{3000}'
        | '\u{FEFF}' => true,
        _ => false,
    }
}

/// Skips whitespace and `//` comments; there are no block comments in KQL (§1.2).
pub fn skip_trivia(mut rest: &str) -> &str {
    loop {
        let bytes = rest.as_bytes();
        let mut i = 0;
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\r' | b'\n' | 0x0C) {
            i += 1;
        }
        match bytes.get(i..i + 2) {
            Some(b"//") => {
                i += 2 + line_end(&bytes[i + 2..]);
                rest = &rest[i..];
            }
            Some([first, _]) if *first >= 0x80 => {
                rest = &rest[i..];
                match rest.chars().next() {
                    Some(c) if is_whitespace(c) => rest = &rest[c.len_utf8()..],
                    _ => return rest,
                }
            }
            // An ASCII character that is not trivia, or the end.
            _ => return &rest[i..],
        }
    }
}

/// The length of the line that starts `bytes`, up to its line break (§1.1: `\n`, `\r`,
/// U+2028, U+2029) or the end.
#[inline]
fn line_end(bytes: &[u8]) -> usize {
    let mut k = 0;
    while k < bytes.len() {
        match bytes[k] {
            b'\n' | b'\r' => return k,
            // U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
            0xE2 if bytes.get(k + 1) == Some(&0x80) && matches!(bytes.get(k + 2), Some(0xA8 | 0xA9)) => return k,
            _ => k += 1,
        }
    }
    k
}

/// The length of the identifier characters (ASCII letters, digits, `_`) that start `bytes`.
#[inline]
fn ident_len(bytes: &[u8]) -> usize {
    bytes.iter().position(|&b| !(b.is_ascii_alphanumeric() || b == b'_')).unwrap_or(bytes.len())
}

/// Recognizes one token at the start of `i` (which is not empty and starts with no trivia).
#[inline(always)]
fn next_token(i: &str) -> (&str, TokenKind) {
    let first = i.as_bytes()[0];
    let result = match first {
        b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'$' => word(i),
        b'0'..=b'9' => number_or_word(i),
        b'\'' | b'"' => quoted_string(i, false),
        b'`' | b'~' => multi_line_string(i, false).or_else(|_| punctuation(i)),
        b'@' => verbatim_or_multi_line(i, false).or_else(|_| punctuation(i)),
        b'!' => bang_keyword(i).or_else(|_| punctuation(i)),
        b'#' => directive(i),
        _ => punctuation(i),
    };
    match result {
        Ok((rest, kind)) => (rest, kind),
        Err(_) => bad_char(i),
    }
}

fn bad_char(i: &str) -> (&str, TokenKind) {
    let len = i.chars().next().map_or(1, char::len_utf8);
    (&i[len..], TokenKind::Bad)
}

fn directive(i: &str) -> Res<'_, TokenKind> {
    let bytes = i.as_bytes();
    let end = 1 + bytes[1..].iter().position(|&b| b == b'\n' || b == b'\r').unwrap_or(bytes.len() - 1);
    Ok((&i[end..], TokenKind::Directive))
}

#[inline(always)]
fn punctuation(i: &str) -> Res<'_, TokenKind> {
    use TokenKind::*;
    let b = i.as_bytes();
    let second = b.get(1).copied();
    let (kind, len) = match (b[0], second) {
        (b'(', _) => (LParen, 1),
        (b')', _) => (RParen, 1),
        (b'[', _) => (LBracket, 1),
        (b']', _) => (RBracket, 1),
        (b'{', _) => (LBrace, 1),
        (b'}', _) => (RBrace, 1),
        (b'|', _) => (Pipe, 1),
        (b'.', Some(b'.')) => (DotDot, 2),
        (b'.', _) => (Dot, 1),
        (b'+', _) => (Plus, 1),
        (b'-', _) => (Minus, 1),
        (b'*', _) => (Star, 1),
        (b'/', _) => (Slash, 1),
        (b'%', _) => (Percent, 1),
        (b'<', Some(b'=')) => (LtEq, 2),
        (b'<', Some(b'>')) => (LtGt, 2),
        (b'<', Some(b'|')) => (InputPipe, 2),
        (b'<', _) => (Lt, 1),
        (b'>', Some(b'=')) => (GtEq, 2),
        (b'>', _) => (Gt, 1),
        (b'=', Some(b'=')) => (EqEq, 2),
        (b'=', Some(b'>')) => (FatArrow, 2),
        (b'=', Some(b'~')) => (EqTilde, 2),
        (b'=', _) => (Eq, 1),
        (b'!', Some(b'=')) => (BangEq, 2),
        (b'!', Some(b'~')) => (BangTilde, 2),
        (b':', _) => (Colon, 1),
        (b';', _) => (Semicolon, 1),
        (b',', _) => (Comma, 1),
        (b'@', _) => (At, 1),
        (b'?', _) => (Question, 1),
        _ => {
            return Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Char)));
        }
    };
    Ok((&i[len..], kind))
}

// ---------------------------------------------------------------------------------------
// Strings (§1.6)

/// `'..'` / `".."` with backslash escapes; stops (unterminated) at a line break.
fn quoted_string(i: &str, obfuscated: bool) -> Res<'_, TokenKind> {
    let (rest, quote) = one_of("'\"").parse(i)?;
    let bytes = rest.as_bytes();
    let q = quote as u8;
    let mut k = 0;
    while k < bytes.len() {
        match bytes[k] {
            b'\\' => match escape_len(&bytes[k + 1..]) {
                Some(len) => k += 1 + len,
                // Kusto ends the literal (unterminated) at an invalid escape sequence.
                None => return Ok((&rest[k..], string_kind(StringForm::Plain, obfuscated, false))),
            },
            b'\n' | b'\r' => return Ok((&rest[k..], string_kind(StringForm::Plain, obfuscated, false))),
            c if c == q => return Ok((&rest[k + 1..], string_kind(StringForm::Plain, obfuscated, true))),
            _ => k += 1,
        }
    }
    Ok((&rest[rest.len()..], string_kind(StringForm::Plain, obfuscated, false)))
}

/// The length of a valid escape sequence after a backslash: `\t \n \r \\ \' \" \a \b \f \v`,
/// one to three octal digits, `\xHH`, `\uHHHH`, `\UHHHHHHHH`; `None` for any other.
fn escape_len(after: &[u8]) -> Option<usize> {
    let hex = |n: usize| (after.len() > n && after[1..=n].iter().all(u8::is_ascii_hexdigit)).then_some(n + 1);
    match *after.first()? {
        b't' | b'n' | b'r' | b'\\' | b'\'' | b'"' | b'a' | b'b' | b'f' | b'v' => Some(1),
        b'0'..=b'7' => Some(after.iter().take(3).take_while(|c| matches!(c, b'0'..=b'7')).count()),
        b'x' => hex(2),
        b'u' => hex(4),
        b'U' => hex(8),
        _ => None,
    }
}

/// `@'..'` / `@".."` (a doubled quote is a quote) or `@` before a multi-line string.
fn verbatim_or_multi_line(i: &str, obfuscated: bool) -> Res<'_, TokenKind> {
    let (rest, _) = char('@').parse(i)?;
    if rest.starts_with("```") || rest.starts_with("~~~") {
        return multi_line_string(rest, obfuscated);
    }
    let (rest, quote) = one_of("'\"").parse(rest)?;
    let bytes = rest.as_bytes();
    let q = quote as u8;
    let mut k = 0;
    while k < bytes.len() {
        match bytes[k] {
            c if c == q => {
                if bytes.get(k + 1) == Some(&q) {
                    k += 2;
                } else {
                    return Ok((&rest[k + 1..], string_kind(StringForm::Verbatim, obfuscated, true)));
                }
            }
            b'\n' | b'\r' => return Ok((&rest[k..], string_kind(StringForm::Verbatim, obfuscated, false))),
            _ => k += 1,
        }
    }
    Ok((&rest[rest.len()..], string_kind(StringForm::Verbatim, obfuscated, false)))
}

/// ```` ```..``` ```` or `~~~..~~~`: no escapes, runs to the next fence or to the end.
fn multi_line_string(i: &str, obfuscated: bool) -> Res<'_, TokenKind> {
    let (rest, fence) = alt((tag("```"), tag("~~~"))).parse(i)?;
    match rest.find(fence) {
        Some(at) => Ok((&rest[at + 3..], string_kind(StringForm::MultiLine, obfuscated, true))),
        None => Ok((&rest[rest.len()..], string_kind(StringForm::MultiLine, obfuscated, false))),
    }
}

fn string_kind(form: StringForm, obfuscated: bool, terminated: bool) -> TokenKind {
    TokenKind::String { form, obfuscated, terminated }
}

/// The `h`/`H` prefix of an obfuscated string, then the string.
fn obfuscated_string(i: &str) -> Res<'_, TokenKind> {
    let (rest, _) = one_of("hH").parse(i)?;
    match rest.as_bytes().first() {
        Some(b'\'' | b'"') => quoted_string(rest, true),
        Some(b'@') => verbatim_or_multi_line(rest, true),
        _ => multi_line_string(rest, true),
    }
}

// ---------------------------------------------------------------------------------------
// Words: keywords, identifiers, booleans, GUIDs (§1.3-1.5, §1.9)

fn ident_tail(i: &str) -> Res<'_, &str> {
    take_while(is_ident_char).parse(i)
}

#[inline(always)]
fn word(i: &str) -> Res<'_, TokenKind> {
    let bytes = i.as_bytes();
    if bytes.get(8) == Some(&b'-') {
        if let Ok(found) = raw_guid(i) {
            return Ok(found);
        }
    }
    if matches!(bytes, [b'h' | b'H', b'\'' | b'"' | b'@' | b'`' | b'~', ..]) {
        if let Ok(found) = obfuscated_string(i) {
            return Ok(found);
        }
    }
    // The caller saw an identifier start (a letter, `_` or `$`).
    let (first, rest) = i.split_at(1 + ident_len(&bytes[1..]));
    if bytes[0] == b'$' {
        return Ok((rest, TokenKind::Ident));
    }
    if let Some((rest, kw)) = extended_keyword(i, first, rest) {
        return Ok((rest, TokenKind::Keyword(kw)));
    }
    if matches!(first.len(), 4 | 5) && matches!(first, "true" | "True" | "TRUE" | "false" | "False" | "FALSE") {
        return Ok((rest, TokenKind::Bool));
    }
    match keywords::lookup(first) {
        Some(kw) if kw.starts_typed_literal() && rest.starts_with('(') => typed_literal(rest, kw),
        Some(kw) => Ok((rest, TokenKind::Keyword(kw))),
        None => Ok((rest, TokenKind::Ident)),
    }
}

/// The longest keyword that continues `first` with `-word` parts (`mv-expand`), `.word`
/// (`hint.strategy`), ` regex` (`matches regex`) or `~` (`in~`).
fn extended_keyword<'a>(whole: &'a str, first: &'a str, rest: &'a str) -> Option<(&'a str, Kw)> {
    let next = rest.as_bytes().first().copied()?;
    let mut best = None;
    match next {
        b'-' => {
            let mut after = rest;
            while let Ok((r, _)) = joined_word('-', after) {
                after = r;
                let text = &whole[..whole.len() - after.len()];
                if let Some(kw) = keywords::lookup(text) {
                    best = Some((after, kw));
                }
            }
        }
        b'.' if first == "hint" => {
            let (after, _) = joined_word('.', rest).ok()?;
            let text = &whole[..whole.len() - after.len()];
            best = keywords::lookup(text).map(|kw| (after, kw));
        }
        b' ' if first == "matches" => {
            let (after, _) = regex_suffix(rest).ok()?;
            best = Some((after, Kw::MatchesRegex));
        }
        b'~' => {
            let after = &rest[1..];
            if !after.starts_with(is_ident_char) {
                let text = &whole[..whole.len() - after.len()];
                best = keywords::lookup(text).map(|kw| (after, kw));
            }
        }
        _ => {}
    }
    best
}

/// `-word` or `.word` continuing a keyword spelling.
fn joined_word(joiner: char, i: &str) -> Res<'_, &str> {
    recognize((char(joiner), satisfy(|c| c.is_ascii_alphabetic()), ident_tail)).parse(i)
}

fn regex_suffix(i: &str) -> Res<'_, &str> {
    recognize((tag(" regex"), not_followed_by_ident)).parse(i)
}

/// `!has`, `!in~`, `!between`... (`!=` and `!~` are punctuation).
fn bang_keyword(i: &str) -> Res<'_, TokenKind> {
    let (rest, _) =
        recognize((char('!'), satisfy(|c| c.is_ascii_alphabetic()), ident_tail, opt(char('~')))).parse(i)?;
    let text = &i[..i.len() - rest.len()];
    if rest.starts_with(is_ident_char) {
        return fail(i);
    }
    if let Some(kw) = keywords::lookup(text) {
        return Ok((rest, TokenKind::Keyword(kw)));
    }
    // `!in~x`-like text without the `~`: try the shorter spelling.
    if let Some(stripped) = text.strip_suffix('~') {
        if let Some(kw) = keywords::lookup(stripped) {
            return Ok((&i[stripped.len()..], TokenKind::Keyword(kw)));
        }
    }
    fail(i)
}

fn fail<T>(i: &str) -> Res<'_, T> {
    Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Verify)))
}

/// `datetime(...)` and friends: one token through the first `)` on the same line (§1.8).
fn typed_literal(rest_after_keyword: &str, kw: Kw) -> Res<'_, TokenKind> {
    let ty = match kw {
        Kw::Datetime | Kw::Date => LiteralType::DateTime,
        Kw::Timespan | Kw::Time => LiteralType::TimeSpan,
        Kw::Long | Kw::Int64 => LiteralType::Long,
        Kw::Int | Kw::Int32 => LiteralType::Int,
        Kw::Real | Kw::Double => LiteralType::Real,
        Kw::Decimal => LiteralType::Decimal,
        Kw::Bool => LiteralType::Bool,
        _ => LiteralType::Guid,
    };
    let (rest, _) = take_while(|c| c != ')' && c != '\n' && c != '\r').parse(rest_after_keyword)?;
    match rest.strip_prefix(')') {
        Some(after) => Ok((after, TokenKind::TypedLiteral { ty, terminated: true })),
        None => Ok((rest, TokenKind::TypedLiteral { ty, terminated: false })),
    }
}

/// `8-4-4-4-12` hex digits, not followed by an identifier character (§1.9).
fn raw_guid(i: &str) -> Res<'_, TokenKind> {
    let hex = |n| take_while_m_n(n, n, |c: char| c.is_ascii_hexdigit());
    let (rest, _) = (hex(8), char('-'), hex(4), char('-'), hex(4), char('-'), hex(4), char('-'), hex(12)).parse(i)?;
    if rest.starts_with(is_ident_char) {
        return fail(i);
    }
    Ok((rest, TokenKind::Guid))
}

// ---------------------------------------------------------------------------------------
// Numbers and timespans (§1.7)

fn digits(i: &str) -> Res<'_, &str> {
    take_while1(|c: char| c.is_ascii_digit()).parse(i)
}

fn not_followed_by_ident(i: &str) -> Res<'_, ()> {
    not(peek(satisfy(is_ident_char))).parse(i)
}

/// Tries raw GUID, real, timespan, long, then a digit-led identifier, in that order.
fn number_or_word(i: &str) -> Res<'_, TokenKind> {
    if i.as_bytes().get(8) == Some(&b'-') {
        if let Ok(found) = raw_guid(i) {
            return Ok(found);
        }
    }
    if let Ok((rest, _)) = (real, not_followed_by_ident).parse(i) {
        return Ok((rest, TokenKind::Real));
    }
    if let Ok((rest, _)) = (timespan, not_followed_by_ident).parse(i) {
        return Ok((rest, TokenKind::Timespan));
    }
    if let Ok((rest, _)) = (hex_long, not_followed_by_ident).parse(i) {
        return Ok((rest, TokenKind::Long));
    }
    if let Ok((rest, _)) = (digits, not_followed_by_ident).parse(i) {
        return Ok((rest, TokenKind::Long));
    }
    // A digit-led identifier such as `3rdparty`, or the keyword `3Dchart`.
    let (rest, text) = take_while1(is_ident_char).parse(i)?;
    match keywords::lookup(text) {
        Some(kw) => Ok((rest, TokenKind::Keyword(kw))),
        None => Ok((rest, TokenKind::Ident)),
    }
}

fn hex_long(i: &str) -> Res<'_, &str> {
    recognize((char('0'), one_of("xX"), take_while1(|c: char| c.is_ascii_hexdigit()))).parse(i)
}

fn exponent(i: &str) -> Res<'_, &str> {
    recognize((one_of("eE"), opt(one_of("+-")), digits)).parse(i)
}

/// `1.`, `1.5`, `1.5e3`, `1e5`; the `.` must not start `..` (`2..3` is a range).
fn real(i: &str) -> Res<'_, &str> {
    alt((
        recognize((digits, char('.'), not(peek(char('.'))), opt(digits), opt(exponent))),
        recognize((digits, exponent)),
    ))
    .parse(i)
}

/// `1d`, `1.5h`, `10ms`, `3tick`: the longest unit spelling wins.
fn timespan(i: &str) -> Res<'_, &str> {
    recognize((digits, opt((char('.'), digits)), timespan_unit)).parse(i)
}

fn timespan_unit(i: &str) -> Res<'_, &str> {
    let (_, letters) = take_while1(|c: char| c.is_ascii_alphabetic()).parse(i)?;
    // Longest spelling that is a unit and is not followed by an identifier character.
    const UNITS: &[&str] = &[
        "d",
        "day",
        "days",
        "h",
        "hr",
        "hrs",
        "hour",
        "hours",
        "m",
        "min",
        "minute",
        "minutes",
        "s",
        "sec",
        "second",
        "seconds",
        "ms",
        "milli",
        "millis",
        "millisec",
        "millisecond",
        "milliseconds",
        "micro",
        "micros",
        "microsec",
        "microsecond",
        "microseconds",
        "nano",
        "nanos",
        "nanosec",
        "nanosecond",
        "nanoseconds",
        "tick",
        "ticks",
    ];
    if UNITS.contains(&letters) {
        return Ok((&i[letters.len()..], letters));
    }
    fail(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kql::token::TokenKind as K;

    fn kinds(text: &str) -> Vec<(TokenKind, &str)> {
        lex(text).into_iter().filter(|t| t.kind != K::Eof).map(|t| (t.kind, t.span.of(text))).collect()
    }

    fn one(text: &str) -> TokenKind {
        let toks = kinds(text);
        assert_eq!(toks.len(), 1, "{text:?} lexed as {toks:?}");
        assert_eq!(toks[0].1, text);
        toks[0].0
    }

    const PLAIN: TokenKind = K::String { form: StringForm::Plain, obfuscated: false, terminated: true };
    const VERBATIM: TokenKind = K::String { form: StringForm::Verbatim, obfuscated: false, terminated: true };
    const MULTI: TokenKind = K::String { form: StringForm::MultiLine, obfuscated: false, terminated: true };

    #[test]
    fn comments_and_whitespace_are_trivia() {
        assert_eq!(kinds("// only a comment"), vec![]);
        assert_eq!(kinds("a // c\nb"), vec![(K::Ident, "a"), (K::Ident, "b")]);
        assert_eq!(
            kinds("\u{FEFF}T\u{00A0}|\u{3000}count"),
            vec![(K::Ident, "T"), (K::Pipe, "|"), (K::Keyword(Kw::Count), "count")]
        );
        assert_eq!(kinds("a\r\nb\rc"), vec![(K::Ident, "a"), (K::Ident, "b"), (K::Ident, "c")]);
        // There are no block comments.
        assert_eq!(kinds("/* x */").len(), 5);
    }

    #[test]
    fn identifiers_and_keywords() {
        assert_eq!(one("T"), K::Ident);
        assert_eq!(one("$left"), K::Ident);
        assert_eq!(one("_x1"), K::Ident);
        assert_eq!(one("3rdparty"), K::Ident);
        assert_eq!(one("where"), K::Keyword(Kw::Where));
        assert_eq!(one("WHERE"), K::Ident);
        assert_eq!(one("wherex"), K::Ident);
        assert_eq!(one("mv-expand"), K::Keyword(Kw::MvExpand));
        assert_eq!(one("project-away"), K::Keyword(Kw::ProjectAway));
        assert_eq!(one("hint.strategy"), K::Keyword(Kw::HintStrategy));
        assert_eq!(one("matches regex"), K::Keyword(Kw::MatchesRegex));
        assert_eq!(one("in~"), K::Keyword(Kw::InCi));
        assert_eq!(one("!in~"), K::Keyword(Kw::NotInCi));
        assert_eq!(one("!has_cs"), K::Keyword(Kw::NotHasCs));
        assert_eq!(one("!between"), K::Keyword(Kw::NotBetween));
        assert_eq!(one("3Dchart"), K::Keyword(Kw::ThreeDChart));
        assert_eq!(kinds("my-table"), vec![(K::Ident, "my"), (K::Minus, "-"), (K::Ident, "table")]);
        assert_eq!(kinds("count-1"), vec![(K::Keyword(Kw::Count), "count"), (K::Minus, "-"), (K::Long, "1")]);
        assert_eq!(kinds("matches  regex"), vec![(K::Ident, "matches"), (K::Keyword(Kw::Regex), "regex")]);
        assert_eq!(kinds("! in")[0].0, K::Bad);
    }

    #[test]
    fn booleans_and_guids() {
        assert_eq!(one("true"), K::Bool);
        assert_eq!(one("FALSE"), K::Bool);
        assert_eq!(one("tRue"), K::Ident);
        assert_eq!(one("74be27de-1e4e-49d9-b579-fe0b331d3642"), K::Guid);
        assert_eq!(one("deadbeef-1e4e-49d9-b579-fe0b331d3642"), K::Guid);
    }

    #[test]
    fn numbers_and_timespans() {
        assert_eq!(one("10"), K::Long);
        assert_eq!(one("0x1F"), K::Long);
        assert_eq!(one("1.5"), K::Real);
        assert_eq!(one("1."), K::Real);
        assert_eq!(one("1e5"), K::Real);
        assert_eq!(one("2E-3"), K::Real);
        assert_eq!(one("1d"), K::Timespan);
        assert_eq!(one("1.5h"), K::Timespan);
        assert_eq!(one("10ms"), K::Timespan);
        assert_eq!(one("3tick"), K::Timespan);
        assert_eq!(one("5minutes"), K::Timespan);
        assert_eq!(one("10dx"), K::Ident);
        assert_eq!(kinds("2..3"), vec![(K::Long, "2"), (K::DotDot, ".."), (K::Long, "3")]);
        assert_eq!(kinds(".5"), vec![(K::Dot, "."), (K::Long, "5")]);
    }

    #[test]
    fn typed_literals() {
        let dt = K::TypedLiteral { ty: LiteralType::DateTime, terminated: true };
        assert_eq!(one("datetime(2020-01-01 10:00:00)"), dt);
        assert_eq!(one("datetime(2020-01-01T10:00:00.123Z)"), dt);
        assert_eq!(
            one("guid(74be27de-1e4e-49d9-b579-fe0b331d3642)"),
            K::TypedLiteral { ty: LiteralType::Guid, terminated: true }
        );
        assert_eq!(one("timespan(-1d)"), K::TypedLiteral { ty: LiteralType::TimeSpan, terminated: true });
        // A space before `(` makes it a keyword followed by ordinary tokens.
        assert_eq!(kinds("datetime (2020)")[0], (K::Keyword(Kw::Datetime), "datetime"));
        assert_eq!(kinds("datetime(2020\n)")[0].0, K::TypedLiteral { ty: LiteralType::DateTime, terminated: false });
    }

    #[test]
    fn strings() {
        assert_eq!(one("'a'"), PLAIN);
        assert_eq!(one(r#""a\"b""#), PLAIN);
        assert_eq!(one(r"'it\'s'"), PLAIN);
        assert_eq!(one("@'c:\\x'"), VERBATIM);
        assert_eq!(one("@'it''s'"), VERBATIM);
        assert_eq!(one("@\"a\"\"b\""), VERBATIM);
        assert_eq!(one("```a\n'b\n```"), MULTI);
        assert_eq!(one("~~~x~~~"), MULTI);
        assert_eq!(one("h'secret'"), K::String { form: StringForm::Plain, obfuscated: true, terminated: true });
        assert_eq!(one("H@'secret'"), K::String { form: StringForm::Verbatim, obfuscated: true, terminated: true });
        // `'it''s'` is two adjacent strings.
        assert_eq!(kinds("'it''s'"), vec![(PLAIN, "'it'"), (PLAIN, "'s'")]);
        // Look-alike text inside strings stays inside.
        assert_eq!(one("'a // b | c'"), PLAIN);
        // An invalid escape ends the literal, unterminated, at its backslash (as Kusto does).
        assert_eq!(
            kinds(r#""a\E""#)[0],
            (K::String { form: StringForm::Plain, obfuscated: false, terminated: false }, "\"a")
        );
        assert_eq!(kinds(r#""a\x4g""#)[0].1, "\"a");
        for valid in [r#""\t\n\r\\\'\"\0\101\x41\u0041\U00000041\a\b\f\v""#, r"'\''"] {
            assert_eq!(one(valid), PLAIN);
        }
        assert_eq!(
            kinds("'abc\nd'")[0],
            (K::String { form: StringForm::Plain, obfuscated: false, terminated: false }, "'abc")
        );
        assert_eq!(kinds("`x")[0].0, K::Bad);
    }

    #[test]
    fn punctuation() {
        let text = "( ) [ ] { } | <| . .. + - * / % < <= <> > >= = == => =~ != !~ : ; , @ ?";
        let got: Vec<&str> = kinds(text).into_iter().map(|(_, s)| s).collect();
        let want: Vec<&str> = text.split(' ').collect();
        assert_eq!(got, want);
        assert!(kinds(text).iter().all(|(k, _)| *k != K::Bad));
    }

    #[test]
    fn directives_and_bad_characters() {
        assert_eq!(kinds("#connect cluster('c')\nT"), vec![(K::Directive, "#connect cluster('c')"), (K::Ident, "T")]);
        assert_eq!(kinds("Tëst"), vec![(K::Ident, "T"), (K::Bad, "ë"), (K::Ident, "st")]);
    }

    #[test]
    fn eof_token_closes_every_stream() {
        for text in ["", "  ", "T", "// x"] {
            let toks = lex(text);
            assert_eq!(toks.last().unwrap().kind, K::Eof);
            assert_eq!(toks.last().unwrap().span, Span::empty(text.len()));
        }
    }
}
