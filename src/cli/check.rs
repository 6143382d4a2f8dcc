use super::output::{open, print_json, print_json_list};
use super::total::{headline, Args as TotalArgs};
use super::{CliError, CliResult};
use claimlog::{Finding, Severity, Tolerance};
use serde::Serialize;
use std::io::Write;
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
    let t = Tolerance {
        approx_percent: a.tolerance,
    };
    // Each finding is printed as the check hands it over: at 1M claims
    // there can be 100k of them (docs/PERFORMANCE.md, check).
    let (mut found, mut bad) = (0usize, 0usize);
    let mut count = |f: &Finding| {
        found += 1;
        bad += usize::from(f.severity == Severity::Inconsistent);
    };
    if a.json {
        print_json_list(|push| {
            claimlog::check_each(s.cache(), t, |f| {
                count(&f);
                push(&f)
            })
        })?;
    } else {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        claimlog::check_each(s.cache(), t, |f| -> CliResult {
            count(&f);
            if !a.problems_only || f.severity == Severity::Inconsistent {
                print_finding(&mut out, &f).map_err(anyhow::Error::from)?;
            }
            Ok(())
        })?;
        writeln!(
            out,
            "{found} finding(s): {bad} inconsistent (approximations read as ±{}%)",
            a.tolerance
        )
        .map_err(anyhow::Error::from)?;
        out.flush().map_err(anyhow::Error::from)?;
    }
    if bad > 0 {
        return Err(CliError::reported_failure());
    }
    Ok(())
}

fn print_finding(out: &mut impl Write, f: &Finding) -> std::io::Result<()> {
    let tag = match f.severity {
        Severity::Inconsistent => "INCONSISTENT",
        Severity::Info => "info",
        Severity::Consistent => "ok",
    };
    writeln!(out, "[{tag}] {}: {}", f.relation, f.subject)?;
    writeln!(out, "    {}", f.arithmetic)?;
    for c in &f.claims {
        writeln!(
            out,
            "    - {} {} per {}{}: \"{}\"",
            c.id.short(),
            c.value,
            c.source,
            c.cites
                .as_ref()
                .map(|x| format!(" citing {x}"))
                .unwrap_or_default(),
            c.quote.replace('\n', " ")
        )?;
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
