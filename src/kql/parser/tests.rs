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
