//! The per-claim keys as sled holds them. The fold, overlays and staged
//! writes see one logical key per claim for each of two indexes:
//!
//! - `c/<id>` -> the stem of the claim's `g/` key (the id index);
//! - `g/<metric>\0<breakdown>\0<scope part><content[..8]><id>` -> the
//!   claim's entry (keys.rs).
//!
//! The tree holds them packed in groups: one tree entry holds every
//! logical key that shares its group key, as a sorted list of (suffix,
//! value). Id keys group by the id's first two bytes (`c/<id[..2]>`); claim
//! keys by their scope part and the high four bits of the content hash
//! (`g/...<scope part><content[0] & 0xf0>`), so a day's claims of one
//! metric and part are at most sixteen groups. Scope parts that do not
//! bound how many claims share them (changes, undated events, running
//! totals of no known day) group by the content's whole first byte.
//!
//! Why: sled's write time, memory and disk follow its entry count more
//! than its bytes. At 1M claims a bulk load wrote 1.1M entries, 7-8 s of
//! sled writes; a raw sled tree takes the same bytes as 200 000 entries of
//! 1.4 KB in a third of the time (docs/PERFORMANCE.md). Groups stay small
//! (about five claims at 1M) because sled keeps sixteen entries to a leaf
//! and writes a leaf over 128 KB as a file of its own.
//!
//! A group key sorts at or before each of its members and after every
//! member of the groups before it, so a range of logical keys is a range
//! of groups, starting at the group that holds the range's start.
//!
//! Every read and write of these keys in the tree goes through here:
//! `write_sorted` (the writer thread, a bulk load), `get` (overlay and
//! cache reads), `range` (cache scans), `ids_with_prefix` (short ids).

use super::fold::{dec, enc};
use super::keys;
use super::ProjectError;
use crate::event::Hash32;

/// Bytes of the id that name its group.
const ID_GROUP_BYTES: usize = 2;
const ID_KEY_LEN: usize = keys::CLAIM.len() + 32;
/// What follows a claim key's scope part: 8 bytes of content hash, the id.
const CLAIM_SUFFIX: usize = keys::CONTENT_BYTES + 32;

type Group = Vec<(Vec<u8>, Vec<u8>)>;
/// A logical key and its value, or why it could not be read.
type Entry = Result<(Vec<u8>, Vec<u8>), ProjectError>;

/// Where logical key `key` lives in the tree: its group's key, and how
/// many of its leading bytes every member of that group shares (the rest,
/// the member's suffix, is kept in the group).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) group: Vec<u8>,
    pub(crate) shared: usize,
}

/// The place of `key` if it is a packed key (`c/<id>` or a whole `g/`
/// claim key), else `None`: it is stored as it is.
pub(crate) fn place(key: &[u8]) -> Option<Place> {
    if key.len() == ID_KEY_LEN && key.starts_with(keys::CLAIM) {
        let shared = keys::CLAIM.len() + ID_GROUP_BYTES;
        return Some(Place {
            group: key[..shared].to_vec(),
            shared,
        });
    }
    let (kind_at, shared) = claim_scope_end(key)?;
    if key.len() != shared + CLAIM_SUFFIX {
        return None;
    }
    let content0 = key[shared];
    let bounded = match key[kind_at] {
        b'e' | b'f' | b'p' => true,
        b'c' => key[kind_at + 1..shared] != [0xff; 8],
        _ => false,
    };
    let mut group = key[..shared].to_vec();
    group.push(if bounded { content0 & 0xf0 } else { content0 });
    Some(Place { group, shared })
}

/// Bytes of a scope part given the byte that may be its kind (keys.rs,
/// `scope_part`): nine for the kinds that carry days, else one.
fn scope_len(kind: Option<u8>) -> usize {
    match kind {
        Some(b'e' | b'f' | b'p' | b'c') => 9,
        _ => 1,
    }
}

/// Where the scope part of `g/` key `key` starts (its kind byte) and
/// ends: after the metric and the breakdown, each ended by a zero byte.
fn claim_scope_end(key: &[u8]) -> Option<(usize, usize)> {
    let rest = key.strip_prefix(keys::BY_SCOPE)?;
    let metric_end = rest.iter().position(|b| *b == 0)?;
    let breakdown_end = metric_end + 1 + rest[metric_end + 1..].iter().position(|b| *b == 0)?;
    let kind_at = keys::BY_SCOPE.len() + breakdown_end + 1;
    let end = kind_at + scope_len(key.get(kind_at).copied());
    (end <= key.len()).then_some((kind_at, end))
}

/// How many leading bytes the members of tree group `group` share: the
/// group key itself for id groups, all but its last byte for claim groups.
fn shared_of(group: &[u8]) -> Option<usize> {
    if group.starts_with(keys::CLAIM) {
        Some(group.len())
    } else if group.starts_with(keys::BY_SCOPE) {
        group.len().checked_sub(1)
    } else {
        None
    }
}

fn read(tree: &sled::Tree, group: &[u8]) -> Result<Group, ProjectError> {
    match tree.get(group)? {
        Some(v) => dec(group, &v),
        None => Ok(Vec::new()),
    }
}

/// What the tree holds under `key`, packed or not.
pub(crate) fn get(tree: &sled::Tree, key: &[u8]) -> Result<Option<Vec<u8>>, ProjectError> {
    let Some(p) = place(key) else {
        return Ok(tree.get(key)?.map(|v| v.to_vec()));
    };
    let group = read(tree, &p.group)?;
    let suffix = &key[p.shared..];
    Ok(group
        .binary_search_by(|(s, _)| s[..].cmp(suffix))
        .ok()
        .map(|at| group[at].1.clone()))
}

/// The logical entries with keys in `from..to` (no end if `None`), in key
/// order, packed ones unpacked.
pub(crate) fn range(
    tree: &sled::Tree,
    from: Vec<u8>,
    to: Option<Vec<u8>>,
) -> impl Iterator<Item = Entry> {
    // The group holding `from` may start before it.
    let start = match tree.range(..=from.clone()).next_back() {
        Some(Ok((k, _))) if shared_of(&k).is_some() => k.to_vec(),
        _ => from.clone(),
    };
    let physical = match &to {
        Some(to) => tree.range(start..to.clone()),
        None => tree.range(start..),
    };
    physical.flat_map(move |kv| {
        let within = |k: &[u8]| k >= &from[..] && to.as_ref().is_none_or(|t| k < &t[..]);
        let out: Vec<Entry> = match kv {
            Err(e) => vec![Err(e.into())],
            Ok((k, v)) => match shared_of(&k) {
                None => {
                    if within(&k) {
                        vec![Ok((k.to_vec(), v.to_vec()))]
                    } else {
                        Vec::new()
                    }
                }
                Some(shared) => match dec::<Group>(&k, &v) {
                    Err(e) => vec![Err(e)],
                    Ok(group) => group
                        .into_iter()
                        .map(|(suffix, value)| ([&k[..shared], &suffix[..]].concat(), value))
                        .filter(|(key, _)| within(key))
                        .map(Ok)
                        .collect(),
                },
            },
        };
        out
    })
}

/// The logical entries whose keys start with `prefix`.
pub(crate) fn scan_prefix(tree: &sled::Tree, prefix: Vec<u8>) -> impl Iterator<Item = Entry> {
    let end = keys::prefix_end(&prefix);
    range(tree, prefix, end)
}

/// The ids in the tree that start with `prefix` (at least two bytes).
pub(crate) fn ids_with_prefix(
    tree: &sled::Tree,
    prefix: &[u8],
) -> Result<Vec<Hash32>, ProjectError> {
    let Some(head) = prefix.get(..ID_GROUP_BYTES) else {
        return Ok(Vec::new());
    };
    let group = read(tree, &[keys::CLAIM, head].concat())?;
    Ok(group
        .into_iter()
        .filter_map(|(suffix, _)| {
            let id: [u8; 32] = [head, &suffix[..]].concat().try_into().ok()?;
            Some(Hash32(id))
        })
        .filter(|id| id.0.starts_with(prefix))
        .collect())
}

/// Writes `writes` (logical keys in ascending order; `None` removes) to
/// the tree: packed keys group by group, one read and one write each,
/// everything else as it is. With `fresh`, the tree holds no group yet
/// (and each is written once, its members being adjacent): none is read.
pub(crate) fn write_sorted<K, V>(
    tree: &sled::Tree,
    writes: impl Iterator<Item = Result<(K, Option<V>), ProjectError>>,
    fresh: bool,
) -> Result<(), ProjectError>
where
    K: AsRef<[u8]>,
    V: AsRef<[u8]>,
{
    // The group being filled: its key and what it holds.
    let mut open: Option<(Vec<u8>, Group)> = None;
    for w in writes {
        let (k, v) = w?;
        let k = k.as_ref();
        let Some(p) = place(k) else {
            if k.starts_with(keys::CLAIM) || k.starts_with(keys::BY_SCOPE) {
                // Stored as it is, it would be read back as a group.
                return Err(ProjectError::BadValue {
                    key: String::from_utf8_lossy(k).into_owned(),
                    reason: "not a whole id or claim key".into(),
                });
            }
            if let Some((key, group)) = open.take() {
                store(tree, &key, &group)?;
            }
            match v {
                Some(v) => tree.insert(k, v.as_ref())?,
                None => tree.remove(k)?,
            };
            continue;
        };
        if open.as_ref().is_none_or(|(key, _)| *key != p.group) {
            if let Some((key, group)) = open.take() {
                store(tree, &key, &group)?;
            }
            let group = if fresh {
                Vec::new()
            } else {
                read(tree, &p.group)?
            };
            open = Some((p.group, group));
        }
        let (_, group) = open.as_mut().expect("opened above");
        let suffix = &k[p.shared..];
        match (group.binary_search_by(|(s, _)| s[..].cmp(suffix)), v) {
            (Ok(at), Some(v)) => group[at].1 = v.as_ref().to_vec(),
            (Ok(at), None) => {
                group.remove(at);
            }
            (Err(at), Some(v)) => group.insert(at, (suffix.to_vec(), v.as_ref().to_vec())),
            (Err(_), None) => {}
        }
    }
    if let Some((key, group)) = open {
        store(tree, &key, &group)?;
    }
    Ok(())
}

fn store(tree: &sled::Tree, key: &[u8], group: &Group) -> Result<(), ProjectError> {
    if group.is_empty() {
        tree.remove(key)?;
    } else {
        tree.insert(key, enc(group))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Day, FuzzyDate, Scope};

    fn claim_key(scope: &Scope, content0: u8, id0: u8) -> Vec<u8> {
        let mut content = [7u8; 32];
        content[0] = content0;
        keys::by_scope("m", "all", scope, &Hash32(content), &Hash32([id0; 32]))
    }

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    #[test]
    fn claim_keys_group_by_scope_part_and_the_contents_high_bits() {
        let on = Scope::Event {
            date: FuzzyDate::Day(day("2024-01-31")),
            label: None,
        };
        let a = place(&claim_key(&on, 0x12, 1)).unwrap();
        let b = place(&claim_key(&on, 0x1f, 2)).unwrap();
        let c = place(&claim_key(&on, 0x20, 3)).unwrap();
        assert_eq!(a.group, b.group);
        assert_ne!(a.group, c.group);
        assert_eq!(a.group.last(), Some(&0x10));
        assert_eq!(a.shared, a.group.len() - 1);
        // Undated events are unbounded: the whole first content byte.
        let change = Scope::Event {
            date: FuzzyDate::Unknown,
            label: None,
        };
        let x = place(&claim_key(&change, 0x12, 1)).unwrap();
        let y = place(&claim_key(&change, 0x1f, 2)).unwrap();
        assert_ne!(x.group, y.group);
        assert_eq!(x.group.last(), Some(&0x12));
        // Prefixes and other keys are not packed.
        assert!(place(&keys::by_scope_prefix("m", "all")).is_none());
        assert!(place(&keys::source("s")).is_none());
    }

    /// Members of many groups, written one by one and in one sorted pass,
    /// read back by key and by any range, against a BTreeMap.
    #[test]
    fn ranges_over_groups_match_the_logical_keys() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree("t").unwrap();
        let mut model = std::collections::BTreeMap::new();
        let days = ["2024-01-30", "2024-01-31", "2024-02-01"];
        for (i, d) in days.iter().enumerate() {
            let scope = Scope::Event {
                date: FuzzyDate::Day(day(d)),
                label: None,
            };
            for c in [0x00u8, 0x0f, 0x10, 0x80, 0xff] {
                let k = claim_key(&scope, c, i as u8 * 16 + c % 13);
                model.insert(k.clone(), vec![c, i as u8]);
                let id = keys::claim(&Hash32([c ^ i as u8; 32]));
                model.insert(id, vec![9, c]);
            }
        }
        model.insert(keys::source("s"), b"src".to_vec());
        model.insert(keys::seq(64), b"anchor".to_vec());
        // Half into the empty tree, the other half merged into its groups.
        let half = |odd: usize| {
            model
                .iter()
                .enumerate()
                .filter(move |(i, _)| i % 2 == odd)
                .map(|(_, (k, v))| Ok((k, Some(v))))
        };
        write_sorted(&tree, half(0), true).unwrap();
        write_sorted(&tree, half(1), false).unwrap();
        let all: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (k, v) in &all {
            assert_eq!(get(&tree, k).unwrap().as_ref(), Some(v));
        }
        let keys_in_order: Vec<_> = model.keys().cloned().collect();
        for i in 0..keys_in_order.len() {
            for j in i..keys_in_order.len() {
                let (a, b) = (&keys_in_order[i], &keys_in_order[j]);
                let got: Vec<_> = range(&tree, a.clone(), Some(b.clone()))
                    .map(Result::unwrap)
                    .collect();
                let want: Vec<_> = model
                    .range(a.clone()..b.clone())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                assert_eq!(got, want, "{i}..{j}");
            }
        }
        let got: Vec<_> = scan_prefix(&tree, keys::BY_SCOPE.to_vec())
            .map(Result::unwrap)
            .collect();
        assert_eq!(got.len(), 15);
        // Removing every member removes its group.
        write_sorted(&tree, model.keys().map(|k| Ok((k, None::<Vec<u8>>))), false).unwrap();
        assert_eq!(tree.len(), 0);
    }
}
