//! The canonical record encoding: every valid record round-trips, and
//! nothing but the one canonical encoding of a record decodes.

use crate::common::varint;
use claimlog::{
    decode_record, encode_record, Breakdown, Claim, ClaimFields, CodecError, Correction, Day,
    Event, FuzzyDate, Genesis, Hash32, Name, Origin, Period, Quantity, Record, Retraction, Scope,
    Slug, Source, SourceId, SourceKind, Text, Url, FORMAT_VERSION, MAX_RECORD_BYTES,
};
use proptest::prelude::*;

fn slug() -> impl Strategy<Value = Slug> {
    "[a-z0-9]{1,6}(_[a-z0-9]{1,6}){0,2}".prop_map(|s| Slug::new(s).unwrap())
}

fn source_id() -> impl Strategy<Value = SourceId> {
    "[a-z0-9]{1,6}(-[a-z0-9]{1,6}){0,2}".prop_map(|s| SourceId::new(s).unwrap())
}

fn name() -> impl Strategy<Value = Name> {
    "[A-Za-z0-9À-ÿ]([A-Za-z0-9À-ÿ .,'-]{0,30}[A-Za-z0-9])?".prop_map(|s| Name::new(s).unwrap())
}

fn text() -> impl Strategy<Value = Text> {
    "[\\PC\n\t]{1,80}".prop_filter_map("blank text", |s| Text::new(s).ok())
}

fn url() -> impl Strategy<Value = Url> {
    "https?://[a-z]{1,10}\\.[a-z]{2,3}(/[a-z0-9]{0,8}){0,2}".prop_map(|s| Url::new(s).unwrap())
}

fn origin() -> impl Strategy<Value = Origin> {
    "[a-z0-9./:_-]{1,30}".prop_map(|s| Origin::new(s).unwrap())
}

fn day() -> impl Strategy<Value = Day> {
    (1i32..=9999, 1u8..=12, 1u8..=31)
        .prop_filter_map("no such day", |(y, m, d)| Day::from_ymd(y, m, d).ok())
}

fn fuzzy() -> BoxedStrategy<FuzzyDate> {
    prop_oneof![
        Just(FuzzyDate::Unknown),
        (1i32..=9999).prop_map(FuzzyDate::Year),
        (1i32..=9999, 1u8..=12).prop_map(|(y, m)| FuzzyDate::Month(y, m)),
        day().prop_map(FuzzyDate::Day),
    ]
    .boxed()
}

fn period() -> impl Strategy<Value = Period> {
    (day(), day()).prop_map(|(a, b)| Period {
        from: a.min(b),
        to: a.max(b),
    })
}

fn scope() -> BoxedStrategy<Scope> {
    prop_oneof![
        (fuzzy(), proptest::option::of(name()))
            .prop_map(|(date, label)| Scope::Event { date, label }),
        period().prop_map(|p| Scope::Period {
            from: p.from,
            to: p.to
        }),
        (fuzzy(), fuzzy(), proptest::option::of(name())).prop_map(|(since, as_of, label)| {
            Scope::Cumulative {
                since,
                as_of,
                label,
            }
        }),
        (period(), period()).prop_map(|(period, baseline)| Scope::Change { period, baseline }),
    ]
    .boxed()
}

fn quantity() -> BoxedStrategy<Quantity> {
    let n = prop_oneof![-1000i64..1000, any::<i64>()];
    prop_oneof![
        n.clone().prop_map(Quantity::Exact),
        n.clone().prop_map(Quantity::AtLeast),
        n.clone().prop_map(Quantity::AtMost),
        n.clone().prop_map(Quantity::Approx),
        (n.clone(), n).prop_map(|(a, b)| Quantity::Range {
            low: a.min(b),
            high: a.max(b)
        }),
    ]
    .boxed()
}

fn breakdown() -> impl Strategy<Value = Breakdown> {
    proptest::collection::vec((slug(), slug()), 0..4)
        .prop_filter_map("repeated key", |p| Breakdown::new(p).ok())
}

fn claim() -> BoxedStrategy<Claim> {
    (
        slug(),
        breakdown(),
        quantity(),
        scope(),
        source_id(),
        proptest::option::of(name()),
        proptest::option::of(source_id()),
        proptest::option::of(url()),
        fuzzy(),
        text(),
        proptest::option::of(text()),
    )
        .prop_filter_map(
            "claim fails a cross-field rule",
            |(
                metric,
                breakdown,
                quantity,
                scope,
                source,
                speaker,
                cites,
                url,
                published,
                quote,
                note,
            )| {
                Claim::new(ClaimFields {
                    metric,
                    breakdown,
                    quantity,
                    scope,
                    source,
                    speaker,
                    cites,
                    url,
                    published,
                    quote,
                    note,
                })
                .ok()
            },
        )
        .boxed()
}

fn hash() -> impl Strategy<Value = Hash32> {
    any::<[u8; 32]>().prop_map(Hash32)
}

fn event() -> BoxedStrategy<Event> {
    let kind = prop_oneof![
        Just(SourceKind::Official),
        Just(SourceKind::Media),
        Just(SourceKind::Ngo),
        Just(SourceKind::Other),
    ];
    prop_oneof![
        (any::<[u8; 16]>(), origin())
            .prop_map(|(store_id, origin)| Event::Genesis(Genesis { store_id, origin })),
        (source_id(), name(), kind, proptest::option::of(url())).prop_map(
            |(id, name, kind, homepage)| Event::SourceRegistered(Source {
                id,
                name,
                kind,
                homepage
            })
        ),
        claim().prop_map(Event::ClaimAdded),
        (hash(), text())
            .prop_map(|(claim, reason)| Event::ClaimRetracted(Retraction { claim, reason })),
        (hash(), claim(), text())
            .prop_map(|(old, new, reason)| Event::ClaimCorrected(Correction { old, new, reason })),
    ]
    .boxed()
}

fn record() -> BoxedStrategy<Record> {
    (
        any::<u64>(),
        hash(),
        any::<i64>(),
        proptest::option::of(name()),
        event(),
    )
        .prop_map(|(seq, prev, recorded_at_ms, recorded_by, event)| Record {
            format: FORMAT_VERSION,
            seq,
            prev,
            recorded_at_ms,
            recorded_by,
            event,
        })
        .boxed()
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, m)| Mutation::Flip(i, m)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Remove),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
    let n = bytes.len();
    match *m {
        Mutation::Flip(i, mask) => bytes[i % n] ^= mask,
        Mutation::Set(i, b) => bytes[i % n] = b,
        Mutation::Insert(i, b) => bytes.insert(i % (n + 1), b),
        Mutation::Remove(i) => {
            bytes.remove(i % n);
        }
        Mutation::Truncate(i) => bytes.truncate(i % n),
    }
}

/// What `decode_record` may say about `bytes`: an error, or a record whose
/// canonical encoding is exactly `bytes`.
fn assert_only_canonical(bytes: &[u8]) -> Option<Record> {
    match decode_record(bytes) {
        Ok(r) => {
            let again = encode_record(&r).expect("a decoded record encodes");
            assert_eq!(again, bytes, "decode accepted non-canonical bytes: {r:?}");
            Some(r)
        }
        Err(_) => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn codec_valid_records_round_trip_to_the_same_bytes(r in record()) {
        let bytes = encode_record(&r).unwrap();
        prop_assert!(bytes.len() <= MAX_RECORD_BYTES);
        let back = decode_record(&bytes).unwrap();
        prop_assert_eq!(&back, &r);
        prop_assert_eq!(encode_record(&back).unwrap(), bytes);
    }

    #[test]
    fn codec_random_bytes_never_panic_and_never_decode_unless_canonical(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        assert_only_canonical(&bytes);
        // Random bytes behind a valid envelope start, to get past the first fields.
        let mut b = vec![0x01, 0x07];
        b.extend_from_slice(&bytes);
        assert_only_canonical(&b);
    }

    #[test]
    fn codec_mutated_records_never_panic_and_never_decode_unless_canonical(
        r in record(),
        ms in proptest::collection::vec(mutation(), 1..4),
    ) {
        let orig = encode_record(&r).unwrap();
        let mut bytes = orig.clone();
        for m in &ms {
            if bytes.is_empty() {
                break;
            }
            mutate(&mut bytes, m);
        }
        if let Some(d) = assert_only_canonical(&bytes) {
            prop_assert_eq!(d == r, bytes == orig);
        }
    }
}

fn sample() -> (Record, Vec<u8>) {
    let r = Record {
        format: FORMAT_VERSION,
        seq: 5,
        prev: Hash32([9; 32]),
        recorded_at_ms: 1_700_000_000_000,
        recorded_by: Some(Name::new("tester").unwrap()),
        event: Event::ClaimRetracted(Retraction {
            claim: Hash32([3; 32]),
            reason: Text::new("duplicate").unwrap(),
        }),
    };
    let b = encode_record(&r).unwrap();
    (r, b)
}

fn rejected_as_non_canonical(bytes: &[u8]) -> bool {
    matches!(
        decode_record(bytes),
        Err(CodecError::NonCanonical) | Err(CodecError::Decode(_))
    )
}

#[test]
fn codec_rejects_wider_than_needed_varints() {
    let (r, b) = sample();
    // The envelope starts: format (u32 varint 1), seq (u64 varint 5).
    assert_eq!(b[..2], [0x01, 0x05]);
    assert_eq!(decode_record(&b).unwrap(), r);
    let rest = &b[2..];
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "seq as 0xFB + u16",
            [&[0x01, 0xFB, 0x05, 0x00][..], rest].concat(),
        ),
        (
            "seq as 0xFC + u32",
            [&[0x01, 0xFC, 5, 0, 0, 0][..], rest].concat(),
        ),
        (
            "seq as 0xFD + u64",
            [&[0x01, 0xFD, 5, 0, 0, 0, 0, 0, 0, 0][..], rest].concat(),
        ),
        (
            "format as 0xFB + u16",
            [&[0xFB, 0x01, 0x00, 0x05][..], rest].concat(),
        ),
    ];
    for (what, bytes) in cases {
        assert!(
            rejected_as_non_canonical(&bytes),
            "{what}: {:?}",
            decode_record(&bytes)
        );
    }
    // A value that needs 0xFB, encoded one size wider.
    let r300 = Record {
        seq: 300,
        ..r.clone()
    };
    let b300 = encode_record(&r300).unwrap();
    assert_eq!(b300[1..4], varint(300)[..]);
    let wide = [&[0x01, 0xFC, 0x2C, 0x01, 0x00, 0x00][..], &b300[4..]].concat();
    assert!(
        rejected_as_non_canonical(&wide),
        "{:?}",
        decode_record(&wide)
    );
    // The string length of `recorded_by` ("tester", 6 bytes) widened.
    let at = b.windows(7).position(|w| w == b"\x06tester").unwrap();
    let wide = [&b[..at], &[0xFB, 0x06, 0x00][..], &b[at + 1..]].concat();
    assert!(
        rejected_as_non_canonical(&wide),
        "{:?}",
        decode_record(&wide)
    );
}

#[test]
fn codec_rejects_trailing_bytes_truncation_other_versions_and_oversize() {
    let (_, b) = sample();
    for extra in [&[0u8][..], &[0, 0, 0], &[0xFF]] {
        let long = [&b[..], extra].concat();
        assert!(
            matches!(decode_record(&long), Err(CodecError::TrailingBytes(n)) if n == extra.len()),
            "{:?}",
            decode_record(&long)
        );
    }
    for n in 0..b.len() {
        assert!(
            decode_record(&b[..n]).is_err(),
            "prefix of {n} bytes decoded"
        );
    }
    let mut v2 = b.clone();
    v2[0] = 2;
    assert!(matches!(decode_record(&v2), Err(CodecError::Version(2))));
    let huge = vec![0u8; MAX_RECORD_BYTES + 1];
    assert!(matches!(decode_record(&huge), Err(CodecError::TooLarge(_))));
}
