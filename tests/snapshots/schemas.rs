//! The files `export` and `prove` write validate against the published
//! schemas in schemas/.

use crate::common::*;
use serde_json::Value;

fn validator(name: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(name);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

use std::path::Path;

fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v.iter_errors(doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

#[test]
fn exported_snapshots_validate_against_the_snapshot_schema() {
    let v = validator("snapshot.schema.json");
    for (what, text) in [
        ("signed", &shared().signed),
        ("unsigned", &shared().unsigned),
    ] {
        let doc: Value = serde_json::from_str(text).unwrap();
        assert_valid(&v, &doc, what);
    }
    // The validator is not vacuous: an unknown field or a bad hash is refused.
    let mut doc: Value = serde_json::from_str(&shared().signed).unwrap();
    doc["extra"] = Value::Bool(true);
    assert!(!v.is_valid(&doc));
    let mut doc: Value = serde_json::from_str(&shared().signed).unwrap();
    doc["root"] = Value::String("XYZ".into());
    assert!(!v.is_valid(&doc));
}

#[test]
fn proof_bundles_validate_against_the_proof_schema() {
    let v = validator("proof.schema.json");
    let doc: Value = serde_json::from_str(&shared().bundle).unwrap();
    assert_valid(&v, &doc, "signed bundle");
    let fx = Fixture::seed();
    let cp = fx.path("cp");
    let a = cli_at(&fx.store).arg("checkpoint").assert().success();
    std::fs::write(&cp, stdout_of(&a)).unwrap();
    for args in [
        vec!["prove", "--seq", "0"],
        vec!["prove", "--seq", "41"],
        vec!["prove", "--seq", "9", "--checkpoint", cp.to_str().unwrap()],
    ] {
        let a = cli_at(&fx.store).args(&args).assert().success();
        let doc: Value = serde_json::from_str(&stdout_of(&a)).unwrap();
        assert_valid(&v, &doc, &format!("{args:?}"));
    }
    let mut doc: Value = serde_json::from_str(&shared().bundle).unwrap();
    doc.as_object_mut().unwrap().remove("inclusion_proof");
    assert!(!v.is_valid(&doc));
}

#[test]
fn jsonl_dump_lines_validate_as_snapshot_events() {
    let v = validator("snapshot.schema.json");
    let fx = Fixture::seed();
    let a = cli_at(&fx.store)
        .args(["export", "--format", "jsonl", "--out", "-"])
        .assert()
        .success();
    let events: Vec<Value> = stdout_of(&a)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len() as u64, SEED_EVENTS);
    // A snapshot made of the dump's events validates, so each line does.
    let mut doc: Value = serde_json::from_str(&shared().unsigned).unwrap();
    doc["events"] = Value::Array(events);
    assert_valid(&v, &doc, "dump events");
}
