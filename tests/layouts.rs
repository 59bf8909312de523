//! Projects laid out as real ADX repositories are (`fixtures/layouts/`), and the configuration
//! end to end: which files are read, which database and cluster each runs against, which
//! findings are kept.

use std::path::{Path, PathBuf};

use serde_json::Value;
use uplint::cli::Status;

mod common;
use common::uplint_in;

fn uplint(args: &[&str]) -> (Status, String, String) {
    uplint_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// `(code, path, line)` of every finding of `uplint check ARGS --format json`.
fn findings(args: &[&str]) -> (Status, Vec<(String, String, u64)>) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (status, out, err) = uplint(&all);
    let document: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let found = document["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| about_context(d["code"].as_str().unwrap()))
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["path"].as_str().unwrap().to_string(),
                d["range"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    (status, found)
}

/// The codes a layout can change: the rules that read other databases, identities and grants
/// (UP0xx) and the codes about files and syntax (UP9xx). The rules about a policy's own
/// restrictions and structure (UP1xx, UP2xx) do not depend on where a file is deployed.
fn about_context(code: &str) -> bool {
    !(code.starts_with("UP1") || code.starts_with("UP2"))
}

fn codes(found: &[(String, String, u64)]) -> Vec<&str> {
    found.iter().map(|(code, _, _)| code.as_str()).collect()
}

/// `(path, database, database_reason, cluster, cluster_reason)` of every file in `uplint model`.
fn contexts(args: &[&str]) -> Vec<(String, String, String, Option<String>, String)> {
    let mut all = vec!["model"];
    all.extend_from_slice(args);
    let (status, out, err) = uplint(&all);
    assert_eq!(status, Status::Success, "{err}");
    let document: Value = serde_json::from_str(&out).unwrap();
    document["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let text = |key: &str| f[key].as_str().unwrap().to_string();
            (
                text("path"),
                text("database"),
                text("database_reason"),
                f["cluster"].as_str().map(str::to_string),
                text("cluster_reason"),
            )
        })
        .collect()
}

const LAYOUTS: &str = "fixtures/layouts";

#[test]
fn folder_per_database_without_connect() {
    let project = format!("{LAYOUTS}/folder-per-database");
    // `reference/` is database Reference because the policy names it: the call of
    // database('Reference').DeviceModel() is found, and so is the read it hides.
    let (status, found) = findings(&["check", &project]);
    assert_eq!(status, Status::Failure);
    // And `.alter table Telemetry.EnrichedEvents` calls EnrichEvents(), defined in a file without
    // #connect under telemetry/: the function is Telemetry's, and its read of Reference is found.
    let policies = format!("{project}/telemetry/policies.kql");
    assert_eq!(found, [("UP001".to_string(), policies.clone(), 3), ("UP001".to_string(), policies, 7)]);
    let files = contexts(&[&project]);
    let prefix = format!("{project}/");
    let summary: Vec<(&str, &str, &str)> =
        files.iter().map(|(p, d, r, _, _)| (p.strip_prefix(&prefix).unwrap(), d.as_str(), r.as_str())).collect();
    assert_eq!(
        summary,
        [
            ("reference/functions.kql", "Reference", "folder"),
            ("telemetry/functions.kql", "Telemetry", "folder"),
            ("telemetry/policies.kql", "Telemetry", "folder"),
            ("telemetry/tables.kql", "Telemetry", "folder")
        ]
    );
    let (_, human, _) = uplint(&["check", &project]);
    insta::assert_snapshot!("layout_folder_per_database", human);
}

#[test]
fn one_folder_deployed_to_two_databases() {
    let project = format!("{LAYOUTS}/two-databases-one-folder");
    let (status, found) = findings(&["check", &project]);
    assert_eq!((status, found), (Status::Success, Vec::new()));
    let files = contexts(&[&project]);
    assert_eq!(files[0].1, "Hub");
    assert_eq!(files[0].2, "config");
    assert_eq!(files[1].1, "Ingestion");
    // Without the mapping, both files land in `default`, where Hub's function `Events` shadows
    // the Ingestion table: the false UP001 this configuration exists to avoid, with a note that
    // says how to map the file.
    let (status, found) = findings(&["check", "--isolated", &project]);
    assert_eq!(status, Status::Failure);
    // And Hub's function reads database Archive, which the project does not describe.
    assert_eq!(codes(&found), ["UP001", "UP007"]);
    let (_, out, _) = uplint(&["check", "--isolated", &project, "--format", "json"]);
    let document: Value = serde_json::from_str(&out).unwrap();
    let notes = document["diagnostics"][0]["notes"].to_string();
    assert!(notes.contains("[[databases]]") && notes.contains("#connect"), "{notes}");
}

#[test]
fn cluster_policy_without_connect_belongs_to_the_only_cluster() {
    let project = format!("{LAYOUTS}/cluster-policy-without-connect");
    // No UP003 ("no managed_identity policy"), no UP004: the policy file has no #connect but the
    // project names one cluster only, and uplint.toml gives its system identity.
    let (status, found) = findings(&["check", &project]);
    assert_eq!((status, found), (Status::Success, Vec::new()));
    let files = contexts(&[&project]);
    assert_eq!(files[0].0, format!("{project}/cluster-policies.kql"));
    assert_eq!(files[0].3.as_deref(), Some("contoso.westeurope.kusto.windows.net"));
    assert_eq!(files[0].4, "default");
    // Without the configuration the system identity is unknown: UP005 only, still no UP003.
    let (status, found) = findings(&["check", "--isolated", &project]);
    assert_eq!((status, codes(&found)), (Status::Success, vec!["UP005"]));
    // The flag overrides the configuration: another object id has no grant on Reference.
    let (status, found) = findings(&["check", &project, "--system-identity", "00000000-0000-0000-0000-00000000000f"]);
    assert_eq!((status, codes(&found)), (Status::Failure, vec!["UP004"]));
    // So does --all-databases-viewer.
    let (status, found) = findings(&[
        "check",
        &project,
        "--system-identity",
        "00000000-0000-0000-0000-00000000000f",
        "--all-databases-viewer",
        "aadapp=00000000-0000-0000-0000-00000000000f",
    ]);
    assert_eq!((status, found), (Status::Success, Vec::new()));
}

#[test]
fn markdown_runbook() {
    let project = format!("{LAYOUTS}/markdown-runbook");
    let (status, found) = findings(&["check", &project]);
    assert_eq!(status, Status::Failure);
    // The findings point into the Markdown file, at the policy's line (the runbook does not
    // describe database Reference: UP007).
    let at = |code: &str| (code.to_string(), format!("{project}/docs/runbook.md"), 24);
    assert_eq!(found, [at("UP001"), at("UP007")]);
    let (_, human, _) = uplint(&["check", &project]);
    insta::assert_snapshot!("layout_markdown_runbook", human);
    // Markdown is read only when asked.
    let (status, _, err) = uplint(&["check", "--isolated", &project]);
    assert_eq!(status, Status::Error);
    assert!(err.contains("no Kusto files"), "{err}");
}

/// Two fenced blocks of a runbook, the first a function declared without a `;` after it: two
/// queries, as Kusto runs them, not one with a `;` missing (a regression: a block of `let`
/// statements was always joined to the next).
#[test]
fn markdown_blocks_of_let_statements_stand_alone() {
    let runbook = "# Doc\n\n```kusto\nlet F = (s:datetime) {\n    Requests | where T > s\n}\n```\n\nText.\n\n```kusto\nlet G = (s:datetime) {\n    Requests | where T > s\n};\nG(ago(1d))\n```\n";
    let project = Project::new("let-blocks", &[("runbook.md", runbook), ("uplint.toml", "markdown = true\n")]);
    let (status, found) = project.check(&[]);
    assert_eq!((status, found), (Status::Success, Vec::new()));
    // A `;` missing inside one block is still reported.
    std::fs::write(project.0.join("runbook.md"), runbook.replace("};\nG(", "}\nG(")).unwrap();
    let (status, found) = project.check(&[]);
    assert_eq!(status, Status::Failure);
    assert_eq!(found.iter().map(|(code, _, _)| code.as_str()).collect::<Vec<_>>(), ["UP901"]);
}

/// A runbook block without a language that starts with a Kusto command is not read, and said so
/// (`UP905`, an info: the exit status stays clean); the labelled block and the other files are
/// checked as before.
#[test]
fn markdown_blocks_without_a_language_that_hold_kusto_are_reported_not_read() {
    let runbook = "# Doc\n\n```\n.alter table Target policy update @'[{\"Source\": \"Landing\", \"Query\": \"Parse(\"}]'\n```\n\n\
                   ```sh\n./deploy.sh\n```\n\n```kusto\n.create table Landing (Raw: dynamic)\n```\n";
    let project = Project::new(
        "unlabelled-blocks",
        &[
            ("runbook.md", runbook),
            ("tables.kql", ".create table Target (a:string\n"),
            ("uplint.toml", "markdown = true\n"),
        ],
    );
    let (status, found) = project.check(&[]);
    assert_eq!(status, Status::Failure, "the other file's syntax error is still found");
    let found: Vec<(&str, &str, bool)> = found
        .iter()
        .map(|(code, severity, path)| (code.as_str(), severity.as_str(), path.ends_with("runbook.md")))
        .collect();
    assert_eq!(found, [("UP905", "info", true), ("UP901", "error", false)]);
    let (_, human, _) = uplint_in(&project.0, &["check", "--color", "never", "runbook.md"]);
    assert!(human.contains("runbook.md:3:1") && human.contains("no language"), "{human}");
    // The code can be left out like any other; the unread block's broken JSON stays unread.
    let (status, found) = project.check(&["--ignore", "UP905", "runbook.md"]);
    assert_eq!((status, found), (Status::Success, Vec::new()));
}

#[test]
fn excluded_template_folder() {
    let project = format!("{LAYOUTS}/excluded-templates");
    let (status, found) = findings(&["check", &project]);
    assert_eq!((status, found), (Status::Success, Vec::new()));
    let (status, found) = findings(&["check", "--isolated", &project]);
    assert_eq!(status, Status::Failure);
    assert_eq!(codes(&found), ["UP901", "UP901"]);
    // A file named explicitly is read even when excluded, unless --force-exclude.
    let template = format!("{project}/templates/retention.kql");
    let (status, found) = findings(&["check", &template]);
    assert_eq!((status, codes(&found)), (Status::Failure, vec!["UP901", "UP901"]));
    let (status, _, err) = uplint(&["check", "--force-exclude", &template]);
    assert_eq!(status, Status::Error);
    assert!(err.contains("no Kusto files"), "{err}");
}

#[test]
fn the_demo_still_finds_its_problems() {
    let (status, found) = findings(&["check", "fixtures/demo"]);
    assert_eq!(status, Status::Failure);
    assert_eq!(codes(&found), ["UP001", "UP002", "UP005", "UP003", "UP004", "UP006", "UP007"]);
}

/// A project written into a fresh folder.
struct Project(PathBuf);

impl Project {
    fn new(name: &str, files: &[(&str, &str)]) -> Project {
        let root = std::env::temp_dir().join(format!("uplint-layouts-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Project(root)
    }

    fn check(&self, args: &[&str]) -> (Status, Vec<(String, String, String)>) {
        let mut all = vec!["check"];
        all.extend_from_slice(args);
        all.extend(["--format", "json"]);
        let (status, out, err) = uplint_in(&self.0, &all);
        let document: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
        let found = document["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| about_context(d["code"].as_str().unwrap()))
            .map(|d| {
                let text = |key: &str| d[key].as_str().unwrap().to_string();
                (text("code"), text("severity"), text("path"))
            })
            .collect();
        (status, found)
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const POLICIES: &str = "\
#connect database('Sales')
.alter-merge cluster policy managed_identity ```[{\"ObjectId\": \"system\", \"AllowedUsages\": \"AutomatedFlows\"}]```
.create-merge table A (x:string)
.create-merge table Raw (x:string)
.alter table A policy update @'[{\"IsEnabled\": true, \"Source\": \"Raw\", \"Query\": \"Raw | join kind=leftsemi (database(''Other'').T) on x\", \"IsTransactional\": true, \"ManagedIdentity\": \"system\"}]'
#connect database('Other')
.create-merge table T (x:string)
";
const BROKEN: &str = ".alter table A policy update @'[{'";

#[test]
fn rules_select_ignore_severity_and_per_file_ignores() {
    let files = [("policies.kql", POLICIES), ("legacy/old.kql", BROKEN), ("new/broken.kql", BROKEN)];
    let project = Project::new("rules", &files);
    // Without configuration: UP005 (warning) and two UP901.
    let (status, found) = project.check(&[]);
    assert_eq!(status, Status::Failure);
    let summary: Vec<(&str, &str)> = found.iter().map(|(c, s, _)| (c.as_str(), s.as_str())).collect();
    assert_eq!(summary, [("UP901", "error"), ("UP901", "error"), ("UP005", "warning")]);

    let config = |text: &str| std::fs::write(project.0.join("uplint.toml"), text).unwrap();
    config("[per-file-ignores]\n\"legacy/**\" = [\"syntax-error\"]\n");
    let (_, found) = project.check(&[]);
    let paths: Vec<(&str, &str)> = found.iter().map(|(c, _, p)| (c.as_str(), p.as_str())).collect();
    assert_eq!(paths, [("UP901", "new/broken.kql"), ("UP005", "policies.kql")]);

    config("[rules]\nignore = [\"UP9\"]\nUP005 = \"error\"\n");
    let (status, found) = project.check(&[]);
    assert_eq!(status, Status::Failure);
    assert_eq!(found, [("UP005".to_string(), "error".to_string(), "policies.kql".to_string())]);

    config("[rules]\nselect = [\"UP005\"]\nunverifiable-system-identity = \"off\"\n");
    let (status, found) = project.check(&[]);
    assert_eq!((status, found), (Status::Success, Vec::new()));

    config("[rules]\nUP901 = \"warning\"\n");
    let (status, found) = project.check(&[]);
    assert_eq!(status, Status::Success);
    assert!(found.iter().all(|(_, severity, _)| severity == "warning"), "{found:?}");

    // --config names another file; its paths are relative to its own folder.
    std::fs::create_dir_all(project.0.join("conf")).unwrap();
    std::fs::write(project.0.join("conf/strict.toml"), "[per-file-ignores]\n\"../new/**\" = [\"UP901\"]\n").unwrap();
    let (_, found) = project.check(&["--config", "conf/strict.toml"]);
    assert_eq!(found.iter().filter(|(c, _, _)| c == "UP901").count(), 2, "{found:?}");
    std::fs::write(project.0.join("conf/strict.toml"), "[rules]\nselect = [\"UP005\"]\n").unwrap();
    let (_, found) = project.check(&["--config", "conf/strict.toml"]);
    assert_eq!(found.len(), 1);
    // --isolated reads none.
    let (_, found) = project.check(&["--isolated"]);
    assert_eq!(found.len(), 3);
}

#[test]
fn configuration_errors_name_the_file_and_line_and_exit_2() {
    let project = Project::new("errors", &[("a.kql", "T")]);
    let cases = [
        ("default-database = \"x\"\nunknown-key = 1\n", ":2: unknown field `unknown-key`"),
        ("markdown = \"yes\"\n", ":1: `markdown`: invalid type: string \"yes\", expected a boolean"),
        ("\nexclude = [\"a/[b\"]\n", ":2: `exclude`: bad glob `a/[b`"),
        ("[rules]\nUP123 = \"error\"\n", ":2: unknown key `rules.UP123`"),
        ("[[databases]]\nname = \"X\"\n", "missing field `paths`"),
    ];
    for (text, expected) in cases {
        std::fs::write(project.0.join("uplint.toml"), text).unwrap();
        for command in ["check", "model", "refs", "config"] {
            let (status, _, err) = uplint_in(&project.0, &[command]);
            assert_eq!(status, Status::Error, "{command} {text}");
            assert!(err.contains("uplint.toml") && err.contains(expected), "{command}: {err} (expected {expected})");
        }
    }
    // --isolated ignores the bad file.
    let (status, _, err) = uplint_in(&project.0, &["check", "--isolated"]);
    assert_eq!(status, Status::Success, "{err}");
    let (status, _, err) = uplint_in(&project.0, &["check", "--config", "missing.toml"]);
    assert_eq!(status, Status::Error);
    assert!(err.contains("missing.toml: cannot read the file"), "{err}");
    let (status, _, err) = uplint_in(&project.0, &["check", "--config", "x.toml", "--isolated"]);
    assert_eq!(status, Status::Error);
    assert!(err.contains("cannot be used with"), "{err}");
}

#[test]
fn the_configuration_is_found_above_the_first_path_and_printed() {
    let files = [
        (
            "repo/uplint.toml",
            "default-database = \"Main\"\nmax-file-size = 50\n\n[[databases]]\nname = \"Hub\"\npaths = [\"hub/**\"]\n",
        ),
        ("repo/hub/a.kql", ".create table T (a:int)"),
        ("repo/big.kql", &"// comment\n".repeat(8)),
        ("repo/loose.kql", ".create table U (a:int)"),
    ];
    let project = Project::new("found", &files);
    // From the folder above: the file is found by walking up from the first path.
    let (_, out, err) = uplint_in(&project.0, &["config", "repo/hub"]);
    assert!(out.contains("default-database = \"Main\"  # ") && out.contains("uplint.toml:1"), "{out}{err}");
    assert!(out.contains("max-file-size = 50  # ") && out.contains("uplint.toml:2"), "{out}");
    assert!(out.contains("extensions = [\"kql\", \"csl\", \"kusto\"]  # default"), "{out}");
    assert!(out.contains("[[databases]]") && out.contains("name = \"Hub\""), "{out}");
    let (_, out, _) = uplint_in(&project.0, &["config", "repo", "--max-file-size", "7"]);
    assert!(out.contains("max-file-size = 7  # flag --max-file-size"), "{out}");
    let (_, out, _) = uplint_in(&project.0, &["model", "repo"]);
    let document: Value = serde_json::from_str(&out).unwrap();
    let files: Vec<(&str, &str, &str)> = document["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["database"].as_str().unwrap(), f["database_reason"].as_str().unwrap()))
        .collect();
    assert_eq!(files, [("repo/hub/a.kql", "Hub", "config"), ("repo/loose.kql", "Main", "config")]);
    // max-file-size: the 80-byte file is not read.
    let (_, found) = project.check(&["repo"]);
    assert_eq!(found, [("UP902".to_string(), "error".to_string(), "repo/big.kql".to_string())]);
    let (_, found) = project.check(&["repo", "--max-file-size", "1000"]);
    assert!(found.is_empty(), "{found:?}");
    // --default-database overrides the file's.
    let (_, out, _) = uplint_in(&project.0, &["model", "repo", "--default-database", "Flag"]);
    assert!(out.contains("\"database\": \"Flag\""), "{out}");
}

#[test]
fn gitignored_files_and_version_control_folders_are_not_read() {
    let files = [
        (".gitignore", "generated/\n"),
        ("generated/out.kql", BROKEN),
        (".git/x.kql", BROKEN),
        (".hg/x.kql", BROKEN),
        ("ok.kql", "T | take 1"),
        ("notes.md", "```kusto\n.alter table A policy update @'[{'\n```\n"),
    ];
    let project = Project::new("ignored", &files);
    let (status, found) = project.check(&[]);
    assert_eq!((status, found), (Status::Success, Vec::new()));
    // A Markdown file named explicitly is read as a runbook.
    let (status, found) = project.check(&["notes.md"]);
    assert_eq!(status, Status::Failure);
    assert_eq!(found[0].2, "notes.md");
    // Named explicitly, an ignored file is read.
    let (status, _) = project.check(&["generated/out.kql"]);
    assert_eq!(status, Status::Failure);
}

/// Microsoft Fabric's git integration keeps a database's schema in a hidden folder
/// (`<eventhouse>.Eventhouse/.children/<database>.KQLDatabase/DatabaseSchema.kql`): hidden
/// folders are read (a regression: they were skipped, and such a repository had no file to check).
#[test]
fn hidden_folders_are_read() {
    let files = [("Hub.Eventhouse/.children/Sales.KQLDatabase/DatabaseSchema.kql", BROKEN), (".hidden.kql", BROKEN)];
    let project = Project::new("hidden", &files);
    let (status, found) = project.check(&[]);
    assert_eq!(status, Status::Failure);
    let mut paths: Vec<&str> = found.iter().map(|f| f.2.as_str()).collect();
    paths.dedup();
    assert_eq!(paths, [".hidden.kql", "Hub.Eventhouse/.children/Sales.KQLDatabase/DatabaseSchema.kql"]);
}

/// Two KQL databases of a Fabric workspace synced to git, each with a table `Clean` of its own:
/// each file runs against the database its folder names, so the policy of one is checked
/// against its own table (a regression: both ran against `default`, and the second `Clean`
/// replaced the first, a false UP301).
#[test]
fn fabric_database_folders_are_databases() {
    let iot = ".create-merge table Raw (DeviceId:string, Value:real)\n.create-merge table Clean (DeviceId:string, Value:real)\n.alter table Clean policy update @'[{\"IsEnabled\": true, \"Source\": \"Raw\", \"Query\": \"Raw | project DeviceId, Value\", \"IsTransactional\": true}]'\n";
    let sales = ".create-merge table Orders (Id:string, Amount:real)\n.create-merge table Clean (Id:string, Amount:real, Region:string, Day:datetime)\n";
    let files = [
        ("WS/Hub.Eventhouse/.children/IoT.KQLDatabase/DatabaseSchema.kql", iot),
        ("WS/Hub.Eventhouse/.children/Sales.KQLDatabase/DatabaseSchema.kql", sales),
    ];
    let project = Project::new("fabric", &files);
    let (status, found) = project.check(&[]);
    assert_eq!((status, found), (Status::Success, Vec::new()));
    let (_, out, _) = uplint_in(&project.0, &["model", "."]);
    assert!(out.contains("\"database\": \"IoT\"") && out.contains("\"database\": \"Sales\""), "{out}");
}

#[test]
fn utf16_schema_exports_are_read() {
    let text = "#connect database('Sales')\r\n.create-merge table A (x:string)\r\n.alter table A policy update @'[{\"Source\": \"A\", \"Query\": \"database(''Other'').T\"}]'\r\n#connect database('Other')\r\n.create-merge table T (x:string)\r\n";
    let bytes: Vec<u8> = [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let project = Project::new("utf16", &[]);
    std::fs::create_dir_all(&project.0).unwrap();
    std::fs::write(project.0.join("export.csl"), bytes).unwrap();
    let (_, found) = project.check(&[]);
    assert_eq!(found, [("UP001".to_string(), "error".to_string(), "export.csl".to_string())]);
}

#[test]
fn include_extensions_and_default_cluster() {
    let files = [
        (
            "uplint.toml",
            "include = [\"db/**\"]\nextensions = [\"kql\", \"txt\"]\ndefault-cluster = \"contoso\"\ndefault-database = \"Main\"\n",
        ),
        ("db/a.kql", ".create table A (x:int)"),
        ("db/b.txt", ".create table B (x:int)"),
        ("db/c.csl", ".create table C (x:int)"),
        ("other/d.kql", ".create table D (x:int)"),
    ];
    let project = Project::new("include", &files);
    let (status, out, err) = uplint_in(&project.0, &["model"]);
    assert_eq!(status, Status::Success, "{err}");
    let document: Value = serde_json::from_str(&out).unwrap();
    let files: Vec<(&str, &str, &str)> = document["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["cluster"].as_str().unwrap(), f["cluster_reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        files,
        [("db/a.kql", "contoso.kusto.windows.net", "config"), ("db/b.txt", "contoso.kusto.windows.net", "config")]
    );
    let clusters = document["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 1);
    assert_eq!(clusters[0]["databases"][0]["name"], "Main");
}

/// A script with classic Mac line endings (a lone `\r`) is split into commands as Kusto splits
/// it, and its findings are on the lines git and GitHub count (the file is one line there; the
/// language server gives editors their own lines).
#[test]
fn classic_mac_line_endings_are_split_into_commands_and_lines_counted_as_git_does() {
    let text = ".create table T (x:string)\r\r.create-or-alter function F() {\r  T | where x == \r}\r";
    let project = Project::new("cr-only", &[("cr.kql", text)]);
    let (_, out, err) = uplint_in(&project.0, &["check", ".", "--format", "json"]);
    let document: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let positions: Vec<(String, u64, u64)> = document["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let start = &d["range"]["start"];
            (
                d["code"].as_str().unwrap().to_string(),
                start["line"].as_u64().unwrap(),
                start["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let column = text.find("== ").unwrap() as u64 + 3;
    assert_eq!(positions, [("UP901".to_string(), 1, column)], "{out}");
}
