//! The planner's per-line state in few bytes: a million-line import keeps
//! a reference per claim line and per distinct claim, and a mark per line
//! to append, so their size is most of what import holds besides sled.

use crate::event::Hash32;
use std::collections::BTreeSet;

/// What a line of the input stands for: a recorded claim, or the claim the
/// input appends at line N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ref {
    Existing(Hash32),
    Planned(u64),
}

/// A `Ref` in 8 bytes (a `Ref` takes 40): a planned line, or, with the top
/// bit set, the index of a recorded claim's id in a `Refs` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packed(u64);

const EXISTING: u64 = 1 << 63;

impl Packed {
    /// Its 8 bytes' value, as a spilled run stores it (content_runs.rs).
    pub(super) fn raw(self) -> u64 {
        self.0
    }

    pub(super) fn from_raw(v: u64) -> Packed {
        Packed(v)
    }
}

/// Line numbers a `Packed` can hold: below 2^63.
pub const MAX_LINE: u64 = EXISTING;

/// Interns the ids of recorded claims so that `Packed` can name them.
#[derive(Default)]
pub struct Refs {
    ids: Vec<Hash32>,
    index: foldhash::HashMap<Hash32, u64>,
}

impl Refs {
    pub fn pack(&mut self, r: Ref) -> Packed {
        match r {
            Ref::Planned(line) => {
                assert!(line < EXISTING, "line numbers stay below 2^63");
                Packed(line)
            }
            Ref::Existing(id) => {
                let next = u64::try_from(self.ids.len()).expect("fewer than 2^63 ids");
                let i = *self.index.entry(id).or_insert(next);
                if i == next {
                    self.ids.push(id);
                }
                Packed(EXISTING | i)
            }
        }
    }

    pub fn unpack(&self, p: Packed) -> Ref {
        if p.0 & EXISTING == 0 {
            return Ref::Planned(p.0);
        }
        let i = usize::try_from(p.0 & !EXISTING).expect("an index into ids");
        Ref::Existing(self.ids[i])
    }
}

/// A set of line numbers: one bit per line below `DENSE_LINES` (a file's
/// lines are dense, 1..=N), a tree above it (the library's line sources
/// may number lines as they like, and a bit per line up to 2^63 would not
/// fit in memory).
#[derive(Default)]
pub struct LineSet {
    words: Vec<u64>,
    far: BTreeSet<u64>,
    len: usize,
}

/// Lines below this are bits: at most 8 MiB of them.
const DENSE_LINES: u64 = 1 << 26;

impl LineSet {
    fn at(line: u64) -> (usize, u64) {
        let word = usize::try_from(line / 64).expect("below DENSE_LINES");
        (word, 1 << (line % 64))
    }

    pub fn insert(&mut self, line: u64) {
        let new = if line < DENSE_LINES {
            let (w, bit) = Self::at(line);
            if self.words.len() <= w {
                self.words.resize(w + 1, 0);
            }
            let new = self.words[w] & bit == 0;
            self.words[w] |= bit;
            new
        } else {
            self.far.insert(line)
        };
        if new {
            self.len += 1;
        }
    }

    pub fn contains(&self, line: u64) -> bool {
        if line >= DENSE_LINES {
            return self.far.contains(&line);
        }
        let (w, bit) = Self::at(line);
        self.words.get(w).is_some_and(|x| x & bit != 0)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The first half of a content hash: enough to tell claims of one input
/// apart (a collision among a million claims has odds near 1e-27) at half
/// the memory. Four u32s, aligned to 4 bytes, so that with a u32 value a
/// map entry takes 20 bytes (two u64s and a u64 took 24; a u128, 32).
pub type ContentKey = [u32; 4];

pub fn content_key(h: &Hash32) -> ContentKey {
    let word = |i: usize| u32::from_le_bytes([h.0[i], h.0[i + 1], h.0[i + 2], h.0[i + 3]]);
    [word(0), word(4), word(8), word(12)]
}

/// Maps by the key's low bits: one map of a million entries grows by
/// building its doubled table beside the old one; sixteen grow one at a
/// time.
const CONTENT_SHARDS: usize = 16;

/// The `Packed` refs that fit 32 bits: a line or an id index below 2^31,
/// the top bit saying which (as `EXISTING` does in 64).
const NARROW_EXISTING: u32 = 1 << 31;

fn narrow(p: Packed) -> Option<u32> {
    let v = u32::try_from(p.0 & !EXISTING)
        .ok()
        .filter(|v| *v < NARROW_EXISTING)?;
    Some(if p.0 & EXISTING != 0 {
        v | NARROW_EXISTING
    } else {
        v
    })
}

fn widen(v: u32) -> Packed {
    let flag = if v & NARROW_EXISTING != 0 {
        EXISTING
    } else {
        0
    };
    Packed(u64::from(v & !NARROW_EXISTING) | flag)
}

/// Entries the content map holds in memory before it writes them out as
/// a sorted run (content_runs.rs): about 11 MB of tables. Debug builds
/// (the tests) spill every 64, so that every import test of more lines
/// looks claims up in runs on disk as a large import does.
const HELD_ENTRIES: usize = if cfg!(debug_assertions) { 64 } else { 1 << 18 };

/// The claims of an input by content: an entry per distinct claim line.
/// Refs that fit 32 bits, all of them in any file of fewer than 2^31
/// lines, take 20-byte entries; any other goes to a map of full refs.
/// Past `HELD_ENTRIES` they are written out as a sorted run, and looked up
/// there (newest run first) when memory does not hold a key: memory then
/// stays near 11 MB plus 2 bytes an entry written out.
pub struct ContentMap {
    narrow: [foldhash::HashMap<ContentKey, u32>; CONTENT_SHARDS],
    wide: foldhash::HashMap<ContentKey, Packed>,
    held: usize,
    limit: usize,
    runs: super::content_runs::Runs,
    /// Where runs go (the store's directory, so that they count against
    /// its disk), or the system's temporary directory.
    dir: Option<std::path::PathBuf>,
    /// The first failure to write or read a run: the plan it served is
    /// then void, and import reports it before appending anything.
    failed: std::cell::Cell<Option<std::io::Error>>,
}

impl Default for ContentMap {
    fn default() -> Self {
        ContentMap::with_limit(HELD_ENTRIES)
    }
}

impl ContentMap {
    fn with_limit(limit: usize) -> Self {
        ContentMap {
            narrow: Default::default(),
            wide: Default::default(),
            held: 0,
            limit,
            runs: Default::default(),
            dir: None,
            failed: Default::default(),
        }
    }

    /// Runs go to anonymous files in `dir`.
    pub fn spill_to(&mut self, dir: &std::path::Path) {
        self.dir = Some(dir.to_path_buf());
    }

    /// Takes the first failure to write or read a run, if any.
    pub fn take_failure(&mut self) -> Option<std::io::Error> {
        self.failed.take()
    }

    fn fail(&self, e: std::io::Error) {
        let first = self.failed.take().unwrap_or(e);
        self.failed.set(Some(first));
    }

    fn shard(&self, key: &ContentKey) -> usize {
        // Keys are hash bits: the low ones are as even as any.
        key[0] as usize % CONTENT_SHARDS
    }

    pub fn get(&self, key: &ContentKey) -> Option<Packed> {
        let held = match self.narrow[self.shard(key)].get(key) {
            Some(v) => Some(widen(*v)),
            None => self.wide.get(key).copied(),
        };
        if held.is_some() || self.runs.is_empty() {
            return held;
        }
        self.runs.get(key).unwrap_or_else(|e| {
            self.fail(e);
            None
        })
    }

    pub fn insert(&mut self, key: ContentKey, p: Packed) {
        let shard = self.shard(&key);
        let new = match narrow(p) {
            Some(v) => {
                let wide = if self.wide.is_empty() {
                    None
                } else {
                    self.wide.remove(&key)
                };
                self.narrow[shard].insert(key, v).is_none() && wide.is_none()
            }
            None => {
                let narrow = self.narrow[shard].remove(&key);
                self.wide.insert(key, p).is_none() && narrow.is_none()
            }
        };
        if new {
            self.held += 1;
            if self.held >= self.limit {
                self.spill();
            }
        }
    }

    /// Writes every entry held out as the newest run. The tables keep
    /// their capacity: they fill to the same size again.
    fn spill(&mut self) {
        let mut entries = Vec::with_capacity(self.held);
        for shard in &mut self.narrow {
            entries.extend(shard.drain().map(|(k, v)| (k, widen(v))));
        }
        entries.extend(self.wide.drain());
        self.held = 0;
        if let Err(e) = self.runs.push(entries, self.dir.as_deref()) {
            self.fail(e);
        }
    }
}

/// What each claim line of an input stands for, in about a bit a line: a
/// line stands for the claim it adds unless told otherwise, and only the
/// others (a duplicate, a line that is a recorded claim, a line whose
/// claim a later line corrected: a few in a hundred) keep their `Ref`.
/// Before, every claim line kept 16 bytes: 17 MB of an import of 1M lines,
/// most of what pass 1 holds besides the content map.
#[derive(Default)]
pub struct LineClaims {
    lines: LineSet,
    other: foldhash::HashMap<u64, Packed>,
}

impl LineClaims {
    /// What claim line `line` stands for; None if it is not a claim line.
    pub fn get(&self, refs: &Refs, line: u64) -> Option<Ref> {
        if !self.lines.contains(line) {
            return None;
        }
        Some(match self.other.get(&line) {
            Some(p) => refs.unpack(*p),
            None => Ref::Planned(line),
        })
    }

    pub fn set(&mut self, refs: &mut Refs, line: u64, r: Ref) {
        self.lines.insert(line);
        let p = refs.pack(r);
        if p == Packed(line) {
            self.other.remove(&line);
        } else {
            self.other.insert(line, p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a map of full refs, through refs narrow and wide (lines
    /// and id indices on both sides of 2^31) replacing each other.
    #[test]
    fn content_map_holds_what_a_map_of_full_refs_holds() {
        let mut map = ContentMap::default();
        let mut model = std::collections::HashMap::new();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let refs = [0, 1, (1 << 31) - 1, 1 << 31, (1 << 32) + 5, EXISTING - 1];
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = [(x % 500) as u32, 7, 8, 9];
            let v = refs[((x >> 16) % 6) as usize].min(x >> 40);
            let p = if (x >> 12).is_multiple_of(2) {
                Packed(v)
            } else {
                Packed(EXISTING | v)
            };
            map.insert(key, p);
            model.insert(key, p);
        }
        for k in 0..600u32 {
            let key = [k, 7, 8, 9];
            assert_eq!(map.get(&key), model.get(&key).copied(), "key {k}");
        }
        for p in [
            Packed(0),
            Packed((1 << 31) - 1),
            Packed(EXISTING | ((1 << 31) - 1)),
        ] {
            assert_eq!(narrow(p).map(widen), Some(p));
        }
        assert_eq!(narrow(Packed(1 << 31)), None);
        assert_eq!(narrow(Packed(EXISTING | (1 << 31))), None);
    }

    /// Against a map of full refs, with entries written out as runs every
    /// `limit` new keys (1: every key its own run; 64: the tests' bound;
    /// none): keys seen again are updated wherever their last value lies,
    /// lookups interleave with inserts as the plan's do, and keys never
    /// inserted are absent, whatever the runs' filters say.
    #[test]
    fn content_map_spilled_to_runs_holds_what_a_map_holds() {
        for limit in [1, 3, 64, 1000, usize::MAX] {
            let dir = tempfile::tempdir().unwrap();
            let mut map = ContentMap::with_limit(limit);
            map.spill_to(dir.path());
            let mut model = std::collections::HashMap::new();
            let mut x: u64 = 0x853c_49e6_748f_ea9b;
            let mut next = || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            // Keys from a pool of 3000, full 128-bit, so that the runs'
            // blocks and filters see keys spread as hashes are.
            let key_of = |i: u64| -> ContentKey {
                let h = blake3::hash(&i.to_le_bytes());
                content_key(&Hash32(*h.as_bytes()))
            };
            for step in 0..6000u64 {
                let r = next();
                let key = key_of(r % 3000);
                if r & (1 << 40) == 0 {
                    let v = (r >> 20) % (1 << 33);
                    let p = if r & (1 << 41) == 0 {
                        Packed(v)
                    } else {
                        Packed(EXISTING | v)
                    };
                    map.insert(key, p);
                    model.insert(key, p);
                } else {
                    assert_eq!(map.get(&key), model.get(&key).copied(), "step {step}");
                }
            }
            for i in 0..4000 {
                let key = key_of(i);
                assert_eq!(
                    map.get(&key),
                    model.get(&key).copied(),
                    "limit {limit}, key {i}"
                );
            }
            assert!(map.take_failure().is_none());
            if limit <= 64 {
                assert!(!map.runs.is_empty(), "limit {limit} wrote runs");
            }
        }
    }

    /// A run that cannot be written is a failure the import reports (it
    /// then appends nothing), not a key quietly forgotten.
    #[test]
    fn content_map_reports_a_run_it_could_not_write() {
        let dir = tempfile::tempdir().unwrap();
        let mut map = ContentMap::with_limit(2);
        map.spill_to(&dir.path().join("gone"));
        map.insert([1, 2, 3, 4], Packed(1));
        assert!(map.take_failure().is_none());
        map.insert([5, 6, 7, 8], Packed(2));
        assert!(map.take_failure().is_some());
    }

    /// Against a map from line to ref, through sets that replace a line's
    /// own claim by others and back.
    #[test]
    fn line_claims_hold_what_a_map_holds() {
        let mut refs = Refs::default();
        let mut lc = LineClaims::default();
        let mut model = std::collections::BTreeMap::new();
        let ids: Vec<Hash32> = (0..5u8).map(|i| Hash32([i; 32])).collect();
        // A fixed pseudo-random walk: lines, and what each is set to.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..5000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let line = x % 700;
            let r = match (x >> 20) % 4 {
                0 | 1 => Ref::Planned(line),
                2 => Ref::Planned((x >> 32) % 700),
                _ => Ref::Existing(ids[((x >> 32) % 5) as usize]),
            };
            lc.set(&mut refs, line, r);
            model.insert(line, r);
        }
        for line in 0..800 {
            assert_eq!(
                lc.get(&refs, line),
                model.get(&line).copied(),
                "line {line}"
            );
        }
        // Only the lines standing for another claim than their own are kept.
        let others = model
            .iter()
            .filter(|(l, r)| **r != Ref::Planned(**l))
            .count();
        assert_eq!(lc.other.len(), others);
    }

    #[test]
    fn packed_refs_unpack_to_what_was_packed() {
        let mut t = Refs::default();
        let a = Hash32([1; 32]);
        let b = Hash32([2; 32]);
        for r in [
            Ref::Planned(0),
            Ref::Planned(EXISTING - 1),
            Ref::Existing(a),
            Ref::Existing(b),
        ] {
            let p = t.pack(r);
            assert_eq!(t.unpack(p), r);
        }
        assert_eq!(t.pack(Ref::Existing(a)), t.pack(Ref::Existing(a)));
        assert_eq!(t.ids.len(), 2);
    }

    #[test]
    #[should_panic(expected = "below 2^63")]
    fn a_planned_line_at_2_63_is_refused() {
        Refs::default().pack(Ref::Planned(EXISTING));
    }

    /// Against a BTreeSet, for lines around word boundaries, far ones and
    /// the largest: every line in or out as inserted, counted once.
    #[test]
    fn line_set_holds_what_a_btreeset_holds() {
        let mut lines: Vec<u64> = (0..300).filter(|l| l % 3 != 1).collect();
        lines.extend([63, 64, 127, 128, 4095, 4096, 4097]);
        lines.extend([
            DENSE_LINES - 1,
            DENSE_LINES,
            1 << 40,
            u64::MAX - 1,
            u64::MAX,
        ]);
        lines.extend(lines.clone());
        let mut set = LineSet::default();
        let mut model = BTreeSet::new();
        assert!(set.is_empty());
        for l in lines {
            set.insert(l);
            model.insert(l);
            assert_eq!(set.len(), model.len());
        }
        let probes = (0..400).chain([DENSE_LINES - 2, DENSE_LINES + 1, 1 << 39, u64::MAX]);
        for l in probes.chain(model.iter().copied()) {
            assert_eq!(set.contains(l), model.contains(&l), "line {l}");
        }
        // The bits stop at the largest dense line inserted.
        assert_eq!(set.words.len() as u64, DENSE_LINES / 64);
    }
}
