//! The cache's witness: a small file beside the sled tree holding the
//! checkpoint and event counts as of the cache's last clean flush. `verify`
//! compares the log with it, so that a log cut short or rewritten behind
//! the cache's back is still caught, without opening sled (which at a
//! million claims costs more time and memory than reading the whole log).
//! `verify --deep` still compares the tree itself.
//!
//! Like the cache, it is derived state: deleted with the cache, rewritten
//! at every clean flush, ignored if unreadable or of another version.

use super::entries::{Checkpoint, CACHE_VERSION};
use super::fold::enc;
use bincode::{Decode, Encode};
use std::path::Path;

pub const FILE: &str = "witness";

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Witness {
    pub cache_version: u32,
    pub checkpoint: Checkpoint,
    pub counts: Vec<(String, u64)>,
}

/// Writes the witness into `cache_dir` (write a temporary file, rename).
pub fn write(cache_dir: &Path, checkpoint: Checkpoint, counts: Vec<(String, u64)>) {
    let w = Witness {
        cache_version: CACHE_VERSION,
        checkpoint,
        counts,
    };
    let tmp = cache_dir.join(format!("{FILE}.tmp"));
    let res =
        std::fs::write(&tmp, enc(&w)).and_then(|()| std::fs::rename(&tmp, cache_dir.join(FILE)));
    if let Err(e) = res {
        // Only verify's shortcut is lost: it opens the tree instead.
        tracing::warn!(
            "cannot write the cache witness in {}: {e}",
            cache_dir.display()
        );
        remove(cache_dir);
    }
}

pub fn remove(cache_dir: &Path) {
    let _ = std::fs::remove_file(cache_dir.join(FILE));
}

/// The witness in `cache_dir`, if there is a readable one of this version.
pub fn read(cache_dir: &Path) -> Option<Witness> {
    let bytes = std::fs::read(cache_dir.join(FILE)).ok()?;
    let (w, used): (Witness, usize) =
        bincode::decode_from_slice(&bytes, bincode::config::standard()).ok()?;
    (used == bytes.len() && w.cache_version == CACHE_VERSION).then_some(w)
}
