//! When the cache has grown past its bound: single appends leave space
//! in sled's file that sled does not give back.
//!
//! Every single append rewrites its claim's two packed groups, and about
//! every tenth write to a sled leaf rewrites the whole leaf; sled frees a
//! segment of its file only once at most half of it is live, and cleans
//! little without a background thread (which the store does not run: its
//! fsyncs competed with the log's). At 1M claims, 145,000 appends grew the
//! cache from 213 MB to 1 GB (docs/PERFORMANCE.md, sixteenth session).
//!
//! So the size of the cache's files is noted after every load into an
//! empty cache (a rebuild, a first open, a first import), and a store
//! closing after it appended rebuilds its cache once the files have grown
//! past `GROWTH` times that. A rebuild, not a copy of the tree into a new sled
//! file: the copy took a third of the time at 1M but 175-240 MB of memory
//! and left files of 245 to 334 MB from the same tree; a rebuild's load
//! is sorted, bounded in memory, and gives the same files every time.

use super::cache::Cache;
use std::path::Path;

/// How much the cache's files may grow past their size after a load
/// before a closing store rebuilds the cache.
pub const GROWTH: f64 = 1.5;

/// Below this a cache is not rebuilt, whatever its growth (the default of
/// `StoreOptions::rebuild_cache_from_bytes`): sled's file is made of
/// segments (128 KiB, cache.rs), and a small store's is mostly their
/// slack and what sled has not reclaimed yet.
pub const MIN_BYTES: u64 = 64 << 20;

/// The file beside sled's noting their size after the last load.
const BASELINE: &str = "loaded-size";

/// Bytes of sled's files in `cache_dir` (its log file, snapshots, blobs).
pub fn size_on_disk(cache_dir: &Path) -> u64 {
    fn walk(dir: &Path) -> u64 {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return 0;
        };
        entries
            .flatten()
            .map(|e| match e.metadata() {
                Ok(m) if m.is_dir() => walk(&e.path()),
                Ok(m) => m.len(),
                Err(_) => 0,
            })
            .sum()
    }
    walk(cache_dir)
}

fn read_baseline(cache_dir: &Path) -> Option<u64> {
    std::fs::read_to_string(cache_dir.join(BASELINE))
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn write_baseline(cache_dir: &Path, bytes: u64) {
    let tmp = cache_dir.join(format!("{BASELINE}.tmp"));
    let res = std::fs::write(&tmp, bytes.to_string())
        .and_then(|()| std::fs::rename(&tmp, cache_dir.join(BASELINE)));
    if let Err(e) = res {
        tracing::warn!(
            "cannot note the cache's size in {}: {e}",
            cache_dir.display()
        );
    }
}

impl Cache {
    /// Notes the size of the cache's files now, and returns it: after a
    /// sorted load into an empty cache (as compact as sled makes it; what
    /// is not flushed yet is a few MB at most), and again after a rebuild,
    /// which flushes.
    pub fn note_loaded_size(&self) -> u64 {
        let dir = self.path();
        if dir.as_os_str().is_empty() {
            return 0;
        }
        let now = size_on_disk(dir);
        write_baseline(dir, now);
        now
    }

    /// The size of the cache's files if they are `min_bytes` or more and
    /// have grown past `GROWTH` times their noted size. With no note (a
    /// cache older than the note, or one whose note could not be written),
    /// the size now is noted and the answer is none.
    pub fn outgrown(&self, min_bytes: u64) -> Option<u64> {
        let dir = self.path();
        if dir.as_os_str().is_empty() {
            return None;
        }
        let now = size_on_disk(dir);
        match read_baseline(dir) {
            Some(base) => (now >= min_bytes && now as f64 > base as f64 * GROWTH).then_some(now),
            None => {
                write_baseline(dir, now);
                None
            }
        }
    }
}
