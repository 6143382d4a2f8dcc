//! The planner's per-line state in few bytes: a million-line import keeps
//! a reference per claim line and per distinct claim, and a mark per line
//! to append, so their size is most of what import holds besides sled.

use crate::event::Hash32;
use std::collections::HashMap;

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

/// A set of line numbers as one bit per line (lines are dense: 1..=N).
#[derive(Default)]
pub struct LineSet {
    words: Vec<u64>,
    len: usize,
}

impl LineSet {
    fn at(line: u64) -> (usize, u64) {
        let word = usize::try_from(line / 64).expect("a line number that fits in memory");
        (word, 1 << (line % 64))
    }

    pub fn insert(&mut self, line: u64) {
        let (w, bit) = Self::at(line);
        if self.words.len() <= w {
            self.words.resize(w + 1, 0);
        }
        if self.words[w] & bit == 0 {
            self.words[w] |= bit;
            self.len += 1;
        }
    }

    pub fn contains(&self, line: u64) -> bool {
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
    fn line_set_counts_each_line_once() {
        let mut s = LineSet::default();
        assert!(s.is_empty());
        for l in [1, 64, 65, 1000, 64] {
            s.insert(l);
        }
        assert_eq!(s.len(), 4);
        assert!(s.contains(64) && s.contains(1000) && !s.contains(63) && !s.contains(5000));
    }
}
