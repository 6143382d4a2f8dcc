//! Regression tests for bugs this suite found in src/, one block per fix.

use crate::common::*;
use predicates::prelude::*;

// A bare (unsigned) checkpoint body was read with an extra blank line
// appended, so it never parsed ("line 4 of the checkpoint body is empty"):
// unsigned snapshots failed verify-snapshot and verify --against, `prove`
// without --key wrote nothing, and `prove --checkpoint` refused bare bodies.

#[test]
fn unsigned_snapshot_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snap.json");
    std::fs::write(&file, &shared().unsigned).unwrap();
    assert!(!Snap::parse(&shared().unsigned)
        .checkpoint()
        .contains("\n\n"));
    cli()
        .arg("verify-snapshot")
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("ok: 42 events"));
    // Asking for a signature on an unsigned snapshot is still a failure.
    cli()
        .arg("verify-snapshot")
        .arg(&file)
        .args(["--pubkey", &shared().pubkey])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAILED: checkpoint signature"));
}

#[test]
fn unsigned_old_snapshot_works_with_verify_against() {
    let fx = Fixture::seed();
    let old = fx.export("old.json", false);
    cli_at(&fx.store)
        .args(["verify", "--against"])
        .arg(&old)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "consistency proof of 0 hashes verified",
        ));
}

#[test]
fn unsigned_proof_bundle_is_written_and_verifies() {
    let fx = Fixture::seed();
    let out = fx.path("p.json");
    cli_at(&fx.store)
        .args(["prove", "--seq", "12", "--out"])
        .arg(&out)
        .assert()
        .success();
    cli()
        .arg("verify-proof")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("ok: event seq 12"));
    cli()
        .arg("verify-proof")
        .arg(&out)
        .arg("--pubkey")
        .arg(&fx.pubkey)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAILED: checkpoint signature"));
}

#[test]
fn prove_accepts_a_bare_checkpoint_file() {
    let fx = Fixture::seed();
    let a = cli_at(&fx.store).arg("checkpoint").assert().success();
    let cp = fx.path("cp");
    std::fs::write(&cp, stdout_of(&a)).unwrap();
    let out = fx.path("p.json");
    cli_at(&fx.store)
        .args(["prove", "--seq", "30", "--checkpoint"])
        .arg(&cp)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    cli()
        .arg("verify-proof")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("ok: event seq 30"));
}
