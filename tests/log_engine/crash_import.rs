//! Crash safety of a bulk import (Store::bulk_batch: the log written in
//! parts, the cache's entries sorted on disk and written at commit): the
//! `claimlog import` process is killed with SIGKILL at random moments, and
//! every time the store opens to either the head before the import or
//! the head after all of it, verifies deep (the cache equals a replay),
//! and holds no leftover sort directory.
//!
//! `CLAIMLOG_CRASH_IMPORT_KILLS` sets the number of kills (default 10).

use crate::common::{check, copy_dir, open, Rng};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const SEG: u64 = 64 * 1024 * 1024;

fn claimlog(store: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_claimlog"));
    c.arg("--store").arg(store);
    c
}

/// An import file of `n` claims over a year of days, with retractions and
/// corrections of its own lines.
fn import_file(path: &Path, n: u64) {
    let mut lines =
        vec![r#"{"type":"source","id":"crash","name":"Crash Outlet","kind":"media"}"#.to_string()];
    for i in 0..n {
        lines.push(format!(
            r#"{{"type":"claim","metric":"people_returned","quantity":{{"exact":{}}},"scope":{{"kind":"event","date":"2024-{:02}-{:02}"}},"source":"crash","published":"2024-12-31","quote":"{} returned, line {i}"}}"#,
            i + 1,
            i % 12 + 1,
            i % 28 + 1,
            i + 1
        ));
        if i % 97 == 50 {
            // Line numbers: the source is line 1, claim i is on the line
            // after those before it.
            let line = lines.len();
            lines.push(format!(
                r#"{{"type":"retract","line":{line},"reason":"double counted"}}"#
            ));
        }
    }
    std::fs::write(path, lines.join("\n")).unwrap();
}

fn sort_dirs(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".rebuild-")
        })
        .count()
}

#[test]
fn crash_sigkill_during_a_bulk_import_leaves_all_of_it_or_none() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    assert!(claimlog(&base)
        .args(["init", "--origin", "test.example/crash"])
        .output()
        .unwrap()
        .status
        .success());
    let file = tmp.path().join("import.jsonl");
    import_file(&file, 3000);
    let before = open(&base, SEG).head();
    // One import run to its end: the head after, and how long it takes.
    let whole = tmp.path().join("whole");
    copy_dir(&base, &whole);
    let started = Instant::now();
    let out = claimlog(&whole).arg("import").arg(&file).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let took = started.elapsed();
    let after = open(&whole, SEG).head();
    assert!(after.seq > before.seq + 3000, "{after:?}");

    let kills = std::env::var("CLAIMLOG_CRASH_IMPORT_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10u64);
    let mut rng = Rng::new(0xc0ffee);
    let (mut none, mut all) = (0, 0);
    for round in 0..kills {
        let dir = tmp.path().join(format!("round{round}"));
        copy_dir(&base, &dir);
        let mut child = claimlog(&dir).arg("import").arg(&file).spawn().unwrap();
        // Anywhere from the start to past the usual end (a process that
        // starts while others run may take longer).
        let at = took.mul_f64(rng.below(1500) as f64 / 1000.0);
        std::thread::sleep(at.max(Duration::from_millis(1)));
        let _ = child.kill();
        let _ = child.wait();
        let s = open(&dir, SEG);
        // Seqs: records carry the time they were recorded, so each run's
        // hashes differ.
        let head = s.head();
        assert!(
            head == before || head.seq == after.seq,
            "round {round} (kill after {at:?}): head {head:?}, neither {before:?} nor seq {}",
            after.seq
        );
        if head == before {
            none += 1;
        } else {
            all += 1;
        }
        drop(s);
        assert_eq!(
            sort_dirs(&dir),
            0,
            "round {round}: a sort directory is left"
        );
        let r = check(&dir, true);
        assert!(r.ok(), "round {round}: {:?}", r.problem);
    }
    eprintln!(
        "{kills} kills within 1.5x the import's {took:?}: {none} left nothing, {all} left the whole import"
    );
}
