use super::output::{open, print_json};
use super::{CliError, CliResult};
use claimlog::{Breakdown, Day, Estimate, Filter, Period, Policy, Query, Role, Slug, Total};
use std::path::Path;

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// The metric, e.g. people_returned.
    #[arg(long)]
    pub metric: String,
    /// The period: YYYY, YYYY-MM or D..D. Without it: all time.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub period: Option<String>,
    /// First day of the period (with --to).
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// Last day of the period (with --from).
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// Only claims about this part, key=value (repeatable).
    #[arg(long = "breakdown", value_name = "KEY=VALUE")]
    pub breakdown: Vec<String>,
    /// official-first (default), latest, conservative or corroborated.
    #[arg(long, default_value = "official-first")]
    pub policy: String,
    /// What the ledger knew after event seq N.
    #[arg(long)]
    pub as_of_seq: Option<u64>,
    /// What the ledger knew before this time (RFC 3339, or a day YYYY-MM-DD, UTC).
    #[arg(long)]
    pub recorded_before: Option<String>,
    /// Only claims published (surely) before this day.
    #[arg(long)]
    pub published_before: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug, Clone)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub total: Args,
    /// List every claim of every group. Without it, a group of more than
    /// a few claims lists the chosen claim and those that set its bounds,
    /// and counts the others by role.
    #[arg(long)]
    pub all: bool,
}

fn bad(m: String) -> CliError {
    CliError::bad_input(anyhow::anyhow!(m))
}

pub fn parse_time_ms(s: &str) -> Result<i64, String> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return i64::try_from(t.unix_timestamp_nanos() / 1_000_000).map_err(|e| e.to_string());
    }
    let d: Day = s.parse().map_err(|e: claimlog::ModelError| {
        format!("{s:?}: expected RFC 3339 time or YYYY-MM-DD ({e})")
    })?;
    Ok(i64::from(d.epoch_days()) * 86_400_000)
}

impl Args {
    pub fn query(&self) -> Result<Query, CliError> {
        let metric = Slug::new(self.metric.clone()).map_err(|e| bad(format!("--metric: {e}")))?;
        let breakdown = Breakdown::parse_items(&self.breakdown)
            .map_err(|e| bad(format!("--breakdown: {e}")))?;
        let period = match (&self.period, &self.from, &self.to) {
            (Some(p), _, _) => Some(Period::parse(p).map_err(|e| bad(format!("--period: {e}")))?),
            (None, Some(f), Some(t)) => Some(
                Period::parse(&format!("{f}..{t}"))
                    .map_err(|e| bad(format!("--from/--to: {e}")))?,
            ),
            _ => None,
        };
        let policy: Policy = self
            .policy
            .parse()
            .map_err(|e| bad(format!("--policy: {e}")))?;
        let filter = Filter {
            as_of_seq: self.as_of_seq,
            recorded_before_ms: self
                .recorded_before
                .as_deref()
                .map(parse_time_ms)
                .transpose()
                .map_err(|e| bad(format!("--recorded-before: {e}")))?,
            published_before: self
                .published_before
                .as_deref()
                .map(|s| s.parse::<Day>())
                .transpose()
                .map_err(|e| bad(format!("--published-before: {e}")))?,
        };
        Ok(Query {
            metric,
            breakdown,
            period,
            policy,
            filter,
        })
    }
}

/// A bound of an estimate: its value, or "open".
fn side(v: Option<i64>) -> String {
    v.map_or("open".to_string(), |v| v.to_string())
}

fn est_line(e: &Estimate) -> String {
    format!(
        "{e} [{}; best {}, low {}, high {}]",
        e.kind(),
        e.best,
        side(e.low),
        side(e.high)
    )
}

fn title(t: &Total) -> String {
    let mut s = t.metric.clone();
    if !t.breakdown.is_empty() {
        s.push_str(&format!(" [{}]", t.breakdown));
    }
    s.push_str(&match &t.period {
        Some(p) => format!(", {p}"),
        None => ", all time".into(),
    });
    s
}

pub fn headline(t: &Total) -> String {
    match &t.answer {
        Some(a) => format!(
            "{}: {} via the {} route, {} independent source(s) (policy {})",
            title(t),
            est_line(&a.estimate),
            a.route,
            a.independent_sources,
            t.policy
        ),
        None => format!("{}: no figure on record", title(t)),
    }
}

pub fn total(store: &Path, a: Args) -> CliResult {
    let q = a.query()?;
    let s = open(store)?;
    // JSON carries every claim; the text shows only the figures.
    let t = if a.json {
        claimlog::total(s.cache(), &q)?
    } else {
        claimlog::total_brief(s.cache(), &q)?
    };
    if a.json {
        return print_json(&t);
    }
    print!("{}", render_total(&t));
    Ok(())
}

pub fn render_total(t: &Total) -> String {
    let mut out = format!("{}\n", headline(t));
    for r in &t.routes {
        let fig = r
            .estimate
            .map(|e| e.to_string())
            .unwrap_or_else(|| "-".into());
        out.push_str(&format!("  {:<18} {fig}\n", r.name));
    }
    out
}

pub fn explain(store: &Path, a: ExplainArgs) -> CliResult {
    let q = a.total.query()?;
    let s = open(store)?;
    let t = if a.all {
        claimlog::total(s.cache(), &q)?
    } else {
        claimlog::explain(s.cache(), &q)?
    };
    if a.total.json {
        return print_json(&t);
    }
    print!("{}", render_explain(&t));
    Ok(())
}

pub fn render_explain(t: &Total) -> String {
    let mut out = format!("{}\n", headline(t));
    let n = t.routes.len();
    for (i, r) in t.routes.iter().enumerate() {
        let last_r = i + 1 == n;
        let (b, pad) = if last_r {
            ("└─", "   ")
        } else {
            ("├─", "│  ")
        };
        let fig = r
            .estimate
            .map(|e| est_line(&e))
            .unwrap_or_else(|| "no figure".into());
        out.push_str(&format!("{b} {}: {fig}\n", r.name));
        out.push_str(&format!("{pad}  ({})\n", r.description));
        for note in &r.notes {
            out.push_str(&format!("{pad}  note: {note}\n"));
        }
        let gn = r.groups.len();
        for (j, g) in r.groups.iter().enumerate() {
            let last_g = j + 1 == gn;
            let (gb, gpad) = if last_g {
                ("└─", "   ")
            } else {
                ("├─", "│  ")
            };
            let fig = g
                .estimate
                .map(|e| est_line(&e))
                .unwrap_or_else(|| "nothing active".into());
            out.push_str(&format!(
                "{pad}{gb} {}: {fig}; {} independent source(s)\n",
                g.label, g.independent_sources
            ));
            let cn = g.claims.len();
            for (k, c) in g.claims.iter().enumerate() {
                let cb = if k + 1 == cn { "└─" } else { "├─" };
                let mark = match c.role {
                    Role::Chosen => "✔ chosen",
                    Role::Agrees => "= agrees",
                    Role::Competing => "≠ competing",
                    Role::Retracted => "✘ retracted",
                    Role::Corrected => "✘ corrected",
                };
                let mut who = c.source.clone();
                if let Some(sp) = &c.speaker {
                    who.push_str(&format!(", quoting {sp}"));
                }
                if let Some(ci) = &c.cites {
                    who.push_str(&format!(", citing {ci}"));
                }
                let cpad = if k + 1 == cn { "   " } else { "│  " };
                out.push_str(&format!(
                    "{pad}{gpad}{cb} {mark} {} per {who}; published {}\n",
                    c.quantity,
                    super::output::date(c.published)
                ));
                out.push_str(&format!(
                    "{pad}{gpad}{cpad}   \"{}\"\n",
                    c.quote.replace('\n', " ")
                ));
                out.push_str(&format!(
                    "{pad}{gpad}{cpad}   claim {} · seq {} · event hash {}\n",
                    c.id.short(),
                    c.seq,
                    c.id
                ));
                if let Some(e) = &c.ended {
                    out.push_str(&format!("{pad}{gpad}{cpad}   {e}\n"));
                }
            }
            if let Some(o) = g.omitted.filter(|o| o.total() > 0) {
                let parts: Vec<String> = [
                    (o.agrees, "agreeing"),
                    (o.competing, "competing"),
                    (o.retracted, "retracted"),
                    (o.corrected, "corrected"),
                ]
                .into_iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, what)| format!("{n} {what}"))
                .collect();
                out.push_str(&format!(
                    "{pad}{gpad}   + {} more not listed: {} (explain --all lists them)\n",
                    o.total(),
                    parts.join(", ")
                ));
                let set_by = |n: Option<claimlog::Named>| {
                    n.map(|n| format!("claim {} (seq {})", n.id.short(), n.seq))
                        .unwrap_or_else(|| "-".into())
                };
                if let Some(e) = g.estimate {
                    out.push_str(&format!(
                        "{pad}{gpad}     low {} set by {}; high {} set by {}\n",
                        side(e.low),
                        set_by(o.low_set_by),
                        side(e.high),
                        set_by(o.high_set_by)
                    ));
                }
            }
        }
    }
    out
}
