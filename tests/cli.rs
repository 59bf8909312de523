//! The command line, end to end: arguments in, bytes and exit status out.

use std::path::Path;

use uplint::cli::Status;

mod common;

fn uplint(args: &[&str]) -> (Status, String, String) {
    common::uplint_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

#[test]
fn refs_json_on_query_fixtures() {
    let (status, out, err) = uplint(&["refs", "fixtures/queries", "--format", "json"]);
    assert_eq!(status, Status::Success, "{err}");
    insta::assert_snapshot!("refs_json_queries", out);
}

#[test]
fn refs_human_on_query_fixtures() {
    let (status, out, err) = uplint(&["refs", "fixtures/queries"]);
    assert_eq!(status, Status::Success, "{err}");
    insta::assert_snapshot!("refs_human_queries", out);
}

#[test]
fn refs_json_is_valid_and_deterministic() {
    let (_, first, _) = uplint(&["refs", "fixtures/queries", "--format", "json"]);
    let (_, second, _) = uplint(&["refs", "fixtures/queries/syntax_error.csl", "fixtures/queries", "--format", "json"]);
    assert_eq!(first, second);
    let value: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(value["version"], 1);
    let paths: Vec<&str> = value["units"].as_array().unwrap().iter().map(|u| u["path"].as_str().unwrap()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
}

#[test]
fn missing_files_are_reported_and_the_rest_is_read() {
    let (status, out, _) =
        uplint(&["refs", "fixtures/queries/cross_database.kql", "no/such/file.kql", "--format", "json"]);
    assert_eq!(status, Status::Success);
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["units"].as_array().unwrap().len(), 1);
    let problems = value["diagnostics"].as_array().unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0]["code"], "UP902");
    assert_eq!(problems[0]["path"], "no/such/file.kql");
}

#[test]
fn bad_arguments_exit_with_2() {
    let (status, _, err) = uplint(&["refs", "--format", "xml"]);
    assert_eq!(status, Status::Error);
    assert!(err.contains("xml"), "{err}");
    let (status, _, err) = uplint(&["frobnicate"]);
    assert_eq!(status, Status::Error, "{err}");
}

#[test]
fn no_input_exits_with_2() {
    let (status, _, err) = uplint(&["refs", "src/kql"]);
    assert_eq!(status, Status::Error);
    assert!(err.contains("no Kusto files"), "{err}");
}

#[test]
fn help_and_version_succeed() {
    let (status, out, _) = uplint(&["--help"]);
    assert_eq!(status, Status::Success);
    assert!(out.contains("refs"));
    let (status, out, _) = uplint(&["--version"]);
    assert_eq!(status, Status::Success);
    assert!(out.contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn model_json_on_script_fixtures() {
    let (status, out, err) = uplint(&["model", "fixtures/scripts"]);
    assert_eq!(status, Status::Success, "{err}");
    insta::assert_snapshot!("model_json_scripts", out);
}

#[test]
fn refs_json_on_script_fixtures() {
    let (status, out, err) = uplint(&["refs", "fixtures/scripts", "--format", "json"]);
    assert_eq!(status, Status::Success, "{err}");
    insta::assert_snapshot!("refs_json_scripts", out);
}

/// Every reference range, even inside a policy's JSON inside a string literal, covers bytes of
/// the file that spell the referenced name.
#[test]
fn reference_ranges_point_at_the_names_in_the_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_, out, _) = uplint(&["refs", "fixtures", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut checked = 0;
    for unit in value["units"].as_array().unwrap() {
        let text = std::fs::read_to_string(root.join(unit["path"].as_str().unwrap())).unwrap();
        for reference in unit["references"].as_array().unwrap() {
            let start = reference["range"]["start"]["offset"].as_u64().unwrap() as usize;
            let end = reference["range"]["end"]["offset"].as_u64().unwrap() as usize;
            let written = &text[start..end];
            let name = reference["name"].as_str().unwrap();
            assert!(written.contains(name), "{} at {start}..{end}: {written:?} does not spell {name}", unit["path"]);
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} references checked");
}

#[test]
fn check_demo_human_and_json() {
    let (status, human, err) = uplint(&["check", "fixtures/demo"]);
    assert_eq!(status, Status::Failure, "{err}");
    insta::assert_snapshot!("check_human_demo", human);
    let (status, json, _) = uplint(&["check", "fixtures/demo", "--format", "json"]);
    assert_eq!(status, Status::Failure);
    insta::assert_snapshot!("check_json_demo", json);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut codes: Vec<&str> =
        value["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
    codes.sort();
    assert_eq!(codes, ["UP001", "UP002", "UP003", "UP004", "UP005", "UP006", "UP007"], "the demo shows each rule once");
}

/// The codes a JSON report holds, sorted and each once.
fn codes_of(json: &str) -> Vec<String> {
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut codes: Vec<String> =
        value["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap().to_string()).collect();
    codes.sort();
    codes.dedup();
    codes
}

#[test]
fn rule_flags_select_and_ignore_as_ruff_does() {
    let root = std::env::temp_dir().join(format!("uplint-rule-flags-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    // UP001 and UP106 (another database), UP007 (`Missing`) and UP208 (not transactional) fire.
    std::fs::write(
        root.join("a.kql"),
        ".create table S (a:string)\n\
         .alter table Out policy update @'[{\"IsEnabled\": true, \"Source\": \"S\", \"Query\": \"S | join database(\\\"Other\\\").T on a | join Missing on a\"}]'\n",
    )
    .unwrap();
    let dir = root.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["check", dir, "--format", "json"];
        all.extend_from_slice(args);
        let (status, out, err) = uplint(&all);
        (status, if out.is_empty() { Vec::new() } else { codes_of(&out) }, err)
    };
    assert_eq!(run(&[]).1, ["UP001", "UP007", "UP106", "UP208"]);
    assert_eq!(run(&["--select", "UP0"]).1, ["UP001", "UP007"]);
    assert_eq!(run(&["--select", "UP0", "--extend-select", "non-transactional-policy"]).1, ["UP001", "UP007", "UP208"]);
    assert_eq!(run(&["--ignore", "UP007,UP208"]).1, ["UP001", "UP106"]);
    assert_eq!(run(&["--ignore", "UP007", "--ignore", "UP001"]).1, ["UP106", "UP208"]);
    // The file's `ignore` is added to by `--ignore`, and set aside by `--select`.
    std::fs::write(root.join("uplint.toml"), "[rules]\nignore = [\"UP001\"]\n").unwrap();
    assert_eq!(run(&[]).1, ["UP007", "UP106", "UP208"]);
    assert_eq!(run(&["--ignore", "UP208"]).1, ["UP007", "UP106"]);
    assert_eq!(run(&["--select", "UP001"]).1, ["UP001"]);
    // A code, name or prefix that names no rule stops the run.
    let (status, codes, err) = run(&["--ignore", "UP999"]);
    assert_eq!((status, codes), (Status::Error, Vec::<String>::new()));
    assert!(err.contains("`--ignore`: no rule `UP999`"), "{err}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn check_exit_status_follows_errors() {
    // Warnings alone do not fail.
    let (status, out, _) = uplint(&["check", "fixtures/rules/UP005/fires/system_reads_another_database"]);
    assert_eq!(status, Status::Success, "{out}");
    assert!(out.contains("0 errors, 2 warnings"), "{out}");
    let (status, out, _) = uplint(&["check", "fixtures/rules/UP209/clean/enabled"]);
    assert_eq!(status, Status::Success);
    assert!(out.contains("no problems"), "{out}");
    let (status, _, _) = uplint(&["check", "fixtures/rules/UP001/fires/direct_reference"]);
    assert_eq!(status, Status::Failure);
    let (status, _, err) = uplint(&["check", "no-such-dir/x.kql", "--format", "json"]);
    assert_eq!(status, Status::Failure, "an unreadable file is an error: {err}");
}

#[test]
fn rule_prints_the_page_and_lists_all() {
    let (status, out, _) = uplint(&["rule", "UP001"]);
    assert_eq!(status, Status::Success);
    assert!(out.starts_with("# UP001: cross-database-without-identity"));
    let (_, by_name, _) = uplint(&["rule", "cross-database-without-identity"]);
    assert_eq!(by_name, out);
    for (code, title) in [("UP901", "# UP901: syntax-error"), ("unreadable-file", "# UP902: unreadable-file")] {
        let (status, out, _) = uplint(&["rule", code]);
        assert_eq!(status, Status::Success);
        assert!(out.starts_with(title), "{out}");
    }
    let (status, out, _) = uplint(&["rule", "--all"]);
    assert_eq!(status, Status::Success);
    insta::assert_snapshot!("rule_all", out);
    let (status, _, err) = uplint(&["rule", "UP999"]);
    assert_eq!(status, Status::Error);
    assert!(err.contains("UP999"));
}

#[test]
fn schema_prints_the_output_of_an_entry_or_a_function() {
    let case = "fixtures/rules/UP301/fires/column_added_in_the_middle";
    let (status, out, err) = uplint(&["schema", &format!("{case}/schema.kql:10"), case]);
    assert_eq!(status, Status::Success, "{err}");
    assert!(out.starts_with("update policy entry Orders[0] of database default"), "{out}");
    assert!(out.contains("   3  Region   string\n   4  When     datetime\n"), "{out}");
    let (status, by_name, _) = uplint(&["schema", "ExpandOrders", case]);
    assert_eq!(status, Status::Success);
    assert!(by_name.starts_with("function ExpandOrders of database default") && by_name.contains("Region   string"));
    let (status, _, err) = uplint(&["schema", "NoSuchFunction", case]);
    assert_eq!(status, Status::Error);
    assert!(err.contains("no update policy entry or function at `NoSuchFunction`"), "{err}");
    let (_, open, _) = uplint(&[
        "schema",
        "fixtures/rules/UP301/clean/open_schema_from_a_plugin/schema.kql:4",
        "fixtures/rules/UP301/clean/open_schema_from_a_plugin",
    ]);
    assert!(open.contains("open: more columns may follow"), "{open}");
}

#[test]
fn model_json_gives_each_policy_entry_its_output_and_check_json_its_subject() {
    let case = "fixtures/rules/UP301/fires/column_added_in_the_middle";
    let (_, out, _) = uplint(&["model", case]);
    let model: serde_json::Value = serde_json::from_str(&out).unwrap();
    let tables = &model["clusters"][0]["databases"][0]["tables"];
    let orders = tables.as_array().unwrap().iter().find(|t| t["name"] == "Orders").unwrap();
    let output = &orders["update_policy"]["entries"][0]["output"];
    assert_eq!(output["open"], false);
    let columns: Vec<String> = output["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{}:{}", c["name"].as_str().unwrap(), c["type"].as_str().unwrap()))
        .collect();
    assert_eq!(columns, ["OrderId:long", "Amount:real", "Region:string", "When:datetime"]);
    let (_, unknown, _) = uplint(&["model", "fixtures/rules/UP301/clean/unknown_function_output"]);
    let model: serde_json::Value = serde_json::from_str(&unknown).unwrap();
    let events = &model["clusters"][0]["databases"][0]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Events")
        .cloned()
        .unwrap();
    let output = &events["update_policy"]["entries"][0]["output"];
    assert_eq!(output["open"], true, "an unknown function's output is open: {output}");
    assert_eq!(output["columns"], serde_json::json!([{"name": "Extra", "type": "long"}]));
    let (_, check, _) = uplint(&["check", case, "--format", "json"]);
    let check: serde_json::Value = serde_json::from_str(&check).unwrap();
    let subject = &check["diagnostics"][0]["subject"];
    assert_eq!(
        subject,
        &serde_json::json!({"kind": "update-policy-entry", "cluster": null, "database": "default", "table": "Orders", "index": 0})
    );
}

/// The model shows the columns uplint believes in: a table made by `.set-or-append T <| query`
/// has its query's schema, and an external table the columns of its command.
#[test]
fn model_json_shows_tables_made_by_queries_and_external_table_columns() {
    let columns = |value: &serde_json::Value| -> Vec<String> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|c| format!("{}:{}", c["name"].as_str().unwrap(), c["type"].as_str().unwrap()))
            .collect()
    };
    let (_, out, _) = uplint(&["model", "fixtures/rules/UP301/fires/target_made_by_set_or_append"]);
    let model: serde_json::Value = serde_json::from_str(&out).unwrap();
    let tables = model["clusters"][0]["databases"][0]["tables"].as_array().unwrap();
    let events = tables.iter().find(|t| t["name"] == "Events").unwrap();
    assert_eq!(events["definitions"][0]["columns"], serde_json::json!([]), "the command writes no columns");
    assert_eq!(events["schema"]["open"], false);
    assert_eq!(columns(&events["schema"]["columns"]), ["Id:long", "Name:string", "When:datetime"]);
    let (_, out, _) = uplint(&["model", "fixtures/rules/UP103/clean/accelerated_over_100_years"]);
    let model: serde_json::Value = serde_json::from_str(&out).unwrap();
    let products = &model["clusters"][0]["databases"][0]["external_tables"][0];
    assert_eq!(products["name"], "Products");
    assert_eq!(columns(&products["definitions"][0]["columns"]), ["Id:string", "Name:string"]);
    assert_eq!(products["definitions"][0]["impersonation"], false);
}

/// `check --fix` makes the safe fixes (UP211's boolean, UP905's label) in the files, then checks
/// again: what remains is reported and sets the exit status; without `--fix` nothing is written;
/// a second `--fix` has nothing left to do.
#[test]
fn fix_makes_the_safe_fixes_then_reports_what_remains() {
    let root = std::env::temp_dir().join(format!("uplint-cli-fix-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let policy = ".create table S (a:string)\n.create table T (a:string)\n\
                  .alter table T policy update @'[{\"Source\":\"S\",\"Query\":\"S\",\"IsEnabled\":\"True\",\"IsTransactional\":\"true\"}]'\n\
                  .create table Broken (a:string\n";
    let runbook = "# Doc\n\n```\n.create table U (a:int)\n```\n";
    let bom_policy = format!("\u{FEFF}{}", policy.replace("table T ", "table T2 ").replace(" T (", " T2 ("));
    std::fs::write(root.join("uplint.toml"), "markdown = true\n").unwrap();
    std::fs::write(root.join("p.kql"), policy).unwrap();
    std::fs::write(root.join("q.kql"), &bom_policy).unwrap();
    std::fs::write(root.join("run.md"), runbook).unwrap();
    let root_arg = root.to_str().unwrap();
    let check = |args: &[&str]| {
        let mut all = vec!["check", root_arg, "--format", "concise"];
        all.extend_from_slice(args);
        uplint(&all)
    };
    let codes =
        |out: &str| out.lines().filter_map(|l| l.split('[').nth(1)?.split(']').next()).collect::<Vec<_>>().join(",");

    let (status, out, _) = check(&[]);
    assert_eq!((status, codes(&out).as_str()), (Status::Failure, "UP211,UP211,UP901,UP211,UP211,UP901,UP905"));
    assert_eq!(std::fs::read_to_string(root.join("p.kql")).unwrap(), policy, "nothing written without --fix");

    // --diff shows the fixes, changes nothing, and fails when there is one.
    let (status, diff, _) = uplint(&["check", root_arg, "--diff"]);
    assert_eq!(status, Status::Failure);
    assert!(diff.contains("--- a/") && diff.contains("+++ b/") && diff.contains("+```kusto\n"), "{diff}");
    assert!(diff.contains("-.alter table T policy update") && diff.contains("\"IsEnabled\":true"), "{diff}");
    assert_eq!(std::fs::read_to_string(root.join("p.kql")).unwrap(), policy, "nothing written with --diff");

    let (status, out, err) = check(&["--fix"]);
    assert_eq!((status, codes(&out).as_str()), (Status::Failure, "UP901,UP901"), "{out}{err}");
    assert!(err.contains("fixed 5 problems in 3 files"), "{err}");
    let fixed = policy.replace("\"True\"", "true").replace("\"true\"", "true");
    assert_eq!(std::fs::read_to_string(root.join("p.kql")).unwrap(), fixed);
    let bom_fixed = bom_policy.replace("\"True\"", "true").replace("\"true\"", "true");
    assert_eq!(std::fs::read_to_string(root.join("q.kql")).unwrap(), bom_fixed, "the byte order mark is kept");
    assert_eq!(
        std::fs::read_to_string(root.join("run.md")).unwrap(),
        runbook.replace("```\n.create", "```kusto\n.create")
    );

    let (status, out, err) = check(&["--fix"]);
    assert_eq!((status, codes(&out).as_str()), (Status::Failure, "UP901,UP901"));
    assert!(!err.contains("fixed"), "{err}");
    let (status, diff, _) = uplint(&["check", root_arg, "--diff"]);
    assert_eq!((status, diff.as_str()), (Status::Success, ""), "nothing left to fix");
    // Only what is reported is fixed: with UP211 ignored, its strings stay.
    std::fs::write(root.join("p.kql"), policy).unwrap();
    let (_, out, _) = check(&["--fix", "--ignore", "UP211"]);
    assert_eq!(codes(&out), "UP901,UP901");
    assert_eq!(std::fs::read_to_string(root.join("p.kql")).unwrap(), policy);
    // When files are named, only they are changed.
    std::fs::write(root.join("q.kql"), &bom_policy).unwrap();
    let named = root.join("p.kql");
    let (_, _, err) = uplint(&["check", named.to_str().unwrap(), "--fix", "--format", "concise"]);
    assert!(err.contains("fixed 2 problems in 1 file"), "{err}");
    assert_eq!(std::fs::read_to_string(root.join("p.kql")).unwrap(), fixed);
    assert_eq!(std::fs::read_to_string(root.join("q.kql")).unwrap(), bom_policy, "not named, not changed");
    // A fix can uncover another: the labelled block is read, and its string boolean fixed in
    // the next round.
    let nested =
        "```\n.alter table T policy update @'[{\"Source\":\"S\",\"Query\":\"S\",\"IsEnabled\":\"True\"}]'\n```\n";
    std::fs::write(root.join("run.md"), nested).unwrap();
    let (_, _, err) = uplint(&["check", root.join("run.md").to_str().unwrap(), "--fix", "--format", "concise"]);
    assert!(err.contains("fixed 2 problems in 1 file"), "{err}");
    let expected = nested.replacen("```\n", "```kusto\n", 1).replace("\"True\"", "true");
    assert_eq!(std::fs::read_to_string(root.join("run.md")).unwrap(), expected);
    // Standard input cannot be fixed.
    let (status, _, err) = uplint(&["check", "--fix", "-"]);
    assert_eq!(status, Status::Error);
    assert!(err.contains("cannot fix standard input"), "{err}");
    // ... but its fixes can be shown.
    let (status, diff, _) = common::uplint_with_stdin(
        &root,
        &["check", "--diff", "--no-project", "-"],
        ".alter table T policy update @'[{\"Source\":\"S\",\"Query\":\"S\",\"IsEnabled\":\"True\"}]'\n",
    );
    assert_eq!(status, Status::Failure);
    assert!(
        diff.contains("+.alter table T policy update @'[{\"Source\":\"S\",\"Query\":\"S\",\"IsEnabled\":true}]'"),
        "{diff}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}
