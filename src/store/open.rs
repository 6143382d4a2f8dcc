//! Opening a store: find where the cache left off, replay the rest of the
//! log into it, and cut off a torn tail.

use super::{check_frame, lock, Head, Store, StoreError, StoreOptions};
use crate::event::{decode_record, ends_a_claim, Hash32, Record};
use crate::log::{segment_path, LogWriter, Position, ScanEnd, Scanner, HEADER_LEN};
use crate::project::{apply, Cache, Checkpoint, ClaimBytes, Sink, Targets};
use std::path::Path;

pub(crate) struct ReplayEnd {
    pub head: Head,
    /// Where the next frame goes.
    pub end: Position,
    /// A torn tail found after `end`, and why it is torn.
    pub torn: Option<String>,
    /// Where the torn tail starts (before `end` when an incomplete batch's
    /// complete frames were replayed).
    pub torn_at: Option<Position>,
}

/// The claims that some record up to `limit` retracts or corrects
/// (project/bulk.rs), and, when the scan reached the log's end (no
/// `limit`), the torn tail found there: where it starts and why. Stops
/// quietly at the first frame it cannot read: the replay proper stops
/// there too, with the reason.
fn first_pass(
    log_dir: &Path,
    limit: Option<Position>,
) -> Result<(Targets, Option<(Position, String)>), StoreError> {
    let started = std::time::Instant::now();
    let mut targets = Targets::default();
    let mut scanner = Scanner::from(
        log_dir,
        Position {
            segment: 0,
            offset: HEADER_LEN,
        },
    )?;
    let mut whole = limit.is_none();
    // The seq and stored hash before the current batch: where checking the
    // frames of an unclosed last batch starts.
    let (mut seq, mut prev) = (0u64, Hash32::ZERO);
    let mut before_batch = (seq, prev);
    while let Some(frame) = scanner.next_frame().unwrap_or_else(|_| {
        whole = false;
        None
    }) {
        if limit.is_some_and(|l| frame.pos >= l) {
            break;
        }
        // Only retractions and corrections name targets: the rest are not
        // decoded here (the replay checks every record).
        let noted = match ends_a_claim(&frame.bytes) {
            Ok(false) => Ok(()),
            Ok(true) => decode_record(&frame.bytes).map(|rec| targets.note(&rec)),
            Err(e) => Err(e),
        };
        if noted.is_err() {
            whole = false;
            break;
        }
        seq += 1;
        prev = frame.stored_hash;
        if !frame.more {
            before_batch = (seq, prev);
        }
    }
    let torn = match scanner.end() {
        Some(ScanEnd::Torn { at, reason })
            if whole && tail_frames_hold(log_dir, at, before_batch) =>
        {
            Some((at, reason))
        }
        _ => None,
    };
    tracing::debug!("bulk load: first pass in {:?}", started.elapsed());
    Ok((targets, torn))
}

/// Whether the complete frames of the unclosed batch at `at` (before it,
/// `seq` records ending with hash `prev`) hash and link as they should.
/// If one does not, it is damage, not a torn tail: the replay goes on to
/// it and refuses the log, as it did before it stopped at torn tails.
fn tail_frames_hold(log_dir: &Path, at: Position, (mut seq, mut prev): (u64, Hash32)) -> bool {
    // Nothing to scan there (a torn segment header): no frame to check.
    let Ok(mut scanner) = Scanner::from(log_dir, at) else {
        return true;
    };
    while let Ok(Some(frame)) = scanner.next_frame() {
        if check_frame(&frame.bytes, &frame.stored_hash, seq, &prev).is_err() {
            return false;
        }
        seq += 1;
        prev = frame.stored_hash;
    }
    true
}

/// Batches of decoded records the replay's reading thread may hold ahead
/// of the fold. The fold's pace comes in bursts (its sort hands runs to
/// the sort thread, which then shares the two cores with both); with
/// `ahead`'s 4 batches the reading thread, the replay's bound, waited
/// 0.33-0.50 s for room in a 1M rebuild and the fold 0.89-0.95 s for
/// records. With 32 (about 8 MB of records) they waited 0.05-0.12 and
/// 0.18-0.51 s, and over nine alternated 1M rebuilds the replay took
/// 3.25 s on average against 3.40 s (faster in six; docs/PERFORMANCE.md,
/// nineteenth session): both cores are busy either way.
const REPLAY_DEPTH: usize = 32;

/// Replays the log into `cache` from checkpoint `from`, or from the start
/// into an empty cache.
pub(crate) fn replay(
    log_dir: &Path,
    cache: &Cache,
    from: Option<Checkpoint>,
    limit: Option<Position>,
) -> Result<ReplayEnd, StoreError> {
    let (start, mut next_seq, mut prev) = match from {
        Some(cp) => (
            Position {
                segment: cp.end_segment,
                offset: cp.end_offset,
            },
            cp.seq + 1,
            cp.hash,
        ),
        None => (
            Position {
                segment: 0,
                offset: HEADER_LEN,
            },
            0,
            Hash32::ZERO,
        ),
    };
    let (mut sink, torn_ahead) = match from {
        Some(_) => (Sink::chunks(cache), None),
        None => {
            let (targets, torn) = first_pass(log_dir, limit)?;
            (Sink::bulk(cache, targets)?, torn)
        }
    };
    // A torn tail the first pass found: stop where it starts, so that the
    // cache never holds, under a clean checkpoint, part of a batch that
    // was never acknowledged (a crash before the tail is cut would keep it).
    let stop = limit.or(torn_ahead.as_ref().map(|(at, _)| *at));
    let scanner = Scanner::from(log_dir, start)?;
    let mut last_end = start;
    // Whether the last frame applied closes its batch.
    let mut closed = true;
    // Frames are read, hashed, linked and decoded one thread ahead of the
    // fold (`checked_frames`): that is a third of a replay's work.
    let scanned_end = crate::ahead::ahead_by(
        REPLAY_DEPTH,
        checked_frames(scanner, start, next_seq, prev, stop),
        |steps| {
            for step in steps {
                let frame = match step? {
                    Step::Frame(frame) => frame,
                    Step::End(end) => return Ok(end),
                };
                let claim = frame.claim.map(|content| ClaimBytes {
                    bytes: None,
                    content,
                });
                apply(sink.overlay(), &frame.rec, claim, frame.hash, frame.pos).map_err(|e| {
                    StoreError::Corrupt {
                        seq: next_seq,
                        reason: e.to_string(),
                    }
                })?;
                prev = frame.hash;
                last_end = frame.end;
                next_seq += 1;
                closed = !frame.more;
                sink.applied(
                    cache,
                    closed.then(|| checkpoint(next_seq - 1, prev, last_end)),
                )?;
            }
            Ok::<_, StoreError>(None)
        },
    )?;
    if next_seq == 0 {
        return Err(StoreError::Corrupt {
            seq: 0,
            reason: "the log holds no genesis event (was `claimlog init` interrupted? delete the directory and init again)".into(),
        });
    }
    sink.finish(
        cache,
        closed.then(|| checkpoint(next_seq - 1, prev, last_end)),
    )?;
    let head = Head {
        seq: next_seq - 1,
        hash: prev,
    };
    if limit.is_some() {
        return Ok(ReplayEnd {
            head,
            end: last_end,
            torn: None,
            torn_at: None,
        });
    }
    let scanned = match torn_ahead {
        Some((at, reason)) => ScanEnd::Torn { at, reason },
        None => scanned_end.unwrap_or(ScanEnd::Clean),
    };
    match scanned {
        ScanEnd::Clean => Ok(ReplayEnd {
            head,
            end: last_end,
            torn: None,
            torn_at: None,
        }),
        ScanEnd::Torn { at, reason } => {
            // The writer reopens after the last complete batch, and removes
            // any segment after it: one whose header or first batch was
            // being written is empty once the torn bytes go. (Reopening in
            // that segment left it as a header-only file past the cache's
            // checkpoint, which deep verify's replay, ending there, did not
            // match.)
            let end = last_end;
            Ok(ReplayEnd {
                head,
                end,
                torn: Some(format!(
                    "segment {:08}.seg offset {}: {reason}",
                    at.segment, at.offset
                )),
                torn_at: Some(at),
            })
        }
        ScanEnd::Corrupt { reason, .. } => Err(StoreError::Corrupt {
            seq: next_seq,
            reason,
        }),
    }
}

/// A frame of the replay, checked: its record and where it lies.
struct Checked {
    rec: Record,
    /// The content hash of the claim it adds, made on the reading thread
    /// from the record's bytes. (Not the bytes themselves: buffers made on
    /// one thread and freed on the other grew a rebuild's peak RSS by
    /// 10-20 MB, glibc's arenas.)
    claim: Option<Hash32>,
    hash: Hash32,
    pos: Position,
    end: Position,
    /// Whether more frames of its batch follow.
    more: bool,
}

#[allow(clippy::large_enum_variant)] // all but the last are frames
enum Step {
    Frame(Checked),
    /// The replay's last frame was read: how the scan ended (`None` when
    /// it stopped early, at `stop`).
    End(Option<ScanEnd>),
}

/// The frames from `start` (the first of them seq `seq`, linked to
/// `prev`), each checked (segment header, hash, link, canonical
/// decoding), then how the scan ended; the first error ends them.
fn checked_frames(
    mut scanner: Scanner,
    start: Position,
    mut seq: u64,
    mut prev: Hash32,
    stop: Option<Position>,
) -> impl Iterator<Item = Result<Step, StoreError>> + Send {
    let mut segment = start.segment;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let mut step = || -> Result<Step, StoreError> {
            let Some(frame) = scanner.next_frame()? else {
                return Ok(Step::End(scanner.end()));
            };
            if stop.is_some_and(|l| frame.pos >= l) {
                return Ok(Step::End(None));
            }
            if frame.pos.segment != segment || seq == 0 {
                let declared = scanner.header_first_seq(frame.pos.segment);
                if declared != Some(seq) {
                    return Err(StoreError::Corrupt {
                        seq,
                        reason: format!(
                            "segment {:08}.seg declares first seq {declared:?}, but holds seq {seq} first",
                            frame.pos.segment
                        ),
                    });
                }
            }
            let rec = check_frame(&frame.bytes, &frame.stored_hash, seq, &prev)
                .map_err(|reason| StoreError::Corrupt { seq, reason })?;
            prev = frame.stored_hash;
            segment = frame.pos.segment;
            seq += 1;
            let claim = ClaimBytes::in_record(&rec, &frame.bytes).map(|c| c.content);
            Ok(Step::Frame(Checked {
                rec,
                claim,
                hash: frame.stored_hash,
                pos: frame.pos,
                end: frame.end(),
                more: frame.more,
            }))
        };
        let step = step();
        done = !matches!(step, Ok(Step::Frame(_)));
        Some(step)
    })
}

fn checkpoint(seq: u64, hash: Hash32, end: Position) -> Checkpoint {
    Checkpoint {
        seq,
        hash,
        end_segment: end.segment,
        end_offset: end.offset,
    }
}

/// Whether the log still ends a frame with hash `cp.hash` at `cp`'s end,
/// and that frame is record `cp.seq`.
fn checkpoint_matches_log(log_dir: &Path, cache: &Cache, cp: &Checkpoint) -> bool {
    let path = segment_path(log_dir, cp.end_segment);
    let Ok(meta) = std::fs::metadata(&path) else {
        return false;
    };
    if meta.len() < cp.end_offset || cp.end_offset < HEADER_LEN + crate::log::FRAME_OVERHEAD as u64
    {
        return false;
    }
    // Read the stored hash of the frame that ends at the checkpoint.
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(&path) else {
        return false;
    };
    let mut h = [0u8; 32];
    f.seek(SeekFrom::Start(cp.end_offset - 32)).is_ok()
        && f.read_exact(&mut h).is_ok()
        && h == cp.hash.0
        && checkpoint_seq_matches_log(log_dir, cache, cp)
}

/// Whether the frame ending at `cp`'s end holds record `cp.seq`: a checkpoint
/// with the right hash but a wrong seq would give the store a wrong head.
fn checkpoint_seq_matches_log(log_dir: &Path, cache: &Cache, cp: &Checkpoint) -> bool {
    let Ok(Some((frame, _))) = super::locate(log_dir, cache, cp.seq) else {
        return false;
    };
    frame.end()
        == Position {
            segment: cp.end_segment,
            offset: cp.end_offset,
        }
        && frame.stored_hash == cp.hash
        // A checkpoint on a frame that does not close its batch (an older
        // replay could leave one) vouches for frames never acknowledged.
        && !frame.more
        && decode_record(&frame.bytes).is_ok_and(|r| r.seq == cp.seq)
}

pub(super) fn open(dir: &Path, opts: StoreOptions) -> Result<Store, StoreError> {
    let log_dir = dir.join("log");
    if !log_dir.is_dir() {
        return Err(StoreError::NotAStore(dir.to_path_buf()));
    }
    let lock = lock::acquire(dir)?;
    crate::project::remove_stale_runs(dir);
    let (mut cache, fresh) = Cache::open(&dir.join("cache"), &log_dir, opts.page_cache_bytes)?;
    // A dirty cache holds part of a batch that never completed.
    let cp = if fresh || cache.is_dirty()? {
        None
    } else {
        cache.checkpoint()?
    };
    let from = match cp {
        Some(cp) if checkpoint_matches_log(&log_dir, &cache, &cp) => Some(cp),
        Some(cp) => {
            tracing::warn!(
                "the cache's checkpoint (seq {}) does not match the log; rebuilding the cache from the log",
                cp.seq
            );
            cache.reset()?;
            None
        }
        // Fresh is empty already; dirty holds part of a batch.
        None => {
            if !fresh {
                cache.reset()?;
            }
            None
        }
    };
    let mut end = replay(&log_dir, &cache, from, None)?;
    if let Some(at) = end.torn_at.filter(|at| *at < end.end) {
        // Frames of an unfinished batch reached the cache: start it afresh
        // and replay only up to the batch.
        let why = end.torn.take();
        cache.reset()?;
        end = replay(&log_dir, &cache, None, Some(at))?;
        end.torn = why;
    }
    if let Some(why) = &end.torn {
        tracing::warn!("cut off a torn tail left by an interrupted append ({why}); nothing acknowledged was lost");
    }
    let writer = LogWriter::open_at(&log_dir, end.end, opts.segment_bytes)?;
    Ok(Store {
        dir: dir.to_path_buf(),
        writer,
        cache,
        head: end.head,
        opts,
        appended: false,
        _lock: lock,
    })
}
