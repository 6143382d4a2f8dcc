//! The order a sorted load inserts its entries in, so that sled's leaves
//! end up full and are written fewer times.
//!
//! sled 0.34 splits a leaf once it holds more than 16 entries (by count,
//! `Node::should_split`), keeping 9 on the left. Inserted in key order,
//! every leaf but the last is left with 9 entries, and each entry is
//! written about three times before it settles: as the delta that inserts
//! it, in the new right page of one split and in the rewritten left page
//! of the next.
//!
//! The order: the entries in runs of `LEAF`; each run's first `FIRST`,
//! then the rest of the run before it. A run's first entries fill the
//! last leaf until it splits where the run begins, leaving the run before
//! it alone in a leaf of 9; that run's rest then fills its leaf to 16
//! with deltas, without a split, while the leaf is still in sled's page
//! cache. Loading the rebuilt 1M cache's own 118 810 entries (108 MB)
//! into a fresh tree, sled alone: in key order 527-531 MB written, 1.25-
//! 1.28 s, a 197-199 MB file; in this order 348 MB, 0.68-0.74 s, 177 MB
//! (docs/PERFORMANCE.md, twenty-sixth session).

use super::ProjectError;
use std::collections::VecDeque;

/// sled's largest leaf, in entries: it splits one that holds more.
const LEAF: usize = 16;
/// The entries a split leaves on the left, where the next run begins.
const FIRST: usize = 9;

/// `entries`, in ascending key order, in the order to insert them into
/// a tree. Reordering them changes nothing in what the tree ends up
/// holding only while no key comes twice: a key that does not ascend
/// stops the load with an error. An error from `entries` is passed on as
/// soon as it is reached, and ends the stream: the entries held back (up
/// to 22) are dropped, as the load stops there, its cache left dirty.
pub fn filling_leaves(
    entries: impl Iterator<Item = Result<KeyValue, ProjectError>>,
) -> impl Iterator<Item = Result<KeyValue, ProjectError>> {
    FillingLeaves {
        entries,
        last: None,
        ready: VecDeque::with_capacity(LEAF),
        rest: Vec::new(),
        done: false,
    }
}

type KeyValue = (Vec<u8>, Vec<u8>);

struct FillingLeaves<I> {
    entries: I,
    /// The last key taken from `entries`.
    last: Option<Vec<u8>>,
    ready: VecDeque<KeyValue>,
    /// The last run's entries after its first `FIRST`, held back.
    rest: Vec<KeyValue>,
    done: bool,
}

impl<I> FillingLeaves<I>
where
    I: Iterator<Item = Result<KeyValue, ProjectError>>,
{
    /// The next entry of `entries`, checked to ascend; `None` at its end.
    fn take(&mut self) -> Option<Result<KeyValue, ProjectError>> {
        let (k, v) = match self.entries.next()? {
            Ok(kv) => kv,
            Err(e) => return Some(Err(e)),
        };
        match &mut self.last {
            Some(last) if *last >= k => {
                return Some(Err(ProjectError::Bulk(format!(
                    "key {:?} does not come after the one before it",
                    String::from_utf8_lossy(&k)
                ))))
            }
            Some(last) => {
                last.clear();
                last.extend_from_slice(&k);
            }
            None => self.last = Some(k.clone()),
        }
        Some(Ok((k, v)))
    }
}

impl<I> Iterator for FillingLeaves<I>
where
    I: Iterator<Item = Result<KeyValue, ProjectError>>,
{
    type Item = Result<KeyValue, ProjectError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.ready.pop_front() {
                return Some(Ok(e));
            }
            if self.done {
                return None;
            }
            let mut run = Vec::with_capacity(LEAF);
            while run.len() < LEAF {
                match self.take() {
                    Some(Ok(e)) => run.push(e),
                    Some(Err(e)) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                    None => {
                        self.done = true;
                        break;
                    }
                }
            }
            let rest = run.split_off(FIRST.min(run.len()));
            self.ready.extend(run);
            self.ready.extend(std::mem::replace(&mut self.rest, rest));
            if self.done {
                self.ready.extend(std::mem::take(&mut self.rest));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: usize) -> KeyValue {
        ((i as u32).to_be_bytes().to_vec(), vec![1])
    }

    fn order(n: usize) -> Vec<usize> {
        filling_leaves((0..n).map(|i| Ok(entry(i))))
            .map(|e| u32::from_be_bytes(e.unwrap().0.try_into().unwrap()) as usize)
            .collect()
    }

    /// Every entry comes out once, whatever the count against a run.
    #[test]
    fn every_entry_comes_out_once() {
        for n in [0, 1, 8, 9, 10, 15, 16, 17, 25, 31, 32, 33, 1000] {
            let mut got = order(n);
            got.sort_unstable();
            assert_eq!(got, (0..n).collect::<Vec<_>>(), "{n} entries");
        }
    }

    /// Each run's first 9, then the rest of the run before it.
    #[test]
    fn a_runs_rest_follows_the_next_runs_first_entries() {
        let run = |r: usize, from: usize, to: usize| 16 * r + from..16 * r + to;
        let mut want: Vec<usize> = run(0, 0, 9).collect();
        want.extend(run(1, 0, 9));
        want.extend(run(0, 9, 16));
        want.extend(run(2, 0, 9));
        want.extend(run(1, 9, 16));
        want.extend(run(2, 9, 16));
        assert_eq!(order(48), want);
        // A short last run: its first entries, the run before's rest,
        // then its own.
        let mut want: Vec<usize> = run(0, 0, 9).collect();
        want.extend(run(1, 0, 9));
        want.extend(run(0, 9, 16));
        want.extend(32..41);
        want.extend(run(1, 9, 16));
        want.extend(41..44);
        assert_eq!(order(44), want);
    }

    /// An error comes out in place of the run it falls in, and ends the
    /// stream.
    #[test]
    fn an_error_is_passed_on() {
        let entries = (0..40).map(|i| {
            if i == 20 {
                Err(ProjectError::Bulk("the sort failed".into()))
            } else {
                Ok(entry(i))
            }
        });
        let got: Vec<_> = filling_leaves(entries).collect();
        assert_eq!(
            got.len(),
            FIRST + 1,
            "the first run's first entries, then the error"
        );
        assert!(got[..FIRST].iter().all(Result::is_ok));
        assert!(matches!(got.last(), Some(Err(ProjectError::Bulk(m))) if m == "the sort failed"));
    }

    /// A key that comes twice, or out of order, would make the tree's
    /// content depend on the order of its inserts: it is refused.
    #[test]
    fn a_key_that_does_not_ascend_is_refused() {
        for (at, to) in [(30, 29), (31, 29), (300, 0)] {
            let entries = (0..400).map(|i| Ok(entry(if i == at { to } else { i })));
            let mut order = filling_leaves(entries);
            let err = order.by_ref().find_map(Result::err);
            assert!(
                matches!(&err, Some(ProjectError::Bulk(m)) if m.contains("does not come after")),
                "{at} -> {to}: {err:?}"
            );
            assert!(order.next().is_none(), "the stream ends at the error");
        }
    }
}
