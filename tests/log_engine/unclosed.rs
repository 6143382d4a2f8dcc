//! A log ending in an unclosed batch of many complete frames (a crash in
//! the middle of a large batch, plain or bulk, in the store's first
//! segment or a new one, with the cache as it was before the batch, after
//! it, or gone): open cuts the whole batch off, keeps none of it in the
//! cache, and deep verify passes, before and after the next append. Also:
//! a damaged frame inside such a batch is damage, not a torn tail; and a
//! dropped batch whose cache cannot be rebuilt stops further appends.
//! (Written by a review of the bulk loads; each found a bug or pins a fix.)

use crate::common::{copy_dir, opts, source_event};
use claimlog::{Event, Origin, Store};
use std::path::{Path, PathBuf};

fn source(i: usize) -> Event {
    source_event(&format!("s-{i}"))
}

fn segs(dir: &Path) -> Vec<(String, u64)> {
    let mut v: Vec<_> = std::fs::read_dir(dir.join("log"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().unwrap().len(),
            )
        })
        .collect();
    v.sort();
    v
}

fn out_dir() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("store");
    (t, p)
}

/// Builds a store with `pre` single appends (and, with small segments,
/// more until the last segment is full, so the batch starts a new one),
/// commits a batch of `n` pushes (bulk or plain), then cuts off the
/// batch's closing frame: the log ends in an unclosed batch of n-1
/// complete frames. `cache`: "pre" puts back the cache as it was before
/// the batch (clean, checkpoint before it: the catch-up path), "none"
/// deletes it (the replay from empty), "post" keeps the cache written at
/// commit (checkpoint past the log's end: reset, replay from empty).
fn unclosed(dir: &Path, seg: u64, pre: usize, n: usize, bulk: bool, cache: &str) -> claimlog::Head {
    let mut s = Store::create(dir, Origin::new("t.example/x").unwrap(), opts(seg)).unwrap();
    for i in 0..pre {
        s.append(vec![source(i)]).unwrap();
    }
    if seg < BIG {
        // Fill the last segment so that the batch starts a new one.
        let mut i = pre;
        while segs(dir).last().unwrap().1 < seg {
            s.append(vec![source(i)]).unwrap();
            i += 1;
        }
    }
    let before = s.head();
    drop(s);
    let saved = dir.with_file_name("cache.pre");
    let _ = std::fs::remove_dir_all(&saved);
    copy_dir(&dir.join("cache"), &saved);
    let mut s = Store::open(dir, opts(seg)).unwrap();
    {
        let mut b = if bulk {
            s.bulk_batch([]).unwrap()
        } else {
            s.batch()
        };
        for i in 0..n {
            b.push(source(100_000 + i)).unwrap();
        }
        b.commit().unwrap();
    }
    let last = s.record(s.head().seq).unwrap().pos;
    drop(s);
    let p = dir.join("log").join(format!("{:08}.seg", last.segment));
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    f.set_len(last.offset).unwrap();
    drop(f);
    match cache {
        "pre" => {
            std::fs::remove_dir_all(dir.join("cache")).unwrap();
            copy_dir(&saved, &dir.join("cache"));
        }
        "none" => std::fs::remove_dir_all(dir.join("cache")).unwrap(),
        _ => {}
    }
    before
}

fn reopen_and_check(dir: &Path, seg: u64, before: claimlog::Head, what: &str) {
    let s = Store::open(dir, opts(seg)).unwrap();
    assert_eq!(s.head(), before, "{what}: head");
    assert!(
        s.cache().source("s-100000").unwrap().is_none(),
        "{what}: no part of the batch in the cache"
    );
    drop(s);
    let r = claimlog::verify(dir, true).unwrap();
    assert!(r.ok(), "{what}: deep verify after open: {:?}", r.problem);
    let mut s = Store::open(dir, opts(seg)).unwrap();
    s.append(vec![source(999_999)]).unwrap();
    let h = s.head();
    drop(s);
    let r = claimlog::verify(dir, true).unwrap();
    assert!(r.ok(), "{what}: deep verify after append: {:?}", r.problem);
    let s = Store::open(dir, opts(seg)).unwrap();
    assert_eq!(s.head(), h, "{what}: head after append+reopen");
}

const BIG: u64 = 64 * 1024 * 1024;

#[test]
fn plain_batch_3000_unclosed_dirty_cache() {
    let (_t, dir) = out_dir();
    let before = unclosed(&dir, BIG, 5, 3000, false, "post");
    reopen_and_check(&dir, BIG, before, "plain3000");
}

#[test]
fn bulk_batch_3000_unclosed_catch_up() {
    let (_t, dir) = out_dir();
    let before = unclosed(&dir, BIG, 5, 3000, true, "pre");
    reopen_and_check(&dir, BIG, before, "bulk3000 (catch-up)");
}

#[test]
fn bulk_batch_3000_unclosed_no_cache() {
    let (_t, dir) = out_dir();
    let before = unclosed(&dir, BIG, 5, 3000, true, "none");
    reopen_and_check(&dir, BIG, before, "bulk3000 (no cache)");
}

/// 1025 pushes: one spill writes exactly 1024 complete frames; a catch-up
/// replay's chunk boundary falls on the last of them.
#[test]
fn bulk_batch_1025_unclosed_catch_up_ends_at_chunk() {
    let (_t, dir) = out_dir();
    let before = unclosed(&dir, BIG, 0, 1025, true, "pre");
    reopen_and_check(&dir, BIG, before, "bulk1025 (catch-up)");
}

/// A single frame torn in a new segment (not a batch), the cache gone.
#[test]
fn torn_first_frame_in_new_segment() {
    let (_t, dir) = out_dir();
    let seg = 2048;
    let mut s = Store::create(&dir, Origin::new("t.example/x").unwrap(), opts(seg)).unwrap();
    let mut i = 0;
    while segs(&dir).last().unwrap().1 < seg {
        s.append(vec![source(i)]).unwrap();
        i += 1;
    }
    let before = s.head();
    s.append(vec![source(i)]).unwrap();
    s.flush().unwrap();
    drop(s);
    let last = segs(&dir).last().unwrap().0.clone();
    let p = dir.join("log").join(&last);
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..40]).unwrap();
    // The cache is ahead of the log: remove it, as after a crash before flush.
    std::fs::remove_dir_all(dir.join("cache")).unwrap();
    reopen_and_check(&dir, seg, before, "torn first frame in new segment");
}

#[test]
fn batch_in_new_segment_unclosed() {
    for (bulk, cache) in [
        (false, "post"),
        (true, "pre"),
        (true, "none"),
        (false, "pre"),
    ] {
        let what = format!("newseg bulk={bulk} cache={cache}");
        let (_t, dir) = out_dir();
        let before = unclosed(&dir, 2048, 40, 3000, bulk, cache);
        reopen_and_check(&dir, 2048, before, &what);
    }
}

/// A committed (acknowledged) batch of 3000, caught up from a checkpoint
/// before it: chunk boundaries fall inside the batch.
#[test]
fn catch_up_through_a_large_committed_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let mut s = Store::create(&dir, Origin::new("t.example/x").unwrap(), opts(BIG)).unwrap();
    s.append(vec![source(0)]).unwrap();
    s.flush().unwrap();
    drop(s);
    let old = tmp.path().join("oldcache");
    copy_dir(&dir.join("cache"), &old);
    let mut s = Store::open(&dir, opts(BIG)).unwrap();
    s.append((1..3001).map(source).collect()).unwrap();
    let h = s.head();
    drop(s);
    std::fs::remove_dir_all(dir.join("cache")).unwrap();
    copy_dir(&old, &dir.join("cache"));
    let s = Store::open(&dir, opts(BIG)).unwrap();
    assert_eq!(s.head(), h);
    assert!(!s.cache().is_dirty().unwrap());
    drop(s);
    let r = claimlog::verify(&dir, true).unwrap();
    assert!(r.ok(), "{:?}", r.problem);
}

/// A plain batch that spilled into the cache is dropped, and the rebuild
/// in `Batch::drop` fails (the log's only segment is renamed away for that
/// moment, so the replay finds none). No append may then be checked
/// against the cache: the store refuses them until reopened, and the
/// reopened store verifies.
#[test]
fn batch_drop_whose_rebuild_fails_stops_appends_until_reopened() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let mut s = Store::create(&dir, Origin::new("t.example/x").unwrap(), opts(BIG)).unwrap();
    s.append(vec![source(0)]).unwrap();
    {
        let mut b = s.batch();
        for i in 0..1500 {
            b.push(source(100_000 + i)).unwrap();
        }
        let seg = dir.join("log/00000000.seg");
        let away = dir.join("log/away");
        std::fs::rename(&seg, &away).unwrap();
        drop(b);
        std::fs::rename(&away, &seg).unwrap();
    }
    let refused = s.append(vec![source(0)]).unwrap_err();
    assert!(
        refused.to_string().contains("reopen the store"),
        "{refused}"
    );
    drop(s);
    let s = Store::open(&dir, opts(BIG)).unwrap();
    assert_eq!(s.head().seq, 1);
    assert!(s.cache().source("s-0").unwrap().is_some());
    drop(s);
    let r = claimlog::verify(&dir, true).unwrap();
    assert!(r.ok(), "deep verify: {:?}", r.problem);
}

/// An unclosed batch with a damaged frame (a flipped stored-hash bit)
/// inside it is damage, not a torn tail: open refuses the log, whether the
/// cache is gone (the replay from empty) or as before the batch.
#[test]
fn damaged_frame_inside_an_unclosed_batch_is_refused_not_cut() {
    for cache in ["none", "pre"] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("store");
        let mut s = Store::create(&dir, Origin::new("t.example/x").unwrap(), opts(BIG)).unwrap();
        s.append(vec![source(0)]).unwrap();
        let before = s.head();
        drop(s);
        let saved = tmp.path().join("cache.pre");
        copy_dir(&dir.join("cache"), &saved);
        let mut s = Store::open(&dir, opts(BIG)).unwrap();
        s.append((1..6).map(source).collect()).unwrap();
        let last = s.record(s.head().seq).unwrap().pos;
        let third = s.record(before.seq + 3).unwrap().pos;
        drop(s);
        let p = dir.join("log/00000000.seg");
        let mut bytes = std::fs::read(&p).unwrap();
        bytes.truncate(last.offset as usize);
        bytes[third.offset as usize - 1] ^= 1;
        std::fs::write(&p, &bytes).unwrap();
        std::fs::remove_dir_all(dir.join("cache")).unwrap();
        if cache == "pre" {
            copy_dir(&saved, &dir.join("cache"));
        }
        let len = std::fs::metadata(&p).unwrap().len();
        let err = Store::open(&dir, opts(BIG)).err().expect("refused");
        assert!(
            matches!(err, claimlog::StoreError::Corrupt { .. }),
            "{cache}: {err}"
        );
        assert_eq!(
            std::fs::metadata(&p).unwrap().len(),
            len,
            "{cache}: nothing cut"
        );
    }
}
