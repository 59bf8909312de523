//! Each file is lexed once: the units that are slices of a file are parsed from the file's
//! tokens (`script::parse_script_lexed`, `unit::AnalysisCache::with_tokens`), except in a file
//! large enough to be parsed a window of tokens at a time, which keeps none. Over the corpus
//! scripts and queries (`../shared/corpus`, or `$UPLINT_CORPUS`), every such unit's run of the
//! file's tokens is what lexing its text alone gives, and every unit analysed from the file's
//! tokens equals the unit analysed from its text.

mod common;
use std::path::PathBuf;

use serde_json::Value;
use uplint::kql::lexer::lex;
use uplint::kql::token::{Token, Tokens};
use uplint::model::units_of;
use uplint::script::parse_script_lexed;
use uplint::source::FileId;
use uplint::span::Span;
use uplint::unit::{AnalysisCache, Unit};

/// What differs between the units of `text` made from its tokens and those made from their own
/// texts, and how many units were parsed from the file's tokens.
fn compare(name: &str, text: &str, problems: &mut Vec<String>) -> usize {
    let (script, tokens) = parse_script_lexed(text);
    let slices = unit_slices(&script);
    let mut from_tokens = 0;
    for span in &slices {
        let Some(run) = Tokens::within(&tokens, *span) else { continue };
        from_tokens += 1;
        let own = lex(span.of(text));
        let got: Vec<Token> = (0..=run.len()).map(|i| run.get(i)).collect();
        if got != own {
            problems.push(format!("{name}: the tokens of {}..{} differ from its own", span.start, span.end));
        }
    }
    let by_file = units(text, &script, tokens.clone(), true);
    let by_text = units(text, &script, Vec::new(), true);
    let immediate = units(text, &script, tokens, false);
    let debug = |units: &[Unit]| units.iter().map(|u| format!("{:?}", u.query)).collect::<Vec<_>>();
    let (a, b, c) = (debug(&by_file), debug(&by_text), debug(&immediate));
    if a.len() != b.len() || a.len() != c.len() {
        problems.push(format!("{name}: {} units from the file's tokens, {} from their texts", a.len(), b.len()));
    }
    for (i, ((a, b), c)) in a.iter().zip(&b).zip(&c).enumerate() {
        if a != b || a != c {
            problems.push(format!("{name}: unit {i} differs:\n  from the file's tokens: {a}\n  from its text: {b}"));
        }
    }
    from_tokens
}

/// The units of a script, analysed deferred (as loading does) or at once.
fn units(text: &str, script: &uplint::script::Script, tokens: Vec<Token>, deferred: bool) -> Vec<Unit> {
    let cache = if deferred { AnalysisCache::deferring(Vec::new()) } else { AnalysisCache::default() };
    let mut cache = cache.with_tokens(tokens);
    let mut units = units_of(FileId(0), &std::sync::Arc::new(text.to_string()), script, &mut cache);
    cache.finish(&mut units);
    units
}

/// Where the units that are plain slices of the file sit (queries, function declarations,
/// materialized view bodies).
fn unit_slices(script: &uplint::script::Script) -> Vec<Span> {
    use uplint::script::{CommandKind, Item};
    let slice = |item: &Item| match item {
        Item::Query(span) => Some(*span),
        Item::Command { command, .. } => match &command.kind {
            CommandKind::Function { declaration, .. } => Some(*declaration),
            CommandKind::MaterializedView { body, .. } => Some(*body),
            _ => None,
        },
        _ => None,
    };
    script.items.iter().filter_map(slice).collect()
}

#[test]
fn units_parsed_from_the_files_tokens_equal_units_parsed_from_their_texts() {
    let cases = [
        "T | take 1",
        "// c\n  T\n| where x == 'a'\n\n\nU | count // end",
        ".create function F(x: string = 'a''b', t: (*)) { database(x).T | union t }\n\n.create \
         materialized-view V on table T { T | summarize count() by a }\nT\n| where 1.",
        ".set-or-append T <| S | where a == @'x''y' | project ['b c'] ;",
        "let f = (p: string) { table(p) };\nf('X')\n\nprint 1..2, 10dx, \"a\\u0041\", ```m\nl```",
        ".alter table T policy update @'[{\"Source\": \"S\", \"Query\": \"S | where a == \\\"x\\\"\"}]'",
        "T | where a == 'unterminated\nU | where b == \"bad \\q escape\"",
        "#connect cluster('c').database('d')\nT | mv-expand x | extend y = datetime(2020-01-01",
    ];
    let mut problems = Vec::new();
    let mut from_tokens = 0;
    for (i, text) in cases.iter().enumerate() {
        from_tokens += compare(&format!("case {i}"), text, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(from_tokens >= cases.len(), "only {from_tokens} units were parsed from their file's tokens");
}

#[test]
fn corpus_scripts_units_are_the_same_from_the_files_tokens() {
    let Some(dir) = common::corpus_path("scripts") else { return };
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    files.sort();
    let mut problems = Vec::new();
    let (mut slices, mut from_tokens) = (0, 0);
    for file in &files {
        let text = String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned();
        let (script, tokens) = parse_script_lexed(&text);
        // A file parsed in windows keeps no tokens: its units are lexed from their texts.
        if !tokens.is_empty() {
            slices += unit_slices(&script).len();
        }
        from_tokens += compare(&file.display().to_string(), &text, &mut problems);
    }
    assert!(problems.is_empty(), "{} differences:\n{}", problems.len(), problems.join("\n"));
    // Every unit that is a slice of its file starts and ends at tokens: none is lexed again.
    assert_eq!(from_tokens, slices, "units lexed again although they are slices of their file");
    assert!(from_tokens > 1000, "{from_tokens} units");
}

#[test]
fn corpus_queries_are_the_same_from_the_files_tokens() {
    let Some(dir) = common::corpus_path("queries") else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut problems = Vec::new();
    let mut from_tokens = 0;
    let mut count = 0;
    for file in files {
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            let (id, query) = (v["id"].as_str().unwrap_or_default(), v["query"].as_str().unwrap_or_default());
            count += 1;
            from_tokens += compare(id, query, &mut problems);
            // The same query after a command, as a function body and as a policy's input.
            let function = format!(".create-or-alter function F() {{\n{query}\n}}");
            from_tokens += compare(id, &function, &mut problems);
        }
    }
    assert!(problems.is_empty(), "{} differences:\n{}", problems.len(), problems.join("\n"));
    assert!(from_tokens >= count, "{from_tokens} units of {count} queries parsed from their file's tokens");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 400, ..Default::default() })]

    /// Scripts made of KQL-ish fragments (commands, blank lines, literals cut anywhere, odd
    /// characters): units parsed from the file's tokens are those parsed from their texts.
    #[test]
    fn random_scripts_give_the_same_units_from_the_files_tokens(
        parts in proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..40)
    ) {
        let text = parts.concat();
        let mut problems = Vec::new();
        compare("random", &text, &mut problems);
        proptest::prop_assert!(problems.is_empty(), "{:?}\n{}", text, problems.join("\n"));
    }
}

const FRAGMENTS: &[&str] = &[
    "T",
    " ",
    "\n",
    "\n\n",
    "| where ",
    "x",
    " == ",
    "'a'",
    "\"b\\\"c\"",
    "@'d''e'",
    "h'f'",
    "```g\nh```",
    "'",
    "\"",
    "\\",
    "1",
    ".",
    "..",
    "1.",
    "2e",
    "5d",
    "0x1F",
    "datetime(2020-01-01",
    ")",
    "(",
    "[",
    "]",
    "{",
    "}",
    ",",
    ";",
    "// c\n",
    "#connect cluster('c').database('d')\n",
    ".create function F(a: string) {",
    ".create table U (a:long)\n",
    ".set-or-append V <| ",
    ".alter table W policy update @'[{\"Query\": \"S | take 1\"}]'\n",
    "let f = () { T };",
    "mv-expand",
    "!in~",
    "in~",
    "matches regex",
    "hint.strategy",
    "\u{2028}",
    "\u{00A0}",
    "é",
    "`",
    "~",
    "!",
    "$left",
    "74be27de-1e4e-49d9-b579-fe0b331d3642",
    ".create materialized-view M on table T {",
    "database('D').",
];
