//! Projections: folds over the log kept in a sled cache. Nothing here
//! decides what may be appended except by replaying the same fold.

mod bulk;
mod cache;
pub mod compaction;
mod entries;
mod fold;
mod keys;
mod leaf_order;
mod packed;
mod scan;
mod sorter;
#[cfg(test)]
mod testing;
/// For the query layer's memo keys, which live beside the cache's.
pub(crate) use keys::prefix_end;
pub mod witness;
mod words;
mod writer;

pub use bulk::{remove_stale_runs, BulkLoad, Sink, Targets};
pub use cache::{cache_sled_config, Cache, Difference, PAGE_CACHE_BYTES, WHOLE_PAGE_CACHE_BYTES};
pub use entries::{
    Checkpoint, ClaimCore, ClaimEntry, ClaimStatus, GenesisEntry, Location, SourceEntry, WholeEntry,
};
pub use fold::{apply, claim_content_hash, ClaimBytes, Overlay};
pub use leaf_order::filling_leaves;

use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ProjectError {
    #[error("cache database error: {0}")]
    Sled(#[from] sled::Error),
    #[error("cache cannot be opened: {0}")]
    Open(String),
    #[error("cache value under {key:?} is unreadable: {reason}")]
    BadValue { key: String, reason: String },
    /// The event cannot follow the ledger's state (unknown source, retracting
    /// a claim twice...). Raised when validating a batch and when replaying.
    #[error("event at seq {seq}: {reason}")]
    Semantic { seq: u64, reason: String },
    #[error("{0}")]
    NotFound(String),
    /// Filling an empty cache in one sorted pass failed (project/bulk.rs).
    #[error("bulk load of the cache: {0}")]
    Bulk(String),
    /// A claim's words could not be read back from the log (words.rs).
    #[error("claim {id} (seq {seq}): its words cannot be read from the log: {reason}")]
    Words {
        id: String,
        seq: u64,
        reason: String,
    },
    /// The log beside the cache could not be read (an I/O error, not a
    /// record that disagrees with the cache).
    #[error("reading the log: {0}")]
    LogRead(crate::log::LogError),
    /// A claim's record, where its `c/` entry points, could not be read
    /// or is not the claim's (words.rs).
    #[error("claim {id}: its record cannot be read from the log: {reason}")]
    Record { id: String, reason: String },
    /// `check`'s findings could not be sorted through a temporary file
    /// (query/findings.rs).
    #[error("sorting check's findings on disk: {0}")]
    Spill(String),
    /// Claims listed in the order they were recorded could not be sorted
    /// through temporary files (`Cache::claims_recorded`).
    #[error("sorting claims by when they were recorded, on disk: {0}")]
    ListSort(String),
    /// No directory could be made for a temporary cache: the machine's
    /// disk or settings, not the data.
    #[error("a scratch directory for a temporary cache in {} (set TMPDIR elsewhere)", dir.display())]
    Scratch {
        dir: std::path::PathBuf,
        source: std::io::Error,
    },
}
