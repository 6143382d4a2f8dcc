//! The planner's per-line state in few bytes: a million-line import keeps
//! a reference per claim line and per distinct claim, and a mark per line
//! to append, so their size is most of what import holds besides sled.

use crate::event::Hash32;
use std::collections::{BTreeSet, HashMap};

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

/// Line numbers a `Packed` can hold: below 2^63.
pub const MAX_LINE: u64 = EXISTING;

/// Interns the ids of recorded claims so that `Packed` can name them.
#[derive(Default)]
pub struct Refs {
    ids: Vec<Hash32>,
    index: HashMap<Hash32, u64>,
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

#[cfg(test)]
mod tests {
    use super::*;

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
