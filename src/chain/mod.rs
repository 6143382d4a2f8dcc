//! How records are linked: the record hash rule and the checks a verifier
//! makes between neighbours. Pure: no I/O.

use crate::event::{Checked, Event, Hash32, Record};
use thiserror::Error;

/// The blake3 `derive_key` context of record hashes. Frozen with format 1.
pub const RECORD_HASH_CONTEXT: &str = "claimlog 2026-11 record v1";

/// `RECORD_HASH_CONTEXT` hashed once: `derive_key` hashes its context
/// on every call, one compression of the six or so a record takes.
static RECORD_CONTEXT_KEY: std::sync::LazyLock<blake3::hazmat::ContextKey> =
    std::sync::LazyLock::new(|| blake3::hazmat::hash_derive_key_context(RECORD_HASH_CONTEXT));

/// Record hash = blake3 derive_key(RECORD_HASH_CONTEXT) over prev || record bytes.
pub fn record_hash(prev: &Hash32, record_bytes: &[u8]) -> Hash32 {
    use blake3::hazmat::HasherExt;
    let mut h = blake3::Hasher::new_from_context_key(&RECORD_CONTEXT_KEY);
    h.update(&prev.0);
    h.update(record_bytes);
    Hash32(*h.finalize().as_bytes())
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LinkError {
    #[error("seq gap: expected seq {expected}, found {found}")]
    SeqGap { expected: u64, found: u64 },
    #[error("broken prev link: record points to {found}, previous record hash is {expected}")]
    BrokenPrev { expected: Hash32, found: Hash32 },
    #[error("the first record must be a genesis event, found {0}")]
    NoGenesis(&'static str),
    #[error("genesis event at seq {0}: only seq 0 may be a genesis event")]
    LateGenesis(u64),
}

/// Checks that `r` may follow a record with hash `prev_hash` at `expected_seq`.
pub fn check_link(expected_seq: u64, prev_hash: &Hash32, r: &Record) -> Result<(), LinkError> {
    check_link_of(expected_seq, prev_hash, &Checked::of(r))
}

/// `check_link` for a record checked without being built
/// (`event::check_record`).
pub fn check_link_of(
    expected_seq: u64,
    prev_hash: &Hash32,
    &Checked { seq, prev, tag }: &Checked,
) -> Result<(), LinkError> {
    if seq != expected_seq {
        return Err(LinkError::SeqGap {
            expected: expected_seq,
            found: seq,
        });
    }
    if prev != *prev_hash {
        return Err(LinkError::BrokenPrev {
            expected: *prev_hash,
            found: prev,
        });
    }
    let genesis = tag == Event::GENESIS_TAG;
    match (genesis, seq) {
        (true, 0) => Ok(()),
        (true, s) => Err(LinkError::LateGenesis(s)),
        (false, 0) => Err(LinkError::NoGenesis(
            Event::KINDS.get(tag as usize).copied().unwrap_or("unknown"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The context key is hashed once; the hash must stay what FORMAT.md
    /// says: blake3 derive_key over prev || record bytes, whatever the
    /// length (one block, one chunk, several chunks).
    #[test]
    fn record_hash_is_derive_key_over_prev_and_bytes() {
        let prev = Hash32([7; 32]);
        for len in [0usize, 1, 31, 64, 290, 1023, 1024, 5000] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let whole = [&prev.0[..], &bytes].concat();
            assert_eq!(
                record_hash(&prev, &bytes).0,
                blake3::derive_key(RECORD_HASH_CONTEXT, &whole),
                "{len} bytes"
            );
        }
    }
}
