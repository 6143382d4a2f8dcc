//! Range reads over sled trees that let sled's page cache evict what they
//! have read.
//!
//! sled 0.34's iterator reads a leaf once, keeps its own copy, and records
//! one access to it in the page cache's LRU. That LRU has 256 shards (a
//! page's shard is its id modulo 256) and a shard weighs its queued
//! accesses, and evicts, only once 64 have queued. A scan that touches
//! each leaf once therefore keeps up to 256 × 64 leaves resident before
//! the first eviction, whatever the configured capacity: reading the
//! whole 3M-claim cache in order peaked at 183 MB (raw sled, 16 MiB
//! capacity or 1 MiB alike), and export's memo fill, which reads every
//! claim group once, added 40 MB to export at 3M (docs/PERFORMANCE.md,
//! twenty-fifth session). A point read of each entry the iterator yields
//! records one more access to its leaf (and to the index nodes above it),
//! so the shards reach their 64 soon and evict as they should: the same
//! scan then peaked at 43 MB, for about a tenth more time.

use sled::{IVec, Tree};

/// Reads `key`, just inserted into `tree`, back `READS_AFTER_INSERT` times,
/// for the same reason: an insert records one access to its leaf, about
/// 16 a leaf in a sorted load, so the shards lag behind the leaves the
/// load builds. Three reads more an insert brought verify-snapshot at 1M
/// from 66.5-80.8 to 57.7-61.1 MB, and at 3M from 79.9 to 70.0 MB, in the
/// same time; import at 1M from 39.9-51.8 to 34.9-42.6 MB, for about 3 %
/// more time (alternated runs, twenty-fifth session). One read gave
/// 65.1-67.4 MB.
pub(crate) fn weigh_inserted(tree: &Tree, key: &[u8]) -> sled::Result<()> {
    for _ in 0..READS_AFTER_INSERT {
        tree.get(key)?;
    }
    Ok(())
}

const READS_AFTER_INSERT: usize = 3;

/// `tree`'s entries from `iter`, each also read with `get` for the
/// page cache's sake (see the module comment). A failed read is yielded
/// as the entry's error.
pub(crate) fn evicting(
    tree: &Tree,
    iter: impl Iterator<Item = sled::Result<(IVec, IVec)>>,
) -> impl Iterator<Item = sled::Result<(IVec, IVec)>> {
    let tree = tree.clone();
    iter.map(move |kv| {
        let (k, v) = kv?;
        tree.get(&k)?;
        Ok((k, v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The point reads change nothing in what a scan yields, forwards or
    /// backwards, over more entries than one leaf holds.
    #[test]
    fn evicting_yields_what_the_iterator_yields() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree("t").unwrap();
        for i in 0u32..500 {
            tree.insert(i.to_be_bytes(), &i.to_le_bytes()[..]).unwrap();
        }
        let plain: Vec<_> = tree.iter().map(Result::unwrap).collect();
        let read: Vec<_> = evicting(&tree, tree.iter()).map(Result::unwrap).collect();
        assert_eq!(read, plain);
        let back: Vec<_> = evicting(&tree, tree.range(10u32.to_be_bytes()..).rev())
            .map(Result::unwrap)
            .collect();
        assert_eq!(back.len(), 490);
        assert_eq!(back.first().unwrap().0.as_ref(), 499u32.to_be_bytes());
    }
}
