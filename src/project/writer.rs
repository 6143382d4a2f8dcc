//! Writes committed overlays into the sled tree on a worker thread, so that
//! the cache's writes overlap the next appends' validation and fdatasync
//! instead of adding to them (docs/PERFORMANCE.md: a sled insert with
//! random keys costs about as much as the log's whole write).
//!
//! Small commits (single appends) are first staged in memory and handed to
//! the worker STAGE_COMMITS at a time: waking a sleeping thread costs tens
//! of microseconds on a virtual machine, a good part of one append. While
//! the worker is still busy with the previous job they go on being staged
//! (up to STAGE_LIMIT writes) instead of waiting for it: a job can take
//! several times its usual time (after an idle spell a virtual machine's
//! caches are cold), and the appends must not wait for it. Until
//! they land, reads see them: `Overlay::get` looks in the staged and the
//! in-flight writes before the tree, and every read of the `Cache` first
//! waits for everything to land (`Cache::settle`). So nothing observes the
//! tree without the writes already acknowledged to the caller. A crash
//! loses only cache writes, which the next open replays from the log.

use super::entries::Checkpoint;
use super::fold::enc;
use super::keys;
use super::packed;
use super::ProjectError;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::mpsc::{channel, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// Staged writes: `None` removes the key.
pub type Pending = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Commits staged before they are handed to the worker together...
const STAGE_COMMITS: usize = 64;
/// ...or once they hold this many writes, as soon as the worker is done
/// with the job before.
const STAGE_WRITES: usize = 1024;
/// Past this many staged writes a commit waits for the worker: memory
/// stays bounded by one job in flight and one being staged, each at most
/// this and one commit more (about 3 MB of single appends). Parts of a
/// large batch (a replay chunk) go at once, waiting for the job before;
/// the commit that ends such a batch may be staged behind one.
const STAGE_LIMIT: usize = 8 * STAGE_WRITES;

/// The writes not in the tree yet, shared with the overlays that read
/// through them: `staged` (not handed over yet, newest) and `sent` (being
/// written by the worker).
#[derive(Default)]
pub struct InFlight {
    staged: Mutex<Staged>,
    sent: Mutex<Option<Arc<Pending>>>,
}

#[derive(Default)]
struct Staged {
    writes: Pending,
    checkpoint: Option<Checkpoint>,
    commits: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks cannot leave a half-made
    // value: each is replaced or extended whole.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl InFlight {
    /// The pending value for `key`: `Some(None)` if it is being removed,
    /// `None` if no pending write touches it.
    pub fn get(&self, key: &[u8]) -> Option<Option<Vec<u8>>> {
        if let Some(v) = lock(&self.staged).writes.get(key) {
            return Some(v.clone());
        }
        lock(&self.sent).as_ref().and_then(|p| p.get(key).cloned())
    }

    /// The pending writes of keys that start with `prefix` (`None`: being
    /// removed), the staged one where both hold a key. Read in the order
    /// `get` reads, staged then sent, so that writes moving from one to
    /// the other meanwhile are seen in one of them.
    pub fn under(&self, prefix: &[u8]) -> Pending {
        let mut out = Pending::new();
        let mut take = |writes: &Pending| {
            let from = (Bound::Included(prefix), Bound::Unbounded);
            for (k, v) in writes.range::<[u8], _>(from) {
                if !k.starts_with(prefix) {
                    break;
                }
                out.entry(k.clone()).or_insert_with(|| v.clone());
            }
        };
        take(&lock(&self.staged).writes);
        if let Some(sent) = lock(&self.sent).as_ref() {
            take(sent);
        }
        out
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
    /// The first failed job's error. Every later send and settle fails
    /// with it (`healthy`): the tree lacks that job's writes, so nothing
    /// may be checked against it, and no later checkpoint may clear the
    /// dirty mark the job left. A new cache (a rebuild) starts afresh.
    failed: Mutex<Option<String>>,
}

/// A job with at least this many writes is written by two threads, each
/// taking one half of its key range: a random sled insert is CPU-bound
/// (node lookups and merges; docs/PERFORMANCE.md), and the thread that
/// committed the job is mostly waiting for it. A job of single appends
/// (STAGE_COMMITS of them) stays below it, on this thread alone, unless
/// they were staged while the worker was busy: that one is split too,
/// beside appends that mostly wait for fdatasync.
const SPLIT_WRITES: usize = 2 * STAGE_WRITES;

/// Applies one job. The writes go in one by one between setting and
/// clearing the dirty mark, not as one `apply_batch`: sled seals and writes
/// its I/O buffer at the end of every batch, but single writes stay in
/// memory until the buffer fills or the cache is flushed. sled recovers a
/// prefix of its writes, in order, so after a crash anywhere in between the
/// dirty mark is set and the cache is rebuilt from the log (store/open.rs).
/// The halves of a large job touch distinct keys, so the order between
/// them does not matter; the checkpoint goes in after both.
fn apply_job(tree: &sled::Tree, job: &Job) -> Result<(), ProjectError> {
    tree.insert(keys::DIRTY, &[][..])?;
    #[cfg(test)]
    if job.writes.contains_key(tests::FAIL.as_slice()) {
        return Err(ProjectError::Open("an injected failure".into()));
    }
    #[cfg(test)]
    if job.writes.contains_key(tests::HOLD.as_slice()) {
        tests::held();
    }
    let writes = &job.writes;
    match split_point(tree, writes)? {
        Some(mid) => {
            let low = || apply_writes(tree, writes.range::<Vec<u8>, _>(..&mid));
            std::thread::scope(|s| {
                // No thread to be had: this one writes both halves (the
                // writer falls back to the committing thread the same way).
                let spawned = std::thread::Builder::new()
                    .name("claimlog-cache-2".into())
                    .spawn_scoped(s, low);
                let high = apply_writes(tree, writes.range::<Vec<u8>, _>(&mid..));
                let low = match spawned {
                    Ok(h) => h.join().unwrap_or_else(|_| {
                        Err(ProjectError::Open("a cache writer thread panicked".into()))
                    }),
                    Err(_) => low(),
                };
                low.and(high)
            })?;
        }
        _ => apply_writes(tree, writes.iter())?,
    }
    if let Some(cp) = &job.checkpoint {
        tree.insert(keys::CHECKPOINT, enc(cp))?;
        tree.remove(keys::DIRTY)?;
    }
    Ok(())
}

/// Where a job of SPLIT_WRITES or more is cut in two: its middle key, or
/// if that is a packed key, the key of the group the tree holds it in
/// (project/packed.rs), so that no group is rewritten by both halves.
fn split_point(tree: &sled::Tree, writes: &Pending) -> Result<Option<Vec<u8>>, ProjectError> {
    let Some(mid) = writes.keys().nth(writes.len() / 2) else {
        return Ok(None);
    };
    if writes.len() < SPLIT_WRITES {
        return Ok(None);
    }
    packed::split_point(tree, writes.values(), mid)
}

fn apply_writes<'a>(
    tree: &sled::Tree,
    writes: impl Iterator<Item = (&'a Vec<u8>, &'a Option<Vec<u8>>)>,
) -> Result<(), ProjectError> {
    packed::write_sorted(tree, writes.map(|(k, v)| Ok((k, v.as_ref()))))
}

impl Writer {
    pub fn new(tree: sled::Tree) -> Self {
        Writer {
            tree,
            in_flight: Arc::new(InFlight::default()),
            worker: Mutex::new(None),
            failed: Mutex::new(None),
        }
    }

    /// Fails if a job has failed (see `failed`).
    pub fn healthy(&self) -> Result<(), ProjectError> {
        match lock(&self.failed).as_ref() {
            Some(why) => Err(ProjectError::Open(format!(
                "an earlier write to the cache failed ({why}); reopen the store (its cache is rebuilt from the log)"
            ))),
            None => Ok(()),
        }
    }

    /// Keeps the first failure (see `failed`).
    fn latch(&self, outcome: Result<(), ProjectError>) -> Result<(), ProjectError> {
        if let Err(e) = &outcome {
            lock(&self.failed).get_or_insert_with(|| e.to_string());
        }
        outcome
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

    /// Waits for the job in flight, if any, and returns its outcome. A job
    /// is in flight while its writes are in `sent` (only the thread that
    /// commits sets or clears it).
    fn wait(&self) -> Result<(), ProjectError> {
        self.reap(true).map(|_| ())
    }

    /// Whether no job is in flight, without waiting: a job that has
    /// landed is taken in (its outcome latched) as `wait` would.
    fn landed(&self) -> Result<bool, ProjectError> {
        self.reap(false)
    }

    /// Takes in the job in flight's outcome, waiting for it if `block`;
    /// whether none is in flight now.
    fn reap(&self, block: bool) -> Result<bool, ProjectError> {
        self.healthy()?;
        if lock(&self.in_flight.sent).is_none() {
            return Ok(true);
        }
        let stopped = || Err(ProjectError::Open("the cache writer stopped".into()));
        let result = {
            let worker = lock(&self.worker);
            match worker.as_ref() {
                None => Ok(()),
                Some(w) if block => w.done.recv().unwrap_or_else(|_| stopped()),
                Some(w) => match w.done.try_recv() {
                    Ok(result) => result,
                    Err(TryRecvError::Empty) => return Ok(false),
                    Err(TryRecvError::Disconnected) => stopped(),
                },
            }
        };
        *lock(&self.in_flight.sent) = None;
        self.latch(result)?;
        Ok(true)
    }

    /// Waits until every committed write is in the tree.
    pub fn settle(&self) -> Result<(), ProjectError> {
        self.dispatch()?;
        self.wait()
    }

    /// Takes a committed overlay. With a checkpoint (an acknowledged
    /// commit) it is staged, and handed over with the next ones once the
    /// worker is free; without (part of a large batch) it goes to the
    /// worker at once.
    pub fn send(
        &self,
        writes: Pending,
        checkpoint: Option<Checkpoint>,
    ) -> Result<(), ProjectError> {
        self.healthy()?;
        let (ready, now) = {
            let mut staged = lock(&self.in_flight.staged);
            staged.writes.extend(writes);
            // A part after full commits leaves the cache dirty until the
            // batch's own commit; a commit after parts clears it.
            staged.checkpoint = checkpoint;
            staged.commits += 1;
            let ready = staged.commits >= STAGE_COMMITS || staged.writes.len() >= STAGE_WRITES;
            (
                ready,
                checkpoint.is_none() || staged.writes.len() >= STAGE_LIMIT,
            )
        };
        if now || (ready && self.landed()?) {
            self.dispatch()?;
        }
        Ok(())
    }

    /// Hands the staged writes to the worker, after the previous job has
    /// landed. They move from `staged` to `sent` under both locks, so a
    /// reader finds them in one or the other.
    fn dispatch(&self) -> Result<(), ProjectError> {
        self.wait()?;
        let (writes, checkpoint) = {
            let mut staged = lock(&self.in_flight.staged);
            if staged.commits == 0 {
                return Ok(());
            }
            let mut sent = lock(&self.in_flight.sent);
            let st = std::mem::take(&mut *staged);
            let writes = Arc::new(st.writes);
            *sent = Some(Arc::clone(&writes));
            (writes, st.checkpoint)
        };
        let job = Job { writes, checkpoint };
        let mut worker = lock(&self.worker);
        if worker.is_none() {
            match self.spawn() {
                Ok(w) => *worker = Some(w),
                // No thread to be had: write here instead.
                Err(e) => {
                    tracing::warn!("{e}; writing the cache in the foreground");
                    drop(worker);
                    let r = apply_job(&self.tree, &job);
                    *lock(&self.in_flight.sent) = None;
                    return self.latch(r);
                }
            }
        }
        let sent = worker.as_ref().map(|w| w.jobs.send(job));
        drop(worker);
        match sent {
            // The worker is gone: write here instead.
            Some(Err(e)) => {
                let r = apply_job(&self.tree, &e.0);
                *lock(&self.in_flight.sent) = None;
                self.latch(r)
            }
            _ => Ok(()),
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

#[cfg(test)]
mod tests {
    use super::super::testing::spread_id;
    use super::*;

    /// A job holding this key fails after marking the tree dirty, as one
    /// whose sled write fails half-way would.
    pub(super) const FAIL: [u8; 6] = *b"!fail!";

    /// A job holding this key waits until `release` is called: a worker
    /// slowed down as a cold machine slows it.
    pub(super) const HOLD: [u8; 6] = *b"!hold!";
    static RELEASED: (std::sync::Mutex<bool>, std::sync::Condvar) =
        (std::sync::Mutex::new(false), std::sync::Condvar::new());

    pub(super) fn held() {
        let mut released = lock(&RELEASED.0);
        while !*released {
            released = RELEASED.1.wait(released).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn release() {
        *lock(&RELEASED.0) = true;
        RELEASED.1.notify_all();
    }

    fn cp(seq: u64) -> Checkpoint {
        Checkpoint {
            seq,
            hash: crate::event::Hash32([seq as u8; 32]),
            end_segment: 0,
            end_offset: seq,
        }
    }

    /// A failed job is not forgotten: every later send and settle fails,
    /// so nothing is checked against a tree missing its writes and no
    /// later checkpoint clears the dirty mark it left (the next open then
    /// rebuilds the cache).
    #[test]
    fn a_failed_job_fails_every_later_send_and_settle() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree("t").unwrap();
        let w = Writer::new(tree.clone());
        let one = |k: &[u8]| Pending::from([(k.to_vec(), Some(b"v".to_vec()))]);
        w.send(one(b"a"), Some(cp(1))).unwrap();
        w.settle().unwrap();
        assert!(tree.get(keys::DIRTY).unwrap().is_none());
        w.send(one(&FAIL), Some(cp(2))).unwrap();
        assert!(w.settle().is_err());
        let later = w.send(one(b"c"), Some(cp(3))).unwrap_err();
        assert!(later.to_string().contains("reopen the store"), "{later}");
        assert!(w.settle().is_err());
        assert!(w.healthy().is_err());
        assert!(tree.get(keys::DIRTY).unwrap().is_some(), "still dirty");
        assert!(tree.get(b"c").unwrap().is_none());
        let kept: Checkpoint = crate::project::fold::dec(
            keys::CHECKPOINT,
            &tree.get(keys::CHECKPOINT).unwrap().unwrap(),
        )
        .unwrap();
        assert_eq!(kept.seq, 1);
    }

    /// Commits do not wait for a busy worker: they go on being staged, and
    /// reads see them there, until STAGE_LIMIT writes are staged; only
    /// then does a commit wait for the job before. Once the worker is free
    /// everything lands, with the last checkpoint.
    #[test]
    fn commits_are_staged_while_the_worker_is_busy_up_to_the_limit() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree("t").unwrap();
        let w = Writer::new(tree.clone());
        // Dropped before `w`, whose drop waits for the held job: a failed
        // assertion then ends the test instead of hanging it.
        struct Release;
        impl Drop for Release {
            fn drop(&mut self) {
                release();
            }
        }
        let _release = Release;
        let key = |i: usize| format!("k/{i:08}").into_bytes();
        let one = |k: Vec<u8>| Pending::from([(k, Some(b"v".to_vec()))]);
        // The first full stage goes to the worker, which holds it.
        w.send(one(HOLD.to_vec()), Some(cp(1))).unwrap();
        for i in 1..STAGE_COMMITS {
            w.send(one(key(i)), Some(cp(i as u64 + 1))).unwrap();
        }
        assert!(lock(&w.in_flight.sent).is_some(), "a job is in flight");
        // Three more stages' worth of commits return while it is held.
        let more = 4 * STAGE_COMMITS;
        std::thread::scope(|s| {
            let (done, finished) = channel();
            let w = &w;
            s.spawn(move || {
                for i in STAGE_COMMITS..more {
                    w.send(one(key(i)), Some(cp(i as u64 + 1))).unwrap();
                }
                done.send(()).unwrap();
            });
            let waited = finished.recv_timeout(std::time::Duration::from_secs(20));
            if waited.is_err() {
                release();
            }
            assert!(waited.is_ok(), "a commit waited for the busy worker");
        });
        assert_eq!(w.in_flight.get(&key(more - 1)), Some(Some(b"v".to_vec())));
        assert!(tree.get(key(more - 1)).unwrap().is_none());
        // A commit that takes the staged writes past the limit waits.
        let big: Pending = (more..more + STAGE_LIMIT)
            .map(|i| (key(i), Some(b"v".to_vec())))
            .collect();
        let last = (more + 1) as u64;
        std::thread::scope(|s| {
            let (done, finished) = channel();
            let w = &w;
            s.spawn(move || {
                w.send(big, Some(cp(last))).unwrap();
                done.send(()).unwrap();
            });
            let early = finished.recv_timeout(std::time::Duration::from_millis(300));
            release();
            assert!(early.is_err(), "a commit past the limit did not wait");
            finished.recv().unwrap();
        });
        w.settle().unwrap();
        for i in 1..more + STAGE_LIMIT {
            assert!(tree.get(key(i)).unwrap().is_some(), "{i}");
        }
        assert!(tree.get(keys::DIRTY).unwrap().is_none());
        let kept: Checkpoint = crate::project::fold::dec(
            keys::CHECKPOINT,
            &tree.get(keys::CHECKPOINT).unwrap().unwrap(),
        )
        .unwrap();
        assert_eq!(kept.seq, last);
    }

    /// A large job is split between two threads at its middle key; where
    /// that falls among packed keys, the split moves to the key of the
    /// group the tree holds it in (project/packed.rs), or both threads
    /// would rewrite one group and one's members would be lost. Two jobs
    /// of interleaved keys, the second cut in two, leave the tree one
    /// thread leaves, and a fresh load of all the keys: packing depends on
    /// the keys alone.
    fn split_keeps_every_member_of_the_group_it_falls_in(key_of: impl Fn(u32) -> Vec<u8>) {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let (split, whole, fresh) = (
            db.open_tree("split").unwrap(),
            db.open_tree("whole").unwrap(),
            db.open_tree("fresh").unwrap(),
        );
        let job = |odd: u32| {
            let writes: Pending = (0u32..2 * SPLIT_WRITES as u32 + 200)
                .filter(|i| i % 2 == odd)
                .map(|i| (key_of(i), Some(i.to_be_bytes().to_vec())))
                .collect();
            Job {
                writes: Arc::new(writes),
                checkpoint: None,
            }
        };
        let (first, second) = (job(0), job(1));
        assert!(second.writes.len() >= SPLIT_WRITES);
        apply_job(&split, &first).unwrap();
        apply_writes(&whole, first.writes.iter()).unwrap();
        let mid = second.writes.keys().nth(second.writes.len() / 2).unwrap();
        let cut = split_point(&split, &second.writes).unwrap().unwrap();
        assert!(cut < *mid, "mid inside a group");
        apply_job(&split, &second).unwrap();
        apply_writes(&whole, second.writes.iter()).unwrap();
        let all: Pending = first
            .writes
            .iter()
            .chain(second.writes.iter())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        packed::write_sorted(&fresh, all.iter().map(|(k, v)| Ok((k, v.as_ref())))).unwrap();
        // No group holds writes from both sides of the cut.
        for (key, _) in second.writes.iter() {
            let group = split.range(..=key.clone()).next_back().unwrap().unwrap().0;
            assert_eq!(key < &cut, group.as_ref() < &cut[..], "{key:?}");
        }
        for (key, value) in &all {
            assert_eq!(packed::get(&split, key).unwrap(), value.clone(), "{key:?}");
        }
        let dump = |t: &sled::Tree| -> Vec<_> {
            t.iter()
                .map(Result::unwrap)
                .filter(|(k, _)| k.as_ref() != keys::DIRTY)
                .collect()
        };
        assert_eq!(dump(&split), dump(&whole));
        assert_eq!(dump(&split), dump(&fresh));
        assert!(dump(&split).len() > 8, "many groups");
    }

    #[test]
    fn a_job_split_among_id_keys_keeps_every_id_of_the_group_it_falls_in() {
        split_keeps_every_member_of_the_group_it_falls_in(|i| {
            keys::claim(&spread_id(i.into()), i.into())
        });
    }

    #[test]
    fn a_job_split_among_claim_keys_keeps_every_claim_of_the_group_it_falls_in() {
        let scope = crate::model::Scope::Event {
            date: crate::model::FuzzyDate::Day("2024-01-31".parse().unwrap()),
            label: None,
        };
        split_keeps_every_member_of_the_group_it_falls_in(|i| {
            let content = spread_id(u64::from(i % 97) + 1_000_000);
            keys::by_scope(
                "people_returned",
                "all",
                &scope,
                &content,
                &spread_id(i.into()),
            )
        });
    }
}

#[cfg(test)]
mod random_splits {
    use super::super::testing::Rng;
    use super::*;

    fn key(rng: &mut Rng) -> Vec<u8> {
        let r = rng.next();
        let mut id = [0u8; 32];
        id[0] = (r >> 8) as u8 % 16;
        id[1] = (r >> 16) as u8;
        id[keys::ID_PREFIX - 1] = (r >> 24) as u8;
        id[31] = (r >> 24) as u8;
        match r % 5 {
            0 | 1 => keys::claim(&crate::event::Hash32(id), r >> 40),
            2 | 3 => {
                let mut k = b"g/m\0x\0u".to_vec();
                k.extend_from_slice(&[(r >> 32) as u8 % 3; 8]);
                k.extend_from_slice(&id);
                k
            }
            _ => {
                let p: &[u8] =
                    [&b"S/"[..], b"k/", b"q/", b"v/", b"y/", b"!c"][((r >> 40) % 6) as usize];
                [p, &id[..2]].concat()
            }
        }
    }

    #[test]
    fn random_split_jobs_match_one_thread_and_fresh() {
        for seed in 1..40u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E3779B97F4A7C15) | 1);
            let db = sled::Config::new().temporary(true).open().unwrap();
            let (split, whole, fresh) = (
                db.open_tree("split").unwrap(),
                db.open_tree("whole").unwrap(),
                db.open_tree("fresh").unwrap(),
            );
            let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
            for round in 0..5u8 {
                let mut writes = Pending::new();
                let n = if round % 2 == 0 { 2500 } else { 300 };
                for _ in 0..n {
                    let k = key(&mut rng);
                    writes.insert(k, Some(vec![round, rng.next() as u8]));
                }
                if round % 2 == 1 {
                    for (i, k) in model.keys().enumerate() {
                        if i % 4 == 0 {
                            writes.insert(k.clone(), None);
                        }
                    }
                }
                let job = Job {
                    writes: Arc::new(writes),
                    checkpoint: None,
                };
                apply_job(&split, &job).unwrap();
                apply_writes(&whole, job.writes.iter()).unwrap();
                for (k, v) in job.writes.iter() {
                    match v {
                        Some(v) => model.insert(k.clone(), v.clone()),
                        None => model.remove(k),
                    };
                }
                fresh.clear().unwrap();
                packed::write_sorted(&fresh, model.iter().map(|(k, v)| Ok((k, Some(v))))).unwrap();
                let dump = |t: &sled::Tree| -> Vec<_> {
                    t.iter()
                        .map(Result::unwrap)
                        .filter(|(k, _)| k.as_ref() != keys::DIRTY)
                        .collect()
                };
                assert_eq!(dump(&split), dump(&whole), "seed {seed} round {round}");
                assert_eq!(dump(&split), dump(&fresh), "seed {seed} round {round}");
            }
        }
    }
}
