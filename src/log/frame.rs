//! A frame: a u32 little-endian length word, the same word with every bit
//! inverted, the record bytes, the 32-byte record hash. Bit 31 of the
//! length word says "more frames of this batch follow": a batch is complete
//! only at a frame whose bit is clear, so a crash in the middle of a batch
//! leaves a visibly incomplete batch, which is cut off whole.
//!
//! The inverted copy tells a damaged length from a torn write: a crash
//! leaves a prefix of the frame, so either both copies are there and agree,
//! or the frame is visibly incomplete. A flipped bit makes them disagree.

use crate::event::Hash32;

pub const FRAME_OVERHEAD: usize = 8 + 32;
/// Bit 31 of the length word: another frame of the same batch follows.
pub const MORE_IN_BATCH: u32 = 1 << 31;

/// Appends one frame to `out`. `record` must be at most `MAX_RECORD_BYTES`,
/// which the encoder guarantees.
pub fn encode_frame(out: &mut Vec<u8>, record: &[u8], hash: &Hash32, more: bool) {
    let len = u32::try_from(record.len()).expect("record length is bounded by MAX_RECORD_BYTES");
    let len = if more { len | MORE_IN_BATCH } else { len };
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(record);
    out.extend_from_slice(&hash.0);
}
