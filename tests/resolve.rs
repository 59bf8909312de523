//! Resolution of what update policies read, through stored functions.

use uplint::resolve::{AccessKind, resolve};
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
    format!(".alter table Target policy update @'[{{\"Source\": \"S\", \"Query\": \"{query}\"}}]'\n")
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
