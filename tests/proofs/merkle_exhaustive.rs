//! The fast prover and verifier against the naive RFC reference: every
//! leaf of every tree up to 300 leaves, every consistency pair up to 130,
//! and random pairs beyond.

use crate::merkle_naive;

use claimlog::merkle::{
    consistency_proof, hash_leaf, inclusion_proof, root, verify_consistency, verify_inclusion,
    Hash, InclusionBuilder, RootBuilder,
};
use proptest::prelude::*;

const MAX_INCLUSION_SIZE: usize = 300;
const MAX_EXHAUSTIVE_CONSISTENCY_SIZE: usize = 130;

fn leaves(n: usize) -> Vec<Hash> {
    (0..n)
        .map(|i| hash_leaf(&u64::try_from(i).unwrap().to_be_bytes()))
        .collect()
}

fn size(n: usize) -> u64 {
    u64::try_from(n).unwrap()
}

#[test]
fn leaf_and_root_hashing_matches_naive() {
    let all = leaves(MAX_INCLUSION_SIZE);
    assert_eq!(all[7], merkle_naive::leaf(&7u64.to_be_bytes()));
    let mut builder = RootBuilder::new();
    assert_eq!(builder.root(), merkle_naive::mth(&[]));
    for n in 1..=MAX_INCLUSION_SIZE {
        builder.push(all[n - 1]);
        let expected = merkle_naive::mth(&all[..n]);
        assert_eq!(root(&all[..n]), expected, "size {n}");
        assert_eq!(builder.root(), expected, "streamed size {n}");
        assert_eq!(builder.size(), size(n));
    }
}

#[test]
fn every_inclusion_proof_up_to_300_matches_naive_and_verifies() {
    let all = leaves(MAX_INCLUSION_SIZE);
    for n in 1..=MAX_INCLUSION_SIZE {
        let tree = &all[..n];
        let tree_root = merkle_naive::mth(tree);
        for m in 0..n {
            let proof = inclusion_proof(tree, size(m), size(n)).unwrap();
            assert_eq!(proof, merkle_naive::path(m, tree), "leaf {m} of {n}");
            verify_inclusion(&tree[m], size(m), size(n), &proof, &tree_root)
                .unwrap_or_else(|e| panic!("leaf {m} of {n}: {e}"));
        }
    }
}

fn check_consistency(all: &[Hash], m: usize, n: usize) {
    let proof = consistency_proof(all, size(m), size(n)).unwrap();
    assert_eq!(proof, merkle_naive::proof(m, &all[..n]), "{m} -> {n}");
    let (old_root, new_root) = (merkle_naive::mth(&all[..m]), merkle_naive::mth(&all[..n]));
    verify_consistency(size(m), size(n), &old_root, &new_root, &proof)
        .unwrap_or_else(|e| panic!("{m} -> {n}: {e}"));
}

#[test]
fn every_consistency_proof_up_to_130_matches_naive_and_verifies() {
    let all = leaves(MAX_EXHAUSTIVE_CONSISTENCY_SIZE);
    for n in 1..=MAX_EXHAUSTIVE_CONSISTENCY_SIZE {
        for m in 1..=n {
            check_consistency(&all, m, n);
        }
    }
}

proptest! {
    #[test]
    fn random_consistency_proofs_up_to_300_match_naive(
        (m, n) in (1..=MAX_INCLUSION_SIZE).prop_flat_map(|n| (1..=n, Just(n)))
    ) {
        check_consistency(&leaves(n), m, n);
    }
}

#[test]
fn streamed_inclusion_proofs_and_roots_match_naive_for_every_leaf() {
    let all = leaves(MAX_INCLUSION_SIZE);
    for n in 1..=MAX_INCLUSION_SIZE {
        for m in 0..n {
            let mut b = InclusionBuilder::new(size(m), size(n)).unwrap();
            all[..n].iter().for_each(|l| b.push(*l));
            let (proof, r) = b.finish().unwrap();
            assert_eq!(proof, merkle_naive::path(m, &all[..n]), "leaf {m} of {n}");
            assert_eq!(r, merkle_naive::mth(&all[..n]), "root of {n}");
        }
    }
}

#[test]
fn a_streamed_proof_fails_when_the_leaves_are_too_few_or_too_many() {
    let all = leaves(9);
    for pushed in [7, 9] {
        let mut b = InclusionBuilder::new(3, 8).unwrap();
        all[..pushed].iter().for_each(|l| b.push(*l));
        assert!(b.finish().is_err(), "{pushed} leaves for a tree of 8");
    }
    assert!(InclusionBuilder::new(8, 8).is_err());
}
