//! Torn tails: what an append interrupted mid-write leaves behind is cut off
//! on open, nothing acknowledged is lost, and appends continue.

use crate::common::{claim_event, opts, segment_files, small_store};
use claimlog::{verify, Head, Store, SEGMENT_MAGIC};
use std::path::Path;

/// Checks `case` (a store whose log may end in a torn tail) reopens at
/// `prev`, takes an append, and verifies deeply afterwards.
fn reopen_and_append(case: &Path, prev: Head, segment_bytes: u64, what: &str) -> Store {
    let mut s = Store::open(case, opts(segment_bytes)).unwrap();
    assert_eq!(s.head(), prev, "{what}: reopened at the previous event");
    let a = s
        .append(vec![claim_event("alpha", "people_returned", 1)])
        .unwrap();
    assert_eq!(a[0].seq, prev.seq + 1, "{what}");
    assert_eq!(s.record(a[0].seq).unwrap().hash, a[0].hash, "{what}");
    s
}

fn header(first_seq: u64) -> [u8; 24] {
    let mut h = [0u8; 24];
    h[..8].copy_from_slice(&SEGMENT_MAGIC);
    h[8..12].copy_from_slice(&1u32.to_le_bytes());
    h[16..].copy_from_slice(&first_seq.to_le_bytes());
    h
}

#[test]
fn segment_header_torn_after_the_magic_is_a_torn_tail_not_corruption() {
    // Regression: a new segment's header cut after more than the 8 magic
    // bytes was reported as a bad segment, and the store refused to open.
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    small_store(&store, 200);
    let prev = Store::open(&store, opts(200)).unwrap().head();
    let next = segment_files(&store).len();
    let path = store.join("log").join(format!("{next:08}.seg"));
    std::fs::write(&path, &header(prev.seq + 1)[..12]).unwrap();
    let r = verify(&store, false).unwrap();
    assert!(r.ok(), "{:?}", r.problem);
    assert!(r.torn_tail.unwrap().contains("incomplete segment header"));
    drop(reopen_and_append(
        &store,
        prev,
        200,
        "header cut at 12 bytes",
    ));
    assert!(verify(&store, true).unwrap().ok());
}
