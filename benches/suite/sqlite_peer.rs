//! THE PEER (benchmark only; claimlog never uses SQLite): an append-only
//! SQLite table holding the same import lines as JSON, each row carrying a
//! chained blake3 hash H(prev || json), in WAL mode with synchronous=FULL,
//! with an index that serves the total query. It is deliberately simple:
//! what a careful developer would build in an afternoon instead of claimlog.
//!
//! Its "total" is the summed route only (one figure per event day: the
//! largest active one), computed by SQL over the index; claimlog's total
//! also runs the stated, cumulative and change routes, policies and the
//! derivation. The comparison is labelled that way in docs/PERFORMANCE.md.

use crate::{get, num, quantile, result, sample, Flags};
use rusqlite::{params, Connection};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::Instant;

const SCHEMA: &str = "
CREATE TABLE events (
    seq    INTEGER PRIMARY KEY,
    kind   TEXT NOT NULL,
    metric TEXT,
    scope  TEXT,
    day    TEXT,
    value  INTEGER,
    target INTEGER,
    body   TEXT NOT NULL,
    hash   BLOB NOT NULL
);
CREATE INDEX events_total ON events (metric, scope, day, value);
CREATE INDEX events_target ON events (target) WHERE target IS NOT NULL;
";

const TOTAL: &str = "
SELECT COALESCE(SUM(v), 0) FROM (
    SELECT MAX(e.value) AS v FROM events e
    WHERE e.metric = ?1 AND e.scope = 'event' AND e.day BETWEEN ?2 AND ?3
      AND NOT EXISTS (SELECT 1 FROM events x WHERE x.target = e.seq)
    GROUP BY e.day)";

const INSERT: &str = "INSERT INTO events (seq, kind, metric, scope, day, value, target, body, hash)
                      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

fn chain(prev: &[u8; 32], body: &str) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(prev);
    h.update(body.as_bytes());
    *h.finalize().as_bytes()
}

/// The indexed columns of a claim object: metric, scope kind, day, best value.
fn columns(c: &serde_json::Value) -> (Option<String>, Option<String>, Option<String>, i64) {
    let s = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let scope = &c["scope"];
    let day = match scope["kind"].as_str() {
        Some("event") => s(&scope["date"]),
        Some("period") => s(&scope["from"]),
        Some("cumulative") => s(&scope["as_of"]),
        _ => None,
    };
    let q = &c["quantity"];
    let value = ["exact", "at_least", "at_most", "approx"]
        .iter()
        .find_map(|k| q[*k].as_i64())
        .or_else(|| {
            let (l, h) = (q["range"]["low"].as_i64()?, q["range"]["high"].as_i64()?);
            Some(l + (h - l).div_euclid(2))
        })
        .unwrap_or(0);
    (s(&c["metric"]), s(&scope["kind"]), day, value)
}

fn open(path: &Path) -> Connection {
    let conn = Connection::open(path).expect("open sqlite");
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .expect("wal");
    assert_eq!(mode.to_lowercase(), "wal");
    conn.execute_batch("PRAGMA synchronous=FULL;")
        .expect("synchronous");
    conn
}

struct Peer {
    conn: Connection,
    seq: i64,
    prev: [u8; 32],
}

impl Peer {
    /// Appends one import line (already parsed); `lines` maps input line
    /// numbers to seqs, as claimlog's `"line": K` references need.
    fn push(
        &mut self,
        line_no: u64,
        text: &str,
        v: &serde_json::Value,
        lines: &mut HashMap<u64, i64>,
    ) -> rusqlite::Result<()> {
        let kind = v["type"].as_str().unwrap_or("");
        let target = v["line"].as_u64().and_then(|l| lines.get(&l).copied());
        let (metric, scope, day, value) = match kind {
            "claim" => columns(v),
            "correct" => columns(&v["new"]),
            _ => (None, None, None, 0),
        };
        let hash = chain(&self.prev, text);
        self.conn.prepare_cached(INSERT)?.execute(params![
            self.seq,
            kind,
            metric,
            scope,
            day,
            value,
            target,
            text,
            &hash[..]
        ])?;
        lines.insert(line_no, self.seq);
        if let (Some(l), "correct") = (v["line"].as_u64(), kind) {
            lines.insert(l, self.seq);
        }
        self.prev = hash;
        self.seq += 1;
        Ok(())
    }
}

pub fn run(f: &Flags) {
    let n = get(f, "n");
    let dir = PathBuf::from(get(f, "dir"));
    let k = num(f, "count", 1000.0) as usize;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("peer dir");
    let path = dir.join("peer.sqlite");
    let conn = open(&path);
    conn.execute_batch(SCHEMA).expect("schema");
    let mut peer = Peer {
        conn,
        seq: 0,
        prev: [0; 32],
    };

    // Bulk import: every file in one transaction (all or nothing, as claimlog).
    let t = Instant::now();
    let mut claims = 0u64;
    let mut seen: HashMap<String, i64> = HashMap::new();
    for file in crate::files(f) {
        peer.conn.execute_batch("BEGIN").expect("begin");
        let mut lines: HashMap<u64, i64> = HashMap::new();
        let r = BufReader::with_capacity(1 << 16, std::fs::File::open(&file).expect("jsonl"));
        for (i, line) in r.lines().enumerate() {
            let text = line.expect("line");
            let line_no = i as u64 + 1;
            let v: serde_json::Value = serde_json::from_str(&text).expect("json");
            match v["type"].as_str() {
                // A repeat of a claim already recorded is skipped, as claimlog does.
                Some("claim") => {
                    if let Some(s) = seen.get(&text) {
                        lines.insert(line_no, *s);
                        continue;
                    }
                    seen.insert(text.clone(), peer.seq);
                    claims += 1;
                }
                // So is a source registered again with the same fields.
                Some("source") if seen.insert(text.clone(), peer.seq).is_some() => continue,
                _ => {}
            }
            peer.push(line_no, &text, &v, &mut lines).expect("insert");
        }
        peer.conn.execute_batch("COMMIT").expect("commit");
    }
    let import = t.elapsed().as_secs_f64();
    drop(seen);
    result(n, "import.sqlite", import, "s");
    result(n, "sqlite.claims", claims as f64, "claims");

    // The total query on the imported data.
    let secs = num(f, "seconds", 10.0);
    let mut stmt = peer.conn.prepare(TOTAL).expect("total");
    let mut answer = 0i64;
    let q = sample(secs, || {
        answer = stmt
            .query_row(
                params!["people_returned", "2024-01-01", "2024-12-31"],
                |r| r.get(0),
            )
            .expect("total");
    });
    drop(stmt);
    eprintln!("sqlite total (summed route): {answer}");
    result(n, "total.sqlite.p50", quantile(&q, 0.5) * 1e3, "ms");
    result(n, "total.sqlite.p99", quantile(&q, 0.99) * 1e3, "ms");

    // Chain verification: read every row in order and recompute the chain.
    let t = Instant::now();
    let mut stmt = peer
        .conn
        .prepare("SELECT body, hash FROM events ORDER BY seq")
        .expect("scan");
    let mut rows = stmt.query([]).expect("scan");
    let mut prev = [0u8; 32];
    let mut count = 0u64;
    while let Some(row) = rows.next().expect("row") {
        let body = row.get_ref(0).expect("body").as_str().expect("text");
        let stored = row.get_ref(1).expect("hash").as_blob().expect("blob");
        let h = chain(&prev, body);
        assert_eq!(&h[..], stored, "peer chain broken at row {count}");
        prev = h;
        count += 1;
    }
    drop(rows);
    drop(stmt);
    result(n, "verify.sqlite", t.elapsed().as_secs_f64(), "s");

    // Single durable appends: one transaction (one WAL sync) each.
    let mut lines = HashMap::new();
    let bodies: Vec<(String, serde_json::Value)> =
        BufReader::new(std::fs::File::open(&crate::files(f)[0]).expect("jsonl"))
            .lines()
            .map(|l| l.expect("line"))
            .map(|l| {
                let v = serde_json::from_str(&l).expect("json");
                (l, v)
            })
            .filter(|(_, v): &(String, serde_json::Value)| v["type"] == "claim")
            .take(k)
            .collect();
    let t = Instant::now();
    for (i, (text, v)) in bodies.iter().enumerate() {
        peer.push(1 << 40 | i as u64, text, v, &mut lines)
            .expect("append");
    }
    let secs_app = t.elapsed().as_secs_f64();
    result(
        n,
        "append.sqlite",
        bodies.len() as f64 / secs_app,
        "appends/s",
    );

    peer.conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .expect("checkpoint");
    drop(peer);
    let bytes: u64 = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").metadata().expect("meta").len())
        .sum();
    result(n, "disk.sqlite", bytes as f64, "bytes");
}
