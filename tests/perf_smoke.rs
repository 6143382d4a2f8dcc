//! The performance suite's smoke run for CI (benches/run.sh,
//! docs/PERFORMANCE.md), at the 10k size: `gen-workload` is deterministic,
//! every line it writes imports, the store verifies, queries, exports and
//! proves. Correctness only: nothing here asserts a time.

use assert_cmd::Command;
use std::path::Path;

fn claimlog(store: &Path) -> Command {
    let mut c = Command::cargo_bin("claimlog").expect("the claimlog binary");
    c.env_remove("CLAIMLOG_STORE").arg("--store").arg(store);
    c
}

#[test]
fn generated_workload_imports_and_verifies() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = tmp.path().join("store");
    let (a, b) = (tmp.path().join("a.jsonl"), tmp.path().join("b.jsonl"));
    for f in [&a, &b] {
        claimlog(&store)
            .args(["gen-workload", "--claims", "10000", "--seed", "7", "--out"])
            .arg(f)
            .assert()
            .success();
    }
    let text = std::fs::read_to_string(&a).expect("workload");
    assert_eq!(text, std::fs::read_to_string(&b).expect("workload"));
    let lines: Vec<&str> = text.lines().collect();
    let count = |ty: &str| {
        let tag = format!("\"type\":\"{ty}\"");
        lines.iter().filter(|l| l.contains(&tag)).count()
    };
    assert_eq!(count("source"), 50);
    assert_eq!(count("claim"), 10_000);
    assert!(count("retract") > 0 && count("correct") > 0);
    let per_line = text.len() / lines.len();
    assert!((250..=500).contains(&per_line), "{per_line} bytes a line");

    claimlog(&store)
        .args(["init", "--origin", "bench.example/smoke"])
        .assert()
        .success();
    let out = claimlog(&store)
        .args(["import", "--json"])
        .arg(&a)
        .assert()
        .success();
    let o: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).expect("json");
    assert_eq!(o["lines"], lines.len() as u64);
    assert_eq!(o["sources_added"], 50);
    assert_eq!(o["retracted"], count("retract") as u64);
    assert_eq!(o["corrected"], count("correct") as u64);
    assert_eq!(
        o["claims_added"].as_u64().expect("n") + o["duplicate_claims_skipped"].as_u64().expect("n"),
        10_000
    );
    claimlog(&store).arg("verify").assert().success();
    claimlog(&store)
        .args(["total", "--metric", "people_returned", "--period", "2024"])
        .assert()
        .success();
}

/// An unsigned snapshot and an unsigned proof bundle verify (their
/// checkpoint is a bare body, with no blank line before signatures).
#[test]
fn unsigned_snapshot_and_proof_verify() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = tmp.path().join("store");
    let w = tmp.path().join("w.jsonl");
    claimlog(&store)
        .args(["gen-workload", "--claims", "200", "--out"])
        .arg(&w)
        .assert()
        .success();
    claimlog(&store).arg("init").assert().success();
    claimlog(&store).arg("import").arg(&w).assert().success();
    let snap = tmp.path().join("snap.json");
    claimlog(&store)
        .arg("export")
        .arg("--out")
        .arg(&snap)
        .assert()
        .success();
    claimlog(&store)
        .arg("verify-snapshot")
        .arg(&snap)
        .assert()
        .success();
    let proof = tmp.path().join("proof.json");
    claimlog(&store)
        .args(["prove", "--seq", "100", "--out"])
        .arg(&proof)
        .assert()
        .success();
    claimlog(&store)
        .arg("verify-proof")
        .arg(&proof)
        .assert()
        .success();
}
