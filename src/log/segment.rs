//! Segment files: `log/NNNNNNNN.seg`, numbered from 0 without gaps, each
//! starting with a 24-byte header (docs/FORMAT.md, "Segment").

use super::{io_err, LogError};
use std::path::{Path, PathBuf};

pub const SEGMENT_MAGIC: [u8; 8] = *b"CLMLOG\0\x01";
pub const HEADER_LEN: u64 = 24;
const SEGMENT_FORMAT: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHeader {
    /// Seq of the first record this segment holds (or will hold).
    pub first_seq: u64,
}

impl SegmentHeader {
    pub fn to_bytes(self) -> [u8; 24] {
        let mut b = [0u8; 24];
        b[..8].copy_from_slice(&SEGMENT_MAGIC);
        b[8..12].copy_from_slice(&SEGMENT_FORMAT.to_le_bytes());
        // bytes 12..16 are reserved and zero
        b[16..24].copy_from_slice(&self.first_seq.to_le_bytes());
        b
    }

    pub fn parse(b: &[u8]) -> Result<Self, String> {
        if b.len() < 24 {
            return Err(format!("header is {} bytes, expected 24", b.len()));
        }
        if b[..8] != SEGMENT_MAGIC {
            return Err("bad magic (not a claimlog segment)".into());
        }
        let fmt = u32::from_le_bytes([b[8], b[9], b[10], b[11]]);
        if fmt != SEGMENT_FORMAT {
            return Err(format!("segment format {fmt} is not supported"));
        }
        if b[12..16] != [0, 0, 0, 0] {
            return Err("reserved header bytes are not zero".into());
        }
        let mut s = [0u8; 8];
        s.copy_from_slice(&b[16..24]);
        Ok(SegmentHeader {
            first_seq: u64::from_le_bytes(s),
        })
    }
}

pub fn segment_path(dir: &Path, index: u32) -> PathBuf {
    dir.join(format!("{index:08}.seg"))
}

/// The segment files in `dir`, in order. Refuses gaps and stray `.seg` names,
/// because a missing segment would silently drop a stretch of history.
pub fn list_segments(dir: &Path) -> Result<Vec<PathBuf>, LogError> {
    let mut idx = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(stem) = name.strip_suffix(".seg") else {
            continue;
        };
        let all_digits = stem.bytes().all(|b| b.is_ascii_digit());
        let n: u32 = match (stem.len(), all_digits, stem.parse()) {
            (8, true, Ok(n)) => n,
            _ => {
                return Err(LogError::BadSegment {
                    path: entry.path(),
                    reason: "unexpected segment file name (expected NNNNNNNN.seg)".into(),
                })
            }
        };
        idx.push(n);
    }
    idx.sort_unstable();
    for (want, have) in idx.iter().enumerate() {
        if u32::try_from(want).ok() != Some(*have) {
            return Err(LogError::BadSegment {
                path: segment_path(dir, u32::try_from(want).unwrap_or(u32::MAX)),
                reason: "segment file is missing (segments must be numbered from 0 without gaps)"
                    .into(),
            });
        }
    }
    Ok(idx.into_iter().map(|i| segment_path(dir, i)).collect())
}
