//! Crash safety: a child process appends in a loop and prints each seq once
//! `append`/`commit` has returned (after the fdatasync); the parent kills it
//! with SIGKILL at random moments, then checks that every acknowledged
//! record is in the log with the hash it was acknowledged with, that the
//! chain verifies, and that appends continue.
//!
//! The child is this test binary itself, relaunched to run only
//! `crash_child_helper_only_runs_when_spawned` with `CLAIMLOG_CRASH_CHILD`
//! set to the store directory.
//!
//! CI runs 30 kills. Long run: `CLAIMLOG_CRASH_KILLS=500 cargo test --test
//! log_engine crash -- --nocapture`; `CLAIMLOG_CRASH_SEED=<u64>` changes the
//! kill schedule (timing still varies from run to run).

use crate::common::{check, claim, claim_event, open, opts, origin, source_event, unlocked, Rng};
use claimlog::{Appended, Correction, Event, Hash32, Retraction, Store, Text};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "CLAIMLOG_CRASH_CHILD";
const CHILD_SEED_ENV: &str = "CLAIMLOG_CRASH_CHILD_SEED";
const CHILD_TEST: &str = "crash::crash_child_helper_only_runs_when_spawned";
/// Small segments, so that kills also land while a segment is being created.
const SEG: u64 = 8 * 1024;

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

/// One batch of the child's loop; source ids come from the seq they will
/// get, which is unique because the head after recovery is the truth.
fn child_batch(s: &mut Store, rng: &mut Rng) -> Vec<Appended> {
    let next = s.head().seq + 1;
    let id = |k: u64| format!("s{}", next + k);
    let n = i64::try_from(next).unwrap();
    let reason = || Text::new("crash test").unwrap();
    match rng.below(8) {
        // Single-event batches, most of the time.
        0..=3 => s.append(vec![source_event(&id(0))]).unwrap(),
        4 => {
            let k = 2 + rng.below(5);
            s.append((0..k).map(|i| source_event(&id(i))).collect())
                .unwrap()
        }
        5 => s
            .append(vec![
                source_event(&id(0)),
                claim_event(&id(0), "people_returned", n),
            ])
            .unwrap(),
        6 => {
            let mut b = s.batch();
            b.push(source_event(&id(0))).unwrap();
            let c = b.push(claim_event(&id(0), "exchanges", n)).unwrap();
            b.push(Event::ClaimRetracted(Retraction {
                claim: c.hash,
                reason: reason(),
            }))
            .unwrap();
            b.commit().unwrap()
        }
        _ => {
            let mut b = s.batch();
            b.push(source_event(&id(0))).unwrap();
            let c = b.push(claim_event(&id(0), "people_returned", n)).unwrap();
            b.push(Event::ClaimCorrected(Correction {
                old: c.hash,
                new: claim(&id(0), "people_returned", n + 1),
                reason: reason(),
            }))
            .unwrap();
            b.commit().unwrap()
        }
    }
}

#[test]
fn crash_child_helper_only_runs_when_spawned() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let mut rng = Rng::new(env_u64(CHILD_SEED_ENV, 1));
    let mut s = unlocked(|| Store::open(Path::new(&dir), opts(SEG))).expect("child: open");
    // Never outlive a parent that stopped killing (a failed test).
    let deadline = Instant::now() + Duration::from_secs(120);
    let out = std::io::stdout();
    while Instant::now() < deadline {
        let acked = child_batch(&mut s, &mut rng);
        let mut line = String::new();
        for a in &acked {
            line.push_str(&format!("ack {} {}\n", a.seq, a.hash.to_hex()));
        }
        // One write per batch; a closed pipe (parent gone) ends the child.
        let mut o = out.lock();
        o.write_all(line.as_bytes()).expect("child: stdout");
        o.flush().expect("child: stdout");
    }
}

fn child_failed(round: u64, why: &str, stderr: &Path) -> ! {
    panic!(
        "round {round}: {why}; child stderr:\n{}",
        std::fs::read_to_string(stderr).unwrap_or_default()
    )
}

fn parse_ack(line: &str) -> Option<(u64, Hash32)> {
    let mut it = line.strip_prefix("ack ")?.split(' ');
    let seq = it.next()?.parse().ok()?;
    let hash = Hash32::from_hex(it.next()?)?;
    Some((seq, hash))
}

/// What the kills left behind, for the summary line.
#[derive(Default, Debug)]
struct Seen {
    torn_tails: u64,
    /// Kills after a record was durable but before it was acknowledged.
    unacknowledged_kept: u64,
}

/// After a kill: verify, reopen, check every acknowledged record, append.
fn check_after_kill(dir: &Path, acked: &mut BTreeMap<u64, Hash32>, round: u64, seen: &mut Seen) {
    let r = check(dir, false);
    assert!(r.ok(), "round {round}: verify: {:?}", r.problem);
    seen.torn_tails += u64::from(r.torn_tail.is_some());
    let head = r.head.unwrap();
    if acked
        .last_key_value()
        .is_some_and(|(&max, _)| head.seq > max)
    {
        seen.unacknowledged_kept += 1;
    }
    let mut s = open(dir, SEG);
    assert_eq!(s.head(), head, "round {round}");
    if let Some((&max, _)) = acked.last_key_value() {
        assert!(
            head.seq >= max,
            "round {round}: head {} < acked {max}",
            head.seq
        );
    }
    let hashes: Vec<Hash32> = s
        .read(0, u64::MAX)
        .unwrap()
        .map(|r| r.unwrap().hash)
        .collect();
    assert_eq!(hashes.len() as u64, head.seq + 1, "round {round}");
    for (&seq, h) in acked.iter() {
        assert_eq!(
            &hashes[seq as usize], h,
            "round {round}: acknowledged seq {seq} changed"
        );
    }
    let a = s
        .append(vec![source_event(&format!("parent-{round}"))])
        .expect("appends continue after a crash");
    assert_eq!(a[0].seq, head.seq + 1);
    acked.insert(a[0].seq, a[0].hash);
}

#[test]
fn crash_sigkill_during_appends_loses_no_acknowledged_record() {
    let kills = env_u64("CLAIMLOG_CRASH_KILLS", 30);
    let seed = env_u64("CLAIMLOG_CRASH_SEED", 0x00C1_A1A5_EED5);
    eprintln!("crash test: {kills} kills, CLAIMLOG_CRASH_SEED={seed}");
    let mut rng = Rng::new(seed);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    drop(Store::create(&dir, origin(), opts(SEG)).unwrap());
    let exe = std::env::current_exe().unwrap();
    let mut acked: BTreeMap<u64, Hash32> = BTreeMap::new();
    let mut child_acks = 0u64;
    let mut seen = Seen::default();
    let started = Instant::now();
    for round in 0..kills {
        let stderr_path = tmp.path().join("child.stderr");
        let mut child = Command::new(&exe)
            .args([
                CHILD_TEST,
                "--exact",
                "--nocapture",
                "--test-threads=1",
                "-q",
            ])
            .env(CHILD_ENV, &dir)
            .env(CHILD_SEED_ENV, rng.next_u64().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(a) = parse_ack(&line) {
                    if tx.send(a).is_err() {
                        break;
                    }
                }
            }
        });
        let child_failed = |why: &str| child_failed(round, why, &stderr_path);
        let mut got = Vec::new();
        if rng.below(4) == 0 {
            // Any moment from the start: during exec, open, recovery or appends.
            std::thread::sleep(Duration::from_millis(rng.below(250)));
        } else {
            // In the middle of the append loop: after some acks, plus up to 3 ms.
            let want = 1 + rng.below(30);
            while (got.len() as u64) < want {
                match rx.recv_timeout(Duration::from_secs(60)) {
                    Ok(a) => got.push(a),
                    Err(_) => child_failed("no acknowledgement from the child"),
                }
            }
            std::thread::sleep(Duration::from_micros(rng.below(3000)));
        }
        if let Some(status) = child.try_wait().unwrap() {
            child_failed(&format!("the child exited by itself ({status})"));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        got.extend(rx.try_iter());
        child_acks += got.len() as u64;
        for (seq, h) in got {
            let before = acked.insert(seq, h);
            assert!(
                before.is_none(),
                "round {round}: seq {seq} acknowledged twice"
            );
        }
        check_after_kill(&dir, &mut acked, round, &mut seen);
    }
    eprintln!(
        "crash test: {kills} kills, {child_acks} records acknowledged by children, {seen:?}, {:?}",
        started.elapsed()
    );
    assert!(
        child_acks >= kills / 2,
        "children acknowledged only {child_acks} records"
    );
    let r = check(&dir, true);
    assert!(r.ok(), "final deep verify: {:?}", r.problem);
    let mut s = open(&dir, SEG);
    let incremental = s.cache().dump().unwrap();
    s.rebuild_cache().unwrap();
    assert_eq!(
        s.cache().dump().unwrap(),
        incremental,
        "cache after crashes = rebuild"
    );
}
