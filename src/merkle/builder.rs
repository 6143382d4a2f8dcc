//! Streaming root computation in O(log n) memory.

use crate::merkle::{empty_root, hash_children, Hash};

/// Computes the tree root of a stream of leaf hashes without holding them
/// all: it keeps only the roots of the perfect subtrees on the tree's right
/// edge (at most 64 of them).
///
/// ```
/// # use claimlog::merkle::{hash_leaf, root, RootBuilder};
/// let leaves: Vec<_> = (0u8..5).map(|i| hash_leaf(&[i])).collect();
/// let mut builder = RootBuilder::new();
/// for leaf in &leaves {
///     builder.push(*leaf);
/// }
/// assert_eq!(builder.root(), root(&leaves));
/// ```
#[derive(Debug, Clone, Default)]
pub struct RootBuilder {
    /// Perfect-subtree roots with their heights, heights strictly decreasing.
    /// Merging is driven by the heights, not by a leaf counter, so the
    /// roots stay correct even if `size` saturates.
    frontier: Vec<(u32, Hash)>,
    size: u64,
}

impl RootBuilder {
    /// A builder for the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the next leaf hash (already [`hash_leaf`]ed).
    ///
    /// [`hash_leaf`]: crate::merkle::hash_leaf
    pub fn push(&mut self, leaf_hash: Hash) {
        let mut node = (0u32, leaf_hash);
        while let Some(&(height, left)) = self.frontier.last() {
            if height != node.0 {
                break;
            }
            self.frontier.pop();
            node = (height + 1, hash_children(&left, &node.1));
        }
        self.frontier.push(node);
        // 2^64 pushes cannot happen in practice; saturating keeps a panic
        // path out of debug builds without affecting the root.
        self.size = self.size.saturating_add(1);
    }

    /// How many leaves have been pushed (saturating at `u64::MAX`).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The RFC 6962 root of the leaves pushed so far; `empty_root()` if none.
    pub fn root(&self) -> Hash {
        // MTH splits at the largest power of two, so the root is the
        // frontier folded from the right: each perfect subtree is the left
        // child of everything pushed after it.
        let mut nodes = self.frontier.iter().rev();
        let Some(&(_, last)) = nodes.next() else {
            return empty_root();
        };
        nodes.fold(last, |right, (_, left)| hash_children(left, &right))
    }
}

impl Extend<Hash> for RootBuilder {
    fn extend<I: IntoIterator<Item = Hash>>(&mut self, leaves: I) {
        for leaf in leaves {
            self.push(leaf);
        }
    }
}
