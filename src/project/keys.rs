//! Key layout of the cache tree. One tree, prefixes by kind, big-endian
//! numbers so that byte order is numeric order.

use crate::event::Hash32;

pub const VERSION: &[u8] = b"!version";
pub const CHECKPOINT: &[u8] = b"!checkpoint";
pub const GENESIS: &[u8] = b"!genesis";
/// Present while a large batch is being written in parts: the cache holds
/// records the log has not acknowledged yet. A cache found dirty on open is
/// rebuilt.
pub const DIRTY: &[u8] = b"!dirty";

pub const CLAIM: &[u8] = b"c/";
pub const SOURCE: &[u8] = b"S/";
pub const BY_METRIC: &[u8] = b"m/";
pub const DUPLICATE: &[u8] = b"d/";
pub const SEQ: &[u8] = b"q/";
pub const COUNT: &[u8] = b"k/";

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

pub fn claim(id: &Hash32) -> Vec<u8> {
    cat(&[CLAIM, &id.0])
}
pub fn source(id: &str) -> Vec<u8> {
    cat(&[SOURCE, id.as_bytes()])
}
/// `m/<metric>\0<claim id>`: slugs never contain NUL, so prefixes do not collide.
pub fn by_metric(metric: &str, id: &Hash32) -> Vec<u8> {
    cat(&[BY_METRIC, metric.as_bytes(), b"\0", &id.0])
}
pub fn by_metric_prefix(metric: &str) -> Vec<u8> {
    cat(&[BY_METRIC, metric.as_bytes(), b"\0"])
}
pub fn duplicate(content: &Hash32) -> Vec<u8> {
    cat(&[DUPLICATE, &content.0])
}
pub fn seq(seq: u64) -> Vec<u8> {
    cat(&[SEQ, &seq.to_be_bytes()])
}
pub fn count(kind: &str) -> Vec<u8> {
    cat(&[COUNT, kind.as_bytes()])
}

/// The id stored at the end of an index key.
pub fn trailing_id(key: &[u8]) -> Option<Hash32> {
    let tail = key.get(key.len().checked_sub(32)?..)?;
    let mut h = [0u8; 32];
    h.copy_from_slice(tail);
    Some(Hash32(h))
}
