//! Events and the record envelope: what the log stores, and the one
//! canonical encoder for it. Pure: no I/O, no hashing.

mod check;
mod codec;
mod hash;
mod types;

pub use check::{check_record, Checked};
pub use codec::{
    claim_range, decode_record, encode_record, ends_a_claim, CodecError, MAX_RECORD_BYTES,
};
pub use hash::Hash32;
pub use types::{Correction, Event, Genesis, Record, Retraction, FORMAT_VERSION};
