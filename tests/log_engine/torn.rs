//! Torn tails: what an append interrupted mid-write leaves behind is cut off
//! on open, nothing acknowledged is lost, and appends continue.

use crate::common::{
    check, claim_event, copy_dir, frames, open, segment_files, small_store, source_event,
};
use claimlog::{Head, Store, HEADER_LEN, SEGMENT_MAGIC};
use std::path::Path;

const BIG: u64 = 64 * 1024 * 1024;

/// Checks `case` (a store whose log may end in a torn tail) reopens at
/// `prev`, takes an append, and verifies deeply afterwards.
fn reopen_and_append(case: &Path, prev: Head, segment_bytes: u64, what: &str) -> Store {
    let mut s = open(case, segment_bytes);
    assert_eq!(s.head(), prev, "{what}: reopened at the previous event");
    let a = s
        .append(vec![claim_event("alpha", "people_returned", 1)])
        .unwrap();
    assert_eq!(a[0].seq, prev.seq + 1, "{what}");
    assert_eq!(s.record(a[0].seq).unwrap().hash, a[0].hash, "{what}");
    s
}

#[test]
fn truncating_the_last_frame_at_every_length_reopens_at_the_previous_event() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    small_store(&store, BIG);
    // What a crash during the next append leaves: the cache as it was before it.
    let before = tmp.path().join("before");
    copy_dir(&store, &before);
    let prev = open(&store, BIG).head();
    {
        let mut s = open(&store, BIG);
        s.append(vec![claim_event("beta", "exchanges", 4)]).unwrap();
    }
    let seg = std::fs::read(&segment_files(&store)[0]).unwrap();
    let last = frames(&seg).pop().unwrap();
    assert_eq!(last.end, seg.len());
    for len in 0..last.len() {
        let what = format!("last frame cut to {len} of {} bytes", last.len());
        let case = tmp.path().join(format!("case{len}"));
        copy_dir(&before, &case);
        std::fs::write(&segment_files(&case)[0], &seg[..last.start + len]).unwrap();

        let r = check(&case, false);
        assert!(r.ok(), "{what}: {:?}", r.problem);
        assert_eq!(r.head, Some(prev), "{what}");
        assert_eq!(r.torn_tail.is_some(), len > 0, "{what}: {:?}", r.torn_tail);

        let s = reopen_and_append(&case, prev, BIG, &what);
        let new_head = s.head();
        drop(s);
        let r = check(&case, true);
        assert!(r.ok(), "{what}: {:?}", r.problem);
        assert_eq!(r.torn_tail, None, "{what}: the torn tail was cut off");
        assert_eq!(r.head, Some(new_head), "{what}");
        std::fs::remove_dir_all(&case).unwrap();
    }
}

#[test]
fn truncated_last_frame_with_a_cache_ahead_of_the_log_reopens_by_rebuilding() {
    // The cache applied the frame before it was cut (not a crash: a file
    // truncated behind claimlog's back). Verify calls it a removal; open
    // rebuilds the cache from what the log holds.
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    small_store(&store, BIG);
    let prev = open(&store, BIG).head();
    let mut s = open(&store, BIG);
    s.append(vec![claim_event("beta", "exchanges", 4)]).unwrap();
    drop(s);
    let seg = std::fs::read(&segment_files(&store)[0]).unwrap();
    let last = frames(&seg).pop().unwrap();
    for len in [
        0,
        1,
        7,
        8,
        9,
        last.len() / 2,
        last.len() - 33,
        last.len() - 1,
    ] {
        let what = format!("cache ahead, last frame cut to {len}");
        let case = tmp.path().join(format!("case{len}"));
        copy_dir(&store, &case);
        std::fs::write(&segment_files(&case)[0], &seg[..last.start + len]).unwrap();
        let p = check(&case, false).problem.expect("removal found");
        assert_eq!((p.seq, p.kind.as_str()), (prev.seq + 1, "cache disagrees"));
        drop(reopen_and_append(&case, prev, BIG, &what));
        let r = check(&case, true);
        assert!(r.ok(), "{what}: {:?}", r.problem);
    }
}

fn header(first_seq: u64) -> [u8; 24] {
    let mut h = [0u8; 24];
    h[..8].copy_from_slice(&SEGMENT_MAGIC);
    h[8..12].copy_from_slice(&1u32.to_le_bytes());
    h[16..].copy_from_slice(&first_seq.to_le_bytes());
    h
}

#[test]
fn torn_header_of_a_new_segment_reopens_cleanly() {
    const SEG: u64 = 512;
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    small_store(&store, SEG);
    // Append until the last segment is full: the next append starts a new one.
    let mut s = open(&store, SEG);
    let mut n = 0;
    while std::fs::metadata(segment_files(&store).last().unwrap())
        .unwrap()
        .len()
        < SEG
    {
        s.append(vec![source_event(&format!("filler-{n}"))])
            .unwrap();
        n += 1;
    }
    let prev = s.head();
    drop(s);
    let segs = segment_files(&store);
    let next_index = segs.len();
    let next_name = format!("{next_index:08}.seg");
    let full = header(prev.seq + 1);
    // A crash while creating the segment: 0..24 header bytes, a complete
    // header with no frame, or a header and part of its first frame.
    let mut cases: Vec<Vec<u8>> = (0..=24).map(|n| full[..n].to_vec()).collect();
    for part in [1usize, 8, 20] {
        let mut c = full.to_vec();
        c.extend_from_slice(&[0x30, 0, 0, 0, !0x30, 0xFF, 0xFF, 0xFF, 1, 2, 3][..part.min(11)]);
        c.resize(24 + part, 7);
        cases.push(c);
    }
    for (i, bytes) in cases.iter().enumerate() {
        let what = format!("new segment holding {} bytes", bytes.len());
        let case = tmp.path().join(format!("case{i}"));
        copy_dir(&store, &case);
        std::fs::write(case.join("log").join(&next_name), bytes).unwrap();

        let r = check(&case, false);
        assert!(r.ok(), "{what}: {:?}", r.problem);
        assert_eq!(r.head, Some(prev), "{what}");
        assert_eq!(r.torn_tail.is_some(), bytes.len() != 24, "{what}");

        let s = reopen_and_append(&case, prev, SEG, &what);
        let rec = s.record(prev.seq + 1).unwrap();
        assert_eq!(rec.pos.segment as usize, next_index, "{what}");
        assert_eq!(rec.pos.offset, HEADER_LEN, "{what}");
        drop(s);
        let written = std::fs::read(case.join("log").join(&next_name)).unwrap();
        assert_eq!(
            written[..24],
            full,
            "{what}: the header was rewritten whole"
        );
        assert_eq!(segment_files(&case).len(), next_index + 1, "{what}");
        let r = check(&case, true);
        assert!(r.ok(), "{what}: {:?}", r.problem);
        assert_eq!(r.torn_tail, None, "{what}");
    }
}

#[test]
fn segment_header_torn_after_the_magic_is_a_torn_tail_not_corruption() {
    // Regression: a new segment's header cut after more than the 8 magic
    // bytes was reported as a bad segment, and the store refused to open.
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    small_store(&store, 200);
    let prev = open(&store, 200).head();
    let next = segment_files(&store).len();
    let path = store.join("log").join(format!("{next:08}.seg"));
    std::fs::write(&path, &header(prev.seq + 1)[..12]).unwrap();
    let r = check(&store, false);
    assert!(r.ok(), "{:?}", r.problem);
    assert!(r.torn_tail.unwrap().contains("incomplete segment header"));
    drop(reopen_and_append(
        &store,
        prev,
        200,
        "header cut at 12 bytes",
    ));
    assert!(check(&store, true).ok());
}

/// The cache notes the place of every 64th record. A checkpoint at such a
/// record whose frame was cut off behind claimlog's back is a removal that
/// `verify --deep` reports, not an I/O error from reading the missing frame.
#[test]
fn deep_verify_reports_a_cut_off_record_the_cache_noted_the_place_of() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    small_store(&store, BIG);
    let mut s = open(&store, BIG);
    s.append(
        (6..64)
            .map(|n| claim_event("beta", "exchanges", n))
            .collect(),
    )
    .unwrap();
    let prev = s.head();
    assert_eq!(prev.seq, 63);
    s.append(vec![claim_event("beta", "exchanges", 64)])
        .unwrap();
    drop(s);
    let seg = std::fs::read(&segment_files(&store)[0]).unwrap();
    let last = frames(&seg).pop().unwrap();
    std::fs::write(&segment_files(&store)[0], &seg[..last.start]).unwrap();
    for deep in [true, false] {
        let p = check(&store, deep).problem.expect("removal found");
        assert_eq!(
            (p.seq, p.kind.as_str()),
            (64, "cache disagrees"),
            "deep {deep}"
        );
    }
}
