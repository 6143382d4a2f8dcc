//! export -> restore -> export reproduces the snapshot and the JSONL dump
//! byte for byte; the restored store answers like the source; restoring a
//! tampered input fails and leaves nothing behind.

use crate::common::*;
use claimlog::export;
use predicates::prelude::*;
use serde_json::json;
use std::path::Path;

/// The snapshot text without its `exported_at` line.
fn without_exported_at(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[2].starts_with("  \"exported_at\": "));
    lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, l)| *l)
        .collect::<Vec<_>>()
        .join("\n")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

/// `export --format jsonl` of `store` to `out`; returns `out`.
fn jsonl_dump(store: &Path, out: &Path) -> std::path::PathBuf {
    cli_at(store)
        .args(["export", "--format", "jsonl", "--out"])
        .arg(out)
        .assert()
        .success();
    out.to_path_buf()
}

fn restore(store: &Path, file: &Path) -> assert_cmd::assert::Assert {
    cli_at(store).arg("restore").arg(file).assert()
}

#[test]
fn snapshot_export_restore_export_is_identical_but_exported_at() {
    let fx = Fixture::seed();
    for signed in [false, true] {
        let first = fx.export(&format!("first-{signed}.json"), signed);
        let r = fx.path(&format!("restored-{signed}"));
        restore(&r, &first)
            .success()
            .stdout(predicate::str::starts_with("restored 42 events"));
        let mut c = cli_at(&r);
        let second = fx.path(&format!("second-{signed}.json"));
        c.args(["export", "--out"]).arg(&second);
        if signed {
            // Ed25519 signatures are deterministic: same key, same body,
            // same signature line.
            c.arg("--key").arg(&fx.key);
        }
        c.assert().success();
        assert_eq!(
            without_exported_at(&read(&first)),
            without_exported_at(&read(&second)),
            "signed: {signed}"
        );
    }
}

#[test]
fn jsonl_dump_restore_dump_is_identical() {
    let fx = Fixture::seed();
    let dump = jsonl_dump(&fx.store, &fx.path("dump.jsonl"));
    assert_eq!(read(&dump).lines().count() as u64, SEED_EVENTS);
    let r = fx.path("restored");
    restore(&r, &dump).success();
    let again = fx.path("again.jsonl");
    jsonl_dump(&r, &again);
    assert_eq!(read(&dump), read(&again));
    // And the snapshots of both stores agree too.
    let a = fx.export("a.json", false);
    let b = fx.path("b.json");
    cli_at(&r)
        .args(["export", "--out"])
        .arg(&b)
        .assert()
        .success();
    assert_eq!(
        without_exported_at(&read(&a)),
        without_exported_at(&read(&b))
    );
}

#[test]
fn restored_store_has_the_same_head_and_totals() {
    let fx = Fixture::seed();
    let snap = fx.export("snap.json", true);
    let r = fx.path("restored");
    restore(&r, &snap).success();
    let out = |store: &Path, args: &[&str]| {
        let a = cli_at(store).args(args).assert().success();
        stdout_of(&a)
    };
    assert_eq!(
        out(&fx.store, &["head", "--json"]),
        out(&r, &["head", "--json"])
    );
    cli_at(&r).args(["verify", "--deep"]).assert().success();
    // Every standard total (each metric, all time and per year), via the CLI.
    let totals = Snap::parse(&read(&snap)).get("totals");
    let totals = totals.as_array().unwrap();
    assert!(totals.len() > 5);
    for t in totals {
        let mut args = vec!["total", "--json", "--metric", t["metric"].as_str().unwrap()];
        if let Some(p) = t["period"].as_str() {
            args.extend(["--period", p]);
        }
        let source = out(&fx.store, &args);
        assert_eq!(source, out(&r, &args), "{args:?}");
        assert!(source.contains("\"answer\""));
    }
    // The library agrees on all of them at once.
    let (a, b) = (open_store(&fx.store), open_store(&r));
    let ta = serde_json::to_value(
        export::standard_totals(a.cache())
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap(),
    )
    .unwrap();
    let tb = serde_json::to_value(
        export::standard_totals(b.cache())
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(ta, tb);
    assert_eq!(a.head(), b.head());
    assert_eq!(export::log_root(&a).unwrap(), export::log_root(&b).unwrap());
}

/// Each tampered input is refused (exit 1) and no store directory is left.
#[test]
fn restore_of_a_tampered_snapshot_fails_and_leaves_no_directory() {
    let base = Snap::parse(&shared().signed);
    let k = base.first_claim_seq() as usize;
    type Edit = Box<dyn Fn(&mut Snap)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "record json",
            Box::new(move |s| s.events[k].record["event"]["quote"] = json!("Nope.")),
            "the readable record JSON",
        ),
        (
            "bytes",
            Box::new(move |s| {
                let mut b = b64_decode(&s.events[k].bytes);
                let n = b.len();
                b[n / 2] ^= 4;
                s.events[k].bytes = b64_encode(&b);
            }),
            "event seq",
        ),
        (
            "hash",
            Box::new(move |s| s.events[k].hash.0[3] ^= 1),
            "hash mismatch",
        ),
        (
            "swapped",
            Box::new(|s| s.events.swap(30, 31)),
            "out of order",
        ),
        (
            "deleted",
            Box::new(|s| {
                s.events.remove(30);
            }),
            "out of order",
        ),
        (
            "duplicated",
            Box::new(|s| {
                let e = s.events[30].clone();
                s.events.insert(30, e);
            }),
            "out of order",
        ),
        (
            "deleted last",
            Box::new(|s| {
                s.events.pop();
            }),
            "Merkle root differs",
        ),
        (
            "root",
            Box::new(|s| s.set("root", json!(claimlog::Hash32([1; 32])))),
            "Merkle root differs",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, edit, reason) in cases {
        let mut s = base.clone();
        edit(&mut s);
        let file = dir.path().join("tampered.json");
        s.write(&file);
        let store = dir.path().join("restored");
        restore(&store, &file)
            .code(1)
            .stderr(predicate::str::contains("restore failed"))
            .stderr(predicate::str::contains(reason));
        assert!(
            !store.exists(),
            "{name}: the store directory was left behind"
        );
    }
}

#[test]
fn restore_of_a_tampered_jsonl_dump_fails_and_leaves_no_directory() {
    let fx = Fixture::seed();
    let dump = jsonl_dump(&fx.store, &fx.path("dump.jsonl"));
    let mut lines: Vec<String> = read(&dump).lines().map(String::from).collect();
    let mut ev: serde_json::Value = serde_json::from_str(&lines[25]).unwrap();
    ev["record"]["recorded_at_ms"] = json!(0);
    lines[25] = ev.to_string();
    let bad = fx.path("bad.jsonl");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let r = fx.path("restored");
    restore(&r, &bad).code(1).stderr(predicate::str::contains(
        "event seq 25: the readable record JSON does not match",
    ));
    assert!(!r.exists());
}

/// A tamper past the first batch of 4096 events fails after the store was
/// created and partly written: it is removed all the same.
#[test]
fn restore_failing_after_the_first_batch_removes_the_partial_store() {
    let fx = Fixture::empty();
    let mut s = claimlog::Store::create(
        &fx.store,
        claimlog::Origin::new(ORIGIN).unwrap(),
        claimlog::StoreOptions::default(),
    )
    .unwrap();
    let mut lines = String::from(r#"{"type":"source","id":"src","name":"Source","kind":"media"}"#);
    for i in 0..4200 {
        lines += &format!(
            "\n{{\"type\":\"claim\",\"metric\":\"people_returned\",\"quantity\":{{\"exact\":{}}},\"scope\":{{\"kind\":\"event\",\"date\":\"2024-02-{:02}\"}},\"source\":\"src\",\"published\":\"unknown\",\"quote\":\"claim {i}\"}}",
            i + 1,
            i % 28 + 1
        );
    }
    claimlog::import(&mut s, lines.as_bytes()).unwrap();
    let mut dump = Vec::new();
    export::write_jsonl(&s, &mut dump).unwrap();
    drop(s);
    let mut lines: Vec<String> = String::from_utf8(dump)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert!(lines.len() > 4096 + 100);
    lines.swap(4150, 4151);
    let bad = fx.path("bad.jsonl");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let r = fx.path("restored");
    restore(&r, &bad)
        .code(1)
        .stderr(predicate::str::contains("event seq 4150: out of order"));
    assert!(!r.exists());
}

#[test]
fn restore_refuses_a_directory_that_holds_a_store() {
    let fx = Fixture::seed();
    let snap = fx.export("snap.json", false);
    let head_before = open_store(&fx.store).head();
    restore(&fx.store, &snap)
        .code(1)
        .stderr(predicate::str::contains("already holds a store"));
    assert_eq!(open_store(&fx.store).head(), head_before);
    cli_at(&fx.store).arg("verify").assert().success();
}

/// A JSONL dump has no root: cut at a line boundary it is still a valid,
/// shorter log. `restore --checkpoint` pins it to a signed checkpoint of the
/// source, and then refuses the short dump and leaves nothing behind.
#[test]
fn restore_with_a_checkpoint_refuses_a_jsonl_dump_cut_at_a_line_boundary() {
    let fx = Fixture::seed();
    let dump = jsonl_dump(&fx.store, &fx.path("dump.jsonl"));
    let cp = fx.path("checkpoint.txt");
    let out = cli_at(&fx.store)
        .args(["checkpoint", "--key"])
        .arg(&fx.key)
        .assert()
        .success();
    std::fs::write(&cp, &out.get_output().stdout).unwrap();
    let whole = read(&dump);
    let lines: Vec<&str> = whole.lines().collect();
    let short = fx.path("short.jsonl");
    std::fs::write(&short, lines[..lines.len() - 3].join("\n") + "\n").unwrap();

    // Unpinned, the short dump restores: nothing in it is wrong.
    let r = fx.path("unpinned");
    restore(&r, &short).success();

    let pinned = |name: &str, file: &Path| {
        let r = fx.path(name);
        let a = cli_at(&r)
            .arg("restore")
            .arg(file)
            .arg("--checkpoint")
            .arg(&cp)
            .arg("--pubkey")
            .arg(&fx.pubkey)
            .assert();
        (r, a)
    };
    let (r, a) = pinned("short-pinned", &short);
    a.code(1).stderr(predicate::str::contains(format!(
        "checkpoint: tree size {SEED_EVENTS} but the log has {} events",
        SEED_EVENTS - 3
    )));
    assert!(!r.exists());
    let (r, a) = pinned("whole-pinned", &dump);
    a.success();
    assert!(r.join("log").is_dir());

    // A checkpoint signed by another key is refused when a key is required.
    let other = fx.path("other.pub");
    std::fs::write(&other, format!("{}\n", signer(9).verifier_key_string())).unwrap();
    let r = fx.path("wrong-key");
    cli_at(&r)
        .arg("restore")
        .arg(&dump)
        .arg("--checkpoint")
        .arg(&cp)
        .arg("--pubkey")
        .arg(&other)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("signature"));
    assert!(!r.exists());
}
