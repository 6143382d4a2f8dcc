//! `verify`'s second thread: it reads the log, checks each frame's hash
//! against the stored hash of the frame before, and (unless verify
//! replays) decodes every DECODE_EVERY-th frame, while the first thread
//! decodes the rest and keeps the report. Frames reach the first thread in order with what was
//! found, so the report is built exactly as a single pass would build it
//! (docs/PERFORMANCE.md, verify).

use super::decode_frame;
use crate::chain::record_hash;
use crate::event::Hash32;
use crate::log::{LogError, Position, RawFrame, Scanner};
use std::sync::mpsc::{sync_channel, Receiver};
use std::thread::JoinHandle;

const CHUNK: usize = 1024;
/// Chunks read ahead of the first thread, at most.
const AHEAD: usize = 4;
/// Without a replay to feed, this thread also decodes one frame in
/// DECODE_EVERY, which evens the two threads' work (verify of 1M claims:
/// 1.25-1.32 s with 2, 1.01-1.10 s with 5, 1.10-1.14 s decoding none
/// here). It keeps only the event's kind and drops the record and bytes
/// itself, on the thread that allocated them.
const DECODE_EVERY: u64 = 5;

pub(crate) struct Item {
    pub pos: Position,
    pub end: Position,
    pub stored_hash: Hash32,
    pub more: bool,
    /// For the first frame read of a segment: the first seq its header
    /// declares (`None` if it declares none).
    pub declared: Option<Option<u64>>,
    pub body: Body,
}

pub(crate) enum Body {
    /// Its hash holds and it decodes and links: a record of this kind.
    Valid(&'static str),
    /// For the first thread: to decode, or to name what is wrong with it.
    Frame {
        frame: RawFrame,
        /// H(stored hash of the frame before || bytes) == the stored hash.
        hash_ok: bool,
    },
}

type Chunk = Result<Vec<Item>, LogError>;

pub(crate) struct ReadAhead {
    rx: Option<Receiver<Chunk>>,
    buf: std::vec::IntoIter<Item>,
    thread: Option<JoinHandle<Scanner>>,
}

fn read(
    mut scanner: Scanner,
    decode_some: bool,
    tx: std::sync::mpsc::SyncSender<Chunk>,
) -> Scanner {
    let mut prev = Hash32::ZERO;
    let mut seq = 0u64;
    let mut last_segment = None;
    let mut chunk = Vec::with_capacity(CHUNK);
    loop {
        let frame = match scanner.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let _ = tx.send(Ok(std::mem::take(&mut chunk)));
                let _ = tx.send(Err(e));
                return scanner;
            }
        };
        let declared = (last_segment != Some(frame.pos.segment))
            .then(|| scanner.header_first_seq(frame.pos.segment));
        last_segment = Some(frame.pos.segment);
        let hash_ok = record_hash(&prev, &frame.bytes) == frame.stored_hash;
        let kind = (decode_some && hash_ok && seq % DECODE_EVERY == DECODE_EVERY - 1)
            .then(|| {
                decode_frame(&frame, seq, &prev)
                    .ok()
                    .map(|r| r.event.kind())
            })
            .flatten();
        let (pos, end, stored_hash, more) = (frame.pos, frame.end(), frame.stored_hash, frame.more);
        prev = frame.stored_hash;
        seq += 1;
        chunk.push(Item {
            pos,
            end,
            stored_hash,
            more,
            declared,
            body: match kind {
                Some(k) => Body::Valid(k),
                None => Body::Frame { frame, hash_ok },
            },
        });
        if chunk.len() == CHUNK
            && tx
                .send(Ok(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))))
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
            buf: Vec::new().into_iter(),
            thread: Some(thread),
        })
    }

    /// The next frame, in log order, with what the reading thread found.
    pub fn next(&mut self) -> Result<Option<Item>, LogError> {
        loop {
            if let Some(item) = self.buf.next() {
                return Ok(Some(item));
            }
            let Some(rx) = &self.rx else {
                return Ok(None);
            };
            match rx.recv() {
                Ok(chunk) => self.buf = chunk?.into_iter(),
                // The reader is done and everything it sent is read.
                Err(_) => {
                    self.rx = None;
                    return Ok(None);
                }
            }
        }
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
