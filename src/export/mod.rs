//! Handing the ledger to others: snapshots, dumps, CSV, checkpoints,
//! inclusion and consistency proofs, their offline verification, restore.

mod check;
mod proof;
mod read;
mod restore;
mod sorted;
mod standard;
mod types;
mod write;

pub use check::{
    check_checkpoint, verify_snapshot, verify_snapshot_file, verify_snapshot_stream, SnapshotReport,
};
pub use proof::{check_against, prove, verify_proof, ConsistencyReport, ProofReport};
pub use read::{read_jsonl, read_snapshot, SnapshotHandler};
pub use restore::{restore, restore_pinned, Pin};
pub use standard::{standard_queries, standard_totals};
pub use types::{
    record_json, record_value, HeadJson, ProofBundle, Snapshot, SnapshotEvent, PROOF_FORMAT,
    SNAPSHOT_FORMAT,
};
pub use write::{
    checkpoint_text, log_root, neutralise, snapshot_event, write_csv, write_jsonl, write_snapshot,
};

use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Cache(#[from] crate::project::ProjectError),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A snapshot from a stream could not be copied to a temporary file
    /// (to be read twice): the machine's disk, not the snapshot.
    #[error(
        "copying the snapshot to a temporary file in {} (a stream is copied to be read twice; \
         set TMPDIR elsewhere, or give the snapshot as a file)",
        dir.display()
    )]
    Spool {
        dir: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}
