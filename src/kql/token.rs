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
