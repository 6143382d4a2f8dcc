//! Opening a signed checkpoint in one step, including the origin check the
//! tlog-checkpoint spec requires of clients.

use crate::checkpoint::{open_note, Checkpoint, OpenCheckpointError, Verifier};

/// Verifies `note` against `known` keys, parses its text as a checkpoint
/// and checks it is for `expected_origin`, so a valid checkpoint of some
/// other log signed by a shared key is not taken for this log's.
/// Returns the checkpoint and the names of the keys that verified it.
pub fn open_checkpoint(
    note: &[u8],
    expected_origin: &str,
    known: &[Verifier],
) -> Result<(Checkpoint, Vec<String>), OpenCheckpointError> {
    let (text, verified_by) = open_note(note, known)?;
    let checkpoint = Checkpoint::parse_body(&text)?;
    if checkpoint.origin() != expected_origin {
        return Err(OpenCheckpointError::OriginMismatch {
            expected: expected_origin.to_owned(),
            got: checkpoint.origin().to_owned(),
        });
    }
    Ok((checkpoint, verified_by))
}
