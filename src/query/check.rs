//! `check`: every relation between claims that the ledger can test, each
//! finding with the claims involved and the arithmetic (docs/TOTALS.md,
//! "Checks"). Inconsistencies are findings whose figures cannot all hold.

use super::estimate::Estimate;
use super::findings::Ordered;
use super::resolve::{choose, estimate_of, independence_key, Kinds, Policy};
use crate::event::Hash32;
use crate::model::{FuzzyDate, Scope};
use crate::project::{Cache, ClaimEntry, ProjectError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The figures support each other.
    Consistent,
    /// Worth knowing, nothing contradicts (coverage, possible duplicates).
    Info,
    /// The figures cannot all be true (beyond the tolerance).
    Inconsistent,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClaimRef {
    pub id: Hash32,
    pub seq: u64,
    pub value: String,
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cites: Option<String>,
    pub quote: String,
}

/// Every relation `check` tests, by the name its findings give it.
pub const RELATIONS: [&str; 9] = [
    "agreement",
    "disagreement",
    "parts_of_whole",
    "cumulative_vs_parts",
    "cumulative_decrease",
    "stated_vs_summed",
    "change_vs_stated",
    "coverage",
    "possible_same_event",
];

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Finding {
    /// One of RELATIONS.
    pub relation: &'static str,
    pub severity: Severity,
    pub subject: String,
    pub arithmetic: String,
    pub claims: Vec<ClaimRef>,
}

/// How far apart approximate figures may be before they contradict: an
/// "about N" is read as N ± this percentage. Exact figures get no slack.
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    pub approx_percent: u32,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance { approx_percent: 10 }
    }
}

fn slack(e: Estimate, t: Tolerance) -> Estimate {
    if !e.approx {
        return e;
    }
    let d = e
        .best
        .unsigned_abs()
        .saturating_mul(u64::from(t.approx_percent))
        / 100;
    let d = i64::try_from(d).unwrap_or(i64::MAX);
    Estimate {
        low: e.low.map(|l| l.saturating_sub(d)),
        high: e.high.map(|h| h.saturating_add(d)),
        ..e
    }
}

/// The metric whose period figures `coverage` sets other metrics' events
/// against.
const EXCHANGES: &str = "exchanges";

/// The claim as a finding names it; its quote is filled in last
/// (`Sink`), from the log.
fn cref(e: &ClaimEntry) -> ClaimRef {
    ClaimRef {
        id: e.id,
        seq: e.seq,
        value: e.claim.quantity.to_string(),
        source: e.claim.source.to_string(),
        cites: e.claim.cites.as_ref().map(|c| c.to_string()),
        quote: String::new(),
    }
}

/// Where findings go as they are made: in small batches, their quotes
/// read from the log (the cache does not keep claims' words), into the
/// sort that gives them back in printing order. Only the claims findings
/// name are read, not every claim checked.
struct Sink<'a> {
    cache: &'a Cache,
    /// The claims a finding may name: the metric's, and the counts of
    /// exchanges `coverage` names.
    by_id: BTreeMap<Hash32, &'a ClaimEntry>,
    ordered: &'a mut Ordered,
    batch: Vec<Finding>,
    /// The first failure; what is pushed after it is dropped.
    failed: Option<ProjectError>,
}

/// Findings quoted and sorted at once, at most.
const SINK_BATCH: usize = 64;

impl Sink<'_> {
    fn push(&mut self, f: Finding) {
        if self.failed.is_none() {
            self.batch.push(f);
            if self.batch.len() == SINK_BATCH {
                self.flush();
            }
        }
    }

    fn flush(&mut self) {
        if let Err(e) = self.hand_over() {
            self.failed.get_or_insert(e);
            self.batch.clear();
        }
    }

    fn hand_over(&mut self) -> Result<(), ProjectError> {
        for r in self.batch.iter_mut().flat_map(|f| f.claims.iter_mut()) {
            let e = self.by_id.get(&r.id).ok_or_else(|| {
                ProjectError::NotFound(format!("claim {} of a finding", r.id.short()))
            })?;
            r.quote = self.cache.full_claim(e)?.quote.to_string();
        }
        self.batch.drain(..).try_for_each(|f| self.ordered.push(f))
    }

    fn finish(mut self) -> Result<(), ProjectError> {
        self.flush();
        self.failed.map_or(Ok(()), Err)
    }
}

/// The identity of "the same thing": claims with equal keys compete.
pub fn scope_key(scope: &Scope, id: &Hash32) -> String {
    let norm = |l: &Option<crate::model::Name>| {
        l.as_ref()
            .map(|l| l.as_str().to_lowercase())
            .unwrap_or_default()
    };
    match scope {
        Scope::Event {
            date: FuzzyDate::Day(d),
            ..
        } => format!("event:{d}"),
        Scope::Event { date, label } if label.is_some() => format!("event:{date}:{}", norm(label)),
        Scope::Event { date, .. } => format!("event:{date}:claim:{}", id.short()),
        Scope::Period { from, to } => format!("period:{from}..{to}"),
        Scope::Cumulative {
            since,
            as_of,
            label,
        } => format!("cumulative:{since}:{as_of}:{}", norm(label)),
        Scope::Change { period, baseline } => format!(
            "change:{}..{}:{}..{}",
            period.from, period.to, baseline.from, baseline.to
        ),
    }
}

struct Grp<'a> {
    metric: String,
    scope: &'a Scope,
    key: String,
    whole: Vec<&'a ClaimEntry>,
    /// breakdown -> claims about that part.
    parts: BTreeMap<String, Vec<&'a ClaimEntry>>,
}

fn resolved<'a>(claims: &[&'a ClaimEntry], kinds: &Kinds) -> Option<(&'a ClaimEntry, Estimate)> {
    let c = choose(claims, Policy::default(), kinds)?;
    Some((c, estimate_of(c)))
}

fn est_text(e: &Estimate) -> String {
    e.to_string()
}

/// Runs every check over the active claims of the ledger.
pub fn check(cache: &Cache, t: Tolerance) -> Result<Vec<Finding>, ProjectError> {
    let mut all = Vec::new();
    check_each(cache, t, |f| {
        all.push(f);
        Ok::<(), ProjectError>(())
    })?;
    Ok(all)
}

/// Runs every check and hands each finding to `each`, in the order
/// `check` lists them. It holds one metric's active claims at a time, and
/// of the findings a run of 2048 at most: the rest wait sorted in
/// temporary files (query/findings.rs). A failure to read them back comes
/// after the findings before it were handed over.
pub fn check_each<E: From<ProjectError>>(
    cache: &Cache,
    t: Tolerance,
    mut each: impl FnMut(Finding) -> Result<(), E>,
) -> Result<(), E> {
    let kinds: Kinds = cache
        .sources()?
        .into_iter()
        .map(|s| (s.source.id.to_string(), s.source.kind))
        .collect();
    // Every relation but one stays within a metric, so the claims are
    // held a metric at a time (the cache lists them by metric); the one,
    // `coverage`, sets a period's events against the count of exchanges
    // stated for it, read first.
    let exchanges = exchange_counts(cache, &kinds)?;
    // Findings that tie in the order keep the order they were found in,
    // and no finding ties with another metric's (subjects begin with the
    // metric): the order is the one a single pass over every claim gave.
    let mut ordered = Ordered::default();
    let mut metric: Vec<ClaimEntry> = Vec::new();
    for e in cache.claims() {
        let e = e?;
        if !e.status.is_active() {
            continue;
        }
        if metric
            .last()
            .is_some_and(|m| m.claim.metric != e.claim.metric)
        {
            check_metric(cache, &metric, &exchanges, &kinds, t, &mut ordered)?;
            metric.clear();
        }
        metric.push(e);
    }
    check_metric(cache, &metric, &exchanges, &kinds, t, &mut ordered)?;
    for f in ordered.into_iter()? {
        each(f?)?;
    }
    Ok(())
}

/// The counts of exchanges stated for whole periods, each period's
/// figure resolved as a total would, by the period's scope key.
type ExchangeCounts = BTreeMap<String, (ClaimEntry, Estimate)>;

fn exchange_counts(cache: &Cache, kinds: &Kinds) -> Result<ExchangeCounts, ProjectError> {
    let mut by_key: BTreeMap<String, Vec<ClaimEntry>> = BTreeMap::new();
    for e in cache.claims_by_metric(EXCHANGES) {
        let e = e?;
        if e.status.is_active()
            && e.claim.breakdown.is_empty()
            && matches!(e.claim.scope, Scope::Period { .. })
        {
            by_key
                .entry(scope_key(&e.claim.scope, &e.id))
                .or_default()
                .push(e);
        }
    }
    Ok(by_key
        .into_iter()
        .filter_map(|(key, claims)| {
            let refs: Vec<&ClaimEntry> = claims.iter().collect();
            let (c, e) = resolved(&refs, kinds)?;
            Some((key, (c.clone(), e)))
        })
        .collect())
}

/// The findings about one metric's active claims, `entries`, with their
/// quotes.
fn check_metric(
    cache: &Cache,
    entries: &[ClaimEntry],
    exchanges: &ExchangeCounts,
    kinds: &Kinds,
    t: Tolerance,
    ordered: &mut Ordered,
) -> Result<(), ProjectError> {
    let mut groups: BTreeMap<(String, String), Grp> = BTreeMap::new();
    for e in entries {
        let key = scope_key(&e.claim.scope, &e.id);
        let g = groups
            .entry((e.claim.metric.to_string(), key.clone()))
            .or_insert_with(|| Grp {
                metric: e.claim.metric.to_string(),
                scope: &e.claim.scope,
                key,
                whole: vec![],
                parts: BTreeMap::new(),
            });
        if e.claim.breakdown.is_empty() {
            g.whole.push(e);
        } else {
            g.parts
                .entry(e.claim.breakdown.to_string())
                .or_default()
                .push(e);
        }
    }
    let mut out = Sink {
        cache,
        by_id: entries
            .iter()
            .chain(exchanges.values().map(|(c, _)| c))
            .map(|e| (e.id, e))
            .collect(),
        ordered,
        batch: Vec::with_capacity(SINK_BATCH),
        failed: None,
    };
    for g in groups.values() {
        agreement(&mut out, &g.metric, &g.scope.to_string(), &g.whole, t);
        for (b, claims) in &g.parts {
            agreement(
                &mut out,
                &format!("{}[{b}]", g.metric),
                &g.scope.to_string(),
                claims,
                t,
            );
        }
        parts_of_whole(&mut out, g, kinds, t);
    }
    by_metric(&mut out, &groups, exchanges, kinds, t);
    out.finish()
}

fn agreement(out: &mut Sink, metric: &str, subject: &str, claims: &[&ClaimEntry], t: Tolerance) {
    if claims.len() < 2 {
        return;
    }
    let ests: Vec<Estimate> = claims.iter().map(|c| slack(estimate_of(c), t)).collect();
    let clash = (0..claims.len())
        .flat_map(|i| (i + 1..claims.len()).map(move |j| (i, j)))
        .find(|&(i, j)| !ests[i].overlaps(&ests[j]));
    let subject = format!("{metric}, {subject}");
    match clash {
        None => {
            let keys: BTreeSet<String> = claims.iter().map(|c| independence_key(c)).collect();
            out.push(Finding {
                relation: "agreement",
                severity: Severity::Consistent,
                subject,
                arithmetic: format!(
                    "{} claims agree ({}); {} independent source(s)",
                    claims.len(),
                    claims
                        .iter()
                        .map(|c| c.claim.quantity.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    keys.len()
                ),
                claims: claims.iter().map(|c| cref(c)).collect(),
            });
        }
        Some((i, j)) => out.push(Finding {
            relation: "disagreement",
            severity: Severity::Inconsistent,
            subject,
            arithmetic: format!(
                "{} and {} cannot both hold{}",
                claims[i].claim.quantity,
                claims[j].claim.quantity,
                if ests[i].approx || ests[j].approx {
                    format!(" (approximations read as ±{}%)", t.approx_percent)
                } else {
                    String::new()
                }
            ),
            claims: claims.iter().map(|c| cref(c)).collect(),
        }),
    }
}

fn parts_of_whole(out: &mut Sink, g: &Grp, kinds: &Kinds, t: Tolerance) {
    let Some((whole_c, whole)) = resolved(&g.whole, kinds) else {
        return;
    };
    let whole = slack(whole, t);
    // Parts along one dimension (e.g. unit=*) are disjoint and add up to at most the whole.
    let mut by_dim: BTreeMap<String, Vec<(&str, &ClaimEntry, Estimate)>> = BTreeMap::new();
    for (b, claims) in &g.parts {
        let Some((c, e)) = resolved(claims, kinds) else {
            continue;
        };
        let dims: Vec<&str> = b
            .split(',')
            .map(|kv| kv.split('=').next().unwrap_or(""))
            .collect();
        let dim = dims.join(",");
        by_dim.entry(dim).or_default().push((b.as_str(), c, e));
    }
    for (dim, parts) in by_dim {
        let sum = parts
            .iter()
            .map(|p| p.2)
            .reduce(Estimate::plus)
            .expect("non-empty");
        let sum_low = sum.low.unwrap_or(sum.best);
        let over = whole.high.is_some_and(|h| sum_low > h);
        let names: Vec<String> = parts
            .iter()
            .map(|(b, c, _)| format!("{b}: {}", c.claim.quantity))
            .collect();
        let exact_fit = sum.kind() == "exact" && whole.kind() == "exact" && sum.best == whole.best;
        let mut claims = vec![cref(whole_c)];
        claims.extend(parts.iter().map(|p| cref(p.1)));
        out.push(Finding {
            relation: "parts_of_whole",
            severity: if over {
                Severity::Inconsistent
            } else {
                Severity::Consistent
            },
            subject: format!("{}, {} (by {dim})", g.metric, g.scope),
            arithmetic: format!(
                "{} = {} {} whole {}{}",
                names.join(" + "),
                est_text(&sum),
                if over {
                    ">"
                } else if exact_fit {
                    "="
                } else {
                    "<="
                },
                est_text(&whole),
                if !over && !exact_fit && sum.kind() == "exact" && whole.kind() == "exact" {
                    format!(" ({} not broken down)", whole.best - sum.best)
                } else {
                    String::new()
                }
            ),
            claims,
        });
    }
}

fn within(since: FuzzyDate, as_of: FuzzyDate, date: FuzzyDate) -> bool {
    match (since.bounds(), as_of.bounds(), date.bounds()) {
        (Some((s, _)), Some((_, a)), Some((d0, d1))) => s <= d0 && d1 <= a,
        _ => false,
    }
}

fn by_metric(
    out: &mut Sink,
    groups: &BTreeMap<(String, String), Grp>,
    exchanges: &ExchangeCounts,
    kinds: &Kinds,
    t: Tolerance,
) {
    let mut metrics: BTreeMap<&str, Vec<&Grp>> = BTreeMap::new();
    for g in groups.values() {
        metrics.entry(g.metric.as_str()).or_default().push(g);
    }
    for (metric, gs) in &metrics {
        let resolved_groups: Vec<(&Grp, &ClaimEntry, Estimate)> = gs
            .iter()
            .filter_map(|g| resolved(&g.whole, kinds).map(|(c, e)| (*g, c, e)))
            .collect();
        let events: Vec<&(&Grp, &ClaimEntry, Estimate)> = resolved_groups
            .iter()
            .filter(|(g, _, _)| matches!(g.scope, Scope::Event { .. }))
            .collect();
        let periods: Vec<&(&Grp, &ClaimEntry, Estimate)> = resolved_groups
            .iter()
            .filter(|(g, _, _)| matches!(g.scope, Scope::Period { .. }))
            .collect();
        // Stated period totals against the events on record inside them.
        for (pg, pc, pe) in &periods {
            let Scope::Period { from, to } = pg.scope else {
                continue;
            };
            let p = crate::model::Period {
                from: *from,
                to: *to,
            };
            let inside: Vec<_> = events
                .iter()
                .filter(|(g, _, _)| matches!(g.scope, Scope::Event { date, .. } if p.surely_contains(*date)))
                .collect();
            if inside.is_empty() {
                continue;
            }
            let sum = inside
                .iter()
                .map(|x| x.2)
                .reduce(Estimate::plus)
                .expect("non-empty");
            let stated = slack(*pe, t);
            let over = stated.high.is_some_and(|h| sum.low.unwrap_or(sum.best) > h);
            let mut claims = vec![cref(pc)];
            claims.extend(inside.iter().map(|x| cref(x.1)));
            out.push(Finding {
                relation: "stated_vs_summed",
                severity: if over {
                    Severity::Inconsistent
                } else {
                    Severity::Consistent
                },
                subject: format!("{metric}, {p}"),
                arithmetic: format!(
                    "{} event(s) on record sum to {} {} stated {}",
                    inside.len(),
                    sum,
                    if over { ">" } else { "<=" },
                    pe
                ),
                claims,
            });
            if *metric != EXCHANGES {
                if let Some(ex) = exchanges.get(&pg.key) {
                    let too_many = ex.1.kind() == "exact"
                        && i64::try_from(inside.len()).unwrap_or(i64::MAX) > ex.1.best;
                    out.push(Finding {
                        relation: "coverage",
                        severity: if too_many {
                            Severity::Inconsistent
                        } else {
                            Severity::Info
                        },
                        subject: format!("{metric}, {p}"),
                        arithmetic: format!(
                            "{} of {} exchange(s) in the period are on record",
                            inside.len(),
                            ex.1
                        ),
                        claims: vec![cref(&ex.0)],
                    });
                }
            }
        }
        // Period figures: stated ones, and those a change implies
        // ("356 more than 2023" and 1,358 for 2024 give 1,002 for 2023).
        let mut period_figs: Vec<(crate::model::Period, Estimate, String, Vec<&ClaimEntry>)> =
            Vec::new();
        for (pg, pc, pe) in &periods {
            if let Scope::Period { from, to } = pg.scope {
                let p = crate::model::Period {
                    from: *from,
                    to: *to,
                };
                period_figs.push((p, *pe, format!("{p}: {pe}"), vec![*pc]));
            }
        }
        for (g, c, delta) in resolved_groups
            .iter()
            .filter(|(g, _, _)| matches!(g.scope, Scope::Change { .. }))
        {
            let Scope::Change { period, baseline } = g.scope else {
                continue;
            };
            let stated = |p: &crate::model::Period| {
                period_figs
                    .iter()
                    .find(|f| f.0 == *p)
                    .map(|f| (f.1, f.3[0]))
            };
            match (stated(period), stated(baseline)) {
                (Some((pe, pc)), None) => {
                    let d = pe.minus(*delta);
                    period_figs.push((
                        *baseline,
                        d,
                        format!("{baseline}: {d} (= {pe} - {delta})"),
                        vec![pc, *c],
                    ));
                }
                (None, Some((be, bc))) => {
                    let d = be.plus(*delta);
                    period_figs.push((
                        *period,
                        d,
                        format!("{period}: {d} (= {be} + {delta})"),
                        vec![bc, *c],
                    ));
                }
                _ => {}
            }
        }
        // Running totals: never decreasing, and at least the disjoint parts inside them.
        let cumul: Vec<&(&Grp, &ClaimEntry, Estimate)> = resolved_groups
            .iter()
            .filter(|(g, _, _)| matches!(g.scope, Scope::Cumulative { .. }))
            .collect();
        for (cg, cc, ce) in &cumul {
            let Scope::Cumulative { since, as_of, .. } = cg.scope else {
                continue;
            };
            let ce = slack(*ce, t);
            let mut used: Vec<&(crate::model::Period, Estimate, String, Vec<&ClaimEntry>)> =
                Vec::new();
            let mut figs: Vec<&(crate::model::Period, Estimate, String, Vec<&ClaimEntry>)> =
                period_figs
                    .iter()
                    .filter(|f| {
                        within(*since, *as_of, FuzzyDate::Day(f.0.from))
                            && within(*since, *as_of, FuzzyDate::Day(f.0.to))
                    })
                    .collect();
            figs.sort_by_key(|f| (f.0.from, f.0.to));
            for f in figs {
                if used.iter().all(|u| u.0.to < f.0.from || f.0.to < u.0.from) {
                    used.push(f);
                }
            }
            let covered = |d: FuzzyDate| used.iter().any(|u| u.0.surely_contains(d));
            let evs: Vec<&&(&Grp, &ClaimEntry, Estimate)> = events
                .iter()
                .filter(|(g, _, _)| matches!(g.scope, Scope::Event { date, .. } if within(*since, *as_of, *date) && !covered(*date)))
                .collect();
            if !used.is_empty() || !evs.is_empty() {
                let sum = used
                    .iter()
                    .map(|f| f.1)
                    .chain(evs.iter().map(|x| x.2))
                    .reduce(Estimate::plus)
                    .expect("non-empty");
                let over = ce.high.is_some_and(|h| sum.low.unwrap_or(sum.best) > h);
                let mut claims = vec![cref(cc)];
                let mut seen = BTreeSet::new();
                for c in used
                    .iter()
                    .flat_map(|f| f.3.iter())
                    .chain(evs.iter().map(|x| &x.1))
                {
                    if seen.insert(c.id) {
                        claims.push(cref(c));
                    }
                }
                let mut terms: Vec<String> = used.iter().map(|f| f.2.clone()).collect();
                terms.extend(evs.iter().map(|x| format!("{}: {}", x.0.scope, x.2)));
                out.push(Finding {
                    relation: "cumulative_vs_parts",
                    severity: if over {
                        Severity::Inconsistent
                    } else {
                        Severity::Consistent
                    },
                    subject: format!("{metric}, {}", cg.scope),
                    arithmetic: format!(
                        "{} = {} {} running total {}",
                        terms.join(" + "),
                        sum,
                        if over { ">" } else { "<=" },
                        cc.claim.quantity
                    ),
                    claims,
                });
            }
            for (og, oc, oe) in &cumul {
                let Scope::Cumulative {
                    since: s2,
                    as_of: a2,
                    ..
                } = og.scope
                else {
                    continue;
                };
                let later = match (as_of.bounds(), a2.bounds()) {
                    (Some((_, a)), Some((b, _))) => b > a,
                    _ => false,
                };
                if s2 != since || !later {
                    continue;
                }
                let oe = slack(*oe, t);
                let decreased = oe.high.zip(ce.low).is_some_and(|(h, l)| h < l);
                if decreased {
                    out.push(Finding {
                        relation: "cumulative_decrease",
                        severity: Severity::Inconsistent,
                        subject: format!("{metric}, running total since {since}"),
                        arithmetic: format!(
                            "{} as of {as_of} but {} as of the later {a2}: a running total cannot fall",
                            cc.claim.quantity, oc.claim.quantity
                        ),
                        claims: vec![cref(cc), cref(oc)],
                    });
                }
            }
        }
        // Changes against both stated periods.
        for (g, c, delta) in resolved_groups
            .iter()
            .filter(|(g, _, _)| matches!(g.scope, Scope::Change { .. }))
        {
            let Scope::Change { period, baseline } = g.scope else {
                continue;
            };
            let find = |p: &crate::model::Period| {
                groups
                    .get(&(metric.to_string(), format!("period:{}..{}", p.from, p.to)))
                    .and_then(|g| resolved(&g.whole, kinds))
            };
            if let (Some((pc, pe)), Some((bc, be))) = (find(period), find(baseline)) {
                let implied = slack(pe, t).minus(slack(be, t));
                let ok = implied.overlaps(&slack(*delta, t));
                out.push(Finding {
                    relation: "change_vs_stated",
                    severity: if ok {
                        Severity::Consistent
                    } else {
                        Severity::Inconsistent
                    },
                    subject: format!("{metric}, {period} vs {baseline}"),
                    arithmetic: format!(
                        "{pe} - {be} = {implied} {} stated change {delta}",
                        if ok { "matches" } else { "contradicts" }
                    ),
                    claims: vec![cref(c), cref(pc), cref(bc)],
                });
            }
        }
        // The same figure for events whose dates may coincide: possibly one occasion twice.
        for (i, (g1, c1, e1)) in events.iter().enumerate() {
            for (g2, c2, e2) in events.iter().skip(i + 1) {
                let (Scope::Event { date: d1, .. }, Scope::Event { date: d2, .. }) =
                    (g1.scope, g2.scope)
                else {
                    continue;
                };
                let compatible = match (d1.bounds(), d2.bounds()) {
                    (Some((a0, a1)), Some((b0, b1))) => a0 <= b1 && b0 <= a1,
                    _ => true,
                };
                if compatible && e1.kind() == "exact" && e1 == e2 && g1.key != g2.key {
                    out.push(Finding {
                        relation: "possible_same_event",
                        severity: Severity::Info,
                        subject: format!("{metric}, {} / {}", g1.scope, g2.scope),
                        arithmetic: format!("both state {e1} and their dates are compatible: possibly one exchange recorded twice (not merged)"),
                        claims: vec![cref(c1), cref(c2)],
                    });
                }
            }
        }
    }
}
