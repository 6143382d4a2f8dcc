//! The limits claimlog is compared with: what the hardware and the cheapest
//! possible code do with the same records and bytes.

use claimlog::{record_hash, Hash32, FRAME_OVERHEAD, HEADER_LEN};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn segments(log_dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(log_dir)
        .expect("log dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    v.sort();
    v
}

/// Bytes in the store's segment files.
pub fn log_bytes(store: &Path) -> u64 {
    segments(&store.join("log"))
        .iter()
        .map(|p| std::fs::metadata(p).expect("segment").len())
        .sum()
}

/// A file beside the store (same file system) that takes frames of
/// `frame` bytes, each written and fdatasync'd on its own: claimlog's own
/// I/O pattern with nothing else.
///
/// `overwrite`: the file is first filled with zeros for `k` frames and
/// synced, and the frames overwrite it, so an fdatasync never has to
/// commit a new file size or newly allocated blocks (what SQLite's reused
/// WAL file gets); otherwise the file grows with every frame, as claimlog's
/// segments do.
pub struct SyncLoop {
    file: std::fs::File,
    path: PathBuf,
    buf: Vec<u8>,
}

impl SyncLoop {
    pub fn new(store: &Path, name: &str, k: usize, frame: usize, overwrite: bool) -> SyncLoop {
        use std::io::{Seek, SeekFrom};
        let path = store.join(name);
        let mut file = std::fs::File::create(&path).expect("raw file");
        let frame = frame.max(FRAME_OVERHEAD);
        let total = HEADER_LEN as usize + if overwrite { k * frame } else { 0 };
        file.write_all(&vec![0u8; total]).expect("write");
        file.sync_all().expect("sync");
        file.seek(SeekFrom::Start(HEADER_LEN)).expect("seek");
        let buf = (0..frame).map(|i| i as u8).collect();
        SyncLoop { file, path, buf }
    }

    /// Writes and syncs `k` more frames; seconds taken.
    pub fn run(&mut self, k: usize) -> f64 {
        let t = Instant::now();
        for _ in 0..k {
            self.file.write_all(&self.buf).expect("write");
            self.file.sync_data().expect("fdatasync");
        }
        t.elapsed().as_secs_f64()
    }
}

impl Drop for SyncLoop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Reads every segment sequentially and checks the blake3 chain of its
/// frames (length, inverted length, record hash = H(prev || bytes)); no
/// decoding. Returns (records, bytes read, seconds).
pub fn read_chain(log_dir: &Path) -> (u64, u64, f64) {
    let t = Instant::now();
    let mut prev = Hash32::ZERO;
    let (mut records, mut bytes) = (0u64, 0u64);
    let mut rec = Vec::new();
    for seg in segments(log_dir) {
        let mut r = BufReader::with_capacity(1 << 20, std::fs::File::open(&seg).expect("seg"));
        let mut header = [0u8; HEADER_LEN as usize];
        r.read_exact(&mut header).expect("header");
        bytes += HEADER_LEN;
        loop {
            let mut lens = [0u8; 8];
            match r.read_exact(&mut lens) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => panic!("{}: {e}", seg.display()),
            }
            let word = u32::from_le_bytes(lens[..4].try_into().expect("4 bytes"));
            let inv = u32::from_le_bytes(lens[4..].try_into().expect("4 bytes"));
            assert_eq!(word, !inv, "bad frame length in {}", seg.display());
            // Bit 31 marks "more frames of this batch follow" (FORMAT.md, Frame).
            let len = word & !claimlog::MORE_IN_BATCH;
            rec.resize(len as usize, 0);
            r.read_exact(&mut rec).expect("record");
            let mut stored = [0u8; 32];
            r.read_exact(&mut stored).expect("hash");
            let h = record_hash(&prev, &rec);
            assert_eq!(h.0, stored, "chain broken at record {records}");
            prev = h;
            records += 1;
            bytes += (len as usize + FRAME_OVERHEAD) as u64;
        }
    }
    (records, bytes, t.elapsed().as_secs_f64())
}

/// Parses every line of `jsonl` into a `serde_json::Value`. (lines, seconds).
pub fn parse_json(jsonl: &str) -> (u64, f64) {
    let t = Instant::now();
    let r = BufReader::with_capacity(1 << 16, std::fs::File::open(jsonl).expect("jsonl"));
    let mut n = 0u64;
    for line in r.lines() {
        let v: serde_json::Value = serde_json::from_str(&line.expect("line")).expect("json");
        std::hint::black_box(&v);
        n += 1;
    }
    (n, t.elapsed().as_secs_f64())
}

/// Times `fill` writing into a fresh sled tree in `dir`, opened with the
/// cache's settings, and the flush after it; the directory is removed
/// afterwards. Returns (seconds, bytes on disk after the flush).
fn timed_fresh_tree(dir: &Path, fill: impl FnOnce(&sled::Tree)) -> (f64, u64) {
    let _ = std::fs::remove_dir_all(dir);
    let db = claimlog::cache_sled_config()
        .path(dir)
        .open()
        .expect("sled");
    let tree = db.open_tree("raw").expect("tree");
    let t = Instant::now();
    fill(&tree);
    db.flush().expect("flush");
    let secs = t.elapsed().as_secs_f64();
    drop(tree);
    drop(db);
    let bytes = dir_bytes(dir);
    let _ = std::fs::remove_dir_all(dir);
    (secs, bytes)
}

/// The raw sled limit: `n` entries written into a fresh sled tree with the
/// cache's settings, one `insert` each (as the cache's writer does; sled's
/// `apply_batch` is slower and holds far more memory), then flushed. Each
/// entry is what storing one claim once would take: a 48-byte index key
/// (random order, as claim ids are) and a value of `value` bytes.
/// Returns (seconds, bytes on disk after the flush).
pub fn sled_fill(dir: &Path, n: u64, value: usize) -> (f64, u64) {
    let val = vec![0x5au8; value];
    timed_fresh_tree(dir, |tree| {
        for i in 0..n {
            let mut key = [0u8; 48];
            key[..32].copy_from_slice(blake3::hash(&i.to_le_bytes()).as_bytes());
            key[40..].copy_from_slice(&i.to_be_bytes());
            tree.insert(&key[..], &val[..]).expect("insert");
        }
    })
}

/// The floor of a bulk load of the cache: `entries` (a cache's own keys
/// and values, in key order, already in memory) inserted one by one into
/// a fresh sled tree with the cache's settings, then flushed; nothing
/// decoded, folded, sorted or packed. They go in the order claimlog's
/// loads use (`claimlog::filling_leaves`, sled's fastest known to us),
/// worked out before the clock starts; in key order the same load writes
/// about half as much again and takes 1.4-1.9 times as long. Returns
/// (seconds, bytes on disk).
pub fn sled_load(dir: &Path, entries: &[(sled::IVec, sled::IVec)]) -> (f64, u64) {
    // The order of the entries' indices: each index rides as its key's
    // value, so that nothing but the keys is copied.
    let order: Vec<usize> = claimlog::filling_leaves(
        entries
            .iter()
            .enumerate()
            .map(|(i, (k, _))| Ok((k.to_vec(), i.to_le_bytes().to_vec()))),
    )
    .map(|e| {
        let (_, i) = e.expect("the cache's keys ascend");
        usize::from_le_bytes(i.try_into().expect("an index"))
    })
    .collect();
    timed_fresh_tree(dir, |tree| {
        for i in order {
            let (k, v) = &entries[i];
            tree.insert(k, v.clone()).expect("insert");
        }
    })
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| {
                let e = e.expect("entry");
                let m = e.metadata().expect("metadata");
                if m.is_dir() {
                    dir_bytes(&e.path())
                } else {
                    m.len()
                }
            })
            .sum()
        })
        .unwrap_or(0)
}
