//! Choosing among claims about the same thing, and counting independent
//! sources. Pure functions over claim entries: no storage.

use super::estimate::Estimate;
use crate::model::{Scope, SourceKind};
use crate::project::ClaimEntry;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How one figure is chosen among competing claims (docs/TOTALS.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Official primary sources first, then outlets citing an official
    /// source, then the rest; within a rank the latest publication, then the
    /// latest recorded.
    #[default]
    OfficialFirst,
    /// The latest publication (unknown dates last), then the latest recorded.
    Latest,
    /// The lowest figure (as ACLED does), ties broken as official-first.
    Conservative,
    /// The figure backed by the most independent sources, ties as official-first.
    Corroborated,
}

impl Policy {
    pub fn name(self) -> &'static str {
        match self {
            Policy::OfficialFirst => "official-first",
            Policy::Latest => "latest",
            Policy::Conservative => "conservative",
            Policy::Corroborated => "corroborated",
        }
    }
}

impl std::str::FromStr for Policy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "official-first" | "default" => Ok(Policy::OfficialFirst),
            "latest" => Ok(Policy::Latest),
            "conservative" => Ok(Policy::Conservative),
            "corroborated" => Ok(Policy::Corroborated),
            _ => Err(format!(
                "unknown policy {s:?} (official-first, latest, conservative, corroborated)"
            )),
        }
    }
}

/// Source kinds by id, for ranking.
pub type Kinds = BTreeMap<String, SourceKind>;

/// Who a claim's number ultimately comes from: the cited source, else the
/// quoted speaker, else the outlet. Two outlets repeating the same official
/// figure share one key, so they count once.
pub fn independence_key(e: &ClaimEntry) -> String {
    if let Some(c) = &e.claim.cites {
        return format!("source:{c}");
    }
    if let Some(s) = &e.claim.speaker {
        return format!(
            "speaker:{}",
            s.as_str()
                .to_lowercase()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    format!("source:{}", e.claim.source)
}

fn official_rank(e: &ClaimEntry, kinds: &Kinds) -> u8 {
    let is_official = |id: &str| kinds.get(id) == Some(&SourceKind::Official);
    if is_official(e.claim.source.as_str()) {
        2
    } else if e
        .claim
        .cites
        .as_ref()
        .is_some_and(|c| is_official(c.as_str()))
    {
        1
    } else {
        0
    }
}

/// Sort key for "most recent publication": the latest possible day, unknown last.
fn published_key(e: &ClaimEntry) -> i32 {
    e.claim
        .published
        .bounds()
        .map(|(_, b)| b.epoch_days())
        .unwrap_or(i32::MIN)
}

pub fn signed(e: &ClaimEntry) -> bool {
    matches!(e.claim.scope, Scope::Change { .. })
}

pub fn estimate_of(e: &ClaimEntry) -> Estimate {
    Estimate::from_quantity(e.claim.quantity, signed(e))
}

/// Independent sources among `claims` whose interval holds `value`.
pub fn supporters(claims: &[&ClaimEntry], value: i64) -> usize {
    claims
        .iter()
        .filter(|e| {
            let est = estimate_of(e);
            est.low.is_none_or(|l| l <= value) && est.high.is_none_or(|h| h >= value)
        })
        .map(|e| independence_key(e))
        .collect::<BTreeSet<_>>()
        .len()
}

/// The chosen claim of a non-empty group of active claims.
pub fn choose<'a>(
    claims: &[&'a ClaimEntry],
    policy: Policy,
    kinds: &Kinds,
) -> Option<&'a ClaimEntry> {
    let official = |e: &ClaimEntry| (official_rank(e, kinds), published_key(e), e.seq);
    let latest = |e: &ClaimEntry| (published_key(e), e.seq);
    claims.iter().copied().max_by(|a, b| match policy {
        Policy::OfficialFirst => official(a).cmp(&official(b)),
        Policy::Latest => latest(a).cmp(&latest(b)),
        Policy::Conservative => estimate_of(b)
            .best
            .cmp(&estimate_of(a).best)
            .then_with(|| official(a).cmp(&official(b))),
        Policy::Corroborated => supporters(claims, estimate_of(a).best)
            .cmp(&supporters(claims, estimate_of(b).best))
            .then_with(|| official(a).cmp(&official(b))),
    })
}
