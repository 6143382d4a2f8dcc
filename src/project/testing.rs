//! Helpers for the project layer's unit tests: ids spread as record
//! hashes are, ids whose group boundaries a test picks, and a small seeded
//! generator for random histories.

use super::keys;
use crate::event::Hash32;

/// The `i`th of a spread of ids (blake3, as record hashes are).
pub(crate) fn spread_id(i: u64) -> Hash32 {
    Hash32(*blake3::hash(&i.to_be_bytes()).as_bytes())
}

/// An id whose first byte is `first` and whose eighth and last bytes are
/// `last` (which decides whether its id key and its claim key start a
/// packed group), zeros between.
pub(crate) fn id(first: u8, last: u8) -> [u8; 32] {
    let mut id = [0u8; 32];
    id[0] = first;
    id[keys::ID_PREFIX - 1] = last;
    id[31] = last;
    id
}

/// The id-index key of `id(first, last)`, added by record 0.
pub(crate) fn id_key(first: u8, last: u8) -> Vec<u8> {
    keys::claim(&Hash32(id(first, last)), 0)
}

/// xorshift64: seeded, for histories a failure can be replayed from.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
