//! Merkle proofs and signed checkpoints: one test binary, a module per area.

mod checkpoint_body;
mod checkpoint_keys;
mod checkpoint_note;
mod checkpoint_vector;
mod merkle_exhaustive;
mod merkle_naive;
mod merkle_tamper;
mod merkle_vectors;
mod no_panic;
