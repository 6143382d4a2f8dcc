//! The order a sorted load inserts its entries in, so that sled's leaves
//! end up full and are written fewer times.
//!
//! sled 0.34 splits a leaf once it holds more than 16 entries (by count,
//! `Node::should_split`), keeping 9 on the left. Inserted in key order,
//! every leaf but the last is left with 9 entries, and each entry is
//! written about three times before it settles: as the delta that inserts
//! it, in the new right page of one split and in the rewritten left page
//! of the next. Loading the rebuilt 1M cache's own 118 810 entries
//! (108 MB) into a fresh tree in key order wrote 530 MB and took
//! 1.23-1.28 s; in the order below, 383-399 MB in 0.77-0.84 s, and
//! sled's file came out at 176-179 MB instead of 197 MB
//! (docs/PERFORMANCE.md, twenty-sixth session).
//!
//! The order: in each window of `WINDOW` entries, taken in key order, the
//! first `FIRST` of every `LEAF` go in first, then the rest. The first
//! pass leaves a leaf per run of `LEAF` entries (splits fall where the
//! runs begin) holding its first `FIRST`; the second fills each leaf to
//! 16 with deltas, without a split.

use super::ProjectError;

/// sled's largest leaf, in entries: it splits one that holds more.
const LEAF: usize = 16;
/// The entries a split leaves on the left, where the next run begins.
const FIRST: usize = 9;
/// Entries held back at a time: up to 256 claim groups of about 2 KB.
/// Windows of 64, 256, 1024 and 4096 loaded the 1M cache alike in time
/// (0.77-0.92 s); the file shrank from 185 MB to 170 MB with the window.
const WINDOW: usize = 256;

/// `entries`, in ascending key order, in the order to insert them into
/// a tree. Reordering them changes nothing in what the tree ends up
/// holding only while no key comes twice: a key that does not ascend
/// stops the load with an error. An error from `entries` is passed on at
/// once, dropping what the window held (the load stops there anyway).
pub(crate) fn filling_leaves(
    entries: impl Iterator<Item = Result<KeyValue, ProjectError>>,
) -> impl Iterator<Item = Result<KeyValue, ProjectError>> {
    FillingLeaves {
        entries,
        last: None,
        ready: Vec::new().into_iter().chain(Vec::new()),
    }
}

type KeyValue = (Vec<u8>, Vec<u8>);

struct FillingLeaves<I> {
    entries: I,
    /// The last key taken from `entries`.
    last: Option<Vec<u8>>,
    ready: std::iter::Chain<std::vec::IntoIter<KeyValue>, std::vec::IntoIter<KeyValue>>,
}

impl<I> Iterator for FillingLeaves<I>
where
    I: Iterator<Item = Result<KeyValue, ProjectError>>,
{
    type Item = Result<KeyValue, ProjectError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.ready.next() {
            return Some(Ok(e));
        }
        let mut first = Vec::with_capacity(WINDOW / LEAF * FIRST);
        let mut then = Vec::with_capacity(WINDOW - WINDOW / LEAF * FIRST);
        for i in 0..WINDOW {
            let (k, v) = match self.entries.next() {
                None => break,
                Some(Err(e)) => return Some(Err(e)),
                Some(Ok(kv)) => kv,
            };
            if self.last.as_ref().is_some_and(|last| *last >= k) {
                return Some(Err(ProjectError::Bulk(format!(
                    "key {:?} does not come after the one before it",
                    String::from_utf8_lossy(&k)
                ))));
            }
            self.last = Some(k.clone());
            if i % LEAF < FIRST {
                first.push((k, v));
            } else {
                then.push((k, v));
            }
        }
        self.ready = first.into_iter().chain(then);
        self.ready.next().map(Ok)
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

    /// Every entry comes out once, whatever the count against the window.
    #[test]
    fn every_entry_comes_out_once() {
        for n in [0, 1, 9, 10, 16, 17, 255, 256, 257, 1000] {
            let mut got = order(n);
            got.sort_unstable();
            assert_eq!(got, (0..n).collect::<Vec<_>>(), "{n} entries");
        }
    }

    /// The first 9 of every 16 in a window, then the other 7 of each.
    #[test]
    fn a_window_gives_each_leafs_first_entries_first() {
        let got = order(WINDOW + 3);
        let first: Vec<usize> = (0..WINDOW).filter(|i| i % LEAF < FIRST).collect();
        let then: Vec<usize> = (0..WINDOW).filter(|i| i % LEAF >= FIRST).collect();
        assert_eq!(&got[..first.len()], &first[..]);
        assert_eq!(&got[first.len()..WINDOW], &then[..]);
        assert_eq!(&got[WINDOW..], &[WINDOW, WINDOW + 1, WINDOW + 2]);
    }

    /// An error comes out before anything the window held.
    #[test]
    fn an_error_is_passed_on() {
        let entries = (0..40).map(|i| {
            if i == 20 {
                Err(ProjectError::Bulk("the sort failed".into()))
            } else {
                Ok(entry(i))
            }
        });
        let first = filling_leaves(entries).next().unwrap();
        assert!(matches!(first, Err(ProjectError::Bulk(m)) if m == "the sort failed"));
    }

    /// A key that comes twice, or out of order, would make the tree's
    /// content depend on the order of its inserts: it is refused.
    #[test]
    fn a_key_that_does_not_ascend_is_refused() {
        for (at, to) in [(30, 29), (31, 29), (300, 0)] {
            let entries = (0..400).map(|i| Ok(entry(if i == at { to } else { i })));
            let err = filling_leaves(entries).find_map(Result::err);
            assert!(
                matches!(&err, Some(ProjectError::Bulk(m)) if m.contains("does not come after")),
                "{at} -> {to}: {err:?}"
            );
        }
    }
}
