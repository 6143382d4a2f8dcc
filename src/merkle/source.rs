//! Where the prover reads leaf hashes from.

use crate::merkle::Hash;

/// Random access to the leaf hashes (already [`hash_leaf`]ed) of a log, so
/// proofs can be built from a store without first copying every leaf into a
/// slice.
///
/// [`hash_leaf`]: crate::merkle::hash_leaf
pub trait LeafSource {
    /// How many leaves the source holds.
    fn leaf_count(&self) -> u64;

    /// The leaf hash at `index`, or `None` if the source cannot produce it
    /// (out of range, or a backing store failed).
    fn leaf(&self, index: u64) -> Option<Hash>;
}

impl LeafSource for [Hash] {
    fn leaf_count(&self) -> u64 {
        // usize is at most 64 bits on every target Rust supports.
        u64::try_from(self.len()).unwrap_or(u64::MAX)
    }

    fn leaf(&self, index: u64) -> Option<Hash> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.get(i))
            .copied()
    }
}

impl LeafSource for Vec<Hash> {
    fn leaf_count(&self) -> u64 {
        self.as_slice().leaf_count()
    }

    fn leaf(&self, index: u64) -> Option<Hash> {
        self.as_slice().leaf(index)
    }
}
