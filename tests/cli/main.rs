//! End-to-end tests of the `claimlog` binary. Every test drives the real
//! binary against a real store in its own temporary directory (`--store DIR`)
//! and checks what a user sees: exit code, stdout, stderr, and that a refused
//! command leaves the log's head where it was.

mod bad_input;
mod check;
mod claims;
mod demo;
mod import;
mod init_log_head;
mod json_output;
mod rebuild;
mod retract_correct;
mod show;
mod sources;
mod total_explain;
mod verify;

use assert_cmd::Command;
use serde_json::{json, Value};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// The seed dataset: 9 sources and 32 claims from five news articles.
pub const SEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/docs/examples/seed-claims.jsonl"
);

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// A store in a temporary directory, and a scratch place for input files.
pub struct Store {
    tmp: TempDir,
    pub dir: PathBuf,
}

impl Store {
    /// A directory where a store may be created; nothing is there yet.
    pub fn blank() -> Store {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("store");
        Store { tmp, dir }
    }

    /// An initialised, empty store.
    pub fn fresh() -> Store {
        let s = Store::blank();
        s.ok(["init", "--origin", "test.example/cli"]);
        s
    }

    /// A store holding the seed dataset (seq 0 genesis, 1..=41 the seed lines).
    pub fn seeded() -> Store {
        let s = Store::fresh();
        s.ok(["import", SEED]);
        s
    }

    /// A store with one registered source, `test-outlet`.
    pub fn with_source() -> Store {
        let s = Store::fresh();
        s.ok([
            "source",
            "add",
            "test-outlet",
            "--name",
            "Test Outlet",
            "--kind",
            "media",
        ]);
        s
    }

    /// The binary, pointed at this store, with no store or log settings
    /// inherited from the environment.
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("claimlog").expect("claimlog binary");
        c.env_remove("CLAIMLOG_STORE")
            .env_remove("CLAIMLOG_LOG")
            .arg("--store")
            .arg(&self.dir);
        c
    }

    pub fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        finish(self.cmd().args(args))
    }

    pub fn run_stdin<I, S>(&self, args: I, input: impl Into<Vec<u8>>) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        finish(self.cmd().args(args).write_stdin(input.into()))
    }

    /// Runs a command that must succeed; returns its stdout.
    pub fn ok<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let r = self.run(&args);
        assert_eq!(r.code, Some(0), "claimlog {args:?} failed: {r:#?}");
        r.stdout
    }

    /// Runs a read command with `--json` appended; returns the parsed output.
    pub fn json<I, S>(&self, args: I) -> Value
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        args.push("--json".into());
        let out = self.ok(&args);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("claimlog {args:?} printed invalid JSON ({e}):\n{out}"))
    }

    /// A file of `claims` claims made by `gen-workload` with `seed`: with
    /// retractions and corrections of its own lines (`"line": K`).
    pub fn generated(&self, claims: u32, seed: u64) -> PathBuf {
        let file = self.tmp().join(format!("generated-{claims}-{seed}.jsonl"));
        let (n, seed) = (claims.to_string(), seed.to_string());
        let out = file.to_str().unwrap();
        self.ok([
            "gen-workload",
            "--claims",
            &n,
            "--seed",
            &seed,
            "--out",
            out,
        ]);
        file
    }

    /// Imports `generated(claims, seed)`.
    pub fn import_generated(&self, claims: u32, seed: u64) {
        let file = self.generated(claims, seed);
        self.ok([OsStr::new("import"), file.as_os_str()]);
    }

    /// Runs `args` with `TMPDIR` set to `tmpdir` and its output piped to
    /// a reader that stops after 64 bytes, as `claimlog ... | head` does;
    /// asserts that SIGPIPE ended it (no destructor ran).
    pub fn stopped_by_its_reader(&self, args: &[&str], tmpdir: &Path) {
        use std::io::Read;
        use std::os::unix::process::ExitStatusExt;
        use std::process::Stdio;
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("claimlog"))
            .arg("--store")
            .arg(&self.dir)
            .args(args)
            .env("TMPDIR", tmpdir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut first = [0u8; 64];
        child
            .stdout
            .as_mut()
            .unwrap()
            .read_exact(&mut first)
            .unwrap();
        drop(child.stdout.take());
        let status = child.wait().unwrap();
        // Killed by SIGPIPE, not ended by itself.
        assert_eq!(status.signal(), Some(13), "{args:?}: {status:?}");
    }

    /// `claimlog head`: "SEQ HASH".
    pub fn head(&self) -> String {
        self.ok(["head"]).trim().to_string()
    }

    /// Runs a command that must be refused as bad input: exit 2, every
    /// needle in stderr, and the head unchanged. Returns stderr.
    pub fn rejects<I, S>(&self, args: I, needles: &[&str]) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let before = self.head();
        let r = self.run(&args);
        assert_eq!(r.code, Some(2), "claimlog {args:?} should exit 2: {r:#?}");
        for n in needles {
            assert!(
                r.stderr.contains(n),
                "claimlog {args:?}: stderr lacks {n:?}:\n{}",
                r.stderr
            );
        }
        assert_eq!(self.head(), before, "claimlog {args:?} moved the head");
        r.stderr
    }

    /// Writes an input file next to (not inside) the store.
    pub fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.tmp.path().join(name);
        std::fs::write(&p, contents).expect("write input file");
        p
    }

    pub fn tmp(&self) -> &Path {
        self.tmp.path()
    }

    /// The claims `claims --all --json` lists.
    pub fn all_claims(&self) -> Vec<Value> {
        match self.json(["claims", "--all"]) {
            Value::Array(v) => v,
            other => panic!("claims --json is not an array: {other}"),
        }
    }
}

fn finish(c: &mut Command) -> Run {
    let out = c.output().expect("run claimlog");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `claim add` flags for a valid claim by `test-outlet`, with overrides:
/// `(flag, Some(value))` sets or adds a flag, `(flag, None)` drops it.
pub fn claim_add(overrides: &[(&str, Option<&str>)]) -> Vec<String> {
    let mut flags: Vec<(String, Option<String>)> = [
        ("--metric", "people_returned"),
        ("--exact", "5"),
        ("--scope", "event"),
        ("--date", "2024-03-01"),
        ("--source", "test-outlet"),
        ("--published", "2024-03-02"),
        ("--quote", "Five people came home."),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), Some(v.to_string())))
    .collect();
    for (k, v) in overrides {
        match flags.iter_mut().find(|(f, _)| f == k) {
            Some(slot) => slot.1 = v.map(str::to_string),
            None => flags.push((k.to_string(), v.map(str::to_string))),
        }
    }
    let mut args = vec!["claim".to_string(), "add".to_string()];
    for (k, v) in flags {
        if let Some(v) = v {
            args.push(k);
            args.push(v);
        }
    }
    args
}

/// An import line for a valid claim by `test-outlet`, with `patch` merged
/// over it (a null value removes the field).
pub fn claim_line(patch: Value) -> String {
    let mut base = json!({
        "type": "claim",
        "metric": "people_returned",
        "quantity": {"exact": 5},
        "scope": {"kind": "event", "date": "2024-03-01"},
        "source": "test-outlet",
        "published": "2024-03-02",
        "quote": "Five people came home."
    });
    merge(&mut base, patch);
    base.to_string()
}

fn merge(base: &mut Value, patch: Value) {
    let (Value::Object(b), Value::Object(p)) = (base, patch) else {
        panic!("merge needs objects");
    };
    for (k, v) in p {
        if v.is_null() {
            b.remove(&k);
        } else {
            b.insert(k, v);
        }
    }
}

/// The seed's lines whose JSON has `key` equal to `value`.
pub fn seed_lines_where(key: &str, value: &str) -> usize {
    std::fs::read_to_string(SEED)
        .expect("seed file")
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get(key).and_then(Value::as_str) == Some(value))
        .count()
}

/// The id of the single active claim matching metric, source and stated value.
pub fn claim_id(s: &Store, metric: &str, source: &str, exact: i64) -> String {
    let found: Vec<String> = s
        .all_claims()
        .into_iter()
        .filter(|c| {
            c["claim"]["metric"] == metric
                && c["claim"]["source"] == source
                && c["claim"]["quantity"]["exact"] == exact
                && c["claim"]["breakdown"].is_null()
                && c["status"]["status"] == "active"
        })
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one active {metric} = {exact} by {source}"
    );
    found[0].clone()
}

/// The full id a command printed as "... (id ID)".
pub fn id_in(out: &str) -> String {
    out.trim()
        .rsplit_once("(id ")
        .and_then(|(_, r)| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("no \"(id ...)\" in {out:?}"))
        .to_string()
}
