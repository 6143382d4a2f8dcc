//! The files in schemas/ are what the types generate, and they accept the
//! inputs and outputs claimlog really uses and refuse what it refuses.
//! Regenerate with `CLAIMLOG_WRITE_SCHEMAS=1 cargo test --test schemas`.

use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

#[test]
fn committed_schemas_match_the_types() {
    for (name, text) in claimlog::schemas() {
        let path = dir().join(name);
        if std::env::var_os("CLAIMLOG_WRITE_SCHEMAS").is_some() {
            std::fs::write(&path, &text).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            committed, text,
            "{name} is stale: run CLAIMLOG_WRITE_SCHEMAS=1 cargo test --test schemas"
        );
    }
}

fn validator(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(dir().join(name)).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

/// Good and bad import lines: the schema and the parser must agree on each.
#[test]
fn import_schema_and_parser_agree_on_a_corpus() {
    let v = validator("import-line.schema.json");
    let seed = include_str!("../docs/examples/seed-claims.jsonl");
    let mut corpus: Vec<(String, bool)> = seed.lines().map(|l| (l.to_string(), true)).collect();
    let claim = r#"{"type":"claim","metric":"people_returned","quantity":{"exact":5},"scope":{"kind":"event","date":"2024-01-31"},"source":"rubryka","published":"unknown","quote":"five"}"#;
    corpus.push((claim.into(), true));
    let bad = [
        claim.replace("people_returned", "People-Returned"),
        claim.replace(r#"{"exact":5}"#, r#"{"exact":1.5}"#),
        claim.replace(r#"{"exact":5}"#, r#"{"exact":5,"approx":4}"#),
        claim.replace(r#""date":"2024-01-31""#, r#""date":"2024-1-31""#),
        claim.replace(r#""quote":"five""#, r#""quote":"""#),
        claim.replace(
            r#""published":"unknown""#,
            r#""published":"unknown","colour":"red""#,
        ),
        claim.replace(r#""kind":"event""#, r#""kind":"epoch""#),
        claim.replace(r#","published":"unknown""#, ""),
        claim.replace(r#""type":"claim""#, r#""type":"clam""#),
        r#"{"type":"source","id":"Bad Id","name":"x","kind":"media"}"#.to_string(),
        r#"{"type":"source","id":"ok","name":"x","kind":"blog"}"#.to_string(),
        r#"{"type":"source","id":"ok","name":"x","kind":"media","homepage":"ftp://x"}"#.to_string(),
        r#"{"type":"retract","claim":"abcd","reason":"","extra":1}"#.to_string(),
    ];
    corpus.extend(bad.into_iter().map(|l| (l, false)));
    corpus.push((
        r#"{"type":"retract","line":3,"reason":"withdrawn by the outlet"}"#.into(),
        true,
    ));
    for (line, expect_ok) in corpus {
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        let schema_ok = v.is_valid(&value);
        let parser_ok = claimlog::parse_line(&line).is_ok();
        assert_eq!(schema_ok, expect_ok, "schema verdict on {line}");
        assert_eq!(
            parser_ok,
            expect_ok,
            "parser verdict on {line}: {:?}",
            claimlog::parse_line(&line).err()
        );
    }
}
