//! `claimlog demo`: the seed dataset in a throwaway store, a short tour,
//! then tamper evidence on a copy.

use super::total::{render_explain, render_total, Args as TotalArgs};
use super::{CliError, CliResult};
use claimlog::{Origin, Store, StoreOptions};
use std::path::Path;

/// The five seed articles' claims, bundled so the demo needs no files.
pub const SEED: &str = include_str!("../../docs/examples/seed-claims.jsonl");

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Keep the demo store in this directory instead of a temporary one.
    #[arg(long)]
    pub keep: Option<std::path::PathBuf>,
}

fn query(metric: &str, period: Option<&str>) -> TotalArgs {
    TotalArgs {
        metric: metric.into(),
        period: period.map(Into::into),
        from: None,
        to: None,
        breakdown: vec![],
        policy: "official-first".into(),
        as_of_seq: None,
        recorded_before: None,
        published_before: None,
        json: false,
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let target = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &target)?;
        } else {
            std::fs::copy(e.path(), target)?;
        }
    }
    Ok(())
}

pub fn run(a: Args) -> CliResult {
    let tmp = tempfile::tempdir()?;
    let dir = match &a.keep {
        Some(d) => d.clone(),
        None => tmp.path().join("store"),
    };
    println!("== claimlog demo ==");
    println!(
        "A new store in {}, holding the claims of five news articles about",
        dir.display()
    );
    println!("prisoner-of-war exchanges (docs/examples/seed-claims.jsonl).\n");
    let origin = Origin::new("claimlog.demo/pow-exchanges")
        .map_err(|e| CliError::failed(anyhow::anyhow!(e)))?;
    let mut store = Store::create(&dir, origin, StoreOptions::default())?;
    let out = claimlog::import(&mut store, std::io::Cursor::new(SEED))?;
    println!(
        "1. Imported {} sources and {} claims, each an event in a hash chain (seq {}..={}).",
        out.sources_added,
        out.claims_added,
        out.first_seq.unwrap_or_default(),
        out.last_seq.unwrap_or_default()
    );
    println!(
        "   head: seq {} hash {}\n",
        store.head().seq,
        store.head().hash
    );

    println!("2. Totals. Each figure carries its bound kind and the route it came from:\n");
    for (m, p) in [
        ("people_returned", Some("2024")),
        ("exchanges", Some("2024")),
        ("people_returned", Some("2023")),
        ("bodies_repatriated", None),
    ] {
        let t = claimlog::total_brief(store.cache(), &query(m, p).query()?)?;
        print!("{}", render_total(&t));
        println!();
    }
    println!("   2023 has no stated figure: it follows from \"356 more than in 2023\" and 1,358 for 2024.\n");

    println!("3. How the 2024 total was derived, down to each claim, quote and event hash:\n");
    let t = claimlog::explain(
        store.cache(),
        &query("people_returned", Some("2024")).query()?,
    )?;
    print!("{}", render_explain(&t));
    println!();

    let findings = claimlog::check(store.cache(), claimlog::Tolerance::default())?;
    let bad = findings
        .iter()
        .filter(|f| f.severity == claimlog::Severity::Inconsistent)
        .count();
    println!(
        "4. check: {} relations between claims tested, {bad} inconsistent. For example:",
        findings.len()
    );
    for f in findings
        .iter()
        .filter(|f| matches!(f.relation, "cumulative_vs_parts" | "possible_same_event"))
    {
        println!("   [{}] {}\n      {}", f.relation, f.subject, f.arithmetic);
    }
    println!();

    store.flush()?;
    drop(store);
    let report = claimlog::verify(&dir, true)?;
    println!(
        "5. verify: {} ({} records, head {})\n",
        if report.ok() {
            "ok, chain intact and cache consistent"
        } else {
            "FAILED"
        },
        report.records,
        report.head.map(|h| h.hash.short()).unwrap_or_default()
    );

    let copy = tmp.path().join("tampered");
    copy_dir(&dir, &copy)?;
    let seg = copy.join("log").join("00000000.seg");
    let mut bytes = std::fs::read(&seg)?;
    // Change one digit of "1358" in the first claim that states it, as a
    // quiet spreadsheet edit would.
    let needle = b"1,358";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .ok_or_else(|| CliError::failed(anyhow::anyhow!("seed quote not found in the log")))?;
    bytes[at + 2] = b'4';
    std::fs::write(&seg, &bytes)?;
    println!("6. Tamper evidence: in a copy of the store, one byte of a quote is changed");
    println!(
        "   (\"1,358\" -> \"1,458\" at byte {}) and verify runs again:",
        at + 2
    );
    let report = claimlog::verify(&copy, false)?;
    match &report.problem {
        Some(p) => println!(
            "   verify: FAILED at seq {}: {}: {}\n",
            p.seq, p.kind, p.reason
        ),
        None => {
            return Err(CliError::failed(anyhow::anyhow!(
                "verify did not notice the tampered byte"
            )))
        }
    }
    println!("Try it yourself: claimlog --store DIR import docs/examples/seed-claims.jsonl,");
    println!("then `claimlog explain --metric people_returned --period 2024` (see README.md).");
    if a.keep.is_some() {
        println!("The demo store was kept in {}.", dir.display());
    }
    Ok(())
}
