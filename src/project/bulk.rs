//! Filling an empty cache from the whole log at once (a rebuild, a first
//! open, a deleted cache, a snapshot's replay).
//!
//! The fold is the same `apply`, record by record in seq order; what
//! differs is where its writes go. Replayed in chunks, a claim's two
//! entries (`g/` by scope, `c/` by id) land at random places in a growing
//! tree, and sled pays a page-in and page-out for each (about 30 µs at 1M
//! claims). Here they go to an external sort instead and reach sled once,
//! in key order, which it takes about five times faster.
//!
//! The fold reads only a few kinds of keys back: the genesis, sources,
//! counters, and the entries of claims that a later record retracts or
//! corrects. A first pass over the log (`Targets`) names those claims, so
//! their entries, and every small key, stay in the overlay where the fold
//! can read them, a claim's until the record that ends it
//! (`Overlay::put_ended`); everything else it writes is never read again
//! and is spilled to the sort.

use super::fold::{Overlay, Spill};
#[cfg(test)]
use super::sorter::RUN_ENTRIES;
use super::sorter::{SortedEntries, Sorter};
use super::{cache, packed};
use super::{Cache, Checkpoint, ProjectError};
use crate::event::{Event, Hash32, Record};

/// The prefix of a sort's directory in the store directory (a bulk
/// load's, or a listing's: `Cache::claims_recorded`); one left by a
/// crash, or by a listing its reader stopped (`claims | head` ends it by
/// SIGPIPE, before any destructor), is removed on the next open
/// (`remove_stale_runs`).
const RUNS_PREFIX: &str = ".rebuild-";

/// A directory for a sort's runs beside `cache`, in the store directory,
/// so that they count against its disk and a crash's are found again;
/// `None` for a cache without a path (a temporary one), whose sort then
/// uses a directory of extsort's own in the system's temporary directory.
pub(crate) fn runs_dir(cache: &Cache) -> std::io::Result<Option<tempfile::TempDir>> {
    match cache.path().parent() {
        Some(dir) if !cache.path().as_os_str().is_empty() => tempfile::Builder::new()
            .prefix(RUNS_PREFIX)
            .tempdir_in(dir)
            .map(Some),
        _ => Ok(None),
    }
}

/// Removes sort directories left in `store_dir` by a bulk load that
/// never finished. Call with the store's lock held.
pub fn remove_stale_runs(store_dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(store_dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(RUNS_PREFIX) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The ids of claims some record retracts or corrects: the only claims
/// the fold looks up again.
#[derive(Default)]
pub struct Targets(foldhash::HashSet<Hash32>);

impl FromIterator<Hash32> for Targets {
    fn from_iter<I: IntoIterator<Item = Hash32>>(ids: I) -> Self {
        Targets(ids.into_iter().collect())
    }
}

impl IntoIterator for Targets {
    type Item = Hash32;
    type IntoIter = std::collections::hash_set::IntoIter<Hash32>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl Targets {
    pub fn note(&mut self, rec: &Record) {
        match &rec.event {
            Event::ClaimRetracted(r) => {
                self.0.insert(r.claim);
            }
            Event::ClaimCorrected(c) => {
                self.0.insert(c.old);
            }
            _ => {}
        }
    }

    pub(crate) fn contains(&self, id: &Hash32) -> bool {
        self.0.contains(id)
    }
}

/// Records applied per cache commit by a chunked replay: bounds memory.
const REPLAY_CHUNK: usize = 1024;

/// Where a replay's writes go.
pub enum Sink {
    /// Catching up from a checkpoint: committed every `REPLAY_CHUNK`
    /// records, so memory stays bounded and progress survives a crash.
    Chunks { overlay: Overlay, pending: usize },
    /// The whole log into an empty cache: sorted first, written once.
    Bulk(BulkLoad),
}

impl Sink {
    pub fn chunks(cache: &Cache) -> Sink {
        Sink::Chunks {
            overlay: cache.begin(),
            pending: 0,
        }
    }

    pub fn bulk(cache: &Cache, targets: Targets) -> Result<Sink, ProjectError> {
        Ok(Sink::Bulk(BulkLoad::new(cache, targets)?))
    }

    pub fn overlay(&mut self) -> &mut Overlay {
        match self {
            Sink::Chunks { overlay, .. } => overlay,
            Sink::Bulk(bulk) => bulk.overlay(),
        }
    }

    /// After a record was applied. `cp`: the checkpoint after it, or
    /// `None` inside a batch (its last frame is yet to come): no clean
    /// checkpoint may lie inside a batch, which a crash could leave never
    /// acknowledged. A part committed there leaves the cache dirty.
    pub fn applied(&mut self, cache: &Cache, cp: Option<Checkpoint>) -> Result<(), ProjectError> {
        match self {
            Sink::Chunks { overlay, pending } => {
                *pending += 1;
                if *pending == REPLAY_CHUNK {
                    let part = std::mem::replace(overlay, cache.begin());
                    match cp {
                        Some(cp) => cache.commit(part, cp)?,
                        None => cache.commit_partial(part)?,
                    }
                    *pending = 0;
                }
            }
            Sink::Bulk(bulk) => bulk.spill()?,
        }
        Ok(())
    }

    /// After the last record; `cp` as for `applied`.
    pub fn finish(self, cache: &Cache, cp: Option<Checkpoint>) -> Result<(), ProjectError> {
        match self {
            // With nothing pending, the last part was committed after the
            // same record, with the same checkpoint or none.
            Sink::Chunks { overlay, pending } => {
                if pending > 0 {
                    match cp {
                        Some(cp) => cache.commit(overlay, cp)?,
                        None => cache.commit_partial(overlay)?,
                    }
                }
            }
            Sink::Bulk(bulk) => bulk.sorted()?.load(cache, cp)?,
        }
        Ok(())
    }
}

fn sort_err(e: std::io::Error) -> ProjectError {
    ProjectError::Bulk(format!("sorting entries: {e}"))
}

/// A fill of an empty cache in progress: `overlay` for `apply`, then
/// `spill` after each record, then `finish`.
pub struct BulkLoad {
    overlay: Overlay,
    /// Its runs go beside the cache (`runs_dir`), or for a temporary cache
    /// (a snapshot's replay) in the system's temporary directory.
    sorter: Sorter,
}

impl BulkLoad {
    /// Starts filling `cache`, which must hold nothing but its version
    /// (a replay of the whole log).
    pub fn new(cache: &Cache, targets: Targets) -> Result<BulkLoad, ProjectError> {
        if !cache.is_blank()? {
            return Err(ProjectError::Bulk("the cache is not empty".into()));
        }
        Self::over(cache, targets)
    }

    /// Starts adding to `cache` the writes of records that follow what it
    /// holds (a large batch): the fold reads what the cache holds as
    /// usual, and the sorted entries are written over it at the end.
    pub fn over(cache: &Cache, targets: Targets) -> Result<BulkLoad, ProjectError> {
        let runs =
            runs_dir(cache).map_err(|e| ProjectError::Bulk(format!("sort directory: {e}")))?;
        let sorter = Sorter::start_in(runs).map_err(sort_err)?;
        let mut overlay = cache.begin();
        overlay.spill = Some(Spill::new(targets));
        Ok(BulkLoad { overlay, sorter })
    }

    pub fn overlay(&mut self) -> &mut Overlay {
        &mut self.overlay
    }

    /// The claim `id` will be retracted or corrected by a later record:
    /// its entries stay where the fold can read them.
    pub fn keep(&mut self, id: Hash32) {
        if let Some(spill) = self.overlay.spill.as_mut() {
            spill.targets.0.insert(id);
        }
    }

    /// Hands what the fold spilled so far to the sort.
    pub fn spill(&mut self) -> Result<(), ProjectError> {
        let Some(spill) = self.overlay.spill.as_mut() else {
            return Ok(());
        };
        for (key, val) in spill.out.drain(..) {
            self.sorter.push(&key, &val).map_err(sort_err)?;
        }
        Ok(())
    }

    /// Finishes the sort: what is left to do is writing (`Sorted::load`).
    /// A failure here touches nothing.
    pub fn sorted(mut self) -> Result<Sorted, ProjectError> {
        self.spill()?;
        // The overlay's own keys (small state, claims read again) join
        // the sort: no key is in both.
        for (key, val) in std::mem::take(&mut self.overlay.pending) {
            if let Some(val) = val {
                self.sorter.push(&key, &val).map_err(sort_err)?;
            }
        }
        // `Sorter::done` keeps extsort 0.5.0 from losing every run when the
        // last push fills one, and its entries end in an error if fewer
        // come back than went in.
        let started = std::time::Instant::now();
        let sorted = self.sorter.done().map_err(sort_err)?;
        tracing::debug!("bulk load: last run sorted in {:?}", started.elapsed());
        Ok(Sorted { sorted })
    }
}

/// A bulk load's entries, sorted, waiting to be written.
pub struct Sorted {
    sorted: SortedEntries,
}

impl Sorted {
    /// Writes every entry into the cache in key order, then `cp` (with
    /// none, the cache stays dirty: see `Sink::applied`).
    ///
    /// The runs are merged one thread ahead of the writing (and, into a
    /// cache without claims, packed into groups there too): merging is
    /// about a third of the load, and sled's writes go best from one thread.
    pub fn load(self, cache: &Cache, cp: Option<Checkpoint>) -> Result<(), ProjectError> {
        let started = std::time::Instant::now();
        // A short stream fails before the checkpoint is written
        // (`SortedEntries`).
        let merged = self
            .sorted
            .map(|e| e.map(|e| (e.key, e.val)).map_err(sort_err));
        // Into a cache without claims (a rebuild, a first open, a first
        // import) the groups are packed on the merging thread: with the
        // packing, the writing thread was the load's bound.
        if cache.has_claims()? {
            crate::ahead::ahead(merged, |entries| {
                cache.load_sorted(entries, cache::Sorted::Logical, cp)
            })?;
        } else {
            crate::ahead::ahead(packed::pack_fresh(merged), |entries| {
                cache.load_sorted(entries, cache::Sorted::Packed, cp)
            })?;
        }
        tracing::debug!("bulk load: written in {:?}", started.elapsed());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::keys;
    use super::*;

    /// extsort 0.5.0 loses every run when the last entry pushed fills one.
    /// A load of exactly two full runs (of RUN_ENTRIES + 1 entries each)
    /// writes all of them. (Found by the memo property test: a rebuild of
    /// 65 entries, runs of 64, left a cache of its checkpoint alone.)
    #[test]
    fn a_load_that_ends_on_a_full_run_writes_every_entry() {
        for n in [RUN_ENTRIES as u64 + 1, 2 * (RUN_ENTRIES as u64 + 1), 7] {
            let cache = Cache::temporary().unwrap();
            let mut bulk = BulkLoad::new(&cache, Targets::default()).unwrap();
            for seq in 0..n {
                bulk.overlay().put(keys::seq(seq), vec![1]);
            }
            bulk.spill().unwrap();
            bulk.sorted()
                .unwrap()
                .load(
                    &cache,
                    Some(Checkpoint {
                        seq: n,
                        hash: Hash32::ZERO,
                        end_segment: 0,
                        end_offset: 0,
                    }),
                )
                .unwrap();
            let held = cache
                .dump()
                .unwrap()
                .into_iter()
                .filter(|(k, _)| k.starts_with(keys::SEQ))
                .count() as u64;
            assert_eq!(held, n, "{n} entries");
        }
    }
}
