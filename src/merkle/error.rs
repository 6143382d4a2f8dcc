//! Typed failures of the tree functions, one enum per caller-facing role.

use thiserror::Error;

use crate::merkle::Hash;

/// A request for proof ranges that names no valid tree position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum IndexError {
    /// The leaf index is not inside a tree of `size` leaves (`index >= size`).
    #[error("leaf index {index} is out of range for a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    /// A consistency proof was asked to go from a bigger tree to a smaller one.
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    SizeOrder { old_size: u64, new_size: u64 },
}

/// Why a proof could not be produced from a leaf source.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProofError {
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The requested range ends past the leaves the source holds.
    #[error("range {start}..{end} needs leaves beyond the {available} available")]
    RangeOutOfBounds {
        start: u64,
        end: u64,
        available: u64,
    },
    /// The source claimed to hold a leaf but could not produce it.
    #[error("leaf {index} is unavailable from the leaf source")]
    LeafUnavailable { index: u64 },
}

/// Why a proof did not verify. Every variant means "reject".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum VerifyError {
    #[error("leaf index {index} is out of range for a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    SizeOrder { old_size: u64, new_size: u64 },
    /// The proof has the wrong number of hashes for the claimed sizes.
    #[error("proof has {got} hashes, expected {expected}")]
    ProofLength { expected: usize, got: usize },
    /// The root rebuilt from the proof is not the claimed (new) root.
    #[error(
        "root mismatch: expected {}, calculated {}",
        hex::encode(expected),
        hex::encode(calculated)
    )]
    RootMismatch { expected: Hash, calculated: Hash },
    /// The old root rebuilt from a consistency proof is not the claimed old root.
    #[error(
        "old root mismatch: expected {}, calculated {}",
        hex::encode(expected),
        hex::encode(calculated)
    )]
    OldRootMismatch { expected: Hash, calculated: Hash },
}

impl From<IndexError> for VerifyError {
    fn from(err: IndexError) -> Self {
        match err {
            IndexError::IndexOutOfRange { index, size } => Self::IndexOutOfRange { index, size },
            IndexError::SizeOrder { old_size, new_size } => Self::SizeOrder { old_size, new_size },
        }
    }
}
