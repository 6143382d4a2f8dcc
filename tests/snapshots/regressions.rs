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

// A failed restore ran remove_dir_all on the --store directory, even one
// that existed before with the user's own files in it (`--store ~/docs`).

#[test]
fn failed_restore_into_an_existing_directory_keeps_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Snap::parse(&shared().signed);
    s.set("root", serde_json::json!(claimlog::Hash32([1; 32])));
    let bad = dir.path().join("bad.json");
    s.write(&bad);
    let target = dir.path().join("mine");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("notes.txt"), "keep me").unwrap();
    cli_at(&target)
        .arg("restore")
        .arg(&bad)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("Merkle root differs"));
    let left: Vec<_> = std::fs::read_dir(&target)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec!["notes.txt"], "only the user's file remains");
    assert_eq!(
        std::fs::read_to_string(target.join("notes.txt")).unwrap(),
        "keep me"
    );
    // An input that fails before any event is read: the same.
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "[1, 2, 3]").unwrap();
    cli_at(&target)
        .arg("restore")
        .arg(&garbage)
        .assert()
        .code(1);
    assert!(target.join("notes.txt").exists());
    // A directory restore made itself is still removed.
    let fresh = dir.path().join("fresh");
    cli_at(&fresh).arg("restore").arg(&bad).assert().code(1);
    assert!(!fresh.exists());
}

// restore only checked the root when the snapshot's "root" parsed as a
// hash: with it removed or garbled, a snapshot cut short (or otherwise
// changed consistently) was restored without complaint.

#[test]
fn restore_refuses_a_snapshot_with_no_usable_root() {
    let dir = tempfile::tempdir().unwrap();
    let base = Snap::parse(&shared().signed);
    let mut cut_no_root = base.clone();
    cut_no_root.events.truncate(30);
    cut_no_root.remove("root");
    let mut cut_bad_root = base.clone();
    cut_bad_root.events.truncate(30);
    cut_bad_root.set("root", serde_json::json!("not a hash"));
    for (s, reason) in [
        (&cut_no_root, "the snapshot has no root"),
        (&cut_bad_root, "root: not a hex hash"),
    ] {
        let file = dir.path().join("bad.json");
        s.write(&file);
        let store = dir.path().join("restored");
        cli_at(&store)
            .arg("restore")
            .arg(&file)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(reason));
        assert!(!store.exists());
    }
}

/// Regression: restore checked only the events and the root; a snapshot
/// whose totals, head, tree size or checkpoint did not follow from its
/// events restored anyway. Each now fails and leaves no store behind.
#[test]
fn restore_refuses_a_snapshot_whose_members_do_not_follow_from_its_events() {
    use crate::common::shared;
    type Tamper = Box<dyn Fn(&mut serde_json::Value)>;
    let tampered: Vec<(&str, Tamper)> = vec![
        (
            "totals",
            Box::new(|v| v["totals"][0]["answer"]["estimate"]["best"] = 1.into()),
        ),
        ("head", Box::new(|v| v["head"]["seq"] = 3.into())),
        ("tree_size", Box::new(|v| v["tree_size"] = 41.into())),
        (
            "checkpoint",
            Box::new(|v| v["checkpoint"] = "someone.else/log\n42\nAAAA\n".into()),
        ),
        (
            "sources",
            Box::new(|v| v["sources"] = serde_json::json!([])),
        ),
    ];
    for (what, tamper) in tampered {
        let mut v: serde_json::Value = serde_json::from_str(&shared().unsigned).unwrap();
        tamper(&mut v);
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("restored");
        let res = claimlog::export::restore(&dir, std::io::Cursor::new(v.to_string()), false);
        let err = res
            .err()
            .unwrap_or_else(|| panic!("{what}: a tampered snapshot restored"));
        assert!(err.to_string().contains(what), "{what}: {err}");
        assert!(!dir.exists(), "{what}: the partial store was removed");
    }
}

// verify-snapshot read a named file twice (to fill its replay cache in one
// sorted pass); a pipe named as a file was drained by the first read, and
// a valid snapshot was reported FAILED (exit 1). Anything but a regular
// file is now read once.

#[cfg(unix)]
#[test]
fn verify_snapshot_of_a_pipe_reads_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("snap.fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(&fifo, &shared().unsigned).unwrap())
    };
    cli()
        .arg("verify-snapshot")
        .arg(&fifo)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("ok: 42 events"));
    writer.join().unwrap();
}

// verify-snapshot of a file reads it twice: the first pass names the claims
// later events retract or correct, so that the replay keeps them where it
// can read them back. The seed store has neither; this store has both, and
// its snapshot must verify (a claim the first pass failed to name would be
// "not found" when its retraction is replayed).

#[test]
fn verify_snapshot_of_a_file_replays_retractions_and_corrections() {
    let fx = Fixture::seed();
    let (moved, mut corrected) = seed_claim_and_correction();
    corrected["quantity"] = serde_json::json!({"exact": 64});
    let mut other = moved.clone();
    other["quantity"] = serde_json::json!({"exact": 65});
    let lines = [
        moved.to_string(),
        other.to_string(),
        r#"{"type":"retract","line":1,"reason":"withdrawn by the outlet"}"#.to_string(),
        serde_json::json!({"type": "correct", "line": 2, "reason": "the outlet corrected it", "new": corrected})
            .to_string(),
    ];
    fx.import("ends.jsonl", &(lines.join("\n") + "\n"));
    let snap = fx.export("ends.json", false);
    cli()
        .arg("verify-snapshot")
        .arg(&snap)
        .assert()
        .success()
        .stdout(predicate::str::starts_with(format!(
            "ok: {} events",
            SEED_EVENTS + 4
        )));
    // The same from standard input, copied to a file to be read twice.
    let text = std::fs::read_to_string(&snap).unwrap();
    cli()
        .args(["verify-snapshot", "-"])
        .write_stdin(text.clone())
        .assert()
        .success()
        .stdout(predicate::str::starts_with(format!(
            "ok: {} events",
            SEED_EVENTS + 4
        )));
    // A changed figure in a record's JSON is found there too.
    let tampered = text.replacen("\"exact\":64", "\"exact\":640", 1);
    assert_ne!(tampered, text);
    cli()
        .args(["verify-snapshot", "-"])
        .write_stdin(tampered)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "the readable record JSON does not match",
        ));
}

// verify-snapshot of standard input copies it to a temporary file; where
// none can be made it says so, and where to, with exit 3 (an I/O error).

#[test]
fn verify_snapshot_of_standard_input_without_a_temporary_directory_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    let a = cli()
        .args(["verify-snapshot", "-"])
        .env("TMPDIR", &missing)
        .write_stdin(shared().unsigned.clone())
        .assert()
        .code(3);
    let err = stderr_of(&a);
    assert!(
        err.contains("temporary file") && err.contains(&*missing.to_string_lossy()),
        "{err}"
    );
}

// verify-snapshot replays a snapshot file into a scratch cache in TMPDIR
// (until the twenty-fourth session sled put it in /dev/shm); where none
// can be made, that is the machine's fault, not the snapshot's: it said
// "FAILED" and exited 1, as if the snapshot did not verify.

#[test]
fn verify_snapshot_without_a_scratch_directory_exits_3_not_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.json");
    std::fs::write(&file, &shared().unsigned).unwrap();
    let missing = dir.path().join("no-such-dir");
    let a = cli()
        .args(["verify-snapshot"])
        .arg(&file)
        .env("TMPDIR", &missing)
        .assert()
        .code(3);
    let err = stderr_of(&a);
    assert!(
        err.contains("scratch") && err.contains(&*missing.to_string_lossy()),
        "{err}"
    );
    assert!(!stdout_of(&a).contains("FAILED"), "{}", stdout_of(&a));
}

// Export wrote each event as `serde_json::to_string(&snapshot_event(r))`,
// the record through a `serde_json::Value`; since the twenty-third session
// it writes the line itself and the record straight from it
// (src/export/sorted.rs). The text must not change: snapshots and dumps
// written before are compared with it.

#[test]
fn exported_event_lines_are_the_snapshot_events_serde_writes() {
    let fx = Fixture::seed();
    let (moved, mut corrected) = seed_claim_and_correction();
    corrected["quantity"] = serde_json::json!({"at_least": 64});
    let lines = [
        moved.to_string(),
        r#"{"type":"retract","line":1,"reason":"withdrawn \"by\" the outlet \\ é"}"#.to_string(),
        serde_json::json!({"type": "claim", "metric": "people_returned", "quantity": {"exact": 5},
            "scope": {"kind": "event", "date": "2024-02-03"}, "source": "ukrinform",
            "published": "unknown", "quote": "five"})
        .to_string(),
        serde_json::json!({"type": "correct", "line": 3, "reason": "corrected", "new": corrected})
            .to_string(),
    ];
    fx.import("ends.jsonl", &(lines.join("\n") + "\n"));
    let store = fx.open();
    let mut dump = Vec::new();
    claimlog::export::write_jsonl(&store, &mut dump).unwrap();
    let dump = String::from_utf8(dump).unwrap();
    let expected: Vec<String> = store
        .read(0, store.len())
        .unwrap()
        .map(|r| serde_json::to_string(&claimlog::export::snapshot_event(&r.unwrap())).unwrap())
        .collect();
    assert_eq!(expected.len() as u64, SEED_EVENTS + 4);
    assert_eq!(dump.lines().collect::<Vec<_>>(), expected);
    // The snapshot's events member holds the same lines.
    let mut snap = Vec::new();
    claimlog::export::write_snapshot(&store, &mut snap, None, "2026-12-03T00:00:00Z").unwrap();
    let snap = String::from_utf8(snap).unwrap();
    for line in &expected {
        assert!(snap.contains(&format!("    {line}")), "{line}");
    }
}

/// The first seed claim as an import line with a new figure (63), and the
/// same claim as a correction's `new` (no `type`), for a test to change.
fn seed_claim_and_correction() -> (serde_json::Value, serde_json::Value) {
    let claim = SEED
        .lines()
        .find(|l| l.contains(r#""type":"claim""#))
        .expect("a seed claim");
    let mut moved: serde_json::Value = serde_json::from_str(claim).unwrap();
    moved["quantity"] = serde_json::json!({"exact": 63});
    let mut corrected = moved.clone();
    corrected.as_object_mut().unwrap().remove("type");
    (moved, corrected)
}
