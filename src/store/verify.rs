//! Full verification: every frame, hash and link of the log, in constant
//! memory, then the cache against what the log says. Never trusts the cache
//! for anything it reports about the log.

use super::read_ahead::{Body, ReadAhead};
use super::{check_frame, check_frame_kind, lock, Head, StoreError};
use crate::event::Hash32;
use crate::log::{list_segments, ScanEnd, Scanner};
use crate::project::witness::{self, Witness};
use crate::project::{Cache, Difference};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The first thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The first seq that cannot be trusted.
    pub seq: u64,
    /// `bad frame`, `hash mismatch`, `broken prev link`, `seq gap`,
    /// `undecodable record`, `invalid event`, `bad segment`, `cache disagrees`.
    pub kind: String,
    pub reason: String,
    pub segment: Option<u32>,
    pub offset: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub records: u64,
    pub segments: usize,
    pub head: Option<Head>,
    pub counts: BTreeMap<String, u64>,
    /// An incomplete last frame: an append interrupted before it was acknowledged.
    pub torn_tail: Option<String>,
    /// Whether the cache was compared in full (`deep`) or only its checkpoint and counts.
    pub cache_checked: &'static str,
    pub problem: Option<Problem>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problem.is_none()
    }
}

fn kind_of(reason: &str) -> &'static str {
    if reason.starts_with("seq gap") {
        "seq gap"
    } else if reason.starts_with("broken prev link") {
        "broken prev link"
    } else if reason.starts_with("hash mismatch") {
        "hash mismatch"
    } else if reason.starts_with("the first record") || reason.starts_with("genesis") {
        "invalid event"
    } else {
        "undecodable record"
    }
}

/// Verifies the store at `dir`. With `deep`, also replays every event into a
/// scratch cache (checking that each may follow the ledger) and compares it
/// with the store's cache key by key. The replay is a rebuild's, one sorted
/// load after the log has been checked: folding in commits of 1024
/// records, sled taking every claim in random order, took 32-41 s at 1M
/// (docs/PERFORMANCE.md, twenty-sixth session). That the two ways of
/// filling a cache agree byte for byte is tests/log_engine/rebuild.rs's to
/// show.
pub fn verify(dir: &Path, deep: bool) -> Result<Report, StoreError> {
    let log_dir = dir.join("log");
    if !log_dir.is_dir() {
        return Err(StoreError::NotAStore(dir.to_path_buf()));
    }
    let _lock = lock::acquire(dir)?;
    let mut report = Report {
        records: 0,
        segments: 0,
        head: None,
        counts: BTreeMap::new(),
        torn_tail: None,
        cache_checked: if deep {
            "deep"
        } else {
            "checkpoint and counts"
        },
        problem: None,
    };
    let segments = match list_segments(&log_dir) {
        Ok(s) => s,
        Err(e) => {
            report.problem = Some(Problem {
                seq: 0,
                kind: "bad segment".into(),
                reason: e.to_string(),
                segment: None,
                offset: None,
            });
            return Ok(report);
        }
    };
    report.segments = segments.len();
    let scratch = if deep {
        let scratch_dir = tempdir_for_scratch(dir);
        let _ = std::fs::remove_dir_all(&scratch_dir);
        Some(
            Cache::open(
                &scratch_dir,
                &log_dir,
                crate::project::WHOLE_PAGE_CACHE_BYTES,
            )?
            .0,
        )
    } else {
        None
    };
    let scanner = Scanner::new(&log_dir)?;
    let mut prev = Hash32::ZERO;
    let mut seq = 0u64;
    // The report as of the last frame that closed a batch, kept as the
    // counts of the frames since then (a torn tail takes them back): no
    // copy of the counts per record.
    let mut committed: (u64, Option<Head>) = (0, None);
    let mut since_commit: Vec<(&'static str, u64)> = Vec::new();
    let witness = if deep {
        None
    } else {
        witness::read(&dir.join("cache"))
    };
    let witness_seq = witness.as_ref().map(|w| w.checkpoint.seq);
    let mut hash_at_witness = None;
    // Reading and hashing on a second thread, decoding shared
    // (read_ahead.rs); frames come back in order.
    let mut frames = ReadAhead::start(scanner)?;
    while let Some((item, bytes)) = frames.next()? {
        if let Some(declared) = item.declared {
            if declared != Some(seq) {
                report.problem = Some(Problem {
                    seq,
                    kind: "bad segment".into(),
                    reason: format!(
                        "segment {:08}.seg declares first seq {declared:?}, but its first record is seq {seq}",
                        item.pos.segment
                    ),
                    segment: Some(item.pos.segment),
                    offset: Some(0),
                });
                return finish(report, dir, scratch);
            }
        }
        let checked = match item.body {
            Body::Valid(kind) => Ok(kind),
            Body::Frame { hash_ok: true } => check_frame_kind(bytes, seq, &prev),
            // What a check of the frame alone says: the hash mismatch, or
            // what it comes from (a gap, a broken link) if it decodes.
            Body::Frame { .. } => Err(check_frame(bytes, &item.stored_hash, seq, &prev)
                .err()
                .unwrap_or_else(|| "hash mismatch".into())),
        };
        let kind = match checked {
            Ok(r) => r,
            Err(reason) => {
                let kind = kind_of(&reason);
                let reason = reason
                    .strip_prefix(kind)
                    .map(|r| r.trim_start_matches([':', ' ']).to_string())
                    .unwrap_or(reason);
                report.problem = Some(Problem {
                    seq,
                    kind: kind.into(),
                    reason,
                    segment: Some(item.pos.segment),
                    offset: Some(item.pos.offset),
                });
                return finish(report, dir, scratch);
            }
        };
        let (stored, more) = (item.stored_hash, item.more);
        match report.counts.get_mut(kind) {
            Some(n) => *n += 1,
            None => {
                report.counts.insert(kind.to_string(), 1);
            }
        }
        match since_commit.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => since_commit.push((kind, 1)),
        }
        if Some(seq) == witness_seq {
            hash_at_witness = Some(stored);
        }
        report.head = Some(Head { seq, hash: stored });
        prev = stored;
        seq += 1;
        report.records = seq;
        if !more {
            committed = (report.records, report.head);
            since_commit.iter_mut().for_each(|(_, n)| *n = 0);
        }
    }
    tracing::debug!(
        "verify: the reading thread checked {} of {} records",
        frames.checked_there(),
        report.records
    );
    let scanner = frames.finish();
    match scanner.end().unwrap_or(ScanEnd::Clean) {
        ScanEnd::Clean => {}
        ScanEnd::Torn { at, reason } => {
            // Records of an unfinished batch were never acknowledged.
            (report.records, report.head) = committed;
            for (kind, n) in since_commit {
                if let Some(c) = report.counts.get_mut(kind) {
                    *c -= n;
                    if *c == 0 {
                        report.counts.remove(kind);
                    }
                }
            }
            if report.cache_checked == "deep" {
                report.cache_checked = "skipped (torn tail)";
            }
            report.torn_tail = Some(format!(
                "segment {:08}.seg offset {}: {reason}; it will be cut off when the store is next opened",
                at.segment, at.offset
            ));
        }
        ScanEnd::Corrupt { at, reason } => {
            report.problem = Some(Problem {
                seq,
                kind: if at.offset == 0 {
                    "bad segment"
                } else {
                    "bad frame"
                }
                .into(),
                reason,
                segment: Some(at.segment),
                offset: Some(at.offset),
            });
            return finish(report, dir, scratch);
        }
    }
    if report.head.is_none() {
        report.problem = Some(Problem {
            seq: 0,
            kind: "invalid event".into(),
            reason: "the log holds no genesis event".into(),
            segment: Some(0),
            offset: None,
        });
        return finish(report, dir, scratch);
    }
    let scratch_ref = if report.cache_checked == "deep" {
        scratch.as_ref()
    } else {
        None
    };
    if let (Some(sc), Some(head)) = (scratch_ref, report.head) {
        // Every frame is sound: what is left to find is an event that
        // cannot follow the ledger.
        match replayed(dir, sc, None)? {
            Ok(end) if end == head => {}
            Ok(end) => {
                return Err(StoreError::Corrupt {
                    seq: end.seq,
                    reason: "the log changed while it was verified".into(),
                })
            }
            Err(invalid) => {
                report.problem = Some(invalid);
                return finish(report, dir, scratch);
            }
        }
    }
    check_cache(
        &mut report,
        dir,
        scratch_ref,
        witness.map(|w| (w, hash_at_witness)),
    )?;
    finish(report, dir, scratch)
}

fn tempdir_for_scratch(dir: &Path) -> std::path::PathBuf {
    dir.join(format!("verify-scratch-{}", std::process::id()))
}

fn finish(mut report: Report, dir: &Path, scratch: Option<Cache>) -> Result<Report, StoreError> {
    if let Some(sc) = &scratch {
        earlier_invalid_event(&mut report, dir, sc)?;
    }
    if scratch.is_some() {
        drop(scratch);
        let _ = std::fs::remove_dir_all(tempdir_for_scratch(dir));
    }
    Ok(report)
}

/// With `--deep`, a problem the scan found in a frame at seq N yields to
/// an event before N that cannot follow the ledger: the report names the
/// first seq that cannot be trusted, as a single pass replaying each
/// record as it checked it did. The replay stops where the damaged frame
/// starts.
fn earlier_invalid_event(
    report: &mut Report,
    dir: &Path,
    scratch: &Cache,
) -> Result<(), StoreError> {
    let Some(p) = &report.problem else {
        return Ok(());
    };
    let (Some(segment), Some(offset)) = (p.segment, p.offset) else {
        return Ok(()); // not a frame's problem: found by the replay or the cache check
    };
    let before = crate::log::Position { segment, offset };
    // Nothing earlier (or nothing to replay before it): the scan's
    // problem stands.
    if let Err(invalid) = replayed(dir, scratch, Some(before))? {
        if invalid.seq < p.seq {
            report.problem = Some(invalid);
        }
    }
    Ok(())
}

/// Replays the log (up to `before`) into `scratch` as a rebuild does: the
/// head it reached, or the event that cannot follow the ledger, named by
/// its seq.
fn replayed(
    dir: &Path,
    scratch: &Cache,
    before: Option<crate::log::Position>,
) -> Result<Result<Head, Problem>, StoreError> {
    match super::open::replay(&dir.join("log"), scratch, None, before) {
        Ok(end) => Ok(Ok(end.head)),
        Err(StoreError::Corrupt { seq, reason }) => Ok(Err(Problem {
            seq,
            kind: "invalid event".into(),
            reason,
            segment: None,
            offset: None,
        })),
        Err(e) => Err(e),
    }
}

/// The cache's witness (project/witness.rs) and the log's hash at its
/// checkpoint, found during the scan.
type WitnessSeen = (Witness, Option<Hash32>);

fn check_cache(
    report: &mut Report,
    dir: &Path,
    scratch: Option<&Cache>,
    witness: Option<WitnessSeen>,
) -> Result<(), StoreError> {
    let cache_dir = dir.join("cache");
    if !cache_dir.exists() {
        return Ok(()); // no cache yet: the next open builds it
    }
    let head = report.head.expect("checked above");
    let disagree = |report: &mut Report, seq: u64, reason: String| {
        report.problem = Some(Problem {
            seq,
            kind: "cache disagrees".into(),
            reason,
            segment: None,
            offset: None,
        });
    };
    // What the cache says: from its witness when there is one (no need to
    // open sled), else from the tree.
    let (checkpoint, cached, logged, cache) = match witness {
        Some((w, at)) if scratch.is_none() => (
            Some(w.checkpoint),
            w.counts.into_iter().collect::<BTreeMap<String, u64>>(),
            at,
            None,
        ),
        _ => {
            let (cache, fresh) = Cache::open(
                &cache_dir,
                &dir.join("log"),
                crate::project::WHOLE_PAGE_CACHE_BYTES,
            )?;
            if fresh || cache.is_dirty()? {
                // Nothing to compare: the next open rebuilds it.
                return Ok(());
            }
            let cp = cache.checkpoint()?;
            let logged = match cp {
                // The log's hash at the checkpoint, read from the log; a
                // checkpoint past a log cut short has none (reported below).
                Some(cp) => super::locate(&dir.join("log"), &cache, cp.seq)
                    .ok()
                    .flatten()
                    .map(|(f, _)| f.stored_hash),
                None => None,
            };
            let counts = cache.counts()?.into_iter().collect();
            (cp, counts, logged, Some(cache))
        }
    };
    match checkpoint {
        Some(cp) if cp.seq > head.seq => {
            disagree(
                report,
                head.seq + 1,
                format!(
                    "the cache has applied up to seq {}, but the log ends at seq {}: records were removed from the log",
                    cp.seq, head.seq
                ),
            );
            return Ok(());
        }
        Some(cp) => {
            let at_seq = if cp.seq == head.seq {
                Some(head.hash)
            } else {
                logged
            };
            if cp.seq == head.seq && cp.hash != head.hash || at_seq != Some(cp.hash) {
                disagree(
                    report,
                    cp.seq,
                    format!(
                        "the cache's checkpoint hash for seq {} does not match the log",
                        cp.seq
                    ),
                );
                return Ok(());
            }
            if cp.seq < head.seq {
                // Behind is normal after a crash; it catches up on the next open.
                return Ok(());
            }
        }
        None => return Ok(()),
    }
    if cached != report.counts {
        disagree(
            report,
            head.seq,
            format!(
                "event counts in the cache {cached:?} differ from the log's {:?}",
                report.counts
            ),
        );
        return Ok(());
    }
    if let (Some(scratch), Some(cache)) = (scratch, cache) {
        if let Some(d) = cache.first_difference(scratch)? {
            let text = |k: &[u8]| String::from_utf8_lossy(k).into_owned();
            let first = match d {
                Difference::At(k) => format!("first at key {:?}", text(&k)),
                Difference::OnlyOurs(k) => {
                    format!("first at key {:?}, which a rebuild does not hold", text(&k))
                }
                Difference::OnlyTheirs(k) => {
                    format!("first at key {:?}, which the cache lacks", text(&k))
                }
            };
            disagree(
                report,
                head.seq,
                format!(
                    "the cache differs from a rebuild of the log, {first}; run `claimlog rebuild`"
                ),
            );
        }
    }
    Ok(())
}
