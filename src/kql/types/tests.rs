//! Output schemas checked against Kusto.Language's answers (asked once through the oracle; the
//! expected schemas below are its `result_columns`).

use super::*;

const D: &str = "let D = datatable(a:long, b:string, c:dynamic, ts:datetime)[]; D";

fn schema(query: &str) -> String {
    let text = query.replace("D |", &format!("{D} |"));
    match query_schema(&text, &mut NoEnvironment) {
        Some(t) => {
            let columns: Vec<String> =
                t.columns.iter().map(|c| format!("{}:{}", c.name, c.ty.map_or("unknown", ScalarType::name))).collect();
            format!("{}{}", columns.join(", "), if t.open { " OPEN" } else { "" })
        }
        None => "none".to_string(),
    }
}

#[test]
fn schemas_agree_with_kusto_language() {
    let cases = [
        (
            "D | summarize count(), sum(a), dcount(b), arg_max(ts, *), percentiles(a, 50, 95), any(b), countif(a>1), make_list(b), take_any(a, b) by bin(ts, 1h), c.x",
            "ts:datetime, c_x:dynamic, count_:long, sum_a:long, dcount_b:long, ts1:datetime, a:long, b:string, c:dynamic, percentile_a_50:long, percentile_a_95:long, any_b:string, countif_:long, list_b:dynamic, a1:long, b1:string",
        ),
        (
            "D | extend tostring(c.x), strlen(b), a+1, c.x.y, c[\"z\"], todatetime(b), 1, \"x\"",
            "a:long, b:datetime, c:dynamic, ts:datetime, c_x:string, strlen_b:long, Column1:long, c_x_y:dynamic, c_z:dynamic, Column2:long, Column3:string",
        ),
        (
            "D | project strlen(\"x\"), substring(b, 1), tostring(1), tostring(a+1), iff(a>1, 1, 2), now(), bin(ts, 1h), floor(ts, 1h), strcat(b, \"x\"), tolower(b), c.x, todynamic(b).y, c.x[\"y\"], c[0], -a, (a), a*2, toint(c.x.y)",
            "strlen_:long, Column1:string, Column2:string, Column3:string, Column4:long, Column5:datetime, ts:datetime, ts1:datetime, Column6:string, Column7:string, c_x:dynamic, b_y:dynamic, c_x_y:dynamic, c_0:dynamic, Column8:long, a:long, Column9:long, c_x_y1:int",
        ),
        (
            "D | summarize sum(a+1), count(), dcount(c.x), avg(a*2), max(strlen(b)), min(tostring(c.x)), countif(b==\"x\"), make_set(c.x), sum(a) by tostring(c.y), strlen(b), a+1",
            "c_y:string, strlen_b:long, Column1:long, sum_:long, count_:long, dcount_c_x:long, avg_:real, max_strlen_b:long, min_c_x:string, countif_:long, set_c_x:dynamic, sum_a:long",
        ),
        ("print 1, \"x\", a=2, strlen(\"x\")", "print_0:long, print_1:string, a:long, print_3:long"),
        ("range x from 1 to 10 step 1", "x:long"),
        (
            "D | union (datatable(a:string, d:int)[])",
            "a_long:long, a_string:string, b:string, c:dynamic, ts:datetime, d:int",
        ),
        ("D | union kind=inner (datatable(a:long, d:int)[])", "a:long"),
        (
            "D | union withsource=T (datatable(a:long, d:int)[])",
            "T:string, a:long, b:string, c:dynamic, ts:datetime, d:int",
        ),
        ("D | mv-expand c", "a:long, b:string, c:dynamic, ts:datetime"),
        ("D | mv-expand x=c to typeof(long)", "a:long, b:string, c:dynamic, ts:datetime, x:long"),
        (
            "D | parse b with \"a\" x:long \"b\" y * z",
            "a:long, b:string, c:dynamic, ts:datetime, x:long, y:string, z:string",
        ),
        (
            "D | parse-kv b as (k1:string, k2:long) with (pair_delimiter=\",\")",
            "a:long, b:string, c:dynamic, ts:datetime, k1:string, k2:long",
        ),
        ("D | getschema", "ColumnName:string, ColumnOrdinal:long, DataType:string, ColumnType:string"),
        (
            "D | lookup (datatable(a:long, b:string, d:int)[]) on a",
            "a:long, b:string, c:dynamic, ts:datetime, b1:string, d:int",
        ),
        (
            "D | project-rename z=a | project-reorder ts, z | project-away c* | project-keep z, ts, b",
            "ts:datetime, z:long, b:string",
        ),
        ("D | extend a=1, q=2 | extend ts=1", "a:long, b:string, c:dynamic, ts:long, q:long"),
        ("D | summarize take_any(*)", "a:long, b:string, c:dynamic, ts:datetime"),
        ("D | distinct a, b", "a:long, b:string"),
        ("D | make-series n=count() default=0 on ts step 1h by b", "b:string, n:dynamic, ts:dynamic"),
        ("D | evaluate bag_unpack(c)", "a:long, b:string, ts:datetime OPEN"),
        ("D | count", "Count:long"),
        (
            "D | extend x = case(a>1, \"a\", \"b\"), y = coalesce(a, 1), z = a + 1.5, w = ts - ago(1d), v = ts + 1h, u = a / 2, r = 1d * 2, s = a % 2, t = int(1) + int(2), qq = datetime_diff(\"day\", ts, ts)",
            "a:long, b:string, c:dynamic, ts:datetime, x:string, y:long, z:real, w:timespan, v:datetime, u:long, r:timespan, s:long, t:long, qq:long",
        ),
        (
            "D | extend x = bag_pack(\"a\", 1), y = pack_array(1, 2), z = parse_json(b), w = a in (1, 2), v = a between (1 .. 2), dd = b has \"x\" and a > 1",
            "a:long, b:string, c:dynamic, ts:datetime, x:dynamic, y:dynamic, z:dynamic, w:bool, v:bool, dd:bool",
        ),
        (
            "D | join kind=leftsemi (datatable(a:long, b:string, d:int)[]) on a",
            "a:long, b:string, c:dynamic, ts:datetime",
        ),
        ("D | join kind=rightanti (datatable(a:long, b:string, d:int)[]) on a", "a:long, b:string, d:int"),
        (
            "D | join kind=fullouter (datatable(a:long, b:string, d:int, a1:int)[]) on a",
            "a:long, b:string, c:dynamic, ts:datetime, a2:long, b1:string, d:int, a1:int",
        ),
        (
            "D | as X | join (X) on a",
            "a:long, b:string, c:dynamic, ts:datetime, a1:long, b1:string, c1:dynamic, ts1:datetime",
        ),
        ("D | project a, a", "a:long"),
        (
            "D | top 3 by a | sort by b | sample 3 | take 3 | serialize r=row_number()",
            "a:long, b:string, c:dynamic, ts:datetime, r:long",
        ),
        (
            "D | summarize max(a), arg_min(a, b, c), percentile(a, 50), stdev(a), variance(a), dcountif(b, a>1), sumif(a, a>1), make_bag(c), hll(a), count_distinct(b), take_any(b)",
            "max_a:long, a:long, b:string, c:dynamic, percentile_a_50:long, stdev_a:real, variance_a:real, dcountif_b:long, sumif_a:long, bag_c:dynamic, hll_a:dynamic, count_distinct_b:long, b1:string",
        ),
        ("D | summarize arg_max(ts, *) by a", "a:long, ts:datetime, b:string, c:dynamic"),
        ("let f = (x:long) { x + 1 }; print f(1)", "print_0:long"),
        ("let T = view () { D | take 1 }; T | project a", "a:long"),
        ("Unknown | extend x = 1", "x:long OPEN"),
        ("D | evaluate pivot(b)", "a:long, c:dynamic, ts:datetime OPEN"),
        ("D | summarize round(avg(a)) by b", "b:string, avg_a:real"),
        (
            "let a = 5m; datatable(a:string, ts:datetime)[] | summarize count() by bin(ts, a)",
            "ts:datetime, count_:long",
        ),
        (
            "print x = long(1) + dynamic(1), y = dynamic(1) * 1micros, z = dynamic(1) + dynamic(2), w = datetime(2020-01-01) + dynamic(1), v = int(1) * int(2), u = real(1) + dynamic(1), s = dynamic(1) / 2, q = 1d / 2d, p = now() - dynamic(1)",
            "x:long, y:unknown, z:dynamic, w:datetime, v:long, u:real, s:long, q:real, p:timespan",
        ),
        // Overloads, common types, renames onto taken names, any(*), mv-apply, plugins,
        // top-nested, lookup keys of two types, search.
        ("let BinSize = 1d; D | extend BinSize = 2 | summarize count() by bin(ts, BinSize)", "ts:unknown, count_:long"),
        (
            "D | extend x = coalesce(a, b), y = coalesce(a, 1.5), z = iff(true, a, b), w = bin(ts, b), v = max_of(a, b)",
            "a:long, b:string, c:dynamic, ts:datetime, x:unknown, y:real, z:dynamic, w:datetime, v:unknown",
        ),
        ("D | project-rename b = a, x = c", "a:long, b:string, x:dynamic, ts:datetime"),
        (
            "D | summarize tostring(y = make_list(a)), any(*) by b",
            "b:string, y:string, any_a:long, any_c:dynamic, any_ts:datetime",
        ),
        (
            "D | summarize x = arg_max(a, *), anyif(b, a > 1) by ts",
            "ts:datetime, x:long, b:string, c:dynamic, anyif_b:string",
        ),
        (
            "D | mv-apply e = c to typeof(long) on (summarize s = sum(e))",
            "a:long, b:string, c:dynamic, ts:datetime, s:long",
        ),
        ("D | mv-apply c on (extend a = \"x\" | project a, c)", "a:string, b:string, ts:datetime, c:dynamic"),
        ("D | mv-apply with_itemindex = i c on (take 1)", "a:long, b:string, ts:datetime, c:dynamic, i:long"),
        ("D | evaluate pivot(b, sum(a))", "c:dynamic, ts:datetime OPEN"),
        ("D | evaluate pivot(b) : (x:long, y:string)", "x:long, y:string"),
        (
            "D | evaluate autocluster()",
            "SegmentId:long, Count:long, Percent:real, a:long, b:string, c:dynamic, ts:datetime",
        ),
        (
            "D | evaluate sequence_detect(ts, 5d, 5d, x = (a == 1), y = (a == 2), b)",
            "b:string, x_ts:datetime, y_ts:datetime, Duration:timespan",
        ),
        (
            "D | evaluate ipv4_lookup(D, b, b)",
            "a:long, b:string, c:dynamic, ts:datetime, a1:long, b1:string, c1:dynamic, ts1:datetime",
        ),
        ("D | reduce by b", "Pattern:string, Count:long, Representative:string"),
        (
            "D | top-nested 2 of b by sum(a), top-nested of bin(ts, 1d) by m = max(a) asc",
            "b:string, aggregated_b:long, ts:datetime, m:long",
        ),
        ("D | search \"x\"", "$table:string, a:long, b:string, c:dynamic, ts:datetime"),
        (
            "D | as E | lookup (E | project ts, x = 1) on $left.b == $right.ts",
            "a:long, b:string, c:dynamic, ts:datetime, ts1:datetime, x:long",
        ),
        // A name one operator declares twice keeps its first declaration.
        ("D | project x = a, x = b, a, a", "x:long, a:long"),
        ("D | extend x = a, x = b", "a:long, b:string, c:dynamic, ts:datetime, x:long"),
        ("D | summarize x = count(), x = make_list(b) by b, b", "b:string, x:long"),
    ];
    let mut failures = Vec::new();
    for (query, expected) in cases {
        let got = schema(query);
        if got != expected {
            failures.push(format!("{query}\n  expected {expected}\n  got      {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn let_functions_that_call_each_other_twice_stay_fast() {
    // f0 calls f1 twice, f1 calls f2 twice, ...: 2^24 expansions without a budget.
    let mut text = String::from("let f24 = (x:long) { x + 1 };\n");
    for i in (0..24).rev() {
        text.push_str(&format!("let f{i} = (x:long) {{ f{}(x) + f{}(x) }};\n", i + 1, i + 1));
    }
    text.push_str("print r = f0(1)");
    let start = std::time::Instant::now();
    let schema = query_schema(&text, &mut NoEnvironment).unwrap();
    assert_eq!(schema.columns[0].name, "r");
    assert!(start.elapsed().as_secs() < 5, "{:?}", start.elapsed());
}
