use super::output::{open, print_json};
use super::{CliError, CliResult};
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Also replay every event into a scratch cache and compare it with the
    /// store's cache key by key (slower: about the cost of a rebuild).
    #[arg(long)]
    pub deep: bool,
    #[arg(long)]
    pub json: bool,
}

pub fn run(store: &Path, a: Args) -> CliResult {
    let report = claimlog::verify(store, a.deep)?;
    if a.json {
        print_json(&report)?;
    } else {
        if let Some(t) = &report.torn_tail {
            eprintln!("warning: torn tail: {t}");
        }
        match &report.problem {
            None => {
                let head = report.head.expect("a verified log has a head");
                println!(
                    "ok: {} records in {} segment(s), chain intact, head seq {} hash {}; cache checked: {}",
                    report.records, report.segments, head.seq, head.hash, report.cache_checked
                );
            }
            Some(p) => {
                let place = match (p.segment, p.offset) {
                    (Some(s), Some(o)) => format!(" (segment {s:08}.seg, offset {o})"),
                    _ => String::new(),
                };
                println!(
                    "FAILED at seq {}: {}: {}{place}\n{} record(s) before it verified",
                    p.seq, p.kind, p.reason, report.records
                );
            }
        }
    }
    if report.ok() {
        Ok(())
    } else {
        Err(CliError {
            code: 1,
            error: anyhow::anyhow!("verification failed"),
        })
    }
}

pub fn rebuild(store: &Path) -> CliResult {
    let mut s = open(store)?;
    s.rebuild_cache()?;
    s.flush()?;
    println!("cache rebuilt from {} records", s.len());
    Ok(())
}
