//! Verification code must return errors, never panic, whatever it is fed.

use claimlog::checkpoint::{open_note, Checkpoint, Signer, Verifier};
use claimlog::merkle::{verify_consistency, verify_inclusion};
use proptest::prelude::*;

proptest! {
    #[test]
    fn verify_inclusion_any_input(
        leaf: [u8; 32], index: u64, size: u64,
        proof in prop::collection::vec(any::<[u8; 32]>(), 0..70), root: [u8; 32]
    ) {
        let _ = verify_inclusion(&leaf, index, size, &proof, &root);
        let _ = verify_inclusion(&leaf, index % size.max(1), size, &proof, &root);
    }

    #[test]
    fn verify_consistency_any_input(
        old_size: u64, new_size: u64, old_root: [u8; 32], new_root: [u8; 32],
        proof in prop::collection::vec(any::<[u8; 32]>(), 0..130)
    ) {
        let _ = verify_consistency(old_size, new_size, &old_root, &new_root, &proof);
        let (small, big) = (old_size.min(new_size), old_size.max(new_size));
        let _ = verify_consistency(small, big, &old_root, &new_root, &proof);
    }

    #[test]
    fn open_note_any_input(bytes in prop::collection::vec(any::<u8>(), 0..400), text in ".{0,200}") {
        let known = [Signer::generate_from_seed([1; 32], "k").unwrap().verifier()];
        let _ = open_note(&bytes, &known);
        let _ = open_note(text.as_bytes(), &known);
        let _ = open_note(format!("{text}\n\n\u{2014} k {text}\n").as_bytes(), &known);
        let _ = Checkpoint::parse_body(&text);
        let _ = Verifier::from_verifier_key_string(&text);
        let _ = Signer::from_private_key_string(&text);
    }
}
