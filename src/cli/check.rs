use super::output::{open, print_json};
use super::total::{headline, Args as TotalArgs};
use super::{CliError, CliResult};
use claimlog::{Severity, Tolerance};
use serde::Serialize;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// How far an approximate figure ("about N") may be off, in percent.
    #[arg(long, default_value_t = 10)]
    pub tolerance: u32,
    /// Only print inconsistencies.
    #[arg(long)]
    pub problems_only: bool,
    #[arg(long)]
    pub json: bool,
}

pub fn run(store: &Path, a: Args) -> CliResult {
    let s = open(store)?;
    let findings = claimlog::check(
        s.cache(),
        Tolerance {
            approx_percent: a.tolerance,
        },
    )?;
    let bad = findings
        .iter()
        .filter(|f| f.severity == Severity::Inconsistent)
        .count();
    if a.json {
        print_json(&findings)?;
    } else {
        for f in findings
            .iter()
            .filter(|f| !a.problems_only || f.severity == Severity::Inconsistent)
        {
            let tag = match f.severity {
                Severity::Inconsistent => "INCONSISTENT",
                Severity::Info => "info",
                Severity::Consistent => "ok",
            };
            println!("[{tag}] {}: {}", f.relation, f.subject);
            println!("    {}", f.arithmetic);
            for c in &f.claims {
                println!(
                    "    - {} {} per {}{}: \"{}\"",
                    c.id.short(),
                    c.value,
                    c.source,
                    c.cites
                        .as_ref()
                        .map(|x| format!(" citing {x}"))
                        .unwrap_or_default(),
                    c.quote.replace('\n', " ")
                );
            }
        }
        println!(
            "{} finding(s): {bad} inconsistent (approximations read as ±{}%)",
            findings.len(),
            a.tolerance
        );
    }
    if bad > 0 {
        return Err(CliError::reported_failure());
    }
    Ok(())
}

#[derive(Serialize)]
struct Step {
    seq: u64,
    event: String,
    answer: Option<claimlog::Answer>,
}

/// How the answer to a total changed over the log, event by event.
pub fn history(store: &Path, a: TotalArgs) -> CliResult {
    let q = a.query()?;
    let s = open(store)?;
    let mut steps: Vec<Step> = Vec::new();
    // An empty ledger has no figure: the first step is the first figure.
    let mut last: Option<String> = Some("null".into());
    claimlog::totals_over_log(s.cache(), &q, |seq, t| -> Result<(), CliError> {
        let key = serde_json::to_string(&t.answer).map_err(anyhow::Error::from)?;
        if last.as_ref() != Some(&key) {
            let r = s.record(seq)?;
            let line = super::log::summary(&r.record.event);
            if !a.json {
                println!("seq {seq:>6}  {}  {}", r.hash.short(), line);
                println!("            -> {}", headline(&t));
            }
            steps.push(Step {
                seq,
                event: line,
                answer: t.answer,
            });
            last = Some(key);
        }
        Ok(())
    })?;
    if a.json {
        return print_json(&steps);
    }
    if steps.is_empty() {
        println!("no event has given this total a figure");
    }
    Ok(())
}
