//! Golden vectors for docs/FORMAT.md.
//!
//! `tests/data/golden/records.json` is the source of truth: the tests below
//! rebuild every record from Rust values and require the exact bytes and
//! hashes committed there. A change that moves one byte fails here, which is
//! the point: the format is a promise (docs/FORMAT.md, "Version changes").
//!
//! The file also holds records a decoder must refuse, and one complete
//! segment file. `independent_decoder_reads_every_vector` parses the records
//! with a small reader written from FORMAT.md alone (no bincode), and
//! `segment_chain_recomputed_with_blake3` re-derives the chain with the
//! `blake3` crate directly.
//!
//! To regenerate after a deliberate format change (a new format version):
//!     cargo test --test format_vectors -- --ignored regenerate_golden_vectors

use claimlog::{
    decode_record, encode_record, record_hash, Breakdown, Claim, ClaimFields, CodecError,
    Correction, Day, Event, FuzzyDate, Genesis, Hash32, Name, Origin, Period, Quantity, Record,
    Retraction, Scope, Slug, Source, SourceId, SourceKind, Text, Url, FORMAT_VERSION,
    RECORD_HASH_CONTEXT, SEGMENT_MAGIC,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::path::PathBuf;

// ---------------------------------------------------------------------------
// The vector file.

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Vectors {
    about: Vec<String>,
    format: u32,
    record_hash_context: String,
    records: Vec<RecordVector>,
    segment: SegmentVector,
    invalid_records: Vec<InvalidVector>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct RecordVector {
    description: String,
    seq: u64,
    /// The record as `serde_json::to_value(&Record)`: the JSON form of the
    /// event is the one `claimlog log --json` prints under `event`.
    record: Value,
    record_hex: String,
    prev_hex: String,
    hash_hex: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct SegmentVector {
    description: String,
    /// The seqs of the records framed in `hex`, in order.
    seqs: Vec<u64>,
    hex: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct InvalidVector {
    description: String,
    hex: String,
    /// `decode`, `trailing_bytes`, `non_canonical` or `version`.
    error: String,
}

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden/records.json")
}

fn load() -> Vectors {
    let text = std::fs::read_to_string(vectors_path()).expect("read the golden vector file");
    serde_json::from_str(&text).expect("parse the golden vector file")
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex")
}

// ---------------------------------------------------------------------------
// Building the records from Rust values. Nothing here depends on the clock
// or on randomness.

/// 2024-11-22T00:00:00Z.
const T0: i64 = 1_732_233_600_000;

fn day(y: i32, m: u8, d: u8) -> Day {
    Day::from_ymd(y, m, d).expect("valid day")
}
fn slug(s: &str) -> Slug {
    Slug::new(s).expect("slug")
}
fn sid(s: &str) -> SourceId {
    SourceId::new(s).expect("source id")
}
fn name(s: &str) -> Name {
    Name::new(s).expect("name")
}
fn text(s: &str) -> Text {
    Text::new(s).expect("text")
}
fn url(s: &str) -> Url {
    Url::new(s).expect("url")
}
fn claim(f: ClaimFields) -> Claim {
    Claim::new(f).expect("valid claim")
}

/// The fields shared by several claims; each vector overrides what it shows.
fn base_fields(source: &str) -> ClaimFields {
    ClaimFields {
        metric: slug("people_returned"),
        breakdown: Breakdown::default(),
        quantity: Quantity::Exact(0),
        scope: Scope::Period {
            from: day(2024, 1, 1),
            to: day(2024, 12, 31),
        },
        source: sid(source),
        speaker: None,
        cites: None,
        url: None,
        published: FuzzyDate::Unknown,
        quote: text("placeholder"),
        note: None,
    }
}

fn at_least_7000() -> ClaimFields {
    ClaimFields {
        quantity: Quantity::AtLeast(7000),
        published: FuzzyDate::Year(2025),
        quote: text("Over 7,000 people have been returned home in 2024."),
        ..base_fields("coordination-hq")
    }
}

struct Built {
    description: &'static str,
    record: Record,
    bytes: Vec<u8>,
    hash: Hash32,
}

/// The chain of golden records: a valid ledger from genesis on.
fn build_chain() -> Vec<Built> {
    fn push(
        description: &'static str,
        at: i64,
        by: Option<&str>,
        make: &dyn Fn(&[Built]) -> Event,
        out: &mut Vec<Built>,
    ) {
        let seq = u64::try_from(out.len()).expect("small");
        let prev = out.last().map_or(Hash32::ZERO, |b| b.hash);
        let record = Record {
            format: FORMAT_VERSION,
            seq,
            prev,
            recorded_at_ms: at,
            recorded_by: by.map(name),
            event: make(out),
        };
        let bytes = encode_record(&record).expect("encodes");
        let hash = record_hash(&prev, &bytes);
        out.push(Built {
            description,
            record,
            bytes,
            hash,
        });
    }
    let mut out: Vec<Built> = Vec::new();

    push(
        "seq 0: genesis with a fixed store_id (00..0f) and origin; recorded_by absent",
        T0,
        None,
        &|_| {
            Event::Genesis(Genesis {
                store_id: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
                origin: Origin::new("example.org/pow-exchanges").expect("origin"),
            })
        },
        &mut out,
    );
    push(
        "seq 1: source_registered, kind media (tag 1), with a homepage; recorded_by present",
        T0 + 1_000,
        Some("Olena K."),
        &|_| {
            Event::SourceRegistered(Source {
                id: sid("kyiv-independent"),
                name: name("The Kyiv Independent"),
                kind: SourceKind::Media,
                homepage: Some(url("https://kyivindependent.com")),
            })
        },
        &mut out,
    );
    push(
        "seq 2: source_registered, kind official (tag 0), no homepage",
        T0 + 2_000,
        None,
        &|_| {
            Event::SourceRegistered(Source {
                id: sid("coordination-hq"),
                name: name("Coordination Headquarters for the Treatment of Prisoners of War"),
                kind: SourceKind::Official,
                homepage: None,
            })
        },
        &mut out,
    );
    push(
        "seq 3: claim_added, quantity exact, scope event with a day and a label, a two-key \
         breakdown (given unsorted, stored sorted) and every optional field; non-ASCII text; \
         a note longer than 250 bytes (length prefix 0xfb + u16)",
        T0 + 3_000,
        Some("Olena K."),
        &|_| {
            Event::ClaimAdded(claim(ClaimFields {
                breakdown: Breakdown::new(vec![
                    (slug("side"), slug("ukraine")),
                    (slug("category"), slug("civilian")),
                ])
                .expect("breakdown"),
                quantity: Quantity::Exact(207),
                scope: Scope::Event {
                    date: FuzzyDate::Day(day(2024, 12, 30)),
                    label: Some(name("exchange of 30 December")),
                },
                speaker: Some(name("Volodymyr Zelensky")),
                cites: Some(sid("coordination-hq")),
                url: Some(url("https://kyivindependent.com/ukraine-brings-home-189")),
                published: FuzzyDate::Day(day(2024, 12, 31)),
                quote: text(
                    "We are bringing home 207 of our people \u{2014} soldiers and civilians.",
                ),
                note: Some(text(
                    "The outlet's headline says 189; the 207 counts the civilians returned the \
                     same day.\nKept as the outlet states it, with the President as speaker and \
                     the Coordination Headquarters as the cited source, so that totals can tell \
                     the two figures apart and explain which one they used.",
                )),
                ..base_fields("kyiv-independent")
            }))
        },
        &mut out,
    );
    push(
        "seq 4: claim_added, quantity at_least 7000 (zigzag 14000: 0xfb + u16), scope period, \
         published year, no optional fields (four 0x00 option tags, empty breakdown 0x00)",
        T0 + 4_000,
        None,
        &|_| Event::ClaimAdded(claim(at_least_7000())),
        &mut out,
    );
    push(
        "seq 5: claim_added, quantity at_most 100000 (zigzag 200000: 0xfc + u32), scope \
         cumulative (since a day, as of a month, with a label), published unknown",
        T0 + 5_000,
        None,
        &|_| {
            Event::ClaimAdded(claim(ClaimFields {
                quantity: Quantity::AtMost(100_000),
                scope: Scope::Cumulative {
                    since: FuzzyDate::Day(day(2022, 2, 24)),
                    as_of: FuzzyDate::Month(2024, 12),
                    label: Some(name("since the full-scale invasion")),
                },
                published: FuzzyDate::Unknown,
                quote: text("No more than a hundred thousand in all, officials say."),
                ..base_fields("kyiv-independent")
            }))
        },
        &mut out,
    );
    push(
        "seq 6: claim_added, quantity approx, scope event with a year and no label",
        T0 + 6_000,
        None,
        &|_| {
            Event::ClaimAdded(claim(ClaimFields {
                quantity: Quantity::Approx(8000),
                scope: Scope::Event {
                    date: FuzzyDate::Year(2024),
                    label: None,
                },
                published: FuzzyDate::Month(2025, 1),
                quote: text("About 8,000 came home during the year."),
                ..base_fields("kyiv-independent")
            }))
        },
        &mut out,
    );
    push(
        "seq 7: claim_added, quantity range with negative bounds (allowed only with scope \
         change), scope change (two periods)",
        T0 + 7_000,
        None,
        &|_| {
            Event::ClaimAdded(claim(ClaimFields {
                metric: slug("exchanges"),
                quantity: Quantity::Range {
                    low: -50,
                    high: -40,
                },
                scope: Scope::Change {
                    period: Period {
                        from: day(2024, 1, 1),
                        to: day(2024, 12, 31),
                    },
                    baseline: Period {
                        from: day(2023, 1, 1),
                        to: day(2023, 12, 31),
                    },
                },
                published: FuzzyDate::Day(day(2025, 1, 2)),
                quote: text("Between 40 and 50 fewer exchanges than the year before."),
                ..base_fields("coordination-hq")
            }))
        },
        &mut out,
    );
    push(
        "seq 8: claim_retracted, withdrawing the claim of seq 6 (its id is the hash of seq 6)",
        T0 + 8_000,
        Some("Olena K."),
        &|done| {
            Event::ClaimRetracted(Retraction {
                claim: done[6].hash,
                reason: text("Duplicate of the headquarters' own figure."),
            })
        },
        &mut out,
    );
    push(
        "seq 9: claim_corrected, replacing the claim of seq 4; the new claim's id is the hash \
         of this record",
        T0 + 9_000,
        Some("Olena K."),
        &|done| {
            Event::ClaimCorrected(Correction {
                old: done[4].hash,
                new: claim(ClaimFields {
                    quantity: Quantity::AtLeast(7100),
                    ..at_least_7000()
                }),
                reason: text("The headquarters revised its figure."),
            })
        },
        &mut out,
    );
    out
}

/// Records a decoder must refuse, and the error it must give.
fn build_invalid(chain: &[Built]) -> Vec<InvalidVector> {
    let genesis = &chain[0].bytes;
    let mut v = Vec::new();
    let mut add = |description: &str, bytes: Vec<u8>, error: &str| {
        v.push(InvalidVector {
            description: description.into(),
            hex: hex::encode(bytes),
            error: error.into(),
        });
    };

    let mut b = genesis.clone();
    b.push(0);
    add(
        "the genesis record of seq 0 with one trailing 0x00",
        b,
        "trailing_bytes",
    );

    // format = 1 written as 0xfb 0x01 0x00: the right value, not the shortest form.
    let mut b = vec![0xfb, 0x01, 0x00];
    b.extend_from_slice(&genesis[1..]);
    add(
        "the genesis record with format 1 written in three bytes (0xfb 01 00)",
        b,
        "non_canonical",
    );

    let mut b = genesis.clone();
    b[0] = 2;
    add(
        "the genesis record with format 2 (the rest unchanged)",
        b,
        "version",
    );

    // recorded_by is the byte after format (1), seq (1), prev (32), recorded_at_ms (9).
    let mut b = genesis.clone();
    assert_eq!(b[43], 0, "recorded_by tag of the genesis vector");
    b[43] = 2;
    add(
        "the genesis record with Option tag 2 for recorded_by",
        b,
        "decode",
    );

    // The event tag follows recorded_by.
    let mut b = genesis.clone();
    b[44] = 5;
    add("the genesis record with event tag 5", b, "decode");

    // The origin's last byte ('s') replaced by a space.
    let mut b = genesis.clone();
    let last = b.len() - 1;
    b[last] = b' ';
    add(
        "the genesis record with an origin that ends in a space",
        b,
        "decode",
    );

    let mut b = genesis.clone();
    b[last] = 0xff;
    add(
        "the genesis record with an origin that is not UTF-8",
        b,
        "decode",
    );

    // Swap the two breakdown pairs of seq 3 so the keys are not ascending.
    let rec = &chain[3].bytes;
    let a = pair(b"category", b"civilian");
    let c = pair(b"side", b"ukraine");
    let mut ac = a.clone();
    ac.extend_from_slice(&c);
    let at = find(rec, &ac).expect("breakdown pairs in seq 3");
    let mut b = rec[..at].to_vec();
    b.extend_from_slice(&c);
    b.extend_from_slice(&a);
    b.extend_from_slice(&rec[at + ac.len()..]);
    add(
        "the claim of seq 3 with its breakdown pairs in descending key order",
        b,
        "decode",
    );

    // A claim whose published year is 0. `Claim::new` refuses it, so the
    // bytes are patched: Year(2024) is [1, 0xfb, 0xd0, 0x0f] (tag 1, zigzag
    // 4048), Year(0) is [1, 0]. 0xfb never occurs in UTF-8 text, so the last
    // match is the published date. The decoder refuses years outside 1..=9999.
    let mut r = chain[4].record.clone();
    if let Event::ClaimAdded(c) = &r.event {
        let mut f = c.fields().clone();
        f.published = FuzzyDate::Year(2024);
        r.event = Event::ClaimAdded(claim(f));
    }
    let valid = encode_record(&r).expect("encodes");
    let y2024 = [1u8, 0xfb, 0xd0, 0x0f];
    let at = valid
        .windows(4)
        .rposition(|w| w == y2024)
        .expect("published year in the record");
    let mut b = valid[..at].to_vec();
    b.extend_from_slice(&[1, 0]);
    b.extend_from_slice(&valid[at + 4..]);
    add("the claim of seq 4 with published year 0", b, "decode");

    // A count claim (not a change) with a negative value.
    let rec = &chain[4].bytes;
    let q = [1u8, 0xfb, 0xb0, 0x36]; // AtLeast (tag 1), zigzag(7000) = 14000 = 0x36b0
    let at = find(rec, &q).expect("quantity in seq 4");
    let mut b = rec.to_vec();
    b[at + 2] = 0xaf; // zigzag 13999 = -7000
    add(
        "the claim of seq 4 with quantity at_least -7000 under a period scope",
        b,
        "decode",
    );
    v
}

fn pair(k: &[u8], val: &[u8]) -> Vec<u8> {
    let mut p = vec![u8::try_from(k.len()).expect("short")];
    p.extend_from_slice(k);
    p.push(u8::try_from(val.len()).expect("short"));
    p.extend_from_slice(val);
    p
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A segment file: the 24-byte header, then one frame per record.
fn segment_bytes(first_seq: u64, records: &[&Built]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&SEGMENT_MAGIC);
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&first_seq.to_le_bytes());
    for r in records {
        let len = u32::try_from(r.bytes.len()).expect("small");
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(&r.bytes);
        out.extend_from_slice(&r.hash.0);
    }
    out
}

fn build_vectors() -> Vectors {
    let chain = build_chain();
    let records = chain
        .iter()
        .map(|b| RecordVector {
            description: b.description.into(),
            seq: b.record.seq,
            record: serde_json::to_value(&b.record).expect("json"),
            record_hex: hex::encode(&b.bytes),
            prev_hex: b.record.prev.to_hex(),
            hash_hex: b.hash.to_hex(),
        })
        .collect();
    let first3: Vec<&Built> = chain.iter().take(3).collect();
    Vectors {
        about: vec![
            "Golden vectors for docs/FORMAT.md (format version 1). This file is the source of truth;".into(),
            "tests/format_vectors.rs checks the encoder against it byte for byte.".into(),
            "records: one valid chain; each record's prev_hex is the previous record's hash_hex.".into(),
            "hash_hex = blake3 derive_key(record_hash_context, prev (32 bytes) || record bytes).".into(),
            "segment: a complete segment file 00000000.seg holding the first three records.".into(),
            "invalid_records: record bytes every decoder must refuse, with the error class.".into(),
        ],
        format: FORMAT_VERSION,
        record_hash_context: RECORD_HASH_CONTEXT.into(),
        invalid_records: build_invalid(&chain),
        records,
        segment: SegmentVector {
            description: "00000000.seg with first_seq 0 and the records of seq 0, 1 and 2".into(),
            seqs: vec![0, 1, 2],
            hex: hex::encode(segment_bytes(0, &first3)),
        },
    }
}

#[test]
#[ignore = "writes tests/data/golden/records.json; run only for a deliberate format change"]
fn regenerate_golden_vectors() {
    let v = build_vectors();
    let path = vectors_path();
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let mut s = serde_json::to_string_pretty(&v).expect("json");
    s.push('\n');
    std::fs::write(&path, s).expect("write vectors");
}

// ---------------------------------------------------------------------------
// (a) and (b): the encoder and decoder against the committed file.

#[test]
fn encoder_matches_committed_vectors() {
    let file = load();
    let built = build_vectors();
    assert_eq!(file.format, FORMAT_VERSION);
    assert_eq!(file.record_hash_context, RECORD_HASH_CONTEXT);
    assert_eq!(file.records.len(), built.records.len(), "record count");
    for (f, b) in file.records.iter().zip(&built.records) {
        let what = &f.description;
        assert_eq!(f.seq, b.seq, "{what}: seq");
        assert_eq!(f.record_hex, b.record_hex, "{what}: record bytes changed");
        assert_eq!(f.prev_hex, b.prev_hex, "{what}: prev");
        assert_eq!(f.hash_hex, b.hash_hex, "{what}: record hash changed");
        assert_eq!(f.record, b.record, "{what}: JSON form");
    }
    assert_eq!(file.segment, built.segment, "segment file changed");
    assert_eq!(
        file.invalid_records, built.invalid_records,
        "invalid records"
    );
    assert_eq!(
        file, built,
        "the vector file differs from what the code builds"
    );
}

#[test]
fn decoder_reads_committed_vectors() {
    let file = load();
    let chain = build_chain();
    let mut prev = Hash32::ZERO;
    for (f, b) in file.records.iter().zip(&chain) {
        let bytes = unhex(&f.record_hex);
        let r = decode_record(&bytes).unwrap_or_else(|e| panic!("{}: {e}", f.description));
        assert_eq!(r, b.record, "{}", f.description);
        assert_eq!(encode_record(&r).expect("re-encodes"), bytes);
        assert_eq!(r.prev, prev, "{}: chain link", f.description);
        assert_eq!(Hash32::from_hex(&f.prev_hex), Some(prev));
        prev = record_hash(&prev, &bytes);
        assert_eq!(prev.to_hex(), f.hash_hex, "{}", f.description);
        assert_eq!(serde_json::to_value(&r).expect("json"), f.record);
    }
}

#[test]
fn decoder_refuses_invalid_vectors() {
    let file = load();
    assert!(!file.invalid_records.is_empty());
    for v in &file.invalid_records {
        let err = decode_record(&unhex(&v.hex)).expect_err(&v.description);
        let class = match err {
            CodecError::Decode(_) => "decode",
            CodecError::TrailingBytes(_) => "trailing_bytes",
            CodecError::NonCanonical => "non_canonical",
            CodecError::Version(_) => "version",
            CodecError::TooLarge(_) => "too_large",
            _ => "other",
        };
        assert_eq!(class, v.error, "{}: {err}", v.description);
        // The independent reader refuses them too.
        assert!(
            independent::decode(&unhex(&v.hex)).is_err(),
            "independent reader accepted: {}",
            v.description
        );
    }
}

// ---------------------------------------------------------------------------
// (c): a reader written from docs/FORMAT.md alone. No bincode, no claimlog
// decoding: it turns record bytes into the JSON form and checks the rules the
// format states.

mod independent {
    use serde_json::{json, Map, Value};

    pub type Res<T> = Result<T, String>;

    pub struct Reader<'a> {
        b: &'a [u8],
        at: usize,
    }

    impl<'a> Reader<'a> {
        pub fn new(b: &'a [u8]) -> Self {
            Reader { b, at: 0 }
        }
        fn take(&mut self, n: usize) -> Res<&'a [u8]> {
            let end = self.at.checked_add(n).ok_or("overflow")?;
            let s = self.b.get(self.at..end).ok_or("unexpected end")?;
            self.at = end;
            Ok(s)
        }
        fn byte(&mut self) -> Res<u8> {
            Ok(self.take(1)?[0])
        }
        fn fixed<const N: usize>(&mut self) -> Res<[u8; N]> {
            let mut a = [0u8; N];
            a.copy_from_slice(self.take(N)?);
            Ok(a)
        }
        /// FORMAT.md "Varint": < 251 itself; 251, 252, 253 then u16, u32,
        /// u64 little-endian; the shortest form only.
        pub fn varint(&mut self, max: u64) -> Res<u64> {
            let v = match self.byte()? {
                b @ 0..=250 => u64::from(b),
                251 => {
                    let v = u64::from(u16::from_le_bytes(self.fixed()?));
                    if v < 251 {
                        return Err("non-minimal varint".into());
                    }
                    v
                }
                252 => {
                    let v = u64::from(u32::from_le_bytes(self.fixed()?));
                    if v <= 0xffff {
                        return Err("non-minimal varint".into());
                    }
                    v
                }
                253 => {
                    let v = u64::from_le_bytes(self.fixed()?);
                    if v <= 0xffff_ffff {
                        return Err("non-minimal varint".into());
                    }
                    v
                }
                b => return Err(format!("bad varint marker {b}")),
            };
            if v > max {
                return Err(format!("varint {v} exceeds {max}"));
            }
            Ok(v)
        }
        pub fn u32v(&mut self) -> Res<u32> {
            u32::try_from(self.varint(u64::from(u32::MAX))?).map_err(|e| e.to_string())
        }
        /// Zigzag: even n is n/2, odd n is -(n+1)/2.
        pub fn i64z(&mut self) -> Res<i64> {
            let n = self.varint(u64::MAX)?;
            let half = i64::try_from(n >> 1).map_err(|e| e.to_string())?;
            Ok(if n & 1 == 0 { half } else { -1 - half })
        }
        fn i32z(&mut self) -> Res<i32> {
            let n = self.varint(u64::from(u32::MAX))?;
            let half = i32::try_from(n >> 1).map_err(|e| e.to_string())?;
            Ok(if n & 1 == 0 { half } else { -1 - half })
        }
        fn string(&mut self) -> Res<String> {
            let len = usize::try_from(self.varint(u64::MAX)?).map_err(|e| e.to_string())?;
            let s = self.take(len)?;
            String::from_utf8(s.to_vec()).map_err(|e| e.to_string())
        }
        fn option(&mut self) -> Res<bool> {
            match self.byte()? {
                0 => Ok(false),
                1 => Ok(true),
                t => Err(format!("bad Option tag {t}")),
            }
        }
        fn hash(&mut self) -> Res<String> {
            Ok(hex::encode(self.fixed::<32>()?))
        }
    }

    // Text rules (FORMAT.md "Text types").
    fn chars_ok(s: &str, max: usize) -> Res<()> {
        let n = s.chars().count();
        if n == 0 || n > max {
            return Err(format!("length {n} outside 1..={max}"));
        }
        Ok(())
    }
    fn slug(s: String, sep: char) -> Res<Value> {
        chars_ok(&s, 64)?;
        let ok = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == sep)
            && !s.starts_with(sep)
            && !s.ends_with(sep)
            && !s.contains(&format!("{sep}{sep}"));
        if ok {
            Ok(Value::String(s))
        } else {
            Err(format!("bad slug {s:?}"))
        }
    }
    fn line(s: String, max: usize) -> Res<Value> {
        chars_ok(&s, max)?;
        if s.chars().any(char::is_control) || s.trim() != s {
            return Err(format!("bad line {s:?}"));
        }
        Ok(Value::String(s))
    }
    fn text(s: String) -> Res<Value> {
        chars_ok(&s, 4000)?;
        if s.trim().is_empty() || s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(format!("bad text {s:?}"));
        }
        Ok(Value::String(s))
    }
    fn url(s: String) -> Res<Value> {
        let v = line(s, 2048)?;
        let s = v.as_str().unwrap_or_default();
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .ok_or("url scheme")?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() || host.contains(char::is_whitespace) || s.contains(' ') {
            return Err("bad url".into());
        }
        Ok(v)
    }
    fn origin(s: String) -> Res<Value> {
        let v = line(s, 200)?;
        if v.as_str()
            .unwrap_or_default()
            .chars()
            .any(|c| c.is_whitespace() || c == '+')
        {
            return Err("bad origin".into());
        }
        Ok(v)
    }

    fn days_in_month(y: i32, m: u8) -> u8 {
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        match m {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    fn year(r: &mut Reader) -> Res<i32> {
        let y = r.i32z()?;
        if (1..=9999).contains(&y) {
            Ok(y)
        } else {
            Err(format!("year {y}"))
        }
    }
    fn month(r: &mut Reader) -> Res<u8> {
        let m = r.byte()?;
        if (1..=12).contains(&m) {
            Ok(m)
        } else {
            Err(format!("month {m}"))
        }
    }
    /// Day: year (zigzag varint), month (u8), day (u8), as (y, m, d).
    fn day(r: &mut Reader) -> Res<(i32, u8, u8)> {
        let y = year(r)?;
        let m = month(r)?;
        let d = r.byte()?;
        if d == 0 || d > days_in_month(y, m) {
            return Err(format!("day {d}"));
        }
        Ok((y, m, d))
    }
    fn day_str((y, m, d): (i32, u8, u8)) -> String {
        format!("{y:04}-{m:02}-{d:02}")
    }
    fn last_day((y, m, _): (i32, u8, u8)) -> (i32, u8, u8) {
        (y, m, days_in_month(y, m))
    }
    /// FuzzyDate: tag 0 unknown, 1 year, 2 month, 3 day. Returns the JSON
    /// string and the first and last possible day.
    type Bounds = Option<((i32, u8, u8), (i32, u8, u8))>;
    fn fuzzy(r: &mut Reader) -> Res<(Value, Bounds)> {
        Ok(match r.u32v()? {
            0 => (json!("unknown"), None),
            1 => {
                let y = year(r)?;
                (json!(format!("{y:04}")), Some(((y, 1, 1), (y, 12, 31))))
            }
            2 => {
                let y = year(r)?;
                let m = month(r)?;
                (
                    json!(format!("{y:04}-{m:02}")),
                    Some(((y, m, 1), last_day((y, m, 1)))),
                )
            }
            3 => {
                let d = day(r)?;
                (json!(day_str(d)), Some((d, d)))
            }
            t => return Err(format!("FuzzyDate tag {t}")),
        })
    }
    fn period(r: &mut Reader) -> Res<Value> {
        let from = day(r)?;
        let to = day(r)?;
        if from > to {
            return Err("period ends before it starts".into());
        }
        Ok(json!({ "from": day_str(from), "to": day_str(to) }))
    }

    fn opt(m: &mut Map<String, Value>, key: &str, v: Option<Value>) {
        if let Some(v) = v {
            m.insert(key.into(), v);
        }
    }

    fn source(r: &mut Reader) -> Res<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("id".into(), slug(r.string()?, '-')?);
        m.insert("name".into(), line(r.string()?, 200)?);
        let kind = match r.u32v()? {
            0 => "official",
            1 => "media",
            2 => "ngo",
            3 => "other",
            t => return Err(format!("SourceKind tag {t}")),
        };
        m.insert("kind".into(), json!(kind));
        let home = if r.option()? {
            Some(url(r.string()?)?)
        } else {
            None
        };
        opt(&mut m, "homepage", home);
        Ok(m)
    }

    /// A Claim, in ClaimFields order, with the cross-field rules.
    fn claim(r: &mut Reader) -> Res<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("metric".into(), slug(r.string()?, '_')?);
        let n = r.varint(16)?;
        let mut bd = Map::new();
        let mut last: Option<String> = None;
        for _ in 0..n {
            let k = slug(r.string()?, '_')?;
            let v = slug(r.string()?, '_')?;
            let k = k.as_str().unwrap_or_default().to_string();
            if last.as_ref().is_some_and(|l| *l >= k) {
                return Err("breakdown keys not strictly ascending".into());
            }
            last = Some(k.clone());
            bd.insert(k, v);
        }
        if n > 0 {
            m.insert("breakdown".into(), Value::Object(bd));
        }
        let (quantity, values) = match r.u32v()? {
            0 => {
                let v = r.i64z()?;
                (json!({ "exact": v }), vec![v])
            }
            1 => {
                let v = r.i64z()?;
                (json!({ "at_least": v }), vec![v])
            }
            2 => {
                let v = r.i64z()?;
                (json!({ "at_most": v }), vec![v])
            }
            3 => {
                let v = r.i64z()?;
                (json!({ "approx": v }), vec![v])
            }
            4 => {
                let low = r.i64z()?;
                let high = r.i64z()?;
                if low > high {
                    return Err("range low > high".into());
                }
                (
                    json!({ "range": { "low": low, "high": high } }),
                    vec![low, high],
                )
            }
            t => return Err(format!("Quantity tag {t}")),
        };
        m.insert("quantity".into(), quantity);
        let scope_tag = r.u32v()?;
        let scope = match scope_tag {
            0 => {
                let (date, _) = fuzzy(r)?;
                let mut s = Map::new();
                s.insert("kind".into(), json!("event"));
                s.insert("date".into(), date);
                let label = if r.option()? {
                    Some(line(r.string()?, 200)?)
                } else {
                    None
                };
                opt(&mut s, "label", label);
                Value::Object(s)
            }
            1 => {
                let mut p = period(r)?;
                p["kind"] = json!("period");
                p
            }
            2 => {
                let (since, sb) = fuzzy(r)?;
                let (as_of, ab) = fuzzy(r)?;
                if let (Some((s, _)), Some((_, a))) = (sb, ab) {
                    if s > a {
                        return Err("cumulative since after as_of".into());
                    }
                }
                let mut s = Map::new();
                s.insert("kind".into(), json!("cumulative"));
                s.insert("since".into(), since);
                s.insert("as_of".into(), as_of);
                let label = if r.option()? {
                    Some(line(r.string()?, 200)?)
                } else {
                    None
                };
                opt(&mut s, "label", label);
                Value::Object(s)
            }
            3 => json!({ "kind": "change", "period": period(r)?, "baseline": period(r)? }),
            t => return Err(format!("Scope tag {t}")),
        };
        if scope_tag != 3 && values.iter().any(|v| *v < 0) {
            return Err("negative count outside a change scope".into());
        }
        m.insert("scope".into(), scope);
        m.insert("source".into(), slug(r.string()?, '-')?);
        let speaker = if r.option()? {
            Some(line(r.string()?, 200)?)
        } else {
            None
        };
        opt(&mut m, "speaker", speaker);
        let cites = if r.option()? {
            Some(slug(r.string()?, '-')?)
        } else {
            None
        };
        opt(&mut m, "cites", cites);
        let u = if r.option()? {
            Some(url(r.string()?)?)
        } else {
            None
        };
        opt(&mut m, "url", u);
        m.insert("published".into(), fuzzy(r)?.0);
        m.insert("quote".into(), text(r.string()?)?);
        let note = if r.option()? {
            Some(text(r.string()?)?)
        } else {
            None
        };
        opt(&mut m, "note", note);
        Ok(m)
    }

    /// Decodes one record into its JSON form.
    pub fn decode(bytes: &[u8]) -> Res<Value> {
        if bytes.len() > 65_536 {
            return Err("too large".into());
        }
        let mut r = Reader::new(bytes);
        let format = r.u32v()?;
        if format != 1 {
            return Err(format!("format {format}"));
        }
        let seq = r.varint(u64::MAX)?;
        let prev = r.hash()?;
        let at = r.i64z()?;
        let by = if r.option()? {
            line(r.string()?, 200)?
        } else {
            Value::Null
        };
        let event = match r.u32v()? {
            0 => {
                let store_id = hex::encode(r.fixed::<16>()?);
                let origin = origin(r.string()?)?;
                json!({ "type": "genesis", "store_id": store_id, "origin": origin })
            }
            1 => {
                let mut m = source(&mut r)?;
                m.insert("type".into(), json!("source_registered"));
                Value::Object(m)
            }
            2 => {
                let mut m = claim(&mut r)?;
                m.insert("type".into(), json!("claim_added"));
                Value::Object(m)
            }
            3 => {
                let claim = r.hash()?;
                let reason = text(r.string()?)?;
                json!({ "type": "claim_retracted", "claim": claim, "reason": reason })
            }
            4 => {
                let old = r.hash()?;
                let new = Value::Object(claim(&mut r)?);
                let reason = text(r.string()?)?;
                json!({ "type": "claim_corrected", "old": old, "new": new, "reason": reason })
            }
            t => return Err(format!("Event tag {t}")),
        };
        if r.at != bytes.len() {
            return Err(format!("{} trailing bytes", bytes.len() - r.at));
        }
        Ok(json!({
            "format": format,
            "seq": seq,
            "prev": prev,
            "recorded_at_ms": at,
            "recorded_by": by,
            "event": event,
        }))
    }
}

#[test]
fn independent_decoder_reads_every_vector() {
    let file = load();
    for v in &file.records {
        let got = independent::decode(&unhex(&v.record_hex))
            .unwrap_or_else(|e| panic!("{}: {e}", v.description));
        assert_eq!(got, v.record, "{}", v.description);
    }
    // The genesis and one full claim, field by field, as FORMAT.md spells them.
    let g = &file.records[0].record;
    assert_eq!(g["seq"], json!(0));
    assert_eq!(g["prev"], json!("00".repeat(32)));
    assert_eq!(g["recorded_at_ms"], json!(T0));
    assert_eq!(g["recorded_by"], Value::Null);
    assert_eq!(
        g["event"]["store_id"],
        json!("000102030405060708090a0b0c0d0e0f")
    );
    assert_eq!(g["event"]["origin"], json!("example.org/pow-exchanges"));
    let c = &file.records[3].record["event"];
    assert_eq!(c["type"], json!("claim_added"));
    assert_eq!(
        c["breakdown"],
        json!({ "category": "civilian", "side": "ukraine" })
    );
    assert_eq!(c["quantity"], json!({ "exact": 207 }));
    assert_eq!(c["scope"]["date"], json!("2024-12-30"));
    assert_eq!(c["cites"], json!("coordination-hq"));
    assert_eq!(c["published"], json!("2024-12-31"));
}

#[test]
fn varint_and_zigzag_examples_from_the_doc() {
    // Each row of the tables in FORMAT.md "Integers".
    let unsigned: &[(u64, &str)] = &[
        (0, "00"),
        (250, "fa"),
        (251, "fbfb00"),
        (65_535, "fbffff"),
        (65_536, "fc00000100"),
        (4_294_967_296, "fd0000000001000000"),
    ];
    for (v, h) in unsigned {
        let got = independent::Reader::new(&unhex(h)).varint(u64::MAX);
        assert_eq!(got, Ok(*v), "{h}");
    }
    let signed: &[(i64, &str)] = &[(0, "00"), (-1, "01"), (1, "02"), (-2, "03"), (125, "fa")];
    for (v, h) in signed {
        assert_eq!(independent::Reader::new(&unhex(h)).i64z(), Ok(*v), "{h}");
    }
    assert!(independent::Reader::new(&unhex("fb0500"))
        .varint(u64::MAX)
        .is_err());
}

// ---------------------------------------------------------------------------
// (d): the segment file, parsed by hand and re-hashed with blake3 directly.

fn rehash(prev: &[u8; 32], record: &[u8]) -> [u8; 32] {
    let mut h = blake3::Hasher::new_derive_key("claimlog 2026-11 record v1");
    h.update(prev);
    h.update(record);
    *h.finalize().as_bytes()
}

#[test]
fn segment_chain_recomputed_with_blake3() {
    let file = load();
    let seg = unhex(&file.segment.hex);
    assert_eq!(&seg[..8], b"CLMLOG\x00\x01", "magic");
    assert_eq!(u32::from_le_bytes(seg[8..12].try_into().expect("4")), 1);
    assert_eq!(&seg[12..16], &[0, 0, 0, 0]);
    let first_seq = u64::from_le_bytes(seg[16..24].try_into().expect("8"));
    assert_eq!(first_seq, file.segment.seqs[0]);
    let mut at = 24usize;
    let mut prev = [0u8; 32];
    let mut seen = Vec::new();
    while at < seg.len() {
        let len = u32::from_le_bytes(seg[at..at + 4].try_into().expect("4"));
        let check = u32::from_le_bytes(seg[at + 4..at + 8].try_into().expect("4"));
        assert_eq!(check, !len, "length check word");
        let n = usize::try_from(len).expect("fits");
        assert!((1..=65_536).contains(&n));
        let record = &seg[at + 8..at + 8 + n];
        let stored: [u8; 32] = seg[at + 8 + n..at + 8 + n + 32].try_into().expect("32");
        let computed = rehash(&prev, record);
        assert_eq!(stored, computed, "frame at offset {at}");
        // The record's own prev field sits after format (1 byte) and seq (1 byte here).
        assert_eq!(&record[2..34], &prev, "prev field");
        let v = &file.records[seen.len()];
        assert_eq!(hex::encode(record), v.record_hex);
        assert_eq!(hex::encode(stored), v.hash_hex);
        seen.push(v.seq);
        prev = computed;
        at += 8 + n + 32;
    }
    assert_eq!(at, seg.len(), "the file ends on a frame boundary");
    assert_eq!(seen, file.segment.seqs);
    // The hash rule again, for every record of the chain.
    let mut prev = [0u8; 32];
    for v in &file.records {
        let h = rehash(&prev, &unhex(&v.record_hex));
        assert_eq!(hex::encode(h), v.hash_hex, "{}", v.description);
        prev = h;
    }
}

/// The segment vector is a store claimlog opens and verifies; a flipped bit
/// and a torn tail are reported the way FORMAT.md says.
#[test]
fn segment_vector_is_a_store_that_verifies() {
    let file = load();
    let seg = unhex(&file.segment.hex);
    let store = |bytes: &[u8]| {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("log")).expect("mkdir");
        std::fs::write(dir.path().join("log/00000000.seg"), bytes).expect("write");
        dir
    };
    let ok = store(&seg);
    let report = claimlog::verify(ok.path(), true).expect("verify");
    assert!(report.ok(), "{:?}", report.problem);
    assert_eq!(report.records, 3);
    assert_eq!(
        report.head.map(|h| h.hash.to_hex()),
        Some(file.records[2].hash_hex.clone())
    );

    // Flip one bit inside the record bytes of seq 1.
    let first_len =
        usize::try_from(u32::from_le_bytes(seg[24..28].try_into().expect("4"))).expect("fits");
    let second = 24 + 8 + first_len + 32;
    let mut flipped = seg.clone();
    flipped[second + 8 + 40] ^= 0x01;
    let bad = store(&flipped);
    let report = claimlog::verify(bad.path(), false).expect("verify");
    let p = report.problem.expect("a problem");
    assert_eq!((p.seq, p.kind.as_str()), (1, "hash mismatch"));

    // Cut the last 5 bytes: a torn tail, not a problem; two records remain.
    let torn = store(&seg[..seg.len() - 5]);
    let report = claimlog::verify(torn.path(), false).expect("verify");
    assert!(report.ok(), "{:?}", report.problem);
    assert!(report.torn_tail.is_some());
    assert_eq!(report.records, 2);
}

/// The first pass of a replay reads only the envelope and the event tag
/// (`ends_a_claim`): it must name exactly the retractions and corrections.
#[test]
fn ends_a_claim_reads_the_tag_of_every_golden_record() {
    let file = load();
    let mut ending = 0;
    for f in &file.records {
        let bytes = unhex(&f.record_hex);
        let r = decode_record(&bytes).expect("decodes");
        let ends = matches!(r.event, Event::ClaimRetracted(_) | Event::ClaimCorrected(_));
        ending += usize::from(ends);
        assert_eq!(
            claimlog::ends_a_claim(&bytes).ok(),
            Some(ends),
            "{}",
            f.description
        );
    }
    assert!(
        ending >= 2,
        "the vectors hold a retraction and a correction"
    );
    for v in &file.invalid_records {
        if let Some(CodecError::Version(_)) = decode_record(&unhex(&v.hex)).err() {
            assert!(
                claimlog::ends_a_claim(&unhex(&v.hex)).is_err(),
                "{}",
                v.description
            );
        }
    }
}

/// The fold takes a claim's bytes from its record's (`claim_range`)
/// instead of encoding the claim again: in every golden record that adds
/// a claim, the range must be exactly the claim's own encoding, and
/// records that add none have none.
#[test]
fn claim_range_is_the_claims_own_encoding_in_every_golden_record() {
    let file = load();
    let mut adding = 0;
    for f in &file.records {
        let bytes = unhex(&f.record_hex);
        let r = decode_record(&bytes).expect("decodes");
        let claim = match &r.event {
            Event::ClaimAdded(c) => Some(c),
            Event::ClaimCorrected(c) => Some(&c.new),
            _ => None,
        };
        let range = claimlog::claim_range(&r, bytes.len());
        match claim {
            Some(c) => {
                adding += 1;
                let own = bincode::encode_to_vec(c, bincode::config::standard()).unwrap();
                assert_eq!(
                    range.map(|x| &bytes[x]),
                    Some(&own[..]),
                    "{}",
                    f.description
                );
            }
            None => assert_eq!(range, None, "{}", f.description),
        }
    }
    assert!(
        adding >= 2,
        "the vectors hold an added and a corrected claim"
    );
}
