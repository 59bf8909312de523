use super::*;
use crate::kql::parser::parse_query;

fn entity_text(e: &Entity) -> String {
    let kind = match e.kind {
        EntityKind::Table => "table",
        EntityKind::TablePattern => "pattern",
        EntityKind::Function => "function",
        EntityKind::MaterializedView => "mview",
        EntityKind::ExternalTable => "external",
    };
    let mut place = String::new();
    if let Some(c) = e.cluster() {
        place.push_str(c);
        place.push('/');
    }
    if let Some(d) = e.database() {
        place.push_str(d);
        place.push('.');
    }
    format!("{kind} {place}{}", e.name())
}

fn run(text: &str) -> Analysis {
    let parsed = parse_query(text);
    assert!(parsed.errors.is_empty(), "{text:?}: {:?}", parsed.errors);
    analyze(text, &parsed.tokens, &parsed.block)
}

/// The distinct entities read, sorted.
fn reads(text: &str) -> Vec<String> {
    let mut out: Vec<String> = run(text).reads().iter().map(|r| entity_text(&r.entity)).collect();
    out.sort();
    out.dedup();
    out
}

/// References as written: entity and the exact text of the reference.
fn refs(text: &str) -> Vec<String> {
    run(text).references().map(|r| format!("{} @{}", entity_text(&r.entity), r.span.of(text))).collect()
}

#[test]
fn pipe_heads_and_statements() {
    assert_eq!(reads("T | take 1"), ["table T"]);
    assert_eq!(reads("Foo; Bar"), ["table Bar", "table Foo"]);
    assert_eq!(reads("['My Table'] | count"), ["table My Table"]);
    assert_eq!(reads("count | take 1"), ["table count"]);
    assert_eq!(reads("range | take 1"), ["table range"]);
    assert_eq!(reads("(T)"), ["table T"]);
}

#[test]
fn columns_are_never_tables() {
    assert_eq!(reads("T | where a > 1 | extend b = c | project d"), ["table T"]);
    assert_eq!(reads("T | where a in (Foo)"), ["table T"]);
    assert_eq!(reads("T | where a in ((Foo))"), ["table T"]);
    assert_eq!(reads("T | summarize count() by Foo"), ["table T"]);
    assert_eq!(reads("print Foo"), Vec::<String>::new());
    assert_eq!(reads("let x = Foo + 1; print x"), Vec::<String>::new());
}

#[test]
fn subqueries_in_scalar_places() {
    assert_eq!(reads("T | where a in ((Foo | project a))"), ["table Foo", "table T"]);
    assert_eq!(reads("T | where a > toscalar(Foo)"), ["table Foo", "table T"]);
    assert_eq!(reads("T | extend b = toscalar(Foo | count)"), ["table Foo", "table T"]);
    assert_eq!(reads("T | project a = (Z | count)"), ["table T", "table Z"]);
    assert_eq!(reads("print toscalar(Z)"), ["table Z"]);
    assert_eq!(reads("T | where x has_any ((Z | project a))"), ["table T", "table Z"]);
    assert_eq!(reads("let m = materialize(T | take 1); m | join m on a"), ["table T"]);
}

#[test]
fn join_lookup_union() {
    assert_eq!(reads("T | join Bar on a"), ["table Bar", "table T"]);
    assert_eq!(reads("T | join kind=inner (Bar | where x) on $left.a == $right.b"), ["table Bar", "table T"]);
    assert_eq!(reads("T | lookup (Bar) on a"), ["table Bar", "table T"]);
    assert_eq!(reads("T | union Z, (Y), database('d').W"), ["table T", "table Y", "table Z", "table d.W"]);
    assert_eq!(reads("union withsource=S T*, U"), ["pattern T*", "table U"]);
    assert_eq!(reads("union *, database('DB1').T*"), ["pattern *", "pattern DB1.T*"]);
    assert_eq!(reads("union db.T"), ["table db.T"]);
}

#[test]
fn lets_shadow_tables() {
    assert_eq!(reads("let T = U | take 1; T | count"), ["table U"]);
    assert_eq!(reads("let T = T | take 1; T"), ["table T"]);
    assert_eq!(reads("let x = Foo; x"), ["table Foo"]);
    assert_eq!(reads("let x = (Foo); x"), ["table Foo"]);
    assert_eq!(reads("let Z = 1; T | where x == Z"), ["table T"]);
    // An unused let still counts, as Kusto analyses it.
    assert_eq!(reads("let unused = U | take 1; T"), ["table T", "table U"]);
}

#[test]
fn let_functions_read_where_called() {
    assert_eq!(reads("let f = () { Foo }; print 1"), Vec::<String>::new());
    assert_eq!(refs("let f = () { Foo }; print 1"), ["table Foo @Foo"]);
    assert_eq!(reads("let f = () { Foo }; f"), ["table Foo"]);
    assert_eq!(reads("let f = () { Foo }; f()"), ["table Foo"]);
    assert_eq!(reads("let f = (t:(*)) { t | count }; f(Bar)"), ["table Bar"]);
    assert_eq!(reads("let f = (n:long) { T | take n }; f(1)"), ["table T"]);
    assert_eq!(reads("let v = view () { V }; table('v')"), ["table V"]);
    assert_eq!(
        reads("let foo = (dbName:string) { database(dbName).StormEvents | count }; foo('help')"),
        ["table help.StormEvents"]
    );
    assert_eq!(
        reads("let foo = (c:string) { cluster(c).database('Samples').StormEvents }; foo('help')"),
        ["table help.kusto.windows.net/Samples.StormEvents"]
    );
    let analysis = run("let f = () { Foo }; f() | join (f) on a");
    assert_eq!(analysis.reads().len(), 2);
    assert!(analysis.reads().iter().all(|r| r.via().len() == 1));
}

#[test]
fn entity_functions() {
    assert_eq!(reads("table('X')"), ["table X"]);
    assert_eq!(reads("database('Samples').StormEvents | count"), ["table Samples.StormEvents"]);
    assert_eq!(
        reads("cluster('help').database('Samples').StormEvents"),
        ["table help.kusto.windows.net/Samples.StormEvents"]
    );
    assert_eq!(
        reads("cluster('https://help.kusto.windows.net').database(\"Samples\").['Storm Events']"),
        ["table help.kusto.windows.net/Samples.Storm Events"]
    );
    assert_eq!(reads("database('d').F(1)"), ["function d.F"]);
    assert_eq!(reads("materialized_view('mv')"), ["mview mv"]);
    assert_eq!(reads("database('d').materialized_view('mv')"), ["mview d.mv"]);
    assert_eq!(reads("external_table('e') | take 1"), ["external e"]);
    assert_eq!(
        reads("restrict access to (database().Table1, database('DB2').Table2); T"),
        ["table DB2.Table2", "table T", "table Table1"]
    );
    assert_eq!(
        reads("alias database a = cluster('c').database('d'); database('a').T"),
        ["table c.kusto.windows.net/d.T"]
    );
}

#[test]
fn stored_function_calls() {
    assert_eq!(reads("MyFunc(1) | take 1"), ["function MyFunc"]);
    assert_eq!(reads("T | extend x = ago(1d), y = strlen(a)"), ["table T"]);
    assert_eq!(reads("T | invoke F()"), ["function F", "table T"]);
    let analysis = run("F('a', 1, x)");
    assert_eq!(*analysis.reads()[0].arguments(), [Some("a".to_string()), None, None]);
    assert_eq!(reads("Foo(Bar)"), ["function Foo"]);
}

#[test]
fn search_find_evaluate() {
    assert_eq!(reads("find in (A, B*) where x"), ["pattern B*", "table A"]);
    assert_eq!(reads("search 'x'"), ["pattern *"]);
    assert_eq!(reads("search in (A) 'x'"), ["table A"]);
    // A piped `search` searches its input only.
    assert_eq!(reads("T | search 'x'"), ["table T"]);
    assert_eq!(reads("T | where a > 1 | search kind=case_sensitive 'x'"), ["table T"]);
    // `bagexpansion=array` is a parameter, not a call of a function `array`.
    assert_eq!(refs("T | mv-expand bagexpansion=array (X)"), ["table T @T"]);
    assert_eq!(reads("T | evaluate ipv4_lookup(Bar, a, b)"), ["table Bar", "table T"]);
    let analysis = run("T | evaluate sql_request('cs', 'q')");
    assert_eq!(analysis.plugins()[0].name, "sql_request");
    assert!(!analysis.plugins()[0].output_declared);
    // An output schema after the call declares the plugin's output.
    let declared = run("T | evaluate bag_unpack(d) : (a:string, b:long) | project a");
    assert_eq!(declared.plugins()[0].name, "bag_unpack");
    assert!(declared.plugins()[0].output_declared);
    let wildcard = run("T | evaluate bag_unpack(d) : (*, a:string)\n| where a != ''");
    assert!(wildcard.plugins()[0].output_declared);
    assert!(!run("T | evaluate bag_unpack(d)   \n| project a").plugins()[0].output_declared);
}

#[test]
fn nested_subqueries() {
    assert_eq!(reads("T | fork (where a > 1 | join U on k) (take 1)"), ["table T", "table U"]);
    assert_eq!(reads("T | facet by a with (join U on k)"), ["table T", "table U"]);
    assert_eq!(reads("T | partition by a (join U on k)"), ["table T", "table U"]);
    assert_eq!(reads("T | partition by a { U | where k == 1 }"), ["table T", "table U"]);
    assert_eq!(reads("T | mv-apply x on (join U on k)"), ["table T", "table U"]);
    assert_eq!(reads("T | as X | join (X) on a"), ["table T"]);
    assert_eq!(reads("E | make-graph a --> b with N on id"), ["table E", "table N"]);
}

#[test]
fn macro_expand_and_entity_groups() {
    assert_eq!(
        reads(
            "macro-expand entity_group [cluster('C1').database('D'), database('E')] as X (X.Logs | join (X.Dim) on k)"
        ),
        ["table C1.kusto.windows.net/D.Dim", "table C1.kusto.windows.net/D.Logs", "table E.Dim", "table E.Logs"]
    );
    assert_eq!(reads("let G = entity_group [database('D')]; macro-expand G as X (X.T)"), ["table D.T"]);
}

#[test]
fn patterns() {
    let text = "declare pattern app = (id:string)[event:string] {\n\
        ('X').['Stop'] = { database('A').Events };\n\
        ('X').['Start'] = { database('B').Events };\n\
    };\n\
    union app('X').Start";
    assert_eq!(reads(text), ["table B.Events"]);
}

#[test]
fn reference_spans_cover_the_whole_expression() {
    assert_eq!(
        refs("cluster('c').database('d').T | join (database('e').U) on a | union table('V')"),
        [
            "table c.kusto.windows.net/d.T @cluster('c').database('d').T",
            "table e.U @database('e').U",
            "table V @table('V')"
        ]
    );
}

#[test]
fn look_alike_text_is_not_a_reference() {
    assert_eq!(reads("T | where a == 'database(\"x\").Y | union Z' // union W"), ["table T"]);
    assert_eq!(reads("T | where a has @'table(\"U\")'"), ["table T"]);
}

#[test]
fn expansion_is_bounded() {
    // Each level calls the previous one twice: 2^40 expansions without memoisation.
    let mut text = String::from("let f0 = () { T };\n");
    for i in 1..40 {
        text.push_str(&format!("let f{i} = () {{ f{} | union f{} }};\n", i - 1, i - 1));
    }
    text.push_str("f39");
    assert_eq!(reads(&text), ["table T"]);
}

#[test]
fn corpus_regressions() {
    // `as` names stay visible to later statements.
    assert_eq!(reads("T | as X; X | count"), ["table T"]);
    // The partition column is in scope in the subquery.
    assert_eq!(reads("T | partition by k (where x == toscalar(k))"), ["table T"]);
    assert_eq!(reads("T | partition by k { U | where x == toscalar(k) }"), ["table T", "table U"]);
    assert_eq!(reads("T | where x == toscalar(k)"), ["table T", "table k"]);
    // A function whose parameters all have defaults may be named without `()`.
    assert_eq!(reads("let f = (a:string='y') { T }; f"), ["table T"]);
    assert_eq!(reads("let f = (a:string, b:string='x') { T }; f"), Vec::<String>::new());
    // graph-to-table declares its `as` names.
    assert_eq!(
        reads("E | make-graph s --> d with N on n | graph-to-table nodes as X, edges as Y; X; Y"),
        ["table E", "table N"]
    );
    assert_eq!(reads("graph | count"), Vec::<String>::new());
}

#[test]
fn comments_and_strings_hide_references() {
    assert_eq!(reads("T // | join Secret on a\n| where a == 1"), ["table T"]);
    assert_eq!(reads("T | where a == ```\n| union Hidden\n```"), ["table T"]);
    assert_eq!(reads("T | where a == 'it''s | join X' and b == @\"table('Y')\""), ["table T"]);
    assert_eq!(reads("T | project x = \"cluster('c').database('d').Z\""), ["table T"]);
}

#[test]
fn scan_steps_and_external_data() {
    assert_eq!(reads("T | scan with (step s: x > toscalar(U | count) => y = 1;)"), ["table T", "table U"]);
    let analysis = run("externaldata (a:string) [@'https://x/y.csv'] with (format='csv') | join T on a");
    assert_eq!(analysis.external_data().len(), 1);
    assert_eq!(reads("externaldata (a:string) [@'https://x/y.csv'] | join T on a"), ["table T"]);
}

#[test]
fn client_parameters_are_names() {
    assert_eq!(reads("T | where x == {param}"), ["table T"]);
    assert_eq!(reads("T | where x > ago({window})"), ["table T"]);
}

#[test]
fn dynamic_names_are_flagged_not_guessed() {
    let analysis = run("let t = (name:string) { table(name) }; T | extend n = 1 | union table(tostring(n))");
    assert_eq!(analysis.dynamic_references().len(), 2);
    assert_eq!(reads("let t = (name:string) { table(name) }; t('X')"), ["table X"]);
}

/// Each read as text: entity, where, and the let-function calls, arguments and `table('X')`.
fn read_list(analysis: &Analysis, text: &str) -> Vec<String> {
    let at = |span: Span| span.of(text).to_string();
    analysis
        .reads()
        .iter()
        .map(|r| {
            let via: Vec<String> = r.via().iter().map(|s| at(*s)).collect();
            let table = if r.table_call() { " table()" } else { "" };
            format!("{} @{} via {via:?} {:?}{table}", entity_text(&r.entity), at(r.span), r.arguments())
        })
        .collect()
}

#[test]
fn reads_that_are_references_are_kept_once() {
    let text = "T | join (database('d').U) on a";
    let analysis = run(text);
    assert_eq!(refs(text), ["table T @T", "table d.U @database('d').U"]);
    assert_eq!(read_list(&analysis, text), ["table T @T via [] []", "table d.U @database('d').U via [] []"]);
    assert_eq!(analysis.slots().len(), 2);
    // One reference: inline, nothing else allocated for the lists.
    let one = run("T | take 1");
    assert!(matches!(one.0, Repr::One(_)));
    assert_eq!((one.references().len(), one.reads().len()), (1, 1));
    // A function nobody calls is referred to, not read: the reads are the last references.
    let text = "let f = () { A }; B | join (C) on x";
    let analysis = run(text);
    assert_eq!(refs(text), ["table A @A", "table B @B", "table C @C"]);
    assert_eq!(read_list(&analysis, text), ["table B @B via [] []", "table C @C via [] []"]);
    assert_eq!(analysis.slots().len(), 3);
    // Reads through a let-function, of a stored function with arguments, by `table('X')`: kept
    // apart from the references, with what they add.
    let text = "let f = () { A }; f() | union table('X') | union F('a', b)";
    let analysis = run(text);
    assert_eq!(refs(text), ["table A @A", "table X @table('X')", "function F @F('a', b)"]);
    assert_eq!(
        read_list(&analysis, text),
        [
            "table A @A via [\"f()\"] []",
            "table X @table('X') via [] [] table()",
            "function F @F('a', b) via [] [Some(\"a\"), None]"
        ]
    );
    assert_eq!(analysis.slots().len(), 6);
    // Nothing read: nothing kept.
    let none = run("print 1");
    assert!(none.references().next().is_none() && none.reads().is_empty() && none.slots().is_empty());
    assert_eq!(none, Analysis::default());
}

#[test]
fn entities_order_as_kind_cluster_database_name() {
    let table = |c: Option<&str>, d: Option<&str>, n: &str| Entity::new(EntityKind::Table, c, d, n);
    let mut entities = [
        table(Some("c"), None, "A"),
        table(None, Some("d"), "A"),
        table(None, None, "B"),
        Entity::new(EntityKind::Function, None, None, "A"),
        table(Some("c"), Some("d"), "A"),
        table(None, None, "A"),
    ];
    entities.sort();
    let text: Vec<String> = entities.iter().map(entity_text).collect();
    assert_eq!(
        text,
        ["table A", "table B", "table d.A", "table c/A", "table c/d.A", "function A"],
        "None before Some, the cluster before the database"
    );
    let json = serde_json::to_string(&table(None, Some("d"), "T")).unwrap();
    assert_eq!(json, r#"{"kind":"table","cluster":null,"database":"d","name":"T"}"#);
}

#[test]
fn names_compare_order_and_hash_as_text() {
    use crate::kql::references::Name as EntityName;
    for text in [
        "",
        "T",
        "StormEvents",
        "exactly_22_bytes_long_",
        "a_name_of_twenty_three_",
        "Tëst_ünïcode_😀_names",
        "x".repeat(300).as_str(),
    ] {
        let name = EntityName::new(text);
        assert_eq!(name.as_str(), text);
        assert_eq!(&*name, text);
        assert_eq!(format!("{name:?}"), format!("{text:?}"));
        assert_eq!(name, EntityName::new(text).clone());
    }
    let mut names: Vec<EntityName> =
        ["b", "a_name_of_twenty_three_", "a", "B"].into_iter().map(EntityName::new).collect();
    names.sort();
    assert_eq!(names.iter().map(|n| n.as_str()).collect::<Vec<_>>(), ["B", "a", "a_name_of_twenty_three_", "b"]);
    let hash = |name: &EntityName| {
        use std::hash::{BuildHasher, BuildHasherDefault};
        BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(name)
    };
    let hash_str = |text: &str| {
        use std::hash::{BuildHasher, BuildHasherDefault};
        BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(text)
    };
    assert_eq!(hash(&EntityName::new("a_name_of_twenty_three_")), hash_str("a_name_of_twenty_three_"));
    assert_eq!(hash(&EntityName::new("T")), hash_str("T"));
}

#[test]
fn one_reference_with_errors_or_parameters_keeps_them_all() {
    let plain = crate::kql::analyze_query("T | take 1");
    assert!(matches!(plain.analysis.0, Repr::One(_)) && plain.errors().is_empty());
    let broken = crate::kql::analyze_query("T | where");
    assert!(!broken.errors().is_empty());
    assert!(matches!(broken.analysis.0, Repr::Lists { .. }));
    assert_eq!((broken.analysis.references().len(), broken.analysis.reads().len()), (1, 1));
    assert_eq!(broken.analysis.reads()[0].entity.name(), "T");
    let function = crate::kql::analyze_function("(x:int) { T | take x }");
    assert_eq!(function.parameters().len(), 1);
    assert_eq!(function.analysis.references().map(|r| r.entity.name()).collect::<Vec<_>>(), ["T"]);
    assert_eq!(function.analysis.reads().len(), 1);
    assert!(function.errors().is_empty());
}
