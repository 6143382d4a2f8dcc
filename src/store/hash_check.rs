//! Record hashes checked on a second thread while `verify` decodes on the
//! first. A frame's hash depends only on its bytes and the stored hash of
//! the frame before it, so the chain can be checked a chunk at a time
//! beside the decoding; `verify` still reports the first problem by seq,
//! with the report as it stood there (docs/PERFORMANCE.md, verify).

use crate::chain::record_hash;
use crate::event::Hash32;
use crate::log::RawFrame;
use std::collections::BTreeMap;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;

const CHUNK: usize = 1024;
/// Chunks handed over and not answered yet before the sender waits.
const AHEAD: usize = 4;

/// The first frame whose stored hash is not H(prev || bytes), with what
/// the report needs to be put back as it stood before that frame.
pub(crate) struct Mismatch {
    pub seq: u64,
    /// The stored hash of the frame before (the head as of the problem).
    pub prev: Hash32,
    pub frame: RawFrame,
    /// The event counts before the first frame of the mismatch's chunk...
    pub counts_at_chunk: BTreeMap<String, u64>,
    /// ...and the frames of the chunk before the mismatch.
    pub before: Vec<RawFrame>,
}

struct Chunk {
    counts: BTreeMap<String, u64>,
    frames: Vec<(u64, Hash32, RawFrame)>,
}

pub(crate) struct HashCheck {
    chunk: Option<Chunk>,
    jobs: Option<Sender<Chunk>>,
    results: Receiver<Option<Mismatch>>,
    outstanding: usize,
    thread: Option<JoinHandle<()>>,
}

fn check(chunk: Chunk) -> Option<Mismatch> {
    let i = chunk
        .frames
        .iter()
        .position(|(_, prev, f)| record_hash(prev, &f.bytes) != f.stored_hash)?;
    let mut frames = chunk.frames;
    let rest = frames.split_off(i);
    let (seq, prev, frame) = rest.into_iter().next()?;
    Some(Mismatch {
        seq,
        prev,
        frame,
        counts_at_chunk: chunk.counts,
        before: frames.into_iter().map(|(_, _, f)| f).collect(),
    })
}

impl HashCheck {
    pub fn start() -> Self {
        let (jobs, rx) = channel::<Chunk>();
        let (tx, results) = channel();
        let thread = std::thread::Builder::new()
            .name("claimlog-verify-hash".into())
            .spawn(move || {
                for chunk in rx {
                    if tx.send(check(chunk)).is_err() {
                        break;
                    }
                }
            })
            .ok();
        HashCheck {
            chunk: None,
            jobs: thread.as_ref().map(|_| jobs),
            results,
            outstanding: 0,
            thread,
        }
    }

    /// Queues frame `seq`, whose predecessor's stored hash is `prev`;
    /// `counts` are the event counts before it. Returns the first mismatch
    /// found so far, if any (every frame before it has been checked).
    pub fn push(
        &mut self,
        seq: u64,
        prev: Hash32,
        frame: RawFrame,
        counts: &BTreeMap<String, u64>,
    ) -> Option<Mismatch> {
        let chunk = self.chunk.get_or_insert_with(|| Chunk {
            counts: counts.clone(),
            frames: Vec::with_capacity(CHUNK),
        });
        chunk.frames.push((seq, prev, frame));
        if chunk.frames.len() < CHUNK {
            return None;
        }
        if let Some(m) = self.send() {
            return Some(m);
        }
        if self.outstanding > AHEAD {
            return self.receive();
        }
        None
    }

    fn send(&mut self) -> Option<Mismatch> {
        let chunk = self.chunk.take()?;
        match &self.jobs {
            Some(jobs) => match jobs.send(chunk) {
                Ok(()) => {
                    self.outstanding += 1;
                    None
                }
                // The worker is gone: check here.
                Err(e) => check(e.0),
            },
            None => check(chunk),
        }
    }

    fn receive(&mut self) -> Option<Mismatch> {
        self.outstanding -= 1;
        // The worker only stops when this side hangs up; were it gone, the
        // chunks it held would be unchecked, which must not pass silently.
        self.results
            .recv()
            .expect("the hash-checking thread answers every chunk")
    }

    /// Checks everything queued; the first mismatch, if any.
    pub fn finish(&mut self) -> Option<Mismatch> {
        // Chunks are answered in order, and the last one was queued last.
        let inline = self.send();
        let mut first = None;
        while self.outstanding > 0 {
            let m = self.receive();
            if first.is_none() {
                first = m;
            }
        }
        first.or(inline)
    }
}

impl Drop for HashCheck {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
