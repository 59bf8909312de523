//! Markdown runbooks: the ```` ```kusto ````, ```` ```kql ```` and ```` ```csl ```` fenced blocks
//! of a `.md` file, read in one pass as a script text whose byte offsets are the file's own
//! (pulldown-cmark gives each block's place), so diagnostics point into the Markdown file, with
//! each block's stretch (parsed each on its own) and the first block left open. Blocks without a
//! language are not read; those whose first line is a Kusto command are listed (`UP905`), so that
//! what is not checked is said.

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

/// The languages of fenced blocks read as Kusto.
pub const LANGUAGES: &[&str] = &["kusto", "kql", "csl"];

/// What a Markdown file holds for uplint (see [`read`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Runbook {
    /// The script text: the Kusto blocks' contents where they are, every other byte a space (line
    /// breaks kept), so offsets and lines are the file's.
    pub text: String,
    /// Where each Kusto block's contents are, in order. Each block is a script of its own
    /// ([`crate::script::parse_script_blocks`]): a runbook's code blocks are run one by one, and a
    /// bracket or a statement left open in one does not go on in the next.
    pub blocks: Vec<Range<usize>>,
    /// The opening fence of the first Kusto block that is never closed: CommonMark runs such a
    /// block to the end of the file, so everything below it is read as Kusto (and a forgotten
    /// fence shows as a syntax error per paragraph). The fence's line, without its line break.
    pub unclosed: Option<Range<usize>>,
    /// The blocks without a language whose first line (after blank lines and `//` comments) is a
    /// management command that changes a database, or a `#connect`: Kusto that is not read.
    pub unlabelled: Vec<UnlabelledBlock>,
}

/// A block without a language that starts with a Kusto command (see [`Runbook::unlabelled`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnlabelledBlock {
    /// The opening fence's line, without its line break.
    pub fence: Range<usize>,
    /// The command's first word (`.alter`, `#connect`) in the file.
    pub command: Range<usize>,
}

/// The management commands whose first word marks a block without a language as Kusto: those
/// that change a database (`.show` and the other commands that only read are left out, as is
/// anything else that starts with a dot).
const COMMAND_VERBS: &[&str] = &[
    "add",
    "alter",
    "alter-merge",
    "append",
    "create",
    "create-merge",
    "create-or-alter",
    "delete",
    "drop",
    "execute",
    "ingest",
    "rename",
    "set",
    "set-or-append",
    "set-or-replace",
];

/// The first word of `line` (trimmed) when it starts a Kusto command of [`COMMAND_VERBS`] (a verb,
/// then blanks and more) or is a `#connect`: `.create`, `#connect`.
fn kusto_command_word(line: &str) -> Option<&str> {
    if let Some(rest) = line.strip_prefix("#connect") {
        return rest.starts_with(char::is_whitespace).then_some("#connect");
    }
    let rest = line.strip_prefix('.')?;
    let verb_end = rest.find(|c: char| !(c.is_ascii_lowercase() || c == '-')).unwrap_or(rest.len());
    let (verb, after) = rest.split_at(verb_end);
    let starts = COMMAND_VERBS.contains(&verb) && after.starts_with(char::is_whitespace) && !after.trim().is_empty();
    starts.then(|| &line[..1 + verb_end])
}

/// The line of a fenced block's opening fence (`block`: the block's range in `markdown`), without
/// its line break.
fn fence_line(markdown: &str, block: &Range<usize>) -> Range<usize> {
    let line_end = markdown[block.clone()].find(['\n', '\r']).map_or(block.end, |at| block.start + at);
    block.start..line_end
}

/// Reads the Kusto blocks of a Markdown file (one pass of the Markdown parser).
pub fn read(markdown: &str) -> Runbook {
    let mut bytes: Vec<u8> = markdown.bytes().map(|b| if b == b'\n' { b'\n' } else { b' ' }).collect();
    let mut runbook = Runbook::default();
    // The whole of the Kusto block being read (fences included), while it is.
    let mut open: Option<Range<usize>> = None;
    // The opening fence of the block without a language being read, until its first line tells
    // whether it is Kusto.
    let mut unlabelled: Option<Range<usize>> = None;
    for (event, range) in Parser::new(markdown).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                let language = info.split(|c: char| c.is_whitespace() || c == ',' || c == '{').next().unwrap_or("");
                if LANGUAGES.iter().any(|l| l.eq_ignore_ascii_case(language)) {
                    // The block's text starts on the line after the opening fence.
                    let after_fence = markdown[range.clone()].find('\n').map_or(range.end, |at| range.start + at + 1);
                    runbook.blocks.push(after_fence..after_fence);
                    open = Some(range);
                } else if info.trim().is_empty() {
                    unlabelled = Some(fence_line(markdown, &range));
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                unlabelled = None;
                let (Some(whole), Some(block)) = (open.take(), runbook.blocks.last()) else { continue };
                // What the block holds after its text: its closing fence, or nothing when a line
                // that looks like one is text (indented 4 spaces more: CommonMark's rule).
                let after_text = &markdown[block.end.min(whole.end)..whole.end];
                if runbook.unclosed.is_none() && !is_closing_fence(&markdown[whole.clone()], after_text) {
                    runbook.unclosed = Some(fence_line(markdown, &whole));
                }
            }
            Event::Text(_) if open.is_some() => {
                bytes[range.clone()].copy_from_slice(&markdown.as_bytes()[range.clone()]);
                if let Some(block) = runbook.blocks.last_mut() {
                    block.end = block.end.max(range.end);
                }
            }
            Event::Text(text) if unlabelled.is_some() => {
                let mut offset = 0;
                // The first line that is not blank or a comment decides.
                for line in text.split_inclusive('\n') {
                    let at = offset + (line.len() - line.trim_start().len());
                    offset += line.len();
                    let line = line.trim();
                    if line.is_empty() || line.starts_with("//") {
                        continue;
                    }
                    let (Some(fence), Some(word)) = (unlabelled.take(), kusto_command_word(line)) else { break };
                    // A code block's text is the file's own bytes, at the event's place; the
                    // fence stands for the command where it is not (a container's markers).
                    let start = range.start + at;
                    let command = match markdown.get(start..start + word.len()) {
                        Some(found) if found == word => start..start + word.len(),
                        _ => fence.clone(),
                    };
                    runbook.unlabelled.push(UnlabelledBlock { fence, command });
                    break;
                }
            }
            _ => {}
        }
    }
    // Only whole characters were copied, and the rest is ASCII.
    runbook.text = String::from_utf8(bytes).unwrap_or_default();
    runbook
}

/// True when `after_text`, what a fenced block (`block`, from its opening fence on) holds after
/// its text, is a closing fence: a line of at least as many of the opening fence's characters,
/// and nothing else (after the `>` of the block quotes and the indentation of the list items
/// holding it).
fn is_closing_fence(block: &str, after_text: &str) -> bool {
    let opening = block.lines().next().unwrap_or("").trim_start_matches(|c: char| c == '>' || c.is_whitespace());
    let fence = opening.chars().next().unwrap_or('`');
    let width = opening.chars().take_while(|&c| c == fence).count();
    after_text.lines().any(|line| {
        let line = line.trim_start_matches(|c: char| c == '>' || c.is_whitespace()).trim_end();
        line.len() >= width && line.chars().all(|c| c == fence)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_kusto_fence_left_open() {
        let open = "# Runbook\n\n```kusto\n.create table T (a:int)\n\nSome prose.\n";
        assert_eq!(read(open).unclosed.map(|r| &open[r]), Some("```kusto"));
        for closed in [
            "```kusto\nT\n```\n",
            "```kusto\nT\n```",
            "  ~~~~kql\nT\n  ~~~~~\n\ntext",
            "```python\nprint(1)\n",
            "````kql\n```\n````\n",
            // In a block quote, and in a block quote in a list item.
            "> ```kql\n> T\n> ```\n\ntext\n",
            "* item\n\n    > ```kql\n    > T\n    > ```\n\ntext\n",
            "> > ```kql\n> > T\n> > ```\n",
        ] {
            assert_eq!(read(closed).unclosed, None, "{closed:?}");
        }
        // A fence closed with fewer characters than it opened with is no closing fence.
        assert!(read("````kql\nT\n```\n").unclosed.is_some());
        assert!(read("> ```kql\n> T\n\ntext\n").unclosed.is_some());
        // A fence line indented 4 spaces is text, not the closing fence (CommonMark).
        assert!(read("```kql\nT\n| where a == 1\n    ```\n").unclosed.is_some());
        assert!(read("* item\n\n  ```kql\n  T\n  ```\n").unclosed.is_none());
    }

    #[test]
    fn lists_blocks_without_a_language_that_start_with_a_kusto_command() {
        let markdown = "```\n\n// the table\n.create table T (a:int)\n```\n\n~~~\n#connect cluster('c').database('d')\n~~~\n\n\
                        > ```\n> .alter-merge table T policy update @'[]'\n> ```\n\n\
                        * item\n\n  ```\n  .set-or-append T <| S\n  ```\n";
        let runbook = read(markdown);
        let fences: Vec<&str> = runbook.unlabelled.iter().map(|block| &markdown[block.fence.clone()]).collect();
        assert_eq!(fences, ["```", "~~~", "```", "```"]);
        let quoted = &runbook.unlabelled[2].fence;
        assert_eq!(&markdown[quoted.start - 2..quoted.end], "> ```");
        let commands: Vec<&str> = runbook.unlabelled.iter().map(|block| &markdown[block.command.clone()]).collect();
        assert_eq!(commands, [".create", "#connect", ".alter-merge", ".set-or-append"]);
        assert!(runbook.blocks.is_empty() && runbook.text.trim().is_empty(), "unlabelled blocks are not read");
        for not_kusto in [
            "```\n./deploy.sh --all\n```\n",
            "```\n.show tables\n```\n",
            "```\nT | take 10\n```\n",
            "```\n.create\n```\n",
            "```\n.createtable T (a:int)\n```\n",
            "```\n.CREATE table T (a:int)\n```\n",
            "```\n#connectx\n```\n",
            "```\n// only a comment\n```\n",
            "```\n```\n",
            "```text\n.create table T (a:int)\n```\n",
            "    .create table T (a:int)\n",
            // The first line decides: a command further down is not looked for.
            "```\necho hi\n.create table T (a:int)\n```\n",
        ] {
            assert!(read(not_kusto).unlabelled.is_empty(), "{not_kusto:?}");
        }
        // A labelled block is read, never listed.
        let labelled = read("```kusto\n.create table T (a:int)\n```\n");
        assert!(labelled.unlabelled.is_empty() && labelled.blocks.len() == 1);
    }

    #[test]
    fn keeps_kusto_blocks_in_place_and_blanks_the_rest() {
        let markdown = "# Runbook ü\n\nRun:\n\n```kusto\n.create table T (a:int)\n```\n\n```python\nprint(1)\n```\n\n- item\n\n  ```KQL title\n  T | take 1\n  ```\n";
        let Runbook { text, blocks, unclosed, .. } = read(markdown);
        assert_eq!(unclosed, None);
        assert_eq!(text.len(), markdown.len());
        let blocks: Vec<&str> = blocks.into_iter().map(|block| text[block].trim()).collect();
        assert_eq!(blocks, [".create table T (a:int)", "T | take 1"]);
        let at = markdown.find(".create").unwrap();
        assert_eq!(&text[at..at + 23], ".create table T (a:int)");
        assert!(!text.contains("print") && !text.contains("Runbook") && !text.contains("```"));
        let at = markdown.find("T | take").unwrap();
        assert_eq!(&text[at..at + 10], "T | take 1");
        assert_eq!(text.matches('\n').count(), markdown.matches('\n').count());
    }
}
