//! `uplint server` driven over standard input and output as an editor would.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod lsp_client;
use lsp_client::{Client, uri};

const TIMEOUT: Duration = Duration::from_secs(20);

/// A server started and initialized on `root` with the client `capabilities`.
fn start(root: &Path, capabilities: Value) -> Client {
    let mut client = Client::spawn(TIMEOUT, false);
    let server = client.initialize(root, capabilities);
    assert!(server["hoverProvider"] == true, "{server}");
    client
}

const FUNCTIONS: &str = "#connect cluster('contoso').database('Sales')\n\
.create-or-alter function Enrich() {\n    RawOrders\n    | lookup (database('Reference').Countries) on Country\n}\n";
const FIXED_FUNCTIONS: &str = "#connect cluster('contoso').database('Sales')\n\
.create-or-alter function Enrich() {\n    RawOrders\n}\n";
const POLICIES: &str = "#connect cluster('contoso').database('Sales')\n\
.alter table Orders policy update\n@'[{\"IsEnabled\": true, \"IsTransactional\": true, \"Source\": \"RawOrders\", \"Query\": \"Enrich() | take 10\"}]'\n";
const TABLES: &str = "#connect cluster('contoso').database('Sales')\n\
.create table RawOrders (Country:string)\n.create table Orders (Country:string)\n\n\
#connect cluster('contoso').database('Reference')\n.create table Countries (Country:string)\n";

/// A project in a fresh directory: functions, policies and tables in three files.
fn project(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("uplint-server-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let root = root.canonicalize().unwrap();
    std::fs::write(root.join("functions.kql"), FUNCTIONS).unwrap();
    std::fs::write(root.join("policies.kql"), POLICIES).unwrap();
    std::fs::write(root.join("tables.kql"), TABLES).unwrap();
    root
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics.iter().map(|d| d["code"].as_str().unwrap().to_string()).collect()
}

/// The position of the first `needle` in `text` (ASCII text: bytes are UTF-16 units).
fn position_of(text: &str, needle: &str) -> Value {
    let offset = text.find(needle).unwrap();
    let line = text[..offset].matches('\n').count();
    let column = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": column})
}

fn open(client: &mut Client, path: &Path, text: &str) {
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri(path), "languageId": "kusto", "version": 1, "text": text}}),
    );
}

fn change(client: &mut Client, path: &Path, version: i64, text: &str) {
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(path), "version": version}, "contentChanges": [{"text": text}]}),
    );
}

/// The quick fix titled `title` that the server offers where `needle` starts in `text` (the open
/// file `path`), for a diagnostic of `code`: it replaces `needle` with `new_text` (asserted).
fn quick_fix_replaces(
    client: &mut Client,
    path: &Path,
    text: &str,
    needle: &str,
    title: &str,
    code: &str,
    new_text: &str,
) {
    let at = position_of(text, needle);
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri(path)}, "range": {"start": at, "end": at},
               "context": {"diagnostics": []}}),
    );
    let actions = actions.as_array().unwrap();
    let fix = actions.iter().find(|a| a["title"] == title).unwrap_or_else(|| panic!("{actions:#?}"));
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["diagnostics"][0]["code"], code);
    let edit = &fix["edit"]["changes"][uri(path).as_str()][0];
    assert_eq!(edit["newText"], new_text);
    assert_eq!(edit["range"]["start"], at);
    let mut end = at.clone();
    end["character"] = json!(at["character"].as_u64().unwrap() + needle.len() as u64);
    assert_eq!(edit["range"]["end"], end);
}

#[test]
fn edits_recheck_other_files_and_requests_answer_about_the_project() {
    let root = project("edit");
    let (functions, policies) = (root.join("functions.kql"), root.join("policies.kql"));
    let mut client = start(&root, json!({}));

    // The whole project is checked at start: the policy reads Reference through `Enrich`.
    let diagnostics = client.diagnostics(&policies);
    assert_eq!(codes(&diagnostics), ["UP001"], "{diagnostics:#?}");
    let d = &diagnostics[0];
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "uplint");
    assert!(d["codeDescription"]["href"].as_str().unwrap().ends_with("UP001-cross-database-without-identity.md"));
    let related = d["relatedInformation"].as_array().unwrap();
    assert!(related.iter().any(|r| r["location"]["uri"] == uri(&functions).as_str()), "{related:#?}");
    assert_eq!(d["range"]["start"], position_of(POLICIES, "\"Enrich() | take 10\""));

    // Editing the function (not saved) clears the policy's diagnostic, in another file.
    open(&mut client, &functions, FUNCTIONS);
    change(&mut client, &functions, 2, FIXED_FUNCTIONS);
    assert_eq!(client.diagnostics(&policies), Vec::<Value>::new());
    // And breaking it again brings it back.
    change(&mut client, &functions, 3, FUNCTIONS);
    assert_eq!(codes(&client.diagnostics(&policies)), ["UP001"]);

    // Hover on the policy entry: what it reads, through which function, and the identity.
    open(&mut client, &policies, POLICIES);
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&policies)}, "position": position_of(POLICIES, "RawOrders")}),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("update policy of `Sales.Orders`"), "{text}");
    assert!(text.contains("`Reference.Countries` (table)"), "{text}");
    assert!(text.contains("calls `Enrich` (policies.kql:3)"), "{text}");
    assert!(text.contains("functions.kql:4"), "{text}");
    assert!(text.contains("Identity: none"), "{text}");
    // Hover on the function's name: its signature and the policy that reaches it.
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&functions)}, "position": position_of(FUNCTIONS, "Enrich")}),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("Sales.Enrich()"), "{text}");
    assert!(text.contains("`Sales.Orders[0]`"), "{text}");

    // Go to definition from the call in the policy's Query (inside JSON inside a string).
    let definition = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri(&policies)}, "position": position_of(POLICIES, "Enrich")}),
    );
    assert_eq!(definition[0]["uri"], uri(&functions).as_str());
    assert_eq!(definition[0]["range"]["start"], position_of(FUNCTIONS, "Enrich"));
    // ... and from a table name in a function body to its `.create`, in another database.
    let definition = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri(&functions)}, "position": position_of(FUNCTIONS, "Countries")}),
    );
    assert_eq!(definition[0]["uri"], uri(&root.join("tables.kql")).as_str());
    assert_eq!(definition[0]["range"]["start"], position_of(TABLES, "Countries"));

    // References of the function: the call in the policy.
    let references = client.request(
        "textDocument/references",
        json!({"textDocument": {"uri": uri(&functions)}, "position": position_of(FUNCTIONS, "Enrich"),
               "context": {"includeDeclaration": false}}),
    );
    assert_eq!(references.as_array().unwrap().len(), 1, "{references:#}");
    assert_eq!(references[0]["uri"], uri(&policies).as_str());
    assert_eq!(references[0]["range"]["start"], position_of(POLICIES, "Enrich"));

    // The code action adds the identity in the literal's own form; applied, UP001 is gone.
    let start = position_of(POLICIES, "Enrich");
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri(&policies)}, "range": {"start": start, "end": start},
               "context": {"diagnostics": []}}),
    );
    let actions = actions.as_array().unwrap();
    let titles: Vec<&str> = actions.iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"Copy the command that fixes UP001 on the cluster"), "{titles:?}");
    let fix = actions.iter().find(|a| a["edit"].is_object()).expect("an edit");
    let edit = &fix["edit"]["changes"][uri(&policies).as_str()][0];
    assert_eq!(edit["newText"], ", \"ManagedIdentity\": \"system\"");
    let fixed = POLICIES.replace("take 10\"", "take 10\", \"ManagedIdentity\": \"system\"");
    assert_eq!(edit["range"]["start"], position_of(&fixed, ", \"ManagedIdentity\""));
    change(&mut client, &policies, 2, &fixed);
    client.notify("textDocument/didSave", json!({"textDocument": {"uri": uri(&policies)}}));
    let diagnostics = client.diagnostics(&policies);
    assert!(!codes(&diagnostics).contains(&"UP001".to_string()), "{diagnostics:#?}");

    // The fix command is shown to the user, and returned.
    let copy = actions.iter().find(|a| a["command"].is_object()).unwrap();
    let result = client.request(
        "workspace/executeCommand",
        json!({"command": copy["command"]["command"], "arguments": copy["command"]["arguments"]}),
    );
    assert!(result.as_str().unwrap().starts_with(".alter table Orders policy update @'"), "{result}");

    // Syntax errors link to their page too.
    change(&mut client, &policies, 3, &fixed.replace("take 10", "where ("));
    client.notify("textDocument/didSave", json!({"textDocument": {"uri": uri(&policies)}}));
    let diagnostics = client.diagnostics(&policies);
    let syntax = diagnostics.iter().find(|d| d["code"] == "UP901").unwrap_or_else(|| panic!("{diagnostics:#?}"));
    assert!(syntax["codeDescription"]["href"].as_str().unwrap().ends_with("UP901-syntax-error.md"), "{syntax}");

    client.shutdown();
    std::fs::remove_dir_all(&root).unwrap();
}

/// (The server answers `uplint/debugPanic` only when built with debug assertions, as `cargo
/// test` builds it; a release build answers that it does not handle it.)
#[test]
#[cfg(debug_assertions)]
fn a_panic_is_logged_and_the_server_keeps_serving() {
    let root = project("panic");
    let mut client = start(&root, json!({}));
    let response = client.call("uplint/debugPanic", Value::Null);
    assert_eq!(response["error"]["code"], -32603, "{response}");
    let log = client.wait(|m| m["method"] == "window/logMessage" && m["params"]["type"] == 1);
    assert!(log["params"]["message"].as_str().unwrap().contains("debug panic requested"), "{log}");
    // Still serving.
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&root.join("functions.kql"))}, "position": position_of(FUNCTIONS, "Enrich")}),
    );
    assert!(hover["contents"]["value"].as_str().unwrap().contains("Sales.Enrich()"));
    client.shutdown();
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn changes_are_debounced_and_saves_check_at_once() {
    let root = project("debounce");
    let (functions, policies) = (root.join("functions.kql"), root.join("policies.kql"));
    let mut client = start(&root, json!({}));
    assert_eq!(codes(&client.diagnostics(&policies)), ["UP001"]);
    open(&mut client, &functions, FUNCTIONS);
    // A burst of changes: nothing is checked until the typing stops.
    change(&mut client, &functions, 2, FIXED_FUNCTIONS);
    assert!(!client.publishes_within(&policies, Duration::from_millis(60)));
    change(&mut client, &functions, 3, FUNCTIONS);
    change(&mut client, &functions, 4, FIXED_FUNCTIONS);
    let started = Instant::now();
    assert_eq!(client.diagnostics(&policies), Vec::<Value>::new());
    assert!(started.elapsed() >= Duration::from_millis(100), "{:?}", started.elapsed());
    // A save checks at once.
    change(&mut client, &functions, 5, FUNCTIONS);
    client.notify("textDocument/didSave", json!({"textDocument": {"uri": uri(&functions)}}));
    let started = Instant::now();
    assert_eq!(codes(&client.diagnostics(&policies)), ["UP001"]);
    assert!(started.elapsed() < Duration::from_millis(140), "{:?}", started.elapsed());
    client.shutdown();
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn clients_that_pull_diagnostics_are_not_sent_them() {
    let root = project("pull");
    let (functions, policies) = (root.join("functions.kql"), root.join("policies.kql"));
    let capabilities = json!({"textDocument": {"diagnostic": {"dynamicRegistration": false}},
                              "workspace": {"diagnostics": {"refreshSupport": true}}});
    let mut client = start(&root, capabilities);
    let pulled = client.request("textDocument/diagnostic", json!({"textDocument": {"uri": uri(&policies)}}));
    assert_eq!(pulled["kind"], "full");
    assert_eq!(codes(pulled["items"].as_array().unwrap()), ["UP001"]);
    // An edit asks the client to pull again; the pull sees the edit.
    open(&mut client, &functions, FUNCTIONS);
    change(&mut client, &functions, 2, FIXED_FUNCTIONS);
    client.notify("textDocument/didSave", json!({"textDocument": {"uri": uri(&functions)}}));
    let refresh = client.wait(|m| m["method"] == "workspace/diagnostic/refresh");
    client.send(json!({"jsonrpc": "2.0", "id": refresh["id"], "result": null}));
    let pulled = client.request("textDocument/diagnostic", json!({"textDocument": {"uri": uri(&policies)}}));
    assert_eq!(pulled["items"], json!([]));
    assert!(!client.backlog().iter().any(|m| m["method"] == "textDocument/publishDiagnostics"));
    client.shutdown();
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn files_created_changed_and_deleted_outside_the_editor_are_picked_up() {
    let root = project("watch");
    let capabilities = json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}});
    let mut client = start(&root, capabilities);
    let registration = client.wait(|m| m["method"] == "client/registerCapability");
    assert_eq!(registration["params"]["registrations"][0]["method"], "workspace/didChangeWatchedFiles");
    client.send(json!({"jsonrpc": "2.0", "id": registration["id"], "result": null}));
    let policies = root.join("policies.kql");
    assert_eq!(codes(&client.diagnostics(&policies)), ["UP001"]);
    // A second policy file appears.
    let more = root.join("more.csl");
    let other = POLICIES.replace("Orders policy", "Other policy") + ".create table Other (Country:string)\n";
    std::fs::write(&more, other).unwrap();
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": uri(&more), "type": 1}]}));
    assert_eq!(codes(&client.diagnostics(&more)), ["UP001"]);
    // The function is fixed on disk (not open in the editor).
    std::fs::write(root.join("functions.kql"), FIXED_FUNCTIONS).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&root.join("functions.kql")), "type": 2}]}),
    );
    assert_eq!(client.diagnostics(&policies), Vec::<Value>::new());
    assert_eq!(client.diagnostics(&more), Vec::<Value>::new());
    // Breaking it again, and deleting the new file: its diagnostics are cleared.
    std::fs::write(root.join("functions.kql"), FUNCTIONS).unwrap();
    std::fs::remove_file(&more).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&root.join("functions.kql")), "type": 2}, {"uri": uri(&more), "type": 3}]}),
    );
    assert_eq!(codes(&client.diagnostics(&policies)), ["UP001"]);
    client.shutdown();
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn folders_that_cannot_be_walked_are_reported_and_the_rest_is_checked() {
    let root = project("loop");
    std::fs::create_dir_all(root.join("db")).unwrap();
    let back = root.join("db/back");
    std::os::unix::fs::symlink("..", &back).unwrap();
    let mut client = start(&root, json!({}));
    let found = client.diagnostics(&back);
    assert_eq!(codes(&found), ["UP902"]);
    assert!(found[0]["message"].as_str().unwrap().contains("loop"), "{found:?}");
    assert_eq!(codes(&client.diagnostics(&root.join("policies.kql"))), ["UP001"]);
    client.shutdown();
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn saving_the_configuration_reloads_the_project() {
    let root = project("config");
    let policies = root.join("policies.kql");
    let mut client = start(&root, json!({}));
    assert_eq!(codes(&client.diagnostics(&policies)), ["UP001"]);
    let config = root.join("uplint.toml");
    std::fs::write(&config, "[rules]\nignore = [\"UP001\"]\n").unwrap();
    client.notify("textDocument/didSave", json!({"textDocument": {"uri": uri(&config)}}));
    assert_eq!(client.diagnostics(&policies), Vec::<Value>::new());
    // A configuration that does not parse is reported, and the defaults are used.
    std::fs::write(&config, "[rules\n").unwrap();
    client.notify("textDocument/didSave", json!({"textDocument": {"uri": uri(&config)}}));
    let shown = client.wait(|m| m["method"] == "window/showMessage");
    assert!(shown["params"]["message"].as_str().unwrap().contains("uplint.toml"), "{shown}");
    assert_eq!(codes(&client.diagnostics(&policies)), ["UP001"]);
    client.shutdown();
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn suppression_comments_apply_in_the_editor() {
    let root = project("suppress");
    let policies = root.join("policies.kql");
    let mut client = start(&root, json!({}));
    assert_eq!(codes(&client.diagnostics(&policies)), ["UP001"]);
    let suppressed = POLICIES.replace(
        ".alter table Orders",
        "// uplint: allow(UP001) moved to an identity next release\n.alter table Orders",
    );
    open(&mut client, &policies, POLICIES);
    change(&mut client, &policies, 2, &suppressed);
    assert_eq!(client.diagnostics(&policies), Vec::<Value>::new());
    change(&mut client, &policies, 3, &suppressed.replace("allow(UP001)", "allow(UP004)"));
    assert_eq!(codes(&client.diagnostics(&policies)), ["UP903", "UP001"]);
    client.shutdown();
    std::fs::remove_dir_all(&root).unwrap();
}

/// A boolean property written as a string (UP211): a quick fix writes the boolean in place.
#[test]
fn a_string_boolean_is_written_as_the_boolean_by_a_code_action() {
    let root = project("string-boolean");
    let policies = root.join("policies.kql");
    let quoted = POLICIES.replace("\"IsTransactional\": true", "\"IsTransactional\": \"True\"");
    std::fs::write(&policies, &quoted).unwrap();
    let mut client = start(&root, json!({}));
    let diagnostics = client.diagnostics(&policies);
    assert!(codes(&diagnostics).contains(&"UP211".to_string()), "{diagnostics:#?}");
    open(&mut client, &policies, &quoted);

    // The edit replaces the string, quotes included.
    let title = "Write \"IsTransactional\" as the boolean true";
    quick_fix_replaces(&mut client, &policies, &quoted, "\"True\"", title, "UP211", "true");

    client.shutdown();
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_misspelled_policy_property_is_renamed_by_a_code_action() {
    let root = project("rename");
    let policies = root.join("policies.kql");
    // `IsTransactional` misspelled: UP202 says which property it means.
    let misspelled = POLICIES.replace("\"IsTransactional\"", "\"IsTransactinal\"");
    std::fs::write(&policies, &misspelled).unwrap();
    let mut client = start(&root, json!({}));
    let diagnostics = client.diagnostics(&policies);
    assert!(codes(&diagnostics).contains(&"UP202".to_string()), "{diagnostics:#?}");
    open(&mut client, &policies, &misspelled);

    // The edit replaces the name only, inside its quotes.
    let title = "Rename \"IsTransactinal\" to \"IsTransactional\"";
    quick_fix_replaces(&mut client, &policies, &misspelled, "IsTransactinal", title, "UP202", "IsTransactional");

    // Applied and saved, the finding is gone.
    change(&mut client, &policies, 2, POLICIES);
    client.notify("textDocument/didSave", json!({"textDocument": {"uri": uri(&policies)}}));
    let diagnostics = client.diagnostics(&policies);
    assert!(!codes(&diagnostics).contains(&"UP202".to_string()), "{diagnostics:#?}");

    client.shutdown();
    std::fs::remove_dir_all(&root).unwrap();
}
