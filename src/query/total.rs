//! Totals by every route the ledger allows (docs/TOTALS.md):
//! - stated: claims about exactly the period asked;
//! - summed: one resolved figure per event inside the period, added up;
//! - cumulative: the difference of running totals at the period's bounds;
//! - change: "356 more than in 2023" plus a stated figure for the other period.
//!
//! The answer is the first route that gives a figure, in that order
//! (stated, cumulative, change, summed); every route is shown.

use super::estimate::Estimate;
use super::memo;
use super::resolve::{choose, estimate_of, supporters, Kinds, Policy};
use super::view::{Answer, ClaimView, Group, Named, Omitted, Role, Route, Total};
use crate::model::{Breakdown, Day, Period, Scope, Slug};
use crate::project::{Cache, ClaimEntry, ClaimStatus, ProjectError};
use serde::Serialize;
use std::collections::BTreeMap;

/// What the ledger knew (transaction time) and what had been published
/// (valid time) at some moment. Empty: everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Filter {
    /// Only events with seq <= this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of_seq: Option<u64>,
    /// Only events recorded strictly before this (ms since the epoch, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_before_ms: Option<i64>,
    /// Only claims surely published before this day (unknown dates excluded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_before: Option<Day>,
}

#[derive(Debug, Clone)]
pub struct Query {
    pub metric: Slug,
    pub breakdown: Breakdown,
    pub period: Option<Period>,
    pub policy: Policy,
    pub filter: Filter,
}

/// How much of each group a query returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Detail {
    /// Figures and chosen claim ids only (`total`, snapshots).
    Figures,
    /// The claims a group's figure rests on (`explain`): every claim of a
    /// group of at most `LIST_ALL_UP_TO`; of a larger group the chosen
    /// claim, the others counted by role, with the claims that set the
    /// group's lowest and highest bound named.
    Derivation,
    /// Every claim of every group (`explain --all`).
    Every,
}

/// Groups this small are listed whole by `explain` (one figure stated by
/// a few outlets); a larger group shows its chosen claim.
pub const LIST_ALL_UP_TO: usize = 3;

struct Ctx<'a> {
    cache: &'a Cache,
    kinds: &'a Kinds,
    q: &'a Query,
    detail: Detail,
}

/// Whether a query may use the memo of resolved days (memo.rs): not every
/// claim is wanted, and as the ledger stands now (of a period or of all
/// time). Such a query also reads an all-time total's running totals an
/// as-of date at a time (`latest_cumulative_streamed`).
fn uses_memo(q: &Query, detail: Detail) -> bool {
    detail != Detail::Every && q.filter == Filter::default()
}

/// The role of claim `e` in a group whose chosen claim is `chosen`.
fn role_of(e: &ClaimEntry, chosen: Option<&ClaimEntry>) -> Role {
    match &e.status {
        ClaimStatus::Retracted { .. } => Role::Retracted,
        ClaimStatus::Corrected { .. } => Role::Corrected,
        ClaimStatus::Active if chosen.is_some_and(|c| c.id == e.id) => Role::Chosen,
        ClaimStatus::Active => {
            let est = estimate_of(e);
            let best = chosen.map(|c| estimate_of(c).best).unwrap_or(est.best);
            let holds = est.low.is_none_or(|l| l <= best) && est.high.is_none_or(|h| h >= best);
            if holds {
                Role::Agrees
            } else {
                Role::Competing
            }
        }
    }
}

/// How claim `e` appears in a group, in `role`: its words read from the
/// log, where they are kept.
pub(crate) fn view_of(
    cache: &Cache,
    e: &ClaimEntry,
    role: Role,
) -> Result<ClaimView, ProjectError> {
    let whole = cache.full_claim(e)?;
    let ended = match &e.status {
        ClaimStatus::Retracted { seq, reason, .. } => {
            Some(format!("retracted at seq {seq}: {reason}"))
        }
        ClaimStatus::Corrected {
            seq, by, reason, ..
        } => Some(format!(
            "corrected at seq {seq} by claim {}: {reason}",
            by.short()
        )),
        ClaimStatus::Active => None,
    };
    Ok(ClaimView {
        id: e.id,
        seq: e.seq,
        role,
        quantity: e.claim.quantity,
        estimate: estimate_of(e),
        scope: e.claim.scope.to_string(),
        source: e.claim.source.to_string(),
        speaker: e.claim.speaker.as_ref().map(|s| s.to_string()),
        cites: e.claim.cites.as_ref().map(|s| s.to_string()),
        published: e.claim.published,
        quote: whole.quote.to_string(),
        note: whole.note.as_ref().map(|s| s.to_string()),
        url: whole.url.as_ref().map(|s| s.to_string()),
        ended,
    })
}

/// Which of a group's claims, in listing order (role, then seq), explain
/// lists, and what it says of the others (`Detail::Derivation`).
fn derivation(
    ranked: &[(Role, &ClaimEntry)],
    estimate: Option<Estimate>,
) -> (Vec<usize>, Option<Omitted>) {
    if ranked.len() <= LIST_ALL_UP_TO {
        return ((0..ranked.len()).collect(), None);
    }
    let keep: Vec<usize> = ranked
        .iter()
        .position(|(r, _)| *r == Role::Chosen)
        .into_iter()
        .collect();
    let mut omitted = Omitted::default();
    for (i, (r, _)) in ranked.iter().enumerate() {
        if !keep.contains(&i) {
            omitted.count(*r);
        }
    }
    if let Some(est) = estimate {
        let active = |r: Role| matches!(r, Role::Chosen | Role::Agrees | Role::Competing);
        let first = |side: &dyn Fn(Estimate) -> Option<i64>, bound: Option<i64>| {
            ranked
                .iter()
                .find(|(r, e)| active(*r) && side(estimate_of(e)) == bound)
                .map(|(_, e)| Named {
                    id: e.id,
                    seq: e.seq,
                })
        };
        omitted.low_set_by = first(&|e| e.low, est.low);
        omitted.high_set_by = first(&|e| e.high, est.high);
    }
    (keep, Some(omitted))
}

impl Ctx<'_> {
    /// Whether the filter's moment knew event `seq`, recorded at
    /// `recorded_at_ms`.
    fn knew(&self, seq: u64, recorded_at_ms: i64) -> bool {
        let f = &self.q.filter;
        !(f.as_of_seq.is_some_and(|m| seq > m)
            || f.recorded_before_ms.is_some_and(|rb| recorded_at_ms >= rb))
    }

    /// The candidate claims for the query, read from the scope index: only
    /// the scopes a route can use (the period itself, dated events that may
    /// fall in it, running totals, changes, and the periods those changes
    /// refer to), never the whole metric. Where the memo serves (`uses_memo`),
    /// events on known days are left to `days_resolved`, and an all-time
    /// total's running totals to `latest_cumulative_streamed`.
    fn candidates(&self, metric: &str) -> Result<Vec<ClaimEntry>, ProjectError> {
        let raw = self.candidates_raw(metric)?;
        self.visible(raw)
    }

    /// `candidates` before the filter is applied: as the ledger stands now.
    fn candidates_raw(&self, metric: &str) -> Result<Vec<ClaimEntry>, ProjectError> {
        let bd = self.q.breakdown.to_string();
        let c = self.cache;
        let mut raw: Vec<ClaimEntry> = Vec::new();
        fn take(
            raw: &mut Vec<ClaimEntry>,
            it: &mut dyn Iterator<Item = Result<ClaimEntry, ProjectError>>,
        ) -> Result<(), ProjectError> {
            for e in it {
                raw.push(e?);
            }
            Ok(())
        }
        match self.q.period {
            // The cumulative route uses running totals as of the period's
            // bounds (or the days either side), nothing else.
            Some(p) => {
                let days: std::collections::BTreeSet<Day> =
                    [shift(p.from, -1), Some(p.from), Some(p.to), shift(p.to, 1)]
                        .into_iter()
                        .flatten()
                        .collect();
                for d in days {
                    take(&mut raw, &mut c.cumulative_as_of(metric, &bd, d))?;
                }
            }
            // All time: running totals are read by `latest_cumulative`
            // itself, an as-of day at a time, when the memo serves the
            // events (no filter).
            None if uses_memo(self.q, self.detail) => {}
            None => take(&mut raw, &mut c.claims_by_scope_kind(metric, &bd, b'c'))?,
        }
        take(&mut raw, &mut c.claims_by_scope_kind(metric, &bd, b'x'))?;
        take(&mut raw, &mut c.claims_by_scope_kind(metric, &bd, b'u'))?;
        match self.q.period {
            Some(p) => {
                take(
                    &mut raw,
                    &mut c.claims_for_period(
                        metric,
                        &bd,
                        &Scope::Period {
                            from: p.from,
                            to: p.to,
                        },
                    ),
                )?;
                let mut others: Vec<Period> = Vec::new();
                for e in &raw {
                    if let Scope::Change { period, baseline } = e.claim.scope {
                        for o in [period, baseline] {
                            if o != p && !others.contains(&o) {
                                others.push(o);
                            }
                        }
                    }
                }
                for o in others {
                    take(
                        &mut raw,
                        &mut c.claims_for_period(
                            metric,
                            &bd,
                            &Scope::Period {
                                from: o.from,
                                to: o.to,
                            },
                        ),
                    )?;
                }
                if uses_memo(self.q, self.detail) {
                    // Events on known days come resolved, a day at a time.
                    take(
                        &mut raw,
                        &mut c.spans_overlapping(metric, &bd, p.from, p.to),
                    )?;
                } else {
                    take(
                        &mut raw,
                        &mut c.events_overlapping(metric, &bd, p.from, p.to),
                    )?;
                }
            }
            None => {
                // Events on known days come resolved, a day at a time: an
                // all-time total holds one group a day, not every claim.
                if !uses_memo(self.q, self.detail) {
                    take(&mut raw, &mut c.claims_by_scope_kind(metric, &bd, b'e'))?;
                }
                take(&mut raw, &mut c.claims_by_scope_kind(metric, &bd, b'f'))?;
            }
        }
        Ok(raw)
    }

    /// The claims as the filter saw them (a retraction after the filter's
    /// moment is undone; claims recorded after it are dropped).
    fn visible(&self, raw: Vec<ClaimEntry>) -> Result<Vec<ClaimEntry>, ProjectError> {
        let mut out = Vec::new();
        for mut e in raw {
            if e.claim.breakdown != self.q.breakdown || !self.knew(e.seq, e.recorded_at_ms) {
                continue;
            }
            if let Some(pb) = self.q.filter.published_before {
                match e.claim.published.bounds() {
                    Some((_, last)) if last < pb => {}
                    _ => continue,
                }
            }
            if let Some((s, at)) = e.status.ended() {
                if !self.knew(s, at) {
                    e.status = ClaimStatus::Active;
                }
            }
            out.push(e);
        }
        Ok(out)
    }

    fn group(
        &self,
        key: String,
        label: String,
        entries: Vec<ClaimEntry>,
    ) -> Result<Group, ProjectError> {
        let (mut g, listed) = self.resolve(key, label, &entries, self.detail);
        g.claims = listed
            .into_iter()
            .map(|(r, e)| view_of(self.cache, e, r))
            .collect::<Result<_, _>>()?;
        Ok(g)
    }

    /// A group's figure, chosen claim and sources, with the claims `detail`
    /// lists (in listing order) and the count of those it leaves out; the
    /// group's `claims` are left empty.
    fn resolve<'e>(
        &self,
        key: String,
        label: String,
        entries: &'e [ClaimEntry],
        detail: Detail,
    ) -> (Group, Vec<(Role, &'e ClaimEntry)>) {
        let active: Vec<&ClaimEntry> = entries.iter().filter(|e| e.status.is_active()).collect();
        let chosen = choose(&active, self.q.policy, self.kinds);
        let estimate = chosen.map(|c| {
            let mut est = estimate_of(c);
            for e in &active {
                est = est.widen(estimate_of(e));
            }
            est
        });
        let independent_sources = chosen
            .map(|c| supporters(&active, estimate_of(c).best))
            .unwrap_or(0);
        let (listed, omitted) = if detail == Detail::Figures {
            (Vec::new(), None)
        } else {
            let mut ranked: Vec<(Role, &ClaimEntry)> =
                entries.iter().map(|e| (role_of(e, chosen), e)).collect();
            ranked.sort_by_key(|(r, e)| (*r as u8, e.seq));
            let (keep, omitted) = match detail {
                Detail::Derivation => derivation(&ranked, estimate),
                _ => ((0..ranked.len()).collect(), None),
            };
            (keep.into_iter().map(|i| ranked[i]).collect(), omitted)
        };
        let g = Group {
            key,
            label,
            estimate,
            chosen: chosen.map(|c| c.id),
            independent_sources,
            claims: Vec::new(),
            omitted,
        };
        (g, listed)
    }

    fn stated(&self, claims: &[ClaimEntry], p: Period) -> Result<Route, ProjectError> {
        let entries: Vec<ClaimEntry> = claims
            .iter()
            .filter(|e| matches!(e.claim.scope, Scope::Period { from, to } if from == p.from && to == p.to))
            .cloned()
            .collect();
        let mut route = Route {
            name: "stated",
            description: format!("claims about exactly the period {p}"),
            estimate: None,
            notes: vec![],
            groups: vec![],
        };
        if !entries.is_empty() {
            let g = self.group(format!("period:{p}"), format!("period {p}"), entries)?;
            route.estimate = g.estimate;
            route.groups.push(g);
        }
        Ok(route)
    }

    fn summed(&self, claims: Vec<ClaimEntry>, p: Option<Period>) -> Result<Route, ProjectError> {
        let mut groups: BTreeMap<String, (String, Vec<ClaimEntry>)> = BTreeMap::new();
        let mut unplaced = 0usize;
        for e in claims {
            match place(&e, p) {
                Some(Place::Group(key, label)) => {
                    groups
                        .entry(key)
                        .or_insert_with(|| (label, Vec::new()))
                        .1
                        .push(e);
                }
                Some(Place::Outside { overlaps: true }) if e.status.is_active() => unplaced += 1,
                Some(Place::Outside { .. }) | None => {}
            }
        }
        let mut groups: Vec<Group> = groups
            .into_iter()
            .map(|(k, (label, entries))| self.group(k, label, entries))
            .collect::<Result<_, _>>()?;
        if uses_memo(self.q, self.detail) {
            groups.extend(self.days_resolved(p)?);
            groups.sort_by(|a, b| a.key.cmp(&b.key));
        }
        let exchanges = match (p, self.q.metric.as_str()) {
            (Some(p), m) if m != "exchanges" => {
                let ex = self.cache.claims_for_period(
                    "exchanges",
                    "",
                    &Scope::Period {
                        from: p.from,
                        to: p.to,
                    },
                );
                let ex =
                    self.visible_as(ex.collect::<Result<Vec<_>, _>>()?, Breakdown::default())?;
                self.stated(&ex, p)?.estimate
            }
            _ => None,
        };
        Ok(self.summed_route(groups, unplaced, p, exchanges))
    }

    /// The summed route from its groups (in key order), the count of active
    /// event claims too imprecise to place in `p`, and the period's count
    /// of exchanges, if the ledger states one.
    fn summed_route(
        &self,
        groups: Vec<Group>,
        unplaced: usize,
        p: Option<Period>,
        exchanges: Option<Estimate>,
    ) -> Route {
        let counted: Vec<&Group> = groups.iter().filter(|g| g.estimate.is_some()).collect();
        let mut est = counted
            .iter()
            .filter_map(|g| g.estimate)
            .reduce(Estimate::plus);
        let mut notes = vec![format!("{} event(s) on record", counted.len())];
        match exchanges {
            Some(x)
                if x.kind() == "exact" && usize::try_from(x.best).ok() == Some(counted.len()) =>
            {
                notes.push(format!(
                    "the ledger says there were {} exchange(s): coverage is complete",
                    x.best
                ));
            }
            Some(x) => {
                notes.push(format!(
                    "the ledger says there were {x} exchange(s); {} are on record, so the sum is a lower bound",
                    counted.len()
                ));
                est = est.map(Estimate::open_above);
            }
            None => {
                if est.is_some() {
                    notes.push("no count of exchanges for the period is on record: the sum is a lower bound".into());
                }
                est = est.map(Estimate::open_above);
            }
        }
        if unplaced > 0 {
            notes.push(format!(
                "{unplaced} active event claim(s) have dates too imprecise (or unknown) to place inside the period; not counted"
            ));
        }
        Route {
            name: "summed",
            description: match p {
                Some(p) => format!("one figure per event dated inside {p}, added up"),
                None => "one figure per event on record, added up".into(),
            },
            estimate: est,
            notes,
            groups,
        }
    }

    /// One group per day of `p` (of all time if none) with claims about
    /// events on exactly that day, as `summed` makes them, from the memo
    /// where it is current.
    fn days_resolved(&self, p: Option<Period>) -> Result<Vec<Group>, ProjectError> {
        let metric = self.q.metric.as_str();
        let bd = self.q.breakdown.to_string();
        let days = p.map(|p| (p.from, p.to));
        // total reads the figures' values; explain the ones that repeat
        // them with the claims it lists: one value a day either way, and
        // total never decodes claims. Both kinds are in day order, like
        // the day versions, so one scan serves the period.
        let listed = self.detail != Detail::Figures;
        let (from, to) = memo::range(metric, &bd, self.q.policy, days, listed);
        let mut memo = self.cache.memo_range(&from, &to).peekable();
        // The days first: the groups then go into a vector of the right
        // size (growing it by doubling moved each group about twice).
        let day_versions = self
            .cache
            .day_versions(metric, &bd, days)
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::with_capacity(day_versions.len());
        let mut wanted = memo::DayKeys::new(metric, &bd, self.q.policy, listed);
        for (day, version) in day_versions {
            let group_key = day_group_key(day);
            let want = wanted.key(day);
            let mut stored = None;
            while let Some(kv) = memo.next_if(|kv| kv.as_ref().map_or(true, |(k, _)| **k <= *want))
            {
                let (k, v) = kv?;
                if *k == *want {
                    stored = Some(v);
                }
            }
            if let Some(g) = stored.and_then(|v| self.memoised(&v, version, &group_key)) {
                out.push(g);
                continue;
            }
            let entries = self
                .cache
                .events_on(metric, &bd, day)
                .collect::<Result<Vec<_>, _>>()?;
            let Some(first) = entries.first() else {
                continue;
            };
            let label = match &first.claim.scope {
                Scope::Event { date, label } => event_text(*date, label.as_ref()),
                _ => continue,
            };
            let (mut g, listed) = self.resolve(group_key, label, &entries, Detail::Derivation);
            let key = memo::key(metric, &bd, self.q.policy, day);
            self.cache.memo_put(&key, &memo::encode(version, &g))?;
            if self.detail == Detail::Figures {
                // What explain lists is memoised when explain asks: its
                // claims' words are read from the log.
                g.omitted = None;
            } else {
                let views: Vec<ClaimView> = listed
                    .into_iter()
                    .map(|(r, e)| view_of(self.cache, e, r))
                    .collect::<Result<_, _>>()?;
                self.cache.memo_put(
                    &memo::listed_key(&key),
                    &memo::encode_listed(version, &g, &views),
                )?;
                g.claims = views;
            }
            out.push(g);
        }
        Ok(out)
    }

    /// The group a memo value holds, if it was resolved at `version`.
    fn memoised(&self, value: &[u8], version: u64, group_key: &str) -> Option<Group> {
        if self.detail == Detail::Figures {
            return memo::decode(value, version, group_key);
        }
        memo::decode_listed(value, version, group_key).map(|(mut g, listed)| {
            g.claims = listed;
            g
        })
    }

    /// `visible` for claims of another breakdown (the exchange count).
    fn visible_as(
        &self,
        raw: Vec<ClaimEntry>,
        breakdown: Breakdown,
    ) -> Result<Vec<ClaimEntry>, ProjectError> {
        let q = Query {
            breakdown,
            ..self.q.clone()
        };
        Ctx {
            cache: self.cache,
            kinds: self.kinds,
            q: &q,
            detail: self.detail,
        }
        .visible(raw)
    }

    /// Running-total groups, in key order, with their since and as-of dates.
    fn cumulative_groups(
        &self,
        claims: &[ClaimEntry],
    ) -> Result<Vec<(Group, crate::model::FuzzyDate, crate::model::FuzzyDate)>, ProjectError> {
        let mut groups: BTreeMap<
            String,
            (
                String,
                crate::model::FuzzyDate,
                crate::model::FuzzyDate,
                Vec<ClaimEntry>,
            ),
        > = BTreeMap::new();
        for e in claims {
            if let Some((key, since, as_of)) = cumulative_key(e) {
                groups
                    .entry(key)
                    .or_insert_with(|| (e.claim.scope.to_string(), since, as_of, Vec::new()))
                    .3
                    .push(e.clone());
            }
        }
        groups
            .into_iter()
            .map(|(k, (label, since, as_of, entries))| {
                Ok((self.group(k, label, entries)?, since, as_of))
            })
            .collect()
    }

    fn cumulative(&self, claims: &[ClaimEntry], p: Period) -> Result<Route, ProjectError> {
        let groups = self.cumulative_groups(claims)?;
        let day = |d: crate::model::FuzzyDate| match d {
            crate::model::FuzzyDate::Day(d) => Some(d),
            _ => None,
        };
        let next = |d: Day| {
            Day::from_ymd(d.year(), d.month(), d.day())
                .ok()
                .and_then(|d| shift(d, 1))
        };
        let mut route = Route {
            name: "cumulative",
            description: format!("running totals at the end of {p} minus at its start"),
            estimate: None,
            notes: vec![],
            groups: vec![],
        };
        // End: as of the period's last day, or the day after ("as of 1 January").
        let ends: Vec<&(Group, _, _)> = groups
            .iter()
            .filter(|(g, _, a)| {
                g.estimate.is_some() && day(*a).is_some_and(|a| a == p.to || Some(a) == next(p.to))
            })
            .collect();
        for (end, since, ..) in ends {
            let starts_inside = since.bounds().is_some_and(|(s, _)| s >= p.from);
            let start = groups.iter().find(|(g, s, a)| {
                g.estimate.is_some()
                    && s == since
                    && g.key.rsplit(':').next() == end.key.rsplit(':').next()
                    && day(*a).is_some_and(|a| Some(a) == shift(p.from, -1) || a == p.from)
            });
            let end_est = end.estimate.expect("filtered");
            if starts_inside {
                route.estimate = Some(end_est);
                route.notes.push(format!(
                    "the running total starts inside the period (since {since})"
                ));
                route.groups.push(end.clone());
                return Ok(route);
            }
            if let Some((sg, ..)) = start {
                route.estimate = Some(end_est.minus(sg.estimate.expect("filtered")));
                route.groups.push(sg.clone());
                route.groups.push(end.clone());
                return Ok(route);
            }
            route.notes.push(format!(
                "a running total since {since} as of the period's end is on record, but none as of its start"
            ));
        }
        Ok(route)
    }

    fn change(&self, claims: &[ClaimEntry], p: Period) -> Result<Route, ProjectError> {
        let mut route = Route {
            name: "change",
            description: format!("a stated difference between {p} and another period, plus that period's stated figure"),
            estimate: None,
            notes: vec![],
            groups: vec![],
        };
        let mut groups: BTreeMap<String, (Period, Period, Vec<ClaimEntry>)> = BTreeMap::new();
        for e in claims {
            if let Scope::Change { period, baseline } = &e.claim.scope {
                if *period == p || *baseline == p {
                    groups
                        .entry(format!("change:{period}:{baseline}"))
                        .or_insert_with(|| (*period, *baseline, Vec::new()))
                        .2
                        .push(e.clone());
                }
            }
        }
        for (key, (period, baseline, entries)) in groups {
            let g = self.group(key, format!("change {period} vs {baseline}"), entries)?;
            let Some(delta) = g.estimate else { continue };
            let other = if period == p { baseline } else { period };
            let stated = self.stated(claims, other)?;
            match stated.estimate {
                Some(o) => {
                    let est = if period == p {
                        o.plus(delta)
                    } else {
                        o.minus(delta)
                    };
                    route.notes.push(format!(
                        "{p} = {} {} {}",
                        o,
                        if period == p { "+" } else { "-" },
                        delta
                    ));
                    if route.estimate.is_none() {
                        route.estimate = Some(est);
                    }
                    route.groups.push(g);
                    route.groups.extend(stated.groups);
                }
                None => {
                    route.notes.push(format!(
                        "a change against {other} is on record, but no stated figure for {other}"
                    ));
                    route.groups.push(g);
                }
            }
        }
        Ok(route)
    }

    fn latest_cumulative(&self, claims: &[ClaimEntry]) -> Result<Route, ProjectError> {
        let groups = self.cumulative_groups(claims)?;
        let best = groups
            .into_iter()
            .filter(|(g, ..)| g.estimate.is_some())
            // Equal last possible days: the group whose key sorts last
            // (max_by_key keeps the last maximum). That is the rule the
            // brief totals in snapshots were made with; ranking by what a
            // group happens to list made explain disagree with them.
            .max_by_key(|(_, _, a)| a.bounds().map(|(_, b)| b));
        Ok(self.latest_route(best.map(|(g, ..)| g)))
    }

    /// `latest_cumulative` of every running total of the metric, read
    /// from the cache one as-of date at a time (the claims of a group
    /// share it, and the index orders them by it), keeping only the best
    /// group so far: an all-time total holds one date's claims, not all
    /// of them. The same rule: the latest last possible day, then the
    /// group key that sorts last. The latest are read first, and reading
    /// stops at the first date whose last possible day is earlier than
    /// the best group's: no group from there on can rank above it, so the
    /// total reads the running totals of its last days, not every one on
    /// record (at 1M claims, 25 000 a metric).
    fn latest_cumulative_streamed(&self) -> Result<Route, ProjectError> {
        type Rank = (Option<Day>, String);
        let mut best: Option<(Rank, Group)> = None;
        let mut run: Vec<ClaimEntry> = Vec::new();
        // A run of one as-of date comes backwards; a group takes its label
        // from its first claim in key order, so it is turned round.
        let consider = |best: &mut Option<(Rank, Group)>,
                        mut run: Vec<ClaimEntry>|
         -> Result<(), ProjectError> {
            run.reverse();
            for (g, _, as_of) in self.cumulative_groups(&self.visible(run)?)? {
                if g.estimate.is_none() {
                    continue;
                }
                let rank = (as_of.bounds().map(|(_, b)| b), g.key.clone());
                if best.as_ref().is_none_or(|(r, _)| rank > *r) {
                    *best = Some((rank, g));
                }
            }
            Ok(())
        };
        let as_of = |e: &ClaimEntry| match &e.claim.scope {
            Scope::Cumulative { as_of, .. } => as_of.bounds(),
            _ => None,
        };
        let bd = self.q.breakdown.to_string();
        for e in self
            .cache
            .running_totals_latest_first(self.q.metric.as_str(), &bd)
        {
            let e = e?;
            if run.first().is_some_and(|f| as_of(f) != as_of(&e)) {
                consider(&mut best, std::mem::take(&mut run))?;
                let last_day = as_of(&e).map(|(_, b)| b);
                if best.as_ref().is_some_and(|((b, _), _)| last_day < *b) {
                    break;
                }
            }
            run.push(e);
        }
        consider(&mut best, run)?;
        Ok(self.latest_route(best.map(|(_, g)| g)))
    }

    fn latest_route(&self, best: Option<Group>) -> Route {
        let mut route = Route {
            name: "latest_cumulative",
            description: "the running total with the latest as-of date (unknown dates rank last)"
                .into(),
            estimate: None,
            notes: vec![],
            groups: vec![],
        };
        if let Some(g) = best {
            route.estimate = g.estimate;
            route.groups.push(g);
        }
        route
    }
}

fn shift(d: Day, days: i64) -> Option<Day> {
    let j = i64::from(d.epoch_days()) + days;
    let date = time::Date::from_julian_day(i32::try_from(j + 2_440_588).ok()?).ok()?;
    Day::from_ymd(date.year(), u8::from(date.month()), date.day()).ok()
}

/// The total for `q`, by every route, with the answer chosen among them
/// and every claim behind each group (what `explain --all` shows).
pub fn total(cache: &Cache, q: &Query) -> Result<Total, ProjectError> {
    compute(cache, q, Detail::Every)
}

/// The same figures as `total`, each group listing the claims its figure
/// rests on (`Detail::Derivation`) and counting the rest: what `explain`
/// shows. Its size follows the groups, not the claims behind them.
pub fn explain(cache: &Cache, q: &Query) -> Result<Total, ProjectError> {
    compute(cache, q, Detail::Derivation)
}

/// The same figures as `total`, but groups do not list their claims: for
/// `claimlog total`, where only the figures are printed.
pub fn total_brief(cache: &Cache, q: &Query) -> Result<Total, ProjectError> {
    compute(cache, q, Detail::Figures)
}

fn kinds_of(cache: &Cache) -> Result<Kinds, ProjectError> {
    Ok(cache
        .sources()?
        .into_iter()
        .map(|s| (s.source.id.to_string(), s.source.kind))
        .collect())
}

fn compute(cache: &Cache, q: &Query, detail: Detail) -> Result<Total, ProjectError> {
    let ctx = Ctx {
        cache,
        kinds: &kinds_of(cache)?,
        q,
        detail,
    };
    let candidates = ctx.candidates(q.metric.as_str())?;
    ctx.finish(candidates)
}

/// Calls `each` with every seq at which the brief total of `q` may have
/// changed (a claim it can use, or a count of the period's exchanges, was
/// added or ended) and the brief total as the ledger stood after it, in
/// log order. The claims are read from the cache once, not once a step.
/// The summed route's groups are kept from step to step and only the
/// groups of the claims a step added or ended are resolved again, so a
/// step costs the number of groups, not of claims; the claims that are
/// not about events (stated, running totals, changes: few for a period)
/// are resolved at every step.
pub fn totals_over_log<E: From<ProjectError>>(
    cache: &Cache,
    q: &Query,
    mut each: impl FnMut(u64, Total) -> Result<(), E>,
) -> Result<(), E> {
    let kinds = kinds_of(cache)?;
    // Every claim a route can use, not the memoised days' figures.
    let ctx = Ctx {
        cache,
        kinds: &kinds,
        q,
        detail: Detail::Every,
    };
    let raw = ctx.candidates_raw(q.metric.as_str())?;
    let mut touched: Vec<&ClaimEntry> = raw.iter().collect();
    let exchanges = match q.period {
        Some(p) if q.metric.as_str() != "exchanges" => cache
            .claims_for_period(
                "exchanges",
                "",
                &Scope::Period {
                    from: p.from,
                    to: p.to,
                },
            )
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    touched.extend(exchanges.iter());
    // The seqs that add a claim or end one.
    let changed = |e: &ClaimEntry| std::iter::once(e.seq).chain(e.status.ended().map(|(s, _)| s));
    let mut seqs: Vec<u64> = touched
        .iter()
        .flat_map(|e| changed(e))
        .filter(|s| q.filter.as_of_seq.is_none_or(|m| *s <= m))
        .collect();
    seqs.sort_unstable();
    seqs.dedup();
    // Each event claim's place in the summed route, once; the groups a
    // step touches are those of the claims it adds or ends.
    let mut members: BTreeMap<String, Vec<&ClaimEntry>> = BTreeMap::new();
    let mut touched: BTreeMap<u64, std::collections::BTreeSet<&str>> = BTreeMap::new();
    let mut outside: Vec<&ClaimEntry> = Vec::new();
    let mut others: Vec<&ClaimEntry> = Vec::new();
    // All time: the one route besides summed is the latest running total,
    // kept the same way, group by group (keys "cumulative:..." never
    // collide with the events' "event:...").
    let all_time = q.period.is_none();
    for e in &raw {
        match place(e, q.period) {
            Some(Place::Group(key, _)) => members.entry(key).or_default().push(e),
            Some(Place::Outside { overlaps: true }) => outside.push(e),
            Some(Place::Outside { overlaps: false }) => {}
            None => match cumulative_key(e) {
                Some((key, ..)) if all_time => members.entry(key).or_default().push(e),
                _ => others.push(e),
            },
        }
    }
    // A group's label is its first visible claim's, as `summed` and
    // `cumulative_groups` take it (labels differ in case within a group).
    let label_of = |e: &ClaimEntry| match (cumulative_key(e), place(e, q.period)) {
        (Some(_), _) => e.claim.scope.to_string(),
        (None, Some(Place::Group(_, label))) => label,
        (None, _) => String::new(),
    };
    for (key, group) in &members {
        for e in group {
            for s in changed(e) {
                touched.entry(s).or_default().insert(key.as_str());
            }
        }
    }
    let exchange_refs: Vec<&ClaimEntry> = exchanges.iter().collect();
    let mut resolved: BTreeMap<&str, Group> = BTreeMap::new();
    // Running totals with a figure, by `latest_cumulative`'s rank: the
    // last is the route's group.
    type Rank<'k> = (Option<Day>, &'k str);
    let mut ranked: BTreeMap<Rank, Group> = BTreeMap::new();
    let mut rank_of: BTreeMap<&str, Rank> = BTreeMap::new();
    // Claims recorded after a step are invisible at it anyway.
    let known = |list: &[&ClaimEntry], seq: u64| -> Vec<ClaimEntry> {
        list.iter()
            .filter(|e| e.seq <= seq)
            .map(|e| (*e).clone())
            .collect()
    };
    for seq in seqs {
        let mut at = q.clone();
        at.filter.as_of_seq = Some(seq);
        let ctx = Ctx {
            cache,
            kinds: &kinds,
            q: &at,
            detail: Detail::Figures,
        };
        for key in touched.get(&seq).into_iter().flatten() {
            let group = &members[*key];
            let visible = ctx.visible(known(group, seq))?;
            let label = visible.first().map(label_of).unwrap_or_default();
            let as_of = group
                .first()
                .and_then(|e| cumulative_key(e))
                .map(|(_, _, a)| a);
            let Some(as_of) = as_of else {
                if visible.is_empty() {
                    resolved.remove(key);
                } else {
                    resolved.insert(key, ctx.group(key.to_string(), label, visible)?);
                }
                continue;
            };
            if let Some(r) = rank_of.remove(key) {
                ranked.remove(&r);
            }
            if visible.is_empty() {
                continue;
            }
            let g = ctx.group(key.to_string(), label, visible)?;
            if g.estimate.is_some() {
                let r = (as_of.bounds().map(|(_, b)| b), *key);
                rank_of.insert(key, r);
                ranked.insert(r, g);
            }
        }
        let unplaced = ctx
            .visible(known(&outside, seq))?
            .iter()
            .filter(|e| e.status.is_active())
            .count();
        let counted_exchanges = match at.period {
            Some(p) if q.metric.as_str() != "exchanges" => {
                let ex = ctx.visible_as(known(&exchange_refs, seq), Breakdown::default())?;
                ctx.stated(&ex, p)?.estimate
            }
            _ => None,
        };
        let summed = ctx.summed_route(
            resolved.values().cloned().collect(),
            unplaced,
            at.period,
            counted_exchanges,
        );
        let total = if all_time {
            let latest = ctx.latest_route(ranked.values().next_back().cloned());
            ctx.total_of(vec![latest, summed])
        } else {
            ctx.assemble(&ctx.visible(known(&others, seq))?, summed)?
        };
        each(seq, total)?;
    }
    Ok(())
}

impl Ctx<'_> {
    /// The total from the claims the filter lets the query see.
    fn finish(&self, candidates: Vec<ClaimEntry>) -> Result<Total, ProjectError> {
        let (events, claims): (Vec<ClaimEntry>, Vec<ClaimEntry>) = candidates
            .into_iter()
            .partition(|e| matches!(e.claim.scope, Scope::Event { .. }));
        let summed = self.summed(events, self.q.period)?;
        self.assemble(&claims, summed)
    }

    /// The total from the claims that are not about events and the summed
    /// route over those that are.
    fn assemble(&self, claims: &[ClaimEntry], summed: Route) -> Result<Total, ProjectError> {
        let (ctx, q) = (self, self.q);
        let routes = match q.period {
            Some(p) => vec![
                ctx.stated(claims, p)?,
                ctx.cumulative(claims, p)?,
                ctx.change(claims, p)?,
                summed,
            ],
            None if uses_memo(q, ctx.detail) => vec![ctx.latest_cumulative_streamed()?, summed],
            None => vec![ctx.latest_cumulative(claims)?, summed],
        };
        Ok(self.total_of(routes))
    }

    /// The total with these routes: the answer is the first route's with
    /// a figure.
    fn total_of(&self, routes: Vec<Route>) -> Total {
        let q = self.q;
        let answer = routes.iter().find_map(|r| {
            let est = r.estimate?;
            let independent_sources = match r.name {
                "stated" | "latest_cumulative" => {
                    r.groups.first().map(|g| g.independent_sources).unwrap_or(0)
                }
                _ => r
                    .groups
                    .iter()
                    .map(|g| g.independent_sources)
                    .min()
                    .unwrap_or(0),
            };
            Some(Answer {
                route: r.name,
                kind: est.kind(),
                estimate: est,
                independent_sources,
            })
        });
        Total {
            metric: q.metric.to_string(),
            breakdown: q.breakdown.to_string(),
            period: q.period.map(|p| p.to_string()),
            policy: q.policy.name(),
            filter: q.filter.clone(),
            answer,
            routes,
        }
    }
}

/// The group of the events on exactly day `d`.
fn day_group_key(d: Day) -> String {
    format!("event:{d}")
}

/// The running-total group of claim `e` (key, since, as of), if it is one.
fn cumulative_key(
    e: &ClaimEntry,
) -> Option<(String, crate::model::FuzzyDate, crate::model::FuzzyDate)> {
    let Scope::Cumulative {
        since,
        as_of,
        label,
    } = &e.claim.scope
    else {
        return None;
    };
    let label = label
        .as_ref()
        .map(|l| l.as_str().to_lowercase())
        .unwrap_or_default();
    Some((
        format!("cumulative:{since}:{as_of}:{label}"),
        *since,
        *as_of,
    ))
}

/// Where the summed route puts an event claim.
enum Place {
    /// In the group with this key and label.
    Group(String, String),
    /// Not counted: its date is not surely inside the period (`overlaps`:
    /// it may be, so it is reported as too imprecise to place).
    Outside { overlaps: bool },
}

/// Where the summed route for period `p` puts claim `e`; `None` if it is
/// not about an event.
fn place(e: &ClaimEntry, p: Option<Period>) -> Option<Place> {
    let Scope::Event { date, label } = &e.claim.scope else {
        return None;
    };
    if let Some(p) = p {
        if !p.surely_contains(*date) {
            let overlaps = date.bounds().is_none_or(|(a, b)| a <= p.to && b >= p.from);
            return Some(Place::Outside { overlaps });
        }
    }
    let norm = |l: &Option<crate::model::Name>| {
        l.as_ref()
            .map(|l| l.as_str().to_lowercase())
            .unwrap_or_default()
    };
    let key = match date {
        crate::model::FuzzyDate::Day(d) => day_group_key(*d),
        _ if label.is_some() => format!("event:{date}:{}", norm(label)),
        _ => format!("event:{date}:claim:{}", e.id.short()),
    };
    Some(Place::Group(key, event_text(*date, label.as_ref())))
}

fn event_text(date: crate::model::FuzzyDate, label: Option<&crate::model::Name>) -> String {
    match label {
        Some(l) => format!("event on {} ({l})", date_text(date)),
        None => format!("event on {}", date_text(date)),
    }
}

fn date_text(d: crate::model::FuzzyDate) -> String {
    match d {
        crate::model::FuzzyDate::Unknown => "an unknown date".into(),
        d => d.to_string(),
    }
}
