//! Baselines: `--write-baseline FILE` records the findings, `--baseline FILE` hides them, keyed
//! without line numbers, and says how many recorded findings no longer occur.

use std::path::Path;

use uplint::cli::Status;

mod common;
use common::{copy_demo, uplint_in as uplint};

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from}");
    std::fs::write(path, text.replace(from, to)).unwrap();
}

#[test]
fn adopting_uplint_with_a_baseline() {
    let dir = copy_demo("adopt");
    let (_, json, _) = uplint(&dir, &["check", ".", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let total = report["diagnostics"].as_array().unwrap().len();
    assert!(total >= 6, "{json}");
    let (status, _, err) = uplint(&dir, &["check", ".", "--write-baseline", "uplint-baseline.json"]);
    assert_eq!(status, Status::Success, "writing a baseline succeeds: {err}");
    assert!(err.contains(&format!("recorded {total} findings")), "{err}");
    let baseline: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("uplint-baseline.json")).unwrap()).unwrap();
    assert_eq!(baseline["version"], 1);
    let entry = &baseline["entries"][0];
    assert!(
        entry.get("line").is_none() && entry["entity"].as_str().unwrap().starts_with("update policy entry Sales."),
        "{entry}"
    );

    let (status, out, err) = uplint(&dir, &["check", ".", "--baseline", "uplint-baseline.json", "--format", "concise"]);
    assert_eq!((status, out.as_str()), (Status::Success, ""), "{err}");
    assert!(
        err.contains(&format!("{total} known findings hidden by the baseline; 0 baseline entries no longer occur")),
        "{err}"
    );

    // Lines move: still hidden.
    edit(&dir.join("sales/policies.kql"), "\n\n", "\n\n// a comment\n\n");
    let (status, out, _) = uplint(&dir, &["check", ".", "--baseline", "uplint-baseline.json", "--format", "concise"]);
    assert_eq!((status, out.as_str()), (Status::Success, ""));

    // One finding fixed, one new one: the new one is reported, the fixed one counted.
    let policies = dir.join("sales/policies.kql");
    edit(&policies, r#""ParseOrders() | project OrderId, Amount""#, r#""EnrichOrders() | project OrderId, Amount""#);
    edit(&policies, r#""ManagedIdentity": "sales-ingestion""#, r#""ManagedIdentity": "system""#);
    let (status, out, err) = uplint(&dir, &["check", ".", "--baseline", "uplint-baseline.json", "--format", "concise"]);
    assert_eq!(status, Status::Success, "UP005 is a warning: {out}");
    assert!(out.contains("warning[UP005]") && out.contains("Sales.Metrics"), "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(err.contains("1 baseline entries no longer occur (refresh it with --write-baseline)"), "{err}");

    let (status, _, err) = uplint(&dir, &["check", ".", "--baseline", "missing.json"]);
    assert_eq!(status, Status::Error);
    assert!(err.contains("cannot read the baseline"), "{err}");
    std::fs::write(dir.join("bad.json"), "{\"version\": 7, \"entries\": []}").unwrap();
    assert_eq!(uplint(&dir, &["check", ".", "--baseline", "bad.json"]).0, Status::Error);
    std::fs::remove_dir_all(&dir).unwrap();
}
