//! C2SP tlog-checkpoint bodies inside C2SP signed notes, signed with Ed25519.
//!
//! Specs: <https://c2sp.org/tlog-checkpoint> and <https://c2sp.org/signed-note>.
//! Keys use the string formats of Go's `golang.org/x/mod/sumdb/note`, so keys
//! and notes interoperate with the Go tooling. Nothing here draws randomness:
//! key generation takes a caller-supplied seed.

mod body;
mod error;
mod keys;
mod note;
mod open;

pub use body::Checkpoint;
pub use error::{CheckpointError, KeyError, NoteError, OpenCheckpointError};
pub use keys::{key_id, Signer, Verifier};
pub use note::{open_note, sign_note, MAX_NOTE_BYTES, MAX_SIGNATURES};
pub use open::open_checkpoint;
