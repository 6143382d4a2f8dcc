//! A store: a directory holding the log (the truth), the cache (derived) and
//! the lock. `Store` is the one writer; `verify` reads without trusting the
//! cache.
//!
//! Layout: `STORE/LOCK`, `STORE/log/NNNNNNNN.seg`, `STORE/cache/` (sled).

mod lock;
mod open;
mod read_ahead;
mod verify;
mod whole;

pub use verify::{verify, Problem, Report};

use crate::chain::{check_link, check_link_of, record_hash};
use crate::event::{
    check_record, decode_record, encode_record, CodecError, Event, Genesis, Hash32, Record,
    FORMAT_VERSION,
};
use crate::log::MORE_IN_BATCH;
use crate::log::{encode_frame, LogError, LogWriter, Position, DEFAULT_SEGMENT_BYTES, HEADER_LEN};
use crate::model::{Name, Origin};
use crate::project::{
    apply, BulkLoad, Cache, Checkpoint, ClaimBytes, Overlay, ProjectError, Targets,
};
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Log(#[from] LogError),
    #[error(transparent)]
    Cache(#[from] ProjectError),
    #[error(transparent)]
    Codec(#[from] CodecError),
    #[error("{0} is not a claimlog store (no log/ directory); create one with `claimlog init`")]
    NotAStore(PathBuf),
    #[error("{0} already holds a claimlog store")]
    AlreadyExists(PathBuf),
    #[error(
        "store {store} is in use by {holder}; only one claimlog process may open a store at a time"
    )]
    Locked { store: PathBuf, holder: String },
    #[error("the log is damaged at seq {seq}: {reason}. Nothing was written; run `claimlog verify` for a full report")]
    Corrupt { seq: u64, reason: String },
    /// An event of the batch cannot follow the ledger. `index` is its place in the batch.
    #[error("event {index} of the batch: {reason}")]
    Rejected { index: usize, reason: String },
    #[error("the batch is empty")]
    EmptyBatch,
}

impl StoreError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// A new segment is started once the current one reaches this many bytes.
    pub segment_bytes: u64,
    /// Put in each record's `recorded_by`.
    pub recorded_by: Option<Name>,
    /// A cache whose files are smaller than this is not rebuilt on close
    /// for having grown (project/compaction.rs).
    pub rebuild_cache_from_bytes: u64,
    /// sled's page cache for the store's cache: `PAGE_CACHE_BYTES`, or
    /// `WHOLE_PAGE_CACHE_BYTES` for a command that reads or writes the
    /// whole cache once (`StoreOptions::whole`).
    pub page_cache_bytes: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            segment_bytes: DEFAULT_SEGMENT_BYTES,
            recorded_by: None,
            rebuild_cache_from_bytes: crate::project::compaction::MIN_BYTES,
            page_cache_bytes: crate::project::PAGE_CACHE_BYTES,
        }
    }
}

impl StoreOptions {
    /// For a command that reads or writes the whole cache once and asks
    /// nothing after: an import, a rebuild, an export, a restore. It holds
    /// less memory, and keeps nothing for a next query.
    pub fn whole() -> Self {
        StoreOptions {
            page_cache_bytes: crate::project::WHOLE_PAGE_CACHE_BYTES,
            ..StoreOptions::default()
        }
    }
}

/// The last record of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Head {
    pub seq: u64,
    pub hash: Hash32,
}

/// A record as read back: decoded, with its bytes, hash and place.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    pub record: Record,
    pub bytes: Vec<u8>,
    pub hash: Hash32,
    pub pos: Position,
}

/// The outcome of one appended event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Appended {
    pub seq: u64,
    pub hash: Hash32,
}

pub struct Store {
    dir: PathBuf,
    writer: LogWriter,
    cache: Cache,
    head: Head,
    opts: StoreOptions,
    /// Whether this store appended since it was opened: a closing store
    /// that did may compact its cache (project/compaction.rs).
    appended: bool,
    _lock: lock::StoreLock,
}

pub(crate) fn now_ms() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Decodes a frame's record bytes and checks them against the frame's
/// stored hash and the record before: the one place where bytes from disk
/// become a trusted record.
pub(crate) fn check_frame(
    bytes: &[u8],
    stored_hash: &Hash32,
    expected_seq: u64,
    prev: &Hash32,
) -> Result<Record, String> {
    let h = record_hash(prev, bytes);
    if h != *stored_hash {
        // Say what kind of damage it is when the record still decodes.
        return Err(match decode_record(bytes) {
            Ok(r) if r.seq != expected_seq => {
                format!("seq gap: expected seq {expected_seq}, found {}", r.seq)
            }
            Ok(r) if r.prev != *prev => format!(
                "broken prev link: record points to {}, previous record hash is {}",
                r.prev.short(),
                prev.short()
            ),
            _ => format!(
                "hash mismatch: stored {}, computed {}",
                stored_hash.short(),
                h.short()
            ),
        });
    }
    decode_frame(bytes, expected_seq, prev)
}

/// The decoding half of `check_frame`, for record bytes whose hash is
/// checked elsewhere (verify's reading thread).
pub(crate) fn decode_frame(
    bytes: &[u8],
    expected_seq: u64,
    prev: &Hash32,
) -> Result<Record, String> {
    let rec = decode_record(bytes).map_err(|e| e.to_string())?;
    check_link(expected_seq, prev, &rec).map_err(|e| e.to_string())?;
    Ok(rec)
}

/// `decode_frame` for a reader that needs only the record's kind: the
/// record is checked where it lies, not built (event/check.rs). The same
/// records pass, and a refusal reads the same.
pub(crate) fn check_frame_kind(
    bytes: &[u8],
    expected_seq: u64,
    prev: &Hash32,
) -> Result<&'static str, String> {
    let c = check_record(bytes).map_err(|e| e.to_string())?;
    check_link_of(expected_seq, prev, &c).map_err(|e| e.to_string())?;
    Ok(c.kind())
}

impl Store {
    /// Creates a new store at `dir` with a genesis event naming `origin`.
    pub fn create(dir: &Path, origin: Origin, opts: StoreOptions) -> Result<Store, StoreError> {
        let mut store = Self::create_empty(dir, opts)?;
        let mut store_id = [0u8; 16];
        getrandom::fill(&mut store_id)
            .map_err(|e| StoreError::io(dir, std::io::Error::other(e.to_string())))?;
        store.append_from(0, vec![Event::Genesis(Genesis { store_id, origin })])?;
        Ok(store)
    }

    fn create_empty(dir: &Path, opts: StoreOptions) -> Result<Store, StoreError> {
        let log_dir = dir.join("log");
        if log_dir.exists() {
            return Err(StoreError::AlreadyExists(dir.to_path_buf()));
        }
        std::fs::create_dir_all(&log_dir).map_err(|e| StoreError::io(&log_dir, e))?;
        let lock = lock::acquire(dir)?;
        let writer = LogWriter::create(&log_dir, opts.segment_bytes)?;
        // Make the new directory entries durable: log/ inside the store,
        // and the store inside its parent.
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| StoreError::io(dir, e))?;
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            let _ = std::fs::File::open(parent).and_then(|d| d.sync_all());
        }
        let (cache, _) = Cache::open(&dir.join("cache"), &dir.join("log"), opts.page_cache_bytes)?;
        cache.clear()?;
        Ok(Store {
            dir: dir.to_path_buf(),
            writer,
            cache,
            head: Head {
                seq: 0,
                hash: Hash32::ZERO,
            },
            opts,
            appended: false,
            _lock: lock,
        })
    }

    /// Creates a store whose first record is `genesis` (already encoded, as
    /// found in a snapshot), so that its chain is the source's chain.
    pub fn create_restored(
        dir: &Path,
        genesis: Vec<u8>,
        opts: StoreOptions,
    ) -> Result<Store, StoreError> {
        let rec = decode_record(&genesis)?;
        if !matches!(rec.event, Event::Genesis(_)) {
            return Err(StoreError::Rejected {
                index: 0,
                reason: "the first record is not a genesis event".into(),
            });
        }
        let mut store = Self::create_empty(dir, opts)?;
        let mut b = Batch::new(&mut store, 0);
        b.push_encoded(genesis)?;
        b.commit()?;
        Ok(store)
    }

    /// Opens an existing store for reading and appending.
    pub fn open(dir: &Path, opts: StoreOptions) -> Result<Store, StoreError> {
        open::open(dir, opts)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn log_dir(&self) -> PathBuf {
        self.dir.join("log")
    }

    pub fn head(&self) -> Head {
        self.head
    }

    /// Number of records in the log.
    pub fn len(&self) -> u64 {
        self.head.seq + 1
    }

    /// Never: every store holds at least its genesis event.
    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Appends `events` durably, all or nothing: every event is checked
    /// against the ledger first; then one write and one fdatasync.
    pub fn append(&mut self, events: Vec<Event>) -> Result<Vec<Appended>, StoreError> {
        if events.is_empty() {
            return Err(StoreError::EmptyBatch);
        }
        if let Some(i) = events.iter().position(|e| matches!(e, Event::Genesis(_))) {
            return Err(StoreError::Rejected {
                index: i,
                reason: "only a new store begins with a genesis event".into(),
            });
        }
        let next = self.head.seq + 1;
        self.append_from(next, events)
    }

    fn append_from(
        &mut self,
        first_seq: u64,
        events: Vec<Event>,
    ) -> Result<Vec<Appended>, StoreError> {
        let mut batch = Batch::new(self, first_seq);
        for e in events {
            batch.push(e)?;
        }
        batch.commit()
    }

    /// Starts a batch: events pushed get their seq and hash at once (so later
    /// events may refer to earlier ones); nothing is written until `commit`.
    pub fn batch(&mut self) -> Batch<'_> {
        let next = self.head.seq + 1;
        Batch::new(self, next)
    }

    /// A batch for many events (an import) whose cache writes are sorted
    /// and written once, at commit, instead of in parts as it grows
    /// (project/bulk.rs). `ended`: the recorded claims its events will
    /// retract or correct; a claim of the batch itself that a later event
    /// ends is pushed with `Batch::push_ended_later`. Its `commit` returns
    /// no list: each push returns its own outcome.
    pub fn bulk_batch(
        &mut self,
        ended: impl IntoIterator<Item = Hash32>,
    ) -> Result<Batch<'_>, StoreError> {
        let bulk = BulkLoad::over(&self.cache, ended.into_iter().collect::<Targets>())?;
        let next = self.head.seq + 1;
        let mut batch = Batch::new(self, next);
        batch.bulk = Some(bulk);
        Ok(batch)
    }

    /// The record at `seq`, read from the log and checked against its hash
    /// and the hash of the record before.
    pub fn record(&self, seq: u64) -> Result<StoredRecord, StoreError> {
        let missing =
            || StoreError::Cache(ProjectError::NotFound(format!("no record with seq {seq}")));
        if seq > self.head.seq {
            return Err(missing());
        }
        let (frame, prev) = locate(&self.log_dir(), &self.cache, seq)?.ok_or_else(missing)?;
        let record = check_frame(&frame.bytes, &frame.stored_hash, seq, &prev)
            .map_err(|reason| StoreError::Corrupt { seq, reason })?;
        Ok(StoredRecord {
            hash: frame.stored_hash,
            pos: frame.pos,
            bytes: frame.bytes,
            record,
        })
    }

    /// Records `from..to` (clamped to the log), streamed in constant memory.
    pub fn read(&self, from: u64, to: u64) -> Result<RecordIter, StoreError> {
        RecordIter::new(self, from, to.min(self.len()))
    }

    /// The record hashes of seqs `0..size`, in order: the Merkle tree's leaf data.
    pub fn record_hashes(&self, size: u64) -> Result<Vec<Hash32>, StoreError> {
        let n = size.min(self.len());
        let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
        self.for_each_record_hash(n, |h| out.push(h))?;
        Ok(out)
    }

    /// Calls `f` with the record hashes of seqs `0..size`, in order, in
    /// constant memory. They are the hashes stored in the log's frames,
    /// read sequentially (a tenth of the time of reading them from the
    /// cache at 1M events; docs/PERFORMANCE.md); `verify` is what checks
    /// them against the bytes.
    pub fn for_each_record_hash(
        &self,
        size: u64,
        mut f: impl FnMut(Hash32),
    ) -> Result<(), StoreError> {
        let n = size.min(self.len());
        let mut scanner = crate::log::Scanner::new(&self.log_dir())?;
        let mut buf = Vec::new();
        for seq in 0..n {
            buf.clear();
            match scanner.next_frame_into(&mut buf)? {
                Some(frame) => f(frame.stored_hash),
                None => {
                    return Err(StoreError::Corrupt {
                        seq,
                        reason: "the log ends before this record".into(),
                    })
                }
            }
        }
        Ok(())
    }

    /// Empties the cache, replays the whole log into it and flushes it,
    /// noting the size of its files, which it returns in bytes
    /// (project/compaction.rs).
    pub fn rebuild_cache(&mut self) -> Result<u64, StoreError> {
        self.cache.reset()?;
        let end = open::replay(&self.log_dir(), &self.cache, None, None)?;
        if end.head != self.head {
            return Err(StoreError::Corrupt {
                seq: end.head.seq,
                reason: "the log changed under an open store".into(),
            });
        }
        self.cache.flush()?;
        Ok(self.cache.note_loaded_size())
    }

    /// Flushes the cache to disk. Optional: a cache behind the log catches up on open.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.cache.flush()?;
        Ok(())
    }
}

impl Drop for Store {
    /// Leaves the cache on disk as of the last append, so the next open has
    /// nothing to catch up, and rebuilt if appends have grown its files
    /// past their bound (project/compaction.rs). Best effort: a cache
    /// behind the log is repaired on open.
    fn drop(&mut self) {
        if let Err(e) = self.cache.flush() {
            tracing::warn!(
                "flushing the cache on close failed ({e}); the next open catches up from the log"
            );
            return;
        }
        if !self.appended {
            return;
        }
        if let Some(before) = self.cache.outgrown(self.opts.rebuild_cache_from_bytes) {
            let started = std::time::Instant::now();
            match self.rebuild_cache() {
                Ok(after) => tracing::info!(
                    "the cache had grown to {before} bytes on disk with appends: rebuilt to {after} in {:?}",
                    started.elapsed()
                ),
                Err(e) => tracing::warn!(
                    "rebuilding the outgrown cache failed ({e}); the next open rebuilds it"
                ),
            }
        }
    }
}

/// Events being appended as one durable unit (see `Store::batch`).
pub struct Batch<'a> {
    store: &'a mut Store,
    overlay: Overlay,
    frames: Vec<u8>,
    /// What each push returned, for `commit` (not kept by a bulk batch:
    /// a million pushes would hold 40 MB).
    appended: Vec<Appended>,
    len: usize,
    first_seq: u64,
    last: Option<Appended>,
    next_seq: u64,
    prev: Hash32,
    pos: Position,
    now: i64,
    failed: bool,
    /// Offset in `frames` of the last frame, whose "more" bit commit clears.
    last_frame: usize,
    /// Whether part of the batch has been written (see `spill`).
    spilled: bool,
    committed: bool,
    since_spill: usize,
    /// Set for a bulk batch (`Store::bulk_batch`): the fold's writes go
    /// to its sort, and the cache is written at commit.
    bulk: Option<BulkLoad>,
    /// Whether part of the batch reached the cache (`spill`).
    cache_touched: bool,
}

/// A batch holding more frame bytes, or more events, than this writes them
/// out in parts: sled's memory grows with the size of one `apply_batch`.
const SPILL_BYTES: usize = 8 * 1024 * 1024;
const SPILL_EVENTS: usize = 1024;

impl<'a> Batch<'a> {
    fn new(store: &'a mut Store, first_seq: u64) -> Self {
        let pos = if store.writer.will_roll() {
            Position {
                segment: store.writer.end().segment + 1,
                offset: HEADER_LEN,
            }
        } else {
            store.writer.end()
        };
        let prev = if first_seq == 0 {
            Hash32::ZERO
        } else {
            store.head.hash
        };
        Batch {
            overlay: store.cache.begin(),
            store,
            frames: Vec::new(),
            appended: Vec::new(),
            len: 0,
            first_seq,
            last: None,
            next_seq: first_seq,
            prev,
            pos,
            now: now_ms(),
            failed: false,
            last_frame: 0,
            spilled: false,
            committed: false,
            since_spill: 0,
            bulk: None,
            cache_touched: false,
        }
    }

    /// Checks `event` against the ledger as it would be after the events
    /// pushed so far, and stages it. After a rejected event the batch can only
    /// be dropped: `commit` refuses it (the store is untouched either way).
    pub fn push(&mut self, event: Event) -> Result<Appended, StoreError> {
        self.push_as(event, false)
    }

    /// `push` of an event adding a claim (or a correction) that a later
    /// event of this batch retracts or corrects. Needed in a bulk batch,
    /// whose fold reads back only the claims it was told of; elsewhere the
    /// same as `push`.
    pub fn push_ended_later(&mut self, event: Event) -> Result<Appended, StoreError> {
        self.push_as(event, true)
    }

    fn push_as(&mut self, event: Event, ended_later: bool) -> Result<Appended, StoreError> {
        let index = self.len;
        if self.failed {
            return Err(StoreError::Rejected {
                index,
                reason: "an earlier event of this batch was rejected".into(),
            });
        }
        if matches!(event, Event::Genesis(_)) != (self.next_seq == 0) {
            return Err(StoreError::Rejected {
                index,
                reason: "a genesis event comes first in a store, and only there".into(),
            });
        }
        let rec = Record {
            format: FORMAT_VERSION,
            seq: self.next_seq,
            prev: self.prev,
            recorded_at_ms: self.now,
            recorded_by: self.store.opts.recorded_by.clone(),
            event,
        };
        let bytes = encode_record(&rec).map_err(|e| StoreError::Rejected {
            index,
            reason: e.to_string(),
        })?;
        self.stage(&rec, bytes, ended_later)
    }

    /// Stages a record already encoded elsewhere (restore from a snapshot):
    /// it must decode canonically and link to the batch's end.
    pub fn push_encoded(&mut self, bytes: Vec<u8>) -> Result<Appended, StoreError> {
        let index = self.len;
        if self.failed {
            return Err(StoreError::Rejected {
                index,
                reason: "an earlier event of this batch was rejected".into(),
            });
        }
        let rec = decode_record(&bytes).map_err(|e| StoreError::Rejected {
            index,
            reason: e.to_string(),
        })?;
        check_link(self.next_seq, &self.prev, &rec).map_err(|e| StoreError::Rejected {
            index,
            reason: e.to_string(),
        })?;
        self.stage(&rec, bytes, false)
    }

    fn stage(
        &mut self,
        rec: &Record,
        bytes: Vec<u8>,
        ended_later: bool,
    ) -> Result<Appended, StoreError> {
        let index = self.len;
        // Nothing is checked against a cache missing a failed write.
        self.store.cache.healthy()?;
        let hash = record_hash(&self.prev, &bytes);
        let overlay = match self.bulk.as_mut() {
            Some(bulk) => {
                if ended_later {
                    // A claim's id is the hash of the record adding it.
                    bulk.keep(hash);
                }
                bulk.overlay()
            }
            None => &mut self.overlay,
        };
        let claim = ClaimBytes::in_record(rec, &bytes);
        if let Err(e) = apply(overlay, rec, claim, hash, self.pos) {
            self.failed = true;
            return Err(match e {
                ProjectError::Semantic { reason, .. } => StoreError::Rejected { index, reason },
                other => StoreError::Cache(other),
            });
        }
        self.last_frame = self.frames.len();
        encode_frame(&mut self.frames, &bytes, &hash, true);
        self.pos.offset +=
            u64::try_from(bytes.len() + crate::log::FRAME_OVERHEAD).unwrap_or(u64::MAX);
        self.prev = hash;
        let a = Appended {
            seq: self.next_seq,
            hash,
        };
        self.next_seq += 1;
        self.len += 1;
        self.last = Some(a);
        if self.bulk.is_none() {
            self.appended.push(a);
        }
        self.since_spill += 1;
        if self.last_frame >= SPILL_BYTES || self.since_spill >= SPILL_EVENTS {
            self.spill()?;
        }
        Ok(a)
    }

    /// Writes every frame but the last (which must stay to close the batch)
    /// without syncing, and moves the staged cache writes into the cache,
    /// marked dirty: memory stays bounded however large the batch.
    fn spill(&mut self) -> Result<(), StoreError> {
        self.store.writer.begin(self.first_seq)?;
        self.store
            .writer
            .write_part(&self.frames[..self.last_frame])?;
        // From here a drop must cut the log back, whatever fails next (the
        // sort, the cache: a review found frames left behind).
        self.spilled = true;
        self.frames.drain(..self.last_frame);
        self.last_frame = 0;
        match self.bulk.as_mut() {
            Some(bulk) => bulk.spill()?,
            None => {
                let mut overlay = std::mem::replace(&mut self.overlay, self.store.cache.begin());
                if let Some(last) = self.last {
                    overlay.hand_over(&mut self.overlay, &last.hash);
                }
                self.store.cache.commit_partial(overlay)?;
                self.cache_touched = true;
            }
        }
        self.since_spill = 0;
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Writes the batch with one write and one fdatasync, then updates the
    /// cache. Returns what each push returned (nothing for a bulk batch).
    pub fn commit(mut self) -> Result<Vec<Appended>, StoreError> {
        let Some(last) = self.last else {
            return Err(StoreError::EmptyBatch);
        };
        if self.failed {
            return Err(StoreError::Rejected {
                index: self.len,
                reason: "an event of this batch was rejected; nothing was written".into(),
            });
        }
        let first = self.first_seq;
        self.store.cache.healthy()?;
        // A bulk batch sorts its cache entries, and marks the cache dirty,
        // before the log holds it: from then on the cache is written whole
        // or rebuilt from the log, never left clean and behind. A failure
        // up to here writes nothing to the log.
        let sorted = match self.bulk.take() {
            Some(bulk) => {
                let sorted = bulk.sorted()?;
                self.store.cache.mark_dirty()?;
                Some(sorted)
            }
            None => None,
        };
        // The last frame closes the batch: clear its "more" bit.
        let at = self.last_frame;
        let word = u32::from_le_bytes(self.frames[at..at + 4].try_into().expect("4 bytes"))
            & !MORE_IN_BATCH;
        self.frames[at..at + 4].copy_from_slice(&word.to_le_bytes());
        self.frames[at + 4..at + 8].copy_from_slice(&(!word).to_le_bytes());
        self.store.writer.begin(first)?;
        self.store.writer.finish(&self.frames)?;
        self.committed = true;
        self.store.appended = true;
        self.store.head = Head {
            seq: last.seq,
            hash: last.hash,
        };
        let end = self.store.writer.end();
        let cp = Checkpoint {
            seq: last.seq,
            hash: last.hash,
            end_segment: end.segment,
            end_offset: end.offset,
        };
        match sorted {
            Some(sorted) => {
                if let Err(e) = sorted.load(&self.store.cache, Some(cp)) {
                    // The log holds the batch and the cache, still dirty,
                    // does not: rebuild it from the log. Failing that, no
                    // append may be checked against it: the store refuses
                    // them until it is reopened (and the cache rebuilt).
                    tracing::warn!("writing the cache after a bulk batch failed ({e}); rebuilding it from the log");
                    if let Err(e) = self.store.rebuild_cache() {
                        self.store.writer.poison();
                        return Err(e);
                    }
                }
            }
            None => {
                let overlay = std::mem::replace(&mut self.overlay, self.store.cache.begin());
                self.store.cache.commit(overlay, cp)?;
            }
        }
        Ok(std::mem::take(&mut self.appended))
    }
}

impl Drop for Batch<'_> {
    /// A batch dropped after part of it was written: cut the log back and
    /// rebuild the cache, so the store is as it was before the batch.
    fn drop(&mut self) {
        if self.spilled && !self.committed {
            self.store.writer.abort();
        }
        // A bulk batch's writes never reached the cache.
        if self.cache_touched && !self.committed {
            if let Err(e) = self.store.rebuild_cache() {
                tracing::warn!("rebuilding the cache after an abandoned batch failed ({e}); it will be rebuilt on the next open");
                // No append may be checked against a cache that holds part
                // of a batch that never happened.
                self.store.writer.poison();
            }
        }
    }
}

/// The frame of record `seq` and the hash it must chain to: from the
/// cache's anchor at or before it (`Cache::anchor`), reading the frames in
/// between and checking each one's hash, so that a damaged frame is
/// reported as itself. `None` if the cache has no anchor.
pub(crate) fn locate(
    log_dir: &Path,
    cache: &Cache,
    seq: u64,
) -> Result<Option<(crate::log::RawFrame, Hash32)>, StoreError> {
    let Some((at, loc)) = cache.anchor(seq)? else {
        return Ok(None);
    };
    let start = Position {
        segment: loc.segment,
        offset: loc.offset,
    };
    let mut scanner = crate::log::Scanner::from(log_dir, start)?;
    let mut prev = loc.prev;
    for s in at..=seq {
        let corrupt = |reason: &str| StoreError::Corrupt {
            seq: s,
            reason: reason.into(),
        };
        let Some(frame) = scanner.next_frame()? else {
            return Err(corrupt("the log ends before this record"));
        };
        if s == seq {
            return Ok(Some((frame, prev)));
        }
        if record_hash(&prev, &frame.bytes) != frame.stored_hash {
            return Err(corrupt("the record's hash does not match its frame"));
        }
        if s == at && frame.stored_hash != loc.hash {
            return Err(corrupt("the record's hash is not the one the cache noted"));
        }
        prev = frame.stored_hash;
    }
    Ok(None)
}

/// Iterator over stored records, reading the log sequentially.
pub struct RecordIter {
    scanner: crate::log::Scanner,
    next: u64,
    to: u64,
    prev: Hash32,
}

impl RecordIter {
    fn new(store: &Store, from: u64, to: u64) -> Result<Self, StoreError> {
        let (pos, prev) = if from == 0 || from >= to {
            (
                Position {
                    segment: 0,
                    offset: HEADER_LEN,
                },
                Hash32::ZERO,
            )
        } else {
            locate(&store.log_dir(), &store.cache, from)?
                .map(|(frame, prev)| (frame.pos, prev))
                .ok_or_else(|| {
                    StoreError::Cache(ProjectError::NotFound(format!("no record with seq {from}")))
                })?
        };
        Ok(RecordIter {
            scanner: crate::log::Scanner::from(&store.log_dir(), pos)?,
            next: from,
            to,
            prev,
        })
    }
}

impl Iterator for RecordIter {
    type Item = Result<StoredRecord, StoreError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.to {
            return None;
        }
        let frame = match self.scanner.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => {
                return Some(Err(StoreError::Corrupt {
                    seq: self.next,
                    reason: "the log ends before this record".into(),
                }))
            }
            Err(e) => return Some(Err(e.into())),
        };
        let seq = self.next;
        match check_frame(&frame.bytes, &frame.stored_hash, seq, &self.prev) {
            Ok(record) => {
                self.prev = frame.stored_hash;
                self.next += 1;
                Some(Ok(StoredRecord {
                    hash: frame.stored_hash,
                    pos: frame.pos,
                    bytes: frame.bytes,
                    record,
                }))
            }
            Err(reason) => {
                self.next = self.to;
                Some(Err(StoreError::Corrupt { seq, reason }))
            }
        }
    }
}
