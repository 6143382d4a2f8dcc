//! What queries return: serializable, self-describing, with the provenance
//! of every claim (id, seq, source, quote) so a reader can check each step.

use super::estimate::Estimate;
use crate::event::Hash32;
use crate::model::{FuzzyDate, Quantity};
use serde::Serialize;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    schemars::JsonSchema,
    bincode::Encode,
    bincode::Decode,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The claim the policy chose for its group.
    Chosen,
    /// Active, and its figure admits the chosen value.
    Agrees,
    /// Active, and its figure contradicts the chosen value.
    Competing,
    /// Withdrawn; kept for the record, not counted.
    Retracted,
    /// Replaced by a correction; kept for the record, not counted.
    Corrected,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Chosen => "chosen",
            Role::Agrees => "agrees",
            Role::Competing => "competing",
            Role::Retracted => "retracted",
            Role::Corrected => "corrected",
        }
    }
}

// Also what the memo keeps of the claims explain lists (memo.rs), ready
// to serve: hence bincode.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, bincode::Encode, bincode::Decode)]
pub struct ClaimView {
    pub id: Hash32,
    pub seq: u64,
    pub role: Role,
    pub quantity: Quantity,
    pub estimate: Estimate,
    pub scope: String,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cites: Option<String>,
    pub published: FuzzyDate,
    pub quote: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// For retracted or corrected claims: which event ended them and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
}

/// A claim named, not shown: enough to find it (`claimlog show ID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Named {
    pub id: Hash32,
    pub seq: u64,
}

/// Claims of a group that `explain` counts instead of listing (it lists
/// the chosen claim only; `--all` lists every claim), and which of the
/// claims set the group's lowest and highest bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Omitted {
    pub agrees: usize,
    pub competing: usize,
    pub retracted: usize,
    pub corrected: usize,
    /// The first active claim, in listing order, whose low is the group's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low_set_by: Option<Named>,
    /// The first active claim, in listing order, whose high is the group's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high_set_by: Option<Named>,
}

impl Omitted {
    pub fn count(&mut self, role: Role) {
        match role {
            Role::Agrees => self.agrees += 1,
            Role::Competing => self.competing += 1,
            Role::Retracted => self.retracted += 1,
            Role::Corrected => self.corrected += 1,
            // The chosen claim is always listed.
            Role::Chosen => {}
        }
    }

    pub fn total(&self) -> usize {
        self.agrees + self.competing + self.retracted + self.corrected
    }
}

/// Claims about one and the same thing, and the figure chosen among them.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Group {
    pub key: String,
    pub label: String,
    pub estimate: Option<Estimate>,
    pub chosen: Option<Hash32>,
    pub independent_sources: usize,
    pub claims: Vec<ClaimView>,
    /// Present when `claims` lists only part of the group (explain without
    /// `--all`): how many of each role it leaves out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub omitted: Option<Omitted>,
}

/// One way of arriving at a total.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Route {
    /// stated, summed, cumulative, change or latest_cumulative.
    pub name: &'static str,
    pub description: String,
    pub estimate: Option<Estimate>,
    pub notes: Vec<String>,
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Answer {
    pub route: &'static str,
    pub kind: &'static str,
    pub estimate: Estimate,
    pub independent_sources: usize,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Total {
    pub metric: String,
    pub breakdown: String,
    pub period: Option<String>,
    pub policy: &'static str,
    pub filter: super::Filter,
    pub answer: Option<Answer>,
    pub routes: Vec<Route>,
}
