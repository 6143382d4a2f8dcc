//! RFC 6962 / RFC 9162 Merkle tree structure with blake3 as the hash.
//!
//! The tree shape, proof layout and verification algorithms are exactly those
//! of RFC 9162 section 2.1; only the hash function differs, so the proofs
//! interoperate with any RFC 6962 implementation that is parameterised by hash.
//! Leaves are passed around already leaf-hashed ([`hash_leaf`]); in claimlog
//! the leaf data is the 32-byte record hash of each log record.

mod builder;
mod error;
mod hash;
pub mod index;
mod source;
mod streaming;
mod tree;
mod verify;

pub use builder::RootBuilder;
pub use error::{IndexError, ProofError, VerifyError};
pub use hash::{empty_root, hash_children, hash_leaf, Hash};
pub use source::LeafSource;
pub use streaming::InclusionBuilder;
pub use tree::{consistency_proof, inclusion_proof, root, subtree_root};
pub use verify::{verify_consistency, verify_inclusion};
