//! The canonical record encoding: every valid record round-trips, and
//! nothing but the one canonical encoding of a record decodes.

use crate::common::varint;
use claimlog::limits::MAX_BREAKDOWN;
use claimlog::{
    check_record, decode_record, encode_record, Breakdown, Claim, ClaimFields, CodecError,
    Correction, Day, Event, FuzzyDate, Genesis, Hash32, Name, Origin, Period, Quantity, Record,
    Retraction, Scope, Slug, Source, SourceId, SourceKind, Text, Url, FORMAT_VERSION,
    MAX_RECORD_BYTES,
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
/// canonical encoding is exactly `bytes`. And `check_record`, which
/// checks records without building them (verify), says the same: it
/// accepts exactly these bytes, with this record's seq, prev and kind,
/// and refuses with the decoder's own error. (Where its walk refuses a
/// record the decoder takes, a debug assertion fails: these tests run in
/// debug builds.)
fn assert_only_canonical(bytes: &[u8]) -> Option<Record> {
    let checked = check_record(bytes);
    match decode_record(bytes) {
        Ok(r) => {
            let again = encode_record(&r).expect("a decoded record encodes");
            assert_eq!(again, bytes, "decode accepted non-canonical bytes: {r:?}");
            let c = checked.expect("the checker refused what the decoder accepts");
            assert_eq!(
                (c.seq, c.prev, c.kind()),
                (r.seq, r.prev, r.event.kind()),
                "the checker read another record than the decoder"
            );
            Some(r)
        }
        Err(e) => {
            match checked {
                Ok(c) => panic!("the checker accepted what the decoder refuses ({e}): {c:?}"),
                Err(ce) => assert_eq!(ce.to_string(), e.to_string()),
            }
            None
        }
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
        prop_assert_eq!(encode_record(&back).unwrap(), bytes.clone());
        prop_assert!(assert_only_canonical(&bytes).is_some());
    }

    /// export writes (and verify-snapshot compares) a record's JSON
    /// straight from the record: the text of its `serde_json::Value`.
    #[test]
    fn record_json_is_the_text_of_record_value(r in record()) {
        let value = claimlog::export::record_value(&r);
        prop_assert_eq!(
            claimlog::export::record_json(&r),
            serde_json::to_string(&value).unwrap()
        );
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
    assert_only_canonical(bytes).is_none()
        && matches!(
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

/// Every varint the checker reads (a tag, a count, a string's length, a
/// value inside a claim's quantity and date), widened by one size: the
/// checker refuses each as the decoder does.
#[test]
fn codec_checker_refuses_every_widened_varint_of_a_claim() {
    let mut fields = plain_fields();
    fields.breakdown = Breakdown::new(vec![(
        Slug::new("category").unwrap(),
        Slug::new("civilian").unwrap(),
    )])
    .unwrap();
    let r = Record {
        format: FORMAT_VERSION,
        seq: 7,
        prev: Hash32([1; 32]),
        recorded_at_ms: 5,
        recorded_by: None,
        event: Event::ClaimAdded(Claim::new(fields.clone()).unwrap()),
    };
    assert_eq!(encode_record(&r).unwrap(), added_record_bytes(&fields));
    let b = encode_record(&r).unwrap();
    assert!(assert_only_canonical(&b).is_some());
    // format 1, seq 7, prev (32 bytes), recorded_at 5 (zigzag 10),
    // recorded_by none, then the event's tag (2) and the metric's length.
    assert_eq!(b[..2], [1, 7]);
    assert_eq!(b[34..38], [10, 0, 2, 15]);
    let widen = |at: usize| {
        let v = b[at];
        assert!(v < 251);
        [&b[..at], &[0xFB, v, 0][..], &b[at + 1..]].concat()
    };
    let metric_end = 38 + 15;
    assert_eq!(b[metric_end], 1, "one breakdown pair");
    let quantity = b.windows(4).position(|w| w == [0, 0xFB, 0x9E, 0x01]);
    // Exact (tag 0), 207 zigzag = 414 = 0xFB 0x9E 0x01.
    let quantity = quantity.expect("the quantity's bytes");
    for (what, at) in [
        ("the event tag", 36),
        ("the metric's length", 37),
        ("the breakdown's count", metric_end),
        ("the breakdown key's length", metric_end + 1),
        ("the quantity's tag", quantity),
        ("recorded_at_ms", 34),
    ] {
        let wide = widen(at);
        assert!(
            rejected_as_non_canonical(&wide),
            "{what}: {:?}",
            decode_record(&wide)
        );
    }
    // The quantity's value, 0xFB + u16, as 0xFC + u32.
    let wide = [
        &b[..quantity + 1],
        &[0xFC, 0x9E, 0x01, 0, 0][..],
        &b[quantity + 4..],
    ]
    .concat();
    assert!(
        rejected_as_non_canonical(&wide),
        "{:?}",
        decode_record(&wide)
    );
}

/// bincode's limit counts what it decodes at nominal sizes (8 bytes a
/// u64, 48 a breakdown pair), which the checker does not count: that is
/// sound only while no record that passes every rule comes near it. The
/// largest one does not: every text at its limit in four-byte characters.
#[test]
fn codec_checker_accepts_the_largest_record() {
    use claimlog::limits::{MAX_NAME, MAX_SLUG, MAX_TEXT, MAX_URL};
    let wide = |n: usize| "\u{1D11E}".repeat(n);
    let slug = |i: usize| Slug::new(format!("{i:0>w$}", w = MAX_SLUG)).unwrap();
    let name = || Name::new(wide(MAX_NAME)).unwrap();
    let text = || Text::new(wide(MAX_TEXT)).unwrap();
    let source = || SourceId::new("s".repeat(MAX_SLUG)).unwrap();
    let pairs = (0..MAX_BREAKDOWN).map(|i| (slug(i), slug(i))).collect();
    let url = format!("https://h/{}", wide(MAX_URL - "https://h/".len()));
    let day = FuzzyDate::Day(Day::from_ymd(2024, 1, 31).unwrap());
    let claim = Claim::new(ClaimFields {
        metric: slug(99),
        breakdown: Breakdown::new(pairs).unwrap(),
        quantity: Quantity::Range {
            low: i64::MAX - 1,
            high: i64::MAX,
        },
        scope: Scope::Cumulative {
            since: day,
            as_of: day,
            label: Some(name()),
        },
        source: source(),
        speaker: Some(name()),
        cites: Some(source()),
        url: Some(Url::new(url).unwrap()),
        published: day,
        quote: text(),
        note: Some(text()),
    })
    .unwrap();
    let r = Record {
        format: FORMAT_VERSION,
        seq: u64::MAX,
        prev: Hash32([0xFF; 32]),
        recorded_at_ms: i64::MIN,
        recorded_by: Some(name()),
        event: Event::ClaimCorrected(Correction {
            old: Hash32([0xFF; 32]),
            new: claim,
            reason: text(),
        }),
    };
    let b = encode_record(&r).unwrap();
    assert!(b.len() > 60_000, "{} bytes", b.len());
    assert_eq!(assert_only_canonical(&b), Some(r));
}

/// A `ClaimAdded` record's bytes around `f`, encoded field by field
/// (`ClaimFields` encodes without `Claim`'s rules, so `f` may break them).
fn added_record_bytes(f: &ClaimFields) -> Vec<u8> {
    let cfg = bincode::config::standard();
    let head = (
        FORMAT_VERSION,
        7u64,
        Hash32([1; 32]),
        5i64,
        None::<Name>,
        2u32,
    );
    [
        bincode::encode_to_vec(head, cfg).unwrap(),
        bincode::encode_to_vec(f, cfg).unwrap(),
    ]
    .concat()
}

fn day_of(y: i32, m: u8, d: u8) -> Day {
    Day::from_ymd(y, m, d).unwrap()
}

fn plain_fields() -> ClaimFields {
    ClaimFields {
        metric: Slug::new("people_returned").unwrap(),
        breakdown: Breakdown::default(),
        quantity: Quantity::Exact(207),
        scope: Scope::Event {
            date: FuzzyDate::Day(day_of(2024, 1, 31)),
            label: None,
        },
        source: SourceId::new("rubryka").unwrap(),
        speaker: None,
        cites: None,
        url: None,
        published: FuzzyDate::Year(2024),
        quote: Text::new("207 returned").unwrap(),
        note: None,
    }
}

/// What the checker holds a claim to beyond each field's own decoding:
/// the rules across fields, a breakdown's order and size, an option's
/// one-byte tag. Each case is refused by the decoder, and by the checker
/// with the decoder's error.
#[test]
fn codec_checker_refuses_claims_that_break_a_rule() {
    let valid = added_record_bytes(&plain_fields());
    assert!(assert_only_canonical(&valid).is_some());
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    let with = |change: &dyn Fn(&mut ClaimFields)| {
        let mut f = plain_fields();
        change(&mut f);
        added_record_bytes(&f)
    };
    cases.push((
        "a negative count outside a change",
        with(&|f| f.quantity = Quantity::Exact(-5)),
    ));
    cases.push((
        "a range whose low end is above its high end",
        with(&|f| f.quantity = Quantity::Range { low: 5, high: 3 }),
    ));
    cases.push((
        "a period that ends before it starts",
        with(&|f| {
            f.scope = Scope::Period {
                from: day_of(2024, 3, 1),
                to: day_of(2024, 2, 1),
            }
        }),
    ));
    cases.push((
        "a change whose baseline runs backwards",
        with(&|f| {
            f.quantity = Quantity::Exact(-5);
            f.scope = Scope::Change {
                period: Period {
                    from: day_of(2024, 1, 1),
                    to: day_of(2024, 12, 31),
                },
                baseline: Period {
                    from: day_of(2023, 12, 31),
                    to: day_of(2023, 1, 1),
                },
            }
        }),
    ));
    cases.push((
        "a running total since a day after its as-of day",
        with(&|f| {
            f.scope = Scope::Cumulative {
                since: FuzzyDate::Year(2025),
                as_of: FuzzyDate::Year(2024),
                label: None,
            }
        }),
    ));
    // A breakdown's pairs in the wrong order: (b, 2) before (a, 1).
    let pairs = |keys: &[&str]| {
        Breakdown::new(
            keys.iter()
                .map(|k| (Slug::new(*k).unwrap(), Slug::new("v").unwrap()))
                .collect(),
        )
        .unwrap()
    };
    let two = with(&|f| f.breakdown = pairs(&["a", "b"]));
    assert!(assert_only_canonical(&two).is_some());
    let at = two
        .windows(9)
        .position(|w| w == b"\x02\x01a\x01v\x01b\x01v")
        .unwrap();
    let swapped = [&two[..at], b"\x02\x01b\x01v\x01a\x01v", &two[at + 9..]].concat();
    cases.push(("breakdown keys out of order", swapped));
    let twice = [&two[..at], b"\x02\x01a\x01v\x01a\x01v", &two[at + 9..]].concat();
    cases.push(("a breakdown key twice", twice));
    // One pair more than a breakdown may hold, in order.
    let keys: Vec<String> = (0..=MAX_BREAKDOWN).map(|i| format!("k{i:02}")).collect();
    let most: Vec<&str> = keys[..MAX_BREAKDOWN].iter().map(String::as_str).collect();
    let full = with(&|f| f.breakdown = pairs(&most));
    assert!(assert_only_canonical(&full).is_some());
    let last = format!("\x03{}\x01v", keys[MAX_BREAKDOWN - 1]);
    let end = full
        .windows(last.len())
        .position(|w| w == last.as_bytes())
        .unwrap()
        + last.len();
    // The envelope (37 bytes: format, seq, prev, time, no author, tag),
    // the metric (1 + 15 bytes), then the breakdown's count.
    let count = 37 + 1 + "people_returned".len();
    assert_eq!(full[count], MAX_BREAKDOWN as u8);
    let mut over = full.clone();
    over[count] += 1;
    let extra = format!("\x03{}\x01v", keys[MAX_BREAKDOWN]);
    over.splice(end..end, extra.bytes());
    cases.push(("more breakdown pairs than allowed", over));
    // An option's tag other than 0 or 1.
    let spoken = with(&|f| f.speaker = Some(Name::new("Zelensky").unwrap()));
    let at = spoken
        .windows(10)
        .position(|w| w == b"\x01\x08Zelensky")
        .unwrap();
    let mut tag2 = spoken.clone();
    tag2[at] = 2;
    cases.push(("an option tagged 2", tag2));
    for (what, bytes) in cases {
        assert!(
            decode_record(&bytes).is_err(),
            "{what}: the decoder took it"
        );
        assert!(assert_only_canonical(&bytes).is_none(), "{what}");
    }
}
