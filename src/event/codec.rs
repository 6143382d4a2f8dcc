//! The canonical encoding: bincode 2.0.1, standard configuration (little
//! endian, variable-length integers). Decoding accepts only bytes that
//! re-encode to themselves, so every record has exactly one encoding.

use super::types::{Event, Record, FORMAT_VERSION};
use super::Hash32;
use crate::model::Name;
use thiserror::Error;

/// No record may exceed this many bytes (docs/FORMAT.md).
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CodecError {
    #[error("record cannot be encoded: {0}")]
    Encode(String),
    #[error("record is {0} bytes; the limit is {MAX_RECORD_BYTES}")]
    TooLarge(usize),
    #[error("undecodable record: {0}")]
    Decode(String),
    #[error("record has {0} trailing bytes")]
    TrailingBytes(usize),
    #[error("record is not in canonical form (it does not re-encode to the same bytes)")]
    NonCanonical,
    #[error("record format version {0} is not supported (this build reads {FORMAT_VERSION})")]
    Version(u32),
}

pub(super) fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_RECORD_BYTES>()
}

pub fn encode_record(r: &Record) -> Result<Vec<u8>, CodecError> {
    let bytes =
        bincode::encode_to_vec(r, config()).map_err(|e| CodecError::Encode(e.to_string()))?;
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(CodecError::TooLarge(bytes.len()));
    }
    Ok(bytes)
}

pub fn decode_record(bytes: &[u8]) -> Result<Record, CodecError> {
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(CodecError::TooLarge(bytes.len()));
    }
    // The format version leads the record: refuse other versions by name
    // rather than as undecodable bytes.
    if let Ok((v, _)) = bincode::decode_from_slice::<u32, _>(bytes, config()) {
        if v != FORMAT_VERSION {
            return Err(CodecError::Version(v));
        }
    }
    let (r, used): (Record, usize) = bincode::decode_from_slice(bytes, config())
        .map_err(|e| CodecError::Decode(e.to_string()))?;
    if used != bytes.len() {
        return Err(CodecError::TrailingBytes(bytes.len() - used));
    }
    if r.format != FORMAT_VERSION {
        return Err(CodecError::Version(r.format));
    }
    // Re-encode into a writer that compares as it goes: no allocation for
    // a check that runs on every record verify and replay read.
    let mut same = Compare {
        expected: bytes,
        at: 0,
    };
    if bincode::encode_into_writer(&r, &mut same, config()).is_err() || same.at != bytes.len() {
        return Err(CodecError::NonCanonical);
    }
    Ok(r)
}

/// Whether the record in `bytes` retracts or corrects a claim, read from
/// its envelope and its event's tag alone (the tag follows the envelope;
/// docs/FORMAT.md): for a pass that needs only those records, without
/// decoding the rest. Says nothing of whether the rest would decode.
pub fn ends_a_claim(bytes: &[u8]) -> Result<bool, CodecError> {
    type Head = (u32, u64, Hash32, i64, Option<Name>, u32);
    let ((format, _, _, _, _, tag), _): (Head, usize) = bincode::decode_from_slice(bytes, config())
        .map_err(|e| CodecError::Decode(e.to_string()))?;
    if format != FORMAT_VERSION {
        return Err(CodecError::Version(format));
    }
    Ok(tag == Event::RETRACTED_TAG || tag == Event::CORRECTED_TAG)
}

/// Where the claim record `rec` adds (a `ClaimAdded`'s claim, a
/// `ClaimCorrected`'s new one; none for other events) lies in its
/// canonical bytes, `len` of them. A record's encoding is its fields'
/// encodings back to back (docs/FORMAT.md), so those bytes are the claim's
/// own canonical encoding: whoever holds the record's bytes need not
/// encode the claim again (the fold hashes it and stores it).
pub fn claim_range(rec: &Record, len: usize) -> Option<std::ops::Range<usize>> {
    let head = |tag: u32| {
        encoded_len(&(
            rec.format,
            rec.seq,
            &rec.prev,
            rec.recorded_at_ms,
            &rec.recorded_by,
            tag,
        ))
    };
    let (start, end) = match &rec.event {
        Event::ClaimAdded(_) => (head(Event::ADDED_TAG)?, len),
        // The replaced claim's id (32 bytes), the new claim, the reason.
        Event::ClaimCorrected(c) => (
            head(Event::CORRECTED_TAG)? + 32,
            len.checked_sub(encoded_len(&c.reason)?)?,
        ),
        _ => return None,
    };
    (start <= end).then_some(start..end)
}

fn encoded_len<T: bincode::Encode>(v: &T) -> Option<usize> {
    let mut w = bincode::enc::write::SizeWriter::default();
    bincode::encode_into_writer(v, &mut w, config()).ok()?;
    Some(w.bytes_written)
}

/// A bincode writer that fails as soon as what is written differs from
/// `expected`.
pub(super) struct Compare<'a> {
    pub expected: &'a [u8],
    pub at: usize,
}

impl bincode::enc::write::Writer for Compare<'_> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), bincode::error::EncodeError> {
        let end = self.at + bytes.len();
        if self.expected.get(self.at..end) != Some(bytes) {
            return Err(bincode::error::EncodeError::Other("not canonical"));
        }
        self.at = end;
        Ok(())
    }
}
