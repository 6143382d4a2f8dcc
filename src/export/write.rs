//! Writing snapshots, JSONL dumps and CSV, streaming the log.

use super::sorted::{write_sorted, SortScratch};
use super::standard::standard_totals;
use super::types::{record_value, HeadJson, SnapshotEvent, SNAPSHOT_FORMAT};
use super::ExportError;
use crate::checkpoint::{sign_note, Checkpoint, Signer};
use crate::event::Hash32;
use crate::merkle::{hash_leaf, RootBuilder};
use crate::store::{Store, StoredRecord};
use base64::Engine;
use std::io::Write;

pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Writes `SnapshotEvent`s as `serde_json::to_string(&snapshot_event(r))`
/// does, without a `serde_json::Value` for each record (sorted.rs): the
/// record's JSON is written straight from the record, its keys in order.
#[derive(Default)]
pub(crate) struct EventWriter {
    line: Vec<u8>,
    /// The record bytes in base64, reused from line to line.
    bytes: String,
    scratch: SortScratch,
}

impl EventWriter {
    /// `r`'s event as one line of JSON (no newline).
    pub fn line(&mut self, r: &StoredRecord) -> Result<&[u8], ExportError> {
        let err = |e: serde_json::Error| ExportError::Invalid(e.to_string());
        let line = &mut self.line;
        line.clear();
        // The members in SnapshotEvent's order, as serde writes a struct.
        line.extend_from_slice(b"{\"seq\":");
        serde_json::to_writer(&mut *line, &r.record.seq).map_err(err)?;
        line.extend_from_slice(b",\"hash\":");
        serde_json::to_writer(&mut *line, &r.hash).map_err(err)?;
        line.extend_from_slice(b",\"bytes\":");
        self.bytes.clear();
        base64::engine::general_purpose::STANDARD.encode_string(&r.bytes, &mut self.bytes);
        serde_json::to_writer(&mut *line, &self.bytes).map_err(err)?;
        line.extend_from_slice(b",\"record\":");
        write_sorted(line, &r.record, &mut self.scratch).map_err(err)?;
        line.push(b'}');
        Ok(line)
    }
}

pub fn snapshot_event(r: &StoredRecord) -> SnapshotEvent {
    SnapshotEvent {
        seq: r.record.seq,
        hash: r.hash,
        bytes: b64(&r.bytes),
        record: record_value(&r.record),
    }
}

/// The Merkle root over the whole log, streamed.
pub fn log_root(store: &Store) -> Result<(u64, Hash32), ExportError> {
    let mut b = RootBuilder::new();
    store.for_each_record_hash(store.len(), |h| b.push(hash_leaf(&h.0)))?;
    Ok((b.size(), Hash32(b.root())))
}

/// The checkpoint for the store as it is: a bare C2SP body, or a signed note.
pub fn checkpoint_text(store: &Store, signer: Option<&Signer>) -> Result<String, ExportError> {
    let origin = store
        .cache()
        .genesis()?
        .ok_or_else(|| ExportError::Invalid("the store has no genesis event".into()))?
        .origin;
    let (size, root) = log_root(store)?;
    checkpoint_for(origin.as_str(), size, root, signer)
}

pub(crate) fn checkpoint_for(
    origin: &str,
    size: u64,
    root: Hash32,
    signer: Option<&Signer>,
) -> Result<String, ExportError> {
    let cp =
        Checkpoint::new(origin, size, root.0).map_err(|e| ExportError::Invalid(e.to_string()))?;
    match signer {
        Some(s) => sign_note(&cp.body(), &[s]).map_err(|e| ExportError::Invalid(e.to_string())),
        None => Ok(cp.body()),
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, ExportError> {
    serde_json::to_string(v).map_err(|e| ExportError::Invalid(e.to_string()))
}

/// Writes a snapshot of the whole store to `out`.
pub fn write_snapshot(
    store: &Store,
    out: &mut impl Write,
    signer: Option<&Signer>,
    exported_at: &str,
) -> Result<(), ExportError> {
    let genesis = store
        .cache()
        .genesis()?
        .ok_or_else(|| ExportError::Invalid("the store has no genesis event".into()))?;
    let (size, root) = log_root(store)?;
    let head = store.head();
    writeln!(out, "{{")?;
    writeln!(out, "  \"format\": {},", json(&SNAPSHOT_FORMAT)?)?;
    writeln!(out, "  \"exported_at\": {},", json(&exported_at)?)?;
    writeln!(out, "  \"origin\": {},", json(&genesis.origin.as_str())?)?;
    writeln!(
        out,
        "  \"store_id\": {},",
        json(&hex::encode(genesis.store_id))?
    )?;
    writeln!(out, "  \"tree_size\": {size},")?;
    writeln!(
        out,
        "  \"head\": {},",
        json(&HeadJson {
            seq: head.seq,
            hash: head.hash
        })?
    )?;
    writeln!(out, "  \"root\": {},", json(&root)?)?;
    writeln!(
        out,
        "  \"checkpoint\": {},",
        json(&checkpoint_for(
            genesis.origin.as_str(),
            size,
            root,
            signer
        )?)?
    )?;
    writeln!(out, "  \"sources\": {},", json(&store.cache().sources()?)?)?;
    writeln!(out, "  \"events\": [")?;
    // Reading, hashing and decoding the records on a second thread, one
    // batch ahead of rendering them (a third of export's time each).
    crate::ahead::ahead(store.read(0, store.len())?, |records| {
        let mut events = EventWriter::default();
        for (i, r) in records.enumerate() {
            if i > 0 {
                writeln!(out, ",")?;
            }
            out.write_all(b"    ")?;
            out.write_all(events.line(&r?)?)?;
        }
        Ok::<(), ExportError>(())
    })?;
    writeln!(out, "\n  ],")?;
    // One line, like every member but `events`, written total by total.
    write!(out, "  \"totals\": [")?;
    for (i, t) in standard_totals(store.cache())?.enumerate() {
        write!(out, "{}{}", if i == 0 { "" } else { "," }, json(&t?)?)?;
    }
    writeln!(out, "]")?;
    writeln!(out, "}}")?;
    out.flush()?;
    Ok(())
}

/// Writes the log as JSON Lines, one `SnapshotEvent` a line.
pub fn write_jsonl(store: &Store, out: &mut impl Write) -> Result<(), ExportError> {
    crate::ahead::ahead(store.read(0, store.len())?, |records| {
        let mut events = EventWriter::default();
        for r in records {
            out.write_all(events.line(&r?)?)?;
            out.write_all(b"\n")?;
        }
        Ok::<(), ExportError>(())
    })?;
    out.flush()?;
    Ok(())
}

/// Makes a text cell safe to open in a spreadsheet: cells that begin with
/// = + - @ (or a tab or carriage return) would be read as formulas, so they
/// get a leading apostrophe (OWASP's CSV injection advice).
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

/// Writes the claims (every one, with its status) to `claims` and the
/// standard totals to `totals`, as CSV.
pub fn write_csv(
    store: &Store,
    claims: &mut impl Write,
    totals: &mut impl Write,
) -> Result<(), ExportError> {
    let csv_err = |e: csv::Error| ExportError::Invalid(e.to_string());
    let mut w = csv::Writer::from_writer(claims);
    w.write_record([
        "id",
        "seq",
        "status",
        "metric",
        "breakdown",
        "quantity_kind",
        "best",
        "low",
        "high",
        "scope_kind",
        "scope",
        "source",
        "speaker",
        "cites",
        "url",
        "published",
        "quote",
        "note",
    ])
    .map_err(csv_err)?;
    // In log order, in constant memory but for the claims that ended: one
    // pass over the log for those, one for the claims. (The cache holds
    // every claim's status, but not in log order, and reading all of it
    // fills sled's page cache: 152 MB at 1M, against 47 MB this way.)
    let mut ended = store.ended_claims()?;
    for r in store.read(0, store.len())? {
        let r = r?;
        let Some(c) = r.record.event.into_added_claim() else {
            continue;
        };
        let status = ended.remove(&r.hash).unwrap_or("active");
        let q = c.quantity;
        let (low, high) = match q {
            crate::model::Quantity::Range { low, high } => (low.to_string(), high.to_string()),
            crate::model::Quantity::AtLeast(n) => (n.to_string(), String::new()),
            crate::model::Quantity::AtMost(n) => (String::new(), n.to_string()),
            _ => (q.best().to_string(), q.best().to_string()),
        };
        let text = |s: Option<&str>| neutralise(s.unwrap_or(""));
        w.write_record([
            r.hash.to_hex(),
            r.record.seq.to_string(),
            status.to_string(),
            text(Some(c.metric.as_str())),
            text(Some(&c.breakdown.to_string())),
            q.kind().to_string(),
            q.best().to_string(),
            low,
            high,
            c.scope.kind().to_string(),
            text(Some(&c.scope.to_string())),
            text(Some(c.source.as_str())),
            text(c.speaker.as_ref().map(|s| s.as_str())),
            text(c.cites.as_ref().map(|s| s.as_str())),
            text(c.url.as_ref().map(|s| s.as_str())),
            c.published.to_string(),
            text(Some(c.quote.as_str())),
            text(c.note.as_ref().map(|s| s.as_str())),
        ])
        .map_err(csv_err)?;
    }
    w.flush()?;
    if !ended.is_empty() {
        return Err(ExportError::Invalid(format!(
            "{} claims ended in the log were not found in it: run `claimlog verify`",
            ended.len()
        )));
    }
    let mut t = csv::Writer::from_writer(totals);
    t.write_record([
        "metric",
        "breakdown",
        "period",
        "policy",
        "route",
        "kind",
        "best",
        "low",
        "high",
        "independent_sources",
        "stated",
        "cumulative",
        "change",
        "summed",
    ])
    .map_err(csv_err)?;
    for tot in standard_totals(store.cache())? {
        let tot = tot?;
        let route = |name: &str| {
            tot.routes
                .iter()
                .find(|r| r.name == name)
                .and_then(|r| r.estimate)
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let side = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        let (r, kind, best, low, high, ind) = match &tot.answer {
            Some(a) => (
                a.route.to_string(),
                a.kind.to_string(),
                a.estimate.best.to_string(),
                side(a.estimate.low),
                side(a.estimate.high),
                a.independent_sources.to_string(),
            ),
            None => Default::default(),
        };
        t.write_record([
            neutralise(&tot.metric),
            neutralise(&tot.breakdown),
            tot.period.clone().unwrap_or_else(|| "all time".into()),
            tot.policy.to_string(),
            r,
            kind,
            best,
            low,
            high,
            ind,
            neutralise(&route("stated")),
            neutralise(&route("cumulative").to_string()),
            neutralise(&route("change")),
            neutralise(&route("summed")),
        ])
        .map_err(csv_err)?;
    }
    t.flush()?;
    Ok(())
}
