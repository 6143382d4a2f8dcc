//! The append-only segment files: framing, scanning, torn-tail repair and
//! durable appends. This module knows bytes and hashes, not events: it never
//! decodes a record (the store does).

mod at;
mod frame;
mod scan;
mod segment;
mod writer;

pub use at::FrameReader;
pub use frame::{encode_frame, FRAME_OVERHEAD, MORE_IN_BATCH};
pub use scan::{Position, RawFrame, ScanEnd, Scanner};
pub use segment::{list_segments, segment_path, HEADER_LEN, SEGMENT_MAGIC};
pub use writer::{LogWriter, DEFAULT_SEGMENT_BYTES};

use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LogError {
    #[error("I/O error on {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("segment {path}: {reason}")]
    BadSegment {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error(
        "the store is unusable after a failed write that could not be undone (of the log, or of the cache after the log); reopen the store"
    )]
    Poisoned,
}

pub(crate) fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> LogError + '_ {
    move |source| LogError::Io {
        path: path.to_path_buf(),
        source,
    }
}
