//! `claim add`, `retract`, `correct`. Flags are turned into the same JSON
//! fields an import line has, so both paths share one validation.

use super::output::open;
use super::{CliError, CliResult};
use claimlog::{apply_parsed, parse_claim_value, Parsed, Target};
use serde_json::{json, Map, Value};
use std::path::Path;

#[derive(clap::Subcommand, Debug)]
pub enum ClaimCmd {
    /// Record one claim.
    Add(ClaimFlags),
}

#[derive(clap::Args, Debug, Default)]
pub struct ClaimFlags {
    /// What is counted (e.g. people_returned).
    #[arg(long)]
    pub metric: Option<String>,
    /// A part of the figure, key=value (repeatable), e.g. category=civilian.
    #[arg(long = "breakdown", value_name = "KEY=VALUE")]
    pub breakdown: Vec<String>,
    /// Remove the breakdown (with `correct`).
    #[arg(long)]
    pub no_breakdown: bool,
    /// The figure, stated exactly.
    #[arg(long, group = "quantity", allow_hyphen_values = true)]
    pub exact: Option<i64>,
    /// A lower bound ("over 7,000").
    #[arg(long, group = "quantity", allow_hyphen_values = true)]
    pub at_least: Option<i64>,
    /// An upper bound ("up to").
    #[arg(long, group = "quantity", allow_hyphen_values = true)]
    pub at_most: Option<i64>,
    /// An approximation ("around 8,000").
    #[arg(long, group = "quantity", allow_hyphen_values = true)]
    pub approx: Option<i64>,
    /// An inclusive range LOW..HIGH.
    #[arg(
        long,
        group = "quantity",
        value_name = "LOW..HIGH",
        allow_hyphen_values = true
    )]
    pub range: Option<String>,
    /// Scope kind: event, period, cumulative or change.
    #[arg(long)]
    pub scope: Option<String>,
    /// Event date (YYYY-MM-DD, YYYY-MM, YYYY or unknown).
    #[arg(long)]
    pub date: Option<String>,
    /// Label of the occasion or running total ("50th exchange").
    #[arg(long)]
    pub label: Option<String>,
    /// Period: YYYY, YYYY-MM or D..D (scope period; the period of a change).
    #[arg(long)]
    pub period: Option<String>,
    /// Baseline period of a change (YYYY, YYYY-MM or D..D).
    #[arg(long)]
    pub baseline: Option<String>,
    /// Start of a cumulative figure (fuzzy date).
    #[arg(long)]
    pub since: Option<String>,
    /// As-of date of a cumulative figure (fuzzy date).
    #[arg(long)]
    pub as_of: Option<String>,
    /// The outlet that published the claim (a registered source id).
    #[arg(long)]
    pub source: Option<String>,
    /// Who is quoted for the number.
    #[arg(long)]
    pub speaker: Option<String>,
    /// The registered source the outlet attributes the figure to.
    #[arg(long)]
    pub cites: Option<String>,
    #[arg(long)]
    pub url: Option<String>,
    /// Publication date (fuzzy date; `unknown` if the text does not say).
    #[arg(long)]
    pub published: Option<String>,
    /// The verbatim words that carry the number.
    #[arg(long)]
    pub quote: Option<String>,
    #[arg(long)]
    pub note: Option<String>,
}

fn period_json(flag: &str, s: &str) -> Result<Value, CliError> {
    let p = claimlog::Period::parse(s)
        .map_err(|e| CliError::bad_input(anyhow::anyhow!("--{flag}: {e}")))?;
    Ok(json!({"from": p.from.to_string(), "to": p.to.to_string()}))
}

fn bad(msg: String) -> CliError {
    CliError::bad_input(anyhow::anyhow!(msg))
}

/// A claim field error ("quote: text must not be empty") names the flag
/// when the field has one ("--quote: ...").
fn flag_error(msg: String) -> CliError {
    // A correction's planner errors are about its "new." claim.
    let msg = match msg.strip_prefix("new.") {
        Some(rest) => rest.to_string(),
        None => msg,
    };
    const FLAGS: [&str; 8] = [
        "metric",
        "source",
        "speaker",
        "cites",
        "url",
        "published",
        "quote",
        "note",
    ];
    match FLAGS.iter().find(|f| msg.starts_with(&format!("{f}: "))) {
        Some(_) => bad(format!("--{msg}")),
        None => bad(msg),
    }
}

impl ClaimFlags {
    /// Lays the given flags over `base` (an existing claim's fields, or empty).
    fn apply(&self, mut base: Map<String, Value>) -> Result<Map<String, Value>, CliError> {
        // Dates and the label sit inside the scope, where the field path of
        // a parse error is lost: check them here so the message names the flag.
        for (flag, v) in [
            ("date", &self.date),
            ("since", &self.since),
            ("as-of", &self.as_of),
            ("published", &self.published),
        ] {
            if let Some(v) = v {
                claimlog::FuzzyDate::parse(v).map_err(|e| bad(format!("--{flag}: {e}")))?;
            }
        }
        if let Some(l) = &self.label {
            claimlog::Name::new(l.as_str()).map_err(|e| bad(format!("--label: {e}")))?;
        }
        let mut set = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                base.insert(k.to_string(), Value::String(v.clone()));
            }
        };
        set("metric", &self.metric);
        set("source", &self.source);
        set("speaker", &self.speaker);
        set("cites", &self.cites);
        set("url", &self.url);
        set("published", &self.published);
        set("quote", &self.quote);
        set("note", &self.note);
        if self.no_breakdown {
            base.remove("breakdown");
        }
        if !self.breakdown.is_empty() {
            let mut m = Map::new();
            for item in &self.breakdown {
                let (k, v) = item
                    .split_once('=')
                    .ok_or_else(|| bad(format!("--breakdown {item:?}: expected KEY=VALUE")))?;
                if m.insert(k.to_string(), Value::String(v.to_string()))
                    .is_some()
                {
                    return Err(bad(format!("--breakdown: key {k:?} given twice")));
                }
            }
            base.insert("breakdown".into(), Value::Object(m));
        }
        let q = if let Some(n) = self.exact {
            Some(json!({"exact": n}))
        } else if let Some(n) = self.at_least {
            Some(json!({"at_least": n}))
        } else if let Some(n) = self.at_most {
            Some(json!({"at_most": n}))
        } else if let Some(n) = self.approx {
            Some(json!({"approx": n}))
        } else if let Some(r) = &self.range {
            let (lo, hi) = r
                .split_once("..")
                .ok_or_else(|| bad(format!("--range {r:?}: expected LOW..HIGH")))?;
            let lo: i64 = lo
                .trim()
                .parse()
                .map_err(|_| bad(format!("--range: {lo:?} is not an integer")))?;
            let hi: i64 = hi
                .trim()
                .parse()
                .map_err(|_| bad(format!("--range: {hi:?} is not an integer")))?;
            Some(json!({"range": {"low": lo, "high": hi}}))
        } else {
            None
        };
        if let Some(q) = q {
            base.insert("quantity".into(), q);
        }
        let scope_flags = self.scope.is_some()
            || self.date.is_some()
            || self.label.is_some()
            || self.period.is_some()
            || self.baseline.is_some()
            || self.since.is_some()
            || self.as_of.is_some();
        if scope_flags {
            let old = base
                .get("scope")
                .and_then(|v| v.as_object())
                .cloned()
                .unwrap_or_default();
            let kind = match (&self.scope, old.get("kind").and_then(|k| k.as_str())) {
                (Some(k), _) => k.clone(),
                (None, Some(k)) => k.to_string(),
                (None, None) => {
                    return Err(bad(
                        "--scope is required (event, period, cumulative or change)".into(),
                    ))
                }
            };
            let keep = |k: &str| {
                old.get(k)
                    .cloned()
                    .filter(|_| old.get("kind").and_then(|x| x.as_str()) == Some(kind.as_str()))
            };
            let mut sc = Map::new();
            sc.insert("kind".into(), Value::String(kind.clone()));
            let fuzzy = |flag: &Option<String>, k: &str| {
                flag.clone().map(Value::String).or_else(|| keep(k))
            };
            match kind.as_str() {
                "event" => {
                    sc.insert("date".into(), fuzzy(&self.date, "date").ok_or_else(|| bad("--date is required for an event scope (use `unknown` if the source gives none)".into()))?);
                    if let Some(l) = fuzzy(&self.label, "label") {
                        sc.insert("label".into(), l);
                    }
                }
                "period" => {
                    let p = match &self.period {
                        Some(p) => period_json("period", p)?,
                        None => json!({"from": keep("from"), "to": keep("to")}),
                    };
                    let p = p.as_object().cloned().unwrap_or_default();
                    if p.get("from").is_none_or(Value::is_null) {
                        return Err(bad("--period is required for a period scope".into()));
                    }
                    sc.extend(p);
                }
                "cumulative" => {
                    sc.insert(
                        "since".into(),
                        fuzzy(&self.since, "since").ok_or_else(|| {
                            bad("--since is required for a cumulative scope (or `unknown`)".into())
                        })?,
                    );
                    sc.insert(
                        "as_of".into(),
                        fuzzy(&self.as_of, "as_of").ok_or_else(|| {
                            bad("--as-of is required for a cumulative scope (or `unknown`)".into())
                        })?,
                    );
                    if let Some(l) = fuzzy(&self.label, "label") {
                        sc.insert("label".into(), l);
                    }
                }
                "change" => {
                    let p = match &self.period {
                        Some(p) => period_json("period", p)?,
                        None => keep("period")
                            .ok_or_else(|| bad("--period is required for a change scope".into()))?,
                    };
                    let b = match &self.baseline {
                        Some(p) => period_json("baseline", p)?,
                        None => keep("baseline").ok_or_else(|| {
                            bad("--baseline is required for a change scope".into())
                        })?,
                    };
                    sc.insert("period".into(), p);
                    sc.insert("baseline".into(), b);
                }
                other => {
                    return Err(bad(format!(
                        "--scope {other:?}: expected event, period, cumulative or change"
                    )))
                }
            }
            base.insert("scope".into(), Value::Object(sc));
        }
        Ok(base)
    }
}

fn require(base: &Map<String, Value>) -> Result<(), CliError> {
    for (field, flag) in [
        ("metric", "--metric"),
        (
            "quantity",
            "--exact, --at-least, --at-most, --approx or --range",
        ),
        ("scope", "--scope"),
        ("source", "--source"),
        ("published", "--published (a date, or `unknown`)"),
        ("quote", "--quote"),
    ] {
        if !base.contains_key(field) {
            return Err(bad(format!("{flag} is required")));
        }
    }
    Ok(())
}

pub fn run(store: &Path, c: ClaimCmd) -> CliResult {
    match c {
        ClaimCmd::Add(flags) => {
            let fields = flags.apply(Map::new())?;
            require(&fields)?;
            let claim = parse_claim_value(Value::Object(fields)).map_err(flag_error)?;
            let mut s = open(store)?;
            let out = apply_parsed(&mut s, vec![(1, Parsed::Claim(claim))]).map_err(strip_line)?;
            if let Some(id) = out.claim_ids.first() {
                println!(
                    "added claim {} at seq {} (id {id})",
                    id.short(),
                    out.first_seq.unwrap_or_default()
                );
            } else if let Some((_, id)) = out.duplicates.first() {
                println!(
                    "an identical active claim is already recorded: {} (nothing appended)",
                    id.short()
                );
            }
            Ok(())
        }
    }
}

/// Single commands have no input lines: drop the "line 1:" prefix.
fn strip_line(e: claimlog::IngestError) -> CliError {
    match e {
        claimlog::IngestError::Lines(errs) => flag_error(
            errs.into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => other.into(),
    }
}

#[derive(clap::Args, Debug)]
pub struct RetractArgs {
    /// Claim id or a unique prefix of it (at least 4 hex digits).
    pub id: String,
    /// Why the claim is withdrawn.
    #[arg(long)]
    pub reason: String,
}

fn text(flag: &str, s: String) -> Result<claimlog::Text, CliError> {
    claimlog::Text::new(s).map_err(|e| bad(format!("{flag}: {e}")))
}

pub fn retract(store: &Path, a: RetractArgs) -> CliResult {
    let reason = text("--reason", a.reason)?;
    let mut s = open(store)?;
    let id = s.cache().resolve_claim(&a.id)?;
    let out = apply_parsed(
        &mut s,
        vec![(
            1,
            Parsed::Retract {
                target: Target {
                    claim: Some(id.to_hex()),
                    line: None,
                },
                reason,
            },
        )],
    )
    .map_err(strip_line)?;
    println!(
        "retracted claim {} at seq {}",
        id.short(),
        out.first_seq.unwrap_or_default()
    );
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct CorrectArgs {
    /// Claim id or a unique prefix of it.
    pub id: String,
    /// Why the claim is corrected.
    #[arg(long)]
    pub reason: String,
    /// Fields to change; the others are kept from the old claim.
    #[command(flatten)]
    pub flags: ClaimFlags,
}

pub fn correct(store: &Path, a: CorrectArgs) -> CliResult {
    let reason = text("--reason", a.reason)?;
    let mut s = open(store)?;
    let id = s.cache().resolve_claim(&a.id)?;
    let old = s
        .cache()
        .claim(&id)?
        .ok_or_else(|| bad(format!("claim {} not found", id.short())))?;
    let old_claim = s.cache().full_claim(&old)?;
    let base = match serde_json::to_value(old_claim.fields()).map_err(anyhow::Error::from)? {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let fields = a.flags.apply(base)?;
    let new = parse_claim_value(Value::Object(fields)).map_err(flag_error)?;
    if new == old_claim {
        return Err(bad(
            "the correction changes nothing: give the fields to change".into(),
        ));
    }
    let out = apply_parsed(
        &mut s,
        vec![(
            1,
            Parsed::Correct {
                target: Target {
                    claim: Some(id.to_hex()),
                    line: None,
                },
                reason,
                new,
            },
        )],
    )
    .map_err(strip_line)?;
    let new_id = out.claim_ids.first().copied().unwrap_or_default();
    println!(
        "corrected claim {} at seq {}: the new claim is {} (id {new_id})",
        id.short(),
        out.first_seq.unwrap_or_default(),
        new_id.short()
    );
    Ok(())
}
