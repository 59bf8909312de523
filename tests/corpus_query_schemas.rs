//! Output schemas of 500 corpus queries measured against Kusto.Language's: `tests/data/query-schemas.jsonl`
//! gives, for a deterministic sample of the corpus queries (`../shared/corpus/queries`, or
//! `$UPLINT_CORPUS/queries`, read by id) that read only tables of the current database, a schema
//! for each table and the oracle's `result_columns`/`result_open` for the query given those
//! schemas (made once by `tools/gen_query_schemas.js`; this test never runs the oracle). It
//! counts the queries whose output has the same columns, names and types (and openness);
//! `tests/corpus-query-schemas-known-differences.txt` may list differences with their reason
//! (at most 2%).

mod common;
use common::known_differences;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use uplint::kql::types::{EntityKind, EntityRef, Environment, ScalarType, TableType, Value, query_schema};

struct Tables(BTreeMap<String, TableType>);

impl Environment for Tables {
    fn entity(&mut self, entity: &EntityRef<'_>) -> Option<Value> {
        if entity.kind != EntityKind::Table || entity.database.is_some() || entity.cluster.is_some() {
            return None;
        }
        self.0.get(entity.name).cloned().map(Value::Table)
    }
}

fn describe(columns: &[(String, Option<ScalarType>)], open: bool) -> String {
    let mut parts: Vec<String> = columns.iter().map(|(n, t)| format!("{n}:{}", t.map_or("?", |t| t.name()))).collect();
    if open {
        parts.push("*".to_string());
    }
    format!("({})", parts.join(", "))
}

#[test]
fn query_output_schemas_agree_with_kusto_language() {
    let Some(dir) = common::corpus_path("queries") else { return };
    let mut texts = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        for line in std::fs::read_to_string(&path).unwrap().lines().filter(|l| !l.trim().is_empty()) {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            texts.insert(value["id"].as_str().unwrap().to_string(), value["query"].as_str().unwrap().to_string());
        }
    }
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/query-schemas.jsonl");
    let known = known_differences("corpus-query-schemas-known-differences.txt");
    let (mut total, mut equal) = (0, 0);
    let mut differences = Vec::new();
    let mut known_seen = BTreeSet::new();
    for line in std::fs::read_to_string(data).unwrap().lines().filter(|l| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = case["id"].as_str().unwrap().to_string();
        let text = texts.get(&id).unwrap_or_else(|| panic!("query {id} is not in the corpus"));
        let tables = case["tables"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, schema)| (name.clone(), schema.as_str().map_or_else(TableType::unknown, TableType::parse)))
            .collect();
        let theirs: Vec<(String, Option<ScalarType>)> = case["result_columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["name"].as_str().unwrap().to_string(), c["type"].as_str().and_then(ScalarType::parse)))
            .collect();
        let theirs_open = case["result_open"].as_bool().unwrap_or(false);
        let mine = query_schema(text, &mut Tables(tables));
        let mine_described = mine.as_ref().map(|t| {
            let columns: Vec<(String, Option<ScalarType>)> = t.columns.iter().map(|c| (c.name.clone(), c.ty)).collect();
            (columns, t.open)
        });
        total += 1;
        if mine_described.as_ref() == Some(&(theirs.clone(), theirs_open)) {
            equal += 1;
            continue;
        }
        if known.contains_key(&id) {
            known_seen.insert(id);
            continue;
        }
        let mine_text = mine_described.map_or("none".to_string(), |(c, o)| describe(&c, o));
        differences.push(format!("{id}: Kusto.Language {} uplint {mine_text}", describe(&theirs, theirs_open)));
    }
    let percent = 100.0 * equal as f64 / total.max(1) as f64;
    println!(
        "query schemas: {equal}/{total} equal ({percent:.2}%), {} listed known differences ({} seen), {} unlisted",
        known.len(),
        known_seen.len(),
        differences.len()
    );
    for difference in differences.iter().take(80) {
        println!("  {}", difference.chars().take(500).collect::<String>());
    }
    assert!(known.len() * 50 <= total, "more than 2% known differences");
    // The bar: 98% equal, every other query listed with its reason.
    assert!(percent >= 98.0, "schema agreement below 98%");
    assert!(differences.is_empty(), "{} unlisted differences", differences.len());
    let stale: Vec<&String> = known.keys().filter(|id| !known_seen.contains(*id)).collect();
    assert!(stale.is_empty(), "known differences that no longer occur: {stale:?}");
}
