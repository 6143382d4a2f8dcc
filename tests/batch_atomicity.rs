//! A batch is all or nothing across a crash: if its closing frame never
//! landed, its complete frames are cut off with it on the next open.

use claimlog::{Event, Name, Origin, Source, SourceId, SourceKind, Store, StoreOptions};

fn source(i: usize) -> Event {
    Event::SourceRegistered(Source {
        id: SourceId::new(format!("s-{i}")).unwrap(),
        name: Name::new(format!("Source {i}")).unwrap(),
        kind: SourceKind::Media,
        homepage: None,
    })
}

#[test]
fn unfinished_batch_is_cut_off_whole_at_every_truncation_point() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    let (head_before, seg_len_before, seg_len_after) = {
        let mut s = Store::create(
            &base,
            Origin::new("t.example/x").unwrap(),
            StoreOptions::default(),
        )
        .unwrap();
        s.append(vec![source(0)]).unwrap();
        let before = s.head();
        let seg = base.join("log/00000000.seg");
        let len_before = std::fs::metadata(&seg).unwrap().len();
        s.append((1..4).map(source).collect()).unwrap();
        (before, len_before, std::fs::metadata(&seg).unwrap().len())
    };
    // Cut the three-frame batch anywhere before its end: every frame of it goes.
    for cut in seg_len_before..seg_len_after {
        let dir = tmp.path().join(format!("cut-{cut}"));
        std::fs::create_dir_all(dir.join("log")).unwrap();
        let bytes = std::fs::read(base.join("log/00000000.seg")).unwrap();
        let cut_at = usize::try_from(cut).unwrap();
        std::fs::write(dir.join("log/00000000.seg"), &bytes[..cut_at]).unwrap();
        let report = claimlog::verify(&dir, false).unwrap();
        assert!(report.ok(), "cut {cut}: {:?}", report.problem);
        assert_eq!(
            report.head,
            Some(head_before),
            "cut {cut}: verify counts only closed batches"
        );
        if cut > seg_len_before {
            assert!(report.torn_tail.is_some(), "cut {cut}: torn tail reported");
        }
        let mut s = Store::open(&dir, StoreOptions::default()).unwrap();
        assert_eq!(
            s.head(),
            head_before,
            "cut {cut}: reopened at the last closed batch"
        );
        assert!(
            s.cache().source("s-1").unwrap().is_none(),
            "cut {cut}: no part of the batch in the cache"
        );
        s.append(vec![source(9)]).unwrap();
        drop(s);
        assert!(
            claimlog::verify(&dir, true).unwrap().ok(),
            "cut {cut}: appends continue and verify"
        );
    }
}

/// Regression: reopening from a cache checkpoint in a later segment read
/// that segment's header as missing ("declares first seq None").
#[test]
fn reopen_from_a_checkpoint_in_a_later_segment() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let opts = StoreOptions {
        segment_bytes: 512,
        recorded_by: None,
        ..StoreOptions::default()
    };
    {
        let mut s = Store::create(&dir, Origin::new("t.example/x").unwrap(), opts.clone()).unwrap();
        for i in 0..12 {
            s.append(vec![source(i)]).unwrap();
        }
        s.flush().unwrap();
    }
    assert!(
        std::fs::metadata(dir.join("log/00000002.seg")).is_ok(),
        "several segments"
    );
    let mut s = Store::open(&dir, opts).unwrap();
    s.append(vec![source(99)]).unwrap();
    drop(s);
    assert!(claimlog::verify(&dir, true).unwrap().ok());
}
