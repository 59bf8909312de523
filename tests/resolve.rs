//! Resolution of what update policies read, through stored functions.

use uplint::resolve::{AccessKind, Unresolved, resolve};
use uplint::workspace::{LoadOptions, Workspace, from_texts};

fn workspace(files: &[(&str, &str)]) -> Workspace {
    let workspace = from_texts(files, &LoadOptions::default());
    assert!(workspace.diagnostics.is_empty(), "{:?}", workspace.diagnostics);
    workspace
}

/// `kind database.name` of everything the first policy of `Target` reads.
fn reads(files: &[(&str, &str)]) -> Vec<String> {
    let w = workspace(files);
    let resolution = resolve(&w);
    let table = &w.model.database(None, "default").unwrap().tables["Target"];
    let unit = table.update_policy.entries[0].query.unwrap();
    let mut out: Vec<String> =
        resolution.reads(unit).iter().map(|a| format!("{:?} {}.{}", a.kind, a.database, a.name)).collect();
    out.sort();
    out.dedup();
    out
}

fn policy(query: &str) -> String {
    format!(
        ".alter table Target policy update @'[{{\"IsEnabled\": true, \"Source\": \"S\", \"Query\": \"{query}\", \"IsTransactional\": true}}]'\n"
    )
}

#[test]
fn a_stored_function_wins_over_a_table_of_the_same_name() {
    let files = [(
        "a.kql",
        &*format!(
            ".create table Lookup (a:string)\n.create-or-alter function Lookup() {{ database('Other').T }}\n{}",
            policy("S | join Lookup on a")
        ),
    )];
    assert_eq!(reads(&files), ["Table Other.T", "Table default.S"]);
}

#[test]
fn functions_with_parameters_need_arguments_unless_all_have_defaults() {
    let with_defaults =
        format!(".create-or-alter function F(n:long = 1) {{ database('Other').T | take n }}\n{}", policy("F"));
    assert_eq!(reads(&[("a.kql", &with_defaults)]), ["Table Other.T"]);
    let without = format!(".create-or-alter function F(n:long) {{ database('Other').T | take n }}\n{}", policy("F"));
    assert_eq!(reads(&[("a.kql", &without)]), ["Table default.F"]);
}

#[test]
fn names_in_a_function_resolve_in_its_own_database() {
    let files = [
        ("other.kql", "#connect database('Other')\n.create-or-alter function G() { T | join U on a }\n"),
        ("policy.kql", &*policy("S | union database(''Other'').G()")),
    ];
    assert_eq!(reads(&files), ["Table Other.T", "Table Other.U", "Table default.S"]);
}

#[test]
fn materialized_views_and_unknown_functions_are_told_apart() {
    let files = [(
        "a.kql",
        &*format!(
            ".create materialized-view Daily on table S {{ S | summarize count() by a }}\n{}",
            policy("S | join Daily on a | extend x = Missing(1)")
        ),
    )];
    let w = workspace(&files);
    let resolution = resolve(&w);
    let unit = w.model.database(None, "default").unwrap().tables["Target"].update_policy.entries[0].query.unwrap();
    let kinds: Vec<AccessKind> = resolution.reads(unit).iter().map(|a| a.kind).collect();
    assert!(kinds.contains(&AccessKind::MaterializedView), "{kinds:?}");
    assert!(kinds.contains(&AccessKind::UnknownFunction), "{kinds:?}");
}

#[test]
fn cycles_end_and_diamonds_are_expanded_once() {
    let cycle = format!(
        ".create-or-alter function F() {{ G() | union database('Other').T }}\n.create-or-alter function G() {{ F() }}\n{}",
        policy("F()")
    );
    assert_eq!(reads(&[("a.kql", &cycle)]), ["Table Other.T"]);
    let mut diamond = String::from(".create-or-alter function F0() { database('Other').T }\n");
    for i in 1..30 {
        diamond.push_str(&format!(".create-or-alter function F{i}() {{ F{} | union F{} }}\n", i - 1, i - 1));
    }
    diamond.push_str(&policy("F29()"));
    assert_eq!(reads(&[("a.kql", &diamond)]), ["Table Other.T"]);
}

#[test]
fn chains_lead_from_the_policy_to_the_reference() {
    let files = [
        (
            "functions.kql",
            ".create-or-alter function Outer() { Inner() }\n.create-or-alter function Inner() { database('Other').T }\n",
        ),
        ("policy.kql", &*policy("Outer()")),
    ];
    let w = workspace(&files);
    let resolution = resolve(&w);
    let unit = w.model.database(None, "default").unwrap().tables["Target"].update_policy.entries[0].query.unwrap();
    let access = &resolution.reads(unit)[0];
    let steps: Vec<String> = access
        .chain
        .iter()
        .map(|s| {
            format!(
                "{}:{}",
                w.sources.get(s.location.file).display,
                s.location.span.of(&w.sources.get(s.location.file).text)
            )
        })
        .collect();
    assert_eq!(steps, ["policy.kql:Outer()", "functions.kql:Inner()", "functions.kql:database('Other').T"]);
    assert_eq!(access.chain[0].calls.as_deref(), Some("Outer"));
    assert_eq!(access.chain[2].calls, None);
}

/// Like [`reads`], with `?` after what the project does not describe (`?db`: no such database).
fn reads_marked(files: &[(&str, &str)]) -> Vec<String> {
    let w = workspace(files);
    let resolution = resolve(&w);
    let table = &w.model.database(None, "default").unwrap().tables["Target"];
    let unit = table.update_policy.entries[0].query.unwrap();
    let mut out: Vec<String> = resolution
        .reads(unit)
        .iter()
        .map(|a| {
            let mark = match a.unresolved {
                None => "",
                Some(Unresolved::Entity) => " ?",
                Some(Unresolved::Database) => " ?db",
            };
            format!("{:?} {}.{}{mark}", a.kind, a.database, a.name)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn table_names_a_table_before_a_function_of_the_same_name() {
    let function = ".create-or-alter function Lookup() { database('Other').T }\n";
    // A table `Lookup` exists: `table('Lookup')` reads it; a bare `Lookup` calls the function.
    let with_table =
        format!(".create table Lookup (a:string)\n{function}{}", policy("S | join table(''Lookup'') on a"));
    assert_eq!(reads(&[("a.kql", &with_table)]), ["Table default.Lookup", "Table default.S"]);
    // No table `Lookup`: `table('Lookup')` calls the function.
    let without_table = format!("{function}{}", policy("S | join table(''Lookup'') on a"));
    assert_eq!(reads(&[("a.kql", &without_table)]), ["Table Other.T", "Table default.S"]);
}

#[test]
fn a_function_reaches_the_table_of_its_own_name_through_table() {
    // The documented way around a name clash: the function `Customers` filters the table
    // `Customers`, whose row level security then applies.
    let text = format!(
        ".create table Customers (a:string)\n\
         .alter table Customers policy row_level_security enable \"Customers | where a == 1\"\n\
         .create-or-alter function Customers() {{ table('Customers') | where a != '' }}\n{}",
        policy("S | join Customers on a")
    );
    assert_eq!(reads_marked(&[("a.kql", &text)]), ["Table default.Customers", "Table default.S"]);
    let w = workspace(&[("a.kql", &text)]);
    let checked = uplint::check::check(&w, &Default::default());
    // (UP305: the policy's table is not created here, so its output is not compared.)
    assert_eq!(checked.iter().map(|d| d.code.code).collect::<Vec<_>>(), ["UP002", "UP305"]);
    // Without a table of that name in the project, the function still reads the table (which
    // the project does not describe), never itself.
    let alone = format!(".create-or-alter function C() {{ table('C') }}\n{}", policy("C"));
    assert_eq!(reads_marked(&[("a.kql", &alone)]), ["Table default.C ?"]);
}

#[test]
fn create_of_an_existing_function_leaves_the_first_definition() {
    let text = format!(
        ".create function F() {{ database('First').T }}\n.create function F() {{ database('Second').T }}\n{}",
        policy("F()")
    );
    assert_eq!(reads(&[("a.kql", &text)]), ["Table First.T"]);
    let altered = format!(
        ".create function F() {{ database('First').T }}\n.create-or-alter function F {{ database('Second').T }}\n{}",
        policy("F()")
    );
    assert_eq!(reads(&[("a.kql", &altered)]), ["Table Second.T"]);
}

#[test]
fn database_patterns_read_every_database_they_match_or_themselves() {
    let archives = "#connect database('Archive2024')\n.create table T (a:string)\n\
                    #connect database('Archive2025')\n.create table T (a:string)\n\
                    #connect database('Other')\n.create table T (a:string)\n";
    let text = format!("{archives}#connect database('default')\n{}", policy("S | union database(''archive*'').T"));
    assert_eq!(reads_marked(&[("a.kql", &text)]), ["Table Archive2024.T", "Table Archive2025.T", "Table default.S"]);
    // Matching nothing in the project, or only the policy's own database: the pattern is read.
    let alone = policy("S | union database(''Archive*'').T | union database(''def*'').T");
    assert_eq!(
        reads_marked(&[("a.kql", &alone)]),
        ["Table Archive*.T ?db", "Table def*.T ?db", "Table default.S", "Table default.T ?"]
    );
}

#[test]
fn what_the_project_does_not_describe_is_marked() {
    let text = format!(
        "#connect database('Reference')\n.create table Known (a:string)\n#connect database('default')\n{}",
        policy(
            "S | join Missing on a | join database(''Reference'').Known on a | join database(''Reference'').Gone on a \
             | join database(''Nowhere'').T on a | join database(''Reference'').F() on a | join G() on a"
        )
    );
    assert_eq!(
        reads_marked(&[("a.kql", &text)]),
        [
            "Table Nowhere.T ?db",
            "Table Reference.Gone ?",
            "Table Reference.Known",
            "Table default.Missing ?",
            "Table default.S",
            "UnknownFunction Reference.F ?",
            "UnknownFunction default.G ?",
        ]
    );
}

#[test]
fn database_patterns_match_like_kusto() {
    use uplint::resolve::matches_pattern;
    assert!(matches_pattern("Archive*", "archive2024"));
    assert!(matches_pattern("*log*", "AuditLogs"));
    assert!(matches_pattern("a*b*c", "aXbYc") && matches_pattern("a*", "a"));
    assert!(!matches_pattern("a*b", "ab_") && !matches_pattern("ab*ba", "aba") && !matches_pattern("x", "xy"));
}

#[test]
fn plugins_and_external_data_are_followed_through_functions() {
    let files = [
        (
            "functions.kql",
            ".create-or-alter function Fetch() { evaluate http_request('https://x') }\n\
             .create-or-alter function Load() { externaldata (a:string) [h'https://x/a.csv'] }\n\
             .create-or-alter function Unused() { evaluate sql_request('c', 'q') }\n",
        ),
        ("policy.kql", &*policy("S | union Fetch(), Load() | evaluate bag_unpack(d)")),
    ];
    let w = workspace(&files);
    let resolution = resolve(&w);
    let unit = w.model.database(None, "default").unwrap().tables["Target"].update_policy.entries[0].query.unwrap();
    let effects: Vec<(String, Vec<Option<String>>)> = resolution
        .effects(unit)
        .iter()
        .map(|e| (format!("{:?}", e.kind), e.chain.iter().map(|s| s.calls.clone()).collect()))
        .collect();
    assert_eq!(
        effects,
        [
            ("Plugin(\"bag_unpack\")".to_string(), vec![None]),
            ("Plugin(\"http_request\")".to_string(), vec![Some("Fetch".to_string()), None]),
            ("ExternalData".to_string(), vec![Some("Load".to_string()), None]),
        ]
    );
}

#[test]
fn qualified_references_and_exact_policies() {
    let text = format!(
        ".create-or-alter function F(name:string) {{ table(name) }}\n{}{}",
        policy("database(''default'').S | union S"),
        policy("S | union F(strcat(''a'', ''b''))").replace("Target", "Other")
    );
    let w = workspace(&[("a.kql", &text)]);
    let resolution = resolve(&w);
    let db = w.model.database(None, "default").unwrap();
    let unit = db.tables["Target"].update_policy.entries[0].query.unwrap();
    let qualified: Vec<bool> = resolution.reads(unit).iter().map(|a| a.qualified).collect();
    assert_eq!(qualified, [true, false]);
    assert!(resolution.is_exact(unit));
    // A table named at run time: what the policy reads is not exactly known.
    let other = db.tables["Other"].update_policy.entries[0].query.unwrap();
    assert!(!resolution.is_exact(other));
}
