//! An inclusion proof and the tree root in one pass over the leaves, in
//! O(log n) memory: the proof's subtrees are disjoint leaf ranges, so each
//! leaf feeds at most one of their roots, and every leaf feeds the root.

use std::ops::Range;

use crate::merkle::index::inclusion_ranges;
use crate::merkle::{Hash, ProofError, RootBuilder};

/// Takes the leaf hashes of a tree in order; `finish` gives the inclusion
/// proof for one leaf (as [`inclusion_proof`] would) and the tree root.
///
/// [`inclusion_proof`]: crate::merkle::inclusion_proof
#[derive(Debug, Clone)]
pub struct InclusionBuilder {
    size: u64,
    /// The proof's ranges by start, each with its place in the proof.
    by_start: Vec<(Range<u64>, usize)>,
    /// Index into `by_start` of the first range not yet complete.
    at: usize,
    roots: Vec<RootBuilder>,
    root: RootBuilder,
    next: u64,
}

impl InclusionBuilder {
    /// A builder for the proof of leaf `index` in a tree of `size` leaves.
    ///
    /// Precondition: `index < size` (else [`IndexError::IndexOutOfRange`]).
    ///
    /// [`IndexError::IndexOutOfRange`]: crate::merkle::IndexError::IndexOutOfRange
    pub fn new(index: u64, size: u64) -> Result<Self, ProofError> {
        let ranges = inclusion_ranges(index, size)?;
        let roots = vec![RootBuilder::new(); ranges.len()];
        let mut by_start: Vec<(Range<u64>, usize)> = ranges.into_iter().zip(0..).collect();
        by_start.sort_by_key(|(r, _)| r.start);
        Ok(InclusionBuilder {
            size,
            by_start,
            at: 0,
            roots,
            root: RootBuilder::new(),
            next: 0,
        })
    }

    /// Takes the next leaf hash (already [`hash_leaf`]ed). Leaves past the
    /// tree's size are counted, and make `finish` fail.
    ///
    /// [`hash_leaf`]: crate::merkle::hash_leaf
    pub fn push(&mut self, leaf: Hash) {
        let i = self.next;
        self.next = self.next.saturating_add(1);
        if i >= self.size {
            return;
        }
        self.root.push(leaf);
        while self.by_start.get(self.at).is_some_and(|(r, _)| r.end <= i) {
            self.at += 1;
        }
        if let Some((r, slot)) = self.by_start.get(self.at) {
            if r.contains(&i) {
                self.roots[*slot].push(leaf);
            }
        }
    }

    /// The inclusion proof (in proof order) and the root of the tree.
    pub fn finish(self) -> Result<(Vec<Hash>, Hash), ProofError> {
        if self.next != self.size {
            return Err(ProofError::RangeOutOfBounds {
                start: 0,
                end: self.size,
                available: self.next,
            });
        }
        Ok((
            self.roots.iter().map(RootBuilder::root).collect(),
            self.root.root(),
        ))
    }
}
