//! Helpers shared by the log-engine tests: event builders, store set-up, an
//! independent frame parser, directory copies and a tiny seeded PRNG.

use claimlog::{
    Breakdown, Claim, ClaimFields, Event, FuzzyDate, Name, Origin, Quantity, Report, Scope, Slug,
    Source, SourceId, SourceKind, Store, StoreError, StoreOptions, Text, HEADER_LEN,
};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The bundled seed dataset (JSON Lines).
pub const SEED: &str = include_str!("../../docs/examples/seed-claims.jsonl");

pub fn origin() -> Origin {
    Origin::new("test.example/claimlog").unwrap()
}

pub fn opts(segment_bytes: u64) -> StoreOptions {
    StoreOptions {
        segment_bytes,
        recorded_by: None,
        ..StoreOptions::default()
    }
}

pub fn source_event(id: &str) -> Event {
    Event::SourceRegistered(Source {
        id: SourceId::new(id).unwrap(),
        name: Name::new(format!("Source {id}")).unwrap(),
        kind: SourceKind::Media,
        homepage: None,
    })
}

pub fn claim(source: &str, metric: &str, n: i64) -> Claim {
    claim_on(source, metric, n, FuzzyDate::Unknown)
}

/// A claim about an event on `date`.
pub fn claim_on(source: &str, metric: &str, n: i64, date: FuzzyDate) -> Claim {
    Claim::new(ClaimFields {
        metric: Slug::new(metric).unwrap(),
        breakdown: Breakdown::default(),
        quantity: Quantity::Exact(n),
        scope: Scope::Event { date, label: None },
        source: SourceId::new(source).unwrap(),
        speaker: None,
        cites: None,
        url: None,
        published: FuzzyDate::Unknown,
        quote: Text::new(format!("{n} people came home")).unwrap(),
        note: None,
    })
    .unwrap()
}

pub fn claim_event(source: &str, metric: &str, n: i64) -> Event {
    Event::ClaimAdded(claim(source, metric, n))
}

/// A small store: genesis, 2 sources, 3 claims (seqs 0..=5), closed again.
pub fn small_store(dir: &Path, segment_bytes: u64) {
    let mut s = Store::create(dir, origin(), opts(segment_bytes)).unwrap();
    for e in [
        source_event("alpha"),
        source_event("beta"),
        claim_event("alpha", "people_returned", 207),
        claim_event("beta", "people_returned", 95),
        claim_event("alpha", "exchanges", 3),
    ] {
        s.append(vec![e]).unwrap();
    }
    assert_eq!(s.head().seq, 5);
}

/// The segment files of a store, in order.
pub fn segment_files(store: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(store.join("log"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    v.sort();
    v
}

/// Frame boundaries of one segment, parsed independently of the crate:
/// 24-byte header, then u32 LE len (bit 31: more in batch), u32 LE !len,
/// record, 32-byte hash.
pub fn frames(seg: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut off = usize::try_from(HEADER_LEN).unwrap();
    while off + 8 <= seg.len() {
        let len = u32::from_le_bytes(seg[off..off + 4].try_into().unwrap());
        let check = u32::from_le_bytes(seg[off + 4..off + 8].try_into().unwrap());
        assert_eq!(check, !len, "test parser: bad frame header");
        // Bit 31 says "more frames of this batch follow" (FORMAT.md, Frame).
        let end = off + 8 + usize::try_from(len & 0x7fff_ffff).unwrap() + 32;
        assert!(end <= seg.len(), "test parser: incomplete frame");
        out.push(off..end);
        off = end;
    }
    assert_eq!(off, seg.len(), "test parser: trailing bytes");
    out
}

pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

/// The canonical bincode varint (standard config) of `n`.
pub fn varint(n: u64) -> Vec<u8> {
    if n < 251 {
        vec![u8::try_from(n).unwrap()]
    } else if let Ok(v) = u16::try_from(n) {
        let mut b = vec![0xFB];
        b.extend_from_slice(&v.to_le_bytes());
        b
    } else if let Ok(v) = u32::try_from(n) {
        let mut b = vec![0xFC];
        b.extend_from_slice(&v.to_le_bytes());
        b
    } else {
        let mut b = vec![0xFD];
        b.extend_from_slice(&n.to_le_bytes());
        b
    }
}

/// splitmix64: small, seedable, good enough to pick moments and shapes.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Retries `f` while the store is locked, for up to 10 s. Tests run in
/// threads of one process and some spawn children: a child holds copies of
/// the parent's file descriptors until it execs, and an flock belongs to the
/// open file description, so a LOCK this process just released can stay
/// held for that moment.
pub fn unlocked<T>(mut f: impl FnMut() -> Result<T, StoreError>) -> Result<T, StoreError> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match f() {
            Err(StoreError::Locked { .. }) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            r => return r,
        }
    }
}

/// `Store::open`, retried while locked (see `unlocked`).
pub fn open(dir: &Path, segment_bytes: u64) -> Store {
    unlocked(|| Store::open(dir, opts(segment_bytes))).unwrap()
}

/// `claimlog::verify`, retried while locked (see `unlocked`).
pub fn check(dir: &Path, deep: bool) -> Report {
    unlocked(|| claimlog::verify(dir, deep)).unwrap()
}
