//! init, head, log, and what every command says about a missing or busy store.

use crate::{Store, SEED};
use serde_json::Value;

#[test]
fn init_creates_a_store_whose_head_is_the_genesis_event() {
    let s = Store::blank();
    let out = s.ok(["init", "--origin", "example.org/pow-exchanges"]);
    assert!(out.contains("created store"), "{out}");
    assert!(out.contains("origin example.org/pow-exchanges"), "{out}");
    let head = s.head();
    let (seq, hash) = head.split_once(' ').expect("SEQ HASH");
    assert_eq!(seq, "0");
    assert_eq!(hash.len(), 64);
    assert!(out.contains(&format!("genesis hash {hash}")), "{out}");
    let log = s.ok(["log"]);
    assert_eq!(log.lines().count(), 1);
    assert!(log.contains("genesis"), "{log}");
    assert!(log.contains("origin example.org/pow-exchanges"), "{log}");
}

#[test]
fn init_without_origin_uses_the_default_origin() {
    let s = Store::blank();
    let out = s.ok(["init"]);
    assert!(out.contains("origin claimlog.local/ledger"), "{out}");
}

#[test]
fn init_twice_is_refused_with_exit_2_and_keeps_the_store() {
    let s = Store::fresh();
    s.rejects(["init"], &["already holds a claimlog store"]);
    assert!(s.head().starts_with("0 "));
}

#[test]
fn init_refuses_an_origin_with_whitespace() {
    let s = Store::blank();
    let r = s.run(["init", "--origin", "my ledger"]);
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(r.stderr.contains("--origin"), "{}", r.stderr);
    assert!(r.stderr.contains("whitespace"), "{}", r.stderr);
}

#[test]
fn commands_on_a_missing_store_exit_2_and_point_to_init() {
    let s = Store::blank();
    for args in [
        vec!["head"],
        vec!["log"],
        vec!["sources"],
        vec!["claims"],
        vec!["import", SEED],
        vec!["total", "--metric", "people_returned"],
    ] {
        let r = s.run(&args);
        assert_eq!(r.code, Some(2), "{args:?}: {r:#?}");
        assert!(
            r.stderr.contains("not a claimlog store"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(r.stderr.contains("claimlog init"), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn store_directory_can_come_from_claimlog_store_env() {
    let s = Store::fresh();
    let head = s.head();
    let mut c = assert_cmd::Command::cargo_bin("claimlog").unwrap();
    let out = c
        .env("CLAIMLOG_STORE", &s.dir)
        .arg("head")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), head);
}

#[test]
fn head_moves_with_every_append_and_matches_the_last_log_record() {
    let s = Store::fresh();
    let h0 = s.head();
    s.ok([
        "source", "add", "a-outlet", "--name", "A", "--kind", "media",
    ]);
    let h1 = s.head();
    assert_ne!(h0, h1);
    assert!(h1.starts_with("1 "), "{h1}");
    s.ok(["import", SEED]);
    let h = s.json(["head"]);
    assert_eq!(h["seq"], 42);
    let log = s.json(["log"]);
    let last = log.as_array().unwrap().last().unwrap();
    assert_eq!(last["seq"], h["seq"]);
    assert_eq!(last["hash"], h["hash"]);
    assert_eq!(s.head(), format!("42 {}", h["hash"].as_str().unwrap()));
}

#[test]
fn log_lists_every_event_oldest_first_with_kind_and_summary() {
    let s = Store::seeded();
    let log = s.ok(["log"]);
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 42);
    for (i, l) in lines.iter().enumerate() {
        let seq: u64 = l.split_whitespace().next().unwrap().parse().unwrap();
        assert_eq!(seq, i as u64, "{l}");
    }
    assert!(lines[0].contains("genesis"));
    assert!(lines[1].contains("source_registered") && lines[1].contains("source ukrinform"));
    assert!(lines[17].contains("claim_added"));
    assert!(lines[17].contains("people_returned = 1358 [period 2024] per seed-001-outlet"));
}

#[test]
fn log_from_and_to_select_a_half_open_range_of_seqs() {
    let s = Store::seeded();
    let log = s.ok(["log", "--from", "10", "--to", "13"]);
    let seqs: Vec<&str> = log
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(seqs, ["10", "11", "12"]);
    let tail = s.json(["log", "--from", "41"]);
    assert_eq!(tail.as_array().unwrap().len(), 1);
    let none = s.json(["log", "--from", "100"]);
    assert_eq!(none, Value::Array(vec![]));
}

#[test]
fn log_piped_into_a_closed_pipe_is_not_an_error() {
    // `claimlog log | head -1`: stdout closes early.
    let s = Store::seeded();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("claimlog"))
        .arg("--store")
        .arg(&s.dir)
        .arg("log")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "{stderr}");
    // Either it finished writing before the pipe closed, or it ended on
    // SIGPIPE as cat does (README, "Exit codes"); never an error or a panic.
    use std::os::unix::process::ExitStatusExt;
    assert!(
        out.status.code() == Some(0) || out.status.signal() == Some(13),
        "{:?}",
        out.status
    );
}

#[test]
fn verify_passes_on_fresh_and_seeded_stores_and_deep_checks_the_cache() {
    let s = Store::fresh();
    let out = s.ok(["verify"]);
    assert!(out.starts_with("ok: 1 records"), "{out}");
    s.ok(["import", SEED]);
    let out = s.ok(["verify"]);
    assert!(
        out.contains("ok: 42 records in 1 segment(s), chain intact"),
        "{out}"
    );
    let hash = s.head().split_once(' ').unwrap().1.to_string();
    assert!(out.contains(&format!("head seq 41 hash {hash}")), "{out}");
    let deep = s.ok(["verify", "--deep"]);
    assert!(deep.contains("cache checked: deep"), "{deep}");
}

#[test]
fn a_store_locked_by_another_process_exits_3_naming_the_store() {
    let s = Store::seeded();
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(s.dir.join("LOCK"))
        .unwrap();
    lock.try_lock().expect("take the store lock");
    let r = s.run(["source", "add", "late", "--name", "Late", "--kind", "media"]);
    assert_eq!(r.code, Some(3), "{r:#?}");
    assert!(
        r.stderr.contains(&s.dir.display().to_string()),
        "{}",
        r.stderr
    );
    lock.unlock().unwrap();
    assert!(s.head().starts_with("41 "));
}
