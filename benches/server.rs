//! `uplint server` driven over standard input and output on a generated 10,000-file project:
//! the time from an edit (change and save) to the diagnostics it changes in another file.
//!
//! `cargo bench --bench server` prints the start-up check time and the latencies of re-checks
//! after edits (median, 90th percentile, maximum), of hovers, and of a debounced change. The
//! goal for a re-check is 50 ms. `UPLINT_BENCH_FILES` changes the project size.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;

const DATABASES: usize = 20;

/// Writes the project: per database, files of tables, functions (in call chains), update
/// policies and queries; `hot.kql` holds the function edited, `hot_policy.kql` the policy that
/// calls it.
fn generate(root: &Path, files: usize) -> (PathBuf, PathBuf) {
    let per_database = files.div_ceil(DATABASES);
    let mut written = 0;
    for db in 0..DATABASES {
        let dir = root.join(format!("db{db}"));
        std::fs::create_dir_all(&dir).unwrap();
        let connect = format!("#connect cluster('bench.westeurope').database('Db{db}')\n\n");
        for j in 0..per_database {
            if written == files - 2 {
                break;
            }
            let group = j / 5 * 5;
            let mut text = connect.clone();
            match j % 5 {
                0 => {
                    for t in ["a", "b", "c", "d"] {
                        text.push_str(&format!(".create-merge table T{group}_{t} (A:string, B:long, C:datetime)\n"));
                    }
                }
                1 | 2 => {
                    for k in 0..3 {
                        let body = if group >= 5 && k == 0 {
                            format!("F{}_{}_1() | where B > {k}", group - 5, j)
                        } else {
                            format!("T{group}_a | where A != \"x{k}\" | project A, B, C")
                        };
                        text.push_str(&format!(
                            "// Function {k} of file {j}.\n.create-or-alter function with (folder = \"F\") F{group}_{j}_{k}() {{\n    {body}\n}}\n\n"
                        ));
                    }
                }
                3 => {
                    for (k, t) in ["b", "c"].iter().enumerate() {
                        text.push_str(&format!(
                            ".alter table T{group}_{t} policy update\n@'[{{\"IsEnabled\": true, \"Source\": \"T{group}_a\", \"Query\": \"F{group}_{}_{k}() | project A, B, C\", \"IsTransactional\": false}}]'\n\n",
                            group + 1 + k
                        ));
                    }
                }
                _ => {
                    text.push_str(&format!(
                        "T{group}_a\n| where C > ago(1d)\n| summarize count() by A\n| order by A\n\nT{group}_b | take 10\n"
                    ));
                }
            }
            std::fs::write(dir.join(format!("f{j:05}.kql")), text).unwrap();
            written += 1;
        }
    }
    let hot = root.join("db0/hot.kql");
    std::fs::write(&hot, hot_function(false)).unwrap();
    let policy = root.join("db0/hot_policy.kql");
    std::fs::write(
        &policy,
        "#connect cluster('bench.westeurope').database('Db0')\n\n.create-merge table Sink (A:string, B:long, C:datetime)\n\
         .alter table Sink policy update\n@'[{\"IsEnabled\": true, \"Source\": \"T0_a\", \"Query\": \"Hot()\", \"IsTransactional\": false}]'\n",
    )
    .unwrap();
    (hot, policy)
}

/// The edited function: reading its own database, or another one (which the policy's missing
/// identity makes an error).
fn hot_function(cross_database: bool) -> String {
    let source = if cross_database { "database('Db1').T0_a" } else { "T0_a" };
    format!(
        "#connect cluster('bench.westeurope').database('Db0')\n\n.create-or-alter function Hot() {{\n    {source}\n    | project A, B, C\n}}\n"
    )
}

#[path = "../tests/lsp_client/mod.rs"]
mod lsp_client;
use lsp_client::{Client, uri};

/// Waits for diagnostics of `uri` that include UP001 (`present`) or do not, skipping any
/// published before (the start-up check's, an earlier edit's).
fn wait_for_up001(client: &mut Client, uri: &str, present: bool) {
    client.wait(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri
            && m["params"]["diagnostics"].as_array().unwrap().iter().any(|d| d["code"] == "UP001") == present
    });
}

/// The processor time the server's main thread (where it checks) has used, in milliseconds
/// (Linux; `None` elsewhere). On a busy machine the wall-clock latency includes waiting for a
/// core; this does not.
fn cpu_ms(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/schedstat")).ok()?;
    Some(stat.split_whitespace().next()?.parse::<f64>().ok()? / 1e6)
}

/// The processor time all the server's threads have used (the main thread and the workers
/// that check in parallel), in milliseconds (Linux; `None` elsewhere).
fn process_cpu_ms(pid: u32) -> Option<f64> {
    let mut total = 0.0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<f64>().ok()? / 1e6;
    }
    Some(total)
}

fn summary(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name}: median {:.1} ms, p90 {:.1} ms, max {:.1} ms ({} runs)",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 9 / 10]),
        ms(*times.last().unwrap()),
        times.len()
    );
}

fn main() {
    // `cargo test --benches` runs this once too: keep that quick.
    let files: usize = std::env::var("UPLINT_BENCH_FILES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if std::env::args().any(|a| a == "--bench") { 10_000 } else { 200 });
    let root = std::env::temp_dir().join(format!("uplint-bench-server-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let root = root.canonicalize().unwrap();
    let (hot, policy) = generate(&root, files);
    let bytes: u64 = walk_size(&root);
    println!("project: {files} files, {:.1} MB", bytes as f64 / 1e6);

    let mut server = Client::spawn(Duration::from_secs(300), true);
    let started = Instant::now();
    server.initialize(&root, json!({}));
    let (hot_uri, policy_uri) = (uri(&hot), uri(&policy));
    server.wait(|m| m["method"] == "window/logMessage" && m["params"]["message"].as_str().unwrap().contains("checked"));
    println!("start-up (load and check everything): {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);

    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": hot_uri, "languageId": "kusto", "version": 1, "text": hot_function(false)}}),
    );
    let runs = if files >= 1000 { 30 } else { 4 };
    let mut recheck = Vec::new();
    let mut cpu = Vec::new();
    let mut process_cpu = Vec::new();
    let pid = server.child.id();
    for run in 0..runs {
        let cpu_before = cpu_ms(pid);
        let process_before = process_cpu_ms(pid);
        let cross = run % 2 == 0;
        server.discard_backlog();
        let started = Instant::now();
        server.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": hot_uri, "version": run + 2}, "contentChanges": [{"text": hot_function(cross)}]}),
        );
        server.notify("textDocument/didSave", json!({"textDocument": {"uri": hot_uri}}));
        wait_for_up001(&mut server, &policy_uri, cross);
        recheck.push(started.elapsed());
        if let (Some(before), Some(after)) = (cpu_before, cpu_ms(pid)) {
            cpu.push(Duration::from_secs_f64((after - before) / 1000.0));
        }
        if let (Some(before), Some(after)) = (process_before, process_cpu_ms(pid)) {
            process_cpu.push(Duration::from_secs_f64((after - before) / 1000.0));
        }
    }
    summary("edit, save -> diagnostics of the policy in another file (wall clock)", recheck);
    if !cpu.is_empty() {
        summary("the same, processor time of the server's main thread", cpu);
    }
    if !process_cpu.is_empty() {
        summary("the same, processor time of all the server's threads", process_cpu);
    }

    let mut hovers = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let hover = server.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": policy_uri}, "position": {"line": 4, "character": 60}}),
        );
        hovers.push(started.elapsed());
        assert!(hover["contents"]["value"].as_str().unwrap().contains("update policy"), "{hover}");
    }
    summary("hover on the policy entry", hovers);

    server.discard_backlog();
    let started = Instant::now();
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": hot_uri, "version": 1000}, "contentChanges": [{"text": hot_function(runs % 2 == 0)}]}),
    );
    wait_for_up001(&mut server, &policy_uri, runs % 2 == 0);
    println!("edit (debounced, no save) -> diagnostics: {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);

    server.shutdown();
    std::fs::remove_dir_all(&root).unwrap();
}

fn walk_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() { walk_size(&e.path()) } else { e.metadata().unwrap().len() }
        })
        .sum()
}
