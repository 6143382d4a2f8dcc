//! Writes committed overlays into the sled tree on a worker thread, so that
//! the cache's writes for one append overlap the next append's validation
//! and fdatasync instead of adding to them (docs/PERFORMANCE.md: a sled
//! insert with random keys costs about as much as the log's whole write).
//!
//! At most one overlay is in flight. Until it is settled, reads see it
//! first: `Overlay::get` looks in it before the tree, and every read of the
//! `Cache` waits for it to land (`Cache::settle`). So nothing can observe
//! the tree without the writes already acknowledged to the caller.

use super::entries::Checkpoint;
use super::fold::enc;
use super::keys;
use super::ProjectError;
use std::collections::BTreeMap;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// Staged writes: `None` removes the key.
pub type Pending = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// The overlay being written, shared with the overlays that read through it.
#[derive(Default)]
pub struct InFlight(Mutex<Option<Arc<Pending>>>);

impl InFlight {
    fn lock(&self) -> MutexGuard<'_, Option<Arc<Pending>>> {
        // A panic while holding this lock cannot leave the Option half-set.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The in-flight value for `key`: `Some(None)` if it is being removed,
    /// `None` if the in-flight overlay does not touch it.
    pub fn get(&self, key: &[u8]) -> Option<Option<Vec<u8>>> {
        let g = self.lock();
        g.as_ref().and_then(|p| p.get(key).cloned())
    }
}

struct Job {
    writes: Arc<Pending>,
    /// `None`: part of a batch not acknowledged yet; the tree stays dirty.
    checkpoint: Option<Checkpoint>,
}

struct Worker {
    jobs: Sender<Job>,
    done: Receiver<Result<(), ProjectError>>,
    thread: JoinHandle<()>,
}

pub struct Writer {
    tree: sled::Tree,
    pub(crate) in_flight: Arc<InFlight>,
    worker: Mutex<Option<Worker>>,
    /// Whether a job was sent and its result not received yet.
    busy: Mutex<bool>,
}

/// Applies one job. The writes go in one by one between setting and
/// clearing the dirty mark, not as one `apply_batch`: sled seals and writes
/// its I/O buffer at the end of every batch, but single writes stay in
/// memory until the buffer fills or the cache is flushed. sled recovers a
/// prefix of its writes, in order, so after a crash anywhere in between the
/// dirty mark is set and the cache is rebuilt from the log (store/open.rs).
fn apply_job(tree: &sled::Tree, job: &Job) -> Result<(), ProjectError> {
    tree.insert(keys::DIRTY, &[][..])?;
    for (k, v) in job.writes.iter() {
        match v {
            Some(v) => tree.insert(&k[..], &v[..])?,
            None => tree.remove(&k[..])?,
        };
    }
    if let Some(cp) = &job.checkpoint {
        tree.insert(keys::CHECKPOINT, enc(cp))?;
        tree.remove(keys::DIRTY)?;
    }
    Ok(())
}

impl Writer {
    pub fn new(tree: sled::Tree) -> Self {
        Writer {
            tree,
            in_flight: Arc::new(InFlight::default()),
            worker: Mutex::new(None),
            busy: Mutex::new(false),
        }
    }

    fn spawn(&self) -> Result<Worker, ProjectError> {
        let (jobs, rx) = channel::<Job>();
        let (tx, done) = channel();
        let tree = self.tree.clone();
        let thread = std::thread::Builder::new()
            .name("claimlog-cache".into())
            .spawn(move || {
                for job in rx {
                    if tx.send(apply_job(&tree, &job)).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| ProjectError::Open(format!("cannot start the cache writer: {e}")))?;
        Ok(Worker { jobs, done, thread })
    }

    /// Waits for the in-flight overlay to land and returns its outcome.
    pub fn settle(&self) -> Result<(), ProjectError> {
        let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        if !*busy {
            return Ok(());
        }
        *busy = false;
        let worker = self.worker.lock().unwrap_or_else(|p| p.into_inner());
        let result = match worker.as_ref() {
            Some(w) => w
                .done
                .recv()
                .unwrap_or_else(|_| Err(ProjectError::Open("the cache writer stopped".into()))),
            None => Ok(()),
        };
        *self.in_flight.lock() = None;
        result
    }

    /// Hands `writes` to the worker, after the previous overlay has landed.
    pub fn send(
        &self,
        writes: Pending,
        checkpoint: Option<Checkpoint>,
    ) -> Result<(), ProjectError> {
        self.settle()?;
        let writes = Arc::new(writes);
        *self.in_flight.lock() = Some(Arc::clone(&writes));
        let mut worker = self.worker.lock().unwrap_or_else(|p| p.into_inner());
        if worker.is_none() {
            *worker = Some(self.spawn()?);
        }
        let job = Job { writes, checkpoint };
        let sent = worker.as_ref().map(|w| w.jobs.send(job));
        drop(worker);
        match sent {
            Some(Ok(())) => {
                *self.busy.lock().unwrap_or_else(|p| p.into_inner()) = true;
                Ok(())
            }
            // The worker is gone: write here instead.
            Some(Err(e)) => {
                *self.in_flight.lock() = None;
                apply_job(&self.tree, &e.0)
            }
            None => Ok(()),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Err(e) = self.settle() {
            tracing::warn!(
                "the cache writer failed ({e}); the cache will be rebuilt on the next open"
            );
        }
        let worker = self
            .worker
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(w) = worker {
            drop(w.jobs);
            let _ = w.thread.join();
        }
    }
}
