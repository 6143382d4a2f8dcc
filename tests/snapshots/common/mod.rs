//! Shared fixtures: a store built from the seed dataset, signing keys, the
//! CLI, and an editor that tampers with a snapshot file while keeping the
//! exact layout `export` writes (one top-level field a line, one event a line).

use assert_cmd::Command;
use base64::Engine;
use claimlog::checkpoint::{Signer, Verifier};
use claimlog::export::{self, SnapshotEvent};
use claimlog::{Origin, Store, StoreOptions};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tempfile::TempDir;

pub const SEED: &str = include_str!("../../../docs/examples/seed-claims.jsonl");
pub const ORIGIN: &str = "example.org/snapshot-tests";
/// Events in the seed store: genesis, then one per seed line.
pub const SEED_EVENTS: u64 = 42;

/// The claimlog binary.
pub fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_claimlog"))
}

/// The claimlog binary with `--store store`.
pub fn cli_at(store: &Path) -> Command {
    let mut c = cli();
    c.arg("--store").arg(store);
    c
}

pub fn b64_decode(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("valid base64")
}

pub fn b64_encode(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// A deterministic signer (tests need no randomness to sign).
pub fn signer(seed_byte: u8) -> Signer {
    Signer::generate_from_seed([seed_byte; 32], ORIGIN).expect("valid name")
}

/// A temporary directory holding a store built from the seed dataset and
/// a key pair `key` / `key.pub` in the format `claimlog keygen` writes.
pub struct Fixture {
    pub dir: TempDir,
    pub store: PathBuf,
    pub key: PathBuf,
    pub pubkey: PathBuf,
}

impl Fixture {
    /// An empty directory with keys, no store yet.
    pub fn empty() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = dir.path().join("store");
        let key = dir.path().join("key");
        let pubkey = dir.path().join("key.pub");
        let s = signer(7);
        std::fs::write(&key, format!("{}\n", s.private_key_string())).unwrap();
        std::fs::write(&pubkey, format!("{}\n", s.verifier_key_string())).unwrap();
        Fixture {
            dir,
            store,
            key,
            pubkey,
        }
    }

    /// The seed store (built in-process: fast), unlocked for the CLI.
    pub fn seed() -> Fixture {
        let fx = Fixture::empty();
        let mut s = Store::create(
            &fx.store,
            Origin::new(ORIGIN).unwrap(),
            StoreOptions::default(),
        )
        .expect("create store");
        claimlog::import(&mut s, SEED.as_bytes()).expect("import seed");
        assert_eq!(s.len(), SEED_EVENTS);
        s.flush().unwrap();
        fx
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Opens the store in-process (drop it before running the CLI on it).
    pub fn open(&self) -> Store {
        open_store(&self.store)
    }

    /// `claimlog export` to `name` (signed with the fixture key if `signed`).
    pub fn export(&self, name: &str, signed: bool) -> PathBuf {
        let out = self.path(name);
        let mut c = cli_at(&self.store);
        c.args(["export", "--out"]).arg(&out);
        if signed {
            c.arg("--key").arg(&self.key);
        }
        c.assert().success();
        out
    }

    /// Imports JSON Lines into the store via the CLI.
    pub fn import(&self, name: &str, jsonl: &str) {
        let p = self.path(name);
        std::fs::write(&p, jsonl).unwrap();
        cli_at(&self.store).arg("import").arg(&p).assert().success();
    }
}

pub fn open_store(dir: &Path) -> Store {
    Store::open(dir, StoreOptions::default()).expect("open store")
}

/// Files shared by the tests that only read them: a signed and an unsigned
/// snapshot of one seed store, written by the CLI, and public keys.
pub struct Shared {
    pub signed: String,
    pub unsigned: String,
    pub pubkey: String,
    /// A key with the same name that did not sign anything here.
    pub other_pubkey: String,
    /// `prove --seq PROVED_SEQ --key`: a signed proof bundle.
    pub bundle: String,
}

/// The event the shared proof bundle is for (a claim).
pub const PROVED_SEQ: u64 = 23;

pub fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let fx = Fixture::seed();
        let signed = std::fs::read_to_string(fx.export("signed.json", true)).unwrap();
        let unsigned = std::fs::read_to_string(fx.export("unsigned.json", false)).unwrap();
        let a = cli_at(&fx.store)
            .args(["prove", "--seq", &PROVED_SEQ.to_string(), "--key"])
            .arg(&fx.key)
            .assert()
            .success();
        Shared {
            signed,
            unsigned,
            pubkey: signer(7).verifier_key_string(),
            other_pubkey: signer(8).verifier_key_string(),
            bundle: stdout_of(&a),
        }
    })
}

pub fn verifier(key: &str) -> Verifier {
    Verifier::from_verifier_key_string(key).expect("verifier key")
}

/// One part of a snapshot file, in file order.
#[derive(Clone, Debug)]
enum Part {
    /// A top-level field and its JSON text.
    Field(String, String),
    /// The `events` array (held in `Snap::events`).
    Events,
}

/// A snapshot file taken apart so a test can change one thing and put it
/// back together byte for byte as `export` lays it out.
#[derive(Clone, Debug)]
pub struct Snap {
    parts: Vec<Part>,
    pub events: Vec<SnapshotEvent>,
}

impl Snap {
    pub fn parse(text: &str) -> Snap {
        let mut parts = Vec::new();
        let mut events = Vec::new();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("{"));
        while let Some(line) = lines.next() {
            if line == "}" {
                break;
            }
            if line == "  \"events\": [" {
                for ev in lines.by_ref() {
                    if ev.starts_with("  ]") {
                        break;
                    }
                    let ev = ev.trim().trim_end_matches(',');
                    if !ev.is_empty() {
                        events.push(serde_json::from_str(ev).expect("event line"));
                    }
                }
                parts.push(Part::Events);
                continue;
            }
            let rest = line.strip_prefix("  \"").expect("a field line");
            let (key, value) = rest.split_once("\": ").expect("key: value");
            let value = value.strip_suffix(',').unwrap_or(value);
            parts.push(Part::Field(key.to_string(), value.to_string()));
        }
        let snap = Snap { parts, events };
        assert_eq!(snap.render(), text, "the editor must reproduce the file");
        snap
    }

    pub fn render(&self) -> String {
        let body: Vec<String> = self
            .parts
            .iter()
            .map(|p| match p {
                Part::Field(k, v) => format!("  \"{k}\": {v}"),
                Part::Events => {
                    let evs: Vec<String> = self
                        .events
                        .iter()
                        .map(|e| format!("    {}", serde_json::to_string(e).unwrap()))
                        .collect();
                    format!("  \"events\": [\n{}\n  ]", evs.join(",\n"))
                }
            })
            .collect();
        format!("{{\n{}\n}}\n", body.join(",\n"))
    }

    pub fn get(&self, key: &str) -> serde_json::Value {
        self.parts
            .iter()
            .find_map(|p| match p {
                Part::Field(k, v) if k == key => Some(serde_json::from_str(v).unwrap()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no field {key}"))
    }

    pub fn set(&mut self, key: &str, value: serde_json::Value) {
        self.set_raw(key, &serde_json::to_string(&value).unwrap());
    }

    pub fn set_raw(&mut self, key: &str, raw: &str) {
        for p in &mut self.parts {
            if let Part::Field(k, v) = p {
                if k == key {
                    *v = raw.to_string();
                    return;
                }
            }
        }
        panic!("no field {key}");
    }

    /// Edits a field as JSON.
    pub fn edit(&mut self, key: &str, f: impl FnOnce(&mut serde_json::Value)) {
        let mut v = self.get(key);
        f(&mut v);
        self.set(key, v);
    }

    /// Adds a field (as raw JSON text) at `index` among the parts.
    pub fn insert_raw(&mut self, index: usize, key: &str, raw: &str) {
        self.parts
            .insert(index, Part::Field(key.to_string(), raw.to_string()));
    }

    /// Removes a field, or the whole events array for "events".
    pub fn remove(&mut self, key: &str) {
        let before = self.parts.len();
        self.parts.retain(|p| match p {
            Part::Field(k, _) => k != key,
            Part::Events => key != "events",
        });
        assert_eq!(self.parts.len() + 1, before, "no field {key}");
    }

    pub fn checkpoint(&self) -> String {
        self.get("checkpoint").as_str().unwrap().to_string()
    }

    /// Seq of the first claim_added event.
    pub fn first_claim_seq(&self) -> u64 {
        self.events
            .iter()
            .find(|e| e.record["event"]["type"] == "claim_added")
            .expect("a claim")
            .seq
    }

    pub fn write(&self, path: &Path) {
        std::fs::write(path, self.render()).unwrap();
    }
}

/// The text of a signed note up to its blank line, and its signature lines.
pub fn split_note(note: &str) -> (&str, &str) {
    let i = note.find("\n\n").expect("a signed note");
    (&note[..=i], &note[i + 2..])
}

/// Runs the library verifier on a snapshot text.
pub fn verify_text(text: &str, keys: &[Verifier]) -> export::SnapshotReport {
    export::verify_snapshot(text.as_bytes(), keys).expect("a scratch cache for the replay")
}

/// The stdout of a finished command, as text.
pub fn stdout_of(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}

pub fn stderr_of(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

/// Copies a (closed) store directory.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Cuts a closed store's log just before the record `seq` and drops its
/// cache, as someone rewriting history by hand would: the store then opens
/// with `seq` records and can be appended to.
pub fn truncate_log_before(store: &Path, seq: u64) {
    let (pos, prev) = {
        let s = open_store(store);
        (
            s.record(seq).expect("record").pos,
            s.record(seq - 1).expect("record").pos,
        )
    };
    let seg = store.join("log").join(format!("{:08}.seg", pos.segment));
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&seg)
        .unwrap();
    f.set_len(pos.offset).unwrap();
    // The cut may fall inside a batch: close the batch at the new last frame
    // (clear its "more" bit, docs/FORMAT.md "Frame"), as a forger would, or
    // the whole batch would be an unfinished one and be cut off on open.
    if prev.segment == pos.segment {
        use std::os::unix::fs::FileExt;
        let mut w = [0u8; 4];
        f.read_exact_at(&mut w, prev.offset).unwrap();
        let word = u32::from_le_bytes(w) & !(1 << 31);
        f.write_all_at(&word.to_le_bytes(), prev.offset).unwrap();
        f.write_all_at(&(!word).to_le_bytes(), prev.offset + 4)
            .unwrap();
    }
    for entry in std::fs::read_dir(store.join("log")).unwrap() {
        let p = entry.unwrap().path();
        if p > seg {
            std::fs::remove_file(p).unwrap();
        }
    }
    std::fs::remove_dir_all(store.join("cache")).unwrap();
    assert_eq!(open_store(store).len(), seq);
}

/// The seed lines from 0-based line `from` on, the first with its quote
/// changed (line i of the seed becomes event seq i + 1).
pub fn seed_tail_with_changed_quote(from: usize) -> String {
    let mut out = String::new();
    for (i, line) in SEED.lines().enumerate().skip(from) {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        if i == from {
            assert_eq!(v["type"], "claim");
            v["quote"] = serde_json::json!("A different quote, put in later.");
        }
        out += &serde_json::to_string(&v).unwrap();
        out.push('\n');
    }
    out
}
