use super::output::{open, print_json, time_ms, JsonFlag};
use super::{CliError, CliResult};
use claimlog::{Event, StoredRecord};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// First seq to print.
    #[arg(long, default_value_t = 0)]
    pub from: u64,
    /// Print up to (not including) this seq.
    #[arg(long)]
    pub to: Option<u64>,
    /// Print a JSON array of records.
    #[arg(long)]
    pub json: bool,
}

/// A record as JSON: the envelope, its hash, and the event.
#[derive(Serialize)]
pub struct RecordJson<'a> {
    pub seq: u64,
    pub hash: String,
    pub prev: String,
    pub recorded_at: String,
    pub recorded_at_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<&'a str>,
    pub event: &'a Event,
}

pub fn record_json(r: &StoredRecord) -> RecordJson<'_> {
    RecordJson {
        seq: r.record.seq,
        hash: r.hash.to_hex(),
        prev: r.record.prev.to_hex(),
        recorded_at: time_ms(r.record.recorded_at_ms),
        recorded_at_ms: r.record.recorded_at_ms,
        recorded_by: r.record.recorded_by.as_ref().map(|n| n.as_str()),
        event: &r.record.event,
    }
}

pub fn summary(e: &Event) -> String {
    match e {
        Event::Genesis(g) => format!("store created, origin {}", g.origin),
        Event::SourceRegistered(s) => format!("source {} ({}, {})", s.id, s.name, s.kind.as_str()),
        Event::ClaimAdded(c) => format!(
            "{}{} = {} [{}] per {}",
            c.metric,
            if c.breakdown.is_empty() {
                String::new()
            } else {
                format!("[{}]", c.breakdown)
            },
            c.quantity,
            c.scope,
            c.source
        ),
        Event::ClaimRetracted(r) => format!("retract claim {}: {}", r.claim.short(), r.reason),
        Event::ClaimCorrected(c) => format!(
            "correct claim {} -> {} = {} [{}]: {}",
            c.old.short(),
            c.new.metric,
            c.new.quantity,
            c.new.scope,
            c.reason
        ),
    }
}

pub fn run(store: &Path, a: Args) -> CliResult {
    print_log(store, a).or_else(|e| {
        // `claimlog log | head` closes the pipe early: not an error.
        let pipe = e
            .error
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe);
        if pipe {
            Ok(())
        } else {
            Err(e)
        }
    })
}

fn print_log(store: &Path, a: Args) -> CliResult {
    let s = open(store)?;
    let to = a.to.unwrap_or(u64::MAX);
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let w = |e: std::io::Error| CliError::from(e);
    if a.json {
        writeln!(out, "[").map_err(w)?;
    }
    let mut first = true;
    for r in s.read(a.from, to)? {
        let r = r?;
        if a.json {
            let line = serde_json::to_string(&record_json(&r)).map_err(anyhow::Error::from)?;
            write!(out, "{}{line}", if first { "" } else { ",\n" }).map_err(w)?;
        } else {
            writeln!(
                out,
                "{:>6}  {}  {}  {:<17} {}",
                r.record.seq,
                time_ms(r.record.recorded_at_ms),
                r.hash.short(),
                r.record.event.kind(),
                summary(&r.record.event)
            )
            .map_err(w)?;
        }
        first = false;
    }
    if a.json {
        writeln!(out, "{}]", if first { "" } else { "\n" }).map_err(w)?;
    }
    out.flush().map_err(w)?;
    Ok(())
}

pub fn head(store: &Path, a: JsonFlag) -> CliResult {
    let s = open(store)?;
    let h = s.head();
    if a.json {
        print_json(&h)
    } else {
        println!("{} {}", h.seq, h.hash);
        Ok(())
    }
}
