//! Tokens of KQL and of Kusto management commands.

use super::keywords::Kw;
use crate::span::Span;

/// One token: its kind and the bytes it covers. Trivia (whitespace, comments) is not a token;
/// two tokens are *adjacent* when the first ends where the second starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

impl Token {
    /// True when this token is the keyword `kw`.
    #[inline]
    pub fn is(&self, kw: Kw) -> bool {
        self.kind == TokenKind::Keyword(kw)
    }

    /// The keyword of this token, if it is one.
    #[inline]
    pub fn keyword(&self) -> Option<Kw> {
        match self.kind {
            TokenKind::Keyword(kw) => Some(kw),
            _ => None,
        }
    }

    /// True when `next` starts exactly where this token ends (no trivia between them).
    #[inline]
    pub fn is_adjacent_to(&self, next: &Token) -> bool {
        self.span.end == next.span.start
    }
}

/// The form of a string literal (§1.6); the value is decoded by [`super::strings`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StringForm {
    /// `'..'` or `".."` with backslash escapes.
    Plain,
    /// `@'..'` or `@".."` where a doubled quote is a quote.
    Verbatim,
    /// ```` ```..``` ```` or `~~~..~~~`, taken as written.
    MultiLine,
}

/// The kind of a typed literal such as `datetime(2020-01-01)` (§1.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiteralType {
    DateTime,
    TimeSpan,
    Long,
    Int,
    Real,
    Decimal,
    Bool,
    Guid,
}

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// An identifier (`T`, `$left`, `3rdparty`).
    Ident,
    /// A keyword, matched by its exact spelling.
    Keyword(Kw),
    /// A string literal. `obfuscated` is set for the `h`/`H` prefix.
    String {
        form: StringForm,
        obfuscated: bool,
        terminated: bool,
    },
    /// An integer (`10`, `0x1F`).
    Long,
    /// A real number (`1.5`, `1e5`, `1.`).
    Real,
    /// A timespan (`1d`, `10ms`, `3tick`).
    Timespan,
    /// A boolean (`true`, `False`).
    Bool,
    /// A raw GUID (`74be27de-1e4e-49d9-b579-fe0b331d3642`).
    Guid,
    /// A typed literal (`datetime(2020-01-01 10:00)`); `terminated` is false when `)` is missing.
    TypedLiteral {
        ty: LiteralType,
        terminated: bool,
    },
    /// A `#` directive running to the end of its line (`#connect cluster('c').database('d')`).
    Directive,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    /// `|`
    Pipe,
    /// `<|`
    InputPipe,
    Dot,
    DotDot,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Lt,
    LtEq,
    /// `<>`
    LtGt,
    Gt,
    GtEq,
    /// `=`
    Eq,
    /// `==`
    EqEq,
    /// `=>`
    FatArrow,
    /// `=~`
    EqTilde,
    /// `!=`
    BangEq,
    /// `!~`
    BangTilde,
    Colon,
    Semicolon,
    Comma,
    At,
    Question,
    /// A character that starts no token (a lone `` ` ``, `!`, `ë`...).
    Bad,
    /// The end of the text; its span is empty and sits at the end.
    Eof,
}

impl TokenKind {
    /// True for every kind of literal value token.
    pub fn is_literal(self) -> bool {
        matches!(
            self,
            TokenKind::String { .. }
                | TokenKind::Long
                | TokenKind::Real
                | TokenKind::Timespan
                | TokenKind::Bool
                | TokenKind::Guid
                | TokenKind::TypedLiteral { .. }
        )
    }

    /// True for string literal tokens.
    pub fn is_string(self) -> bool {
        matches!(self, TokenKind::String { .. })
    }
}

/// The tokens of one text as the parser reads them: either the text's own stream (as
/// [`super::lexer::lex`] makes it, ending with [`TokenKind::Eof`]), or the run of a file's
/// stream that covers the text, when the text is a plain slice of the file (a unit of a
/// script, lexed once with its file). Spans are given relative to the text: a run's are moved
/// by `base`, where the text starts in the file. Past the last token there is always an
/// [`TokenKind::Eof`] at the end of the text.
#[derive(Clone, Copy, Debug)]
pub struct Tokens<'a> {
    raw: &'a [Token],
    /// Where the text starts in the text the raw spans index.
    base: u32,
    /// The length of the text (where its end of text sits).
    len: u32,
}

impl<'a> Tokens<'a> {
    /// A text's own tokens (spans relative to the text, the last one [`TokenKind::Eof`]).
    pub fn of(tokens: &'a [Token]) -> Tokens<'a> {
        Tokens { raw: tokens, base: 0, len: tokens.last().map_or(0, |t| t.span.end) }
    }

    /// The tokens of the slice `span` of a file, out of the file's `tokens`: `None` unless the
    /// slice starts at a token's start and ends at a token's end (then lexing the slice alone
    /// gives these same tokens, moved by the slice's start), or is empty and between tokens.
    pub fn within(tokens: &'a [Token], span: Span) -> Option<Tokens<'a>> {
        let first = tokens.partition_point(|t| t.span.start < span.start);
        let end = tokens.partition_point(|t| t.span.start < span.end);
        let raw = &tokens[first..end];
        let aligned = match (raw.first(), raw.last()) {
            (Some(first), Some(last)) => {
                first.span.start == span.start && last.span.end == span.end && last.kind != TokenKind::Eof
            }
            _ => false,
        };
        aligned.then_some(Tokens { raw, base: span.start, len: span.end - span.start })
    }

    /// Token `i`, its span relative to the text; [`TokenKind::Eof`] past the end.
    #[inline]
    pub fn get(&self, i: usize) -> Token {
        match self.raw.get(i) {
            Some(t) => {
                Token { kind: t.kind, span: Span { start: t.span.start - self.base, end: t.span.end - self.base } }
            }
            None => Token { kind: TokenKind::Eof, span: Span { start: self.len, end: self.len } },
        }
    }

    /// The number of tokens before the end of text (an own stream's `Eof` included).
    #[inline]
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Where the text starts in the text the raw spans index.
    #[inline]
    pub fn base(&self) -> u32 {
        self.base
    }

    /// The kinds of the tokens from `i` on (to the last before the end of text).
    pub fn kinds_from(&self, i: usize) -> impl Iterator<Item = TokenKind> + 'a {
        self.raw[i.min(self.raw.len())..].iter().map(|t| t.kind)
    }

    /// The index of the first token that starts at or after `offset` (of the text).
    pub fn index_at(&self, offset: u32) -> usize {
        self.raw.partition_point(|t| t.span.start - self.base < offset)
    }

    /// Tokens `range`, spans as in the text they were lexed from (with [`Tokens::base`]).
    pub fn raw(&self, range: std::ops::Range<usize>) -> &'a [Token] {
        &self.raw[range]
    }
}
