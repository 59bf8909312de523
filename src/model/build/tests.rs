use super::*;
use crate::script::parse_script;
use crate::source::SourceFile;
use std::path::PathBuf;

/// Builds the model of files given as (name, text), in that order.
fn model_of(files: &[(&str, &str)]) -> (Model, Vec<Unit>, UnitNames) {
    let sources: Vec<SourceFile> = files
        .iter()
        .map(|(name, text)| SourceFile::new(PathBuf::from(name), name.to_string(), text.to_string()))
        .collect();
    let scripts: Vec<Script> = sources.iter().map(|s| parse_script(&s.text)).collect();
    let inputs: Vec<(FileId, &SourceFile, &Script)> =
        sources.iter().zip(&scripts).enumerate().map(|(i, (s, sc))| (FileId(i as u32), s, sc)).collect();
    build(&inputs, &BuildOptions::default())
}

fn sources_of(model: &Model, db: &str, table: &str) -> Vec<String> {
    model.database(None, db).unwrap().tables[table]
        .update_policy
        .entries
        .iter()
        .map(|e| e.json.member("Source").unwrap().value.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn update_policies_replace_merge_and_delete_in_file_order() {
    let (model, units, names) = model_of(&[
        ("a.kql", ".alter table T policy update @'[{\"Source\": \"A\", \"Query\": \"A\"}]'"),
        (
            "b.kql",
            ".alter-merge table T policy update @'[{\"Source\": \"B\", \"Query\": \"B\"}, {\"Source\": \"C\", \"Query\": \"C\"}]'",
        ),
    ]);
    assert_eq!(sources_of(&model, "default", "T"), ["A", "B", "C"]);
    let names: Vec<_> = (0..units.len()).map(|id| names.get(UnitId(id as u32)).unwrap()).collect();
    assert_eq!(names, ["T[0]", "T[1]", "T[2]"]);
    let (model, _, _) = model_of(&[
        ("a.kql", ".alter table T policy update @'[{\"Source\": \"A\", \"Query\": \"A\"}]'"),
        (
            "b.kql",
            ".alter table T policy update @'[{\"Source\": \"B\", \"Query\": \"B\"}]'\n.delete table T policy update",
        ),
    ]);
    assert!(sources_of(&model, "default", "T").is_empty());
    assert_eq!(model.database(None, "default").unwrap().tables["T"].update_policy.commands.len(), 3);
}

#[test]
fn malformed_policies_change_nothing() {
    let (model, _, _) = model_of(&[(
        "a.kql",
        ".alter table T policy update @'[{\"Source\": \"A\", \"Query\": \"A\"}]'\n.alter table T policy update @'[{,}]'",
    )]);
    assert_eq!(sources_of(&model, "default", "T"), ["A"]);
}

#[test]
fn databases_come_from_the_command_then_connect_then_default() {
    let text = ".alter table Db1.T policy update @'[{\"Source\": \"S\", \"Query\": \"S\"}]'\n\
                #connect cluster('c').database('Db2')\n\
                .create table U (a:string)\n\
                .add database Db3 viewers ('aadapp=x')";
    let (model, units, _) = model_of(&[("a.kql", text)]);
    assert!(model.database(None, "db1").unwrap().tables.contains_key("T"));
    assert!(model.database(Some("c.kusto.windows.net"), "DB2").unwrap().tables.contains_key("U"));
    assert!(model.database(Some("c.kusto.windows.net"), "Db3").unwrap().roles.contains_key("viewers"));
    assert_eq!(units[0].database(), Some("Db1"));
    // Database names are case-insensitive; the first spelling is kept.
    let (model, _, _) =
        model_of(&[("a.kql", ".alter table Sales.T policy update '[]'\n.add database SALES viewers ('aadapp=x')")]);
    assert_eq!(model.database(None, "sales").unwrap().name, "Sales");
    assert!(model.database(None, "Sales").unwrap().roles.contains_key("viewers"));
}

#[test]
fn managed_identity_policies_merge_usages_per_object_id() {
    let text = ".alter cluster policy managed_identity '[{\"ObjectId\": \"AB-1\", \"AllowedUsages\": \"NativeIngestion\"}]'\n\
                .alter-merge cluster policy managed_identity '[{\"ObjectId\": \"ab-1\", \"AllowedUsages\": \"AutomatedFlows, NativeIngestion\"}, {\"ObjectId\": \"system\", \"AllowedUsages\": \"All\"}]'";
    let (model, _, _) = model_of(&[("a.kql", text)]);
    let policy = &model.cluster(None).unwrap().managed_identity;
    assert_eq!(policy.entries.len(), 2);
    let usages: Vec<&str> = policy.entries[0].usages.iter().map(|(u, _)| u.as_str()).collect();
    assert_eq!(usages, ["NativeIngestion", "AutomatedFlows"]);
    assert!(policy.entries[0].allows("automatedflows"));
    assert!(policy.entries[1].allows("AutomatedFlows"));
    let (model, _, _) = model_of(&[("a.kql", &format!("{text}\n.delete cluster policy managed_identity"))]);
    assert!(model.cluster(None).unwrap().managed_identity.entries.is_empty());
}

#[test]
fn roles_are_added_dropped_and_set() {
    let text = ".add database Db viewers ('aadapp=A;t', 'aadapp=B')\n\
                .add database Db viewers ('aadapp=a;T')\n\
                .drop database Db viewers ('aadapp=B')\n\
                .add database Db users ('aaduser=u')\n\
                .set database Db users none";
    let (model, _, _) = model_of(&[("a.kql", text)]);
    let roles = &model.database(None, "Db").unwrap().roles;
    let viewers: Vec<&str> = roles["viewers"].iter().map(|g| g.principal.text.as_str()).collect();
    assert_eq!(viewers, ["aadapp=A;t"]);
    assert!(roles["users"].is_empty());
}

#[test]
fn repeated_grants_keep_the_first_of_each_principal() {
    // Same kind and id (any case) with agreeing tenants: one principal. Another tenant, another
    // kind or another id: another one.
    let text = ".add database Db viewers ('aadapp=A;t1', 'aadapp=B', 'aadapp=a;t2', 'aadapp=a', 'aaduser=A')\n\
                .add database Db viewers ('aadapp=b;t3', 'aadapp=A;T1', 'aadapp=C')";
    let (model, _, _) = model_of(&[("a.kql", text)]);
    let viewers: Vec<&str> =
        model.database(None, "Db").unwrap().roles["viewers"].iter().map(|g| g.principal.text.as_str()).collect();
    assert_eq!(viewers, ["aadapp=A;t1", "aadapp=B", "aadapp=a;t2", "aaduser=A", "aadapp=C"]);
}

#[test]
fn definitions_are_kept_and_drops_and_renames_apply() {
    let (model, units, _) = model_of(&[
        ("a.kql", ".create-or-alter function F() { T }\n.create table T (a:string)"),
        ("b.kql", ".create-or-alter function F() { U }\n.create function ifnotexists F() { V }\n.rename table T to T2"),
    ]);
    let db = model.database(None, "default").unwrap();
    let function = &db.functions["F"];
    assert_eq!(function.definitions.len(), 3);
    let effective = function.effective().unwrap();
    assert_eq!(units[effective.unit.0 as usize].text, "() { U }");
    assert!(db.tables.contains_key("T2") && !db.tables.contains_key("T"));
    // `.create` of an existing function fails; `.alter` and `.create-or-alter` replace it; a
    // body without a parameter list is a function without parameters.
    let (model, units, _) = model_of(&[(
        "a.kql",
        ".create function G() { A }\n.create function G() { B }\n.create function ifnotexists G() { C }\n\
         .alter function H() { D }\n.create function H() { E }\n.create-or-alter function H { F }",
    )]);
    let db = model.database(None, "default").unwrap();
    let body = |name: &str| units[db.functions[name].effective().unwrap().unit.0 as usize].text.clone();
    assert_eq!((body("G").to_string(), body("H").to_string()), ("() { A }".to_string(), "{ F }".to_string()));
    let h = &units[db.functions["H"].effective().unwrap().unit.0 as usize];
    assert!(h.query.parameters().is_empty() && h.query.errors().is_empty(), "{:?}", h.query.errors());
    let (model, _, _) = model_of(&[(
        "a.kql",
        ".create table T (a:string)\n.drop table T\n.create-or-alter function F() { 1 }\n.drop functions (F)",
    )]);
    let db = model.database(None, "default").unwrap();
    assert!(db.tables.is_empty() && db.functions.is_empty());
}

#[test]
fn security_policies_and_retention() {
    let text = ".alter table T policy row_level_security enable \"T | where a == 1\"\n\
                .alter tables (T, U) policy restricted_view_access true\n\
                .alter table U policy restricted_view_access false\n\
                .alter-merge table T policy retention softdelete = 0s\n\
                .delete table T policy row_level_security";
    let (model, units, _) = model_of(&[("a.kql", text)]);
    let db = model.database(None, "default").unwrap();
    assert!(db.tables["T"].row_level_security.is_none());
    assert!(db.tables["T"].restricted_view_access.as_ref().unwrap().enabled);
    assert!(!db.tables["U"].restricted_view_access.as_ref().unwrap().enabled);
    assert_eq!(db.tables["T"].retention.as_ref().unwrap().soft_delete_seconds, 0.0);
    assert_eq!(units[0].kind, UnitKind::RowLevelSecurity);
    assert_eq!(units[0].text, "T | where a == 1");
}

#[test]
fn the_default_database_can_be_configured() {
    let script = parse_script(".create table T (a:string)");
    let source = SourceFile::new(PathBuf::from("a.kql"), "a.kql".into(), ".create table T (a:string)".into());
    let options = BuildOptions { default_database: "Main".into() };
    let (model, _, _) = build(&[(FileId(0), &source, &script)], &options);
    assert!(model.database(None, "main").is_some());
}

#[test]
fn units_made_once_serve_a_build_in_any_context() {
    let files = [
        (
            "a.kql",
            ".create-merge table T (a:int)\n.alter-merge table T policy update @'[{\"Source\": \"S\", \"Query\": \"F()\"}]'",
        ),
        ("b.kql", ".create function F() { database('Other').X }\n\nT | take 1"),
        ("c.kql", "#connect cluster('c').database('Db')\n.alter table Db2.T policy row_level_security enable \"T\""),
    ];
    let sources: Vec<SourceFile> = files
        .iter()
        .map(|(name, text)| SourceFile::new(PathBuf::from(name), name.to_string(), text.to_string()))
        .collect();
    let scripts: Vec<Script> = sources.iter().map(|s| parse_script(&s.text)).collect();
    let inputs: Vec<(FileId, &SourceFile, &Script)> =
        sources.iter().zip(&scripts).enumerate().map(|(i, (s, sc))| (FileId(i as u32), s, sc)).collect();
    let contexts = [
        FileContext {
            database: "Ingestion".into(),
            database_reason: Reason::Config,
            cluster: Some("k.kusto.windows.net".into()),
            cluster_reason: Reason::Config,
            above_connect: None,
        },
        FileContext {
            database: "Hub".into(),
            database_reason: Reason::Folder,
            cluster: None,
            cluster_reason: Reason::Default,
            above_connect: None,
        },
        FileContext::fallback(),
    ];
    let options = BuildOptions::default();
    // Units placed by a build without contexts, then placed again in context...
    let (_, mut reused, mut reused_names) = build(&inputs, &options);
    let reused_model = build_in_contexts(&inputs, &contexts, &mut reused, &mut reused_names, &options);
    // ... are those made for the build in context.
    let mut fresh: Vec<Unit> = inputs
        .iter()
        .flat_map(|(file, source, script)| units_of(*file, &source.text, script, &mut AnalysisCache::default()))
        .collect();
    let mut fresh_names = UnitNames::default();
    let fresh_model = build_in_contexts(&inputs, &contexts, &mut fresh, &mut fresh_names, &options);
    let describe = |units: &[Unit], names: &UnitNames| -> Vec<String> {
        units
            .iter()
            .enumerate()
            .map(|(id, u)| {
                format!(
                    "{:?} {:?} {:?} {:?} {:?} {:?}",
                    u.file,
                    u.kind,
                    names.get(UnitId(id as u32)),
                    u.cluster(),
                    u.database(),
                    u.query.analysis.reads()
                )
            })
            .collect()
    };
    assert_eq!(describe(&reused, &reused_names), describe(&fresh, &fresh_names));
    assert_eq!(format!("{:?}", reused_model.clusters.keys()), format!("{:?}", fresh_model.clusters.keys()));
    // The files landed where their contexts say; a `#connect` and a qualifier still win.
    assert!(fresh_model.database(Some("k.kusto.windows.net"), "Ingestion").unwrap().tables.contains_key("T"));
    assert!(fresh_model.database(None, "Hub").unwrap().functions.contains_key("F"));
    assert!(fresh_model.database(Some("c.kusto.windows.net"), "Db2").unwrap().tables["T"].row_level_security.is_some());
    let query = fresh.iter().find(|u| u.kind == crate::unit::UnitKind::Query).unwrap();
    assert_eq!(query.database(), Some("Hub"));
}

/// Packing a map keeps its entries and their order, whatever order they were inserted in.
#[test]
fn packed_maps_keep_their_entries() {
    for count in [0usize, 1, 11, 12, 100, 1000] {
        let mut map = BTreeMap::new();
        for i in (0..count).map(|i| (i * 7919) % count.max(1)) {
            map.insert(format!("T{i}"), i);
        }
        let expected: Vec<(String, usize)> = map.clone().into_iter().collect();
        pack(&mut map);
        assert_eq!(map.len(), expected.len());
        assert_eq!(map.into_iter().collect::<Vec<_>>(), expected, "{count}");
    }
}

/// Known tables are each named with the first command that creates, fills or renames to it,
/// whether the table is still there, was dropped, renamed away or replaced by a rename.
#[test]
fn known_tables_keep_the_first_command_that_shows_each() {
    let commands = [
        ".ingest into table A (h@'x')",
        ".create table A (x:int)",
        ".create table B (x:int)",
        ".drop table B",
        ".create table B (y:int)",
        ".create table C (x:int)",
        ".create table D (x:int)",
        ".rename table C to D",
        ".rename table E to F",
        ".alter table G policy update @'[]'",
        ".create-merge table G (x:int)",
        ".alter table H policy update @'[]'",
    ];
    let text = commands.join("\n\n");
    let start = |i: usize| text.find(commands[i]).unwrap() as u32;
    let (model, _, _) = model_of(&[("a.kql", &text)]);
    let db = model.database(None, "default").unwrap();
    let known: Vec<(String, u32)> = db.known_tables().map(|(name, at)| (name.to_string(), at.span.start)).collect();
    let expected: Vec<(String, u32)> =
        [("A", 0), ("B", 2), ("C", 5), ("D", 6), ("F", 8), ("G", 10)].map(|(n, i)| (n.to_string(), start(i))).to_vec();
    assert_eq!(known, expected);
    for (name, at) in &expected {
        assert_eq!(db.known_table(name).map(|l| l.span.start), Some(*at), "{name}");
    }
    assert_eq!(db.known_table("H"), None);
    assert!(db.knows_table("H") && db.knows_table("C") && !db.knows_table("E") && db.defines_tables());
    let (model, _, _) = model_of(&[("a.kql", ".alter table H policy update @'[]'")]);
    assert!(!model.database(None, "default").unwrap().defines_tables());
}

/// A one-shot build takes the commands of scripts of many items, or whose items reach far into
/// their file (a few commands of many principals), and leaves small scripts whole.
#[test]
fn the_commands_of_large_scripts_are_taken() {
    let parse = crate::script::parse_script;
    assert!(!takes_commands(&parse(".create table T (a:string)\n.drop table T")));
    assert!(takes_commands(&parse(&".create table T (a:string)\n".repeat(TAKEN_FROM))));
    let long = format!(".create table T (a:string)\n{}\n.drop table T", " ".repeat(TAKEN_FROM_BYTES as usize));
    assert!(takes_commands(&parse(&long)));
}

/// A database's tables and functions, packed each time they double from 16,384 names on, end
/// with every definition, under its name, in name order (names added in file order and in a
/// scattered order, one of them defined twice).
#[test]
fn maps_packed_as_they_grow_keep_every_definition() {
    let count = (1usize << 15) + 3;
    for scattered in [false, true] {
        let mut text = String::from("#connect cluster('c').database('Db')\n");
        for n in 0..count {
            let i = if scattered { (n * 7919) % count } else { n };
            text.push_str(&format!(".create table T{i} (a:string)\n.create function F{i}() {{ T{i} }}\n"));
        }
        text.push_str(".create-merge table T5 (b:long)\n");
        let model = model_of(&[("a.kql", &text)]).0;
        let database = model.database(Some("c.kusto.windows.net"), "Db").unwrap();
        assert_eq!((database.tables.len(), database.functions.len()), (count, count));
        let mut names: Vec<String> = (0..count).map(|i| format!("T{i}")).collect();
        names.sort();
        assert!(database.tables.keys().map(|k| &**k).eq(names.iter().map(String::as_str)), "{scattered}");
        assert_eq!(database.tables["T5"].definitions.len(), 2);
        assert_eq!(database.functions["F7"].definitions.len(), 1);
    }
}
