//! Proof verification: RFC 9162 sections 2.1.3.2 and 2.1.4.2, step by step.
//!
//! The proof length is checked against the index math before hashing so a
//! wrong-length proof gets a precise [`VerifyError::ProofLength`]; the RFC's
//! own in-loop checks are kept as well, so the algorithm stays verbatim.

use crate::merkle::index::{consistency_ranges, inclusion_ranges};
use crate::merkle::{empty_root, hash_children, Hash, VerifyError};

/// Checks that `leaf_hash` (already [`hash_leaf`]ed) is leaf `index` of the
/// tree of `size` leaves whose root is `root`.
///
/// Rejects `index >= size` ([`VerifyError::IndexOutOfRange`]), a proof of
/// the wrong length, including trailing extra hashes
/// ([`VerifyError::ProofLength`]), and a proof that does not lead to `root`
/// ([`VerifyError::RootMismatch`]).
///
/// [`hash_leaf`]: crate::merkle::hash_leaf
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), VerifyError> {
    let expected = inclusion_ranges(index, size)?.len();
    if proof.len() != expected {
        return Err(VerifyError::ProofLength {
            expected,
            got: proof.len(),
        });
    }
    let length_error = VerifyError::ProofLength {
        expected,
        got: proof.len(),
    };
    // Steps 2-4: fn/sn walk the leaf's and the last leaf's paths upward.
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if s_n == 0 {
            return Err(length_error);
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = hash_children(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = hash_children(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    // Step 5.
    if s_n != 0 {
        return Err(length_error);
    }
    if r != *root {
        return Err(VerifyError::RootMismatch {
            expected: *root,
            calculated: r,
        });
    }
    Ok(())
}

/// Checks that the tree of `new_size` leaves with root `new_root` extends the
/// tree of `old_size` leaves with root `old_root`.
///
/// Edge cases, all checked:
/// - `old_size > new_size`: [`VerifyError::SizeOrder`].
/// - `old_size == new_size`: the proof must be empty and the roots equal
///   ([`VerifyError::RootMismatch`] with `expected = old_root`).
/// - `old_size == 0`: the proof must be empty and `old_root` must be
///   [`empty_root`] ([`VerifyError::OldRootMismatch`]); any tree extends the
///   empty tree, but a size-0 checkpoint with another root is forged.
/// - otherwise the proof must have exactly the RFC 9162 length
///   ([`VerifyError::ProofLength`]) and rebuild both roots.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), VerifyError> {
    let expected = consistency_ranges(old_size, new_size)?.len();
    if proof.len() != expected {
        return Err(VerifyError::ProofLength {
            expected,
            got: proof.len(),
        });
    }
    if old_size == 0 {
        let empty = empty_root();
        if *old_root != empty {
            return Err(VerifyError::OldRootMismatch {
                expected: empty,
                calculated: *old_root,
            });
        }
        return Ok(());
    }
    if old_size == new_size {
        if old_root != new_root {
            return Err(VerifyError::RootMismatch {
                expected: *old_root,
                calculated: *new_root,
            });
        }
        return Ok(());
    }
    let length_error = VerifyError::ProofLength {
        expected,
        got: proof.len(),
    };
    // Step 2: a power-of-two old tree is itself a subtree of the new one, so
    // its root is the implicit first proof element.
    let mut path = proof.iter();
    let first = if old_size.is_power_of_two() {
        old_root
    } else {
        path.next().ok_or(length_error)?
    };
    // Steps 3-4.
    let (mut f_n, mut s_n) = (old_size - 1, new_size - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    // Steps 5-6.
    let (mut f_r, mut s_r) = (*first, *first);
    for c in path {
        if s_n == 0 {
            return Err(length_error);
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = hash_children(c, &f_r);
            s_r = hash_children(c, &s_r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            s_r = hash_children(&s_r, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    // Step 7.
    if s_n != 0 {
        return Err(length_error);
    }
    if f_r != *old_root {
        return Err(VerifyError::OldRootMismatch {
            expected: *old_root,
            calculated: f_r,
        });
    }
    if s_r != *new_root {
        return Err(VerifyError::RootMismatch {
            expected: *new_root,
            calculated: s_r,
        });
    }
    Ok(())
}
