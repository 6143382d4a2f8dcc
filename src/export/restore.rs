//! Building a store from a snapshot or a JSONL dump, checking every event
//! as it goes; the new store's head and root equal the source's.

use super::check::{check_checkpoint, check_fields, EventChecker, Ledger};
use super::read::{read_jsonl, read_snapshot, ReadEvent, SnapshotHandler};
use super::ExportError;
use crate::checkpoint::Verifier;
use crate::event::{decode_record, Hash32};
use crate::project::Targets;
use crate::store::{Store, StoreOptions};
use std::io::Write;
use std::path::Path;

struct Restore<'a> {
    dir: &'a Path,
    checker: EventChecker,
    store: Option<Store>,
    /// The checked records, length-prefixed, in order: the store is built
    /// from them once the whole input has been read (`build`).
    spool: std::io::BufWriter<std::fs::File>,
    records: u64,
    stated_root: Option<Hash32>,
    /// The snapshot's members other than `events`, checked once restored.
    fields: std::collections::BTreeMap<String, serde_json::Value>,
}

/// The records of a spool, in order (see `Restore::spool`).
fn spooled(
    spool: &mut std::fs::File,
) -> Result<impl Iterator<Item = Result<Vec<u8>, String>> + '_, String> {
    use std::io::{Read, Seek};
    spool.rewind().map_err(|e| format!("spool: {e}"))?;
    let mut r = std::io::BufReader::with_capacity(1 << 16, spool);
    Ok(std::iter::from_fn(move || {
        let mut len = [0u8; 4];
        match r.read_exact(&mut len) {
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return None,
            Err(e) => return Some(Err(format!("spool: {e}"))),
            Ok(()) => {}
        }
        let mut bytes = vec![0u8; u32::from_le_bytes(len) as usize];
        Some(
            r.read_exact(&mut bytes)
                .map(|()| bytes)
                .map_err(|e| format!("spool: {e}")),
        )
    }))
}

impl Restore<'_> {
    /// Builds the store from the spooled records: the genesis, then every
    /// other record as one bulk batch (Store::bulk_batch), whose cache
    /// entries reach sled sorted, once. A first read of the spool names
    /// the claims the records end, which the batch keeps readable.
    fn build(&mut self) -> Result<(), String> {
        self.spool.flush().map_err(|e| format!("spool: {e}"))?;
        let mut spool = self
            .spool
            .get_ref()
            .try_clone()
            .map_err(|e| format!("spool: {e}"))?;
        let mut genesis = None;
        let mut ended = Targets::default();
        for bytes in spooled(&mut spool)? {
            let bytes = bytes?;
            if genesis.is_none() {
                genesis = Some(bytes);
                continue;
            }
            // Checked already, as it was read (EventChecker::check).
            ended.note(&decode_record(&bytes).map_err(|e| e.to_string())?);
        }
        let Some(genesis) = genesis else {
            return Ok(());
        };
        let store = self.store.insert(
            Store::create_restored(self.dir, genesis, StoreOptions::whole())
                .map_err(|e| e.to_string())?,
        );
        if self.records < 2 {
            return Ok(());
        }
        let mut b = store.bulk_batch(ended).map_err(|e| e.to_string())?;
        for bytes in spooled(&mut spool)?.skip(1) {
            b.push_encoded(bytes?).map_err(|e| e.to_string())?;
        }
        b.commit().map_err(|e| e.to_string())?;
        Ok(())
    }
}

impl SnapshotHandler for Restore<'_> {
    fn field(&mut self, name: &str, value: serde_json::Value) -> Result<(), String> {
        if name == "root" {
            let root = value.as_str().and_then(Hash32::from_hex);
            self.stated_root = Some(root.ok_or("root: not a hex hash")?);
        }
        self.fields.insert(name.to_string(), value);
        Ok(())
    }
    fn event(&mut self, e: ReadEvent) -> Result<(), String> {
        let bytes = self.checker.check(&e)?.bytes;
        let len = u32::try_from(bytes.len()).map_err(|_| "a record of 4 GiB or more")?;
        self.spool
            .write_all(&len.to_le_bytes())
            .and_then(|()| self.spool.write_all(&bytes))
            .map_err(|e| format!("spool: {e}"))?;
        self.records += 1;
        Ok(())
    }
}

/// Restores `input` (a snapshot, or a JSONL dump when `jsonl`) into a new
/// store at `dir`. On failure the partly built store is removed.
pub fn restore(dir: &Path, input: impl std::io::Read, jsonl: bool) -> Result<Store, ExportError> {
    restore_pinned(dir, input, jsonl, None)
}

/// A checkpoint the restored log must match: its text (a bare body or a
/// signed note) and the keys, one of which must have signed it (none: the
/// signature is not checked).
pub struct Pin<'a> {
    pub checkpoint: &'a str,
    pub verifiers: &'a [Verifier],
}

/// `restore`, and then the restored log's origin, size and Merkle root must
/// be those of `pin`: what catches a JSONL dump cut short at a line
/// boundary, which carries no root of its own.
pub fn restore_pinned(
    dir: &Path,
    input: impl std::io::Read,
    jsonl: bool,
    pin: Option<Pin<'_>>,
) -> Result<Store, ExportError> {
    if dir.join("log").exists() {
        return Err(ExportError::Invalid(format!(
            "{} already holds a store",
            dir.display()
        )));
    }
    // On failure, remove only what restore made: the directory if it did
    // not exist, else the store parts it added (never the user's files).
    let made: Vec<std::path::PathBuf> = if dir.exists() {
        ["log", "cache", "LOCK"]
            .iter()
            .map(|p| dir.join(p))
            .filter(|p| !p.exists())
            .collect()
    } else {
        vec![dir.to_path_buf()]
    };
    // The spool sits beside the new store (it is about the size of its
    // log), or in the temporary directory if that cannot be.
    let beside = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let spool = tempfile::tempfile_in(beside)
        .or_else(|_| tempfile::tempfile())
        .map_err(|e| ExportError::Invalid(format!("a spool file for the records: {e}")))?;
    let mut r = Restore {
        dir,
        checker: EventChecker::new(),
        store: None,
        spool: std::io::BufWriter::with_capacity(1 << 16, spool),
        records: 0,
        stated_root: None,
        fields: Default::default(),
    };
    let res = if jsonl {
        read_jsonl(input, &mut r)
    } else {
        read_snapshot(input, &mut r)
    }
    .and_then(|()| r.build())
    .and_then(|()| {
        let root = Hash32(r.checker.builder.root());
        match r.stated_root {
            Some(s) if s != root => {
                Err("the restored events' Merkle root differs from the snapshot's root".into())
            }
            _ if r.store.is_none() => Err("the input holds no events".into()),
            None if !jsonl => Err("the snapshot has no root to check the events against".into()),
            _ => Ok(()),
        }
    })
    .and_then(|()| match &pin {
        Some(p) => {
            let origin = r.checker.origin.clone().unwrap_or_default();
            let root = Hash32(r.checker.builder.root());
            check_checkpoint(
                p.checkpoint,
                &origin,
                r.checker.next_seq,
                &root,
                p.verifiers,
            )
            .map(|_| ())
            .map_err(|e| format!("the restored log does not match the checkpoint: {e}"))
        }
        None => Ok(()),
    })
    .and_then(|()| {
        if jsonl {
            return Ok(());
        }
        // Head, size, checkpoint (not its signature: `verify-snapshot
        // --pubkey` does that), sources and totals must all hold for the
        // restored store.
        let store = r.store.as_ref().expect("checked");
        check_fields(
            &r.fields,
            &r.checker,
            Ledger::Cache(store.cache()),
            &[],
            &mut Default::default(),
            None,
        )
    });
    match res {
        Ok(()) => {
            let store = r.store.take().expect("checked");
            store.flush()?;
            Ok(store)
        }
        Err(e) => {
            drop(r.store.take());
            for p in &made {
                let _ = if p.is_dir() {
                    std::fs::remove_dir_all(p)
                } else {
                    std::fs::remove_file(p)
                };
            }
            Err(ExportError::Invalid(e))
        }
    }
}
