//! The sled-backed cache of projections. Disposable: when it is missing,
//! damaged, of another version, or disagrees with the log, it is deleted
//! and rebuilt from the log.

use super::entries::{Checkpoint, ClaimEntry, GenesisEntry, Location, SourceEntry, CACHE_VERSION};
use super::fold::{claim_content_hash, dec, enc, Known, Overlay};
use super::keys;
use super::leaf_order::filling_leaves;
use super::packed;
use super::scan::{evicting, weigh_inserted};
use super::sorter::Sorter;
use super::witness;
use super::writer::Writer;
use super::ProjectError;
use crate::event::Hash32;
use crate::log::FrameReader;
use crate::model::{Breakdown, Claim, Slug};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A raw cache entry.
pub type KeyValue = (Vec<u8>, Vec<u8>);

/// The first key, in key order, where two caches differ
/// (`Cache::first_difference`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Difference {
    /// Both hold this key, with different values.
    At(Vec<u8>),
    /// Only this cache holds this key.
    OnlyOurs(Vec<u8>),
    /// Only the other cache holds this key.
    OnlyTheirs(Vec<u8>),
}

/// What a sorted load's entries are (`Cache::load_sorted`).
pub(crate) enum Sorted {
    /// Logical keys, packed as they are written, each group read first.
    Logical,
    /// The tree's own entries, packed already.
    Packed,
}

/// A recorded claim with a given content (`Cache::same_content`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Twin {
    pub id: Hash32,
    /// Not retracted or corrected.
    pub active: bool,
}

pub struct Cache {
    // Dropped first: its worker finishes writing before the tree closes.
    writer: Writer,
    tree: sled::Tree,
    /// The query layer's memo of resolved figures (see `memo_range`): not a
    /// projection, not compared by verify, cleared with the cache.
    memo: sled::Tree,
    /// Keys the tree holds for good (fold.rs), shared with every overlay.
    known: Arc<Known>,
    _db: sled::Db,
    /// A temporary cache's directory, removed when the cache is dropped,
    /// after this handle on the database (sled's own threads, which may
    /// still hold it, remove its files as they finish: it is opened as
    /// temporary, which also spares it the syncs of a lasting database).
    _scratch: Option<tempfile::TempDir>,
    path: PathBuf,
    /// sled's page cache setting it was opened with (`PAGE_CACHE_BYTES`).
    page_cache: u64,
    /// The log the cache was folded from, where the claims' words are
    /// (`Cache::full_claim`); none for a snapshot's replay.
    frames: Option<Arc<Mutex<FrameReader>>>,
}

/// The bytes of one of sled's log segments (its I/O buffer). sled writes
/// every insert to its log and rewrites pages there, and a store's cache
/// is mostly its last few partly filled segments at small sizes: measured
/// after a rebuild (docs/PERFORMANCE.md, eighteenth session), sled's
/// default 512 KiB took 6.3 MB at 10k claims, 25.2 MB at 100k and 203 MB
/// at 1M; 128 KiB took 3.4, 22.0-23.3 and 197 MB in the same time. sled
/// writes a page over a quarter of a segment as a file of its own: at 64
/// KiB a 1M rebuild wrote 723 such files and took a third longer.
const SLED_SEGMENT_BYTES: usize = 128 * 1024;

/// What sled's page cache may hold before it evicts, for a store that
/// answers questions: the memo and claim groups a total reads stay in it
/// from one query to the next.
pub const PAGE_CACHE_BYTES: u64 = 16 << 20;

/// The same for a command that reads or writes the whole cache once (an
/// import, a rebuild, an export, a restore, verify-snapshot's replay),
/// which has nothing to keep. sled counts a page's size rounded up to a
/// power of two and evicts only when one of its 256 shards has queued 64
/// accesses, so such a command holds well over the setting; but since the
/// claims are packed (0.12 entries a claim at 1M) what it holds follows
/// it: at 1M, with 16 MiB an import peaked at 59 MB, an export filling the
/// memo at 51 MB and verify-snapshot at 76 MB (101 MB at 3M); with 4 MiB
/// at 42, 41 and 70 MB (86 MB at 3M), their times unchanged. For queries
/// 4 MiB made the all-time total about a fifth slower (1.4 -> 1.76 ms at
/// p50), hence two settings (docs/PERFORMANCE.md, twenty-third session).
pub const WHOLE_PAGE_CACHE_BYTES: u64 = 4 << 20;

/// How every cache's sled database is configured (and the benchmark's raw
/// sled limits, which must pay what the cache pays).
pub fn cache_sled_config() -> sled::Config {
    sled::Config::new()
        .cache_capacity(PAGE_CACHE_BYTES)
        .segment_size(SLED_SEGMENT_BYTES)
        // No background flusher: its fsyncs would compete with the log's
        // fdatasync on every append. The cache is flushed when the store is
        // closed; after a crash it catches up from the log.
        .flush_every_ms(None)
}

/// How much a sorted load gives sled between two flushes. sled 0.34 hands
/// each filled segment buffer to its thread pool through an unbounded
/// queue and goes on inserting; when the disk falls behind, the buffers
/// wait in memory. Back-to-back 1M rebuilds peaked at 106-171 MB in five
/// runs of nine; flushing every 8 MiB, which waits until the buffers are
/// written, kept them at 52-71 MB in six, for about 0.1 s more load
/// (docs/PERFORMANCE.md, nineteenth session).
const LOAD_FLUSH_BYTES: u64 = 8 << 20;

/// Passes `entries` through, flushing `tree` each time another `every`
/// bytes of keys and values have gone by, so that sled's unwritten
/// buffers stay bounded (`LOAD_FLUSH_BYTES`). A failed flush is yielded
/// as an error in place of the next entry.
struct FlushingEvery<'a, I> {
    tree: &'a sled::Tree,
    entries: I,
    every: u64,
    since: u64,
}

impl<'a, I> FlushingEvery<'a, I> {
    fn new(tree: &'a sled::Tree, entries: I, every: u64) -> Self {
        FlushingEvery {
            tree,
            entries,
            every,
            since: 0,
        }
    }
}

impl<I> Iterator for FlushingEvery<'_, I>
where
    I: Iterator<Item = Result<KeyValue, ProjectError>>,
{
    type Item = Result<KeyValue, ProjectError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.since >= self.every {
            self.since = 0;
            if let Err(e) = self.tree.flush() {
                return Some(Err(e.into()));
            }
        }
        let e = self.entries.next()?;
        if let Ok((k, v)) = &e {
            self.since += (k.len() + v.len()) as u64;
        }
        Some(e)
    }
}

fn open_sled(path: &Path, page_cache: u64) -> Result<sled::Db, String> {
    let cfg = cache_sled_config().path(path).cache_capacity(page_cache);
    // sled 0.34 can panic on damaged files; a damaged cache is just stale.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cfg.open())) {
        Ok(Ok(db)) => Ok(db),
        // A cache made with other settings (another segment size, say).
        Ok(Err(sled::Error::Unsupported(why))) => {
            Err(format!("it was made by another version of claimlog: {why}"))
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("sled panicked while opening".into()),
    }
}

impl Cache {
    /// Opens the cache at `path`, folded from the log in `log_dir`,
    /// starting afresh if it cannot be opened. The bool says whether it
    /// was (re)created empty.
    /// `page_cache`: sled's page cache setting, `PAGE_CACHE_BYTES` or
    /// `WHOLE_PAGE_CACHE_BYTES`.
    pub fn open(
        path: &Path,
        log_dir: &Path,
        page_cache: u64,
    ) -> Result<(Cache, bool), ProjectError> {
        let (db, fresh) = match open_sled(path, page_cache) {
            Ok(db) => (db, false),
            Err(why) => {
                tracing::warn!(
                    "cache at {} is unreadable ({why}); rebuilding it from the log",
                    path.display()
                );
                let _ = std::fs::remove_dir_all(path);
                (
                    open_sled(path, page_cache).map_err(ProjectError::Open)?,
                    true,
                )
            }
        };
        let tree = db.open_tree("projections")?;
        let version_ok =
            tree.get(keys::VERSION)?.as_deref() == Some(&CACHE_VERSION.to_be_bytes()[..]);
        // A cache of another version (or none) starts as a new database:
        // emptying a large tree key by key costs more than refilling it.
        let (db, tree) = if version_ok || tree.is_empty() {
            (db, tree)
        } else {
            drop(tree);
            drop(db);
            let _ = std::fs::remove_dir_all(path);
            let db = open_sled(path, page_cache).map_err(ProjectError::Open)?;
            let tree = db.open_tree("projections")?;
            (db, tree)
        };
        let cache = Cache {
            writer: Writer::new(tree.clone()),
            tree,
            memo: db.open_tree("memo")?,
            known: Arc::default(),
            _db: db,
            _scratch: None,
            path: path.to_path_buf(),
            page_cache,
            frames: Some(Arc::new(Mutex::new(FrameReader::new(log_dir)))),
        };
        if !version_ok {
            cache.clear()?;
            return Ok((cache, true));
        }
        Ok((cache, fresh))
    }

    /// Empties the cache by putting a new database in its place (a cache
    /// in a temporary directory is cleared instead). `clear` removes keys
    /// one by one: for a rebuild of 100k claims that took a fifth of the
    /// time and a third of the memory.
    pub fn reset(&mut self) -> Result<(), ProjectError> {
        if self.path.as_os_str().is_empty() {
            return self.clear();
        }
        let path = self.path.clone();
        let Some(log_dir) = self.log_dir() else {
            return self.clear();
        };
        // Read before `self` is the temporary cache, whose setting differs.
        let page_cache = self.page_cache;
        // The old database closes (its writer finishing first) before its
        // directory goes. The placeholder is made beside it, where the new
        // cache is about to be written, so that a reset needs no more of
        // the machine than the store does.
        let beside = path.parent().unwrap_or(Path::new("."));
        drop(std::mem::replace(self, Cache::temporary_in(beside)?));
        let _ = std::fs::remove_dir_all(&path);
        *self = Cache::open(&path, &log_dir, page_cache)?.0;
        Ok(())
    }

    /// A cache in a temporary directory, deleted on drop: for replaying a
    /// snapshot's events without a store. Having no log beside it, its id
    /// index holds each claim's `g/` key, not where its record is.
    pub fn temporary() -> Result<Cache, ProjectError> {
        // In the system's temporary directory ($TMPDIR), not where sled
        // puts a temporary database without a path: /dev/shm, whose pages
        // are memory no process's RSS shows and which a container often
        // caps at 64 MB. A 1M snapshot's replay wrote 294 MB there.
        Cache::temporary_in(&std::env::temp_dir())
    }

    /// A temporary cache in a directory of its own made in `dir`.
    pub fn temporary_in(dir: &Path) -> Result<Cache, ProjectError> {
        let scratch = tempfile::Builder::new()
            .prefix("claimlog-scratch-")
            .tempdir_in(dir)
            .map_err(|e| ProjectError::Scratch {
                dir: dir.to_path_buf(),
                source: e,
            })?;
        let db = cache_sled_config()
            .cache_capacity(WHOLE_PAGE_CACHE_BYTES)
            .path(scratch.path().join("cache"))
            .temporary(true)
            .open()?;
        let tree = db.open_tree("projections")?;
        let cache = Cache {
            writer: Writer::new(tree.clone()),
            tree,
            memo: db.open_tree("memo")?,
            known: Arc::default(),
            _db: db,
            _scratch: Some(scratch),
            path: PathBuf::new(),
            page_cache: WHOLE_PAGE_CACHE_BYTES,
            frames: None,
        };
        cache.clear()?;
        Ok(cache)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn log_dir(&self) -> Option<PathBuf> {
        let frames = self.frames.as_ref()?;
        let r = frames.lock().unwrap_or_else(|e| e.into_inner());
        Some(r.dir().to_path_buf())
    }

    /// The reader of the log beside this cache, if it has one.
    pub(crate) fn frames(&self) -> Option<&Mutex<FrameReader>> {
        self.frames.as_deref()
    }

    /// Empties the cache (keeping only its version mark).
    pub fn clear(&self) -> Result<(), ProjectError> {
        // Whatever the writes in flight came to, they are wiped now.
        let _ = self.writer.settle();
        if !self.path.as_os_str().is_empty() {
            witness::remove(&self.path);
        }
        self.memo.clear()?;
        self.tree.clear()?;
        self.known.clear();
        self.tree
            .insert(keys::VERSION, &CACHE_VERSION.to_be_bytes())?;
        Ok(())
    }

    /// Whether the tree holds nothing but its version mark.
    pub(crate) fn is_blank(&self) -> Result<bool, ProjectError> {
        for kv in self.settled()?.iter() {
            if kv?.0 != keys::VERSION {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Marks the cache dirty (keys::DIRTY) until the next checkpoint: a
    /// bulk batch does so before its log write, so that once the log holds
    /// the batch the cache is either written whole or rebuilt.
    pub(crate) fn mark_dirty(&self) -> Result<(), ProjectError> {
        self.settled()?.insert(keys::DIRTY, &[][..])?;
        Ok(())
    }

    /// Writes `entries`, which arrive in ascending key order, then `cp`
    /// (project/bulk.rs). Dirty until done, as a batch in parts is, and
    /// after, without `cp`. One thread: two, each writing half the key
    /// range, took a fifth longer.
    ///
    /// `Logical` entries are packed here (`packed::write_sorted`);
    /// `Packed` ones are already the tree's entries (`packed::pack_fresh`),
    /// for a cache that holds no claims (`holds_claims` false before).
    pub(crate) fn load_sorted(
        &self,
        entries: impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), ProjectError>>,
        kind: Sorted,
        cp: Option<Checkpoint>,
    ) -> Result<(), ProjectError> {
        let tree = self.settled()?;
        tree.insert(keys::DIRTY, &[][..])?;
        match kind {
            Sorted::Packed => {
                // The tree's own entries, distinct: inserted in the order
                // that fills sled's leaves (project/leaf_order.rs).
                let entries = FlushingEvery::new(tree, filling_leaves(entries), LOAD_FLUSH_BYTES);
                // For the debug log only: how much of the load is sled's
                // own inserting (docs/PERFORMANCE.md compares it with a raw
                // load of the same entries).
                let timed = tracing::enabled!(tracing::Level::DEBUG);
                let (mut busy, mut n, mut bytes) = (std::time::Duration::ZERO, 0u64, 0u64);
                for e in entries {
                    let (k, v) = e?;
                    n += 1;
                    bytes += (k.len() + v.len()) as u64;
                    let t = timed.then(std::time::Instant::now);
                    tree.insert(&k, v)?;
                    weigh_inserted(tree, &k)?;
                    busy += t.map(|t| t.elapsed()).unwrap_or_default();
                }
                if timed {
                    tracing::debug!(
                        "bulk load: {n} entries, {bytes} bytes, {busy:?} in sled's inserts"
                    );
                }
                self.note_loaded_size();
            }
            Sorted::Logical => {
                // Merged into the groups the tree holds, in key order.
                let entries = FlushingEvery::new(tree, entries, LOAD_FLUSH_BYTES);
                packed::write_sorted(tree, entries.map(|kv| kv.map(|(k, v)| (k, Some(v)))))?
            }
        }
        if let Some(cp) = cp {
            tree.insert(keys::CHECKPOINT, enc(&cp))?;
            tree.remove(keys::DIRTY)?;
        }
        Ok(())
    }

    pub fn begin(&self) -> Overlay {
        Overlay::new(
            self.tree.clone(),
            Arc::clone(&self.writer.in_flight),
            Arc::clone(&self.known),
            self.frames.clone(),
        )
    }

    /// Commits an overlay together with the checkpoint. The writes land in
    /// the tree on the cache's worker thread (project/writer.rs), atomically
    /// as far as any reader, or a reopen after a crash, can tell.
    pub fn commit(&self, overlay: Overlay, cp: Checkpoint) -> Result<(), ProjectError> {
        self.writer.send(overlay.into_pending(), Some(cp))
    }

    /// Commits part of a batch that is not acknowledged yet, marking the
    /// cache dirty until `commit` (see `keys::DIRTY`).
    pub fn commit_partial(&self, overlay: Overlay) -> Result<(), ProjectError> {
        self.writer.send(overlay.into_pending(), None)
    }

    /// Fails if a write to the cache has failed: the store must then be
    /// reopened (project/writer.rs, `Writer::healthy`).
    pub fn healthy(&self) -> Result<(), ProjectError> {
        self.writer.healthy()
    }

    /// Waits until every committed overlay is in the tree. Every read
    /// below does this first.
    pub fn settle(&self) -> Result<(), ProjectError> {
        self.writer.settle()
    }

    pub fn is_dirty(&self) -> Result<bool, ProjectError> {
        Ok(self.settled()?.get(keys::DIRTY)?.is_some())
    }

    /// Makes the tree durable and, if it is clean, writes its witness
    /// (project/witness.rs).
    pub fn flush(&self) -> Result<(), ProjectError> {
        // A temporary cache has no directory and no witness.
        let on_disk = !self.path.as_os_str().is_empty();
        if on_disk {
            // Until the flush is done the old witness may claim too little,
            // never too much: it is removed first.
            witness::remove(&self.path);
        }
        self.settled()?.flush()?;
        if on_disk && !self.is_dirty()? {
            if let Some(cp) = self.checkpoint()? {
                witness::write(&self.path, cp, self.counts()?);
            }
        }
        Ok(())
    }

    fn get_as<T: bincode::Decode<()>>(&self, key: &[u8]) -> Result<Option<T>, ProjectError> {
        self.settled()?.get(key)?.map(|b| dec(key, &b)).transpose()
    }

    pub fn checkpoint(&self) -> Result<Option<Checkpoint>, ProjectError> {
        self.get_as(keys::CHECKPOINT)
    }

    pub fn genesis(&self) -> Result<Option<GenesisEntry>, ProjectError> {
        self.get_as(keys::GENESIS)
    }

    pub fn source(&self, id: &str) -> Result<Option<SourceEntry>, ProjectError> {
        self.get_as(&keys::source(id))
    }

    pub fn sources(&self) -> Result<Vec<SourceEntry>, ProjectError> {
        self.decoded_under(keys::SOURCE)
    }

    /// Every metric and part claims were recorded for, with the calendar
    /// years one of its claims lies within (`keys::YEAR`).
    pub fn metric_years(&self) -> Result<Vec<(Slug, Breakdown, Option<i32>)>, ProjectError> {
        self.decoded_under(keys::YEAR)
    }

    /// Every value under `prefix`, decoded, in key order.
    fn decoded_under<T: bincode::Decode<()>>(&self, prefix: &[u8]) -> Result<Vec<T>, ProjectError> {
        self.settled()?
            .scan_prefix(prefix)
            .map(|kv| {
                let (k, v) = kv?;
                dec(&k, &v)
            })
            .collect()
    }

    pub fn claim(&self, id: &Hash32) -> Result<Option<ClaimEntry>, ProjectError> {
        let tree = self.settled()?;
        let Some(at) = self.begin().claim_key(id)? else {
            return Ok(None);
        };
        packed::get(tree, &at)?
            .map(|v| ClaimEntry::from_value(&at, &v))
            .transpose()
    }

    /// Every claim, by metric, breakdown and scope.
    pub fn claims(&self) -> impl Iterator<Item = Result<ClaimEntry, ProjectError>> + '_ {
        self.claims_by_index(keys::BY_SCOPE.to_vec())
    }

    fn claims_by_index(
        &self,
        prefix: Vec<u8>,
    ) -> impl Iterator<Item = Result<ClaimEntry, ProjectError>> + '_ {
        self.settled_iter(|t| entries(packed::scan_prefix(t, prefix)))
    }

    /// The claims of `metric`, or of every metric, that `keep` takes, in
    /// the order they were recorded (by seq). The cache lists claims by
    /// metric, part and scope; the log's order comes from a sort through
    /// temporary files in runs (`sorter::RUN_ENTRIES`), so that a
    /// listing holds a run and not every claim (`claims` of the 1M
    /// workload's largest metric held 129 MB). The runs go where a bulk
    /// load's go (`bulk::runs_dir`: the store directory, where the next
    /// open removes any that a stopped listing left).
    pub fn claims_recorded(
        &self,
        metric: Option<&str>,
        mut keep: impl FnMut(&ClaimEntry) -> bool,
    ) -> Result<impl Iterator<Item = Result<ClaimEntry, ProjectError>>, ProjectError> {
        let prefix = match metric {
            Some(m) => keys::by_metric_prefix(m),
            None => keys::BY_SCOPE.to_vec(),
        };
        let sort_err = |e: std::io::Error| ProjectError::ListSort(e.to_string());
        let runs = super::bulk::runs_dir(self).map_err(sort_err)?;
        let mut sorter = Sorter::start_in(runs).map_err(sort_err)?;
        for kv in self.settled_iter(|t| packed::scan_prefix(t, prefix)) {
            let (k, v) = kv?;
            let e = ClaimEntry::from_value(&k, &v)?;
            if keep(&e) {
                // The seq first, for the order (each record adds one claim
                // at most); the key after it, which `from_value` needs.
                let key = [&e.seq.to_be_bytes()[..], &k].concat();
                sorter.push(&key, &v).map_err(sort_err)?;
            }
        }
        let sorted = sorter.done().map_err(sort_err)?;
        Ok(sorted.map(move |entry| {
            let entry = entry.map_err(sort_err)?;
            ClaimEntry::from_value(&entry.key[8..], &entry.val)
        }))
    }

    /// Claims of one metric (active or not), by breakdown and scope.
    pub fn claims_by_metric(
        &self,
        metric: &str,
    ) -> impl Iterator<Item = Result<ClaimEntry, ProjectError>> + '_ {
        self.claims_by_index(keys::by_metric_prefix(metric))
    }

    /// Claims of one metric and breakdown whose scope kind is `kind`
    /// (`e` dated event, `u` undated event, `p` period, `c` cumulative,
    /// `x` change), in scope order.
    pub fn claims_by_scope_kind(
        &self,
        metric: &str,
        breakdown: &str,
        kind: u8,
    ) -> impl Iterator<Item = Result<ClaimEntry, ProjectError>> + '_ {
        let mut p = keys::by_scope_prefix(metric, breakdown);
        p.push(kind);
        self.claims_by_index(p)
    }

    /// Running totals of one metric and breakdown, the latest first: by
    /// the last possible day they are as of, then the first, both
    /// descending; those as of an unknown day after all the others. An
    /// all-time total stops reading once the last day falls below the best
    /// it has found, so it reads the latest ones, not all of them.
    pub fn running_totals_latest_first(
        &self,
        metric: &str,
        breakdown: &str,
    ) -> impl Iterator<Item = Result<ClaimEntry, ProjectError>> + '_ {
        let mut known = keys::by_scope_prefix(metric, breakdown);
        known.push(b'c');
        // The scope part of an unknown as-of day (keys::scope_part).
        let unknown = [&known[..], &[0xff; 8]].concat();
        let unknown_end = keys::prefix_end(&unknown);
        let undated = unknown.clone();
        self.settled_iter(move |t| entries(packed::range_rev(t, known, unknown)))
            .chain(self.settled_iter(move |t| entries(packed::range(t, undated, unknown_end))))
    }

    /// Running totals (of one metric and breakdown) as of exactly `day`.
    pub fn cumulative_as_of(
        &self,
        metric: &str,
        breakdown: &str,
        day: crate::model::Day,
    ) -> impl Iterator<Item = Result<ClaimEntry, ProjectError>> + '_ {
        // The scope part of a running total is its as-of day alone.
        let mut p = keys::by_scope_prefix(metric, breakdown);
        p.extend_from_slice(&keys::scope_part(&crate::model::Scope::Cumulative {
            since: crate::model::FuzzyDate::Unknown,
            as_of: crate::model::FuzzyDate::Day(day),
            label: None,
        }));
        self.claims_by_index(p)
    }

    /// Claims about exactly the period `from..=to`.
    pub fn claims_for_period(
        &self,
        metric: &str,
        breakdown: &str,
        scope: &crate::model::Scope,
    ) -> impl Iterator<Item = Result<ClaimEntry, ProjectError>> + '_ {
        let mut p = keys::by_scope_prefix(metric, breakdown);
        p.extend_from_slice(&keys::scope_part(scope));
        self.claims_by_index(p)
    }

    /// Dated event claims whose possible days overlap `from..=to`: those
    /// on one known day inside it, then those known to a span of days.
    pub fn events_overlapping(
        &self,
        metric: &str,
        breakdown: &str,
        from: crate::model::Day,
        to: crate::model::Day,
    ) -> impl Iterator<Item = Result<ClaimEntry, ProjectError>> + '_ {
        self.claims_in(keys::event_range(metric, breakdown, b'e', from, to))
            .chain(self.spans_overlapping(metric, breakdown, from, to))
    }

    /// The claims under the `g/` keys in `a..b`.
    fn claims_in(
        &self,
        (a, b): (Vec<u8>, Vec<u8>),
    ) -> impl Iterator<Item = Result<ClaimEntry, ProjectError>> + '_ {
        self.settled_iter(move |t| entries(packed::range(t, a, Some(b))))
    }

    /// Claims about events on exactly `day`.
    pub fn events_on(
        &self,
        metric: &str,
        breakdown: &str,
        day: crate::model::Day,
    ) -> impl Iterator<Item = Result<ClaimEntry, ProjectError>> + '_ {
        self.claims_in(keys::event_range(metric, breakdown, b'e', day, day))
    }

    /// Event claims known only to a span of days (a month, a year) that
    /// overlaps `from..=to`, found from the index keys alone (a span's
    /// first day is at most 366 days before its last), decoding only those
    /// that overlap.
    pub fn spans_overlapping(
        &self,
        metric: &str,
        breakdown: &str,
        from: crate::model::Day,
        to: crate::model::Day,
    ) -> impl Iterator<Item = Result<ClaimEntry, ProjectError>> + '_ {
        let start = crate::model::Day::from_epoch_days(from.epoch_days() - 366).unwrap_or(from);
        let (a, b) = keys::event_range(metric, breakdown, b'f', start, to);
        let plen = keys::by_scope_prefix(metric, breakdown).len();
        let lo = from.sort_key();
        self.settled_iter(move |t| {
            entries(packed::range(t, a, Some(b)).filter(move |kv| match kv {
                Ok((k, _)) => keys::event_days(plen, k).is_none_or(|(_, last)| last >= lo),
                Err(_) => true,
            }))
        })
    }

    /// The days in `from..=to` (every day if `None`) with claims about
    /// events on exactly that day, each with its version: the last seq that
    /// added or ended one.
    pub fn day_versions(
        &self,
        metric: &str,
        breakdown: &str,
        days: Option<(crate::model::Day, crate::model::Day)>,
    ) -> impl Iterator<Item = Result<(crate::model::Day, u64), ProjectError>> + '_ {
        let (a, b) = match days {
            Some((from, to)) => {
                let mut b = keys::day_version(metric, breakdown, to);
                b.push(0);
                (keys::day_version(metric, breakdown, from), b)
            }
            None => {
                let a = keys::day_versions_prefix(metric, breakdown);
                let b = keys::prefix_end(&a).expect("ends in a 0 byte");
                (a, b)
            }
        };
        self.settled_iter(move |t| {
            t.range(a..b).map(|kv| {
                let (k, v) = kv?;
                let bad = |reason: &str| ProjectError::BadValue {
                    key: String::from_utf8_lossy(&k).into_owned(),
                    reason: reason.into(),
                };
                let day = keys::day_of_version_key(&k).ok_or_else(|| bad("no day in the key"))?;
                let seq = <[u8; 8]>::try_from(v.as_ref())
                    .map(u64::from_be_bytes)
                    .map_err(|_| bad("version is not 8 bytes"))?;
                Ok((day, seq))
            })
        })
    }

    /// The values the query layer memoised with keys in `from..to`, in key
    /// order. Memo entries are derived from projections, carry what they
    /// were derived from, and are checked against it by their reader;
    /// losing them loses nothing.
    pub fn memo_range(
        &self,
        from: &[u8],
        to: &[u8],
    ) -> impl Iterator<Item = Result<(sled::IVec, sled::IVec), ProjectError>> {
        self.memo
            .range(from.to_vec()..to.to_vec())
            .map(|kv| kv.map_err(ProjectError::from))
    }

    pub fn memo_put(&self, key: &[u8], value: &[u8]) -> Result<(), ProjectError> {
        self.memo.insert(key, value)?;
        Ok(())
    }

    /// Whether any claim is recorded (active or ended).
    pub fn has_claims(&self) -> Result<bool, ProjectError> {
        holds_claims(self.settled()?)
    }

    /// The first recorded active claim identical to `claim` (whose
    /// content hash is `content`), if any.
    pub fn duplicate_of(
        &self,
        claim: &Claim,
        content: &Hash32,
    ) -> Result<Option<Hash32>, ProjectError> {
        Ok(self
            .same_content(claim, content)?
            .into_iter()
            .find(|t| t.active)
            .map(|t| t.id))
    }

    /// Every recorded claim identical to `claim` (whose content hash is
    /// `content`), oldest first.
    pub fn same_content(&self, claim: &Claim, content: &Hash32) -> Result<Vec<Twin>, ProjectError> {
        let prefix = keys::by_content_prefix(
            claim.metric.as_str(),
            &claim.breakdown.to_string(),
            &claim.scope,
            content,
        );
        let mut twins = Vec::new();
        for e in self.settled_iter(move |t| entries(packed::scan_prefix(t, prefix))) {
            let e = e?;
            // The key holds 8 bytes of the content hash: compare it whole,
            // from the claim in the log when all the cache holds agrees.
            if e.claim.is_core_of(claim) && claim_content_hash(&self.full_claim(&e)?) == *content {
                twins.push((
                    e.seq,
                    Twin {
                        id: e.id,
                        active: e.status.is_active(),
                    },
                ));
            }
        }
        twins.sort_by_key(|(seq, _)| *seq);
        Ok(twins.into_iter().map(|(_, t)| t).collect())
    }

    /// Resolves a hex prefix (at least 4 digits) to the one claim id it names.
    pub fn resolve_claim(&self, prefix: &str) -> Result<Hash32, ProjectError> {
        let p = prefix.to_ascii_lowercase();
        if p.len() < 4 || p.len() > 64 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ProjectError::NotFound(format!(
                "claim id {prefix:?} must be 4 to 64 hex digits"
            )));
        }
        let whole = &p[..p.len() - p.len() % 2];
        let bytes = hex::decode(whole).map_err(|e| ProjectError::NotFound(e.to_string()))?;
        // The id keys hold an id's first ID_PREFIX bytes: the rest of each
        // candidate's id is what its record hashes to.
        let stored = &bytes[..bytes.len().min(keys::ID_PREFIX)];
        let mut found: Vec<Hash32> = Vec::new();
        for kv in packed::scan_prefix(self.settled()?, [keys::CLAIM, stored].concat()) {
            let (key, value) = kv?;
            // An odd last digit, or digits past the key's bytes, is checked
            // on the key first: reading the record of every claim under
            // the whole bytes would read 15 in 16 for nothing (and fail
            // on another claim's unreadable record).
            let key_hex = hex::encode(key.get(keys::CLAIM.len()..).unwrap_or_default());
            if !key_hex.starts_with(&p[..p.len().min(2 * keys::ID_PREFIX)]) {
                continue;
            }
            let (id, _) = super::words::claim_of_id_key(self.frames(), &key, &value)?;
            if id.to_hex().starts_with(&p) {
                found.push(id);
                if found.len() == 2 {
                    break;
                }
            }
        }
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(ProjectError::NotFound(format!(
                "no claim has an id starting with {prefix}"
            ))),
            _ => Err(ProjectError::NotFound(format!(
                "claim id prefix {prefix} is ambiguous; give more digits"
            ))),
        }
    }

    /// The anchor at or before record `seq` (keys::SEQ_STRIDE): its seq
    /// and where it lives.
    pub fn anchor(&self, seq: u64) -> Result<Option<(u64, Location)>, ProjectError> {
        let found = self
            .settled()?
            .range(keys::seq(0)..=keys::seq(seq))
            .next_back()
            .transpose()?;
        let Some((k, v)) = found else {
            return Ok(None);
        };
        let at = k
            .get(keys::SEQ.len()..)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_be_bytes)
            .ok_or_else(|| ProjectError::BadValue {
                key: String::from_utf8_lossy(&k).into_owned(),
                reason: "a seq key is not 8 bytes of seq".into(),
            })?;
        Ok(Some((at, dec(&k, &v)?)))
    }

    /// Events applied, by kind.
    pub fn counts(&self) -> Result<Vec<(String, u64)>, ProjectError> {
        self.settled()?
            .scan_prefix(keys::COUNT)
            .map(|kv| {
                let (k, v) = kv?;
                let kind = String::from_utf8_lossy(&k[keys::COUNT.len()..]).into_owned();
                let n = <[u8; 8]>::try_from(v.as_ref())
                    .map(u64::from_be_bytes)
                    .unwrap_or(0);
                Ok((kind, n))
            })
            .collect()
    }

    /// Every key and value, in key order: what "rebuilt to the same bytes" compares.
    pub fn dump(&self) -> Result<Vec<KeyValue>, ProjectError> {
        self.settled()?
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                Ok((k.to_vec(), v.to_vec()))
            })
            .collect()
    }

    /// Where this cache's keys and values first differ from `other`'s, in
    /// key order: the key where they do, or `None` if they are the same
    /// bytes. Both are read side by side, never held whole (`verify
    /// --deep` compares a 1M-claim cache, about 110 MB of keys and values,
    /// with its rebuild).
    pub fn first_difference(&self, other: &Cache) -> Result<Option<Difference>, ProjectError> {
        let (a, b) = (self.settled()?, other.settled()?);
        let mut ours = evicting(a, a.iter());
        let mut theirs = evicting(b, b.iter());
        // Merged on their keys: a key one holds and the other lacks is
        // named as such, not the next key both hold.
        loop {
            match (ours.next().transpose()?, theirs.next().transpose()?) {
                (None, None) => return Ok(None),
                (Some((k, _)), None) => return Ok(Some(Difference::OnlyOurs(k.to_vec()))),
                (None, Some((k, _))) => return Ok(Some(Difference::OnlyTheirs(k.to_vec()))),
                (Some((a, x)), Some((b, y))) => match a.cmp(&b) {
                    std::cmp::Ordering::Less => return Ok(Some(Difference::OnlyOurs(a.to_vec()))),
                    std::cmp::Ordering::Greater => {
                        return Ok(Some(Difference::OnlyTheirs(b.to_vec())))
                    }
                    std::cmp::Ordering::Equal if x != y => {
                        return Ok(Some(Difference::At(a.to_vec())))
                    }
                    std::cmp::Ordering::Equal => {}
                },
            }
        }
    }

    /// A digest of the whole cache content (keys and values, in order).
    pub fn digest(&self) -> Result<Hash32, ProjectError> {
        let mut h = blake3::Hasher::new();
        let tree = self.settled()?;
        for kv in evicting(tree, tree.iter()) {
            let (k, v) = kv?;
            h.update(&u64::try_from(k.len()).unwrap_or(0).to_le_bytes());
            h.update(&k);
            h.update(&u64::try_from(v.len()).unwrap_or(0).to_le_bytes());
            h.update(&v);
        }
        Ok(Hash32(*h.finalize().as_bytes()))
    }

    /// Raw access for tamper tests and diagnostics.
    pub fn raw_tree(&self) -> &sled::Tree {
        if let Err(e) = self.settle() {
            tracing::warn!("the cache writer failed: {e}");
        }
        &self.tree
    }

    /// The tree, once the writes in flight have landed.
    fn settled(&self) -> Result<&sled::Tree, ProjectError> {
        self.writer.settle()?;
        Ok(&self.tree)
    }

    /// `f` over the settled tree; a failure to settle comes out first.
    fn settled_iter<'a, T: 'a, I>(
        &'a self,
        f: impl FnOnce(&'a sled::Tree) -> I,
    ) -> impl Iterator<Item = Result<T, ProjectError>> + 'a
    where
        I: Iterator<Item = Result<T, ProjectError>> + 'a,
    {
        let failed = self.writer.settle().err().map(Err);
        failed.into_iter().chain(f(&self.tree))
    }
}

/// Claim entries decoded from a range of `g/` keys.
/// Whether `tree` holds any claim entry (of either packed family).
fn holds_claims(tree: &sled::Tree) -> Result<bool, ProjectError> {
    for family in [keys::CLAIM, keys::BY_SCOPE] {
        if let Some(kv) = tree.scan_prefix(family).next() {
            kv?;
            return Ok(true);
        }
    }
    Ok(false)
}

fn entries<'a>(
    kvs: impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), ProjectError>> + 'a,
) -> impl Iterator<Item = Result<ClaimEntry, ProjectError>> + 'a {
    kvs.map(|kv| {
        let (k, v) = kv?;
        ClaimEntry::from_value(&k, &v)
    })
}

#[cfg(test)]
mod concurrent_reads {
    use super::super::testing::id_key as c;
    use super::*;

    /// What the fold reads (Overlay::get) while the writer thread writes
    /// an earlier commit: a claim key the commit does not touch.
    #[test]
    fn the_fold_sees_an_untouched_claim_key_while_an_earlier_commit_lands() {
        let cache = Cache::temporary().unwrap();
        // Only inserts, as the fold makes: each commit adds a new claim
        // whose id is a boundary, splitting the group that holds x.
        let x = c(200, 0x01);
        let mut ov = cache.begin();
        ov.put(c(1, 0x00), b"stem".to_vec());
        ov.put(x.clone(), b"stem".to_vec());
        cache.commit_partial(ov).unwrap();
        cache.settle().unwrap();
        let (mut misses, mut reads) = (0, 0);
        for i in 0..2000u16 {
            let mut id = [0u8; 32];
            id[0] = 100;
            id[1..3].copy_from_slice(&i.to_be_bytes());
            let mut ov = cache.begin();
            ov.put(keys::claim(&Hash32(id), 0), b"stem".to_vec());
            cache.commit_partial(ov).unwrap();
            let reader = cache.begin();
            for _ in 0..200 {
                reads += 1;
                if reader.get(&x).unwrap().is_none() {
                    misses += 1;
                }
            }
        }
        cache.settle().unwrap();
        assert_eq!(
            misses, 0,
            "{misses} of {reads} fold reads missed claim key x"
        );
    }
}

#[cfg(test)]
mod known_keys {
    use super::*;

    fn commit(cache: &Cache, key: &[u8], value: &[u8]) {
        let mut ov = cache.begin();
        ov.put(key.to_vec(), value.to_vec());
        cache.commit_partial(ov).unwrap();
    }

    /// A source found once is remembered (fold.rs, `Known`); emptying the
    /// cache forgets it, as it forgets the source itself.
    #[test]
    fn a_cleared_cache_forgets_the_sources_it_had_found() {
        let cache = Cache::temporary().unwrap();
        let s = keys::source("s");
        assert!(!cache.begin().has(&s).unwrap());
        commit(&cache, &s, b"entry");
        // Found while in flight, then in the tree.
        assert!(cache.begin().has(&s).unwrap());
        cache.settle().unwrap();
        assert!(cache.begin().has(&s).unwrap());
        cache.clear().unwrap();
        assert!(!cache.begin().has(&s).unwrap());
    }

    /// A `y/` key the cache holds is not written again, and after the cache
    /// is emptied it is.
    #[test]
    fn a_derived_key_is_written_again_only_once_the_cache_lost_it() {
        let cache = Cache::temporary().unwrap();
        let y = b"y/m\0\0".to_vec();
        let mut ov = cache.begin();
        ov.set_derived(&y, || b"v".to_vec()).unwrap();
        assert_eq!(ov.pending.get(&y), Some(&Some(b"v".to_vec())));
        cache.commit_partial(ov).unwrap();
        cache.settle().unwrap();
        for _ in 0..2 {
            let mut ov = cache.begin();
            ov.set_derived(&y, || b"v".to_vec()).unwrap();
            assert!(ov.pending.is_empty(), "rewrote a key the cache holds");
        }
        cache.clear().unwrap();
        let mut ov = cache.begin();
        ov.set_derived(&y, || b"v".to_vec()).unwrap();
        assert_eq!(ov.pending.get(&y), Some(&Some(b"v".to_vec())));
    }

    /// A key only pending in one overlay (a batch not committed) is not
    /// remembered for the next.
    #[test]
    fn a_source_of_an_uncommitted_batch_is_not_remembered() {
        let cache = Cache::temporary().unwrap();
        let s = keys::source("s");
        let mut ov = cache.begin();
        ov.put(s.clone(), b"entry".to_vec());
        assert!(ov.has(&s).unwrap());
        drop(ov);
        assert!(!cache.begin().has(&s).unwrap());
    }
}

#[cfg(test)]
mod shared_id_prefixes {
    use super::*;
    use crate::model::{FuzzyDate, Scope};

    /// Ids that share their first `keys::ID_PREFIX` bytes have id keys of
    /// their own under one prefix: each lookup takes the key whose claim
    /// has the id sought, while the writes are in flight and once they are
    /// in the tree, and a short id names both until it tells them apart.
    /// (A cache with no log beside it: its id keys hold the claims' `g/`
    /// keys, which end with their ids. With a log, the id is what the
    /// record a key points at hashes to; tests/log_engine/words.rs.)
    #[test]
    fn ids_that_share_their_first_bytes_are_told_apart() {
        let cache = Cache::temporary().unwrap();
        let a = Hash32([7; 32]);
        let mut b = a.0;
        b[20] = 9;
        let b = Hash32(b);
        let unknown = Scope::Event {
            date: FuzzyDate::Unknown,
            label: None,
        };
        let g = |id: &Hash32| keys::by_scope("m", "", &unknown, &Hash32([1; 32]), id);
        // b's key (seq 1) sorts first and is met first when a is sought.
        let mut ov = cache.begin();
        ov.put(keys::claim(&b, 1), g(&b));
        ov.put(keys::claim(&a, 2), g(&a));
        cache.commit_partial(ov).unwrap();
        for settled in [false, true] {
            if settled {
                cache.settle().unwrap();
            }
            let ov = cache.begin();
            assert_eq!(ov.claim_key(&a).unwrap(), Some(g(&a)), "{settled}");
            assert_eq!(ov.claim_key(&b).unwrap(), Some(g(&b)), "{settled}");
            let mut c = a.0;
            c[9] = 0xee;
            assert_eq!(ov.claim_key(&Hash32(c)).unwrap(), None, "{settled}");
        }
        let (a_hex, b_hex) = (a.to_hex(), b.to_hex());
        for digits in [4, 16, 40] {
            let e = cache.resolve_claim(&a_hex[..digits]).unwrap_err();
            assert!(e.to_string().contains("ambiguous"), "{digits}: {e}");
        }
        assert_eq!(cache.resolve_claim(&a_hex[..42]).unwrap(), a);
        assert_eq!(cache.resolve_claim(&b_hex[..42]).unwrap(), b);
        assert!(cache.resolve_claim(&a_hex[..41]).is_err());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Flushing between entries (here before every one) hands on every
    /// entry and every error of the load, in order: a flush point never
    /// drops or repeats one.
    #[test]
    fn flushing_a_load_every_few_bytes_passes_every_entry_in_order() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree("t").unwrap();
        let entries = || {
            (0u8..50).map(|i| match i {
                17 => Err(ProjectError::Bulk("entry 17".into())),
                _ => Ok((vec![i], vec![i; i as usize % 5])),
            })
        };
        let shown = |e: Result<KeyValue, ProjectError>| match e {
            Ok((k, v)) => format!("{}:{}", k[0], v.len()),
            Err(e) => e.to_string(),
        };
        let want: Vec<String> = entries().map(shown).collect();
        for every in [0, 1, 3, 1 << 20] {
            let out: Vec<String> = FlushingEvery::new(&tree, entries(), every)
                .map(shown)
                .collect();
            assert_eq!(out, want, "flushing every {every} bytes");
        }
    }
}

#[cfg(test)]
mod page_cache {
    use super::*;

    /// `reset` (a rebuild, or an open that finds the cache stale) read the
    /// setting after the cache had been swapped for a temporary one, so a
    /// store opened for queries went on with the whole-cache setting.
    #[test]
    fn a_reset_cache_keeps_its_page_cache_setting() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        std::fs::create_dir_all(&log).unwrap();
        for setting in [PAGE_CACHE_BYTES, WHOLE_PAGE_CACHE_BYTES] {
            let path = dir.path().join(format!("cache-{setting}"));
            let (mut c, _) = Cache::open(&path, &log, setting).unwrap();
            assert_eq!(c.page_cache, setting);
            c.reset().unwrap();
            assert_eq!(c.page_cache, setting);
        }
    }

    /// A temporary cache (verify-snapshot's replay) lived where sled puts a
    /// temporary database without a path, /dev/shm: memory that no RSS
    /// shows, 294 MB for a 1M snapshot. It lives in the system's temporary
    /// directory, and goes when the cache is dropped.
    #[test]
    fn a_temporary_cache_lives_in_the_temporary_directory_until_dropped() {
        let cache = Cache::temporary().unwrap();
        let dir = cache._scratch.as_ref().unwrap().path().to_path_buf();
        assert!(dir.starts_with(std::env::temp_dir()), "{}", dir.display());
        assert!(
            dir.join("cache").join("db").is_file(),
            "sled's file is there"
        );
        cache.tree.insert(b"k", b"v").unwrap();
        cache.flush().unwrap();
        drop(cache);
        assert!(!dir.exists(), "{} is left", dir.display());
    }
}

#[cfg(test)]
mod first_difference {
    use super::*;

    fn cache_of(entries: &[(&[u8], &[u8])]) -> Cache {
        let cache = Cache::temporary().unwrap();
        for (k, v) in entries {
            cache.raw_tree().insert(k, *v).unwrap();
        }
        cache
    }

    /// verify --deep's comparison, read side by side: equal trees, a value
    /// that differs, and either tree going on past the other.
    #[test]
    fn names_the_first_key_where_two_caches_differ_or_none() {
        let base: &[(&[u8], &[u8])] = &[(b"a", b"1"), (b"b", b"2"), (b"c", b"3")];
        let same = cache_of(base);
        assert_eq!(same.first_difference(&cache_of(base)).unwrap(), None);

        let changed = cache_of(&[(b"a", b"1"), (b"b", b"9"), (b"c", b"3")]);
        assert_eq!(
            same.first_difference(&changed).unwrap(),
            Some(Difference::At(b"b".to_vec()))
        );
        let moved = cache_of(&[(b"a", b"1"), (b"bb", b"2"), (b"c", b"3")]);
        assert_eq!(
            same.first_difference(&moved).unwrap(),
            Some(Difference::OnlyOurs(b"b".to_vec()))
        );
        // A key missing partway is named, not the next key both hold.
        let gap = cache_of(&[(b"a", b"1"), (b"c", b"3")]);
        assert_eq!(
            gap.first_difference(&same).unwrap(),
            Some(Difference::OnlyTheirs(b"b".to_vec()))
        );
        assert_eq!(
            same.first_difference(&gap).unwrap(),
            Some(Difference::OnlyOurs(b"b".to_vec()))
        );

        let longer = cache_of(&[(b"a", b"1"), (b"b", b"2"), (b"c", b"3"), (b"d", b"4")]);
        assert_eq!(
            same.first_difference(&longer).unwrap(),
            Some(Difference::OnlyTheirs(b"d".to_vec()))
        );
        assert_eq!(
            longer.first_difference(&same).unwrap(),
            Some(Difference::OnlyOurs(b"d".to_vec()))
        );
    }
}

#[cfg(test)]
mod packed_load {
    use super::*;

    /// A sorted load into an empty cache inserts out of key order
    /// (leaf_order.rs): the tree still holds exactly what was sent, over
    /// many of sled's leaves and a short last run, and a key sent twice
    /// stops the load, the cache left dirty.
    #[test]
    fn a_sorted_load_holds_exactly_the_entries_sent() {
        let cache = Cache::temporary().unwrap();
        let sent: Vec<(Vec<u8>, Vec<u8>)> = (0u32..1003)
            .map(|i| {
                (
                    format!("x/{i:05}").into_bytes(),
                    i.to_le_bytes().repeat(i as usize % 7),
                )
            })
            .collect();
        cache
            .load_sorted(sent.clone().into_iter().map(Ok), Sorted::Packed, None)
            .unwrap();
        let held: Vec<(Vec<u8>, Vec<u8>)> = cache
            .raw_tree()
            .scan_prefix(b"x/")
            .map(|kv| kv.map(|(k, v)| (k.to_vec(), v.to_vec())).unwrap())
            .collect();
        assert_eq!(held, sent);

        let again = Cache::temporary().unwrap();
        let mut twice = sent[..40].to_vec();
        twice.insert(20, twice[19].clone());
        let err = again
            .load_sorted(twice.into_iter().map(Ok), Sorted::Packed, None)
            .unwrap_err();
        assert!(err.to_string().contains("does not come after"), "{err}");
        assert!(again.is_dirty().unwrap());
    }
}
