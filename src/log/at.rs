//! Frames read where a caller says they start: for reading back records
//! whose positions the cache noted (claims' words), without a scan.

use super::frame::{FRAME_OVERHEAD, MORE_IN_BATCH};
use super::scan::{Position, RawFrame};
use super::segment::segment_path;
use super::{io_err, LogError};
use crate::event::{Hash32, MAX_RECORD_BYTES};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

// A frame: length word, its complement, the record, its hash.
const _: () = assert!(FRAME_OVERHEAD == 8 + 32);

/// Reads frames at given positions, keeping the last segment it read
/// open: a listing reads many frames of one segment, and opening the file
/// for each took as long as reading and checking the frame.
pub struct FrameReader {
    dir: PathBuf,
    open: Option<(u32, File)>,
}

impl FrameReader {
    pub fn new(log_dir: &Path) -> FrameReader {
        FrameReader {
            dir: log_dir.to_path_buf(),
            open: None,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The frame starting at `pos`. Checks its header only: what its bytes
    /// are is for the caller to check against the hash it expects.
    pub fn read(&mut self, pos: Position) -> Result<RawFrame, LogError> {
        let path = segment_path(&self.dir, pos.segment);
        let f = match &mut self.open {
            Some((segment, f)) if *segment == pos.segment => f,
            open => {
                let f = File::open(&path).map_err(io_err(&path))?;
                &open.insert((pos.segment, f)).1
            }
        };
        let bad = |reason: String| LogError::BadSegment {
            path: path.clone(),
            reason: format!("frame at offset {}: {reason}", pos.offset),
        };
        let mut hb = [0u8; 8];
        f.read_exact_at(&mut hb, pos.offset)
            .map_err(|e| bad(format!("cannot read its header: {e}")))?;
        let word = u32::from_le_bytes([hb[0], hb[1], hb[2], hb[3]]);
        let check = u32::from_le_bytes([hb[4], hb[5], hb[6], hb[7]]);
        if check != !word {
            return Err(bad(format!(
                "not a frame header (length word {word:#010x}, check {check:#010x})"
            )));
        }
        let len = usize::try_from(word & !MORE_IN_BATCH).unwrap_or(usize::MAX);
        if len == 0 || len > MAX_RECORD_BYTES {
            return Err(bad(format!(
                "frame length {len} is outside 1..={MAX_RECORD_BYTES}"
            )));
        }
        let mut body = vec![0u8; len + 32];
        f.read_exact_at(&mut body, pos.offset + 8)
            .map_err(|e| bad(format!("cannot read its {len} bytes and hash: {e}")))?;
        let mut h = [0u8; 32];
        h.copy_from_slice(&body[len..]);
        body.truncate(len);
        Ok(RawFrame {
            pos,
            bytes: body,
            stored_hash: Hash32(h),
            more: word & MORE_IN_BATCH != 0,
        })
    }
}
