//! Proof construction: RFC 9162 proofs as the roots of the subtree ranges
//! from [`index`](crate::merkle::index).

use std::ops::Range;

use crate::merkle::index::{consistency_ranges, inclusion_ranges};
use crate::merkle::{Hash, LeafSource, ProofError, RootBuilder};

/// The root (RFC 6962 `MTH`) of a tree whose leaf hashes are `leaf_hashes`
/// (already [`hash_leaf`]ed); `empty_root()` for no leaves.
///
/// [`hash_leaf`]: crate::merkle::hash_leaf
pub fn root(leaf_hashes: &[Hash]) -> Hash {
    let mut builder = RootBuilder::new();
    builder.extend(leaf_hashes.iter().copied());
    builder.root()
}

/// The root of the leaves in `range` taken as a tree on their own, reading
/// each leaf once.
///
/// Precondition: `range.start <= range.end <= leaves.leaf_count()` (else
/// [`ProofError::RangeOutOfBounds`]).
pub fn subtree_root<S: LeafSource + ?Sized>(
    leaves: &S,
    range: Range<u64>,
) -> Result<Hash, ProofError> {
    let available = leaves.leaf_count();
    if range.start > range.end || range.end > available {
        return Err(ProofError::RangeOutOfBounds {
            start: range.start,
            end: range.end,
            available,
        });
    }
    let mut builder = RootBuilder::new();
    for index in range {
        builder.push(
            leaves
                .leaf(index)
                .ok_or(ProofError::LeafUnavailable { index })?,
        );
    }
    Ok(builder.root())
}

/// The RFC 9162 inclusion proof for leaf `index` in the tree made of the
/// first `size` leaves of `leaves`. Costs O(size) hashes: the proof's
/// subtrees are disjoint, so each leaf is read once.
///
/// Preconditions: `index < size` ([`IndexError::IndexOutOfRange`]) and
/// `size <= leaves.leaf_count()` ([`ProofError::RangeOutOfBounds`]).
///
/// [`IndexError::IndexOutOfRange`]: crate::merkle::IndexError::IndexOutOfRange
pub fn inclusion_proof<S: LeafSource + ?Sized>(
    leaves: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProofError> {
    let ranges = inclusion_ranges(index, size)?;
    roots_of(leaves, size, ranges)
}

/// The RFC 9162 consistency proof from the tree of the first `old_size`
/// leaves to the tree of the first `new_size` leaves. Empty when
/// `old_size == 0` or `old_size == new_size`. Costs O(new_size) hashes.
///
/// Preconditions: `old_size <= new_size` ([`IndexError::SizeOrder`]) and
/// `new_size <= leaves.leaf_count()` ([`ProofError::RangeOutOfBounds`]).
///
/// [`IndexError::SizeOrder`]: crate::merkle::IndexError::SizeOrder
pub fn consistency_proof<S: LeafSource + ?Sized>(
    leaves: &S,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>, ProofError> {
    let ranges = consistency_ranges(old_size, new_size)?;
    roots_of(leaves, new_size, ranges)
}

fn roots_of<S: LeafSource + ?Sized>(
    leaves: &S,
    size: u64,
    ranges: Vec<Range<u64>>,
) -> Result<Vec<Hash>, ProofError> {
    // Checked up front so a short source fails the same way for every proof,
    // not only for proofs that happen to touch the missing leaves.
    let available = leaves.leaf_count();
    if size > available {
        return Err(ProofError::RangeOutOfBounds {
            start: 0,
            end: size,
            available,
        });
    }
    ranges
        .into_iter()
        .map(|range| subtree_root(leaves, range))
        .collect()
}
