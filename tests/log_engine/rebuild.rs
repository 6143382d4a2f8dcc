//! The cache is a pure function of the log: however it was built
//! (incrementally, by a full rebuild, or by catching up from an old
//! checkpoint), it holds the same bytes.

use crate::common::{check, claim, claim_event, copy_dir, open, opts, origin, source_event, SEED};
use claimlog::{import, Correction, Event, Hash32, Retraction, Store, Text};
use std::path::Path;

/// Small segments: the direct appends below spread over several of them.
const SEG: u64 = 1024;

fn claim_json(metric: &str, n: i64, source: &str) -> String {
    format!(
        r#"{{"metric":"{metric}","quantity":{{"at_least":{n}}},"scope":{{"kind":"event","date":"2025-05"}},"source":"{source}","published":"2025-05-20","quote":"more than {n} defenders returned home"}}"#
    )
}

/// Imports the seed dataset, then retractions and corrections by id and by
/// line, then a few direct appends and a batch. Returns the store.
fn build(dir: &Path) -> Store {
    let mut s = Store::create(dir, origin(), opts(SEG)).unwrap();
    let seed = import(&mut s, SEED.as_bytes()).unwrap();
    assert!(seed.claims_added >= 30, "{seed:?}");
    let ids: Vec<String> = seed.claim_ids.iter().map(Hash32::to_hex).collect();
    let lines = [
        format!(r#"{{"type":"retract","claim":"{}","reason":"double counted"}}"#, ids[0]),
        format!(r#"{{"type":"retract","claim":"{}","reason":"misread the article"}}"#, &ids[3][..12]),
        format!(
            r#"{{"type":"correct","claim":"{}","reason":"the article was updated","new":{}}}"#,
            ids[1],
            claim_json("people_returned", 4310, "ukrinform")
        ),
        format!(
            r#"{{"type":"correct","claim":"{}","reason":"typo","new":{}}}"#,
            ids[5],
            claim_json("exchanges", 63, "rubryka")
        ),
        r#"{"type":"source","id":"test-outlet","name":"Test Outlet","kind":"ngo","homepage":"https://example.org"}"#.to_string(),
        format!(r#"{{"type":"claim",{}"#, &claim_json("people_returned", 390, "test-outlet")[1..]),
        format!(
            r#"{{"type":"correct","line":6,"reason":"was 309","new":{}}}"#,
            claim_json("people_returned", 309, "test-outlet")
        ),
        r#"{"type":"retract","line":7,"reason":"withdrawn by the outlet"}"#.to_string(),
        format!(r#"{{"type":"claim",{}"#, &claim_json("bodies_repatriated", 909, "test-outlet")[1..]),
    ];
    let second = import(&mut s, lines.join("\n").as_bytes()).unwrap();
    assert_eq!(
        (second.retracted, second.corrected, second.claims_added),
        (3, 3, 2),
        "{second:?}"
    );
    for i in 0..20 {
        let src = format!("direct-{i}");
        s.append(vec![source_event(&src)]).unwrap();
        s.append(vec![claim_event(&src, "people_returned", i)])
            .unwrap();
    }
    let mut b = s.batch();
    b.push(source_event("batched")).unwrap();
    let c = b
        .push(claim_event("batched", "held_in_captivity", 8000))
        .unwrap();
    let d = b
        .push(Event::ClaimCorrected(Correction {
            old: c.hash,
            new: claim("batched", "held_in_captivity", 8100),
            reason: Text::new("restated").unwrap(),
        }))
        .unwrap();
    b.push(Event::ClaimRetracted(Retraction {
        claim: d.hash,
        reason: Text::new("gone").unwrap(),
    }))
    .unwrap();
    b.commit().unwrap();
    s
}

#[test]
fn rebuilt_cache_equals_the_incremental_one_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let mut s = build(&dir);
    let segments = crate::common::segment_files(&dir).len();
    assert!(
        s.head().seq > 80 && segments >= 5,
        "head {:?}, {segments} segments",
        s.head()
    );
    let incremental = s.cache().dump().unwrap();
    let digest = s.cache().digest().unwrap();

    s.rebuild_cache().unwrap();
    assert_eq!(s.cache().dump().unwrap(), incremental, "rebuild_cache");
    assert_eq!(s.cache().digest().unwrap(), digest);
    drop(s);

    std::fs::remove_dir_all(dir.join("cache")).unwrap();
    let s = open(&dir, SEG);
    assert_eq!(
        s.cache().dump().unwrap(),
        incremental,
        "cache deleted, rebuilt on open"
    );
    drop(s);
    let r = check(&dir, true);
    assert!(r.ok(), "{:?}", r.problem);
    assert_eq!(r.counts["claim_retracted"], 4);
    assert_eq!(r.counts["claim_corrected"], 4);
}

#[test]
fn cache_caught_up_from_an_old_checkpoint_equals_the_incremental_one() {
    // The path a crash takes: the cache is behind the log, and open replays
    // only the records after its checkpoint.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let mut s = Store::create(&dir, origin(), opts(SEG)).unwrap();
    s.append(vec![source_event("early")]).unwrap();
    s.flush().unwrap();
    drop(s);
    let old_cache = tmp.path().join("old-cache");
    copy_dir(&dir.join("cache"), &old_cache);

    let mut s = open(&dir, SEG);
    import(&mut s, SEED.as_bytes()).unwrap();
    for i in 0..10 {
        s.append(vec![claim_event("early", "exchanges", i)])
            .unwrap();
    }
    let incremental = s.cache().dump().unwrap();
    let head = s.head();
    drop(s);

    std::fs::remove_dir_all(dir.join("cache")).unwrap();
    copy_dir(&old_cache, &dir.join("cache"));
    let s = open(&dir, SEG);
    assert_eq!(s.head(), head);
    assert_eq!(s.cache().dump().unwrap(), incremental);
}
