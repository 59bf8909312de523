use super::*;

fn errors(text: &str) -> Vec<String> {
    parse_query(text).errors.into_iter().map(|e| format!("{}: {}", e.span.of(text), e.message)).collect()
}

fn parses_cleanly(text: &str) {
    let errs = errors(text);
    assert!(errs.is_empty(), "{text:?}: {errs:?}");
}

#[test]
fn parses_statements() {
    parses_cleanly("let x = 1; let T2 = T | take 1; T2");
    parses_cleanly("let f = (a:string, n:long = 10) { T | take n }; f('x')");
    parses_cleanly("let f = (t:(*)) { t | count }; f(T)");
    parses_cleanly("let f = (t:(a:string, b:long)) { t }; f(T)");
    parses_cleanly("let v = view () { T }; v");
    parses_cleanly("declare query_parameters(p:string = 'x', n:long); T | where a == p");
    parses_cleanly("set notruncation; T");
    parses_cleanly("set x = 10; T");
    parses_cleanly("alias database db = cluster('c').database('d'); database('db').T");
    parses_cleanly("restrict access to (T, database('d').*, my*); T");
    parses_cleanly("T | take 1;");
    parses_cleanly("#connect cluster('c').database('d')\nT | count");
}

#[test]
fn parses_operators() {
    for text in [
        "T | where a > 1 and b has 'x' | project a, b = c * 2 | extend d = tostring(a)",
        "T | summarize count(), dcount(a) by bin(ts, 1h), b | sort by a desc nulls last",
        "T | top 10 by a asc | take 5 | limit 3 | distinct a, b | count",
        "T | join kind=inner hint.strategy=shuffle (U | where x) on a, $left.b == $right.c",
        "T | join U on a | lookup kind=leftouter V on k",
        "T | union withsource=S kind=outer U, (V | take 1), database('d').W, X*",
        "union T*, database('d').*, cluster('c').database('e').T",
        "T | as X | join (X) on a",
        "T | fork (where a > 1 | count) (take 10) c = (summarize by a)",
        "T | facet by a, b with (top 5 by c)",
        "T | partition hint.strategy=native by a (top 1 by b)",
        "T | partition by a { U | where k == toscalar(k) }",
        "T | mv-apply x = arr to typeof(long) on (summarize sum(x))",
        "T | mv-expand a, b to typeof(string) limit 10",
        "T | evaluate bag_unpack(d) : (a:string)",
        "evaluate sql_request('cs', 'select 1')",
        "T | invoke F(1) | invoke database('d').G()",
        "find in (T, U*) where x == 1 project a, b",
        "find withsource=S where x == 1",
        "search in (T) 'x'",
        "search kind=case_sensitive * has 'x'",
        "T | parse a with * 'x=' x:long ',' rest",
        "T | parse-kv a as (k:string, v:long) with (pair_delimiter=',', kv_delimiter='=')",
        "T | make-series avg(x) default=0 on ts from ago(1d) to now() step 1h by y",
        "T | make-series avg(x) on ts in range(ago(1d), now(), 1h)",
        "T | render timechart with (title='x', ycolumns=a, b)",
        "T | project-away a*, b | project-reorder c asc, d* | project-rename e = f",
        "range x from 1 to 10 step 1",
        "print a = 1, b = toscalar(T | count)",
        "T | where x in ((U | project y)) | where z !in~ ('a', 'b')",
        "T | where x between (1 .. 10)",
        "T | scan with_match_id=m declare (n:long = 0) with (step s1: a > 1 => n = 1; step s2 output=none: b < 2;)",
        "T | make-graph a --> b with N on id partitioned-by p (graph-match (x)-[e]->(y) project x.id)",
        "G | graph-match (a)-[e*1..3]->(b) where a.x > 1 project b.y",
        "macro-expand entity_group [cluster('C1').database('D'), database('E')] as X (X.T | count)",
        "datatable(a:string, b:long)['x', 1, 'y', 2] | where b > 1",
        "externaldata (a:string) [@'https://x/y.csv', h'https://z'] with (format='csv')",
        // URLs computed from a query parameter or a `let` value (Kusto.Language accepts them).
        "declare query_parameters(URI:string); externaldata(x:string)[URI]",
        "let base = 'https://x/'; externaldata(a:string)[strcat(base, 'y.csv'), 'https://z']",
        "T | extend d = dynamic({'a': [1, 2], 'b|c': '//x'}) | where d.a[0] == 1",
        "T | summarize (m, a) = arg_max(ts, *) by k",
        "T | where * has 'x'",
        "T | sample 10 | sample-distinct 5 of a | top-nested 3 of a by count() with others = 0",
        "T | getschema | consume",
        "T | serialize n = row_number() | where prev(n) > 1",
        "T | reduce by a with threshold=0.1",
        "T | extend x = iff(a > 1, 'a', 'b') | extend ['my col'] = 1",
        "T | project title = 1, ['to'] = 2",
        "count | take 1",
        "range | take 1",
        "T | where kind == 'x'",
        "T | where datetime_diff('day', now(), ts) > datetime(2020-01-01) - 1d",
        "T | summarize hint.strategy = shuffle hint.num_partitions = 10 count() by a",
        "T | mv-expand bagexpansion=array with_itemindex=i x",
        "T | top-nested 3 of a by sum(b), top-nested 2 of c by count()",
        "T | render barchart kind=stacked title='x'",
        "where type =~ 'microsoft.web/sites' | project id",
        "T | extend a = b.[0], c = d['e'] | where x.[1] > 0",
        "T datascope=hotcache | count",
        "inline_external_table(a:string) kind=storage dataformat=csv (h@'https://x') | count",
        "search FirstName:'Aaron' or LastName:\"Hughes\"",
        "T | parse x with * 'a' y:string 'b' *",
    ] {
        parses_cleanly(text);
    }
}

#[test]
fn reports_errors_and_recovers() {
    let parsed = parse_query("T | where | take 1; U | WHERE x; V");
    assert!(!parsed.errors.is_empty());
    assert_eq!(parsed.block.statements.len(), 3);
    assert!(!errors("let a = 1;; T").is_empty());
    assert!(!errors("T | where (a > 1").is_empty());
    assert!(!errors("let x = 1\nlet y = 2; T").is_empty());
    assert!(!errors("T | summarize count() by x )").is_empty());
    // Two queries without `;` between them: the second one's table is not an item.
    assert!(!errors("T | where a > 1\n\nU | take 1").is_empty());
    assert!(!errors("T | project a, b\n\nU").is_empty());
}

#[test]
fn deep_nesting_is_bounded() {
    let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    let parsed = parse_query(&deep);
    assert!(parsed.errors.iter().any(|e| e.message.contains("nesting")));
    let minus = format!("print {}1", "-".repeat(100_000));
    assert!(!parse_query(&minus).errors.is_empty());
    let calls = format!("print {}1{}", "f(".repeat(50_000), ")".repeat(50_000));
    assert!(!parse_query(&calls).errors.is_empty());
}

/// The first error's span text and message.
fn first_error(text: &str) -> Option<(String, String)> {
    let parsed = parse_query(text);
    parsed.errors.first().map(|e| (e.span.of(text).to_string(), e.message.clone()))
}

/// Verdicts of Kusto.Language 12.4.1 (the oracle) on queries whose grammar was in doubt: `true`
/// when it accepts the query.
const ORACLE_VERDICTS: &[(&str, bool)] = &[
    // Operators that need something after them.
    ("T | where", false),
    ("T | extend", false),
    ("T | take", false),
    ("T | distinct", false),
    ("T | order by", false),
    ("T | sort by", false),
    ("T | top 5", false),
    ("T | top 5 by", false),
    ("T | summarize count() by", false),
    ("T | join (U) on", false),
    ("T | mv-expand", false),
    ("T | render", false),
    ("T | make-series", false),
    ("T | sample", false),
    ("T | project", true),
    ("T | project-away", true),
    ("T | summarize", true),
    ("T | count", true),
    ("T | getschema", true),
    ("T | consume", true),
    ("T | serialize", true),
    // Lists: empty items, trailing commas, missing commas.
    ("T | project a,, b", false),
    ("T | project a,", false),
    ("T | extend a=1,", false),
    ("T | summarize count() by a,", false),
    ("print f(1,)", false),
    ("print f(1,,2)", false),
    ("T | summarize n = count() m = dcount(x)", false),
    ("print a = 1 b = 2", false),
    ("T | where x > 1 project y", false),
    ("T | summarize count() where x > 1", false),
    // Empty required parentheses.
    ("T | where x in ()", false),
    ("T | where x !in ()", false),
    ("T | where x has_any ()", false),
    ("T | where x between ()", false),
    ("T | where x between (1)", false),
    ("T | where x between (1 .. )", false),
    ("print toscalar()", false),
    ("T | union ()", false),
    ("T | join () on a", false),
    ("T | join (U)", true),
    ("T | lookup (U)", false),
    // Single values and lists.
    ("T | where c has (\"a\", \"b\")", false),
    ("T | where c == (\"a\", \"b\")", false),
    ("T | where c has (\"a\")", true),
    ("T | where x in ((1), 2)", true),
    ("print (1, 2)", false),
    ("print x = (1, y = 2)", false),
    ("T | extend (a, b) = f(x)", true),
    ("print f(T | count)", false),
    ("print ago(1d | where x)", false),
    ("print strcat(\"a\", (T | count))", true),
    ("print toscalar((T | count))", true),
    ("print (T | count)", true),
    ("print f(x = 1)", true),
    // dynamic and datatable literals.
    ("print dynamic()", false),
    ("print dynamic([1, 2,, 3])", false),
    ("print dynamic([1, 2,])", false),
    ("print dynamic({\"a\":1,})", false),
    ("print dynamic({a:1})", false),
    ("print dynamic([1 2])", false),
    ("print dynamic(x)", false),
    ("print dynamic(1+2)", false),
    ("print dynamic(+1)", false),
    ("print dynamic(null)", true),
    ("print dynamic(-1)", true),
    ("print dynamic({'a':1})", true),
    ("print dynamic([dynamic(1)])", true),
    ("print dynamic(datetime(2020-01-01))", true),
    ("print dynamic([1, [2], {\"a\": [3]}, \"x\", true, null, 1.5, 1d])", true),
    ("print dynamic([\"a\" \"b\"])", true),
    ("datatable(a:int)[1,, 2]", false),
    ("datatable(a:int)[1+2]", false),
    ("datatable(a)[1]", false),
    ("datatable(a:int)[1, 2,]", true),
    ("datatable(a:int)[]", true),
    ("datatable(a:int, b:string)[\n, 1, \"x\"]", true),
    // Strings and escapes.
    ("T | where s == \"abc | count", false),
    ("print \"a\\E\"", false),
    ("print \"a\\x4g\"", false),
    ("print \"a\\?\"", false),
    ("print \"a\\t\\n\\r\\\\\\'\\\"\\0\\101\\x41\\u0041\\U00000041\\a\\b\\f\\v\"", true),
    ("print @\"a\\E\"", true),
    // Keywords as names: `Name` class anywhere; `Extended` only where a name is declared;
    // `Special` only as a reference; `Reserved` nowhere.
    ("let count = 1; print count", true),
    ("T | where on > 1", true),
    ("T | extend where = 1", true),
    ("T | summarize title = count()", true),
    ("print x = 1, where = 2", true),
    ("let f = (where:string) { 1 }; print 1", true),
    ("T | where kind > 1", true),
    ("T | project kind", true),
    ("print iff(summarize == 1, 1, 2)", true),
    ("let where = 1; print where", false),
    ("let kind = 1; print kind", false),
    ("T | where where > 1", false),
    ("T | project a, where", false),
    ("T | extend kind = 1", false),
    ("T | extend in = 1", true),
    ("T | summarize or = count()", false),
    ("T | summarize by = count()", false),
    ("T | project-away where", false),
    ("print first(1)", false),
    ("T | extend x = string", false),
    ("print time(1)", true),
    // Other forms met on real queries.
    ("T | where x = 1", true),
    ("T | take 1 | count as N", true),
    ("T | parse a with * '/' x '/' *\nparse b with * 'c' y", true),
    ("T | mv-expand bagexpansion=array x", true),
    ("T | mv-expand x = y to typeof(string) limit 10", true),
    ("T | render timechart kind=stacked", true),
    ("T | render timechart with (title=\"x\")", true),
];

#[test]
fn agrees_with_the_oracle_on_grammar_in_doubt() {
    let mut wrong = Vec::new();
    for &(text, ok) in ORACLE_VERDICTS {
        let errs = errors(text);
        if errs.is_empty() != ok {
            wrong.push(format!("{text:?}: Kusto.Language {}, uplint {errs:?}", if ok { "accepts" } else { "rejects" }));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn messages_say_what_to_do() {
    let cases = [
        ("T | where", "expected an expression after 'where'"),
        ("T | where c has (\"a\", \"b\")", "'has' takes a single value; did you mean 'has_any'?"),
        ("T | summarize n = count() m = dcount(x)", "missing ',' between aggregates"),
        ("T | extend project = 1", "'project' is a keyword: write ['project'] to use it as a name"),
        ("T | where x > 1 project y", "expected '|' before 'project'"),
        ("T | where s == \"abc | count", "unterminated string literal"),
        ("T | project a,, b", "expected a column before ','"),
        ("T | top 5", "expected 'by' after the number of rows of 'top'"),
        ("T | wher x > 1", "unknown operator 'wher'; did you mean 'where'?"),
        ("T | Where x > 1", "unknown operator 'Where'; did you mean 'where'?"),
        ("T | sumarize count()", "unknown operator 'sumarize'; did you mean 'summarize'?"),
        // A short word is no near miss two edits away; a function is told apart.
        (
            "T | bin timestamp to 1h",
            "'bin' is a function, not a query operator: call it inside one (`extend`, `where`, `summarize ... by`...)",
        ),
        ("T | qux 1", "unknown operator 'qux': expected a query operator after '|'"),
        ("T | extned x = 1", "unknown operator 'extned'; did you mean 'extend'?"),
        // Control characters of the file are escaped, never copied into the output.
        ("T | where a == 1\0\0 | take 1", "unexpected '\\u{0}' after the 'where' operator"),
        ("T | where a == 1 \u{1b}[2J", "unexpected '\\u{1b}' after the 'where' operator"),
    ];
    for (text, message) in cases {
        assert_eq!(first_error(text).map(|e| e.1).as_deref(), Some(message), "{text:?}");
    }
}

#[test]
fn unclosed_strings_and_brackets_point_where_to_edit() {
    let text = "T | where s == \"abc | count";
    let error = &parse_query(text).errors[0];
    assert_eq!(error.span, Span::empty(text.len()));
    assert_eq!(error.labels, vec![(Span::new(15, 16), "the string starts here".to_string())]);

    let text = "T | where f(1, 2 | count";
    let error = &parse_query(text).errors[0];
    assert_eq!(error.message, "expected ')' to close this '('");
    assert_eq!(error.span.of(text), "|");
    assert_eq!(error.labels[0].0.of(text), "(");

    let text = "print \"a\\E\"";
    assert_eq!(first_error(text).unwrap().0, "\\E");
}

/// A `[` before a string starts a bracketed name: when no `]` follows its strings, the error is
/// where the `]` belongs (where Kusto.Language 12.4.1 reports `Expected: ]`), with the `[` as a
/// label, and a string left open is reported too (Kusto's `Missing: "`).
#[test]
fn an_unclosed_bracketed_name_is_reported_where_its_bracket_belongs() {
    // Each text, with the byte offsets of the errors Kusto.Language reports first.
    let cases: [(&str, &[usize]); 5] = [
        ("T | summarize [\"Rows]=count() by TableName = \"Raw_Table\"\n| take 1", &[46, 56]),
        ("T | project ['a b' | take 1", &[19]),
        ("T | project ['a'\n| take 1", &[16]),
        ("T | project ['a' 'b'", &[20]),
        ("T\n| extend [\"Packed]=pack_all(), X=1\n| take 1", &[36]),
    ];
    for (text, starts) in cases {
        let parsed = parse_query(text);
        let found: Vec<usize> = parsed.errors.iter().map(|e| e.span.start as usize).collect();
        assert_eq!(found, starts, "{text:?}: {:?}", parsed.errors);
    }
    let text = "T | project ['a b' | take 1";
    let error = &parse_query(text).errors[0];
    assert_eq!(error.message, "expected ']' to close this '[', found '|'");
    assert_eq!(error.labels[0].0.of(text), "[");
    // What follows is parsed: the table the next operator names is read.
    let text = "T | project ['a b' | join (U) on x";
    let parsed = parse_query(text);
    let analysis = crate::kql::analyze::analyze(text, &parsed.tokens, &parsed.block);
    let mut read: Vec<&str> = analysis.reads().iter().map(|r| r.entity.name()).collect();
    read.sort();
    assert_eq!(read, ["T", "U"]);
}

/// `in`, `!in`, `in~`, `has_any`, `has_all` take their values in `()` only: Kusto.Language
/// 12.4.1 reports `Expected: (` at the bare value (a regression: uplint accepted them).
#[test]
fn list_operators_need_their_parentheses() {
    let cases = [
        ("T | where x in \"a\"", 15),
        ("T | where x in T2", 15),
        ("T | where x !in \"a\", \"b\")", 16),
        ("let d = dynamic([1]); T | where x in d", 37),
        ("T | where x has_any d", 20),
        ("T | where x in~ \"a\"", 16),
        ("T | where x has_all \"a\"", 20),
        ("print x = 1 in 2", 15),
        ("T | where x has_any dynamic([\"a\"])", 20),
    ];
    for (text, at) in cases {
        let parsed = parse_query(text);
        let first = parsed.errors.first().unwrap_or_else(|| panic!("{text:?}: no error"));
        assert_eq!(first.span.start as usize, at, "{text:?}: {first:?}");
        assert!(first.message.starts_with("expected '(' after '"), "{text:?}: {first:?}");
    }
    for text in [
        "T | where x in (d)",
        "T | where x in\n(\"a\")",
        "T | where x has_any (\"a\") and y in (T2 | project y)",
        "T | make-series c = count() on Timestamp in range(ago(1d), now(), 1h) by k",
    ] {
        parses_cleanly(text);
    }
}

/// The lower bound of `between` is a whole expression up to its `..` (Kusto.Language 12.4.1
/// accepts these; a regression: only a unary expression was read, a false UP901).
#[test]
fn between_bounds_are_whole_expressions() {
    for text in [
        "T | where ts between (now() - 1d .. now())",
        "T | where v between (5 - 1 .. 10)",
        "T | where v !between (a * 2 .. b + 1)",
        "T | where v between (-1 .. 1) and w between ((a - b) .. c)",
    ] {
        parses_cleanly(text);
    }
    assert_eq!(errors("T | where v between (1 + 2)"), ["): expected '..' between the bounds of 'between'"]);
}

/// Text after a complete operator is reported where the operator should end, as
/// Kusto.Language 12.4.1 reports its `Expected: ;`: at the text when it is on the operator's
/// line, else right after the operator, with the text labelled.
#[test]
fn text_after_an_operator_is_reported_where_the_operator_ends() {
    let text = "T | join (U)\n  $left.a == $right.b";
    let error = &parse_query(text).errors[0];
    assert_eq!(error.message, "unexpected '$left' after the 'join' operator");
    assert_eq!(error.span, Span::empty(12));
    assert_eq!(error.labels, vec![(Span::new(15, 20), "not part of the 'join' operator".to_string())]);
    for (text, at) in [
        ("T | join (U) $left.a == $right.b", 13),
        ("T | where x > 1\n  foo", 15),
        ("T | take 1\n  x", 10),
        // Two items side by side in an operator's clauses (a `|` dropped before `summarize`).
        ("range x from 1 to 100 step 1\nsummarize count()", 28),
    ] {
        let error = &parse_query(text).errors[0];
        assert_eq!(error.span.start as usize, at, "{text:?}: {error:?}");
    }
    assert!(parse_query("T | where x > 1 foo").errors[0].labels.is_empty());
}

#[test]
fn one_error_per_mistake() {
    // Errors that only follow from the first are not reported; the next operator is checked.
    assert_eq!(errors("T | project a,, b c d e | where").len(), 2);
    assert_eq!(errors("T | where f(x, | project a\n| extend b = 1"), vec!["|: expected an expression after ','"]);
    assert_eq!(errors("T | where s == \"abc | count").len(), 1);
}
