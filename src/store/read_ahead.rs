//! `verify`'s second thread: it reads the log, checks each frame's hash
//! against the stored hash of the frame before, and (unless verify
//! replays) decodes every DECODE_EVERY-th frame, while the first thread
//! decodes the rest and keeps the report. Frames reach the first thread in order with what was
//! found, so the report is built exactly as a single pass would build it
//! (docs/PERFORMANCE.md, verify).

use super::decode_frame;
use crate::chain::record_hash;
use crate::event::Hash32;
use crate::log::{LogError, Position, Scanner};
use std::sync::mpsc::{sync_channel, Receiver};
use std::thread::JoinHandle;

const CHUNK: usize = 1024;
/// Chunks read ahead of the first thread, at most.
const AHEAD: usize = 4;
/// Without a replay to feed, this thread also decodes one frame in
/// DECODE_EVERY, which evens the two threads' work (verify of 1M claims,
/// 8 runs each, with frames sent in chunk buffers: 0.89-0.93 s with 3,
/// 0.78-0.92 s with 5, 0.73-0.76 s with 8, 0.77-0.79 s with 12,
/// 0.84-0.87 s decoding none here). It keeps only the event's kind and
/// drops the record itself, on the thread that allocated it.
const DECODE_EVERY: u64 = 8;

pub(crate) struct Item {
    pub pos: Position,
    pub end: Position,
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
}

impl Chunk {
    fn new() -> Self {
        Chunk {
            bytes: Vec::with_capacity(CHUNK * 512),
            items: Vec::with_capacity(CHUNK),
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
}

fn read(mut scanner: Scanner, decode_some: bool, tx: std::sync::mpsc::SyncSender<Sent>) -> Scanner {
    let mut prev = Hash32::ZERO;
    let mut seq = 0u64;
    let mut last_segment = None;
    let mut chunk = Chunk::new();
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
        let kind = (decode_some && hash_ok && seq % DECODE_EVERY == DECODE_EVERY - 1)
            .then(|| decode_frame(bytes, seq, &prev).ok().map(|r| r.event.kind()))
            .flatten();
        prev = frame.stored_hash;
        seq += 1;
        chunk.items.push(Item {
            pos: frame.pos,
            end: frame.end(),
            stored_hash: frame.stored_hash,
            more: frame.more,
            declared,
            body: match kind {
                Some(k) => Body::Valid(k),
                None => Body::Frame { hash_ok },
            },
            bytes: start..start + frame.len,
        });
        if chunk.items.len() == CHUNK
            && tx
                .send(Ok(std::mem::replace(&mut chunk, Chunk::new())))
                .is_err()
        {
            // The first thread stopped at a problem: nothing more to read.
            return scanner;
        }
    }
    let _ = tx.send(Ok(chunk));
    scanner
}

impl ReadAhead {
    /// `decode_some`: whether this thread may decode frames itself (not
    /// when the first thread needs every record, to replay it).
    pub fn start(scanner: Scanner, decode_some: bool) -> Result<Self, LogError> {
        let (tx, rx) = sync_channel(AHEAD);
        let thread = std::thread::Builder::new()
            .name("claimlog-verify-read".into())
            .spawn(move || read(scanner, decode_some, tx))
            .map_err(|e| LogError::Io {
                path: std::path::PathBuf::from("(verify's reading thread)"),
                source: e,
            })?;
        Ok(ReadAhead {
            rx: Some(rx),
            chunk: Chunk {
                bytes: Vec::new(),
                items: Vec::new(),
            },
            at: 0,
            thread: Some(thread),
        })
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
