use super::output::{open, open_whole, print_json};
use super::{CliError, CliResult};
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Also replay every event into a scratch cache and compare it with the
    /// store's cache key by key (slower: about the cost of a rebuild).
    #[arg(long)]
    pub deep: bool,
    /// Prove with a consistency proof that the store only appended to what
    /// this earlier snapshot showed.
    #[arg(long)]
    pub against: Option<std::path::PathBuf>,
    /// With --against: require the old snapshot's checkpoint signed by this key.
    #[arg(long)]
    pub pubkey: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

fn against(store: &Path, old: &Path, keys: &[String], json: bool) -> CliResult {
    let verifiers = super::snapshot::load_verifiers(keys)?;
    let f = std::fs::File::open(old)
        .map_err(|e| CliError::bad_input(anyhow::anyhow!("{}: {e}", old.display())))?;
    let s = open(store)?;
    let r = claimlog::export::check_against(&s, std::io::BufReader::new(f), &verifiers)
        .map_err(|e| CliError::failed(anyhow::anyhow!("{e}")))?;
    if json {
        print_json(&r)?;
    } else {
        match &r.failure {
            None => println!(
                "ok: the store ({} events, root {}) extends the snapshot ({} events, root {}); consistency proof of {} hashes verified",
                r.new_size,
                r.new_root.short(),
                r.old_size,
                r.old_root.short(),
                r.proof.len()
            ),
            Some(f) => println!("FAILED: {f}"),
        }
    }
    if r.failure.is_some() {
        return Err(CliError::reported_failure());
    }
    Ok(())
}

pub fn run(store: &Path, a: Args) -> CliResult {
    if let Some(old) = &a.against {
        return against(store, old, &a.pubkey, a.json);
    }
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
        Err(CliError::reported_failure())
    }
}

pub fn rebuild(store: &Path) -> CliResult {
    let mut s = open_whole(store)?;
    // Flushed by rebuild_cache itself.
    s.rebuild_cache()?;
    println!("cache rebuilt from {} records", s.len());
    Ok(())
}
