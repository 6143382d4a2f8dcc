//! `verify-snapshot`: an untampered snapshot passes; any change to any part
//! of it fails with exit 1 and a reason that names what was changed.

use crate::common::*;
use claimlog::Hash32;
use predicates::prelude::*;
use serde_json::json;

/// Writes `snap`, runs `verify-snapshot --pubkey` on it and expects exit 1
/// with `with_key` in the reason; then runs the library verifier without
/// a key and expects `without_key` in its failure (None: it must pass,
/// because only a signature check can see the change).
fn assert_caught(snap: &Snap, with_key: &str, without_key: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tampered.json");
    snap.write(&file);
    let a = cli()
        .arg("verify-snapshot")
        .arg(&file)
        .args(["--pubkey", &shared().pubkey])
        .assert()
        .code(1);
    let out = stdout_of(&a);
    assert!(
        out.starts_with("FAILED: ") && out.contains(with_key),
        "with --pubkey: expected a failure naming {with_key:?}, got {out:?}"
    );
    let report = verify_text(&snap.render(), &[]);
    match without_key {
        Some(want) => {
            let f = report.failure.unwrap_or_default();
            assert!(
                f.contains(want),
                "without a key: expected a failure naming {want:?}, got {f:?}"
            );
        }
        None => assert_eq!(report.failure, None),
    }
}

/// Both ways, the same reason.
fn assert_caught_both(snap: &Snap, reason: &str) {
    assert_caught(snap, reason, Some(reason));
}

fn signed() -> Snap {
    Snap::parse(&shared().signed)
}

#[test]
fn untampered_signed_snapshot_passes_with_and_without_pubkey() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snap.json");
    std::fs::write(&file, &shared().signed).unwrap();
    cli()
        .arg("verify-snapshot")
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("ok: 42 events, chain intact"))
        .stdout(predicate::str::contains(
            "signature not checked (give --pubkey)",
        ));
    cli()
        .arg("verify-snapshot")
        .arg(&file)
        .args(["--pubkey", &shared().pubkey])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("signed by {ORIGIN}")));
    let report = verify_text(&shared().signed, &[verifier(&shared().pubkey)]);
    assert_eq!(report.failure, None);
    assert_eq!(report.events, SEED_EVENTS);
    assert_eq!(report.signed_by, vec![ORIGIN.to_string()]);
    assert!(report.totals_checked > 0);
}

#[test]
fn changed_record_json_fails_naming_the_event() {
    let mut s = signed();
    let k = s.first_claim_seq();
    let ev = &mut s.events[k as usize];
    let q = &mut ev.record["event"]["quantity"];
    let (kind, n) = q.as_object().unwrap().iter().next().unwrap();
    let (kind, n) = (kind.clone(), n.as_i64().unwrap());
    *q = json!({ kind: n + 1 });
    assert_caught_both(
        &s,
        &format!("event seq {k}: the readable record JSON does not match the record bytes"),
    );
}

#[test]
fn flipped_bit_in_event_bytes_fails_naming_the_event() {
    let mut s = signed();
    let k = s.first_claim_seq();
    let ev = &mut s.events[k as usize];
    let mut bytes = b64_decode(&ev.bytes);
    // A bit of a letter of the quote: the record still decodes, so only
    // its hash (and then its JSON rendering) can tell.
    let quote = ev.record["event"]["quote"].as_str().unwrap().as_bytes();
    let at = bytes
        .windows(quote.len())
        .position(|w| w == quote)
        .expect("the quote is in the bytes");
    bytes[at] ^= 0x01;
    ev.bytes = b64_encode(&bytes);
    assert_caught_both(&s, &format!("event seq {k}: hash mismatch"));
}

/// A flipped bit at every byte of an event's bytes is caught at that event,
/// and so is a flipped bit in every event of the snapshot.
#[test]
fn bit_flips_anywhere_in_event_bytes_are_caught_at_that_event() {
    let base = signed();
    let flip = |k: usize, i: usize| {
        let mut s = base.clone();
        let mut b = b64_decode(&s.events[k].bytes);
        b[i] ^= 1 << (i % 8);
        s.events[k].bytes = b64_encode(&b);
        let f = verify_text(&s.render(), &[]).failure.unwrap_or_default();
        assert!(
            f.starts_with(&format!("event seq {k}: ")),
            "event {k} byte {i}: expected a failure at event seq {k}, got {f:?}"
        );
    };
    let k = 1; // a source_registered event
    for i in 0..b64_decode(&base.events[k].bytes).len() {
        flip(k, i);
    }
    for (k, e) in base.events.iter().enumerate() {
        flip(k, b64_decode(&e.bytes).len() / 2);
    }
}

#[test]
fn changed_event_hash_fails_naming_the_event() {
    let mut s = signed();
    let k = 5;
    s.events[k].hash.0[31] ^= 0x80;
    assert_caught_both(&s, &format!("event seq {k}: hash mismatch"));
}

#[test]
fn changed_number_in_totals_fails_naming_totals() {
    let mut s = signed();
    s.edit("totals", |t| {
        let best = &mut t[0]["answer"]["estimate"]["best"];
        *best = json!(best.as_i64().unwrap() + 1);
    });
    assert_caught_both(&s, "totals: total #0");
}

#[test]
fn dropped_total_fails_naming_totals() {
    let mut s = signed();
    s.edit("totals", |t| {
        t.as_array_mut().unwrap().pop();
    });
    assert_caught_both(&s, "totals: the snapshot lists");
}

#[test]
fn changed_source_fails_naming_sources() {
    let mut s = signed();
    s.edit("sources", |v| {
        v[0]["source"]["name"] = json!("Someone Else");
    });
    assert_caught_both(&s, "sources: do not match");
}

#[test]
fn changed_origin_fails_naming_origin() {
    let mut s = signed();
    s.set("origin", json!("example.org/elsewhere"));
    assert_caught_both(&s, "origin: says \"example.org/elsewhere\"");
}

#[test]
fn changed_store_id_fails_naming_store_id() {
    let mut s = signed();
    s.set("store_id", json!("00112233445566778899aabbccddeeff"));
    assert_caught_both(&s, "store_id: does not match the genesis event");
}

#[test]
fn changed_tree_size_fails_naming_tree_size() {
    let mut s = signed();
    s.set("tree_size", json!(SEED_EVENTS + 1));
    assert_caught_both(&s, "tree_size: says 43, the snapshot holds 42 events");
}

#[test]
fn changed_head_seq_or_hash_fails_naming_head() {
    let mut s = signed();
    s.edit("head", |h| h["seq"] = json!(40));
    assert_caught_both(&s, "head: says seq 40");
    let mut s = signed();
    let other = s.events[3].hash.to_hex();
    s.edit("head", |h| h["hash"] = json!(other));
    assert_caught_both(&s, "head: says seq 41");
}

#[test]
fn changed_root_fails_naming_root() {
    let mut s = signed();
    s.set("root", json!(Hash32([0xab; 32])));
    assert_caught_both(&s, "root: does not match the Merkle root of the events");
}

#[test]
fn changed_checkpoint_body_fails_naming_the_checkpoint() {
    // The tree size line: the signature no longer covers the text, and the
    // body contradicts the events even when no key is given.
    let mut s = signed();
    let cp = s.checkpoint().replacen("\n42\n", "\n41\n", 1);
    s.set("checkpoint", json!(cp));
    assert_caught(
        &s,
        "checkpoint signature: signature by known key",
        Some("checkpoint: tree size 41 but the log has 42 events"),
    );
    // The root line.
    let mut s = signed();
    let cp = s.checkpoint();
    let (body, sigs) = split_note(&cp);
    let mut lines: Vec<&str> = body.lines().collect();
    let fake = b64_encode(&[0x11; 32]);
    lines[2] = &fake;
    s.set(
        "checkpoint",
        json!(format!("{}\n\n{sigs}", lines.join("\n"))),
    );
    assert_caught(
        &s,
        "checkpoint signature",
        Some("checkpoint: root hash does not match the Merkle root of the events"),
    );
    // The origin line.
    let mut s = signed();
    let cp = s.checkpoint().replacen(ORIGIN, "example.org/other", 1);
    s.set("checkpoint", json!(cp));
    assert_caught(
        &s,
        "checkpoint signature",
        Some("checkpoint: origin \"example.org/other\" is not the log's origin"),
    );
}

#[test]
fn flipped_signature_character_fails_with_pubkey() {
    let mut s = signed();
    let cp = s.checkpoint();
    let (body, sigs) = split_note(&cp);
    // `— <name> <base64(key id || signature)>`: change one character well
    // inside the signature, keeping it valid base64 of the same length.
    let (prefix, blob) = sigs.trim_end().rsplit_once(' ').unwrap();
    let mut chars: Vec<char> = blob.chars().collect();
    chars[20] = if chars[20] == 'A' { 'B' } else { 'A' };
    let blob: String = chars.into_iter().collect();
    s.set("checkpoint", json!(format!("{body}\n{prefix} {blob}\n")));
    // Without a key the signature is not checked, and the tool says so.
    assert_caught(
        &s,
        &format!("checkpoint signature: signature by known key {ORIGIN}"),
        None,
    );
}

#[test]
fn snapshot_signed_by_a_different_key_fails_with_pubkey() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snap.json");
    std::fs::write(&file, &shared().signed).unwrap();
    let other = dir.path().join("other.pub");
    std::fs::write(&other, format!("{}\n", shared().other_pubkey)).unwrap();
    cli()
        .arg("verify-snapshot")
        .arg(&file)
        .arg("--pubkey")
        .arg(&other)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "FAILED: checkpoint signature: note has no valid signature from any known key",
        ));
}

#[test]
fn checkpoint_resigned_by_another_key_fails_with_the_real_pubkey() {
    // Someone with their own key re-signs the (true) checkpoint body.
    let mut s = signed();
    let cp = s.checkpoint();
    let (body, _) = split_note(&cp);
    let forged = claimlog::checkpoint::sign_note(body, &[&signer(8)]).unwrap();
    s.set("checkpoint", json!(forged));
    assert_caught(
        &s,
        "checkpoint signature: note has no valid signature from any known key",
        None,
    );
}

#[test]
fn swapped_events_fail_naming_the_first_out_of_place() {
    let mut s = signed();
    s.events.swap(7, 8);
    assert_caught_both(&s, "event seq 7: out of order: found seq 8");
}

#[test]
fn deleted_event_fails_naming_the_gap() {
    let mut s = signed();
    s.events.remove(12);
    assert_caught_both(&s, "event seq 12: out of order: found seq 13");
}

#[test]
fn deleted_last_event_fails_on_tree_size() {
    let mut s = signed();
    s.events.pop();
    assert_caught_both(&s, "tree_size: says 42, the snapshot holds 41 events");
}

#[test]
fn duplicated_event_fails_naming_the_duplicate() {
    let mut s = signed();
    let dup = s.events[20].clone();
    s.events.insert(21, dup);
    assert_caught_both(&s, "event seq 21: out of order: found seq 20");
}

#[test]
fn unknown_top_level_field_fails_naming_it() {
    let mut s = signed();
    s.insert_raw(1, "extra", "true");
    assert_caught_both(&s, "unknown field \"extra\"");
    // After the events, too.
    let mut s = signed();
    s.insert_raw(11, "zzz", "{}");
    assert_caught_both(&s, "unknown field \"zzz\"");
}

#[test]
fn unknown_field_inside_an_event_fails_naming_the_event() {
    let text = shared()
        .signed
        .replacen("{\"seq\":3,", "{\"seq\":3,\"note\":\"hi\",", 1);
    assert_ne!(text, shared().signed);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snap.json");
    std::fs::write(&file, text).unwrap();
    cli()
        .arg("verify-snapshot")
        .arg(&file)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("events[3]: unknown field `note`"));
}

#[test]
fn duplicated_top_level_field_fails_naming_it() {
    let mut s = signed();
    s.insert_raw(3, "root", &serde_json::to_string(&s.get("root")).unwrap());
    assert_caught_both(&s, "field \"root\" appears twice");
}

#[test]
fn each_missing_field_fails_naming_it() {
    for key in [
        "format",
        "exported_at",
        "origin",
        "store_id",
        "tree_size",
        "head",
        "root",
        "checkpoint",
        "sources",
        "totals",
    ] {
        let mut s = signed();
        s.remove(key);
        assert_caught_both(&s, &format!("field \"{key}\" is missing"));
    }
    let mut s = signed();
    s.remove("events");
    assert_caught_both(&s, "the snapshot holds no events");
}

#[test]
fn changed_format_fails_naming_the_format() {
    let mut s = signed();
    s.set("format", json!("claimlog-snapshot/2"));
    assert_caught_both(
        &s,
        "format \"claimlog-snapshot/2\" is not \"claimlog-snapshot/1\"",
    );
}

#[test]
fn exported_at_is_not_covered_by_any_check() {
    let mut s = signed();
    s.set("exported_at", json!("1999-01-01T00:00:00Z"));
    assert_eq!(
        verify_text(&s.render(), &[verifier(&shared().pubkey)]).failure,
        None
    );
}

/// A consistent forgery (one quote changed, the chain, root, head, totals
/// and checkpoint all recomputed) passes without a key: only the signature
/// of the real checkpoint tells it apart.
#[test]
fn rechained_forgery_passes_only_without_pubkey() {
    let fx = Fixture::empty();
    let real = signed();
    let k = real.first_claim_seq();
    let forged_store = fx.path("forged");
    crate::history::forge_store(&real, k, &forged_store);
    let s = open_store(&forged_store);
    let mut out = Vec::new();
    claimlog::export::write_snapshot(&s, &mut out, None, "2026-01-01T00:00:00Z").unwrap();
    let mut forged = Snap::parse(std::str::from_utf8(&out).unwrap());
    assert_eq!(forged.get("store_id"), real.get("store_id"));
    assert_ne!(forged.get("root"), real.get("root"));
    // Carry the real signature line over onto the forged body.
    let real_cp = real.checkpoint();
    let (_, sigs) = split_note(&real_cp);
    let body = forged.checkpoint();
    forged.set("checkpoint", json!(format!("{body}\n{sigs}")));
    assert_caught(
        &forged,
        &format!("checkpoint signature: signature by known key {ORIGIN}"),
        None,
    );
}

/// A snapshot re-formatted by another tool (indented, keys in another
/// order) is the same JSON: it verifies, the records' text compared as
/// JSON values once it is not export's own. A changed record in it still
/// fails.
#[test]
fn a_snapshot_pretty_printed_by_another_tool_verifies_and_its_records_are_still_checked() {
    let mut v: serde_json::Value = serde_json::from_str(&shared().signed).unwrap();
    let pretty = serde_json::to_string_pretty(&v).unwrap();
    assert_ne!(pretty, shared().signed);
    let report = verify_text(&pretty, &[verifier(&shared().pubkey)]);
    assert_eq!(report.failure, None);
    assert_eq!(report.events, 42);
    v["events"][7]["record"]["recorded_at_ms"] = json!(1);
    let changed = serde_json::to_string_pretty(&v).unwrap();
    let f = verify_text(&changed, &[]).failure.unwrap_or_default();
    assert!(
        f.contains("event seq 7: the readable record JSON does not match the record bytes"),
        "{f}"
    );
}

/// verify-snapshot checks each event's bytes, hash and link while it reads,
/// and its readable JSON where it replays, on another thread: the first
/// failure in the file is still the one reported, and `events` counts the
/// events before it.
#[test]
fn a_changed_record_json_is_reported_before_a_later_bad_hash() {
    let mut s = signed();
    let k = s.first_claim_seq() as usize;
    s.events[k].record["recorded_at_ms"] = json!(1);
    s.events[k + 3].hash.0[31] ^= 0x80;
    assert_caught_both(
        &s,
        &format!("event seq {k}: the readable record JSON does not match the record bytes"),
    );
    let report = verify_text(&s.render(), &[]);
    assert_eq!(report.events, k as u64);
    // Each alone is found where it is.
    let mut hash_only = signed();
    hash_only.events[k + 3].hash.0[31] ^= 0x80;
    assert_caught_both(&hash_only, &format!("event seq {}: hash mismatch", k + 3));
    assert_eq!(verify_text(&hash_only.render(), &[]).events, k as u64 + 3);
}

/// A failure where the events are replayed stops the reading, however far
/// ahead it is, in a snapshot of many hand-overs between the two threads.
#[test]
fn a_failure_early_in_a_long_snapshot_stops_it_there() {
    let fx = Fixture::seed();
    let lines: Vec<String> = (0..3000)
        .map(|i| {
            json!({"type": "claim", "metric": "people_returned", "quantity": {"exact": i + 1},
                "scope": {"kind": "event", "date": format!("2024-03-{:02}", i % 28 + 1)},
                "source": "ukrinform", "published": "unknown", "quote": format!("claim {i}")})
            .to_string()
        })
        .collect();
    fx.import("many.jsonl", &(lines.join("\n") + "\n"));
    let file = fx.export("many.json", false);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(verify_text(&text, &[]).failure.is_none());
    let mut s = Snap::parse(&text);
    assert!(s.events.len() > 3000);
    s.events[45].record["recorded_at_ms"] = json!(1);
    s.events[2900].hash.0[0] ^= 1;
    let want = "event seq 45: the readable record JSON does not match the record bytes";
    let report = verify_text(&s.render(), &[]);
    assert!(
        report.failure.as_deref().unwrap_or_default().contains(want),
        "{report:?}"
    );
    assert_eq!(report.events, 45);
    // The same from the file, read twice, through the CLI.
    s.write(&file);
    let a = cli().arg("verify-snapshot").arg(&file).assert().code(1);
    assert!(stdout_of(&a).contains(want), "{}", stdout_of(&a));
}
