//! The id index as sled holds it. The fold, overlays and staged writes
//! see one logical key per claim, `c/<id>` -> the stem of its `g/` key;
//! the tree holds them in buckets, `c/<id[..2]>` -> every (id, stem) of
//! ids starting with those two bytes, in id order.
//!
//! Why: sled's write time, memory and disk follow its entry count, and
//! the id index was one entry per claim, half of all entries (at 1M
//! claims a bulk load wrote 2.03M entries; with buckets, about 1.07M).
//! A bucket is one read and one write per commit that touches it, and
//! holds about 15 ids at 1M claims.
//!
//! Every write to and read from the tree of a `c/<id>` key goes through
//! here: `write_sorted` (the writer thread, a bulk load), `get` (overlay
//! and cache reads), `with_prefix` (short ids).

use super::fold::{dec, enc};
use super::keys;
use super::ProjectError;
use crate::event::Hash32;

/// Bytes of the id that name its bucket.
const BUCKET_BYTES: usize = 2;
const ID_KEY_LEN: usize = keys::CLAIM.len() + 32;

/// Whether `key` is a logical id-index key, `c/<id>`.
pub(crate) fn is_id_key(key: &[u8]) -> bool {
    key.len() == ID_KEY_LEN && key.starts_with(keys::CLAIM)
}

/// The bucket key of logical key `c/<id>`: a prefix of it, so a bucket
/// sorts before each of its ids and after every id of the buckets before.
pub(crate) fn bucket_of(key: &[u8]) -> &[u8] {
    &key[..keys::CLAIM.len() + BUCKET_BYTES]
}

type Bucket = Vec<(Hash32, Vec<u8>)>;

fn read(tree: &sled::Tree, bucket: &[u8]) -> Result<Bucket, ProjectError> {
    match tree.get(bucket)? {
        Some(v) => dec(bucket, &v),
        None => Ok(Vec::new()),
    }
}

fn id_of(key: &[u8]) -> Hash32 {
    keys::trailing_id(key).expect("an id-index key ends with its id")
}

/// What the tree holds under logical key `c/<id>`.
pub(crate) fn get(tree: &sled::Tree, key: &[u8]) -> Result<Option<Vec<u8>>, ProjectError> {
    let id = id_of(key);
    let bucket = read(tree, bucket_of(key))?;
    Ok(bucket
        .binary_search_by(|(i, _)| i.cmp(&id))
        .ok()
        .map(|at| bucket[at].1.clone()))
}

/// The ids in the tree that start with `prefix` (at least two bytes).
pub(crate) fn with_prefix(tree: &sled::Tree, prefix: &[u8]) -> Result<Vec<Hash32>, ProjectError> {
    let Some(head) = prefix.get(..BUCKET_BYTES) else {
        return Ok(Vec::new());
    };
    let bucket = read(tree, &[keys::CLAIM, head].concat())?;
    Ok(bucket
        .into_iter()
        .map(|(id, _)| id)
        .filter(|id| id.0.starts_with(prefix))
        .collect())
}

/// Writes `writes` (logical keys in ascending order; `None` removes) to
/// the tree: id-index keys bucket by bucket, one read and one write each,
/// everything else as it is.
pub(crate) fn write_sorted<K, V>(
    tree: &sled::Tree,
    writes: impl Iterator<Item = Result<(K, Option<V>), ProjectError>>,
) -> Result<(), ProjectError>
where
    K: AsRef<[u8]>,
    V: AsRef<[u8]>,
{
    // The bucket being filled: its key, what it holds, whether it changed.
    let mut open: Option<(Vec<u8>, Bucket)> = None;
    for w in writes {
        let (k, v) = w?;
        let k = k.as_ref();
        if !is_id_key(k) {
            if let Some((key, bucket)) = open.take() {
                store(tree, &key, &bucket)?;
            }
            match v {
                Some(v) => tree.insert(k, v.as_ref())?,
                None => tree.remove(k)?,
            };
            continue;
        }
        if open
            .as_ref()
            .is_none_or(|(key, _)| key[..] != *bucket_of(k))
        {
            if let Some((key, bucket)) = open.take() {
                store(tree, &key, &bucket)?;
            }
            let key = bucket_of(k).to_vec();
            let bucket = read(tree, &key)?;
            open = Some((key, bucket));
        }
        let (_, bucket) = open.as_mut().expect("opened above");
        let id = id_of(k);
        match (bucket.binary_search_by(|(i, _)| i.cmp(&id)), v) {
            (Ok(at), Some(v)) => bucket[at].1 = v.as_ref().to_vec(),
            (Ok(at), None) => {
                bucket.remove(at);
            }
            (Err(at), Some(v)) => bucket.insert(at, (id, v.as_ref().to_vec())),
            (Err(_), None) => {}
        }
    }
    if let Some((key, bucket)) = open {
        store(tree, &key, &bucket)?;
    }
    Ok(())
}

fn store(tree: &sled::Tree, key: &[u8], bucket: &Bucket) -> Result<(), ProjectError> {
    if bucket.is_empty() {
        tree.remove(key)?;
    } else {
        tree.insert(key, enc(bucket))?;
    }
    Ok(())
}
