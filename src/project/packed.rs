//! The per-claim keys as sled holds them. The fold, overlays and staged
//! writes see one logical key per claim for each of two indexes (the
//! *families*):
//!
//! - `c/<id[..8]><seq>` -> where the claim's record starts in the log
//!   (the id index; keys.rs);
//! - `g/<metric>\0<breakdown>\0<scope part><content[..8]><id>` -> the
//!   claim's entry (keys.rs).
//!
//! The tree holds them packed in groups: one tree entry holds a run of
//! consecutive logical keys of one family, as a sorted list of (bytes
//! shared with the group's key, the rest of the key, value). Where a group
//! starts is decided by the keys alone: a key whose id (a blake3 hash:
//! the last 32 bytes of a `g/` key, the 8 bytes after `c/` of an id key)
//! ends in `boundary_bits` zero bits is a *boundary* and starts a group
//! keyed by itself; the keys before a family's first boundary are in its
//! *head* group, keyed by the family's prefix. So a group holds on
//! average 16 claim keys or 32 id keys,
//! however many claims share a day or a period, and the same set of keys
//! is always packed the same way, whatever order it was written in: a
//! rebuilt cache has the same bytes as the one it replaces.
//!
//! Why: sled's write time, memory and disk follow its entry count more
//! than its bytes. At 1M claims a bulk load wrote 1.1M entries, 7-8 s of
//! sled writes; a raw sled tree takes the same bytes as 200 000 entries of
//! 1.4 KB in a third of the time (docs/PERFORMANCE.md). Groups stay
//! small (about 1 KB as stored; claim entries are compressed:
//! `compressed`) because sled keeps sixteen entries to a leaf, writes a
//! leaf over 128 KB as a file of its own, and rewrites a group and, every
//! tenth time, its leaf on every single append. Groups keyed by a fixed part of the
//! key (its scope part, say) would grow with the claims that share it, and
//! every append to one would rewrite it whole.
//!
//! A logical key is in the group with the greatest key at or before it in
//! its family, so a range of logical keys is a range of groups, starting at
//! the group that holds the range's start.
//!
//! Every read and write of these keys in the tree goes through here:
//! `write_sorted` (the writer thread, a bulk load), `get` (overlay and
//! cache reads), `id_keys_under` (id lookups), `range` and `scan_prefix`
//! (cache scans, short ids), `split_point` (where the writer may cut a
//! job in two).

use super::fold::{dec, enc};
use super::keys;
use super::scan::evicting;
use super::ProjectError;
use std::ops::Bound;

const ID_KEY_LEN: usize = keys::CLAIM.len() + keys::ID_PREFIX + 8;
/// What follows a claim key's scope part: 8 bytes of content hash, the id.
const CLAIM_SUFFIX: usize = keys::CONTENT_BYTES + 32;

/// Members of a group: (bytes shared with the group key, rest of the key,
/// value).
type Stored = Vec<(u32, Vec<u8>, Vec<u8>)>;
/// `Stored` read in place, borrowing from the group's value.
type StoredRef<'a> = Vec<(u32, &'a [u8], &'a [u8])>;
/// A group in memory: whole logical keys and their values, in key order.
type Members = Vec<(Vec<u8>, Vec<u8>)>;
/// A logical key and its value, or why it could not be read.
type Entry = Result<(Vec<u8>, Vec<u8>), ProjectError>;

/// The family of `key` if it is a packed key (an id key or a whole `g/`
/// claim key), else `None`: it is stored as it is.
pub(crate) fn family(key: &[u8]) -> Option<&'static [u8]> {
    if key.len() == ID_KEY_LEN && key.starts_with(keys::CLAIM) {
        return Some(keys::CLAIM);
    }
    let end = claim_scope_end(key)?;
    (key.len() == end + CLAIM_SUFFIX).then_some(keys::BY_SCOPE)
}

/// Where the scope part of `g/` key `key` ends: after the metric and the
/// breakdown (each ended by a zero byte; both are slugs, which hold none)
/// and the scope part, whose first byte names its kind (keys.rs).
fn claim_scope_end(key: &[u8]) -> Option<usize> {
    let rest = key.strip_prefix(keys::BY_SCOPE)?;
    let metric_end = rest.iter().position(|b| *b == 0)?;
    let breakdown_end = metric_end + 1 + rest[metric_end + 1..].iter().position(|b| *b == 0)?;
    let kind_at = keys::BY_SCOPE.len() + breakdown_end + 1;
    let scope_len = match key.get(kind_at)? {
        b'e' | b'f' | b'p' | b'c' => 9,
        _ => 1,
    };
    Some(kind_at + scope_len)
}

/// Low bits of a claim key's id that must be zero for it to start a
/// group: about 16 keys a group, some 1.2 KB of claim entries (2 KB
/// before compression). Measured at 1M (docs/PERFORMANCE.md, sixteenth
/// session): a freshly loaded cache took 245, 229 and 212 MB with groups
/// of 8, 16 and 32, but every single append rewrites its two groups, and
/// sled their leaves (16 groups) every tenth time, which it does not
/// reclaim soon: 18 000 appends grew it by 71-96 MB with groups of 16 and
/// 137-180 MB with groups of 32.
const BOUNDARY_BITS: u32 = 4;
/// The same for id keys, whose members (about 20 bytes) are a quarter of a
/// claim's: 32 of them, some 0.6 KB, as 16 were before id keys held only
/// 8 bytes of the id. sled's cost follows its entries more than their
/// bytes, so fewer groups is what makes the shorter keys pay.
const ID_BOUNDARY_BITS: u32 = 5;

/// Whether packed key `key` of family `family` starts a group.
fn is_boundary(family: &[u8], key: &[u8]) -> bool {
    let (byte, bits) = if family == keys::CLAIM {
        (
            key.get(keys::CLAIM.len() + keys::ID_PREFIX - 1),
            ID_BOUNDARY_BITS,
        )
    } else {
        (key.last(), BOUNDARY_BITS)
    };
    let mask = (1u8 << bits) - 1;
    byte.is_some_and(|b| b & mask == 0)
}

/// Whether tree key `key` is a group (of either family).
fn is_group(key: &[u8]) -> bool {
    key.starts_with(keys::CLAIM) || key.starts_with(keys::BY_SCOPE)
}

fn shared_len(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Bytes a compressed group may unpack to: far above any group (about 2
/// KB, 16 claims), so that a damaged length cannot ask for gigabytes.
const MAX_UNPACKED: usize = 64 << 20;

/// Whether groups of the family of group key `group` are compressed:
/// claim entries are (lz4: a group's claims share a metric and nearby
/// days, and often a source, a speaker, a label and the time they were
/// recorded, 0.66 of their bytes at 1M); ids and positions are not (1.00).
fn compressed(group: &[u8]) -> bool {
    group.starts_with(keys::BY_SCOPE)
}

/// A group's members as `encode` stored them: its value, uncompressed.
fn unpacked<'a>(group: &[u8], value: &'a [u8]) -> Result<std::borrow::Cow<'a, [u8]>, ProjectError> {
    if !compressed(group) {
        return Ok(std::borrow::Cow::Borrowed(value));
    }
    let bad = |reason: String| ProjectError::BadValue {
        key: String::from_utf8_lossy(group).into_owned(),
        reason,
    };
    let (len, body) = value
        .split_first_chunk::<4>()
        .ok_or_else(|| bad("a compressed group has no length".into()))?;
    let len = usize::try_from(u32::from_le_bytes(*len)).unwrap_or(usize::MAX);
    if len > MAX_UNPACKED {
        return Err(bad(format!("a compressed group says it holds {len} bytes")));
    }
    let out = lz4_flex::block::decompress(body, len).map_err(|e| bad(e.to_string()))?;
    if out.len() != len {
        return Err(bad("a compressed group is shorter than it says".into()));
    }
    Ok(std::borrow::Cow::Owned(out))
}

fn decode(group: &[u8], value: &[u8]) -> Result<Members, ProjectError> {
    let stored: Stored = dec(group, &unpacked(group, value)?)?;
    stored
        .into_iter()
        .map(|(shared, rest, v)| {
            let shared = usize::try_from(shared).unwrap_or(usize::MAX);
            let head = group.get(..shared).ok_or_else(|| ProjectError::BadValue {
                key: String::from_utf8_lossy(group).into_owned(),
                reason: "a member shares more bytes than the group key has".into(),
            })?;
            Ok(([head, &rest[..]].concat(), v))
        })
        .collect()
}

fn encode(group: &[u8], members: &Members) -> Vec<u8> {
    let stored: Stored = members
        .iter()
        .map(|(k, v)| {
            let shared = shared_len(group, k);
            (shared as u32, k[shared..].to_vec(), v.clone())
        })
        .collect();
    let bytes = enc(&stored);
    if compressed(group) {
        lz4_flex::block::compress_prepend_size(&bytes)
    } else {
        bytes
    }
}

/// The last group whose key is within `from..to`, as the tree holds it.
fn last_group(
    tree: &sled::Tree,
    from: Bound<&[u8]>,
    to: Bound<&[u8]>,
) -> Result<Option<(sled::IVec, sled::IVec)>, ProjectError> {
    Ok(tree.range::<&[u8], _>((from, to)).next_back().transpose()?)
}

/// The group at or before `key` in `family`, decoded.
fn covering(
    tree: &sled::Tree,
    family: &'static [u8],
    key: &[u8],
) -> Result<Option<(Vec<u8>, Members)>, ProjectError> {
    decoded(last_group(
        tree,
        Bound::Included(family),
        Bound::Included(key),
    )?)
}

fn decoded(
    found: Option<(sled::IVec, sled::IVec)>,
) -> Result<Option<(Vec<u8>, Members)>, ProjectError> {
    found
        .map(|(g, v)| Ok((g.to_vec(), decode(&g, &v)?)))
        .transpose()
}

/// What the tree holds under `key`, packed or not.
pub(crate) fn get(tree: &sled::Tree, key: &[u8]) -> Result<Option<Vec<u8>>, ProjectError> {
    let Some(f) = family(key) else {
        return Ok(tree.get(key)?.map(|v| v.to_vec()));
    };
    let Some((group, value)) = last_group(tree, Bound::Included(f), Bound::Included(key))? else {
        return Ok(None);
    };
    member(&group, &value, key)
}

/// The value of member `key` of group `group` (stored as `value`), read
/// in place: a lookup (each single append makes a few) decodes no other
/// member and copies only the value it returns.
fn member(group: &[u8], value: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>, ProjectError> {
    let value = unpacked(group, value)?;
    let (stored, _): (StoredRef, usize) =
        bincode::borrow_decode_from_slice(&value, bincode::config::standard()).map_err(|e| {
            ProjectError::BadValue {
                key: String::from_utf8_lossy(group).into_owned(),
                reason: e.to_string(),
            }
        })?;
    // As `decode` does, refuse a group with any member that claims more
    // shared bytes than the group key has.
    if stored
        .iter()
        .any(|(shared, _, _)| usize::try_from(*shared).map_or(true, |n| n > group.len()))
    {
        return Err(ProjectError::BadValue {
            key: String::from_utf8_lossy(group).into_owned(),
            reason: "a member shares more bytes than the group key has".into(),
        });
    }
    let found = stored.binary_search_by(|(shared, rest, _)| {
        let head = &group[..*shared as usize];
        head.iter().chain(rest.iter()).cmp(key.iter())
    });
    Ok(found.ok().map(|at| stored[at].2.to_vec()))
}

/// The logical entries with keys in `from..to` (no end if `None`), in key
/// order, packed ones unpacked.
pub(crate) fn range(
    tree: &sled::Tree,
    from: Vec<u8>,
    to: Option<Vec<u8>>,
) -> impl Iterator<Item = Entry> {
    let start = group_start(tree, &from);
    let physical = match &to {
        Some(to) => tree.range(start..to.clone()),
        None => tree.range(start..),
    };
    evicting(tree, physical).flat_map(move |kv| {
        entries_within(kv, |k| {
            k >= &from[..] && to.as_ref().is_none_or(|t| k < &t[..])
        })
    })
}

/// The logical entries with keys in `from..to`, in reverse key order: the
/// groups of `range` read from the last, each one's members backwards.
pub(crate) fn range_rev(
    tree: &sled::Tree,
    from: Vec<u8>,
    to: Vec<u8>,
) -> impl Iterator<Item = Entry> {
    let start = group_start(tree, &from);
    evicting(tree, tree.range(start..to.clone()).rev()).flat_map(move |kv| {
        let mut out = entries_within(kv, |k| k >= &from[..] && k < &to[..]);
        out.reverse();
        out
    })
}

/// Where the tree entries holding logical keys from `from` on start: the
/// group holding `from` may start before it.
fn group_start(tree: &sled::Tree, from: &[u8]) -> Vec<u8> {
    match tree.range(..=from).next_back() {
        Some(Ok((k, _))) if is_group(&k) => k.to_vec(),
        _ => from.to_vec(),
    }
}

/// The logical entries of tree entry `kv` (a group's members, or a key
/// stored as it is) whose keys are `within`, in key order.
fn entries_within(
    kv: Result<(sled::IVec, sled::IVec), sled::Error>,
    within: impl Fn(&[u8]) -> bool,
) -> Vec<Entry> {
    match kv {
        Err(e) => vec![Err(e.into())],
        Ok((k, v)) if !is_group(&k) => {
            if within(&k) {
                vec![Ok((k.to_vec(), v.to_vec()))]
            } else {
                Vec::new()
            }
        }
        Ok((k, v)) => match decode(&k, &v) {
            Err(e) => vec![Err(e)],
            Ok(members) => members
                .into_iter()
                .filter(|(key, _)| within(key))
                .map(Ok)
                .collect(),
        },
    }
}

/// The logical entries whose keys start with `prefix`.
pub(crate) fn scan_prefix(tree: &sled::Tree, prefix: Vec<u8>) -> impl Iterator<Item = Entry> {
    let end = keys::prefix_end(&prefix);
    range(tree, prefix, end)
}

/// The id keys that start with `prefix` (`c/` and an id's first
/// `keys::ID_PREFIX` bytes), each read in one tree read, as `get` reads a
/// key: a scan forward over the groups (`scan_prefix`) can miss a member
/// that moves back into an earlier group (a boundary before it removed)
/// while the scan is between the two. Keys that share those bytes share
/// their boundary decision (`is_boundary`): either each is a group key of
/// its own, read as it is, or none is, and all lie in the one group
/// before the prefix.
pub(crate) fn id_keys_under(tree: &sled::Tree, prefix: &[u8]) -> Result<Members, ProjectError> {
    let end = keys::prefix_end(prefix);
    let upper = end.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
    let groups: Vec<(sled::IVec, sled::IVec)> = if is_boundary(keys::CLAIM, prefix) {
        tree.range::<&[u8], _>((Bound::Included(prefix), upper))
            .collect::<Result<_, _>>()?
    } else {
        last_group(tree, Bound::Included(keys::CLAIM), upper)?
            .into_iter()
            .collect()
    };
    let mut out = Members::new();
    for (group, value) in groups {
        out.extend(
            decode(&group, &value)?
                .into_iter()
                .filter(|(k, _)| k.starts_with(prefix)),
        );
    }
    Ok(out)
}

/// The group being written: its key, its members, and the first group
/// key after it in the tree (its members end before that).
struct Open {
    family: &'static [u8],
    key: Vec<u8>,
    members: Members,
    /// The first group key after `key` in the family (`Some(None)`: none),
    /// looked up only when a later write might be in this group: most
    /// groups a single append opens get one write.
    next: Option<Option<Vec<u8>>>,
    /// Whether the tree holds a group under `key` now.
    stored: bool,
}

impl Open {
    /// The group `found` in the tree, or if none, `family`'s head group.
    fn at(family: &'static [u8], found: Option<(Vec<u8>, Members)>) -> Open {
        let stored = found.is_some();
        let (key, members) = found.unwrap_or_else(|| (family.to_vec(), Vec::new()));
        Open {
            family,
            key,
            members,
            next: None,
            stored,
        }
    }

    fn holds(
        &mut self,
        tree: &sled::Tree,
        family: &[u8],
        key: &[u8],
    ) -> Result<bool, ProjectError> {
        if self.family != family || key < &self.key[..] {
            return Ok(false);
        }
        if self.next.is_none() {
            self.next = Some(next_group(tree, self.family, &self.key)?);
        }
        Ok(self.next.iter().flatten().all(|n| key < &n[..]))
    }

    /// Writes the group as it now is (removes it if it holds nothing).
    fn store(&mut self, tree: &sled::Tree) -> Result<(), ProjectError> {
        if self.members.is_empty() {
            if self.stored {
                tree.remove(&self.key)?;
            }
            self.stored = false;
        } else {
            tree.insert(&self.key[..], encode(&self.key, &self.members))?;
            self.stored = true;
        }
        Ok(())
    }

    fn close(mut self, tree: &sled::Tree) -> Result<(), ProjectError> {
        self.store(tree)
    }
}

/// The first group key after `key` in `family`.
fn next_group(
    tree: &sled::Tree,
    family: &[u8],
    key: &[u8],
) -> Result<Option<Vec<u8>>, ProjectError> {
    match tree
        .range::<&[u8], _>((Bound::Excluded(key), Bound::Unbounded))
        .next()
    {
        Some(kv) => {
            let (k, _) = kv?;
            Ok(k.starts_with(family).then(|| k.to_vec()))
        }
        None => Ok(None),
    }
}

/// Opens the group that holds `key` in `family` (its head group if no
/// group is at or before it).
fn open_for(tree: &sled::Tree, family: &'static [u8], key: &[u8]) -> Result<Open, ProjectError> {
    Ok(Open::at(family, covering(tree, family, key)?))
}

/// Writes `writes` (logical keys in ascending order; `None` removes) to
/// the tree: packed keys group by group, one read and one write each,
/// everything else as it is. A load into a tree without claims packs its
/// groups without reading any: `pack_fresh`.
pub(crate) fn write_sorted<K, V>(
    tree: &sled::Tree,
    writes: impl Iterator<Item = Result<(K, Option<V>), ProjectError>>,
) -> Result<(), ProjectError>
where
    K: AsRef<[u8]>,
    V: AsRef<[u8]>,
{
    let mut open: Option<Open> = None;
    for w in writes {
        let (k, v) = w?;
        let k = k.as_ref();
        let Some(f) = family(k) else {
            if is_group(k) {
                // Stored as it is, it would be read back as a group.
                return Err(ProjectError::BadValue {
                    key: String::from_utf8_lossy(k).into_owned(),
                    reason: "not a whole id or claim key".into(),
                });
            }
            if let Some(o) = open.take() {
                o.close(tree)?;
            }
            match v {
                Some(v) => tree.insert(k, v.as_ref())?,
                None => tree.remove(k)?,
            };
            continue;
        };
        let mut o = match open.take() {
            Some(mut o) => {
                if o.holds(tree, f, k)? {
                    o
                } else {
                    o.close(tree)?;
                    open_for(tree, f, k)?
                }
            }
            None => open_for(tree, f, k)?,
        };
        let boundary = is_boundary(f, k);
        match v {
            Some(v) if boundary && o.key != k => {
                // `k` starts a group: the members from it on move there.
                // The fold reads the tree while the writer thread writes
                // it: members are written where they go before they leave
                // where they were, so no reader misses one.
                let at = o.members.partition_point(|(m, _)| m[..] < *k);
                let mut moved = o.members.split_off(at);
                let next = o.next.replace(Some(k.to_vec()));
                let moving = !moved.is_empty();
                match moved.first_mut() {
                    Some((m, val)) if m[..] == *k => *val = v.as_ref().to_vec(),
                    _ => moved.insert(0, (k.to_vec(), v.as_ref().to_vec())),
                }
                let mut group = Open {
                    family: f,
                    key: k.to_vec(),
                    members: moved,
                    next,
                    stored: false,
                };
                if moving {
                    group.store(tree)?;
                }
                o.close(tree)?;
                o = group;
            }
            Some(v) => match o.members.binary_search_by(|(m, _)| m[..].cmp(k)) {
                Ok(at) => o.members[at].1 = v.as_ref().to_vec(),
                Err(at) => o.members.insert(at, (k.to_vec(), v.as_ref().to_vec())),
            },
            None if boundary && o.key == k => {
                // Its group ends: what is left joins the group before,
                // which is written first (as above).
                let rest: Members = std::mem::take(&mut o.members)
                    .into_iter()
                    .filter(|(m, _)| m[..] != *k)
                    .collect();
                let before = last_group(tree, Bound::Included(f), Bound::Excluded(k))?;
                let mut group = Open::at(f, decoded(before)?);
                group.members.extend(rest);
                group.next = o.next.take();
                group.store(tree)?;
                o.close(tree)?;
                o = group;
            }
            None => {
                if let Ok(at) = o.members.binary_search_by(|(m, _)| m[..].cmp(k)) {
                    o.members.remove(at);
                }
            }
        }
        open = Some(o);
    }
    if let Some(o) = open {
        o.close(tree)?;
    }
    Ok(())
}

/// What `write_sorted` writes into a tree without packed keys, as tree
/// entries in the order it writes them, made from `entries` (logical keys
/// in ascending order) without reading the tree: a packed key joins the open group of its family, a
/// boundary starts the next group, and anything else closes the open
/// group and is written as it is.
///
/// Why: a bulk load into an empty cache packs its groups on the thread
/// that merges the sort's runs, which waited for the thread writing sled
/// for about half of the load; packing was about a third of the writing
/// thread's work.
pub(crate) fn pack_fresh(entries: impl Iterator<Item = Entry>) -> impl Iterator<Item = Entry> {
    Packer {
        entries,
        open: None,
        out: std::collections::VecDeque::new(),
        failed: false,
    }
}

struct Packer<I> {
    entries: I,
    /// The group being filled: its family, key and members.
    open: Option<(&'static [u8], Vec<u8>, Members)>,
    /// Tree entries ready to go, in order.
    out: std::collections::VecDeque<Entry>,
    failed: bool,
}

impl<I> Packer<I> {
    fn close(&mut self) {
        if let Some((_, key, members)) = self.open.take() {
            if !members.is_empty() {
                let value = encode(&key, &members);
                self.out.push_back(Ok((key, value)));
            }
        }
    }
}

impl<I: Iterator<Item = Entry>> Iterator for Packer<I> {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        while self.out.is_empty() && !self.failed {
            let Some(entry) = self.entries.next() else {
                self.close();
                break;
            };
            let (k, v) = match entry {
                Ok(kv) => kv,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            };
            let Some(f) = family(&k) else {
                if is_group(&k) {
                    self.failed = true;
                    return Some(Err(ProjectError::BadValue {
                        key: String::from_utf8_lossy(&k).into_owned(),
                        reason: "not a whole id or claim key".into(),
                    }));
                }
                self.close();
                self.out.push_back(Ok((k, v)));
                continue;
            };
            let boundary = is_boundary(f, &k);
            match self.open.as_mut() {
                Some((of, _, members)) if *of == f && !boundary => members.push((k, v)),
                _ => {
                    self.close();
                    let key = if boundary { k.clone() } else { f.to_vec() };
                    self.open = Some((f, key, vec![(k, v)]));
                }
            }
        }
        self.out.pop_front()
    }
}

/// Where a job's writes may be cut in two for two threads to write
/// (`None`: do not cut), given its middle key. At a packed key the cut is
/// the key of the group the tree holds it in: every write after the cut
/// then lands in that group or a later one, every write before it in an
/// earlier one, and no group is written by both threads. (Cutting at a
/// boundary the job itself adds would not do: that boundary's members
/// still sit in the group before it, which the first thread writes too.)
/// A job that removes keys is not cut: a removed boundary moves its
/// group's members into the group before.
pub(crate) fn split_point<'a>(
    tree: &sled::Tree,
    mut writes: impl Iterator<Item = &'a Option<Vec<u8>>>,
    mid: &[u8],
) -> Result<Option<Vec<u8>>, ProjectError> {
    if writes.any(Option::is_none) {
        return Ok(None);
    }
    let Some(f) = family(mid) else {
        return Ok(Some(mid.to_vec()));
    };
    let stored = last_group(tree, Bound::Included(f), Bound::Included(mid))?;
    Ok(Some(stored.map_or_else(|| f.to_vec(), |(g, _)| g.to_vec())))
}

#[cfg(test)]
mod tests {
    use super::super::testing::spread_id as hash;
    use super::*;
    use crate::event::Hash32;
    use crate::model::{FuzzyDate, Scope};
    use std::collections::BTreeMap;

    fn scope(day: u8) -> Scope {
        Scope::Event {
            date: match day {
                0 => FuzzyDate::Unknown,
                d => FuzzyDate::Day(format!("2024-01-{d:02}").parse().unwrap()),
            },
            label: None,
        }
    }

    #[test]
    fn a_member_read_in_place_is_what_decoding_the_group_gives() {
        let group = keys::claim(&hash(1), 1);
        let members: Members = (1..40u64)
            .map(|i| (keys::claim(&hash(i), i), vec![i as u8; i as usize % 7]))
            .filter(|(k, _)| k >= &group)
            .collect::<BTreeMap<_, _>>()
            .into_iter()
            .collect();
        let value = encode(&group, &members);
        let decoded = decode(&group, &value).unwrap();
        assert_eq!(decoded, members);
        for (k, v) in &members {
            assert_eq!(member(&group, &value, k).unwrap().as_ref(), Some(v));
        }
        for i in 40..80u64 {
            assert_eq!(
                member(&group, &value, &keys::claim(&hash(i), i)).unwrap(),
                None
            );
        }
        // A member that shares more bytes than the group key has: refused
        // by both, whichever key is looked up.
        let bad = enc(&vec![(u32::MAX, b"x".to_vec(), b"v".to_vec())]);
        assert!(decode(&group, &bad).is_err());
        assert!(member(&group, &bad, &members[0].0).is_err());
    }

    /// Claim groups are stored compressed, id groups as they are; a
    /// compressed group whose length or body is damaged is refused as a
    /// bad value (a damaged cache is rebuilt), never unpacked into a
    /// buffer as large as its length word says.
    #[test]
    fn claim_groups_are_compressed_and_a_damaged_one_is_refused() {
        let claim = |i: u64| keys::by_scope("people_returned", "", &scope(3), &hash(i), &hash(i));
        let group = claim(1);
        let members: Members = (1..40u64)
            .map(|i| (claim(i), b"a value the claims of a day share".to_vec()))
            .filter(|(k, _)| k >= &group)
            .collect::<BTreeMap<_, _>>()
            .into_iter()
            .collect();
        let plain = enc(&members
            .iter()
            .map(|(k, v)| {
                let n = shared_len(&group, k);
                (n as u32, k[n..].to_vec(), v.clone())
            })
            .collect::<Stored>());
        let value = encode(&group, &members);
        assert!(
            value.len() < plain.len(),
            "{} >= {}",
            value.len(),
            plain.len()
        );
        assert_eq!(decode(&group, &value).unwrap(), members);
        assert_eq!(
            member(&group, &value, &members[1].0).unwrap().as_ref(),
            Some(&members[1].1)
        );
        let ids = keys::claim(&hash(1), 1);
        assert_eq!(
            encode(&ids, &vec![(ids.clone(), b"v".to_vec())]),
            enc(&vec![(18u32, Vec::<u8>::new(), b"v".to_vec())])
        );

        let mut huge = value.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut short = value.clone();
        short.truncate(value.len() / 2);
        for bad in [huge, short, value[..2].to_vec()] {
            assert!(matches!(
                decode(&group, &bad),
                Err(ProjectError::BadValue { .. })
            ));
            assert!(matches!(
                member(&group, &bad, &members[0].0),
                Err(ProjectError::BadValue { .. })
            ));
        }
    }

    #[test]
    fn whole_id_and_claim_keys_are_packed_and_nothing_else() {
        let id = hash(1);
        assert_eq!(family(&keys::claim(&id, 7)), Some(keys::CLAIM));
        assert_eq!(family(&keys::claim_prefix(&id)), None);
        for s in [scope(0), scope(31)] {
            let k = keys::by_scope("m", "", &s, &hash(2), &id);
            assert_eq!(family(&k), Some(keys::BY_SCOPE));
            assert_eq!(family(&k[..k.len() - 1]), None);
        }
        assert_eq!(family(&keys::by_scope_prefix("m", "all")), None);
        assert_eq!(family(&keys::source("s")), None);
        assert_eq!(family(b"c/"), None);
    }

    /// The tree keys inserted, in order, while `write_sorted` writes 2000
    /// spread ids into `tree`.
    fn inserts_while_loading(tree: &sled::Tree) -> Vec<Vec<u8>> {
        let mut events = tree.watch_prefix(vec![]);
        let writes: BTreeMap<Vec<u8>, Vec<u8>> = (0..2000u64)
            .map(|i| (keys::claim(&hash(i), i), i.to_be_bytes().to_vec()))
            .collect();
        write_sorted(tree, writes.iter().map(|(k, v)| Ok((k, Some(v))))).unwrap();
        let mut written = Vec::new();
        while let Ok(event) = events.next_timeout(std::time::Duration::from_millis(200)) {
            if let sled::Event::Insert { key, .. } = event {
                written.push(key.to_vec());
            }
        }
        written
    }

    /// A load into an empty tree writes each group as soon as it is
    /// complete, in key order: deferring a group's write until the next one was written
    /// (what a split needs only when members move) chained every group of
    /// a 1M load to the last, 400 MB held and written backwards.
    #[test]
    fn a_fresh_load_writes_its_groups_in_key_order_as_it_goes() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree("t").unwrap();
        let written = inserts_while_loading(&tree);
        assert!(written.len() > 20, "{} groups", written.len());
        assert!(
            written.windows(2).all(|w| w[0] < w[1]),
            "groups written out of order"
        );
    }

    /// `pack_fresh` makes the entries `write_sorted` inserts into an empty
    /// tree, in the order it inserts them.
    #[test]
    fn packing_away_from_the_tree_gives_a_fresh_loads_inserts_in_order() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree("t").unwrap();
        let written = inserts_while_loading(&tree);
        let packed: Vec<Vec<u8>> = pack_fresh(
            (0..2000u64)
                .map(|i| (keys::claim(&hash(i), i), i.to_be_bytes().to_vec()))
                .collect::<BTreeMap<_, _>>()
                .into_iter()
                .map(Ok),
        )
        .map(|e| e.unwrap().0)
        .collect();
        assert_eq!(packed, written);
        // A group key among logical keys is refused, as write_sorted does.
        let bad = pack_fresh(std::iter::once(Ok((b"c/".to_vec(), b"x".to_vec())))).next();
        assert!(matches!(bad, Some(Err(ProjectError::BadValue { .. }))));
    }

    /// A load into a tree whose one key sorts after every new one: each
    /// new boundary moves that key on, so each group is written where the
    /// moved key goes, then as it ends. Still in key order but for those
    /// pairs, never held back to the end (which a deferred write of each
    /// group until the next was written did).
    #[test]
    fn a_load_before_an_old_last_key_writes_as_it_goes() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree("t").unwrap();
        let last = keys::claim(&Hash32([0xff; 32]), u64::MAX);
        write_sorted(&tree, std::iter::once(Ok((&last, Some(b"old"))))).unwrap();
        let written = inserts_while_loading(&tree);
        assert!(written.len() > 20, "{} writes", written.len());
        assert!(
            written.windows(3).all(|w| w[0] <= w[2]),
            "written out of order"
        );
        assert_eq!(get(&tree, &last).unwrap().as_deref(), Some(&b"old"[..]));
    }

    /// Writes `writes` to the tree (not a fresh load) and to the model.
    pub(super) fn write_both(
        tree: &sled::Tree,
        model: &mut BTreeMap<Vec<u8>, Vec<u8>>,
        writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    ) {
        write_sorted(tree, writes.iter().map(|(k, v)| Ok((k, v.as_ref())))).unwrap();
        for (k, v) in writes {
            match v {
                Some(v) => model.insert(k, v),
                None => model.remove(&k),
            };
        }
    }

    /// Rounds of writes (some removing, some adding boundaries) against a
    /// BTreeMap: every key read back, every range between keys of the
    /// model and around them, and the tree's bytes equal to a fresh load
    /// of the model's keys, whatever the order they came in.
    #[test]
    fn groups_read_back_as_the_logical_keys_and_pack_alike_in_any_history() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree("t").unwrap();
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        let key = |i: u64| -> Vec<u8> {
            match i % 3 {
                0 => keys::claim(&hash(i), i),
                _ => keys::by_scope(
                    ["a", "b"][(i % 2) as usize],
                    "",
                    &scope((i % 4) as u8),
                    &hash(i % 7),
                    &hash(i),
                ),
            }
        };
        let mut next = 0u64;
        for round in 0..6u64 {
            let mut writes: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
            for _ in 0..300 {
                next += 1;
                writes.insert(key(next), Some(next.to_be_bytes().to_vec()));
            }
            // Remove a share of what is there, boundaries among them.
            for (i, k) in model.keys().enumerate() {
                if (i as u64 + round).is_multiple_of(5) {
                    writes.insert(k.clone(), None);
                }
            }
            writes.insert(keys::source("s"), Some(round.to_be_bytes().to_vec()));
            write_both(&tree, &mut model, writes);
            for (k, v) in &model {
                assert_eq!(get(&tree, k).unwrap().as_ref(), Some(v), "round {round}");
            }
            let all: Vec<_> = model.keys().cloned().collect();
            for (i, a) in all.iter().enumerate().step_by(23) {
                for b in all[i..].iter().step_by(29) {
                    for (a, b) in [
                        (a.clone(), b.clone()),
                        (a[..a.len() - 1].to_vec(), b.clone()),
                    ] {
                        let got: Vec<_> = range(&tree, a.clone(), Some(b.clone()))
                            .map(Result::unwrap)
                            .collect();
                        let want: Vec<_> = model
                            .range(a.clone()..b.clone())
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                        assert_eq!(got, want, "round {round}");
                        let got: Vec<_> = range_rev(&tree, a.clone(), b.clone())
                            .map(Result::unwrap)
                            .collect();
                        let want: Vec<_> = want.into_iter().rev().collect();
                        assert_eq!(got, want, "range_rev, round {round}");
                    }
                }
            }
            let fresh = db.open_tree(format!("fresh{round}")).unwrap();
            write_sorted(&fresh, model.iter().map(|(k, v)| Ok((k, Some(v))))).unwrap();
            let bytes = |t: &sled::Tree| -> Vec<_> { t.iter().map(Result::unwrap).collect() };
            assert_eq!(bytes(&tree), bytes(&fresh), "round {round}");
        }
        let groups = tree.iter().count();
        assert!(groups > 20 && groups < model.len() / 3, "{groups} groups");
        let ids: Vec<_> = model
            .keys()
            .filter(|k| k.starts_with(keys::CLAIM))
            .collect();
        let probe = ids[ids.len() / 2][..5].to_vec();
        let found: Vec<_> = scan_prefix(&tree, probe.clone())
            .map(|kv| kv.unwrap().0)
            .collect();
        assert!(!found.is_empty());
        let want: Vec<_> = ids.into_iter().filter(|k| k.starts_with(&probe)).collect();
        assert_eq!(found.iter().collect::<Vec<_>>(), want);
    }
}

#[cfg(test)]
mod random_histories {
    use super::super::testing::{id, Rng};
    use super::tests::write_both;
    use super::*;
    use crate::event::Hash32;
    use std::collections::BTreeMap;

    // 0x10 starts a group of claim keys (4 low bits zero) but not of id
    // keys (5): the two families' rules differ there.
    const LAST: [u8; 7] = [0x00, 0x20, 0x08, 0x01, 0x11, 0x40, 0x10];

    fn key_space() -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for a in 0..5u8 {
            for &b in &LAST {
                out.push(keys::claim(&Hash32(id(a, b)), u64::from(b)));
                if a < 2 {
                    // Another claim whose id starts with the same 8 bytes.
                    out.push(keys::claim(&Hash32(id(a, b)), 1000 + u64::from(b)));
                }
                for m in [&b"a"[..], b"b"] {
                    let mut k = b"g/".to_vec();
                    k.extend_from_slice(m);
                    k.extend_from_slice(b"\0x\0u");
                    k.extend_from_slice(&[a % 2; 8]);
                    k.extend_from_slice(&id(a, b));
                    assert!(family(&k).is_some());
                    out.push(k);
                }
            }
        }
        for k in [
            &b"!checkpoint"[..],
            b"S/x",
            b"S/y",
            b"k/x",
            b"q/1",
            b"v/a",
            b"y/a",
            b"d/z",
            b"h",
        ] {
            out.push(k.to_vec());
        }
        out
    }

    fn bytes(t: &sled::Tree) -> Vec<(sled::IVec, sled::IVec)> {
        t.iter().map(Result::unwrap).collect()
    }

    #[test]
    fn random_histories_match_model_and_fresh_load() {
        let space = key_space();
        let mut bounds: Vec<Vec<u8>> = space.clone();
        for k in &space {
            bounds.push(k[..k.len() - 1].to_vec());
            bounds.push([&k[..], &[0u8][..]].concat());
        }
        for b in [
            &b""[..],
            b"c/",
            b"c0",
            b"g/",
            b"g/a\0",
            b"g/b",
            b"g0",
            b"c/\x02",
            b"c/\xff",
            b"zz",
        ] {
            bounds.push(b.to_vec());
        }
        // 400 seeds ran clean when this test was written (about 46 s).
        for seed in 1..50u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E3779B97F4A7C15) | 1);
            let db = sled::Config::new().temporary(true).open().unwrap();
            let tree = db.open_tree("t").unwrap();
            let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
            let mut history = Vec::new();
            for round in 0..12u64 {
                let mut writes: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
                let n = 1 + rng.below(space.len() as u64);
                for _ in 0..n {
                    let k = &space[rng.below(space.len() as u64) as usize];
                    let v = if rng.below(3) == 0 {
                        None
                    } else {
                        Some(vec![round as u8, rng.below(256) as u8])
                    };
                    writes.insert(k.clone(), v);
                }
                history.push(writes.clone());
                write_both(&tree, &mut model, writes);
                let ctx = || format!("seed {seed} round {round} history {history:?}");
                for k in &space {
                    assert_eq!(
                        get(&tree, k).unwrap().as_ref(),
                        model.get(k),
                        "get {k:?} {}",
                        ctx()
                    );
                }
                let fresh = db.open_tree("fresh").unwrap();
                fresh.clear().unwrap();
                write_sorted(&fresh, model.iter().map(|(k, v)| Ok((k, Some(v))))).unwrap();
                assert_eq!(bytes(&tree), bytes(&fresh), "bytes {}", ctx());
                // Packed away from the tree, as a bulk load into an empty
                // cache does: the same entries, in ascending order.
                let packed: Vec<(Vec<u8>, Vec<u8>)> =
                    pack_fresh(model.iter().map(|(k, v)| Ok((k.clone(), v.clone()))))
                        .map(Result::unwrap)
                        .collect();
                assert!(
                    packed.windows(2).all(|w| w[0].0 < w[1].0),
                    "order {}",
                    ctx()
                );
                let want: Vec<(Vec<u8>, Vec<u8>)> = bytes(&fresh)
                    .into_iter()
                    .map(|(k, v)| (k.to_vec(), v.to_vec()))
                    .collect();
                assert_eq!(packed, want, "packed {}", ctx());
                for _ in 0..40 {
                    let a = bounds[rng.below(bounds.len() as u64) as usize].clone();
                    let b = bounds[rng.below(bounds.len() as u64) as usize].clone();
                    let (a, b) = if a <= b { (a, b) } else { (b, a) };
                    let got: Vec<_> = range(&tree, a.clone(), Some(b.clone()))
                        .map(Result::unwrap)
                        .collect();
                    let want: Vec<_> = model
                        .range(a.clone()..b.clone())
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    assert_eq!(got, want, "range {a:?}..{b:?} {}", ctx());
                    let got: Vec<_> = range_rev(&tree, a.clone(), b.clone())
                        .map(Result::unwrap)
                        .collect();
                    let want: Vec<_> = want.into_iter().rev().collect();
                    assert_eq!(got, want, "range_rev {a:?}..{b:?} {}", ctx());
                    let got: Vec<_> = range(&tree, a.clone(), None).map(Result::unwrap).collect();
                    let want: Vec<_> = model
                        .range(a.clone()..)
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    assert_eq!(got, want, "range {a:?}.. {}", ctx());
                }
                for k in space.iter().filter(|k| k.starts_with(keys::CLAIM)) {
                    let prefix = &k[..keys::CLAIM.len() + keys::ID_PREFIX];
                    let want: Members = model
                        .iter()
                        .filter(|(m, _)| m.starts_with(prefix))
                        .map(|(m, v)| (m.clone(), v.clone()))
                        .collect();
                    assert_eq!(id_keys_under(&tree, prefix).unwrap(), want, "{}", ctx());
                }
                for p in 0..6u8 {
                    let prefix = vec![b'c', b'/', p];
                    let got: Vec<_> = scan_prefix(&tree, prefix.clone())
                        .map(Result::unwrap)
                        .collect();
                    let want: Vec<_> = model
                        .iter()
                        .filter(|(k, _)| k.starts_with(&prefix))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    assert_eq!(got, want, "{}", ctx());
                }
            }
        }
    }
}

#[cfg(test)]
mod concurrent_reads {
    use super::super::testing::id_key as c;
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// A key no write touches must stay readable while a concurrent
    /// write_sorted adds and removes a boundary before it (the fold reads
    /// the tree through Overlay::get while the writer thread writes), by a
    /// point read and by its id's first bytes (`id_keys_under`, how
    /// `Overlay::claim_key` finds an id key; a forward scan over the groups
    /// missed it in 1 469 of 46 000 reads).
    #[test]
    fn an_untouched_key_stays_readable_while_a_boundary_before_it_comes_and_goes() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree("t").unwrap();
        let (a, b, x) = (c(1, 0x00), c(5, 0x00), c(6, 0x01));
        assert!(is_boundary(keys::CLAIM, &b) && !is_boundary(keys::CLAIM, &x));
        let v = b"v".to_vec();
        write_sorted(&tree, [&a, &x].into_iter().map(|k| Ok((k, Some(&v))))).unwrap();
        let stop = AtomicBool::new(false);
        let (misses, reads) = (AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|s| {
            s.spawn(|| {
                let prefix = x[..keys::CLAIM.len() + keys::ID_PREFIX].to_vec();
                while !stop.load(Ordering::Relaxed) {
                    reads.fetch_add(2, Ordering::Relaxed);
                    if get(&tree, &x).unwrap().is_none() {
                        misses.fetch_add(1, Ordering::Relaxed);
                    }
                    let found: Vec<_> = id_keys_under(&tree, &prefix)
                        .unwrap()
                        .into_iter()
                        .map(|(k, _)| k)
                        .collect();
                    if found != [x.clone()] {
                        misses.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
            for i in 0..20_000 {
                let w: Option<&Vec<u8>> = if i % 2 == 0 { Some(&v) } else { None };
                write_sorted(&tree, std::iter::once(Ok((&b, w)))).unwrap();
            }
            stop.store(true, Ordering::Relaxed);
        });
        let (m, r) = (misses.into_inner(), reads.into_inner());
        assert_eq!(m, 0, "{m} of {r} reads of an untouched key found nothing");
    }
}
