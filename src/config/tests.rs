use super::*;

fn from_text(text: &str) -> Result<Config, ConfigError> {
    from_text_with(text, &Overrides::default())
}

fn from_text_with(text: &str, overrides: &Overrides) -> Result<Config, ConfigError> {
    let root = Path::new("/repo");
    let file = parse(text).map_err(|(line, message)| ConfigError { path: root.join(FILE_NAME), line, message })?;
    Config::from_file(file, Some(root.join(FILE_NAME)), root, text, overrides)
}

fn error(text: &str) -> (Option<usize>, String) {
    let error = from_text(text).expect_err("an error");
    (error.line, error.message)
}

const FULL: &str = r#"
default-database = "Sales"
default-cluster = "contoso.westeurope"
extensions = ["kql", ".CSL"]
extend-exclude = ["templates", "*.tmpl.kql"]
markdown = true
max-file-size = 1000
threads = 3

[[databases]]
name = "Ingestion"
cluster = "https://ingest.westeurope.kusto.windows.net"
paths = ["ingestion/**"]

[[clusters]]
name = "contoso.westeurope"
system-identity = "6a8b3d2e-2c4f-4e1a-9b7d-3f5e8c1a2b4d"
all-databases-viewers = ["aadapp=11111111-2222-3333-4444-555555555555"]
all-databases-admins = ["22222222-2222-3333-4444-555555555555"]

[rules]
select = ["UP0"]
ignore = ["invalid-managed-identity"]
UP005 = "error"
unverifiable-system-identity = "off"

[per-file-ignores]
"legacy/**" = ["UP901"]
"#;

#[test]
fn every_key_is_read_and_checked() {
    let config = from_text(FULL).unwrap();
    assert_eq!(config.default_database.as_deref(), Some("Sales"));
    assert_eq!(config.default_cluster.as_deref(), Some("contoso.westeurope.kusto.windows.net"));
    assert_eq!(config.extensions, ["kql", "csl"]);
    assert!(config.markdown);
    assert_eq!(config.max_file_size, 1000);
    assert_eq!(config.threads, 3);
    assert!(config.exclude.is_match(Path::new("/repo/a/templates")));
    assert!(config.exclude.is_match(Path::new("/repo/a/x.tmpl.kql")));
    // The defaults stay: extend-exclude adds to them.
    assert!(config.exclude.is_match(Path::new("/repo/node_modules")));
    assert!(!config.exclude.is_match(Path::new("/repo/a/x.kql")));
    let ingestion = &config.databases[0];
    assert_eq!(ingestion.cluster.as_deref(), Some("ingest.westeurope.kusto.windows.net"));
    assert!(ingestion.paths.is_match(Path::new("/repo/ingestion/sub/a.kql")));
    assert!(!ingestion.paths.is_match(Path::new("/repo/hub/a.kql")));
    let settings = &config.settings;
    assert_eq!(
        settings.system_identity(Some("contoso.westeurope.kusto.windows.net")),
        Some("6a8b3d2e-2c4f-4e1a-9b7d-3f5e8c1a2b4d")
    );
    assert_eq!(settings.system_identity(None), None);
    assert!(
        settings
            .reads_every_database(Some("CONTOSO.westeurope.kusto.windows.net"), "11111111-2222-3333-4444-555555555555")
    );
    assert!(
        settings
            .reads_every_database(Some("contoso.westeurope.kusto.windows.net"), "22222222-2222-3333-4444-555555555555")
    );
    assert!(!settings.reads_every_database(Some("other.kusto.windows.net"), "22222222-2222-3333-4444-555555555555"));
    let rules = &config.rules;
    assert_eq!(rules.select.as_ref().unwrap().len(), 1);
    assert!(rules.select.as_ref().unwrap()[0].matches(crate::diagnostic::Code { code: "UP001", name: "x" }));
    assert!(!rules.select.as_ref().unwrap()[0].matches(crate::diagnostic::SYNTAX_ERROR));
    assert!(rules.ignore[0].matches(crate::diagnostic::Code { code: "UP006", name: "invalid-managed-identity" }));
    // `UP005 = "error"` then `unverifiable-system-identity = "off"`: both apply to UP005.
    let up005: Vec<_> = rules.severities.iter().filter(|(c, _)| c.code == "UP005").map(|(_, s)| *s).collect();
    assert_eq!(up005.len(), 2);
    assert!(up005.contains(&None) && up005.contains(&Some(Severity::Error)));
    assert!(rules.per_file_ignores[0].0.matches_or_inside(Path::new("/repo/legacy/old/a.kql")));
    assert_eq!(config.origin("default-database"), Origin::File { line: 2 });
    assert_eq!(config.origin("rules"), Origin::File { line: 21 });
    assert_eq!(config.origin("include"), Origin::Default);
}

#[test]
fn unknown_keys_are_errors_with_their_line() {
    let (line, message) = error("default-database = \"a\"\ndefault-databse = \"b\"\n");
    assert_eq!(line, Some(2));
    assert!(message.contains("unknown field `default-databse`"), "{message}");
    let (line, message) = error("[[databases]]\nname = \"a\"\npaths = []\nfolder = \"x\"\n");
    assert_eq!(line, Some(4));
    assert!(message.contains("unknown field `folder`"), "{message}");
    let (line, message) = error("[rules]\nUP999 = \"error\"\n");
    assert_eq!(line, Some(2));
    assert!(message.contains("unknown key `rules.UP999`"), "{message}");
}

#[test]
fn wrong_types_are_errors_with_their_line() {
    let (line, message) = error("markdown = \"yes\"\n");
    assert_eq!(line, Some(1));
    assert!(message.contains("invalid type"), "{message}");
    let (line, message) = error("\n\nmax-file-size = -1\n");
    assert_eq!(line, Some(3));
    assert!(!message.is_empty());
    let (line, message) = error("[rules]\nUP005 = \"loud\"\n");
    assert_eq!(line, Some(2));
    assert!(message.contains("\"error\", \"warning\", \"info\" or \"off\""), "{message}");
    let (line, message) = error("[rules]\nselect = \"UP001\"\n");
    assert_eq!(line, Some(2));
    assert!(message.contains("expected a list"), "{message}");
    let (line, message) = error("[rules]\nignore = [\"UP777\"]\n");
    assert_eq!(line, Some(2));
    assert!(message.contains("no rule `UP777`"), "{message}");
    let (line, _) = error("[per-file-ignores]\n\"a/**\" = [\"nope\"]\n");
    assert_eq!(line, Some(2));
    let (_, message) = error("default-database = \n");
    assert!(!message.is_empty());
}

#[test]
fn bad_globs_are_errors_with_their_line() {
    let (line, message) = error("exclude = [\"ok\",\n  \"a/[b\"]\n");
    assert_eq!(line, Some(2));
    assert!(message.contains("`exclude`: bad glob `a/[b`"), "{message}");
    let (line, message) = error("[[databases]]\nname = \"a\"\npaths = [\"{x\"]\n");
    assert_eq!(line, Some(3));
    assert!(message.contains("databases.paths"), "{message}");
    let (line, message) = error("[per-file-ignores]\n\"[x\" = [\"UP901\"]\n");
    assert_eq!(line, Some(2));
    assert!(message.contains("per-file-ignores"), "{message}");
}

#[test]
fn flags_override_the_file() {
    let overrides = Overrides {
        default_database: Some("Flagged".into()),
        system_identity: Some("00000000-0000-0000-0000-000000000001".into()),
        all_databases_viewers: vec!["aadapp=33333333-2222-3333-4444-555555555555".into()],
        max_file_size: Some(5),
        threads: Some(1),
        fail_on: Some(Severity::Info),
        ..Overrides::default()
    };
    let config = from_text_with(FULL, &overrides).unwrap();
    assert_eq!(config.default_database.as_deref(), Some("Flagged"));
    assert_eq!(config.fail_on, Severity::Info);
    assert_eq!(config.origin("fail-on"), Origin::Flag("--fail-on"));
    assert_eq!(config.max_file_size, 5);
    assert_eq!(config.origin("default-database"), Origin::Flag("--default-database"));
    // The flag's identity wins on every cluster.
    assert_eq!(
        config.settings.system_identity(Some("contoso.westeurope.kusto.windows.net")),
        Some("00000000-0000-0000-0000-000000000001")
    );
    assert!(config.settings.reads_every_database(None, "33333333-2222-3333-4444-555555555555"));
    let described = config.describe();
    assert!(described.contains("default-database = \"Flagged\"  # flag --default-database"), "{described}");
    assert!(described.contains("max-file-size = 5  # flag --max-file-size"), "{described}");
    assert_eq!(config.threads, 1);
    assert!(described.contains("threads = 1  # flag --threads"), "{described}");
}

#[test]
fn an_empty_file_is_the_defaults() {
    let config = from_text("").unwrap();
    assert_eq!(config.extensions, ["kql", "csl", "kusto"]);
    assert!(!config.markdown);
    assert_eq!(config.max_file_size, DEFAULT_MAX_FILE_SIZE);
    assert!(config.rules.select.is_none() && config.rules.severities.is_empty());
    let described = config.describe();
    assert!(described.contains("markdown = false  # default"), "{described}");
    assert!(described.contains("default-database = \"default\"  # default"), "{described}");
    assert!(described.contains(&format!("max-file-size = {DEFAULT_MAX_FILE_SIZE}  # default")), "{described}");
    assert_eq!(config.threads, 0);
    assert!(described.contains("threads = 0  # default"), "{described}");
}

#[test]
fn describe_names_the_line_of_each_key() {
    let described = from_text(FULL).unwrap().describe();
    assert!(described.contains("# configuration file: /repo/uplint.toml"), "{described}");
    assert!(described.contains("markdown = true  # /repo/uplint.toml:6"), "{described}");
    assert!(described.contains("# databases: /repo/uplint.toml:10"), "{described}");
    assert!(described.contains("threads = 3  # /repo/uplint.toml:8"), "{described}");
    assert!(described.contains("[[databases]]"), "{described}");
    assert!(described.contains("[rules]"), "{described}");
    assert!(described.contains("UP005 = \"error\""), "{described}");
    // What is printed reads back as the same configuration.
    let reread = parse(&described).expect("describe prints valid TOML");
    assert_eq!(reread.default_database.as_deref(), Some("Sales"));
    assert_eq!(reread.databases.len(), 1);
}

#[test]
fn the_nearest_file_above_is_found() {
    let root = std::env::temp_dir().join(format!("uplint-config-find-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("a/b")).unwrap();
    std::fs::write(root.join(FILE_NAME), "markdown = true\n").unwrap();
    std::fs::write(root.join("a/b/x.kql"), "T").unwrap();
    assert_eq!(find(&root.join("a/b/x.kql")), Some(root.join(FILE_NAME)));
    assert_eq!(find(&root.join("a")), Some(root.join(FILE_NAME)));
    let config = load(&Source::Search, &[root.join("a/b")], Path::new("/"), &Overrides::default()).unwrap();
    assert!(config.markdown);
    assert_eq!(config.root, root);
    let config = load(&Source::Isolated, &[root.join("a/b")], &root, &Overrides::default()).unwrap();
    assert!(!config.markdown && config.path.is_none());
    std::fs::write(root.join("a/other.toml"), "markdown = 1\n").unwrap();
    let error = load(&Source::Path("a/other.toml".into()), &[], &root, &Overrides::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("{}:1: `markdown`: invalid type: integer `1`, expected a boolean", root.join("a/other.toml").display())
    );
    let error = load(&Source::Path("missing.toml".into()), &[], &root, &Overrides::default()).unwrap_err();
    assert!(error.to_string().contains("cannot read the file"), "{error}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn the_readme_example_is_a_valid_configuration() {
    let readme = include_str!("../../README.md");
    let start = readme.find("```toml\n").expect("a TOML example") + "```toml\n".len();
    let text = &readme[start..start + readme[start..].find("```\n").unwrap()];
    let config = from_text(text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.databases.len(), 2);
    assert!(config.exclude.is_match(Path::new("/repo/deploy/templates")));
    assert_eq!(config.settings.clusters.len(), 1);
}

#[test]
fn errors_name_the_key() {
    assert_eq!(error("markdown = \"yes\"\n").1, "`markdown`: invalid type: string \"yes\", expected a boolean");
    let text = "[[databases]]\nname = \"a\"\npaths = []\n\n[[databases]]\nname = \"b\"\npaths = [1]\n";
    let (_, message) = error(text);
    assert!(message.starts_with("`databases[1].paths"), "{message}");
    let (_, message) = error("[[clusters]]\nname = \"a\"\nsystem-identity = 5\n");
    assert!(message.starts_with("`clusters[0].system-identity`: invalid type"), "{message}");
    let (_, message) = error("[[databases]]\nname = \"a\"\npaths = []\nfolder = \"x\"\n");
    assert!(message.contains("databases[0]") && message.contains("unknown field `folder`"), "{message}");
}

#[test]
fn exit_and_suppression_keys() {
    let config = from_text("fail-on = \"warning\"\nrequire-suppression-reason = true\n").unwrap();
    assert_eq!(config.fail_on, Severity::Warning);
    assert!(config.require_suppression_reason);
    assert_eq!(config.origin("fail-on"), Origin::File { line: 1 });
    let defaults = from_text("").unwrap();
    assert_eq!(defaults.fail_on, Severity::Error);
    assert!(!defaults.require_suppression_reason);
    assert!(from_text("fail-on = \"fatal\"\n").is_err());
    let described = defaults.describe();
    assert!(described.contains("fail-on = \"error\"  # default"), "{described}");
    assert!(described.contains("require-suppression-reason = false  # default"), "{described}");
}
