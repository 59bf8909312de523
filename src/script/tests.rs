use super::command::*;
use super::payload::JsonKind;
use super::*;
use std::sync::Arc;

fn commands(text: &str) -> Vec<Command> {
    let script = parse_script(text);
    assert!(script.errors.is_empty(), "{text:?}: {:?}", script.errors);
    script
        .items
        .into_iter()
        .filter_map(|i| if let Item::Command { command: c, .. } = i { Some(*c) } else { None })
        .collect()
}

fn one(text: &str) -> CommandKind {
    let mut all = commands(text);
    assert_eq!(all.len(), 1, "{text:?}: {all:?}");
    all.remove(0).kind
}

fn errors(text: &str) -> Vec<String> {
    parse_script(text).errors.into_iter().map(|e| format!("{}: {}", e.span.of(text), e.message)).collect()
}

#[test]
fn splits_commands_queries_and_directives() {
    let text = "// header\n.create table T (a:string)\n\nT | take 1\n\n#connect cluster('c').database('Db')\n.create-or-alter function F() {\n    T\n\n    | count\n}\n.show tables\n\nU | count\n";
    let script = parse_script(text);
    assert!(script.errors.is_empty(), "{:?}", script.errors);
    let kinds: Vec<String> = script
        .items
        .iter()
        .map(|i| match i {
            Item::Connect(c) => format!("connect {:?} {:?}", c.cluster, c.database),
            Item::Command { .. } => format!("command {}", script.words_of(i).unwrap_or_default()),
            Item::Query(span) => format!("query {}", span.of(text)),
            Item::Taken { span, .. } => format!("taken {}", span.of(text)),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "command create table",
            "query T | take 1",
            "connect Some(\"c.kusto.windows.net\") Some(\"Db\")",
            "command create-or-alter function",
            "command show",
            "query U | count",
        ]
    );
}

#[test]
fn query_text_is_cut_at_blank_lines() {
    let text = "T | take 1\n\n// second\nU\n| count\n\n\nV";
    let script = parse_script(text);
    let queries: Vec<&str> =
        script.items.iter().map(|i| if let Item::Query(span) = i { span.of(text) } else { panic!() }).collect();
    assert_eq!(queries, ["T | take 1", "U\n| count", "V"]);
    // Blank lines inside a string do not cut.
    let text = "T | where a == ```x\n\ny```";
    assert_eq!(parse_script(text).items.len(), 1);
}

/// A query that starts with `--` is T-SQL (ADX runs it as such) and is not read as KQL; `--`
/// inside a KQL query is no such marker (regression: T-SQL queries were syntax errors).
#[test]
fn a_query_starting_with_a_tsql_comment_is_not_kql() {
    let text = "T | take 1\n\n--\nSELECT top(10) * FROM T\nORDER BY a DESC\n\n-- counts\nSELECT COUNT(*) FROM T\n\nU | where a == --1\n\n- -1";
    assert_eq!(queries(text), ["T | take 1", "U | where a == --1", "- -1"]);
    assert_eq!(parse_script(text).errors, []);
}

fn queries(text: &str) -> Vec<&str> {
    parse_script(text)
        .items
        .iter()
        .filter_map(|i| if let Item::Query(span) = i { Some(span.of(text)) } else { None })
        .collect()
}

#[test]
fn blank_lines_inside_brackets_and_after_statements_do_not_cut() {
    // A blank line inside `join ( ... )` does not end the query.
    let text = "T\n| join (\n    U\n\n    | where a > 1\n) on a\n\nV";
    assert_eq!(queries(text), ["T\n| join (\n    U\n\n    | where a > 1\n) on a", "V"]);
    // A block of `let`, `declare` and `set` statements continues into the next block.
    let text = "let x = 1;\nset notruncation;\n\nlet f = (a:long) { a + x };\n\nT | extend b = f(c)\n\nU";
    assert_eq!(
        queries(text),
        ["let x = 1;\nset notruncation;\n\nlet f = (a:long) { a + x };\n\nT | extend b = f(c)", "U"]
    );
    // Without the `;` after the last statement, the block is a query of its own (Kusto.Language
    // parses `let x = 1` alone): joined, it would read as a missing `;`.
    let text = "let f = (a:long) {\n    a + 1\n}\n\nlet g = (a:long) { a };\ng(1)\n\nlet x = 1\n\nT | take 1";
    assert_eq!(
        queries(text),
        ["let f = (a:long) {\n    a + 1\n}", "let g = (a:long) { a };\ng(1)", "let x = 1", "T | take 1"]
    );
}

#[test]
fn queries_after_input_pipes_are_query_text() {
    assert_eq!(queries(".set-or-append T <| U | where a > 1"), ["U | where a > 1"]);
    assert_eq!(queries(".append async T with (tags='[\"x\"]') <| U\n| take 1;"), ["U\n| take 1"]);
    assert_eq!(queries(".set-or-replace T <|\nU | project a\n\nV"), ["U | project a", "V"]);
    assert_eq!(queries(".set T <| print a = 1"), ["print a = 1"]);
    assert_eq!(
        queries(".export async to csv (h@'https://x/y;key') with (includeHeaders='all') <| T | take 10"),
        ["T | take 10"]
    );
    assert_eq!(queries(".set stored_query_result R <| T | count"), ["T | count"]);
    // Not queries: commands after `<|`, inline data, script bodies.
    assert!(queries(".drop extents <| .show table T extents | where MaxCreatedOn < ago(1d)").is_empty());
    assert!(queries(".ingest inline into table T <| 1,a\n2,b").is_empty());
    assert!(queries(".execute database script <|\n.create table T (a:long)").is_empty());
    assert!(queries(".replace extents in table T <|\n{ T | take 1 },\n{ .show table U extents }").is_empty());
}

/// An ingestion mapping's name and mapping are string literals, and `.alter[-merge] table T`
/// goes on with one of the words Kusto's grammar has: otherwise a syntax error where
/// Kusto.Language puts it (asked of the oracle).
#[test]
fn malformed_mappings_and_table_commands_are_errors() {
    let ok = [
        ".create table T ingestion csv mapping \"m\" '[{\"Name\":\"a\",\"Ordinal\":\"0\"}]' with (removeOldestIfRequired=true)",
        ".create-or-alter table T ingestion json mapping \"m\"\n'[{\"column\":\"a\",\"path\":\"$.a\"}]'",
        ".create table T ingestion json mapping \"m\" '[]' text Kusto skips",
        ".alter table T docstring \"d\"",
        ".alter table T folder \"f\"",
        ".alter-merge table T column-docstrings (a:\"x\")",
        ".alter table T column-docstrings (a:\"x\")",
    ];
    for text in ok {
        assert!(errors(text).is_empty(), "{text}: {:?}", errors(text));
    }
    assert_eq!(
        errors(".create table T ingestion json mapping m '[]'"),
        ["m: expected the mapping's name as a string literal"]
    );
    assert_eq!(
        errors(".create table T ingestion json mapping \"m\" [\n  {\"Name\": \"a\"}\n]"),
        ["[: expected the mapping as a string literal (`'[...]'`)"]
    );
    assert_eq!(
        errors(".alter-merge table T schema (a:string)"),
        [
            "schema: expected `(` or one of `column-docstrings`, `extent`, `ingestion`, `policy` after `.alter-merge table T`, found `schema`"
        ]
    );
    assert_eq!(errors(".alter table T docstrings \"d\"").len(), 1);
}

/// The first command of `.execute ... script <|` may follow `<|` on its line (Kusto.Language
/// reads it as the script's); a command after any other `<|` is part of its command.
#[test]
fn a_script_may_start_on_the_line_of_its_execute_command() {
    for text in [
        ".execute database script <| .create table T (a:string)",
        ".execute database script with (ContinueOnErrors=true, ThrowOnErrors=false) <| .create table T (a:string)\n.create table U (b:long)",
        ".execute script <| .create table T (a:string)",
    ] {
        assert!(errors(text).is_empty(), "{text}: {:?}", errors(text));
        let kinds: Vec<CommandKind> = commands(text).into_iter().map(|c| c.kind).collect();
        assert_eq!(kinds[0], CommandKind::ExecuteScript, "{text}");
        assert!(matches!(kinds[1], CommandKind::Tables { .. }), "{text}: {kinds:?}");
    }
    assert_eq!(commands(".drop extents <| .show table T extents").len(), 1);
    assert_eq!(commands(".set-or-append T <| .show tables").len(), 1);
}

#[test]
fn text_glued_to_a_command_is_an_error() {
    assert_eq!(errors(".drop table T\nU | count"), ["U | count: unexpected text after the command"]);
    // A command may end with `;`.
    assert!(errors(".drop table T ifexists;\n.drop table U").is_empty());
    // Commands of their own that start like a drop of a table (not modelled; the table stays).
    for command in [
        ".drop table T ingestion csv mapping \"Mapping1\"",
        ".drop external table E mapping \"Mapping1\"",
        ".drop table T extent tags ('drop-by:x')",
        ".drop table T extent tags with (extentCreatedOnFrom=datetime(2023-03-10)) <| .show table T extents",
    ] {
        assert!(errors(command).is_empty(), "{command}");
        assert_eq!(one(command), CommandKind::Other, "{command}");
    }
}

#[test]
fn execute_database_script_bodies() {
    let text = ".execute database script with (ContinueOnErrors=true) <|\n.create table T (a:long)\n\n.create-or-alter function F() { T }";
    let all = commands(text);
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].kind, CommandKind::ExecuteScript);
    assert!(matches!(all[2].kind, CommandKind::Function { .. }));
}

#[test]
fn tables() {
    let kind = one(".create-merge table ['My T'] (a:string, ['b c']:long) with (folder='F', docstring=\"d\")");
    let CommandKind::Tables { verb, .. } = kind else { panic!() };
    let tables: Vec<_> = kind.tables().collect();
    assert_eq!(verb, TableVerb::CreateMerge);
    assert_eq!(tables.len(), 1);
    assert_eq!(&*tables[0].name.text, "My T");
    assert_eq!(&*tables[0].columns[1].name, "b c");
    assert_eq!(&*tables[0].columns[1].type_name, "long");
    assert_eq!(property(kind.table_properties(), "folder").unwrap().value, "F");
    let kind = one(".create tables A (x:int), B (y:real)");
    let names: Vec<_> = kind.tables().map(|t| &*t.name.text).collect();
    assert_eq!(names, ["A", "B"]);
    assert!(kind.table_properties().is_empty());
    // One table and no properties: nothing boxed apart.
    assert!(matches!(one(".create table T (x:int)"), CommandKind::Tables { more: None, .. }));
    assert!(matches!(one(".create table New based-on Old ifnotexists"), CommandKind::TableBasedOn { .. }));
    let CommandKind::DropTables { names } = one(".drop tables (A, B) ifexists") else { panic!() };
    assert_eq!(names.len(), 2);
    let CommandKind::RenameTables { renames } = one(".rename table A to B") else { panic!() };
    assert_eq!((&*renames[0].0.text, &*renames[0].1.text), ("A", "B"));
    let CommandKind::Ingest { table, .. } = one(".create table T ingestion csv mapping 'm' '[]'") else { panic!() };
    assert_eq!(&*table.name.text, "T");
    assert_eq!(one(".ALTER TABLE T (a:string)"), CommandKind::Other);
}

#[test]
fn functions() {
    let text =
        ".create-or-alter function with (folder='x', skipvalidation='true') MyFunc(T:(*), n:long=10) { T | take n }";
    let CommandKind::Function { verb, name, properties, declaration } = one(text) else { panic!() };
    assert_eq!(verb, FunctionVerb::CreateOrAlter);
    assert_eq!(&*name.text, "MyFunc");
    assert_eq!(property(&properties, "SkipValidation").unwrap().as_bool(), Some(true));
    assert_eq!(declaration.of(text), "(T:(*), n:long=10) { T | take n }");
    let CommandKind::Function { verb, .. } = one(".create function ifnotexists F() { 1 }") else { panic!() };
    assert_eq!(verb, FunctionVerb::Create { if_not_exists: true });
    // Without a parameter list (Microsoft's documentation and real repositories write it so).
    let text = ".create-or-alter function with (folder='x') F\n{\n    T | take 1\n}";
    let CommandKind::Function { name, declaration, .. } = one(text) else { panic!() };
    assert_eq!((&*name.text, declaration.of(text)), ("F", "{\n    T | take 1\n}"));
    assert_eq!(one(".alter function F docstring 'x'"), CommandKind::Other);
    let CommandKind::DropFunctions { names } = one(".drop functions (F, G) ifexists") else { panic!() };
    assert_eq!(names.len(), 2);
}

/// A column's encoding policy is a command of its own, not a malformed type change (Fabric
/// exports write `.alter column T.c policy encoding type = 'BigObject32'`).
#[test]
fn column_policies_are_commands_not_type_changes() {
    for text in [
        ".alter column T.Payload policy encoding type = 'BigObject32'",
        ".alter column ['T'].['tables'] policy encoding type = 'BigObject32'",
        ".alter column T.id policy encoding @'{\"EncodingProfile\":\"Identifier\"}'",
        ".alter-merge column T.Payload policy encoding @'{\"EncodingProfile\":\"BigObject\"}'",
        ".delete column T.Payload policy encoding",
    ] {
        assert_eq!(one(text), CommandKind::Other, "{text}");
    }
    let CommandKind::AlterColumnType { column, type_name, .. } = one(".alter column T.Payload type = string") else {
        panic!()
    };
    assert_eq!((&*column.text, &*type_name.text), ("Payload", "string"));
    assert_eq!(errors(".alter column T.c typo = string"), ["typo: expected `type = ` and the new type"]);
}

#[test]
fn update_policies_in_every_form() {
    let json = r#"[{"IsEnabled": true, "Source": "Raw", "Query": "Parse()", "IsTransactional": false}]"#;
    let escaped = json.replace('"', "\\\"");
    let forms = [
        format!(".alter table Db.T policy update ```{json}```"),
        format!(".alter table T policy update @'{json}'"),
        format!(".alter table T policy update \"{escaped}\""),
        format!(".alter table T policy update\n'{json}'"),
        ".alter table T policy update '[{\"IsEnabled\": true, \"Source\": \"Raw\", ' '\"Query\": \"Parse()\"}]'"
            .to_string(),
        format!(".alter table T policy update {json}"),
        format!(".alter table T policy update with (AllowUnreferencedSourceTable=true) @'{json}'"),
        format!(".alter-merge table T policy update @'{json}' with (AllowUnreferencedSourceTable=true)"),
    ];
    for text in &forms {
        let CommandKind::UpdatePolicy { table, payload, .. } = one(text) else { panic!("{text}") };
        assert_eq!(&*table.name.text, "T");
        let payload = payload.unwrap();
        let entries = payload.entries();
        assert_eq!(entries.len(), 1, "{text}");
        let query = &entries[0].member("Query").unwrap().value;
        assert_eq!(query.as_str(), Some("Parse()"), "{text}");
        assert_eq!(query.span.of(text).trim_matches(['"', '\\']), "Parse()", "{text}");
    }
    let CommandKind::UpdatePolicy { table, .. } = one(&forms[0]) else { panic!() };
    assert_eq!(&*table.database.unwrap().text, "Db");
    let CommandKind::UpdatePolicy { properties, .. } = one(&forms[6]) else { panic!() };
    assert_eq!(property(&properties, "AllowUnreferencedSourceTable").unwrap().as_bool(), Some(true));
    let CommandKind::UpdatePolicy { verb, payload, .. } = one(".delete table T policy update") else { panic!() };
    assert_eq!((verb, payload), (PolicyVerb::Delete, None));
}

#[test]
fn malformed_policy_json_keeps_its_place() {
    let text = ".alter table T policy update @'[{\"Source\": \"Raw\",, }]'";
    assert_eq!(errors(text), [",: the policy is not valid JSON: unexpected token in object"]);
    let script = parse_script(text);
    let Item::Command { command, .. } = &script.items[0] else { panic!() };
    let CommandKind::UpdatePolicy { payload, .. } = &command.kind else { panic!() };
    let error = payload.as_ref().unwrap().json.as_ref().unwrap_err();
    assert_eq!(error.span.of(text), ",");
}

#[test]
fn managed_identity_policies() {
    let text = ".alter-merge cluster policy managed_identity ```[{\"ObjectId\": \"system\", \"AllowedUsages\": \"AutomatedFlows\"}]```";
    let CommandKind::ManagedIdentityPolicy { verb, scope, payload } = one(text) else { panic!() };
    assert_eq!((verb, *scope), (PolicyVerb::AlterMerge, PolicyScope::Cluster));
    assert_eq!(payload.unwrap().entries()[0].member("objectid").unwrap().value.as_str(), Some("system"));
    let CommandKind::ManagedIdentityPolicy { scope, .. } = one(".alter database Db policy managed_identity '[]'")
    else {
        panic!()
    };
    assert_eq!(scope, Box::new(PolicyScope::Database(Some(NameRef { text: "Db".into(), span: Span::new(16, 18) }))));
    let CommandKind::ManagedIdentityPolicy { scope, .. } = one(".alter database policy managed_identity '[]'") else {
        panic!()
    };
    assert_eq!(scope, Box::new(PolicyScope::Database(None)));
    let CommandKind::ManagedIdentityPolicy { verb, .. } = one(".delete cluster policy managed_identity") else {
        panic!()
    };
    assert_eq!(verb, PolicyVerb::Delete);
}

#[test]
fn row_level_security_and_restricted_view_access() {
    let text = ".alter table Db.T policy row_level_security enable with (allowMaterializedViewsWithoutRowLevelSecurity=true) \"T | where a == current_principal()\"";
    let CommandKind::RowLevelSecurity { enabled, query, scope, .. } = one(text) else { panic!() };
    assert!(enabled);
    assert!(matches!(*scope, PolicyScope::Table(_)));
    assert_eq!(query.unwrap().decoded.value, "T | where a == current_principal()");
    let CommandKind::RowLevelSecurity { enabled, .. } =
        one(".alter materialized-view V policy row_level_security disable \"F\"")
    else {
        panic!()
    };
    assert!(!enabled);
    let CommandKind::RestrictedViewAccess { tables, enabled, .. } =
        one(".alter tables (A, B) policy restricted_view_access True")
    else {
        panic!()
    };
    assert_eq!((tables.len(), enabled), (2, true));
    let CommandKind::RestrictedViewAccess { enabled, .. } = one(".alter table A policy restricted_view_access false")
    else {
        panic!()
    };
    assert!(!enabled);
    assert!(matches!(
        one(".delete table T policy row_level_security"),
        CommandKind::RowLevelSecurity { verb: PolicyVerb::Delete, .. }
    ));
}

#[test]
fn retention() {
    let CommandKind::Retention { soft_delete, .. } =
        one(".alter-merge table T policy retention softdelete = 0s recoverability = disabled")
    else {
        panic!()
    };
    assert_eq!(soft_delete.unwrap().seconds, 0.0);
    let CommandKind::Retention { soft_delete, .. } = one(".alter-merge database Db policy retention softdelete = 10d")
    else {
        panic!()
    };
    assert_eq!(soft_delete.unwrap().seconds, 864_000.0);
    let CommandKind::Retention { soft_delete, .. } = one(
        ".alter table T policy retention '{\"SoftDeletePeriod\": \"1.00:00:00\", \"Recoverability\": \"Disabled\"}'",
    ) else {
        panic!()
    };
    assert_eq!(soft_delete.unwrap().seconds, 86_400.0);
}

#[test]
fn principals() {
    let text = ".add database Db viewers ('aadapp=1234;tenant', 'aaduser=a@b.com') skip-results 'notes'";
    let CommandKind::Principals { action, scope, role, principals } = one(text) else { panic!() };
    assert_eq!(action, RoleAction::Add);
    assert!(matches!(*scope, RoleScope::Database(Some(_))));
    assert_eq!(&*role.text, "viewers");
    assert_eq!(principals[0].kind, PrincipalKind::App);
    assert_eq!((principals[0].id.as_str(), principals[0].tenant.as_deref()), ("1234", Some("tenant")));
    assert_eq!(principals[1].kind, PrincipalKind::User);
    let CommandKind::Principals { scope, .. } = one(".add database viewers ('aadgroup=g')") else { panic!() };
    assert_eq!(scope, Box::new(RoleScope::Database(None)));
    let CommandKind::Principals { principals, .. } = one(".set database Db viewers none") else { panic!() };
    assert!(principals.is_empty());
    assert!(matches!(
        one(".drop database Db viewers ('aadapp=1')"),
        CommandKind::Principals { action: RoleAction::Drop, .. }
    ));
    assert!(matches!(
        one(".add table T admins ('aaduser=x')"),
        CommandKind::Principals { scope, .. } if matches!(*scope, RoleScope::Table(_))
    ));
    assert!(matches!(one(".drop table T admins ('aaduser=x')"), CommandKind::Principals { .. }));
}

#[test]
fn materialized_views_and_external_tables() {
    let text =
        ".create async ifnotexists materialized-view with (backfill=true) V on table T { T | summarize count() by a }";
    let CommandKind::MaterializedView { name, source, body, .. } = one(text) else { panic!() };
    assert_eq!((&*name.text, &*source.text), ("V", "T"));
    assert_eq!(body.of(text), "{ T | summarize count() by a }");
    let text = ".create external table E (a:string) kind=storage dataformat=csv ( h@'https://x;secret' )";
    let CommandKind::ExternalTable { name, kind, columns, impersonation } = one(text) else { panic!() };
    assert_eq!((&*name.text, &*kind.unwrap().text), ("E", "storage"));
    let columns: Vec<(&str, &str)> = columns.iter().flat_map(|c| c.iter()).map(|c| (&*c.name, &*c.type_name)).collect();
    assert_eq!(columns, [("a", "string")]);
    assert!(!impersonation);
    let text = ".create-or-alter external table D kind=delta ( h@'https://x;secret' )";
    let CommandKind::ExternalTable { columns, .. } = one(text) else { panic!() };
    assert_eq!(columns, None, "a delta table's schema comes from its files");
    let text = ".create external table E (a:string) kind=storage dataformat=csv ( h@'https://x/c;Impersonate' )";
    assert!(matches!(one(text), CommandKind::ExternalTable { impersonation: true, .. }));
    // A later command is not part of the definition.
    let text = ".create external table E (a:string) kind=sql ( h@'Server=x' )\n\n.show version 'a;impersonate'";
    assert!(matches!(commands(text).remove(0).kind, CommandKind::ExternalTable { impersonation: false, .. }));
    let text = ".alter external table E policy query_acceleration '{\"IsEnabled\": true, \"Hot\": \"36500.00:00:00\"}'";
    let CommandKind::QueryAcceleration { payload, .. } = one(text) else { panic!() };
    let payload = payload.unwrap();
    let hot = &payload.json.as_ref().unwrap().member("Hot").unwrap().value;
    assert!(matches!(&hot.kind, JsonKind::String { value, .. } if &**value == "36500.00:00:00"));
}

#[test]
fn ingestion_commands_name_their_table() {
    // `creates`: the `.set` forms create the table from their query's schema; `.append` and
    // `.ingest` need it to exist.
    for (text, expected, creates) in [
        (".set-or-append T <| U | take 1", "T", true),
        (".set async Db.T with (folder='x') <| print 1", "T", true),
        (".append ['My T'] <| U", "My T", false),
        (".set-or-replace T <|\n    U\n    | take 1", "T", true),
        (".ingest async into table T (h'https://x') with (format='csv')", "T", false),
        (".ingest inline into table T <| a,b", "T", false),
        (".create-or-alter table T ingestion json mapping 'm' '[]'", "T", false),
    ] {
        let CommandKind::Ingest { table, creates: c } = one(text) else { panic!("{text}") };
        assert_eq!((&*table.name.text, c), (expected, creates), "{text}");
    }
    // `.set` of a role is a role assignment; `.append` without `<|` is not an ingestion.
    assert!(matches!(one(".set database Db viewers ('aadapp=x')"), CommandKind::Principals { .. }));
    assert_eq!(one(".append T"), CommandKind::Other);
}

#[test]
fn other_commands_are_skipped() {
    for text in [".show tables | where TableName has 'x'", ".alter table T policy caching hot = 1d"] {
        assert_eq!(one(text), CommandKind::Other, "{text}");
    }
}

#[test]
fn malformed_commands_are_reported_where_they_break() {
    assert_eq!(errors(".create table T (a string)"), ["string: expected `:` and a type after the column name"]);
    assert_eq!(
        errors(".alter table T policy update"),
        [": expected the update policy (a string literal holding JSON)"]
    );
    assert_eq!(
        errors(".add database Db viewers (aadapp)"),
        ["aadapp: expected a principal string such as 'aadapp=<id>;<tenant>'"]
    );
    // Parsing resumes at the next command.
    let script = parse_script(".create table T (a string)\n.create table U (b:long)");
    assert_eq!(script.items.len(), 2);
    assert!(
        matches!(&script.items[1], Item::Command { command: c, .. } if matches!(c.kind, CommandKind::Tables { .. }))
    );
}

/// Schemas of a file with the same columns share one list; other schemas share the names and
/// types they have in common; the columns are as written either way.
#[test]
fn a_files_schemas_share_equal_columns_and_names() {
    let text = ".create table A (a:string, b:long)\n.create-merge table B (a:string, b:long)\n.create tables C (a:string, c:long), D (a:string, b:long)\n.create external table E (a:string) kind=storage (h@'x')\n.create table F (b:long, a:string)\n";
    let schemas: Vec<Columns> = commands(text)
        .into_iter()
        .flat_map(|c| match c.kind {
            CommandKind::Tables { .. } => c.kind.tables().map(|t| Arc::clone(&t.columns)).collect(),
            CommandKind::ExternalTable { columns, .. } => columns.into_iter().collect(),
            _ => Vec::new(),
        })
        .collect();
    let written: Vec<String> = schemas
        .iter()
        .map(|s| s.iter().map(|c| format!("{}:{}", c.name, c.type_name)).collect::<Vec<_>>().join(","))
        .collect();
    assert_eq!(
        written,
        ["a:string,b:long", "a:string,b:long", "a:string,c:long", "a:string,b:long", "a:string", "b:long,a:string"]
    );
    let (a, b, c, d, f) = (&schemas[0], &schemas[1], &schemas[2], &schemas[3], &schemas[5]);
    assert!(Arc::ptr_eq(a, b) && Arc::ptr_eq(a, d), "equal schemas share one list");
    assert!(!Arc::ptr_eq(a, c) && !Arc::ptr_eq(a, f));
    // Names of up to 15 bytes are held inline; longer ones are shared by the file's schemas.
    assert!(a[0].name.is_inline());
    let text = ".create table A (a_long_column_name:string)\n.create table B (x:long, a_long_column_name:long)\n";
    let long: Vec<_> = commands(text)
        .into_iter()
        .flat_map(|c| c.kind.tables().flat_map(|t| t.columns.iter().cloned().collect::<Vec<_>>()).collect::<Vec<_>>())
        .filter(|column| column.name == "a_long_column_name")
        .collect();
    assert_eq!(long.len(), 2);
    assert!(!long[0].name.is_inline());
    assert_eq!(long[0].name.as_ptr(), long[1].name.as_ptr(), "a long name is shared");
}

/// A file parsed a window of tokens at a time gives the script of the whole file, and keeps
/// none of its tokens (its units are lexed from their own texts) unless it was one window, when
/// it keeps them all. Checked on texts with every kind of item boundary, and over the corpus
/// scripts when they are at hand.
#[test]
fn a_file_parsed_a_window_at_a_time_is_parsed_as_a_whole() {
    let check = |name: &str, text: &str, windows: &[usize]| {
        let (whole, all) = parse_windowed(text, usize::MAX);
        assert_eq!(all, crate::kql::lexer::lex(text), "{name}");
        for &window in windows {
            let (script, kept) = parse_windowed(text, window);
            assert_eq!(script, whole, "{name}, window {window}");
            assert!(kept.is_empty() || kept == all, "{name}, window {window}: {} tokens kept", kept.len());
        }
    };
    let texts = [
        "// header\n.create table T (a:string)\n\nT | take 1\n\n#connect cluster('c').database('Db')\n.create-or-alter function F() {\n    T\n\n    | count\n}\n.show tables\n\nU | count\n",
        ".create-merge table T0 (a:string, b:long)\n.create-or-alter function F0() { T0 | where b > 0 | project a }\n\n.create-merge table T1 (a:string, b:long)\n.create-or-alter function F1() { T1 | where b > 1 | project a }\n",
        ".set-or-append S <| T | project x = 1\n.append S <| T\n\n.show tables | where x\nlet a = 1;\n\nT | take a\n.create materialized-view V on table T { T | summarize count() by a }\n",
        ".create table T (a:string) extra words\n.alter table T policy update @'[{\"Source\": \"S\", \"Query\": \"S | take 1\"}]'\n#connect database('x')\n#connect\nT\n.\n. create\n",
        "T | take 1\n\n\n\nU\n// comment\n.drop table T\n.create function with (docstring = 'd') G(x: int) { x }\n\n\n",
    ];
    for (i, text) in texts.iter().enumerate() {
        check(&format!("text {i}"), text, &[1, 2, 3, 4, 5, 8, 13]);
    }
    // Two commands, each a window: no tokens kept.
    assert!(parse_windowed(texts[1], 4).1.is_empty());
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/scripts");
    let folders = std::fs::read_dir(corpus).into_iter().flatten().flatten();
    let files = folders.flat_map(|folder| std::fs::read_dir(folder.path()).into_iter().flatten().flatten());
    let mut checked = 0;
    for file in files.step_by(4) {
        if let Ok(text) = std::fs::read_to_string(file.path()) {
            check(&file.path().display().to_string(), &text, &[1, 16]);
            checked += 1;
        }
    }
    eprintln!("{checked} corpus files");
}
