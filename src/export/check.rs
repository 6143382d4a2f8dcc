//! Offline verification of a snapshot: needs no store and trusts nothing
//! in the file but what it can recompute.

use super::read::{read_snapshot, ReadEvent, SnapshotHandler};
use super::sorted::{write_sorted, SortScratch};
use super::standard::standard_queries;
use super::types::{record_value, HeadJson, SNAPSHOT_FORMAT};
use super::ExportError;
use crate::chain::{check_link, record_hash};
use crate::checkpoint::{open_note, Checkpoint, Verifier};
use crate::event::{decode_record, ends_a_claim, Event, Hash32, Record};
use crate::log::Position;
use crate::merkle::{hash_leaf, RootBuilder};
use crate::project::{apply, Cache, ClaimBytes, Sink, SourceEntry, Targets};
use crate::query::{total_brief, Query};
use base64::Engine;
use serde::Serialize;

/// What `verify-snapshot` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SnapshotReport {
    pub events: u64,
    pub root: Option<Hash32>,
    pub head: Option<HeadJson>,
    /// Key names whose signatures verified; empty when no key was given.
    pub signed_by: Vec<String>,
    pub totals_checked: usize,
    /// The first failure: where and why. None when everything holds.
    pub failure: Option<String>,
}

/// Checks a snapshot's events one after another, each on its own and
/// against the one before; keeps what the snapshot's other members are
/// checked against (the chain's head, the Merkle root, the genesis).
pub(crate) struct EventChecker {
    pub next_seq: u64,
    pub prev: Hash32,
    pub builder: RootBuilder,
    pub origin: Option<String>,
    pub store_id: Option<String>,
    json: RecordJson,
}

/// Compares a record's readable JSON in a snapshot with the record.
#[derive(Default)]
pub(crate) struct RecordJson {
    /// The last record's JSON as export writes it.
    rendered: Vec<u8>,
    scratch: SortScratch,
}

impl RecordJson {
    /// Whether `json` is event `seq`'s record `rec` as JSON: the text
    /// `export` writes for it (its value: keys sorted, compact), or, where
    /// the text differs (a snapshot re-formatted by another tool), the
    /// same JSON value.
    pub fn check(&mut self, seq: u64, rec: &Record, json: &str) -> Result<(), String> {
        self.rendered.clear();
        write_sorted(&mut self.rendered, rec, &mut self.scratch).expect("a record always renders");
        if self.rendered == json.as_bytes()
            || serde_json::from_str::<serde_json::Value>(json).is_ok_and(|v| v == record_value(rec))
        {
            return Ok(());
        }
        Err(format!(
            "event seq {seq}: the readable record JSON does not match the record bytes"
        ))
    }
}

/// An event that passed `EventChecker::check`: what a replay folds.
pub(crate) struct CheckedEvent {
    pub seq: u64,
    pub hash: Hash32,
    pub rec: Record,
    pub bytes: Vec<u8>,
}

/// How `Replayer` fills its scratch cache.
pub(crate) enum Replay {
    /// In chunks, as read.
    Chunks,
    /// Sorted, then written once: needs the claims the events end, from
    /// a first pass over them (project/bulk.rs).
    Bulk(Targets),
}

impl EventChecker {
    pub fn new() -> Self {
        EventChecker {
            next_seq: 0,
            prev: Hash32::ZERO,
            builder: RootBuilder::new(),
            origin: None,
            store_id: None,
            json: RecordJson::default(),
        }
    }

    /// Checks one event against its predecessor: its seq, bytes, hash,
    /// link and readable JSON.
    pub fn check(&mut self, e: &ReadEvent) -> Result<CheckedEvent, String> {
        let checked = self.check_bytes(e)?;
        self.json.check(checked.seq, &checked.rec, e.record.get())?;
        Ok(checked)
    }

    /// `check` but for the readable JSON, which the caller compares
    /// (`RecordJson`) before it takes the event any further.
    pub fn check_bytes(&mut self, e: &ReadEvent) -> Result<CheckedEvent, String> {
        let seq = self.next_seq;
        let at = |m: String| format!("event seq {seq}: {m}");
        if e.seq != seq {
            return Err(at(format!(
                "out of order: found seq {} (events must be complete and in order)",
                e.seq
            )));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&e.bytes)
            .map_err(|x| at(format!("bytes are not valid base64: {x}")))?;
        let rec = decode_record(&bytes).map_err(|x| at(format!("bytes: {x}")))?;
        let h = record_hash(&self.prev, &bytes);
        if h != e.hash {
            return Err(at(format!(
                "hash mismatch: the file says {}, the bytes hash to {}",
                e.hash.short(),
                h.short()
            )));
        }
        check_link(seq, &self.prev, &rec).map_err(|x| at(x.to_string()))?;
        if let Event::Genesis(g) = &rec.event {
            self.origin = Some(g.origin.to_string());
            self.store_id = Some(hex::encode(g.store_id));
        }
        self.builder.push(hash_leaf(&h.0));
        self.prev = h;
        self.next_seq += 1;
        Ok(CheckedEvent {
            seq,
            hash: h,
            rec,
            bytes,
        })
    }
}

/// Checked events replayed into a scratch cache, which the snapshot's
/// sources and totals are then checked against.
pub(crate) struct Replayer {
    // Dropped before the cache, whose trees it writes.
    sink: Option<Sink>,
    cache: Cache,
    /// The last event applied: the cache's checkpoint.
    last: Option<(u64, Hash32)>,
}

impl Replayer {
    /// A replay into a new scratch cache. Its errors are the machine's (no
    /// scratch directory, no room for the sort): nothing in the snapshot.
    pub fn new(replay: Replay) -> Result<Self, crate::project::ProjectError> {
        let cache = Cache::temporary()?;
        let sink = match replay {
            Replay::Chunks => Sink::chunks(&cache),
            Replay::Bulk(targets) => Sink::bulk(&cache, targets)?,
        };
        Ok(Replayer {
            sink: Some(sink),
            cache,
            last: None,
        })
    }

    /// Folds `e`, checked, into the cache.
    pub fn apply(&mut self, e: &CheckedEvent) -> Result<(), String> {
        let sink = self
            .sink
            .as_mut()
            .ok_or("an event after the replay ended")?;
        let claim = ClaimBytes::in_record(&e.rec, &e.bytes);
        let position = Position {
            segment: 0,
            offset: e.seq,
        };
        apply(sink.overlay(), &e.rec, claim, e.hash, position)
            .map_err(|x| format!("event seq {}: {x}", e.seq))?;
        sink.applied(&self.cache, Some(cp(e.seq, e.hash)))
            .map_err(|x| x.to_string())?;
        self.last = Some((e.seq, e.hash));
        Ok(())
    }

    /// How many events were applied: seqs start at 0 and follow each other.
    pub fn applied(&self) -> u64 {
        self.last.map_or(0, |(seq, _)| seq + 1)
    }

    /// The replayed cache, every applied event written.
    pub fn finish(&mut self) -> Result<&Cache, String> {
        if let (Some(sink), Some((seq, hash))) = (self.sink.take(), self.last) {
            sink.finish(&self.cache, Some(cp(seq, hash)))
                .map_err(|x| x.to_string())?;
        }
        Ok(&self.cache)
    }
}

fn cp(seq: u64, hash: Hash32) -> crate::project::Checkpoint {
    crate::project::Checkpoint {
        seq,
        hash,
        end_segment: 0,
        end_offset: seq,
    }
}

/// The replaying side of `verify_with`: the snapshot's parts, in file
/// order, from the reading side (`Reader`).
struct Verify {
    json: RecordJson,
    replay: Replayer,
    fields: std::collections::BTreeMap<String, serde_json::Value>,
    /// The stated totals, compared as they are read after the events.
    totals: Option<TotalsCheck>,
    /// Its outcome: how many totals held, or the first difference
    /// (reported after the other members, as when totals are compared last).
    streamed: Option<Result<usize, String>>,
}

/// Compares stated totals, in order, with those recomputed from the
/// replayed events (`standard_queries`), keeping the first difference.
struct TotalsCheck {
    queries: Vec<Query>,
    count: usize,
    failure: Option<String>,
}

impl TotalsCheck {
    fn new(cache: &Cache) -> Result<Self, String> {
        Ok(TotalsCheck {
            queries: standard_queries(cache).map_err(|e| e.to_string())?,
            count: 0,
            failure: None,
        })
    }

    fn push(&mut self, cache: &Cache, stated: &serde_json::Value) -> Result<(), String> {
        let i = self.count;
        self.count += 1;
        // More stated than recomputed: counted, and reported by `finish`.
        let Some(q) = self.queries.get(i).filter(|_| self.failure.is_none()) else {
            return Ok(());
        };
        let t = total_brief(cache, q).map_err(|e| e.to_string())?;
        if serde_json::to_value(&t).map_err(|e| e.to_string())? != *stated {
            self.failure = Some(format!(
                "totals: total #{i} ({} {}) differs from the one recomputed from the events",
                t.metric,
                t.period.as_deref().unwrap_or("all time")
            ));
        }
        Ok(())
    }

    /// How many totals were stated, all equal to those recomputed.
    fn finish(self) -> Result<usize, String> {
        if let Some(f) = self.failure {
            return Err(f);
        }
        let (count, n) = (self.count, self.queries.len());
        if count < n {
            return Err(format!(
                "totals: the snapshot lists {count} totals, the events give more"
            ));
        }
        if count > n {
            return Err(format!(
                "totals: the snapshot lists {count} totals, the events give {n}"
            ));
        }
        Ok(count)
    }
}

/// What `Reader` hands `Verify`, in file order.
// Nearly every part is an event: boxing them would allocate once more an
// event to save room in batches of 256.
#[allow(clippy::large_enum_variant)]
enum Part {
    Field(String, serde_json::Value),
    /// Checked but for its readable JSON, which comes with it.
    Event(CheckedEvent, Box<serde_json::value::RawValue>),
    Total(serde_json::Value),
    TotalsEnd,
}

/// Parts a hand-over holds, and hand-overs under way: about 2 MB of
/// checked events at most between the two threads.
const PARTS_A_BATCH: usize = 256;
const BATCHES_AHEAD: usize = 4;

/// The reading side of `verify_with`: parses the snapshot and checks each
/// event on its own and against the one before (`EventChecker`), on the
/// calling thread, and hands every part on, in order, to the replay
/// (`Verify`): on a thread of its own while the events go by, then, from
/// the first total on, here. Parsing and checking were most of a
/// verify-snapshot's time, on one core, while the replay waited; the
/// totals, each a large value, are parsed one at a time, as the replay
/// takes them.
struct Reader<'scope> {
    events: EventChecker,
    batch: Vec<Part>,
    replay: Replaying<'scope>,
}

enum Replaying<'scope> {
    /// On its own thread, taking the parts handed over through `tx`.
    Apart {
        tx: std::sync::mpsc::SyncSender<Vec<Part>>,
        thread: std::thread::ScopedJoinHandle<'scope, (Verify, Result<(), String>)>,
    },
    Here(Box<Verify>),
    /// Between the two, while the thread is joined.
    Joining,
}

impl Reader<'_> {
    fn send(&mut self, part: Part) -> Result<(), String> {
        if let Replaying::Here(v) = &mut self.replay {
            return v.take(part);
        }
        self.batch.push(part);
        if self.batch.len() < PARTS_A_BATCH {
            return Ok(());
        }
        self.flush()
    }

    /// Hands over what is held. Fails only once the replay has stopped,
    /// at a failure of its own, which `here` then reports.
    fn flush(&mut self) -> Result<(), String> {
        let Replaying::Apart { tx, .. } = &self.replay else {
            return Ok(());
        };
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(PARTS_A_BATCH));
        tx.send(batch).map_err(|_| "the replay stopped".to_string())
    }

    /// The replay, brought to this thread once it has taken everything
    /// handed over; its first failure, if it failed (a part the reader had
    /// passed: it comes first in the file).
    fn here(&mut self) -> Result<&mut Verify, String> {
        if let Replaying::Apart { .. } = self.replay {
            // A failed hand-over means the replay failed: reported below.
            let _ = self.flush();
            let Replaying::Apart { tx, thread } =
                std::mem::replace(&mut self.replay, Replaying::Joining)
            else {
                unreachable!("matched above")
            };
            drop(tx);
            let (v, taken) = thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            self.replay = Replaying::Here(Box::new(v));
            taken?;
        }
        match &mut self.replay {
            Replaying::Here(v) => Ok(v),
            _ => unreachable!("brought here above"),
        }
    }
}

impl SnapshotHandler for Reader<'_> {
    fn field(&mut self, name: &str, value: serde_json::Value) -> Result<(), String> {
        self.send(Part::Field(name.to_string(), value))
    }
    fn event(&mut self, e: ReadEvent) -> Result<(), String> {
        let checked = self.events.check_bytes(&e)?;
        self.send(Part::Event(checked, e.record))
    }
    /// After the events (as a snapshot writes them), each stated total is
    /// compared as it is read, against the total recomputed from them.
    fn streams_totals(&self) -> bool {
        self.events.next_seq > 0
    }
    fn total(&mut self, stated: serde_json::Value) -> Result<(), String> {
        self.here()?.take(Part::Total(stated))
    }
    fn totals_end(&mut self) -> Result<(), String> {
        self.here()?.take(Part::TotalsEnd)
    }
}

impl Verify {
    fn take(&mut self, part: Part) -> Result<(), String> {
        match part {
            Part::Field(name, value) => {
                const KNOWN: [&str; 10] = [
                    "format",
                    "exported_at",
                    "origin",
                    "store_id",
                    "tree_size",
                    "head",
                    "root",
                    "checkpoint",
                    "sources",
                    "totals",
                ];
                if !KNOWN.contains(&name.as_str()) {
                    return Err(format!("unknown field {name:?}"));
                }
                self.fields.insert(name, value);
            }
            Part::Event(e, json) => {
                self.json.check(e.seq, &e.rec, json.get())?;
                self.replay.apply(&e)?;
            }
            Part::Total(stated) => {
                let cache = self.replay.finish()?;
                let check = match &mut self.totals {
                    Some(c) => c,
                    None => self.totals.insert(TotalsCheck::new(cache)?),
                };
                check.push(cache, &stated)?;
            }
            Part::TotalsEnd => {
                let check = match self.totals.take() {
                    Some(c) => c,
                    None => TotalsCheck::new(self.replay.finish()?)?,
                };
                self.streamed = Some(check.finish());
            }
        }
        Ok(())
    }

    /// Takes the parts from `rx` until they end or one fails.
    fn take_all(&mut self, rx: std::sync::mpsc::Receiver<Vec<Part>>) -> Result<(), String> {
        for batch in rx {
            for part in batch {
                self.take(part)?;
            }
        }
        Ok(())
    }
}

/// The checkpoint body of `text`: a bare body as it is, or the text of a
/// signed note up to (and with the newline before) its blank line.
pub(crate) fn note_text(text: &str) -> &str {
    match text.find("\n\n") {
        Some(i) => &text[..=i],
        None => text,
    }
}

/// Checks a checkpoint text against an origin, size and root; with
/// `verifiers`, also its signatures (at least one must verify).
pub fn check_checkpoint(
    text: &str,
    origin: &str,
    size: u64,
    root: &Hash32,
    verifiers: &[Verifier],
) -> Result<Vec<String>, String> {
    let (body, signed_by) = if verifiers.is_empty() {
        (note_text(text).to_string(), Vec::new())
    } else {
        open_note(text.as_bytes(), verifiers).map_err(|e| format!("checkpoint signature: {e}"))?
    };
    let cp = Checkpoint::parse_body(&body).map_err(|e| format!("checkpoint: {e}"))?;
    if cp.origin() != origin {
        return Err(format!(
            "checkpoint: origin {:?} is not the log's origin {origin:?}",
            cp.origin()
        ));
    }
    if cp.size() != size {
        return Err(format!(
            "checkpoint: tree size {} but the log has {size} events",
            cp.size()
        ));
    }
    if cp.root() != &root.0 {
        return Err("checkpoint: root hash does not match the Merkle root of the events".into());
    }
    Ok(signed_by)
}

fn field<T: serde::de::DeserializeOwned>(
    fields: &std::collections::BTreeMap<String, serde_json::Value>,
    name: &str,
) -> Result<T, String> {
    let v = fields
        .get(name)
        .cloned()
        .ok_or_else(|| format!("field {name:?} is missing"))?;
    serde_json::from_value(v).map_err(|e| format!("{name}: {e}"))
}

/// Verifies a snapshot read from `r`. `verifiers`: public keys whose
/// signature on the checkpoint is required (none: signatures not checked).
/// An error is the machine's (no scratch cache for the replay); whatever
/// is wrong with the snapshot is in the report.
pub fn verify_snapshot(
    r: impl std::io::Read,
    verifiers: &[Verifier],
) -> Result<SnapshotReport, ExportError> {
    verify_with(r, verifiers, Replay::Chunks)
}

/// The first of two passes over a snapshot file: the claims its events
/// retract or correct. Events it cannot read are left to the second.
#[derive(Default)]
struct EndedClaims(Targets);

impl SnapshotHandler for EndedClaims {
    fn field(&mut self, _: &str, _: serde_json::Value) -> Result<(), String> {
        Ok(())
    }
    fn event(&mut self, _: ReadEvent) -> Result<(), String> {
        Ok(())
    }
    /// Only retractions and corrections name claims, and their envelope
    /// and tag say which they are: the rest is not decoded here.
    fn bytes_only(&self) -> bool {
        true
    }
    fn event_bytes(&mut self, bytes: String) -> Result<(), String> {
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&bytes) else {
            return Ok(());
        };
        if ends_a_claim(&bytes).unwrap_or(false) {
            if let Ok(rec) = decode_record(&bytes) {
                self.0.note(&rec);
            }
        }
        Ok(())
    }
    /// Read and dropped, element by element.
    fn streams_totals(&self) -> bool {
        true
    }
}

/// `verify_snapshot` of the file at `path`. A regular file is read twice:
/// first for the claims its events end, then to check it, replaying the
/// events into a cache that is filled once, in key order
/// (project/bulk.rs), which for a large snapshot takes a fraction of the
/// time. Anything else (a pipe, a device) is read once, as
/// `verify_snapshot` reads. The report is the same either way.
pub fn verify_snapshot_file(
    path: &std::path::Path,
    verifiers: &[Verifier],
) -> Result<SnapshotReport, ExportError> {
    if !std::fs::metadata(path)?.is_file() {
        return verify_snapshot_stream(std::fs::File::open(path)?, verifiers);
    }
    verify_twice(|| std::fs::File::open(path), verifiers)
}

/// Verifies a snapshot from a stream that cannot be read twice (standard
/// input, a pipe): it is copied first to an unnamed temporary file (in
/// `TMPDIR`, deleted when done), which is then read twice as a file is.
/// Read once and replayed in chunks instead, a 1M snapshot took 89 s and
/// 105 MB; through the copy, 27 s and 81 MB and, for the copy's time, the
/// snapshot's size on disk (docs/PERFORMANCE.md).
pub fn verify_snapshot_stream(
    mut r: impl std::io::Read,
    verifiers: &[Verifier],
) -> Result<SnapshotReport, ExportError> {
    use std::io::{Seek, SeekFrom};
    let spool = |source| ExportError::Spool {
        dir: std::env::temp_dir(),
        source,
    };
    let mut copy = tempfile::tempfile().map_err(spool)?;
    std::io::copy(&mut r, &mut copy).map_err(spool)?;
    // Both handles share one offset: each pass starts from the start.
    let reopen = || {
        let mut f = copy.try_clone()?;
        f.seek(SeekFrom::Start(0))?;
        Ok(f)
    };
    verify_twice(reopen, verifiers).map_err(|e| match e {
        ExportError::Io(e) => spool(e),
        other => other,
    })
}

/// The two passes over a snapshot that can be opened again: the claims its
/// events end, then the events replayed into a cache in one sorted load.
fn verify_twice<R: std::io::Read>(
    open: impl Fn() -> std::io::Result<R>,
    verifiers: &[Verifier],
) -> Result<SnapshotReport, ExportError> {
    let mut ended = EndedClaims::default();
    let started = std::time::Instant::now();
    // A snapshot that cannot be read is reported by the second pass.
    let _ = read_snapshot(open()?, &mut ended);
    tracing::debug!("verify-snapshot: first pass in {:?}", started.elapsed());
    verify_with(open()?, verifiers, Replay::Bulk(ended.0))
}

fn verify_with(
    r: impl std::io::Read,
    verifiers: &[Verifier],
    replay: Replay,
) -> Result<SnapshotReport, ExportError> {
    let mut report = SnapshotReport {
        events: 0,
        root: None,
        head: None,
        signed_by: vec![],
        totals_checked: 0,
        failure: None,
    };
    let mut v = Verify {
        json: RecordJson::default(),
        replay: Replayer::new(replay)?,
        fields: Default::default(),
        totals: None,
        streamed: None,
    };
    let (tx, rx) = std::sync::mpsc::sync_channel(BATCHES_AHEAD);
    let done = std::thread::scope(|s| {
        let thread = std::thread::Builder::new()
            .name("claimlog-replay".into())
            .spawn_scoped(s, move || {
                let taken = v.take_all(rx);
                (v, taken)
            })
            .map_err(|e| format!("a thread for the replay: {e}"))?;
        let mut reader = Reader {
            events: EventChecker::new(),
            batch: Vec::with_capacity(PARTS_A_BATCH),
            replay: Replaying::Apart { tx, thread },
        };
        let read = read_snapshot(r, &mut reader);
        let taken = reader.here().map(|_| ());
        let Reader {
            events,
            replay: Replaying::Here(v),
            ..
        } = reader
        else {
            unreachable!("`here` brings the replay here")
        };
        Ok((events, v, taken.and(read)))
    });
    let (events, mut v, res) = match done {
        Ok(done) => done,
        Err(e) => {
            report.failure = Some(e);
            return Ok(report);
        }
    };
    let res = res.and_then(|()| {
        let streamed = v.streamed.take();
        let Verify { fields, replay, .. } = &mut *v;
        let ledger = Ledger::Replay(replay);
        check_fields(fields, &events, ledger, verifiers, &mut report, streamed)
    });
    report.events = v.replay.applied();
    if let Err(e) = res {
        report.failure = Some(e);
    }
    Ok(report)
}

/// What a snapshot's sources and totals are checked against.
pub(crate) enum Ledger<'a> {
    /// A store's cache, filled (restore).
    Cache(&'a Cache),
    /// The events' replay, finished once the members that need no cache
    /// hold (a failure there is reported first).
    Replay(&'a mut Replayer),
}

/// Checks a snapshot's members against its events (already checked one by
/// one by `events`) and against the ledger they replay into (`ledger`).
pub(crate) fn check_fields(
    fields: &std::collections::BTreeMap<String, serde_json::Value>,
    events: &EventChecker,
    ledger: Ledger<'_>,
    verifiers: &[Verifier],
    report: &mut SnapshotReport,
    streamed_totals: Option<Result<usize, String>>,
) -> Result<(), String> {
    let format: String = field(fields, "format")?;
    if format != SNAPSHOT_FORMAT {
        return Err(format!("format {format:?} is not {SNAPSHOT_FORMAT:?}"));
    }
    let _: String = field(fields, "exported_at")?;
    let n = events.next_seq;
    if n == 0 {
        return Err("the snapshot holds no events".into());
    }
    let root = Hash32(events.builder.root());
    report.root = Some(root);
    let head = HeadJson {
        seq: n - 1,
        hash: events.prev,
    };
    report.head = Some(head);
    let size: u64 = field(fields, "tree_size")?;
    if size != n {
        return Err(format!(
            "tree_size: says {size}, the snapshot holds {n} events"
        ));
    }
    let stated_head: HeadJson = field(fields, "head")?;
    if stated_head != head {
        return Err(format!(
            "head: says seq {} hash {}, the events end at seq {} hash {}",
            stated_head.seq,
            stated_head.hash.short(),
            head.seq,
            head.hash.short()
        ));
    }
    let stated_root: Hash32 = field(fields, "root")?;
    if stated_root != root {
        return Err("root: does not match the Merkle root of the events".into());
    }
    let origin = events
        .origin
        .clone()
        .ok_or("the first event is not a genesis event")?;
    let stated_origin: String = field(fields, "origin")?;
    if stated_origin != origin {
        return Err(format!(
            "origin: says {stated_origin:?}, the genesis event says {origin:?}"
        ));
    }
    let stated_id: String = field(fields, "store_id")?;
    if Some(&stated_id) != events.store_id.as_ref() {
        return Err("store_id: does not match the genesis event".into());
    }
    let cp: String = field(fields, "checkpoint")?;
    report.signed_by = check_checkpoint(&cp, &origin, n, &root, verifiers)?;
    let cache = match ledger {
        Ledger::Cache(c) => c,
        Ledger::Replay(r) => r.finish()?,
    };
    let sources: Vec<SourceEntry> = cache.sources().map_err(|e| e.to_string())?;
    let stated_sources = fields
        .get("sources")
        .cloned()
        .ok_or("field \"sources\" is missing")?;
    if serde_json::to_value(&sources).map_err(|e| e.to_string())? != stated_sources {
        return Err("sources: do not match the sources the events register".into());
    }
    report.totals_checked = match streamed_totals {
        // Compared as they were read (`Verify::total`).
        Some(outcome) => outcome?,
        None => {
            let stated = fields.get("totals").ok_or("field \"totals\" is missing")?;
            let stated = stated.as_array().ok_or("totals: not an array")?;
            let mut check = TotalsCheck::new(cache)?;
            for s in stated {
                check.push(cache, s)?;
            }
            check.finish()?
        }
    };
    Ok(())
}
