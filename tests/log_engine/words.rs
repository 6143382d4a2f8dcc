//! A claim's words (quote, url, note) are kept in the log alone: the cache
//! holds what totals need and where each claim's record is, and whatever
//! shows a claim whole reads it back from there, checked against the id.

use crate::common::*;
use claimlog::{Claim, ClaimEntry, Event, ProjectError, Store, StoreError, Text, Url};

/// A claim with words no other field holds.
fn worded(n: i64) -> Claim {
    let mut f = claim("alpha", "people_returned", n).into_fields();
    f.quote = Text::new(format!("quote-{n:05} said the envoy")).unwrap();
    f.url = Some(Url::new(format!("https://example.org/story-{n:05}")).unwrap());
    f.note = (n % 3 == 0).then(|| Text::new(format!("note-{n:05}")).unwrap());
    Claim::new(f).unwrap()
}

/// A store with `n` worded claims (seqs 2..2+n) over several segments,
/// each its own batch but the last hundred, which are one.
fn worded_store(dir: &std::path::Path, n: i64) -> Store {
    let mut s = Store::create(dir, origin(), opts(16 * 1024)).unwrap();
    s.append(vec![source_event("alpha")]).unwrap();
    for i in 0..n - 100 {
        s.append(vec![Event::ClaimAdded(worded(i))]).unwrap();
    }
    s.append((n - 100..n).map(|i| Event::ClaimAdded(worded(i))).collect())
        .unwrap();
    s
}

fn entries(s: &Store) -> Vec<ClaimEntry> {
    let mut v: Vec<ClaimEntry> = s.cache().claims().map(Result::unwrap).collect();
    v.sort_by_key(|e| e.seq);
    v
}

#[test]
fn the_cache_holds_no_words_and_listings_read_them_from_the_log() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let n = 300;
    let mut s = worded_store(&dir, n);
    let segments = std::fs::read_dir(dir.join("log"))
        .unwrap()
        .filter(|f| f.as_ref().unwrap().path().extension() == Some("seg".as_ref()))
        .count();
    assert!(segments > 2, "{segments} segments: too few to read across");
    let check_words = |s: &Store| {
        let dump = s.cache().dump().unwrap();
        for word in [&b"quote-"[..], b"story-", b"note-"] {
            assert!(
                !dump
                    .iter()
                    .any(|(k, v)| k.windows(word.len()).any(|w| w == word)
                        || v.windows(word.len()).any(|w| w == word)),
                "the cache holds {:?}",
                String::from_utf8_lossy(word)
            );
        }
        let all = entries(s);
        assert_eq!(all.len(), n as usize);
        // More than `whole_claims` reads one by one: one pass over the log.
        let whole: Vec<(ClaimEntry, Claim)> = s
            .whole_claims(all.clone())
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for (i, (e, c)) in whole.iter().enumerate() {
            assert_eq!(*c, worded(i as i64), "claim of seq {}", e.seq);
            assert_eq!(s.cache().full_claim(e).unwrap(), *c);
        }
        // Backwards too: the reader keeps one segment open, and these
        // claims span several, so it must switch back as well as on.
        for (e, c) in whole.iter().rev() {
            assert_eq!(s.cache().full_claim(e).unwrap(), *c);
        }
        // A few: one by one, the same.
        let few: Vec<ClaimEntry> = all.into_iter().step_by(50).collect();
        for (e, c) in s.whole_claims(few).unwrap().map(Result::unwrap) {
            assert_eq!(c, worded(e.seq as i64 - 2));
        }
    };
    check_words(&s);
    s.rebuild_cache().unwrap();
    check_words(&s);
}

#[test]
fn words_changed_in_the_log_are_refused_not_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let s = worded_store(&dir, 300);
    let victim = entries(&s).into_iter().find(|e| e.seq == 2 + 123).unwrap();
    drop(s);
    // Rewrite the quote in its frame, and nothing else: the cache still
    // vouches for the log, so only the claim's own read can notice.
    let mut changed = 0;
    for seg in segment_files(&dir) {
        let mut bytes = std::fs::read(&seg).unwrap();
        let needle = b"quote-00123";
        if let Some(at) = bytes.windows(needle.len()).position(|w| w == needle) {
            bytes[at..at + needle.len()].copy_from_slice(b"quote-99999");
            std::fs::write(&seg, bytes).unwrap();
            changed += 1;
        }
    }
    assert_eq!(changed, 1);
    let s = open(&dir, 64 * 1024);
    match s.cache().full_claim(&victim) {
        Err(ProjectError::Words { seq, reason, .. }) => {
            assert_eq!(seq, victim.seq);
            assert!(reason.contains("claimlog verify"), "{reason}");
        }
        other => panic!("the changed words were read: {other:?}"),
    }
    let all = entries(&s);
    assert!(all.len() > 256);
    let read: Result<Vec<_>, _> = s.whole_claims(all).unwrap().collect();
    assert!(
        matches!(read, Err(StoreError::Corrupt { .. })),
        "{:?}",
        read.map(|v| v.len())
    );
    // Claims in other frames read as they were.
    let other = entries(&s).into_iter().find(|e| e.seq == 2 + 7).unwrap();
    assert_eq!(s.cache().full_claim(&other).unwrap(), worded(7));
}

/// The id index keys a claim by the first 8 bytes of its id and the seq
/// that added it (ids that start alike have keys of their own under one
/// prefix, and a lookup passes over a key whose record hashes to another
/// id with the same first bytes: project/cache.rs's unit tests). A key
/// whose record hashes to an id that does not even start with its bytes is
/// the cache disagreeing with the log: refused with a pointer to verify,
/// not taken for a miss.
#[test]
fn an_id_key_that_points_at_another_claims_record_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = Store::create(&tmp.path().join("store"), origin(), opts(1 << 20)).unwrap();
    s.append(vec![source_event("alpha")]).unwrap();
    // The other claim first: its key (its seq) then sorts before the
    // sought claim's under their shared prefix, and is met first.
    let other = s.append(vec![Event::ClaimAdded(worded(1))]).unwrap()[0];
    let sought = s.append(vec![Event::ClaimAdded(worded(2))]).unwrap()[0];
    let other_entry = s.cache().claim(&other.hash).unwrap().unwrap();
    assert!(s.cache().claim(&sought.hash).unwrap().is_some());

    // project/keys.rs: `c/`, the id's first 8 bytes, the seq big-endian;
    // the value is the record's (segment, offset) in bincode's standard
    // encoding.
    let key = [&b"c/"[..], &sought.hash.0[..8], &other.seq.to_be_bytes()].concat();
    let at = other_entry.at;
    let value =
        bincode::encode_to_vec((at.segment, at.offset), bincode::config::standard()).unwrap();
    let mut ov = s.cache().begin();
    ov.put(key, value);
    s.cache().commit_partial(ov).unwrap();

    let refused = |e: ProjectError| {
        let e = e.to_string();
        assert!(e.contains("claimlog verify"), "{e}");
    };
    refused(s.cache().claim(&sought.hash).unwrap_err());
    refused(
        s.cache()
            .resolve_claim(&sought.hash.to_hex()[..16])
            .unwrap_err(),
    );
    let head = s.head();
    let retract = Event::ClaimRetracted(claimlog::Retraction {
        claim: sought.hash,
        reason: Text::new("a test").unwrap(),
    });
    assert!(s.append(vec![retract]).is_err());
    assert_eq!(s.head(), head);
    assert_eq!(s.cache().claim(&other.hash).unwrap(), Some(other_entry));
}
