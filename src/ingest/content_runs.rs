//! The part of import's content map past its bound in memory: sorted
//! runs in anonymous files, each with a filter and a sparse index in
//! memory, so that the map's memory stops growing with the input.
//!
//! Why: the map holds an entry per distinct claim of the input, about 44
//! bytes a line as its tables grow by doubling: 57 MB of RSS at 1M lines,
//! 104-106 MB at 3M (docs/PERFORMANCE.md). A run costs 2 bytes an entry
//! in memory (its filter, 16 bits an entry) and 24 on disk.
//!
//! A lookup that misses memory asks each run's filter (one cache line),
//! newest first, and reads one block of the runs it cannot rule out: most
//! lines are new claims, which every filter rules out but for about one
//! run in eight hundred.

use super::compact::{ContentKey, Packed};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Entries a block read holds: 3 KB.
const BLOCK: usize = 128;
/// A key's four u32s and its value's u64, little-endian.
const ENTRY: usize = 24;
/// Filter bits per entry: with six probes in a 512-bit block, one false
/// "maybe" in about 820 (0.12 % of 2M absent keys against a run of 2^18).
const BITS_PER_ENTRY: usize = 16;
const PROBES: usize = 6;

/// Sorted runs, oldest first.
#[derive(Default)]
pub struct Runs {
    runs: Vec<Run>,
}

struct Run {
    file: File,
    len: usize,
    /// The first key of each block of BLOCK entries.
    firsts: Vec<ContentKey>,
    filter: Vec<[u64; 8]>,
}

/// The filter block of `key` among `blocks`, and its bits: the key is
/// hash bits already, so its words serve as the filter's hashes.
fn probes(key: &ContentKey, blocks: usize) -> (usize, [u16; PROBES]) {
    let block = ((u64::from(key[0]) * blocks as u64) >> 32) as usize;
    let bits = (u128::from(key[1]) << 64) | (u128::from(key[2]) << 32) | u128::from(key[3]);
    let mut out = [0u16; PROBES];
    for (i, o) in out.iter_mut().enumerate() {
        // Nine bits each: a position in the 512-bit block.
        *o = ((bits >> (9 * i)) & 0x1ff) as u16;
    }
    (block, out)
}

fn encode(key: &ContentKey, value: Packed, out: &mut [u8]) {
    for (i, w) in key.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
    }
    out[16..24].copy_from_slice(&value.raw().to_le_bytes());
}

fn decode(bytes: &[u8]) -> (ContentKey, Packed) {
    let word = |i: usize| u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().expect("4 bytes"));
    let value = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    (
        [word(0), word(1), word(2), word(3)],
        Packed::from_raw(value),
    )
}

impl Run {
    /// A run of `entries`, sorted by key, each key once.
    fn write(entries: &[(ContentKey, Packed)], dir: Option<&Path>) -> std::io::Result<Run> {
        let file = match dir {
            Some(d) => tempfile::tempfile_in(d)?,
            None => tempfile::tempfile()?,
        };
        let blocks = (entries.len() * BITS_PER_ENTRY).div_ceil(512).max(1);
        let mut filter = vec![[0u64; 8]; blocks];
        let mut firsts = Vec::with_capacity(entries.len().div_ceil(BLOCK));
        let mut out = BufWriter::with_capacity(1 << 16, &file);
        let mut buf = [0u8; ENTRY];
        for (i, (key, value)) in entries.iter().enumerate() {
            if i % BLOCK == 0 {
                firsts.push(*key);
            }
            let (b, bits) = probes(key, blocks);
            for bit in bits {
                filter[b][usize::from(bit / 64)] |= 1 << (bit % 64);
            }
            encode(key, *value, &mut buf);
            out.write_all(&buf)?;
        }
        out.flush()?;
        drop(out);
        Ok(Run {
            file,
            len: entries.len(),
            firsts,
            filter,
        })
    }

    fn may_hold(&self, key: &ContentKey) -> bool {
        let (b, bits) = probes(key, self.filter.len());
        let block = &self.filter[b];
        bits.iter()
            .all(|bit| block[usize::from(bit / 64)] & (1 << (bit % 64)) != 0)
    }

    fn get(&self, key: &ContentKey, buf: &mut Vec<u8>) -> std::io::Result<Option<Packed>> {
        // The last block whose first key is not above `key`.
        let Some(block) = self.firsts.partition_point(|f| f <= key).checked_sub(1) else {
            return Ok(None);
        };
        let start = block * BLOCK;
        let n = BLOCK.min(self.len - start);
        buf.resize(n * ENTRY, 0);
        self.file.read_exact_at(buf, (start * ENTRY) as u64)?;
        let entries = buf.chunks_exact(ENTRY).map(decode);
        Ok(entries
            .take_while(|(k, _)| k <= key)
            .find(|(k, _)| k == key)
            .map(|(_, v)| v))
    }
}

impl Runs {
    /// Adds a run of `entries` (sorted here) as the newest.
    pub fn push(
        &mut self,
        mut entries: Vec<(ContentKey, Packed)>,
        dir: Option<&Path>,
    ) -> std::io::Result<()> {
        entries.sort_unstable_by_key(|e| e.0);
        self.runs.push(Run::write(&entries, dir)?);
        Ok(())
    }

    /// The value of `key` in the newest run that holds it.
    pub fn get(&self, key: &ContentKey) -> std::io::Result<Option<Packed>> {
        let mut buf = Vec::new();
        for run in self.runs.iter().rev() {
            if run.may_hold(key) {
                if let Some(v) = run.get(key, &mut buf)? {
                    return Ok(Some(v));
                }
            }
        }
        Ok(None)
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }
}
