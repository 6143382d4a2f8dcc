//! `verify`'s second thread: it reads the log and checks each frame's
//! hash against the stored hash of the frame before. The first thread
//! checks the records (and keeps the report); when it falls behind, so
//! that the chunks this thread has read fill the channel, this thread
//! checks records of the chunk it holds while it waits for room. Frames
//! reach the first thread in order with what was found, so the report is
//! built exactly as a single pass would build it (docs/PERFORMANCE.md,
//! verify).

use super::check_frame_kind;
use crate::chain::record_hash;
use crate::event::Hash32;
use crate::log::{LogError, Position, Scanner};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;

const CHUNK: usize = 1024;
/// Chunks read ahead of the first thread, at most.
const AHEAD: usize = 4;
/// Records this thread checks between two tries to hand its chunk over:
/// few enough that the first thread never waits long for it, many enough
/// that the tries cost nothing beside the checks.
const SHARE: usize = 16;

pub(crate) struct Item {
    pub pos: Position,
    pub stored_hash: Hash32,
    pub more: bool,
    /// For the first frame read of a segment: the first seq its header
    /// declares (`None` if it declares none).
    pub declared: Option<Option<u64>>,
    pub body: Body,
    /// Where the record's bytes are in its chunk's buffer.
    bytes: std::ops::Range<usize>,
}

pub(crate) enum Body {
    /// Its hash holds and it decodes and links: a record of this kind.
    Valid(&'static str),
    /// For the first thread: to decode, or to name what is wrong with it.
    Frame {
        /// H(stored hash of the frame before || bytes) == the stored hash.
        hash_ok: bool,
    },
}

/// Up to CHUNK frames and their record bytes, back to back in one buffer:
/// one allocation, freed by the first thread, instead of one per frame
/// (freeing memory another thread allocated takes glibc's arena lock; per
/// frame, that contention cost verify about a tenth of its time).
struct Chunk {
    bytes: Vec<u8>,
    items: Vec<Item>,
    /// The seq of its first frame, and the stored hash of the frame
    /// before it: what checking the first record needs.
    first_seq: u64,
    prev: Hash32,
}

impl Chunk {
    fn new(first_seq: u64, prev: Hash32) -> Self {
        Chunk {
            bytes: Vec::with_capacity(CHUNK * 512),
            items: Vec::with_capacity(CHUNK),
            first_seq,
            prev,
        }
    }

    /// Checks the record of item `i` (whose hash held) here, so that the
    /// first thread need not.
    fn check(&mut self, i: usize) {
        let item = &self.items[i];
        if !matches!(item.body, Body::Frame { hash_ok: true }) {
            return;
        }
        let prev = match i {
            0 => self.prev,
            _ => self.items[i - 1].stored_hash,
        };
        let seq = self.first_seq + i as u64;
        if let Ok(kind) = check_frame_kind(&self.bytes[item.bytes.clone()], seq, &prev) {
            self.items[i].body = Body::Valid(kind);
        }
    }
}

type Sent = Result<Chunk, LogError>;

pub(crate) struct ReadAhead {
    rx: Option<Receiver<Sent>>,
    chunk: Chunk,
    /// The next item of `chunk` to hand out.
    at: usize,
    thread: Option<JoinHandle<Scanner>>,
    /// Records the reading thread has checked so far.
    checked: Arc<AtomicU64>,
}

fn read(mut scanner: Scanner, share: Arc<AtomicU64>, tx: SyncSender<Sent>) -> Scanner {
    let mut prev = Hash32::ZERO;
    let mut seq = 0u64;
    let mut last_segment = None;
    let mut chunk = Chunk::new(seq, prev);
    loop {
        let start = chunk.bytes.len();
        let frame = match scanner.next_frame_into(&mut chunk.bytes) {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let _ = tx.send(Ok(chunk));
                let _ = tx.send(Err(e));
                return scanner;
            }
        };
        let bytes = &chunk.bytes[start..start + frame.len];
        let declared = (last_segment != Some(frame.pos.segment))
            .then(|| scanner.header_first_seq(frame.pos.segment));
        last_segment = Some(frame.pos.segment);
        let hash_ok = record_hash(&prev, bytes) == frame.stored_hash;
        prev = frame.stored_hash;
        seq += 1;
        chunk.items.push(Item {
            pos: frame.pos,
            stored_hash: frame.stored_hash,
            more: frame.more,
            declared,
            body: Body::Frame { hash_ok },
            bytes: start..start + frame.len,
        });
        if chunk.items.len() == CHUNK {
            let full = std::mem::replace(&mut chunk, Chunk::new(seq, prev));
            if !hand_over(full, &share, &tx) {
                // The first thread stopped at a problem: nothing more to read.
                return scanner;
            }
        }
    }
    let _ = tx.send(Ok(chunk));
    scanner
}

/// Sends `chunk`; while the channel is full (the first thread is behind),
/// checks its records a share at a time, from the first (counting them in
/// `checked`). False if the first thread has hung up.
fn hand_over(mut chunk: Chunk, checked: &AtomicU64, tx: &SyncSender<Sent>) -> bool {
    let mut next = 0;
    loop {
        match tx.try_send(Ok(chunk)) {
            Ok(()) => return true,
            Err(TrySendError::Disconnected(_)) => return false,
            Err(TrySendError::Full(back)) => {
                chunk = back.expect("what was sent is a chunk");
                if next >= chunk.items.len() {
                    return tx.send(Ok(chunk)).is_ok();
                }
                let end = (next + SHARE).min(chunk.items.len());
                for i in next..end {
                    chunk.check(i);
                }
                checked.fetch_add((end - next) as u64, Ordering::Relaxed);
                next = end;
            }
        }
    }
}

impl ReadAhead {
    /// Starts the reading thread on `scanner`.
    pub fn start(scanner: Scanner) -> Result<Self, LogError> {
        let (tx, rx) = sync_channel(AHEAD);
        let checked = Arc::new(AtomicU64::new(0));
        let share = checked.clone();
        let thread = std::thread::Builder::new()
            .name("claimlog-verify-read".into())
            .spawn(move || read(scanner, share, tx))
            .map_err(|e| LogError::Io {
                path: std::path::PathBuf::from("(verify's reading thread)"),
                source: e,
            })?;
        Ok(ReadAhead {
            rx: Some(rx),
            chunk: Chunk {
                bytes: Vec::new(),
                items: Vec::new(),
                first_seq: 0,
                prev: Hash32::ZERO,
            },
            at: 0,
            thread: Some(thread),
            checked,
        })
    }

    /// How many records the reading thread has checked so far.
    pub fn checked_there(&self) -> u64 {
        self.checked.load(Ordering::Relaxed)
    }

    /// The next frame, in log order, with what the reading thread found,
    /// and its record's bytes.
    pub fn next(&mut self) -> Result<Option<(&Item, &[u8])>, LogError> {
        while self.at == self.chunk.items.len() {
            let Some(rx) = &self.rx else {
                return Ok(None);
            };
            match rx.recv() {
                Ok(chunk) => {
                    self.chunk = chunk?;
                    self.at = 0;
                }
                // The reader is done and everything it sent is read.
                Err(_) => {
                    self.rx = None;
                    return Ok(None);
                }
            }
        }
        let item = &self.chunk.items[self.at];
        self.at += 1;
        Ok(Some((item, &self.chunk.bytes[item.bytes.clone()])))
    }

    /// Waits for the reading thread and returns its scanner (how the log
    /// ended, where).
    pub fn finish(mut self) -> Scanner {
        self.rx = None;
        self.thread
            .take()
            .expect("finish is called once")
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        // Hang up first: a reader blocked on a full channel then stops.
        self.rx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::model::{
        Breakdown, Claim, ClaimFields, FuzzyDate, Name, Origin, Quantity, Scope, Slug, Source,
        SourceId, SourceKind, Text,
    };
    use crate::store::{decode_frame, Store, StoreOptions};

    fn claim(n: i64) -> Event {
        Event::ClaimAdded(
            Claim::new(ClaimFields {
                metric: Slug::new("people_returned").unwrap(),
                breakdown: Breakdown::default(),
                quantity: Quantity::Exact(n),
                scope: Scope::Event {
                    date: FuzzyDate::Year(2024),
                    label: None,
                },
                source: SourceId::new("alpha").unwrap(),
                speaker: None,
                cites: None,
                url: None,
                published: FuzzyDate::Unknown,
                quote: Text::new(format!("{n} returned")).unwrap(),
                note: None,
            })
            .unwrap(),
        )
    }

    /// While the first thread takes nothing, the reader fills the channel
    /// and then checks the records of the chunk it holds; the chunks it
    /// could send at once are left whole to the first thread. What it
    /// found of each record is what decoding the record says.
    #[test]
    fn reader_checks_the_chunk_it_holds_only_while_the_first_thread_is_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("store");
        let origin = Origin::new("test.example/read-ahead").unwrap();
        let mut s = Store::create(&dir, origin, StoreOptions::default()).unwrap();
        s.append(vec![Event::SourceRegistered(Source {
            id: SourceId::new("alpha").unwrap(),
            name: Name::new("Alpha").unwrap(),
            kind: SourceKind::Media,
            homepage: None,
        })])
        .unwrap();
        let records = (AHEAD + 2) * CHUNK;
        for b in 0..records / 1000 + 1 {
            s.append((0..1000).map(|i| claim((b * 1000 + i) as i64)).collect())
                .unwrap();
        }
        drop(s);
        let scanner = Scanner::new(&dir.join("log")).unwrap();
        let mut frames = ReadAhead::start(scanner).unwrap();
        // The reader fills the channel, then checks the 1024 records it
        // holds, and waits.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while frames.checked_there() < CHUNK as u64 {
            assert!(
                std::time::Instant::now() < deadline,
                "the reader checked nothing"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(
            frames.checked_there(),
            CHUNK as u64,
            "checked past the held chunk"
        );
        let (mut seq, mut prev, mut valid) = (0u64, Hash32::ZERO, Vec::new());
        while let Some((item, bytes)) = frames.next().unwrap() {
            let rec = decode_frame(bytes, seq, &prev).unwrap();
            match item.body {
                Body::Valid(kind) => {
                    assert_eq!(kind, rec.event.kind(), "seq {seq}");
                    valid.push(seq);
                }
                Body::Frame { hash_ok } => assert!(hash_ok, "seq {seq}"),
            }
            prev = item.stored_hash;
            seq += 1;
        }
        assert!(seq as usize > records);
        let held = (AHEAD * CHUNK) as u64..((AHEAD + 1) * CHUNK) as u64;
        assert!(
            valid.iter().all(|s| *s >= held.start),
            "checked early: {:?}",
            &valid[..valid.len().min(5)]
        );
        assert!(
            held.clone().all(|s| valid.contains(&s)),
            "{} of the held chunk's {} records checked",
            valid.iter().filter(|s| held.contains(s)).count(),
            CHUNK
        );
    }
}
