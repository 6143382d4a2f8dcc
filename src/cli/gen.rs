//! `gen-workload` (hidden): a deterministic synthetic import file for the
//! performance suite (benches/run.sh, docs/PERFORMANCE.md). 50 sources
//! first, then N claims over 6 metrics and 2021-2024, with about 1% each of
//! retractions and corrections of earlier claim lines and 0.5% repeats.

use super::CliResult;
use serde_json::{json, Value};
use std::io::{BufWriter, Write};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Number of `claim` lines (retract and correct lines come on top).
    #[arg(long)]
    pub claims: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output file (`-` for stdout).
    #[arg(long)]
    pub out: PathBuf,
}

/// SplitMix64: tiny, seeded, identical output on every platform, so no
/// dependency is needed for a reproducible workload.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const SOURCES: u64 = 50;
const METRICS: [&str; 6] = [
    "people_returned",
    "soldiers_returned",
    "civilians_returned",
    "bodies_returned",
    "exchanges",
    "children_returned",
];
const KINDS: [&str; 4] = ["official", "media", "ngo", "other"];
const SPEAKERS: [&str; 6] = [
    "Head of the Coordination HQ",
    "the Ombudsman",
    "a ministry spokesperson",
    "the President",
    "a regional governor",
    "an intelligence official",
];
const LEADS: [&str; 5] = [
    "According to officials,",
    "The headquarters said that",
    "In a statement on its channel, the office reported that",
    "Speaking to reporters, the official confirmed that",
    "Figures released on the day show that",
];
const VERBS: [&str; 4] = [
    "were brought home",
    "returned to the country",
    "were released in the swap",
    "came back after negotiations",
];
const PLACES: [&str; 5] = [
    "via the northern border",
    "through mediation by a third country",
    "after months of talks",
    "in the latest round",
    "near the border crossing",
];

/// Day `k` after 2021-01-01, as YYYY-MM-DD (k < 1461 stays within 2021-2024).
fn day(k: u64) -> String {
    let d = time::Date::from_calendar_date(2021, time::Month::January, 1)
        .expect("a valid date")
        .saturating_add(time::Duration::days(k as i64));
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

fn claim(r: &mut Rng) -> Value {
    let metric = METRICS[r.below(METRICS.len() as u64) as usize];
    let k = r.below(1461);
    let date = day(k);
    let mut n = 1 + r.below(if metric == "exchanges" { 60 } else { 1200 }) as i64;
    let scope = match r.below(20) {
        0..=13 => json!({"kind": "event", "date": date, "label": format!("exchange of {date}")}),
        14..=16 => {
            let (y, m) = (2021 + k / 366, 1 + r.below(12));
            let last = match m {
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            json!({"kind": "period", "from": format!("{y}-{m:02}-01"), "to": format!("{y}-{m:02}-{last}")})
        }
        _ => {
            // Running totals grow with their as-of day, give or take.
            n = k as i64 * if metric == "exchanges" { 1 } else { 30 } + n / 10;
            json!({"kind": "cumulative", "since": "2021-01-01", "as_of": date,
                     "label": "since the start of 2021"})
        }
    };
    let quantity = match r.below(10) {
        0 => json!({"at_least": n}),
        1 => json!({"approx": n}),
        2 => json!({"range": {"low": n, "high": n + 10}}),
        _ => json!({"exact": n}),
    };
    let source = r.below(SOURCES);
    let quote = format!(
        "{} {n} people {} {} on {date}.",
        r.pick(&LEADS),
        r.pick(&VERBS),
        r.pick(&PLACES),
    );
    let mut c = json!({
        "type": "claim",
        "metric": metric,
        "quantity": quantity,
        "scope": scope,
        "source": format!("src-{source:02}"),
        "published": day((k + r.below(3)).min(1460)),
        "quote": quote,
    });
    if r.below(2) == 0 {
        c["speaker"] = json!(r.pick(&SPEAKERS));
    }
    if r.below(3) == 0 {
        c["cites"] = json!(format!(
            "src-{:02}",
            (source + 1 + r.below(SOURCES - 1)) % SOURCES
        ));
    }
    if r.below(4) == 0 {
        c["url"] = json!(format!(
            "https://news{source}.example/{date}/{}",
            r.below(1 << 20)
        ));
    }
    c
}

pub fn run(a: Args) -> CliResult {
    let out: Box<dyn Write> =
        if a.out.as_os_str() == "-" {
            Box::new(std::io::stdout().lock())
        } else {
            Box::new(std::fs::File::create(&a.out).map_err(|e| {
                super::CliError::bad_input(anyhow::anyhow!("{}: {e}", a.out.display()))
            })?)
        };
    let mut w = BufWriter::with_capacity(1 << 16, out);
    let mut r = Rng(a.seed);
    let mut line = 0u64;
    let mut emit = |w: &mut BufWriter<Box<dyn Write>>, v: &Value| -> std::io::Result<u64> {
        serde_json::to_writer(&mut *w, v)?;
        w.write_all(b"\n")?;
        line += 1;
        Ok(line)
    };
    for i in 0..SOURCES {
        let mut s = json!({"type": "source", "id": format!("src-{i:02}"),
            "name": format!("Synthetic source {i}"), "kind": KINDS[(i % 4) as usize]});
        if i % 3 == 0 {
            s["homepage"] = json!(format!("https://news{i}.example"));
        }
        emit(&mut w, &s)?;
    }
    // Claim lines that are still active and not repeats: targets for ends.
    let mut open: Vec<(u64, Value)> = Vec::new();
    let mut written = 0u64;
    while written < a.claims {
        let roll = r.below(200);
        if roll < 2 && !open.is_empty() {
            let i = r.below(open.len() as u64) as usize;
            let (target, _) = open.swap_remove(i);
            let v = json!({"type": "retract", "line": target,
                "reason": "the outlet withdrew the figure in a later update to the article"});
            emit(&mut w, &v)?;
        } else if roll < 4 && !open.is_empty() {
            let i = r.below(open.len() as u64) as usize;
            let (target, mut new) = open.swap_remove(i);
            let n = 1 + r.below(1200);
            new["quantity"] = json!({"exact": n});
            // A corrected claim is a new statement: never a copy of another one.
            new["note"] = json!(format!("corrected version of line {target}"));
            new.as_object_mut().map(|o| o.remove("type"));
            let v = json!({"type": "correct", "line": target, "new": new,
                "reason": "typo in the first version of the article, fixed by the outlet"});
            emit(&mut w, &v)?;
        } else if roll < 5 && !open.is_empty() {
            // An exact repeat of an earlier claim: import skips it as a duplicate.
            let i = r.below(open.len() as u64) as usize;
            let v = open[i].1.clone();
            emit(&mut w, &v)?;
            written += 1;
        } else {
            let v = claim(&mut r);
            let l = emit(&mut w, &v)?;
            open.push((l, v));
            written += 1;
        }
        // Keep memory flat: only the recent claims can be ended.
        if open.len() > 4096 {
            let drop = r.below(open.len() as u64) as usize;
            open.swap_remove(drop);
        }
    }
    w.flush()?;
    Ok(())
}
