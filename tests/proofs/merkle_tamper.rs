//! Any change to a valid proof, or to what it is claimed to prove, must be
//! rejected.

use claimlog::merkle::{
    consistency_proof, hash_leaf, inclusion_proof, root, verify_consistency, verify_inclusion,
    Hash, VerifyError,
};
use proptest::prelude::*;

const MAX_SIZE: u64 = 300;

fn leaves(n: u64) -> Vec<Hash> {
    (0..n).map(|i| hash_leaf(&i.to_be_bytes())).collect()
}

fn prefix(all: &[Hash], n: u64) -> &[Hash] {
    &all[..usize::try_from(n).unwrap()]
}

fn leaf_at(all: &[Hash], i: u64) -> Hash {
    all[usize::try_from(i).unwrap()]
}

/// A tree size and a leaf index inside it.
fn size_and_index() -> impl Strategy<Value = (u64, u64)> {
    (1..=MAX_SIZE).prop_flat_map(|n| (Just(n), 0..n))
}

/// An old and a new size with 1 <= old < new, so the proof is non-trivial.
fn size_pair() -> impl Strategy<Value = (u64, u64)> {
    (2..=MAX_SIZE).prop_flat_map(|n| (1..n, Just(n)))
}

fn flip_bit(proof: &mut [Hash], which: prop::sample::Index, bit: u16) {
    let element = which.index(proof.len());
    let byte = usize::from(bit / 8);
    proof[element][byte] ^= 1 << (bit % 8);
}

proptest! {
    #[test]
    fn inclusion_bit_flip_fails(
        (n, m) in size_and_index(), which: prop::sample::Index, bit in 0u16..256
    ) {
        let all = leaves(n);
        let mut proof = inclusion_proof(&all, m, n).unwrap();
        prop_assume!(!proof.is_empty());
        flip_bit(&mut proof, which, bit);
        let result = verify_inclusion(&leaf_at(&all, m), m, n, &proof, &root(&all));
        let root_mismatch = matches!(result, Err(VerifyError::RootMismatch { .. }));
        prop_assert!(root_mismatch, "{:?}", result);
    }

    #[test]
    fn inclusion_wrong_leaf_or_root_fails((n, m) in size_and_index(), bit in 0u16..256) {
        let all = leaves(n);
        let proof = inclusion_proof(&all, m, n).unwrap();
        let mut leaf = leaf_at(&all, m);
        let tree_root = root(&all);
        let mut bad_root = tree_root;
        bad_root[usize::from(bit / 8)] ^= 1 << (bit % 8);
        prop_assert!(verify_inclusion(&leaf, m, n, &proof, &bad_root).is_err());
        leaf[usize::from(bit / 8)] ^= 1 << (bit % 8);
        prop_assert!(verify_inclusion(&leaf, m, n, &proof, &tree_root).is_err());
    }

    #[test]
    fn inclusion_wrong_index_fails((n, m) in size_and_index(), other in 0..MAX_SIZE + 5) {
        prop_assume!(other != m);
        let all = leaves(n);
        let proof = inclusion_proof(&all, m, n).unwrap();
        let result = verify_inclusion(&leaf_at(&all, m), other, n, &proof, &root(&all));
        prop_assert!(result.is_err());
        if other >= n {
            prop_assert_eq!(result, Err(VerifyError::IndexOutOfRange { index: other, size: n }));
        }
    }

    /// The size is bound to the root, not to the proof (a left-edge leaf has
    /// the same proof shape in many sizes), so a wrong size is tested with
    /// the genuine root of that size: what a checkpoint for it would carry.
    #[test]
    fn inclusion_wrong_size_fails((n, m) in size_and_index(), other in 1..=MAX_SIZE) {
        prop_assume!(other != n && m < other);
        let all = leaves(MAX_SIZE);
        let proof = inclusion_proof(&all, m, n).unwrap();
        let other_root = root(prefix(&all, other));
        prop_assert!(verify_inclusion(&leaf_at(&all, m), m, other, &proof, &other_root).is_err());
    }

    #[test]
    fn inclusion_truncated_or_extended_fails(
        (n, m) in size_and_index(), keep: prop::sample::Index, extra: [u8; 32]
    ) {
        let all = leaves(n);
        let proof = inclusion_proof(&all, m, n).unwrap();
        let tree_root = root(&all);
        let leaf = leaf_at(&all, m);
        let expected = proof.len();
        if expected > 0 {
            let got = keep.index(expected);
            let result = verify_inclusion(&leaf, m, n, &proof[..got], &tree_root);
            prop_assert_eq!(result, Err(VerifyError::ProofLength { expected, got }));
        }
        let mut longer = proof.clone();
        longer.push(extra);
        let result = verify_inclusion(&leaf, m, n, &longer, &tree_root);
        prop_assert_eq!(result, Err(VerifyError::ProofLength { expected, got: expected + 1 }));
    }

    #[test]
    fn consistency_bit_flip_fails(
        (m, n) in size_pair(), which: prop::sample::Index, bit in 0u16..256
    ) {
        let all = leaves(n);
        let mut proof = consistency_proof(&all, m, n).unwrap();
        flip_bit(&mut proof, which, bit);
        let result = verify_consistency(m, n, &root(prefix(&all, m)), &root(&all), &proof);
        prop_assert!(result.is_err());
    }

    #[test]
    fn consistency_wrong_roots_fail((m, n) in size_pair(), bit in 0u16..256) {
        let all = leaves(n);
        let proof = consistency_proof(&all, m, n).unwrap();
        let (old_root, new_root) = (root(prefix(&all, m)), root(&all));
        let (mut bad_old, mut bad_new) = (old_root, new_root);
        bad_old[usize::from(bit / 8)] ^= 1 << (bit % 8);
        bad_new[usize::from(bit / 8)] ^= 1 << (bit % 8);
        prop_assert!(verify_consistency(m, n, &bad_old, &new_root, &proof).is_err());
        prop_assert!(verify_consistency(m, n, &old_root, &bad_new, &proof).is_err());
    }

    #[test]
    fn consistency_wrong_sizes_fail(
        (m, n) in size_pair(), other_old in 1..=MAX_SIZE, other_new in 1..=MAX_SIZE
    ) {
        let all = leaves(MAX_SIZE);
        let proof = consistency_proof(&all, m, n).unwrap();
        let root_of = |size| root(prefix(&all, size));
        if other_old != m && other_old <= n {
            let result = verify_consistency(other_old, n, &root_of(other_old), &root_of(n), &proof);
            prop_assert!(result.is_err());
        }
        if other_new != n && m <= other_new {
            let result = verify_consistency(m, other_new, &root_of(m), &root_of(other_new), &proof);
            prop_assert!(result.is_err());
        }
    }

    #[test]
    fn consistency_truncated_or_extended_fails(
        (m, n) in size_pair(), keep: prop::sample::Index, extra: [u8; 32]
    ) {
        let all = leaves(n);
        let proof = consistency_proof(&all, m, n).unwrap();
        let (old_root, new_root) = (root(prefix(&all, m)), root(&all));
        let expected = proof.len();
        let got = keep.index(expected);
        let result = verify_consistency(m, n, &old_root, &new_root, &proof[..got]);
        prop_assert_eq!(result, Err(VerifyError::ProofLength { expected, got }));
        let mut longer = proof.clone();
        longer.push(extra);
        let result = verify_consistency(m, n, &old_root, &new_root, &longer);
        prop_assert_eq!(result, Err(VerifyError::ProofLength { expected, got: expected + 1 }));
    }
}

#[test]
fn consistency_edge_sizes() {
    let all = leaves(8);
    let r8 = root(&all);
    let r4 = root(&all[..4]);
    let empty = root(&[]);
    let junk = [7u8; 32];
    assert_eq!(verify_consistency(0, 8, &empty, &r8, &[]), Ok(()));
    assert_eq!(verify_consistency(0, 0, &empty, &empty, &[]), Ok(()));
    assert_eq!(
        verify_consistency(0, 8, &empty, &r8, &[junk]),
        Err(VerifyError::ProofLength {
            expected: 0,
            got: 1
        })
    );
    assert!(matches!(
        verify_consistency(0, 8, &junk, &r8, &[]),
        Err(VerifyError::OldRootMismatch { .. })
    ));
    assert_eq!(verify_consistency(8, 8, &r8, &r8, &[]), Ok(()));
    assert_eq!(
        verify_consistency(8, 8, &r8, &r8, &[junk]),
        Err(VerifyError::ProofLength {
            expected: 0,
            got: 1
        })
    );
    assert!(matches!(
        verify_consistency(8, 8, &r8, &r4, &[]),
        Err(VerifyError::RootMismatch { .. })
    ));
    assert_eq!(
        verify_consistency(8, 4, &r8, &r4, &[]),
        Err(VerifyError::SizeOrder {
            old_size: 8,
            new_size: 4
        })
    );
    assert_eq!(
        verify_consistency(4, 8, &r4, &r8, &[]),
        Err(VerifyError::ProofLength {
            expected: 1,
            got: 0
        })
    );
}

#[test]
fn inclusion_edge_sizes() {
    let leaf = hash_leaf(b"x");
    assert_eq!(
        verify_inclusion(&leaf, 0, 0, &[], &root(&[])),
        Err(VerifyError::IndexOutOfRange { index: 0, size: 0 })
    );
    assert_eq!(verify_inclusion(&leaf, 0, 1, &[], &leaf), Ok(()));
    assert_eq!(
        verify_inclusion(&leaf, u64::MAX, u64::MAX, &[], &leaf),
        Err(VerifyError::IndexOutOfRange {
            index: u64::MAX,
            size: u64::MAX
        })
    );
    assert_eq!(
        verify_inclusion(&leaf, u64::MAX - 1, u64::MAX, &[], &leaf),
        Err(VerifyError::ProofLength {
            expected: 63,
            got: 0
        })
    );
}
