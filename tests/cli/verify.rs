//! verify after tampering: exit 1, naming the seq of the damaged record.

use crate::Store;

/// Flips one digit of the first "1,358" in the segment file (seq 17's quote)
/// and returns the seq whose record holds it, per `log --json`.
fn tamper(s: &Store) -> u64 {
    let log = s.json(["log"]);
    let seq = log
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["event"]["quote"]
                .as_str()
                .is_some_and(|q| q.contains("1,358"))
        })
        .and_then(|r| r["seq"].as_u64())
        .expect("a record quoting 1,358");
    let seg = s.dir.join("log").join("00000000.seg");
    let mut bytes = std::fs::read(&seg).unwrap();
    let at = bytes
        .windows(5)
        .position(|w| w == b"1,358")
        .expect("quote bytes in the segment");
    bytes[at + 2] ^= 0x01; // '3' -> '2'
    std::fs::write(&seg, bytes).unwrap();
    seq
}

#[test]
fn a_flipped_byte_in_the_log_fails_verify_with_exit_1_naming_the_seq() {
    let s = Store::seeded();
    let seq = tamper(&s);
    assert_eq!(seq, 17);
    let r = s.run(["verify"]);
    assert_eq!(r.code, Some(1), "{r:#?}");
    assert!(
        r.stdout.contains("FAILED at seq 17: hash mismatch"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("segment 00000000.seg"), "{}", r.stdout);
    assert!(
        r.stdout.contains("17 record(s) before it verified"),
        "{}",
        r.stdout
    );
    let r = s.run(["verify", "--deep"]);
    assert_eq!(r.code, Some(1), "{r:#?}");
    assert!(r.stdout.contains("FAILED at seq 17"), "{}", r.stdout);
}

#[test]
fn verify_json_after_tampering_exits_1_with_the_problem() {
    let s = Store::seeded();
    tamper(&s);
    let r = s.run(["verify", "--json"]);
    assert_eq!(r.code, Some(1));
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["problem"]["seq"], 17);
    assert_eq!(v["problem"]["kind"], "hash mismatch");
    assert_eq!(v["problem"]["segment"], 0);
    assert_eq!(v["records"], 17);
}

#[test]
fn a_tampered_log_without_a_cache_refuses_to_open_with_exit_1() {
    let s = Store::seeded();
    tamper(&s);
    std::fs::remove_dir_all(s.dir.join("cache")).unwrap();
    for args in [vec!["head"], vec!["total", "--metric", "exchanges"]] {
        let r = s.run(&args);
        assert_eq!(r.code, Some(1), "{args:?}: {r:#?}");
        assert!(
            r.stderr.contains("the log is damaged at seq 17"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("claimlog verify"), "{}", r.stderr);
    }
}
