//! Shapes that once cost quadratic time, memory or the stack give the right answer at a scale
//! where the old cost showed (their speed is measured in `benches/project.rs`, not here).

#[path = "../benches/support/generate.rs"]
mod generate;

use uplint::check::check;
use uplint::diagnostic::Diagnostic;
use uplint::workspace::{LoadOptions, Workspace, from_texts};

fn load(files: &[(String, String)]) -> Workspace {
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    from_texts(&borrowed, &LoadOptions::default())
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<&str> {
    diagnostics.iter().map(|d| d.code.code).collect()
}

/// A chain of 20,000 functions resolves without exhausting the stack (the resolver walks calls
/// with a stack of its own and shares chain tails), and the diagnostic shows its ends only.
#[test]
fn a_function_chain_20000_deep_is_resolved() {
    let workspace = load(&generate::deep_chain(20_000));
    let diagnostics = check(&workspace, &Default::default());
    // UP001 for the read of another database; UP007 as the project does not define `Other.T`.
    assert_eq!(codes(&diagnostics), ["UP001", "UP007"]);
    assert!(diagnostics[1].message.contains("through `F0` → `F1` → `F2` → … (19995 more calls) → `F19998` → `F19999`"));
    let labels = &diagnostics[0].labels;
    assert_eq!(labels.len(), uplint::rules::MAX_CHAIN_LABELS);
    assert!(labels[4].message.contains("then 19990 more calls not shown"), "{:?}", labels[4]);
    assert!(labels.last().unwrap().message.contains("reads `Other.T` here"));
}

/// Each update policy whose Source is no table of the project gets its suggestion, without
/// comparing the Source with every table of the database (it was: 100,000 tables and 20,000
/// such policies took more than five minutes); the suggestions are those of a comparison with
/// every table.
#[test]
fn unknown_sources_among_many_tables_get_their_suggestion() {
    let workspace = load(&generate::unknown_sources(20_000));
    let diagnostics = check(&workspace, &Default::default());
    let suggestions: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.code.code == "UP203").collect();
    assert_eq!(suggestions.len(), 4_000);
    assert!(suggestions.iter().all(|d| {
        let source = d.message.split('`').nth(1).unwrap_or_default();
        d.message.ends_with(&format!("did you mean `T{}`?", &source[1..]))
    }));
}

/// Grants are deduplicated once, by principal, keeping the first of each.
#[test]
fn many_grants_keep_one_grant_per_principal() {
    let mut files = generate::many_grants(5_000);
    // Every principal again, and once more without a tenant: a tenant-less principal is the
    // same principal as any tenant's.
    let again = files[0].1.replace("#connect cluster('c').database('Db')", "");
    let without_tenant = again.replace(";72f988bf-86f1-41af-91ab-2d7cd011db47", "");
    files.push(("again.kql".to_string(), format!("#connect cluster('c').database('Db')\n{again}\n{without_tenant}")));
    let workspace = load(&files);
    let database = workspace.model.database(Some("c.kusto.windows.net"), "Db").unwrap();
    let viewers = &database.roles["viewers"];
    assert_eq!(viewers.len(), 5_000);
    assert!(viewers.iter().all(|g| workspace.sources.get(g.location.file).display == "grants.kql"));
}

#[test]
fn dropping_a_principal_drops_it_whatever_its_tenant() {
    let text = "\
.add database Db viewers ('aadapp=a1;t1', 'aadapp=a1;t2', 'aadapp=b2;t1', 'aaduser=a1;t1')
.drop database Db viewers ('aadapp=A1')
";
    let workspace = load(&[("a.kql".to_string(), text.to_string())]);
    let database = workspace.model.database(None, "Db").unwrap();
    let left: Vec<&str> = database.roles["viewers"].iter().map(|g| g.principal.text.as_str()).collect();
    assert_eq!(left, ["aadapp=b2;t1", "aaduser=a1;t1"]);
}

/// Help for a policy of thousands of entries names the entry to change, not the whole policy.
#[test]
fn help_for_one_of_many_entries_names_that_entry() {
    let workspace = load(&generate::many_entries(1_000));
    let diagnostics: Vec<Diagnostic> =
        check(&workspace, &Default::default()).into_iter().filter(|d| d.code.code == "UP001").collect();
    assert_eq!(diagnostics.len(), 1_000);
    let help = diagnostics[7].help.as_deref().unwrap();
    assert!(help.starts_with("in entry 7 (counting from 0) of the update policy of Target"), "{help}");
    assert!(help.len() < 300, "{help}");
    // Each finding's subject is its own entry (found by a binary search over the entries'
    // places; a scan per finding was quadratic: 60,000 entries took minutes).
    for (i, diagnostic) in diagnostics.iter().enumerate() {
        match diagnostic.subject.as_deref() {
            Some(uplint::diagnostic::Subject::UpdatePolicyEntry { table, index, .. }) => {
                assert_eq!((&**table, *index), ("Target", i), "{diagnostic:?}")
            }
            other => panic!("{other:?}"),
        }
    }
}

/// A line of a megabyte of member accesses is one query, parsed without error.
#[test]
fn a_long_line_of_member_accesses_is_read() {
    let workspace = load(&generate::long_member_line(1_000_000));
    assert!(check(&workspace, &Default::default()).is_empty());
    assert_eq!(workspace.units.len(), 1);
}

/// The human report of N entries on a policy written on one line grows with N, not N × the
/// line: each snippet shows a window of the line around its labels.
#[test]
fn human_output_of_many_entries_on_one_line_stays_small() {
    let human = |entries: usize| {
        let workspace = load(&generate::many_entries(entries));
        let checked = uplint::check::run(&workspace, &Default::default());
        let codes = uplint::rules::catalog();
        let report = uplint::render::Report {
            sources: &workspace.sources,
            diagnostics: &checked.diagnostics,
            codes: &codes,
            files: workspace.sources.len(),
            policies: checked.policies(),
        };
        let mut out = codespan_reporting::term::termcolor::NoColor::new(Vec::new());
        uplint::render::write(uplint::render::Format::Human, &mut out, &report).unwrap();
        (checked.diagnostics.len(), String::from_utf8(out.into_inner()).unwrap())
    };
    let (small_count, small) = human(400);
    let (large_count, large) = human(800);
    assert!(small_count >= 400 && large_count >= 800);
    // The line is about 100 bytes per entry; a snippet shows a few hundred bytes of it.
    assert!(large.len() / large_count < 2_000, "{} bytes for {large_count} diagnostics", large.len());
    assert!(large.len() as f64 <= 2.2 * small.len() as f64, "{} then {} bytes", small.len(), large.len());
    assert!(large.contains(uplint::render::snippet::ELLIPSIS));
}
