//! How records are linked: the record hash rule and the checks a verifier
//! makes between neighbours. Pure: no I/O.

use crate::event::{Event, Hash32, Record};
use thiserror::Error;

/// The blake3 `derive_key` context of record hashes. Frozen with format 1.
pub const RECORD_HASH_CONTEXT: &str = "claimlog 2026-11 record v1";

/// Record hash = blake3 derive_key(RECORD_HASH_CONTEXT) over prev || record bytes.
pub fn record_hash(prev: &Hash32, record_bytes: &[u8]) -> Hash32 {
    let mut h = blake3::Hasher::new_derive_key(RECORD_HASH_CONTEXT);
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
    if r.seq != expected_seq {
        return Err(LinkError::SeqGap {
            expected: expected_seq,
            found: r.seq,
        });
    }
    if r.prev != *prev_hash {
        return Err(LinkError::BrokenPrev {
            expected: *prev_hash,
            found: r.prev,
        });
    }
    match (&r.event, r.seq) {
        (Event::Genesis(_), 0) => Ok(()),
        (Event::Genesis(_), s) => Err(LinkError::LateGenesis(s)),
        (e, 0) => Err(LinkError::NoGenesis(e.kind())),
        _ => Ok(()),
    }
}
