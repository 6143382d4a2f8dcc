//! Typed failures of checkpoint parsing, key handling and note opening.
//!
//! Errors never echo attacker-sized input back (notes may be up to 1 MiB);
//! they name the position instead.

use thiserror::Error;

/// A checkpoint body that is not a well-formed C2SP tlog-checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CheckpointError {
    #[error("origin must be non-empty and contain no whitespace, '+' or control characters")]
    InvalidOrigin,
    #[error("checkpoint body must end with a newline")]
    NotNewlineTerminated,
    #[error("checkpoint body has {got} lines, needs at least 3")]
    MissingLines { got: usize },
    #[error("line {line} of the checkpoint body is empty")]
    EmptyLine { line: usize },
    #[error("line {line} of the checkpoint body contains a control character")]
    ControlCharacter { line: usize },
    #[error("tree size must be decimal digits without leading zeros and fit in 64 bits")]
    InvalidSize,
    #[error("root hash must be the canonical padded base64 of 32 bytes")]
    InvalidRoot,
}

/// A key name or key string that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    #[error("key name must be non-empty and contain no whitespace, '+' or control characters")]
    InvalidName,
    #[error("key string is not of the form [PRIVATE+KEY+]<name>+<8 hex id>+<base64 key>")]
    MalformedKeyString,
    #[error("unsupported signature algorithm {alg:#04x} (only Ed25519, 0x01)")]
    UnsupportedAlgorithm { alg: u8 },
    #[error("Ed25519 key must be 32 bytes, got {got}")]
    KeyLength { got: usize },
    #[error("public key is not a usable Ed25519 point")]
    InvalidPublicKey,
    #[error("key id {stated:08x} does not match the key, which has id {computed:08x}")]
    KeyIdMismatch { stated: u32, computed: u32 },
}

/// Why a note was not signed or not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NoteError {
    #[error("note is {size} bytes, more than the {max} allowed")]
    TooLarge { size: usize, max: usize },
    #[error("note is not valid UTF-8")]
    NotUtf8,
    #[error("note contains a control character at byte {offset}")]
    ControlCharacter { offset: usize },
    #[error("note text is empty")]
    EmptyText,
    #[error("note text or signature block does not end with a newline")]
    NotNewlineTerminated,
    #[error("note has no blank line between its text and signatures")]
    MissingSeparator,
    #[error("note has no signature lines")]
    MissingSignatures,
    #[error("signature line {line} is malformed")]
    MalformedSignatureLine { line: usize },
    #[error("note has more than {max} signatures")]
    TooManySignatures { max: usize },
    #[error("signature by known key {name} ({key_id:08x}) does not verify")]
    InvalidSignature { name: String, key_id: u32 },
    #[error("note has no valid signature from any known key")]
    NoKnownSignature,
    #[error("no signers given")]
    NoSigners,
}

/// Why a signed checkpoint was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OpenCheckpointError {
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error(transparent)]
    Body(#[from] CheckpointError),
    #[error("checkpoint is for origin {got:?}, expected {expected:?}")]
    OriginMismatch { expected: String, got: String },
}
