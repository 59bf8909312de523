//! Every rule on its fixture cases (`fixtures/rules/<CODE>/fires|clean/<case>/`): a `fires` case
//! must raise the rule, a `clean` case must not. The human and JSON outputs of every case are
//! snapshots. A case may hold `args.txt`, extra arguments for `uplint check`.

use std::path::{Path, PathBuf};

use codespan_reporting::term::termcolor::NoColor;
use uplint::cli::{Status, run};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn check(case: &Path, format: &str) -> (Status, String) {
    let relative = case.strip_prefix(root()).unwrap().to_string_lossy().replace('\\', "/");
    let mut args: Vec<String> = vec!["uplint".into(), "check".into(), relative, "--format".into(), format.into()];
    if let Ok(extra) = std::fs::read_to_string(case.join("args.txt")) {
        args.extend(extra.split_whitespace().map(str::to_string));
    }
    let mut stdout = NoColor::new(Vec::new());
    let mut stderr = NoColor::new(Vec::new());
    let status = run(args, root(), &mut stdout, &mut stderr);
    assert!(stderr.get_ref().is_empty(), "{}", String::from_utf8_lossy(stderr.get_ref()));
    (status, String::from_utf8(stdout.into_inner()).unwrap())
}

fn cases() -> Vec<(String, String, PathBuf)> {
    let mut cases = Vec::new();
    for code in std::fs::read_dir(root().join("fixtures/rules")).unwrap() {
        let code = code.unwrap().path();
        for kind in ["fires", "clean"] {
            let Ok(entries) = std::fs::read_dir(code.join(kind)) else { continue };
            for case in entries {
                let case = case.unwrap().path();
                cases.push((code.file_name().unwrap().to_string_lossy().into_owned(), kind.to_string(), case));
            }
        }
    }
    cases.sort();
    cases
}

#[test]
fn every_rule_has_cases_that_fire_and_cases_that_do_not() {
    for rule in uplint::rules::RULES {
        let code = rule.meta().code;
        let cases = cases();
        for kind in ["fires", "clean"] {
            assert!(cases.iter().any(|(c, k, _)| c == code && k == kind), "{code} has no `{kind}` case");
        }
    }
}

#[test]
fn fixture_cases() {
    let mut failures = Vec::new();
    for (code, kind, case) in cases() {
        let name = format!("{code}__{kind}__{}", case.file_name().unwrap().to_string_lossy());
        let (status, json) = check(&case, "json");
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let codes: Vec<&str> =
            value["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
        let raised = codes.contains(&code.as_str());
        if (kind == "fires") != raised {
            failures.push(format!("{name}: raised {codes:?}"));
        }
        if codes.iter().any(|c| c.starts_with("UP9")) {
            failures.push(format!("{name}: the fixture itself has problems: {codes:?}"));
        }
        for diagnostic in value["diagnostics"].as_array().unwrap() {
            let notes: Vec<&str> =
                diagnostic["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
            let code = diagnostic["code"].as_str().unwrap();
            // Notes stand alone: they cite a public page and the code's page, never an internal document.
            let cites = notes
                .iter()
                .any(|n| n.contains("https://learn.microsoft.com/") && n.contains(&format!("`uplint rule {code}`")));
            if !cites || notes.iter().any(|n| n.contains("spec") || n.contains('§')) {
                failures.push(format!("{name}: {code} notes do not cite its sources: {notes:?}"));
            }
        }
        let errors = value["summary"]["errors"].as_u64().unwrap();
        assert_eq!(status == Status::Failure, errors > 0, "{name}: exit status and errors disagree");
        let (_, human) = check(&case, "human");
        insta::assert_snapshot!(format!("{name}__json"), json);
        insta::assert_snapshot!(format!("{name}__human"), human);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
