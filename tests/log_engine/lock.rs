//! One writer at a time: a second process gets a clear error, at once.

use crate::common::{open, opts, small_store, unlocked};
use assert_cmd::Command;
use claimlog::{Store, StoreError};
use predicates::prelude::*;
use std::time::{Duration, Instant};

fn cli() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_claimlog"));
    c.env_remove("CLAIMLOG_STORE")
        .env("CLAIMLOG_LOG", "off")
        .timeout(Duration::from_secs(30));
    c
}

#[test]
fn second_process_gets_exit_3_and_store_in_use_error_without_hanging() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    small_store(&dir, 1 << 20);
    let holder = open(&dir, 1 << 20);
    let store = dir.to_str().unwrap();
    for args in [
        vec!["log"],
        vec!["head"],
        vec!["verify", "--deep"],
        vec!["import", "-"],
    ] {
        let started = Instant::now();
        cli()
            .arg("--store")
            .arg(&dir)
            .args(&args)
            .write_stdin("")
            .assert()
            .code(3)
            .stderr(predicate::str::contains(store))
            .stderr(predicate::str::contains("is in use"))
            .stderr(predicate::str::contains(std::process::id().to_string()));
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{args:?} waited for the lock instead of failing"
        );
    }
    drop(holder);
    // Released: the next process gets in. (Retried briefly: a child that
    // another test thread is spawning may hold a copy of the lock until it
    // execs; see common::unlocked.)
    let deadline = Instant::now() + Duration::from_secs(10);
    let out = loop {
        let out = cli().arg("--store").arg(&dir).arg("log").output().unwrap();
        if out.status.code() != Some(3) || Instant::now() > deadline {
            break out;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("genesis"));
}

#[test]
fn second_open_in_the_same_process_gets_store_error_locked() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    small_store(&dir, 1 << 20);
    let holder = open(&dir, 1 << 20);
    match Store::open(&dir, opts(1 << 20)) {
        Err(StoreError::Locked { store, holder }) => {
            assert_eq!(store, dir);
            assert_eq!(holder, format!("process {}", std::process::id()));
        }
        Err(e) => panic!("expected Locked, got {e}"),
        Ok(_) => panic!("a second writer opened the store"),
    }
    assert!(matches!(
        claimlog::verify(&dir, false),
        Err(StoreError::Locked { .. })
    ));
    drop(holder);
    assert!(unlocked(|| Store::open(&dir, opts(1 << 20))).is_ok());
}
