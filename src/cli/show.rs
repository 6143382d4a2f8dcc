use super::log::{record_json, summary};
use super::output::{date, open, print_json, print_json_list, time_ms};
use super::{CliError, CliResult};
use claimlog::{ClaimEntry, FuzzyDate, Period, Scope, Store};
use serde::Serialize;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// Claim id or a unique prefix of it (at least 4 hex digits).
    pub id: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Shown<'a> {
    claim: claimlog::WholeEntry<'a>,
    /// Every event that touched this claim or its predecessors, oldest first.
    events: Vec<serde_json::Value>,
}

/// The events of a claim's life: the corrections chain back to the first
/// version, and the event that ended it, if any.
fn history(s: &Store, e: &ClaimEntry) -> Result<Vec<u64>, CliError> {
    let mut seqs = vec![e.seq];
    let mut cur = e.replaces;
    while let Some(old) = cur {
        let Some(o) = s.cache().claim(&old)? else {
            break;
        };
        seqs.push(o.seq);
        cur = o.replaces;
    }
    match &e.status {
        claimlog::ClaimStatus::Retracted { seq, .. }
        | claimlog::ClaimStatus::Corrected { seq, .. } => seqs.push(*seq),
        claimlog::ClaimStatus::Active => {}
    }
    seqs.sort_unstable();
    Ok(seqs)
}

pub fn show(store: &Path, a: ShowArgs) -> CliResult {
    let s = open(store)?;
    let id = s.cache().resolve_claim(&a.id)?;
    let e = s
        .cache()
        .claim(&id)?
        .ok_or_else(|| CliError::bad_input(anyhow::anyhow!("no claim {id}")))?;
    let whole = s.cache().full_claim(&e)?;
    let seqs = history(&s, &e)?;
    let records = seqs
        .iter()
        .map(|q| s.record(*q))
        .collect::<Result<Vec<_>, _>>()?;
    if a.json {
        let events = records
            .iter()
            .map(|r| serde_json::to_value(record_json(r)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(anyhow::Error::from)?;
        return print_json(&Shown {
            claim: e.with_whole(&whole),
            events,
        });
    }
    let c = &whole;
    println!("claim {}  ({})", e.id, e.status.name());
    println!(
        "  metric     {}{}",
        c.metric,
        if c.breakdown.is_empty() {
            String::new()
        } else {
            format!(" [{}]", c.breakdown)
        }
    );
    println!("  quantity   {} ({})", c.quantity, c.quantity.kind());
    println!("  scope      {}", c.scope);
    println!("  source     {}", c.source);
    if let Some(sp) = &c.speaker {
        println!("  speaker    {sp}");
    }
    if let Some(ci) = &c.cites {
        println!("  cites      {ci}");
    }
    if let Some(u) = &c.url {
        println!("  url        {u}");
    }
    println!("  published  {}", date(c.published));
    println!("  quote      \"{}\"", c.quote);
    if let Some(n) = &c.note {
        println!("  note       {n}");
    }
    println!("events:");
    for r in &records {
        println!(
            "  seq {:<6} {}  {}  {}  {}",
            r.record.seq,
            time_ms(r.record.recorded_at_ms),
            r.hash,
            r.record.event.kind(),
            summary(&r.record.event)
        );
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct ClaimsArgs {
    #[arg(long)]
    pub metric: Option<String>,
    /// Only claims published by this outlet.
    #[arg(long)]
    pub source: Option<String>,
    /// Only claims whose scope overlaps this period (YYYY, YYYY-MM or D..D).
    #[arg(long)]
    pub period: Option<String>,
    /// Include retracted and corrected claims.
    #[arg(long)]
    pub all: bool,
    #[arg(long)]
    pub json: bool,
}

fn scope_overlaps(scope: &Scope, p: &Period) -> bool {
    let fuzzy = |d: &FuzzyDate| d.bounds().is_some_and(|(a, b)| a <= p.to && b >= p.from);
    match scope {
        Scope::Event { date, .. } => fuzzy(date),
        Scope::Period { from, to } => *from <= p.to && *to >= p.from,
        Scope::Cumulative { as_of, .. } => fuzzy(as_of),
        Scope::Change { period, .. } => period.from <= p.to && period.to >= p.from,
    }
}

pub fn claims(store: &Path, a: ClaimsArgs) -> CliResult {
    let s = open(store)?;
    let period = a
        .period
        .as_deref()
        .map(Period::parse)
        .transpose()
        .map_err(|e| CliError::bad_input(anyhow::anyhow!("--period: {e}")))?;
    let listed = s.cache().claims_recorded(a.metric.as_deref(), |e| {
        (a.all || e.status.is_active())
            && a.source
                .as_ref()
                .is_none_or(|src| e.claim.source.as_str() == src)
            && period
                .as_ref()
                .is_none_or(|p| scope_overlaps(&e.claim.scope, p))
    })?;
    if a.json {
        // A chunk at a time, each with its words read from the log: every
        // claim of a metric, words included, would otherwise be held at
        // once. A claim that cannot be read stops the list there and is
        // the command's error.
        let mut listed = listed.peekable();
        return print_json_list(|push| {
            while listed.peek().is_some() {
                let chunk = listed
                    .by_ref()
                    .take(JSON_CHUNK)
                    .collect::<Result<Vec<ClaimEntry>, _>>()?;
                for pair in s.whole_claims(chunk)? {
                    let (e, c) = pair?;
                    push(&Whole(e, c))?;
                }
            }
            Ok(())
        });
    }
    let mut any = false;
    for e in listed {
        let e = e?;
        any = true;
        let c = &e.claim;
        println!(
            "{}  seq {:<5} {:<9} {}{} = {} [{}] per {}",
            e.id.short(),
            e.seq,
            e.status.name(),
            c.metric,
            if c.breakdown.is_empty() {
                String::new()
            } else {
                format!("[{}]", c.breakdown)
            },
            c.quantity,
            c.scope,
            c.source
        );
    }
    if !any {
        eprintln!("no claims match");
    }
    Ok(())
}

/// Claims `claims --json` reads with their words at once: in log order, so
/// that a dense run of them is read in one pass over its span of the log
/// (`Store::whole_claims`). Small in debug builds, so that the tests'
/// listings cross chunks.
const JSON_CHUNK: usize = if cfg!(debug_assertions) { 64 } else { 4096 };

/// An entry and its whole claim, printed as `ClaimEntry::with_whole`
/// shows them (owned, so that one list can hold each in turn).
struct Whole(ClaimEntry, claimlog::Claim);

impl Serialize for Whole {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.with_whole(&self.1).serialize(s)
    }
}
