//! Management scripts: a file cut into commands, `#connect` directives and query text
//! (§4.1 and §4.11 of `spec/kql-grammar.md`).
//!
//! A command starts at a `.` that is the first token on its line and runs until the command is
//! complete (a modelled command) or until a blank line (any other command), and never past the
//! next command. Text that is not a command is query text, cut into queries at blank lines as
//! Kusto's editors do (a file of several queries separated by blank lines is valid there).
//! `.execute database script <|` bodies need nothing special: their commands start lines too.

pub mod command;
pub mod parse;
pub mod payload;

use crate::kql::keywords::Kw;
use crate::kql::lexer;
use crate::kql::parser::SyntaxError;
use crate::kql::references::normalize_cluster;
use crate::kql::strings;
use crate::kql::token::{Token, TokenKind};
use crate::span::Span;
pub use command::{Command, CommandKind};

/// A `#connect cluster('c').database('d')` directive: the context of the commands below it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connect {
    /// The normalised cluster host name, if the directive names one.
    pub cluster: Option<String>,
    pub database: Option<String>,
    pub span: Span,
}

/// One piece of a script, in file order (16 bytes: a script of many queries is mostly
/// `Query` items).
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Connect(Box<Connect>),
    /// A command and its words as written (`alter table policy update`, for display):
    /// [`Script::words`]`[words]`, shared by the commands of the file that have the same.
    Command {
        words: u32,
        command: Box<Command>,
    },
    /// A command whose parts the model took ([`Script::take_command`], a workspace checked
    /// once): its place in the file and its words.
    Taken {
        words: u32,
        span: Span,
    },
    /// Query text between commands.
    Query(Span),
}

/// A parsed script: its items and its syntax errors (each with its place in the file).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Script {
    pub items: Vec<Item>,
    pub errors: Vec<SyntaxError>,
    /// The distinct words of its commands (see [`Item::Command`]).
    pub words: Vec<std::sync::Arc<str>>,
}

impl Script {
    /// Replaces command item `index` by what is read of it once the model is built: its place
    /// and its words ([`Item::Taken`]), and frees the rest. Other items are left as they are.
    pub fn take_command(&mut self, index: usize) {
        let Some(Item::Command { words, command }) = self.items.get(index) else { return };
        self.items[index] = Item::Taken { words: *words, span: command.span };
    }

    /// The place of a command item (whole or taken) and its words.
    pub fn command_of(&self, item: &Item) -> Option<(Span, &str)> {
        let (span, words) = match item {
            Item::Command { words, command } => (command.span, words),
            Item::Taken { words, span } => (*span, words),
            Item::Connect(_) | Item::Query(_) => return None,
        };
        Some((span, self.words.get(*words as usize)?))
    }

    /// The words of a command item (whole or taken): `alter table policy update`.
    pub fn words_of(&self, item: &Item) -> Option<&str> {
        self.command_of(item).map(|(_, words)| words)
    }
}

/// Parses a script file.
pub fn parse_script(text: &str) -> Script {
    parse_script_lexed(text).0
}

/// Parses a script file; also gives the file's tokens, from which the units that are slices of
/// the file are parsed (see [`crate::unit::AnalysisCache::with_tokens`]) instead of being lexed
/// again. A file of more than [`WINDOW`] tokens is lexed and parsed a window at a time and
/// keeps none of them: its units are lexed again from their own texts. (A window ends only
/// where a command or a directive starts a line: a file of queries alone is one window, keeps
/// its tokens, and [`crate::unit::AnalysisCache::finish`] lets them go a block of units at a
/// time.) Keeping the tokens of
/// its unit texts (function declarations, query text) until they were analysed held about a
/// quarter of the memory of a file of many tables and functions, and filtering them took more
/// time than lexing the texts again.
pub fn parse_script_lexed(text: &str) -> (Script, Vec<Token>) {
    parse_windowed(text, WINDOW)
}

/// Parses the blocks of a script text one after the other, each `blocks[i]` (in order, apart) a
/// stretch of `text` read as a script of its own: a bracket, a string or a statement left open in
/// one block does not go on in the next (the Kusto code blocks of a Markdown runbook, which are
/// run one by one). Their items make one script, in order: a `#connect` in one block is the
/// context of the blocks after it. No tokens are kept: the units are lexed from their own texts.
pub fn parse_script_blocks(text: &str, blocks: &[std::ops::Range<usize>]) -> Script {
    let mut script = Script::default();
    let mut shared = Shared::default();
    let mut tokens = Vec::new();
    for block in blocks.iter().filter(|block| block.start < block.end && block.end <= text.len()) {
        // The text up to the block's end: its tokens end there, and their offsets are the text's.
        let upto = &text[..block.end];
        tokens.clear();
        lexer::lex_into(upto, block.start, usize::MAX, &mut tokens);
        parse_items(upto, &tokens, 0, tokens.len() - 1, &mut script, &mut shared);
    }
    finish(script)
}

/// How many tokens of a large file are lexed before its items are parsed (see
/// [`parse_script_lexed`]).
pub const WINDOW: usize = 1 << 16;

/// How many tokens past a window are lexed at a time while looking for its end (see
/// [`parse_windowed`]).
const STRETCH: usize = 256;

/// [`parse_script_lexed`], lexing `window` tokens or a few more at a time: up to an item
/// start (a command or directive first on its line), which the next window starts with.
fn parse_windowed(text: &str, window: usize) -> (Script, Vec<Token>) {
    let mut script = Script::default();
    // The distinct command words, column names and types and column lists of the file:
    // commands with the same ones share them.
    let mut shared = Shared::default();
    if text.len() <= window {
        // Fewer tokens than a window (a token takes a byte at least): lexed as a whole.
        let tokens = lexer::lex(text);
        parse_items(text, &tokens, 0, tokens.len() - 1, &mut script, &mut shared);
        return (finish(script), tokens);
    }
    // Where the next token's trivia starts; `None` once the end is lexed.
    let mut at = Some(0);
    // The window's tokens: after the first window, the token before its first item comes first
    // (a blank line before a token, or a token being first on its line, depends on the token
    // before it).
    // Room for all the tokens of a text of a token per 4 bytes or fewer (as `lexer::lex`) when
    // it is one window, lexed without growing (a large vector that grows leaves its old blocks
    // to the allocator: 1 MB more for a file of 500,000 small queries); else for about a
    // window. A window ends only at a line that starts with `.` or `#`.
    let whole = text.len() / 4 + 2;
    let windowed = || text.starts_with(['.', '#']) || text.contains("\n.") || text.contains("\n#");
    let most = window.saturating_add(STRETCH + 3);
    let room = if whole <= most || !windowed() { whole } else { most };
    let mut tokens: Vec<Token> = Vec::with_capacity(room);
    let mut from = 0;
    loop {
        // Up to the first item start after `window` tokens (and the token after it, which
        // tells whether it starts an item), or to the end.
        let mut next = None;
        // The first `window` tokens hold no window's end: lexed in one go.
        if let Some(byte) = at.filter(|_| tokens.len() < window) {
            at = lexer::lex_into(text, byte, window - tokens.len(), &mut tokens);
        }
        // Then a stretch at a time, each new token after the window checked for an item start
        // (the token before it: whether it starts an item depends on the token after it); the
        // tokens lexed past the token after it are let go, to be lexed again from its end.
        while let Some(byte) = at {
            let old = tokens.len();
            at = lexer::lex_into(text, byte, STRETCH, &mut tokens);
            let found = (old + 1..=tokens.len()).find(|&n| n > window && n >= 3 && is_item_start(text, &tokens, n - 2));
            if let Some(n) = found {
                tokens.truncate(n);
                let after = tokens[n - 1];
                at = (after.kind != TokenKind::Eof).then_some(after.span.end as usize);
                next = Some(n - 2);
                break;
            }
        }
        let to = next.unwrap_or(tokens.len() - 1);
        parse_items(text, &tokens, from, to, &mut script, &mut shared);
        let Some(next) = next else {
            if from > 0 {
                // The last of several windows: no tokens are kept.
                return (finish(script), Vec::new());
            }
            // One window: all the tokens, as lexing the whole text gives them.
            if tokens.capacity() - tokens.len() > 1 << 16 {
                tokens.shrink_to_fit();
            }
            return (finish(script), tokens);
        };
        tokens.drain(..next - 1);
        from = 1;
    }
}

/// The script once parsed: kept for the whole run, without the spare room of its growth.
fn finish(mut script: Script) -> Script {
    script.items.shrink_to_fit();
    script
}

/// Parses the items of `tokens[from..to]` into `script`: `from` is the first token or an item
/// start, `to` an item start or the end (the index of [`TokenKind::Eof`]).
fn parse_items(text: &str, tokens: &[Token], from: usize, to: usize, script: &mut Script, shared: &mut Shared) {
    let blank_line_before = |i: usize| i > 0 && i < tokens.len() && has_blank_line(gap(text, tokens, i));
    let starts: Vec<usize> = (from..=to).filter(|&i| is_item_start(text, tokens, i)).collect();
    let is_start = |i: usize| starts.binary_search(&i).is_ok();
    let next_start = |i: usize| starts.get(starts.partition_point(|&s| s <= i)).copied().unwrap_or(to);
    let mut pos = from;
    while pos < to {
        let token = tokens[pos];
        if token.kind == TokenKind::Directive && is_start(pos) {
            if let Some(connect) = parse_connect(token.span.of(text), token.span) {
                script.items.push(Item::Connect(Box::new(connect)));
            }
            pos += 1;
            continue;
        }
        let limit = next_start(pos);
        if token.kind != TokenKind::Dot || !is_start(pos) {
            // Query text up to the next command or directive.
            push_queries(script, tokens, pos, limit, &blank_line_before);
            pos = limit;
            continue;
        }
        let mut parsed = parse::parse_command(text, tokens, pos, limit, &blank_line_before);
        let words = match shared.words.get(&parsed.words) {
            Some(&at) => at,
            None => {
                let at = script.words.len() as u32;
                script.words.push(std::sync::Arc::from(parsed.words.as_str()));
                shared.words.insert(parsed.words, at);
                at
            }
        };
        share_columns(shared, &mut parsed.command.kind);
        script.errors.extend(parsed.errors);
        let query = input_query(text, tokens, pos, parsed.end, &parsed.command);
        script.items.push(Item::Command { words, command: Box::new(parsed.command) });
        script.items.extend(query.map(Item::Query));
        pos = parsed.end.max(pos + 1);
        if pos < limit {
            if blank_line_before(pos) {
                push_queries(script, tokens, pos, limit, &blank_line_before);
            } else {
                let span = tokens[pos].span.to(tokens[limit - 1].span);
                script.errors.push(SyntaxError::new(span, "unexpected text after the command"));
            }
            pos = limit;
        }
    }
}

use command::Columns;

/// What the commands of a file share: command words (their index in [`Script::words`]),
/// column names and types, column lists.
#[derive(Default)]
struct Shared {
    words: rustc_hash::FxHashMap<String, u32>,
    names: rustc_hash::FxHashSet<command::Name>,
    columns: rustc_hash::FxHashSet<Columns>,
}

/// Makes `name` the one of `names` with the same text, or adds it to them. A name held inline
/// has nothing to share (and is not looked up: most column names and types are).
fn share(names: &mut rustc_hash::FxHashSet<command::Name>, name: &mut command::Name) {
    if name.is_inline() {
        return;
    }
    match names.get(&**name) {
        Some(same) => *name = same.clone(),
        None => {
            names.insert(name.clone());
        }
    }
}

/// The schemas of a file that have the same columns share one list, and the column names and
/// types of a command's schemas are shared with those of the file's other commands (a file of
/// many tables writes the same few again and again).
fn share_columns(shared: &mut Shared, kind: &mut CommandKind) {
    let mut share_all = |columns: &mut Columns| {
        if let Some(same) = shared.columns.get(columns) {
            *columns = std::sync::Arc::clone(same);
            return;
        }
        // Just made by the parser: not shared yet.
        for column in std::sync::Arc::get_mut(columns).into_iter().flatten() {
            share(&mut shared.names, &mut column.name);
            share(&mut shared.names, &mut column.type_name);
        }
        shared.columns.insert(std::sync::Arc::clone(columns));
    };
    match kind {
        CommandKind::Tables { first, more, .. } => {
            share_all(&mut first.columns);
            more.iter_mut().flat_map(|more| &mut more.tables).for_each(|t| share_all(&mut t.columns));
        }
        CommandKind::ExternalTable { columns: Some(columns), .. } => share_all(columns),
        _ => {}
    }
}

/// The query a command reads after `<|` (`.set`, `.append`, `.set-or-append`,
/// `.set-or-replace`, `.export`, `.set stored_query_result`...), from token `from` (its `.`) to
/// `to`: none when what follows `<|` is a command (`.drop extents <| .show ...`), the commands
/// of `.execute ... script <|`, or the inline data of `.ingest inline`.
fn input_query(text: &str, tokens: &[Token], from: usize, to: usize, command: &Command) -> Option<Span> {
    if matches!(command.kind, CommandKind::ExecuteScript)
        || tokens.get(from + 1).is_some_and(|t| matches!(t.span.of(text), "ingest" | "execute"))
    {
        return None;
    }
    let mut depth = 0usize;
    let pipe = (from + 1..to).find(|&i| {
        match tokens[i].kind {
            TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => depth += 1,
            TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => depth = depth.saturating_sub(1),
            _ => {}
        }
        depth == 0 && tokens[i].kind == TokenKind::InputPipe
    })?;
    let first = pipe + 1;
    let last = (first..to).rev().find(|&i| tokens[i].kind != TokenKind::Semicolon || i == first)?;
    // `.replace extents <| {query}, {query}` takes queries in braces (of extents), not a query.
    if first >= to || matches!(tokens[first].kind, TokenKind::Dot | TokenKind::LBrace | TokenKind::Eof) {
        return None;
    }
    Some(tokens[first].span.to(tokens[last].span))
}

/// Query text from token `from` to `to`, one query per block between blank lines (as Kusto's
/// editors cut it), except that a blank line inside brackets does not end a query, and a block
/// made only of `let`, `declare`, `set`, `alias` and `restrict` statements that ends with `;`
/// continues into the next block (`let x = 1;`, a blank line, then the query that uses `x`). A
/// block of statements without the `;` after the last is complete on its own, as Kusto parses
/// it: joined to the next block, it would be read as a missing `;` (two fenced blocks of a
/// runbook, a function declared in a block of its own).
fn push_queries(
    script: &mut Script,
    tokens: &[Token],
    from: usize,
    to: usize,
    blank_line_before: &dyn Fn(usize) -> bool,
) {
    let mut start = from;
    let mut depth = 0usize;
    // Whether every statement of the block so far starts with a statement keyword, and whether
    // the next token starts a statement.
    let (mut only_statements, mut statement_start) = (true, true);
    for i in from..=to {
        let continues = only_statements && tokens[i.saturating_sub(1)].kind == TokenKind::Semicolon;
        if i == to || (i > start && depth == 0 && blank_line_before(i) && !continues) {
            if !starts_tsql(tokens, start) {
                script.items.push(Item::Query(tokens[start].span.to(tokens[i - 1].span)));
            }
            start = i;
            only_statements = true;
            statement_start = true;
        }
        if i == to {
            break;
        }
        let token = tokens[i];
        match token.kind {
            TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => depth += 1,
            TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 && token.kind == TokenKind::Semicolon {
            statement_start = true;
        } else if statement_start && token.kind != TokenKind::Directive {
            statement_start = false;
            only_statements &= token
                .keyword()
                .is_some_and(|kw| matches!(kw, Kw::Let | Kw::Declare | Kw::Set | Kw::Alias | Kw::Restrict));
        }
    }
}

/// True when the query starting at token `from` begins with `--`: ADX runs a query that starts
/// with a T-SQL comment line as T-SQL (<https://learn.microsoft.com/azure/data-explorer/t-sql>),
/// and no KQL query can start so, so it is not read as KQL.
fn starts_tsql(tokens: &[Token], from: usize) -> bool {
    match (tokens.get(from), tokens.get(from + 1)) {
        (Some(first), Some(second)) => {
            first.kind == TokenKind::Minus && second.kind == TokenKind::Minus && first.span.end == second.span.start
        }
        _ => false,
    }
}

/// The text between token `i - 1` and token `i`.
fn gap<'t>(text: &'t str, tokens: &[Token], i: usize) -> &'t str {
    &text[tokens[i - 1].span.end as usize..tokens[i].span.start as usize]
}

/// True when `gap` holds a line with nothing but whitespace.
fn has_blank_line(gap: &str) -> bool {
    // The whole lines are those between the first and the last line break.
    let (Some(first), Some(last)) = (gap.find('\n'), gap.rfind('\n')) else { return false };
    first < last && gap[first + 1..last].split('\n').any(|line| line.trim().is_empty())
}

/// True when token `i` is the first on its line and is a `.` (a command) or a directive.
/// Asked of every token of a file (twice in a large one): the test of its kind is inlined.
#[inline(always)]
fn is_item_start(text: &str, tokens: &[Token], i: usize) -> bool {
    matches!(tokens[i].kind, TokenKind::Dot | TokenKind::Directive) && dot_or_directive_starts_item(text, tokens, i)
}

/// [`is_item_start`] of a `.` or a directive.
fn dot_or_directive_starts_item(text: &str, tokens: &[Token], i: usize) -> bool {
    let token = tokens[i];
    // Only the text since the previous token can hold a line break (a comment runs to the end
    // of its line), so looking no further back keeps a line of many tokens linear.
    let before = if i == 0 { &text[..token.span.start as usize] } else { gap(text, tokens, i) };
    let first_on_line = match before.rfind(['\n', '\r']) {
        Some(at) => before[at + 1..].chars().all(lexer::is_whitespace),
        None => i == 0 && before.chars().all(lexer::is_whitespace),
    };
    let next = tokens.get(i + 1).copied();
    let starts_command =
        |next: Option<Token>| next.is_some_and(|n| matches!(n.kind, TokenKind::Ident | TokenKind::Keyword(_)));
    if !first_on_line {
        // `.execute database script <| .create table T (...)`: the script's first command may
        // follow `<|` on its line (Kusto reads it as a command of the script).
        return token.kind == TokenKind::Dot && starts_command(next) && opens_script(text, tokens, i);
    }
    token.kind == TokenKind::Directive || starts_command(next)
}

/// True when token `i` follows the `<|` of `.execute [database|cluster] script [with (...)] <|`.
/// Looks back over a bounded number of tokens (a `with (...)` of a few properties), so that asking
/// of every `.` of a long line stays linear.
fn opens_script(text: &str, tokens: &[Token], i: usize) -> bool {
    const MOST: usize = 64;
    if i < 4 || tokens[i - 1].kind != TokenKind::InputPipe {
        return false;
    }
    let word = |j: usize| tokens[j].span.of(text);
    let mut j = i - 2;
    if tokens[j].kind == TokenKind::RParen {
        // Back over `with (...)`.
        let mut depth = 0usize;
        let stop = j.saturating_sub(MOST);
        loop {
            match tokens[j].kind {
                TokenKind::RParen => depth += 1,
                TokenKind::LParen => depth -= 1,
                _ => {}
            }
            if depth == 0 || j == stop {
                break;
            }
            j -= 1;
        }
        if depth != 0 || j < 2 || !word(j - 1).eq_ignore_ascii_case("with") {
            return false;
        }
        j -= 2;
    }
    if !word(j).eq_ignore_ascii_case("script") || j < 2 {
        return false;
    }
    j -= 1;
    if matches!(word(j), "database" | "cluster") && j > 1 {
        j -= 1;
    }
    word(j) == "execute" && tokens[j - 1].kind == TokenKind::Dot
}

/// `#connect cluster('c').database('d')`, `#connect database('d')` (other directives: `None`).
fn parse_connect(directive: &str, span: Span) -> Option<Connect> {
    let rest = directive.strip_prefix("#connect")?;
    let tokens = lexer::lex(rest);
    let mut cluster = None;
    let mut database = None;
    for (i, token) in tokens.iter().enumerate() {
        let word = token.span.of(rest);
        if !matches!(token.kind, TokenKind::Ident | TokenKind::Keyword(_))
            || tokens.get(i + 1).is_none_or(|t| t.kind != TokenKind::LParen)
        {
            continue;
        }
        let Some(argument) = tokens.get(i + 2).filter(|t| t.kind.is_string()) else { continue };
        let value = strings::decode_token(rest, argument).value;
        match word {
            "cluster" => cluster = Some(normalize_cluster(&value)),
            "database" => database = Some(value),
            _ => {}
        }
    }
    Some(Connect { cluster, database, span })
}

#[cfg(test)]
mod tests;
