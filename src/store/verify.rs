//! Full verification: every frame, hash and link of the log, in constant
//! memory, then the cache against what the log says. Never trusts the cache
//! for anything it reports about the log.

use super::read_ahead::{Body, ReadAhead};
use super::{check_frame, check_frame_kind, decode_frame, lock, Head, StoreError};
use crate::event::Hash32;
use crate::log::{list_segments, Position, ScanEnd, Scanner};
use crate::project::witness::{self, Witness};
use crate::project::{apply, Cache, ClaimBytes, Difference};
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
/// with the store's cache key by key.
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
    let mut overlay = scratch.as_ref().map(|c| c.begin());
    let mut pending = 0usize;
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
    let mut frames = ReadAhead::start(scanner, scratch.is_none())?;
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
            Body::Valid(kind) => Ok(Checked::Kind(kind)),
            // A replay needs the record; the report needs only its kind.
            Body::Frame { hash_ok: true } if scratch.is_some() => {
                decode_frame(bytes, seq, &prev).map(Checked::Record)
            }
            Body::Frame { hash_ok: true } => check_frame_kind(bytes, seq, &prev).map(Checked::Kind),
            // What a check of the frame alone says: the hash mismatch, or
            // what it comes from (a gap, a broken link) if it decodes.
            Body::Frame { .. } => Err(check_frame(bytes, &item.stored_hash, seq, &prev)
                .err()
                .unwrap_or_else(|| "hash mismatch".into())),
        };
        let rec = match checked {
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
        // With a scratch cache the reading thread decodes nothing: every
        // record is here to replay.
        if let (Some(ov), Some(sc), Checked::Record(rec)) =
            (overlay.as_mut(), scratch.as_ref(), &rec)
        {
            let claim = ClaimBytes::in_record(rec, bytes);
            if let Err(e) = apply(ov, rec, claim, item.stored_hash, item.pos) {
                report.problem = Some(Problem {
                    seq,
                    kind: "invalid event".into(),
                    reason: e.to_string(),
                    segment: Some(item.pos.segment),
                    offset: Some(item.pos.offset),
                });
                return finish(report, dir, scratch);
            }
            pending += 1;
            if pending == 1024 {
                sc.commit(
                    overlay.take().expect("overlay"),
                    cp(seq, item.stored_hash, item.end),
                )?;
                overlay = Some(sc.begin());
                pending = 0;
            }
        }
        let (stored, more) = (item.stored_hash, item.more);
        // No allocation per record: the kinds are a handful of known names.
        let kind = match &rec {
            Checked::Kind(k) => k,
            Checked::Record(r) => r.event.kind(),
        };
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
                overlay = None;
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
    if let (Some(ov), Some(sc), Some(h)) = (overlay, scratch.as_ref(), report.head) {
        let end = scanner.position();
        sc.commit(ov, cp(h.seq, h.hash, end))?;
    }
    let scratch_ref = if report.cache_checked == "deep" {
        scratch.as_ref()
    } else {
        None
    };
    check_cache(
        &mut report,
        dir,
        scratch_ref,
        witness.map(|w| (w, hash_at_witness)),
    )?;
    finish(report, dir, scratch)
}

/// A frame found good: its record, or only its kind when the reading
/// thread decoded it.
#[allow(clippy::large_enum_variant)] // one at a time, never stored
enum Checked {
    Kind(&'static str),
    Record(crate::event::Record),
}

fn cp(seq: u64, hash: Hash32, end: Position) -> crate::project::Checkpoint {
    crate::project::Checkpoint {
        seq,
        hash,
        end_segment: end.segment,
        end_offset: end.offset,
    }
}

fn tempdir_for_scratch(dir: &Path) -> std::path::PathBuf {
    dir.join(format!("verify-scratch-{}", std::process::id()))
}

fn finish(report: Report, dir: &Path, scratch: Option<Cache>) -> Result<Report, StoreError> {
    if scratch.is_some() {
        drop(scratch);
        let _ = std::fs::remove_dir_all(tempdir_for_scratch(dir));
    }
    Ok(report)
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
