//! A bulk load's external sort, run on its own thread.
//!
//! Sorting each run and writing it to disk was a fifth of a bulk import's
//! second pass on the fold's thread (perf, 1M lines), while the thread
//! parsing the input ahead of it waited. The fold's thread now copies its
//! entries into a batch buffer and hands batches over; the sort thread
//! makes the entries from the buffer, so that every entry is allocated and
//! freed by one thread (a free on another thread costs more: glibc's took
//! the owning arena's lock; the binary now runs on mimalloc,
//! src/allocator.rs, which queues it for the owner).

use extsort::{ExternalSorter, PushExternalSorter, Sortable};
use std::cmp::Ordering;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

/// One cache write on its way through the sort.
pub(crate) struct Entry {
    pub(crate) key: Vec<u8>,
    pub(crate) val: Vec<u8>,
}

fn write_bytes<W: Write>(w: &mut W, b: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(b.len()).map_err(std::io::Error::other)?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(b)
}

fn read_bytes<R: Read>(r: &mut R) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len)?;
    let mut b = vec![0u8; u32::from_le_bytes(len) as usize];
    r.read_exact(&mut b)?;
    Ok(b)
}

impl Sortable for Entry {
    fn encode<W: Write>(&self, w: &mut W) -> std::io::Result<()> {
        write_bytes(w, &self.key)?;
        write_bytes(w, &self.val)
    }

    fn decode<R: Read>(r: &mut R) -> std::io::Result<Self> {
        Ok(Entry {
            key: read_bytes(r)?,
            val: read_bytes(r)?,
        })
    }
}

pub(crate) type ByKey = fn(&Entry, &Entry) -> Ordering;

fn by_key(a: &Entry, b: &Entry) -> Ordering {
    a.key.cmp(&b.key)
}

/// A sort's entries in key order: extsort's merge, without the marker
/// `Sorter::done` may have added, and an error in place of the end if
/// fewer came back than were pushed.
pub(crate) struct SortedEntries {
    merged: extsort::SortedIterator<Entry, ByKey>,
    marker: bool,
    expected: u64,
    yielded: u64,
    checked: bool,
    /// The runs' directory, if the sort was given one to keep: it goes
    /// when the entries do, after the merge's open files.
    _runs: Option<tempfile::TempDir>,
}

impl Iterator for SortedEntries {
    type Item = std::io::Result<Entry>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.merged.next() {
                // The marker has the empty key, which sorts first.
                Some(Ok(e)) if self.marker && e.key.is_empty() && e.val.is_empty() => {
                    self.marker = false;
                }
                Some(e) => {
                    self.yielded += 1;
                    return Some(e);
                }
                None if !self.checked => {
                    self.checked = true;
                    return (self.yielded != self.expected || self.marker).then(|| {
                        Err(std::io::Error::other(format!(
                            "the sort gave back {} of the {} entries given to it",
                            self.yielded, self.expected
                        )))
                    });
                }
                None => return None,
            }
        }
    }
}

/// Entries held in memory per sorted run: about 8 MB of claims. extsort
/// keeps every run open until the merge, so a sort holds one open file
/// per RUN_ENTRIES entries (80 for a 1M-claim bulk load; the binary
/// raises its soft limit on open files to the hard one, src/main.rs).
/// Import of 1M claims: 136 MB peak with runs of 100 000, 126 MB with
/// 25 000, in the same time. Debug builds (the tests) use small runs, so
/// that every rebuild or listing in the tests merges runs from disk as a
/// large one does.
pub(crate) const RUN_ENTRIES: usize = if cfg!(debug_assertions) { 64 } else { 25_000 };

/// Bytes of entries per batch handed to the sort thread. Small in debug
/// builds, as bulk.rs's runs are, so that tests reach the sort thread
/// (and its failures) with a few hundred claims.
const BATCH_BYTES: usize = if cfg!(debug_assertions) {
    1 << 12
} else {
    1 << 20
};

type Done = std::io::Result<PushExternalSorter<Entry, ByKey>>;

/// The sort's thread and the batch being filled for it.
pub(crate) struct Sorter {
    batch: Vec<u8>,
    to_sort: Option<SyncSender<Vec<u8>>>,
    thread: Option<JoinHandle<Done>>,
    run_entries: usize,
    /// Entries pushed: what the sorted stream must give back.
    pushed: u64,
    /// The runs' directory, kept until the sorted entries are dropped.
    runs: Option<tempfile::TempDir>,
}

impl Sorter {
    /// Starts a sort of runs of `run_entries` entries, written in `dir`
    /// (or in a temporary directory of extsort's own).
    pub(crate) fn start(run_entries: usize, dir: Option<PathBuf>) -> std::io::Result<Sorter> {
        let mut options = ExternalSorter::new().with_segment_size(run_entries);
        if let Some(dir) = dir {
            options = options.with_sort_dir(dir);
        }
        let mut sorter = options.pushed_by(by_key as ByKey);
        // Two batches queued at most: memory stays bounded when the sort
        // falls behind.
        let (to_sort, batches) = sync_channel::<Vec<u8>>(2);
        let thread = std::thread::Builder::new()
            .name("claimlog-sort".into())
            .spawn(move || -> Done {
                for batch in batches {
                    let mut r = &batch[..];
                    while !r.is_empty() {
                        sorter.push(Entry::decode(&mut r)?)?;
                    }
                }
                Ok(sorter)
            })?;
        Ok(Sorter {
            batch: Vec::with_capacity(BATCH_BYTES),
            to_sort: Some(to_sort),
            thread: Some(thread),
            run_entries,
            pushed: 0,
            runs: None,
        })
    }

    /// A sort in runs of RUN_ENTRIES, written in `runs` (or, with none, in
    /// a temporary directory of extsort's own), which it keeps until its
    /// sorted entries are dropped.
    pub(crate) fn start_in(runs: Option<tempfile::TempDir>) -> std::io::Result<Sorter> {
        let mut sorter = Sorter::start(RUN_ENTRIES, runs.as_ref().map(|r| r.path().to_path_buf()))?;
        sorter.runs = runs;
        Ok(sorter)
    }

    /// Adds an entry to the sort. Errors of the sort thread come out here
    /// (once it has stopped) or from `done`.
    pub(crate) fn push(&mut self, key: &[u8], val: &[u8]) -> std::io::Result<()> {
        self.pushed += 1;
        write_bytes(&mut self.batch, key)?;
        write_bytes(&mut self.batch, val)?;
        if self.batch.len() >= BATCH_BYTES {
            self.hand_over()?;
        }
        Ok(())
    }

    fn hand_over(&mut self) -> std::io::Result<()> {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_BYTES));
        let sent = match &self.to_sort {
            Some(tx) => tx.send(batch).is_ok(),
            None => false,
        };
        if sent {
            Ok(())
        } else {
            // The thread stopped: its error says why.
            Err(self
                .join()
                .err()
                .unwrap_or_else(|| std::io::Error::other("the sort thread stopped taking entries")))
        }
    }

    fn join(&mut self) -> Done {
        self.to_sort = None;
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the sort thread panicked"))),
            None => Err(std::io::Error::other("the sort has already ended")),
        }
    }

    /// Waits for every entry to be sorted; the entries in key order.
    pub(crate) fn done(mut self) -> std::io::Result<SortedEntries> {
        // extsort 0.5.0 writes a run once it holds `run_entries + 1`
        // entries, and when the last push filled one, its `done` finds an
        // empty buffer beside runs on disk and merges the empty buffer
        // alone (push.rs): every entry is lost. One more entry, with the
        // empty key, which sorts first, keeps the buffer from being
        // empty; `SortedEntries` leaves it out. (Found twice: by the memo
        // property test, a rebuild of 65 entries leaving a cache of its
        // checkpoint alone, and by a `claims` listing of 260 claims that
        // listed none.)
        let expected = self.pushed;
        let marker = expected.is_multiple_of(self.run_entries as u64 + 1);
        if marker {
            write_bytes(&mut self.batch, &[])?;
            write_bytes(&mut self.batch, &[])?;
        }
        if !self.batch.is_empty() {
            self.hand_over()?;
        }
        Ok(SortedEntries {
            merged: self.join()?.done()?,
            marker,
            expected,
            yielded: 0,
            checked: false,
            _runs: self.runs.take(),
        })
    }
}

impl Drop for Sorter {
    /// An abandoned sort ends its thread before its runs' directory goes.
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u32) -> Vec<u8> {
        // Pushed out of order: a permutation of 0..10_007 (a prime).
        ((u64::from(i) * 7919 % 10_007) as u32)
            .to_be_bytes()
            .to_vec()
    }

    #[test]
    fn entries_come_back_in_key_order_across_runs_and_batches() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Sorter::start(300, Some(dir.path().to_path_buf())).unwrap();
        // About 20 MB: several batches handed over, many runs.
        let val = vec![7u8; 2000];
        for i in 0..10_007u32 {
            s.push(&key(i), &val).unwrap();
        }
        let keys: Vec<Vec<u8>> = s.done().unwrap().map(|e| e.unwrap().key).collect();
        let want: Vec<Vec<u8>> = (0..10_007u32).map(|i| i.to_be_bytes().to_vec()).collect();
        assert_eq!(keys, want);
    }

    /// extsort 0.5.0 loses every entry when the last push fills a run;
    /// the marker `done` adds keeps them, and is not given back.
    #[test]
    fn a_sort_whose_last_push_fills_a_run_gives_back_every_entry() {
        for n in [0u32, 1, 11, 22, 33, 34] {
            let dir = tempfile::tempdir().unwrap();
            // Runs of 10: extsort writes one at 11 entries.
            let mut s = Sorter::start(10, Some(dir.path().to_path_buf())).unwrap();
            for i in (0..n).rev() {
                s.push(&(i + 1).to_be_bytes(), b"v").unwrap();
            }
            let keys: Vec<Vec<u8>> = s.done().unwrap().map(|e| e.unwrap().key).collect();
            let want: Vec<Vec<u8>> = (1..=n).map(|i| i.to_be_bytes().to_vec()).collect();
            assert_eq!(keys, want, "{n} entries");
        }
    }

    #[test]
    fn a_sort_that_cannot_write_its_runs_fails_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone");
        let mut s = Sorter::start(10, Some(gone)).unwrap();
        let val = vec![1u8; 100];
        let mut failed = None;
        for i in 0..20_000u32 {
            if let Err(e) = s.push(&key(i), &val) {
                failed = Some(e);
                break;
            }
        }
        let err = match failed {
            Some(e) => e,
            None => s.done().err().expect("the sort had nowhere to write"),
        };
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound, "{err}");
    }

    #[test]
    fn an_abandoned_sort_ends_its_thread_before_it_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Sorter::start(10, Some(dir.path().to_path_buf())).unwrap();
        for i in 0..5000u32 {
            s.push(&key(i), &[0u8; 300]).unwrap();
        }
        // Two batches were still queued: without the join in `drop`, the
        // thread would go on writing runs after it.
        drop(s);
        let before: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        std::thread::sleep(std::time::Duration::from_millis(50));
        let after: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(before.len(), after.len());
    }
}
