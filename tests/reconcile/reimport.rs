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
