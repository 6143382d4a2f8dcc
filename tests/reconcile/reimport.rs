//! Property test of import's idempotence against a small model: for random
//! files of claims (with repeats), retractions and corrections of their own
//! lines, importing a prefix of the file and then the whole file records
//! exactly what importing it whole records, and importing it again records
//! nothing.

use claimlog::{Origin, Store, StoreOptions};
use proptest::prelude::*;
use serde_json::json;
use std::collections::HashMap;

/// What a generated line does; picks index into what is possible then.
#[derive(Debug, Clone)]
enum Op {
    Claim(u8),
    Retract(usize),
    Correct(usize, u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0u8..12).prop_map(Op::Claim),
        1 => any::<usize>().prop_map(Op::Retract),
        1 => (any::<usize>(), 0u8..12).prop_map(|(p, c)| Op::Correct(p, c)),
    ]
}

fn claim(content: u8) -> serde_json::Value {
    json!({
        "metric": "people_returned",
        "quantity": {"exact": 10 + i64::from(content)},
        "scope": {"kind": "event", "date": format!("2024-03-{:02}", 1 + content % 4)},
        "source": "outlet",
        "published": "2024-04-01",
        "quote": format!("{} people came home.", 10 + content),
    })
}

/// The import lines for `ops`, kept valid by a model of which lines name an
/// active claim: a retract or correct with nothing to end becomes a claim.
fn lines(ops: &[Op]) -> Vec<String> {
    let mut out = vec![
        json!({"type": "source", "id": "outlet", "name": "Outlet", "kind": "media"}).to_string(),
    ];
    // The claim each line names (an index into `claims`), and per claim its
    // content and whether it is active.
    let mut names: HashMap<usize, usize> = HashMap::new();
    let mut claims: Vec<(u8, bool)> = Vec::new();
    let active_with =
        |claims: &Vec<(u8, bool)>, c: u8| claims.iter().position(|&(x, a)| a && x == c);
    for op in ops {
        let line = out.len() + 1;
        let live: Vec<usize> = {
            let mut v: Vec<usize> = names
                .iter()
                .filter(|(_, &c)| claims[c].1)
                .map(|(&l, _)| l)
                .collect();
            v.sort();
            v
        };
        match op {
            Op::Retract(p) if !live.is_empty() => {
                let target = live[p % live.len()];
                claims[names[&target]].1 = false;
                out.push(
                    json!({"type": "retract", "line": target, "reason": "withdrawn"}).to_string(),
                );
            }
            Op::Correct(p, c) if !live.is_empty() && active_with(&claims, *c).is_none() => {
                let target = live[p % live.len()];
                claims[names[&target]].1 = false;
                claims.push((*c, true));
                let new = claims.len() - 1;
                names.insert(target, new);
                names.insert(line, new);
                out.push(
                    json!({"type": "correct", "line": target, "reason": "typo", "new": claim(*c)})
                        .to_string(),
                );
            }
            _ => {
                let c = match op {
                    Op::Claim(c) | Op::Correct(_, c) => *c,
                    Op::Retract(p) => (*p % 12) as u8,
                };
                let named = match active_with(&claims, c) {
                    Some(i) => i,
                    None => {
                        claims.push((c, true));
                        claims.len() - 1
                    }
                };
                names.insert(line, named);
                let mut v = claim(c);
                v["type"] = json!("claim");
                out.push(v.to_string());
            }
        }
    }
    out
}

fn import(s: &mut Store, lines: &[String]) -> claimlog::Outcome {
    claimlog::import(s, std::io::Cursor::new(lines.join("\n") + "\n")).expect("valid file")
}

/// Every claim's content and status, sorted: what the ledger says,
/// whatever the order and ids of its events.
fn ledger(s: &Store) -> Vec<String> {
    let mut v: Vec<String> = s
        .cache()
        .claims()
        .map(|e| {
            let e = e.unwrap();
            format!("{:?} {}", e.claim, e.status.name())
        })
        .collect();
    v.sort();
    v
}

fn store(dir: &std::path::Path) -> Store {
    Store::create(
        dir,
        Origin::new("test.example/reimport").unwrap(),
        StoreOptions::default(),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn importing_a_prefix_then_the_whole_file_equals_importing_it_once(
        ops in proptest::collection::vec(op(), 1..40),
        cut in any::<usize>(),
    ) {
        let lines = lines(&ops);
        let tmp = tempfile::tempdir().unwrap();
        let mut whole = store(&tmp.path().join("whole"));
        import(&mut whole, &lines);
        let head = whole.head();
        let again = import(&mut whole, &lines);
        prop_assert_eq!(whole.head(), head, "a second import appended: {:?}", again);

        let mut grown = store(&tmp.path().join("grown"));
        let cut = 1 + cut % lines.len();
        import(&mut grown, &lines[..cut]);
        import(&mut grown, &lines);
        prop_assert_eq!(grown.head().seq, head.seq, "cut after line {}", cut);
        prop_assert_eq!(ledger(&grown), ledger(&whole), "cut after line {}", cut);
    }
}

/// Library callers number their own lines (`ParsedLines`): far-apart line
/// numbers plan as well as dense ones, and a claim line at 2^63 or more
/// (which the planner cannot name) is refused by line, not a panic.
#[test]
fn line_numbers_of_library_callers_far_apart_or_too_large() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = store(&tmp.path().join("s"));
    let parse = |v: serde_json::Value| claimlog::parse_line(&v.to_string()).unwrap();
    let claim_line = |c: u8| {
        let mut v = claim(c);
        v["type"] = json!("claim");
        parse(v)
    };
    let src = parse(json!({"type": "source", "id": "outlet", "name": "Outlet", "kind": "media"}));
    let far = [
        (7, src),
        (1 << 40, claim_line(1)),
        ((1 << 62) + 3, claim_line(2)),
    ];
    let o = claimlog::import_lines(&mut s, &mut claimlog::ParsedLines(far.to_vec())).unwrap();
    assert_eq!((o.sources_added, o.claims_added), (1, 2));
    let head = s.head();
    let too_large = vec![(1u64 << 63, claim_line(3))];
    match claimlog::import_lines(&mut s, &mut claimlog::ParsedLines(too_large)) {
        Err(claimlog::IngestError::Lines(errs)) => {
            assert_eq!(errs.len(), 1);
            assert_eq!(errs[0].line, 1 << 63);
            assert!(
                errs[0].message.contains("below 2^63"),
                "{}",
                errs[0].message
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.head(), head);
}
