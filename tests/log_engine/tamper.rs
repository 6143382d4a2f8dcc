//! Tampering: every changed byte, every moved frame and every rewritten
//! cache entry is found, at the right seq.

use crate::common::{check, copy_dir, frames, open, segment_files, small_store, varint};
use claimlog::{Policy, Problem, Query, Slug, Store};
use std::ops::Range;
use std::path::Path;

const FRAME_BODY_KINDS: [&str; 3] = ["hash mismatch", "seq gap", "broken prev link"];

fn problem(dir: &Path, deep: bool) -> Option<Problem> {
    check(dir, deep).problem
}

/// What verify must say about a change to byte `at` of a segment whose
/// frames are `frames` and whose first record is `first_seq`.
fn expected(at: usize, first_seq: u64, frames: &[Range<usize>]) -> (u64, Vec<&'static str>) {
    match frames.iter().position(|f| f.contains(&at)) {
        None => {
            assert!(at < 24, "byte {at} is neither header nor frame");
            (first_seq, vec!["bad segment"])
        }
        Some(k) => {
            let seq = first_seq + u64::try_from(k).unwrap();
            if at - frames[k].start < 8 {
                (seq, vec!["bad frame"])
            } else {
                (seq, FRAME_BODY_KINDS.to_vec())
            }
        }
    }
}

/// Flips every byte of every segment of `store` (with each mask), writing
/// the damaged log into a cache-less scratch store, and checks the report.
fn flip_every_byte(store: &Path, scratch: &Path) -> usize {
    let segs: Vec<Vec<u8>> = segment_files(store)
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let log = scratch.join("log");
    std::fs::create_dir_all(&log).unwrap();
    for (i, s) in segs.iter().enumerate() {
        std::fs::write(log.join(format!("{i:08}.seg")), s).unwrap();
    }
    assert!(problem(scratch, false).is_none(), "the copy verifies");
    let mut first_seq = 0u64;
    let mut checked = 0;
    for (i, seg) in segs.iter().enumerate() {
        let path = log.join(format!("{i:08}.seg"));
        let fr = frames(seg);
        for at in 0..seg.len() {
            for mask in [0x01u8, 0x80, 0xFF] {
                let mut bad = seg.clone();
                bad[at] ^= mask;
                std::fs::write(&path, &bad).unwrap();
                let p = problem(scratch, false).unwrap_or_else(|| {
                    panic!("segment {i} byte {at} ^ {mask:#04x}: verify found nothing")
                });
                let (seq, kinds) = expected(at, first_seq, &fr);
                assert_eq!(p.seq, seq, "segment {i} byte {at} ^ {mask:#04x}: {p:?}");
                assert!(
                    kinds.contains(&p.kind.as_str()),
                    "segment {i} byte {at} ^ {mask:#04x}: kind {:?}, expected one of {kinds:?}",
                    p.kind
                );
                assert_eq!(p.segment, Some(u32::try_from(i).unwrap()), "{p:?}");
                let start = fr.iter().find(|f| f.contains(&at)).map_or(0, |f| f.start);
                assert_eq!(p.offset, Some(u64::try_from(start).unwrap()), "{p:?}");
                checked += 1;
            }
        }
        std::fs::write(&path, seg).unwrap();
        first_seq += u64::try_from(fr.len()).unwrap();
    }
    checked
}

#[test]
fn flipping_any_byte_of_the_log_is_reported_at_that_frames_seq() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    small_store(&store, 64 * 1024 * 1024);
    assert_eq!(segment_files(&store).len(), 1);
    let checked = flip_every_byte(&store, &tmp.path().join("scratch"));
    assert!(checked > 3 * 500, "only {checked} flips");
}

#[test]
fn flipping_any_byte_of_a_multi_segment_log_is_reported_at_the_right_seq() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    // Small segments: about one frame each, so every header is a segment header.
    small_store(&store, 200);
    assert!(segment_files(&store).len() >= 3);
    flip_every_byte(&store, &tmp.path().join("scratch"));
}

#[test]
fn flipped_byte_is_reported_even_with_a_cache_that_agrees_with_the_original() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    small_store(&store, 64 * 1024 * 1024);
    let seg = std::fs::read(&segment_files(&store)[0]).unwrap();
    for (k, f) in frames(&seg).into_iter().enumerate() {
        let case = tmp.path().join(format!("case{k}"));
        copy_dir(&store, &case);
        let mut bad = seg.clone();
        bad[f.start + 8 + (f.len() - 40) / 2] ^= 0x10; // middle of the record
        std::fs::write(&segment_files(&case)[0], &bad).unwrap();
        let p = problem(&case, true).expect("damage found");
        assert_eq!(p.seq, u64::try_from(k).unwrap(), "{p:?}");
    }
}

/// Rewrites the single segment of a copy of `store` and returns verify's problem.
fn with_frames(store: &Path, case: &Path, order: &[usize]) -> Option<Problem> {
    copy_dir(store, case);
    let path = &segment_files(case)[0];
    let seg = std::fs::read(path).unwrap();
    let fr = frames(&seg);
    let mut out = seg[..24].to_vec();
    for &i in order {
        out.extend_from_slice(&seg[fr[i].clone()]);
    }
    std::fs::write(path, out).unwrap();
    problem(case, false)
}

#[test]
fn deleting_duplicating_or_reordering_a_frame_is_reported_at_the_right_seq() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    small_store(&store, 64 * 1024 * 1024);
    let n = 6usize;
    let mut case = 0;
    let mut next = || {
        case += 1;
        tmp.path().join(format!("case{case}"))
    };
    for k in 0..n {
        // Delete frame k.
        let order: Vec<usize> = (0..n).filter(|&i| i != k).collect();
        let p = with_frames(&store, &next(), &order).expect("deletion found");
        assert_eq!(p.seq, k as u64, "delete {k}: {p:?}");
        if k + 1 == n {
            // The chain of what is left is intact; the cache knows more.
            assert_eq!(p.kind, "cache disagrees", "{p:?}");
        } else {
            assert_eq!(p.kind, "seq gap", "{p:?}");
        }
        // Duplicate frame k right after itself.
        let mut order: Vec<usize> = (0..n).collect();
        order.insert(k + 1, k);
        let p = with_frames(&store, &next(), &order).expect("duplicate found");
        assert_eq!(
            (p.seq, p.kind.as_str()),
            (k as u64 + 1, "seq gap"),
            "dup {k}"
        );
        // Swap frames k and k+1.
        if k + 1 < n {
            let mut order: Vec<usize> = (0..n).collect();
            order.swap(k, k + 1);
            let p = with_frames(&store, &next(), &order).expect("swap found");
            assert_eq!((p.seq, p.kind.as_str()), (k as u64, "seq gap"), "swap {k}");
        }
    }
    // A whole segment file is missing (multi-segment log).
    let multi = tmp.path().join("multi");
    small_store(&multi, 200);
    let segs = segment_files(&multi);
    std::fs::remove_file(&segs[1]).unwrap();
    let p = problem(&multi, false).expect("missing segment found");
    assert_eq!(p.kind, "bad segment");
}

/// The tree keys of the cache's packed groups: the id index (`c/`), then
/// the claim entries (`g/`), at least one of each (project/packed.rs).
fn group_keys(s: &Store) -> Vec<Vec<u8>> {
    let tree = s.cache().raw_tree();
    let keys: Vec<Vec<u8>> = [&b"c/"[..], b"g/"]
        .iter()
        .flat_map(|p| tree.scan_prefix(p).map(|kv| kv.unwrap().0.to_vec()))
        .collect();
    assert!(keys[0].starts_with(b"c/") && keys[keys.len() - 1].starts_with(b"g/"));
    keys
}

#[test]
fn rewritten_claim_entry_in_the_cache_is_found_by_deep_verify_and_fixed_by_rebuild() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    small_store(&dir, 64 * 1024 * 1024);
    let s = open(&dir, 64 * 1024 * 1024);
    let good = s.cache().dump().unwrap();
    // Give the ids the claim entries' group: well-formed, but false.
    let keys = group_keys(&s);
    let tree = s.cache().raw_tree();
    let other = tree.get(&keys[keys.len() - 1]).unwrap().unwrap();
    tree.insert(&keys[0], other).unwrap();
    s.flush().unwrap();
    drop(s);
    let p = problem(&dir, true).expect("deep verify finds the rewritten entry");
    assert_eq!(p.kind, "cache disagrees", "{p:?}");
    let mut s = open(&dir, 64 * 1024 * 1024);
    s.rebuild_cache().unwrap();
    assert_eq!(s.cache().dump().unwrap(), good);
    drop(s);
    assert!(problem(&dir, true).is_none());
}

#[test]
fn swapped_metric_index_in_the_cache_is_found_by_deep_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    small_store(&dir, 64 * 1024 * 1024);
    let s = open(&dir, 64 * 1024 * 1024);
    let tree = s.cache().raw_tree();
    // Move the claims' group (people_returned's claims among them) into
    // exchanges' part of the scope index.
    let (key, value) = tree.scan_prefix(b"g/").next().unwrap().unwrap();
    tree.remove(&key).unwrap();
    tree.insert([&b"g/exchanges\0"[..], &key[2..]].concat(), value)
        .unwrap();
    s.flush().unwrap();
    drop(s);
    let p = problem(&dir, true).expect("deep verify finds the moved index entry");
    assert_eq!(p.kind, "cache disagrees", "{p:?}");
    assert!(
        p.reason.contains("g/"),
        "names the first differing key: {p:?}"
    );
}

/// A key the cache lost, or one it gained, is named by deep verify for
/// what it is, not as the next key both caches hold.
#[test]
fn a_key_removed_from_or_added_to_the_cache_is_named_by_deep_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    small_store(&dir, 64 * 1024 * 1024);
    let s = open(&dir, 64 * 1024 * 1024);
    let tree = s.cache().raw_tree();
    let (key, value) = tree.scan_prefix(b"S/").next().unwrap().unwrap();
    tree.remove(&key).unwrap();
    s.flush().unwrap();
    drop(s);
    let p = problem(&dir, true).expect("deep verify finds the missing source");
    assert_eq!(p.kind, "cache disagrees", "{p:?}");
    let name = format!("{:?}", String::from_utf8_lossy(&key));
    assert!(
        p.reason.contains(&format!("{name}, which the cache lacks")),
        "{p:?}"
    );
    // Put back, and one more beside it.
    let s = open(&dir, 64 * 1024 * 1024);
    let tree = s.cache().raw_tree();
    tree.insert(&key, value.clone()).unwrap();
    let extra = [&key[..], b"-extra"].concat();
    tree.insert(&extra, value).unwrap();
    s.flush().unwrap();
    drop(s);
    let p = problem(&dir, true).expect("deep verify finds the extra key");
    let name = format!("{:?}", String::from_utf8_lossy(&extra));
    assert!(
        p.reason
            .contains(&format!("{name}, which a rebuild does not hold")),
        "{p:?}"
    );
}

fn total_json(s: &Store) -> String {
    let q = Query {
        metric: Slug::new("people_returned").unwrap(),
        breakdown: Default::default(),
        period: None,
        policy: Policy::default(),
        filter: Default::default(),
    };
    serde_json::to_string(&claimlog::total(s.cache(), &q).unwrap()).unwrap()
}

/// Opens `dir`, applies `tamper` to the checkpoint value (given the head seq)
/// and spoils a claim entry too, so that only a rebuild restores the cache.
fn tamper_checkpoint_then_reopen(dir: &Path, tamper: impl Fn(u64, &mut Vec<u8>)) {
    let s = open(dir, 64 * 1024 * 1024);
    let good = s.cache().dump().unwrap();
    let good_total = total_json(&s);
    let head = s.head();
    let tree = s.cache().raw_tree();
    let mut cp = tree.get(b"!checkpoint").unwrap().unwrap().to_vec();
    tamper(head.seq, &mut cp);
    tree.insert(b"!checkpoint", cp).unwrap();
    let keys = group_keys(&s);
    tree.insert(&keys[0], tree.get(&keys[keys.len() - 1]).unwrap().unwrap())
        .unwrap();
    s.flush().unwrap();
    drop(s);

    let mut s = open(dir, 64 * 1024 * 1024);
    assert_eq!(s.head(), head, "the head comes from the log, not the cache");
    assert_eq!(s.cache().dump().unwrap(), good, "the cache was rebuilt");
    assert_eq!(total_json(&s), good_total);
    let a = s
        .append(vec![crate::common::source_event("gamma")])
        .unwrap();
    assert_eq!(a[0].seq, head.seq + 1);
    drop(s);
    let r = check(dir, true);
    assert!(r.ok(), "{:?}", r.problem);
    assert_eq!(r.head.unwrap().seq, head.seq + 1);
}

#[test]
fn cache_checkpoint_with_a_wrong_hash_triggers_a_rebuild_on_open() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    small_store(&dir, 64 * 1024 * 1024);
    tamper_checkpoint_then_reopen(&dir, |seq, cp| {
        let at = varint(seq).len();
        cp[at] ^= 0x01; // first byte of the hash
    });
}

#[test]
fn cache_checkpoint_past_the_end_of_the_log_triggers_a_rebuild_on_open() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    small_store(&dir, 64 * 1024 * 1024);
    tamper_checkpoint_then_reopen(&dir, |seq, cp| {
        // seq, hash, segment 0, then an end offset far past the file.
        let head = varint(seq).len() + 32 + 1;
        cp.truncate(head);
        cp.extend(varint(1 << 20));
    });
}

#[test]
fn cache_checkpoint_with_a_wrong_seq_triggers_a_rebuild_on_open() {
    // The checkpoint's hash and end offset still match the log's last frame;
    // only its seq is wrong. Trusting it would give the store a wrong head,
    // and the next append would write a record with a wrong seq.
    for delta in [-2i64, 3] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("store");
        small_store(&dir, 64 * 1024 * 1024);
        tamper_checkpoint_then_reopen(&dir, |seq, cp| {
            let old = varint(seq).len();
            let new = varint(seq.checked_add_signed(delta).unwrap());
            cp.splice(..old, new);
        });
    }
}

/// A log of `n` claims (plus a genesis and a source), appended in batches
/// of 100: several of verify's hash-checking chunks of 1024 frames.
fn long_store(dir: &Path, n: i64) {
    let mut s = Store::create(dir, crate::common::origin(), crate::common::opts(1 << 30)).unwrap();
    s.append(vec![crate::common::source_event("alpha")])
        .unwrap();
    for b in 0..n / 100 {
        let events = (0..100)
            .map(|i| crate::common::claim_event("alpha", "exchanges", b * 100 + i + 1))
            .collect();
        s.append(events).unwrap();
    }
}

#[test]
fn bad_hash_deep_in_a_long_log_is_reported_at_its_seq_with_the_report_as_of_there() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    long_store(&dir, 3000);
    let seg_path = segment_files(&dir)[0].clone();
    let seg = std::fs::read(&seg_path).unwrap();
    let fr = frames(&seg);
    for k in [1500usize, 2047, 2048, 3001] {
        let case = tmp.path().join(format!("case{k}"));
        copy_dir(&dir, &case);
        // The stored hash is the frame's last 32 bytes.
        let mut bad = seg.clone();
        bad[fr[k].end - 1] ^= 0x01;
        // And a later frame that does not decode: the earlier problem wins.
        if k + 10 < fr.len() {
            bad[fr[k + 10].start + 8] ^= 0xFF;
        }
        std::fs::write(&segment_files(&case)[0], &bad).unwrap();
        let r = check(&case, false);
        let p = r.problem.expect("found");
        assert_eq!(
            (p.seq, p.kind.as_str()),
            (k as u64, "hash mismatch"),
            "frame {k}"
        );
        assert_eq!(r.records, k as u64, "frame {k}: records verified before it");
        assert_eq!(r.head.map(|h| h.seq), Some(k as u64 - 1), "frame {k}");
        assert_eq!(
            r.counts.values().sum::<u64>(),
            k as u64,
            "frame {k}: the counts are those of the frames before it: {:?}",
            r.counts
        );
    }
}

#[test]
fn log_cut_short_is_found_by_verify_through_the_cache_witness_or_without_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    long_store(&dir, 300);
    drop(open(&dir, 1 << 30));
    assert!(
        dir.join("cache").join("witness").exists(),
        "a clean close writes the witness"
    );
    let seg = std::fs::read(&segment_files(&dir)[0]).unwrap();
    let fr = frames(&seg);
    let keep = fr[fr.len() - 100].start; // the last batch of 100 claims is gone
    for witness in ["kept", "garbled", "removed"] {
        let case = tmp.path().join(witness);
        copy_dir(&dir, &case);
        std::fs::write(&segment_files(&case)[0], &seg[..keep]).unwrap();
        let w = case.join("cache").join("witness");
        match witness {
            "garbled" => std::fs::write(&w, b"not a witness").unwrap(),
            "removed" => std::fs::remove_file(&w).unwrap(),
            _ => {}
        }
        let p = problem(&case, false).expect("the cut is found");
        assert_eq!(
            (p.seq, p.kind.as_str()),
            ((fr.len() - 100) as u64, "cache disagrees"),
            "witness {witness}: {p:?}"
        );
    }
}

/// A record appended with a valid frame, hash and link, whose claim cites
/// a source the ledger never registered: every frame is sound, so only
/// deep verify's replay can refuse it, and it names the record's seq.
#[test]
fn a_chained_record_that_cannot_follow_the_ledger_is_named_by_deep_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    small_store(&dir, 1 << 20);
    let head = {
        let s = open(&dir, 1 << 20);
        s.head()
    };
    let forged = claimlog::Record {
        format: claimlog::FORMAT_VERSION,
        seq: head.seq + 1,
        prev: head.hash,
        recorded_at_ms: 1_700_000_000_000,
        recorded_by: None,
        event: crate::common::claim_event("nobody", "people_returned", 5),
    };
    let bytes = claimlog::encode_record(&forged).unwrap();
    let hash = claimlog::record_hash(&head.hash, &bytes);
    let len = u32::try_from(bytes.len()).unwrap();
    let mut frame = len.to_le_bytes().to_vec();
    frame.extend_from_slice(&(!len).to_le_bytes());
    frame.extend_from_slice(&bytes);
    frame.extend_from_slice(&hash.0);
    let last = segment_files(&dir).pop().unwrap();
    let mut seg = std::fs::read(&last).unwrap();
    seg.extend_from_slice(&frame);
    std::fs::write(&last, &seg).unwrap();

    assert!(
        problem(&dir, false).is_none(),
        "the frame is sound; without the replay nothing is wrong"
    );
    let p = problem(&dir, true).expect("deep verify refuses the record");
    assert_eq!(
        (p.seq, p.kind.as_str()),
        (head.seq + 1, "invalid event"),
        "{p:?}"
    );
    assert!(p.reason.contains("nobody"), "{p:?}");

    // Damage after it, found by the scan first, does not hide it: deep
    // verify names the first seq that cannot be trusted. A copy of the
    // forged frame (its seq is not the next one), then a frame whose
    // length is wrong.
    for (after, scanned) in [(frame.clone(), "seq gap"), (vec![9u8; 8], "bad frame")] {
        let mut damaged = seg.clone();
        damaged.extend_from_slice(&after);
        std::fs::write(&last, &damaged).unwrap();
        let p = problem(&dir, false).expect("the scan finds the damage");
        assert_eq!((p.seq, p.kind.as_str()), (head.seq + 2, scanned), "{p:?}");
        let p = problem(&dir, true).expect("deep verify finds the record");
        assert_eq!(
            (p.seq, p.kind.as_str()),
            (head.seq + 1, "invalid event"),
            "{p:?}"
        );
    }
}
