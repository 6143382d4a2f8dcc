//! Running an iterator one thread ahead of its consumer: for passes whose
//! producing half (parsing lines, merging sorted runs) needs nothing the
//! consuming half holds, so that on two cores the two halves overlap.

use std::cell::Cell;
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

/// Items handed over at once: enough that the channel costs nothing per
/// item, few enough that the batches in flight stay small.
const BATCH: usize = 256;
/// Batches produced ahead of the consumer at most.
const DEPTH: usize = 4;

/// Calls `consume` with the items of `items`, in order, while a second
/// thread produces them at most `BATCH * DEPTH` items ahead. When `consume`
/// returns early, the producer stops at its next hand-over.
pub fn ahead<T, R>(
    items: impl Iterator<Item = T> + Send,
    consume: impl FnOnce(&mut dyn Iterator<Item = T>) -> R,
) -> R
where
    T: Send,
{
    ahead_by(DEPTH, items, consume)
}

/// `ahead`, producing at most `depth` batches ahead: for a consumer whose
/// pace comes in bursts longer than `DEPTH` batches take to produce.
pub fn ahead_by<T, R>(
    depth: usize,
    items: impl Iterator<Item = T> + Send,
    consume: impl FnOnce(&mut dyn Iterator<Item = T>) -> R,
) -> R
where
    T: Send,
{
    std::thread::scope(|s| {
        let (tx, rx) = sync_channel::<Vec<T>>(depth);
        let producer = s.spawn(move || {
            let mut items = items;
            let mut blocked = Duration::ZERO;
            loop {
                let batch: Vec<T> = items.by_ref().take(BATCH).collect();
                let last = batch.len() < BATCH;
                let t = Instant::now();
                if batch.is_empty() || tx.send(batch).is_err() || last {
                    return blocked;
                }
                blocked += t.elapsed();
            }
        });
        // How long each side waited for the other: which one bounds the pass.
        let waited = Cell::new(Duration::ZERO);
        let mut received = std::iter::from_fn(|| {
            let t = Instant::now();
            let batch = rx.recv().ok();
            waited.set(waited.get() + t.elapsed());
            batch
        })
        .flatten();
        let r = consume(&mut received);
        // Dropped before the scope waits for the producer, which may be
        // blocked handing over a batch no one will take.
        drop(received);
        drop(rx);
        let blocked = match producer.join() {
            Ok(blocked) => blocked,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        tracing::debug!(
            "ahead: consumer waited {:?} for items, producer {:?} for room",
            waited.get(),
            blocked
        );
        r
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn every_item_arrives_in_order() {
        for n in [0, 1, BATCH - 1, BATCH, BATCH + 1, BATCH * DEPTH * 3 + 7] {
            let got: Vec<usize> = ahead(0..n, |it| it.collect());
            assert_eq!(got, (0..n).collect::<Vec<_>>(), "{n} items");
        }
    }

    #[test]
    fn a_consumer_that_stops_early_stops_the_producer() {
        let produced = AtomicUsize::new(0);
        let total = BATCH * DEPTH * 100;
        let first: Vec<usize> = ahead(
            (0..total).inspect(|_| {
                produced.fetch_add(1, Ordering::Relaxed);
            }),
            |it| it.take(10).collect(),
        );
        assert_eq!(first, (0..10).collect::<Vec<_>>());
        // The batches in the channel, the one being sent, the one being
        // filled: nowhere near all of them.
        assert!(produced.load(Ordering::Relaxed) <= BATCH * (DEPTH + 3));
    }

    /// `ahead_by` lets the producer run `depth` batches ahead of a
    /// consumer that has stopped to do something else, and no further.
    #[test]
    fn a_deeper_queue_runs_that_many_batches_ahead_and_no_more() {
        let depth = 32;
        let produced = AtomicUsize::new(0);
        let total = BATCH * depth * 10;
        let reached = ahead_by(
            depth,
            (0..total).inspect(|_| {
                produced.fetch_add(1, Ordering::Relaxed);
            }),
            |it| {
                assert_eq!(it.next(), Some(0));
                let deadline = Instant::now() + Duration::from_secs(10);
                while produced.load(Ordering::Relaxed) < BATCH * depth && Instant::now() < deadline
                {
                    std::thread::sleep(Duration::from_millis(1));
                }
                // Time for any overshoot to show.
                std::thread::sleep(Duration::from_millis(20));
                produced.load(Ordering::Relaxed)
            },
        );
        assert!(reached >= BATCH * depth, "{reached} items produced");
        assert!(reached <= BATCH * (depth + 3), "{reached} items produced");
    }
}
