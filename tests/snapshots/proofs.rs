//! `prove` / `verify-proof`: every claim proves; any change to a bundle
//! fails; proofs against an older checkpoint work inside its tree only.

use crate::common::*;
use claimlog::export::{self, ProofBundle};
use predicates::prelude::*;
use serde_json::{json, Value};

fn bundle() -> Value {
    serde_json::from_str(&shared().bundle).unwrap()
}

/// `verify-proof --pubkey` on the edited bundle: exit 1 naming `with_key`;
/// the library without a key: a failure naming `without_key` (None: passes).
fn assert_bundle_caught(b: &Value, with_key: &str, without_key: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("proof.json");
    std::fs::write(&file, serde_json::to_string_pretty(b).unwrap()).unwrap();
    let a = cli()
        .arg("verify-proof")
        .arg(&file)
        .args(["--pubkey", &shared().pubkey])
        .assert()
        .code(1);
    let out = stdout_of(&a);
    assert!(
        out.starts_with("FAILED: ") && out.contains(with_key),
        "with --pubkey: expected a failure naming {with_key:?}, got {out:?}"
    );
    let parsed: ProofBundle = serde_json::from_value(b.clone()).unwrap();
    let res = export::verify_proof(&parsed, &[]);
    match without_key {
        Some(want) => {
            let e = res.expect_err("the library must refuse it too");
            assert!(
                e.contains(want),
                "without a key: expected {want:?}, got {e:?}"
            );
        }
        None => assert!(res.is_ok(), "without a key: {res:?}"),
    }
}

fn assert_bundle_caught_both(b: &Value, reason: &str) {
    assert_bundle_caught(b, reason, Some(reason));
}

/// Flips a bit of one letter of the event's quote in its bytes; with
/// `fix_json`, also updates the readable record to match the new bytes.
fn flip_quote_bit(b: &mut Value, fix_json: bool) {
    let mut bytes = b64_decode(b["event"]["bytes"].as_str().unwrap());
    let quote = b["event"]["record"]["event"]["quote"].as_str().unwrap();
    let at = bytes
        .windows(quote.len())
        .position(|w| w == quote.as_bytes())
        .unwrap();
    bytes[at] ^= 0x01;
    b["event"]["bytes"] = json!(b64_encode(&bytes));
    if fix_json {
        let rec = claimlog::decode_record(&bytes).unwrap();
        b["event"]["record"] = export::record_value(&rec);
    }
}

#[test]
fn every_seed_claim_proves_and_verifies_via_the_cli() {
    let fx = Fixture::seed();
    let claims: Vec<(String, u64)> = {
        let s = fx.open();
        let c = s
            .cache()
            .claims()
            .map(|c| c.map(|c| (c.id.to_hex(), c.seq)))
            .collect::<Result<_, _>>()
            .unwrap();
        c
    };
    assert_eq!(claims.len(), 32);
    for (id, seq) in claims {
        let out = fx.path(&format!("proof-{seq}.json"));
        cli_at(&fx.store)
            .args(["prove", &id[..12], "--key"])
            .arg(&fx.key)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        cli()
            .arg("verify-proof")
            .arg(&out)
            .arg("--pubkey")
            .arg(&fx.pubkey)
            .assert()
            .success()
            .stdout(predicate::str::starts_with(format!(
                "ok: event seq {seq} (hash {id}) is in the log of 42 events, checkpoint signed by {ORIGIN}"
            )));
    }
}

#[test]
fn every_event_proves_and_verifies_with_the_library() {
    let fx = Fixture::seed();
    let s = fx.open();
    let key = signer(7);
    for seq in 0..SEED_EVENTS {
        for signed in [false, true] {
            let b = export::prove(&s, seq, None, signed.then_some(&key)).unwrap();
            assert_eq!((b.leaf_index, b.tree_size), (seq, SEED_EVENTS));
            let keys = if signed { vec![key.verifier()] } else { vec![] };
            let r = export::verify_proof(&b, &keys).unwrap_or_else(|e| panic!("seq {seq}: {e}"));
            assert_eq!(r.seq, seq);
            assert_eq!(r.signed_by.len(), usize::from(signed));
        }
    }
}

#[test]
fn untampered_bundle_passes() {
    let b: ProofBundle = serde_json::from_str(&shared().bundle).unwrap();
    assert_eq!(b.leaf_index, PROVED_SEQ);
    export::verify_proof(&b, &[verifier(&shared().pubkey)]).unwrap();
    export::verify_proof(&b, &[]).unwrap();
}

#[test]
fn flipped_bit_in_bundle_bytes_fails() {
    let mut b = bundle();
    flip_quote_bit(&mut b, false);
    assert_bundle_caught_both(
        &b,
        "the readable record JSON does not match the record bytes",
    );
    // With the readable record brought in line, the hash gives it away.
    let mut b = bundle();
    flip_quote_bit(&mut b, true);
    assert_bundle_caught_both(&b, "hash mismatch: the bundle says");
}

#[test]
fn changed_record_json_in_bundle_fails() {
    let mut b = bundle();
    b["event"]["record"]["event"]["quote"] = json!("Something nobody said.");
    assert_bundle_caught_both(
        &b,
        "the readable record JSON does not match the record bytes",
    );
}

#[test]
fn changed_hash_in_bundle_fails() {
    let mut b = bundle();
    let mut h = claimlog::Hash32::from_hex(b["event"]["hash"].as_str().unwrap()).unwrap();
    h.0[0] ^= 1;
    b["event"]["hash"] = json!(h);
    assert_bundle_caught_both(&b, "hash mismatch: the bundle says");
}

#[test]
fn changed_leaf_index_or_event_seq_fails() {
    let mut b = bundle();
    b["leaf_index"] = json!(PROVED_SEQ + 1);
    assert_bundle_caught_both(&b, "seq mismatch");
    let mut b = bundle();
    b["event"]["seq"] = json!(PROVED_SEQ - 1);
    assert_bundle_caught_both(&b, "seq mismatch");
}

/// Any other tree size fails: the inclusion proof when the path does not
/// fit that size, else the checkpoint, which commits to the size.
#[test]
fn changed_tree_size_fails() {
    let mut by_proof = 0;
    let mut by_checkpoint = 0;
    for size in (0..=2 * SEED_EVENTS).filter(|&s| s != SEED_EVENTS) {
        let mut b = bundle();
        b["tree_size"] = json!(size);
        let parsed: ProofBundle = serde_json::from_value(b).unwrap();
        let e = export::verify_proof(&parsed, &[verifier(&shared().pubkey)])
            .expect_err("a changed tree size must fail");
        if e.starts_with("inclusion proof") {
            by_proof += 1;
        } else {
            assert_eq!(
                e,
                format!("checkpoint: tree size 42 but the log has {size} events")
            );
            by_checkpoint += 1;
        }
    }
    assert!(by_proof > 0 && by_checkpoint > 0);
    let mut b = bundle();
    b["tree_size"] = json!(SEED_EVENTS - 1);
    assert_bundle_caught_both(&b, "checkpoint: tree size 42 but the log has 41 events");
    let mut b = bundle();
    b["tree_size"] = json!(SEED_EVENTS * 2);
    assert_bundle_caught_both(&b, "inclusion proof");
}

#[test]
fn changed_removed_or_added_proof_element_fails() {
    let n = bundle()["inclusion_proof"].as_array().unwrap().len();
    assert!(n > 1);
    for i in 0..n {
        let mut b = bundle();
        let mut h = claimlog::Hash32::from_hex(b["inclusion_proof"][i].as_str().unwrap()).unwrap();
        h.0[31] ^= 0x10;
        b["inclusion_proof"][i] = json!(h);
        assert_bundle_caught_both(&b, "inclusion proof");
    }
    let mut b = bundle();
    b["inclusion_proof"].as_array_mut().unwrap().pop();
    assert_bundle_caught_both(&b, "inclusion proof");
    let mut b = bundle();
    let first = b["inclusion_proof"][0].clone();
    b["inclusion_proof"].as_array_mut().unwrap().push(first);
    assert_bundle_caught_both(&b, "inclusion proof");
    let mut b = bundle();
    b["inclusion_proof"].as_array_mut().unwrap().swap(0, 1);
    assert_bundle_caught_both(&b, "inclusion proof");
}

#[test]
fn changed_root_in_bundle_fails() {
    let mut b = bundle();
    b["root"] = json!(claimlog::Hash32([0x42; 32]));
    assert_bundle_caught_both(&b, "inclusion proof");
}

#[test]
fn changed_checkpoint_in_bundle_fails() {
    let mut b = bundle();
    let cp = b["checkpoint"]
        .as_str()
        .unwrap()
        .replacen("\n42\n", "\n43\n", 1);
    b["checkpoint"] = json!(cp);
    assert_bundle_caught(
        &b,
        "checkpoint signature: signature by known key",
        Some("checkpoint: tree size 43 but the log has 42 events"),
    );
    // Root line replaced by another valid root.
    let mut b = bundle();
    let cp = b["checkpoint"].as_str().unwrap().to_string();
    let (body, sigs) = split_note(&cp);
    let root_line = body.lines().nth(2).unwrap();
    let cp = format!(
        "{}\n{sigs}",
        body.replacen(root_line, &b64_encode(&[9; 32]), 1)
    );
    b["checkpoint"] = json!(cp);
    assert_bundle_caught(
        &b,
        "checkpoint signature",
        Some("checkpoint: root hash does not match"),
    );
}

#[test]
fn changed_origin_in_bundle_fails() {
    let mut b = bundle();
    b["origin"] = json!("example.org/other");
    assert_bundle_caught_both(&b, "checkpoint: origin");
}

#[test]
fn flipped_signature_character_in_bundle_fails_with_pubkey() {
    let mut b = bundle();
    let cp = b["checkpoint"].as_str().unwrap().to_string();
    let (body, sigs) = split_note(&cp);
    let (prefix, blob) = sigs.trim_end().rsplit_once(' ').unwrap();
    let mut chars: Vec<char> = blob.chars().collect();
    chars[30] = if chars[30] == 'Q' { 'R' } else { 'Q' };
    let blob: String = chars.into_iter().collect();
    b["checkpoint"] = json!(format!("{body}\n{prefix} {blob}\n"));
    assert_bundle_caught(
        &b,
        &format!("checkpoint signature: signature by known key {ORIGIN}"),
        None,
    );
}

#[test]
fn bundle_checked_against_another_key_fails() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.json");
    std::fs::write(&file, &shared().bundle).unwrap();
    cli()
        .arg("verify-proof")
        .arg(&file)
        .args(["--pubkey", &shared().other_pubkey])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "FAILED: checkpoint signature: note has no valid signature from any known key",
        ));
}

#[test]
fn changed_format_or_unknown_field_in_bundle_fails() {
    let mut b = bundle();
    b["format"] = json!("claimlog-proof/9");
    assert_bundle_caught_both(&b, "format \"claimlog-proof/9\" is not");
    let mut b = bundle();
    b["extra"] = json!(1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.json");
    std::fs::write(&file, b.to_string()).unwrap();
    cli()
        .arg("verify-proof")
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "not a proof bundle: unknown field `extra`",
        ));
}

/// Proofs against an earlier checkpoint: fine for an event in its tree,
/// refused for one appended after it. Signed and bare checkpoints alike.
#[test]
fn prove_against_an_older_checkpoint_works_inside_and_is_refused_after() {
    let fx = Fixture::seed();
    let signed_cp = fx.path("old-signed.cp");
    let a = cli_at(&fx.store)
        .arg("checkpoint")
        .arg("--key")
        .arg(&fx.key)
        .assert()
        .success();
    std::fs::write(&signed_cp, stdout_of(&a)).unwrap();
    let bare_cp = fx.path("old-bare.cp");
    let a = cli_at(&fx.store).arg("checkpoint").assert().success();
    std::fs::write(&bare_cp, stdout_of(&a)).unwrap();
    fx.import(
        "more.jsonl",
        r#"{"type":"claim","metric":"people_returned","quantity":{"exact":7},"scope":{"kind":"event","date":"2025-05-01"},"source":"rubryka","published":"2025-05-02","quote":"Seven came home."}"#,
    );
    let new_id = {
        let s = fx.open();
        assert_eq!(s.len(), SEED_EVENTS + 1);
        s.record(SEED_EVENTS).unwrap().hash.to_hex()
    };
    for (cp, pubkey) in [(&signed_cp, Some(&fx.pubkey)), (&bare_cp, None)] {
        for seq in [0, 20, SEED_EVENTS - 1] {
            let out = fx.path("old-proof.json");
            cli_at(&fx.store)
                .args(["prove", "--seq", &seq.to_string(), "--checkpoint"])
                .arg(cp)
                .arg("--out")
                .arg(&out)
                .assert()
                .success();
            let b: ProofBundle =
                serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
            assert_eq!(b.tree_size, SEED_EVENTS);
            assert_eq!(b.checkpoint, std::fs::read_to_string(cp).unwrap());
            let mut v = cli();
            v.arg("verify-proof").arg(&out);
            if let Some(k) = pubkey {
                v.arg("--pubkey").arg(k);
            }
            let out = stdout_of(&v.assert().success());
            assert!(
                out.starts_with(&format!("ok: event seq {seq} "))
                    && out.contains("is in the log of 42 events"),
                "{out}"
            );
        }
        // The event appended after the checkpoint, by seq and by claim id.
        cli_at(&fx.store)
            .args(["prove", "--seq", &SEED_EVENTS.to_string(), "--checkpoint"])
            .arg(cp)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "seq 42 is not in a tree of 42 events",
            ));
        cli_at(&fx.store)
            .args(["prove", &new_id[..16], "--checkpoint"])
            .arg(cp)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "seq 42 is not in a tree of 42 events",
            ));
    }
}

#[test]
fn prove_refuses_a_checkpoint_of_another_history_or_a_longer_log() {
    let fx = Fixture::seed();
    let other = Fixture::seed();
    let a = cli_at(&other.store).arg("checkpoint").assert().success();
    let foreign = fx.path("foreign.cp");
    std::fs::write(&foreign, stdout_of(&a)).unwrap();
    cli_at(&fx.store)
        .args(["prove", "--seq", "3", "--checkpoint"])
        .arg(&foreign)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "the store's first 42 events do not match that checkpoint",
        ));
    other.import(
        "more.jsonl",
        r#"{"type":"claim","metric":"exchanges","quantity":{"exact":1},"scope":{"kind":"event","date":"2025-05-01"},"source":"rubryka","published":"2025-05-02","quote":"One exchange."}"#,
    );
    let a = cli_at(&other.store).arg("checkpoint").assert().success();
    std::fs::write(&foreign, stdout_of(&a)).unwrap();
    cli_at(&fx.store)
        .args(["prove", "--seq", "3", "--checkpoint"])
        .arg(&foreign)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "the checkpoint is for 43 events, the store has 42",
        ));
}
