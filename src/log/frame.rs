//! A frame: u32 little-endian length, the same length with every bit
//! inverted, the record bytes, the 32-byte record hash.
//!
//! The inverted copy tells a damaged length from a torn write: a crash
//! leaves a prefix of the frame, so either both copies are there and agree,
//! or the frame is visibly incomplete. A flipped bit makes them disagree.

use crate::event::Hash32;

pub const FRAME_OVERHEAD: usize = 8 + 32;

/// Appends one frame to `out`. `record` must be at most `MAX_RECORD_BYTES`,
/// which the encoder guarantees.
pub fn encode_frame(out: &mut Vec<u8>, record: &[u8], hash: &Hash32) {
    let len = u32::try_from(record.len()).expect("record length is bounded by MAX_RECORD_BYTES");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(record);
    out.extend_from_slice(&hash.0);
}
