//! One process at a time: an exclusive advisory lock on `STORE/LOCK`.

use super::StoreError;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// How long to retry a busy lock before reporting the store in use.
const LOCK_WAIT_MS: u64 = 1000;

pub struct StoreLock {
    _file: File,
}

pub fn acquire(dir: &Path) -> Result<StoreLock, StoreError> {
    let path = dir.join("LOCK");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| StoreError::io(&path, e))?;
    // A lock that was just released can still be held for a moment by a
    // process forked in between (it holds a copy of the descriptor until it
    // execs): retry briefly before calling the store busy. Bounded, so a
    // second process still gets its error within a second, never a hang.
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(LOCK_WAIT_MS);
    let mut attempt = file.try_lock();
    while matches!(attempt, Err(std::fs::TryLockError::WouldBlock))
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
        attempt = file.try_lock();
    }
    match attempt {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(StoreError::Locked {
                store: dir.to_path_buf(),
                holder: if holder.is_empty() {
                    "another process".into()
                } else {
                    format!("process {holder}")
                },
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(StoreError::io(&path, e)),
    }
    // Who holds it, for the message the next process gets. Best effort.
    let _ = file.set_len(0);
    let _ = file.seek(SeekFrom::Start(0));
    let _ = write!(file, "{}", std::process::id());
    Ok(StoreLock { _file: file })
}
