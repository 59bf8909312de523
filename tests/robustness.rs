//! No input may panic, overflow the stack or hang the KQL front end: random text, random
//! token soups built from KQL's own vocabulary, truncations of real queries, deep nesting.

use proptest::prelude::*;
use uplint::kql;

/// Pieces that exercise every lexer path and the parser's operator and recovery code.
const PIECES: &[&str] = &[
    "T",
    "Foo",
    "let",
    "x",
    "=",
    "==",
    ";",
    "|",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ".",
    "..",
    "*",
    "where",
    "project",
    "extend",
    "summarize",
    "by",
    "join",
    "on",
    "union",
    "lookup",
    "as",
    "fork",
    "facet",
    "partition",
    "mv-apply",
    "mv-expand",
    "evaluate",
    "invoke",
    "find",
    "search",
    "in",
    "!in~",
    "has_any",
    "between",
    "toscalar",
    "materialize",
    "datatable",
    "externaldata",
    "range",
    "from",
    "to",
    "step",
    "print",
    "scan",
    "with",
    "step",
    ":",
    "=>",
    "make-graph",
    "-->",
    "graph-match",
    "macro-expand",
    "entity_group",
    "database",
    "cluster",
    "table",
    "('d')",
    "'s'",
    "@'v'",
    "\"q\\\"\"",
    "```m```",
    "h'o'",
    "1",
    "1.5",
    "1d",
    "0x1F",
    "datetime(2020-01-01)",
    "guid(",
    "dynamic({'a': 1})",
    "typeof(long)",
    "declare",
    "query_parameters",
    "pattern",
    "alias",
    "restrict",
    "access",
    "set",
    "view",
    "#connect x",
    "//c\n",
    "\n",
    " ",
    "$left",
    "['b c']",
    "{p}",
    "-",
    "+",
    "!",
    "`",
    "~",
    "ë",
    "\u{FEFF}",
    "\r\n",
    "T*",
    "parse",
    "kind=inner",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..80).prop_map(|pieces| pieces.join(" "))
}

fn check(text: &str) {
    let analyzed = kql::analyze_query(text);
    for error in analyzed.errors() {
        assert!(error.span.end as usize <= text.len());
        assert!(text.is_char_boundary(error.span.start as usize));
        assert!(text.is_char_boundary(error.span.end as usize));
    }
    for reference in analyzed.analysis.references() {
        assert!(reference.span.start <= reference.span.end);
        assert!(reference.span.end as usize <= text.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        check(&text);
    }

    #[test]
    fn token_soups_never_panic(text in soup()) {
        check(&text);
    }

    #[test]
    fn prefixes_of_a_real_query_never_panic(cut in 0usize..400) {
        let query = "let f = (t:(*), n:long = 10) { t | take n };\n\
                     let x = toscalar(T | summarize max(a));\n\
                     f(database('d').T) | where a in ((U | project a)) and b has @'x'\n\
                     | join kind=inner (cluster('c').database('e').V) on $left.k == $right.k\n\
                     | union withsource=S W*, (X | as Y | fork (take 1) (count))\n\
                     | mv-apply z = arr on (summarize sum(z)) | evaluate bag_unpack(p) : (a:string)\n\
                     | extend d = dynamic({'k': [1, 2]}), t = datetime(2020-01-01 10:00)";
        let mut end = cut.min(query.len());
        while !query.is_char_boundary(end) {
            end -= 1;
        }
        check(&query[..end]);
    }
}

#[test]
fn binary_input_never_panics() {
    let bytes: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    check(&String::from_utf8_lossy(&bytes));
}

#[test]
fn deep_and_long_inputs_terminate() {
    let n = 50_000;
    for text in [
        format!("T | where {}x{}", "(".repeat(n), ")".repeat(n)),
        format!("print {}", "-".repeat(n)),
        format!("print {}1", "f(".repeat(n)),
        format!("T{}", " | where x > 1".repeat(n)),
        format!("print {}", vec!["a"; n].join(" + ")),
        format!("print x{}", ".y".repeat(n)),
        format!(
            "let f0 = () {{ T }}; {}",
            (1..500).map(|i| format!("let f{i} = () {{ f{} }};", i - 1)).collect::<String>()
        ),
        "[".repeat(n),
        "{".repeat(n),
        format!("T | union {}", vec!["(U"; n].join(", ")),
        "'".repeat(n),
        "```".repeat(n),
    ] {
        check(&text);
    }
}

/// The deepest inputs fit in a quarter of a test thread's default stack, even unoptimised.
#[test]
fn deep_nesting_fits_in_a_small_stack() {
    let n = 10_000;
    let inputs = vec![
        format!("T | where {}x{}", "(".repeat(n), ")".repeat(n)),
        format!("print {}1", "f(".repeat(n)),
        format!("print {}", "-".repeat(n)),
        format!("T | where x in ({})", "(T | where y in (".repeat(n)),
        format!("let a = {}", "toscalar(".repeat(n)),
        format!("T | join ({}U", "(V | join ".repeat(n)),
        format!("print x{}", "[y".repeat(n)),
        format!("T | fork {}", "(fork ".repeat(n)),
        format!("let f = () {{{}", "let g = () {".repeat(n)),
        format!("T | partition by k {}", "(partition by k ".repeat(n)),
        format!("macro-expand g as X {}", "(macro-expand g as X ".repeat(n)),
        format!("print {}", "dynamic(".repeat(n)),
        format!("T | mv-apply x on {}", "(mv-apply x on ".repeat(n)),
    ];
    let handle = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || {
            for text in &inputs {
                check(text);
            }
        })
        .unwrap();
    handle.join().unwrap();
}

/// Pieces of management scripts, to build command soups.
const COMMAND_PIECES: &[&str] = &[
    "\n.",
    ".create",
    ".alter",
    ".alter-merge",
    ".delete",
    ".drop",
    ".add",
    ".set",
    ".execute",
    "table",
    "tables",
    "function",
    "database",
    "cluster",
    "policy",
    "update",
    "managed_identity",
    "row_level_security",
    "restricted_view_access",
    "retention",
    "softdelete",
    "=",
    "0s",
    "enable",
    "disable",
    "viewers",
    "users",
    "none",
    "materialized-view",
    "external",
    "on",
    "with",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "T",
    "Db.T",
    "F()",
    "'aadapp=x;t'",
    "@'[{\"Source\": \"S\", \"Query\": \"F()\", \"ManagedIdentity\": \"system\"}]'",
    "```[{\"ObjectId\": \"system\", \"AllowedUsages\": \"AutomatedFlows\"}]```",
    "\"[{\\\"Query\\\": 1}]\"",
    "#connect cluster('c').database('d')\n",
    "\n\n",
    "<|",
    "T | take 1",
    "database('x').T",
    "ifexists",
    ";",
];

fn command_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(COMMAND_PIECES), 0..60).prop_map(|pieces| pieces.join(" "))
}

fn check_project(text: &str) {
    let workspace = uplint::workspace::from_texts(&[("a.kql", text)], &uplint::workspace::LoadOptions::default());
    let diagnostics = uplint::check::check(&workspace, &uplint::rules::Settings::default());
    for d in &diagnostics {
        assert!(d.primary.span.end as usize <= text.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn command_soups_never_panic(text in command_soup()) {
        check_project(&text);
    }

    #[test]
    fn arbitrary_scripts_never_panic(text in "\\PC{0,300}") {
        check_project(&text);
    }
}

/// Markdown-ish text: fences, languages, indentation, list items, Kusto commands.
fn markdown_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("```kusto\n".to_string()),
        Just("```kql\n".to_string()),
        Just("~~~csl\n".to_string()),
        Just("```\n".to_string()),
        Just("~~~\n".to_string()),
        Just("  ```KQL title\n".to_string()),
        Just("- item\n".to_string()),
        Just("> quote\n".to_string()),
        Just("\n".to_string()),
        Just(".alter table T policy update @'[{\"Source\": \"S\", \"Query\": \"database('X').T\"}]'\n".to_string()),
        Just(".create function F() { T }\n".to_string()),
        "\\PC{0,20}\n",
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn markdown_runbooks_never_panic_and_keep_offsets(text in markdown_soup()) {
        let uplint::markdown::Runbook { text: script, blocks, unlabelled, .. } = uplint::markdown::read(&text);
        prop_assert_eq!(script.len(), text.len());
        // The fences of unlabelled Kusto blocks are in order, within the text, fence characters
        // on one line, and outside every block read.
        for pair in unlabelled.windows(2) {
            prop_assert!(pair[0].command.end <= pair[1].fence.start);
        }
        for block in &unlabelled {
            let fence = &block.fence;
            let line = text.get(fence.clone()).unwrap_or_default();
            let command = text.get(block.command.clone()).unwrap_or_default();
            prop_assert!(block.command == *fence || command.starts_with('.') || command == "#connect", "{:?}", command);
            prop_assert!(fence.end <= block.command.start || block.command == *fence);
            prop_assert!(line.len() >= 3 && line.chars().all(|c| c == '`' || c == '~'), "{:?}", line);
            prop_assert!(blocks.iter().all(|block| fence.end <= block.start || block.end <= fence.start));
        }
        // The blocks are in order, apart, and within the text.
        for pair in blocks.windows(2) {
            prop_assert!(pair[0].end <= pair[1].start);
        }
        prop_assert!(blocks.iter().all(|block| block.start <= block.end && block.end <= text.len()));
        prop_assert_eq!(script.matches('\n').count(), text.matches('\n').count());
        // Every byte kept is the file's own.
        for (kept, original) in script.bytes().zip(text.bytes()) {
            prop_assert!(kept == original || kept == b' ');
        }
        let parsed = uplint::script::parse_script_blocks(&script, &blocks);
        for error in &parsed.errors {
            prop_assert!(error.span.end as usize <= text.len());
        }
    }
}

/// A bracketed name left open at the end of the text: the reference `s` once ran past the end.
#[test]
fn an_unclosed_bracket_name_at_the_end_stays_in_the_text() {
    check("where union where [ 's'");
}
