//! One process at a time: an exclusive advisory lock on `STORE/LOCK`.

use super::StoreError;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

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
    match file.try_lock() {
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
