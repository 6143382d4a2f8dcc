//! How a figure was stated: exactly, as a bound, approximately, or as a range.

use bincode::{Decode, Encode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A stated quantity. Counts are non-negative; only a change claim (a signed
/// difference between two periods) may hold a negative value. That rule needs
/// the scope, so `Claim::new` enforces it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Encode, Decode, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Quantity {
    /// "207 guys"
    Exact(i64),
    /// "over 7,000", "more than", "at least"
    AtLeast(i64),
    /// "up to", "no more than"
    AtMost(i64),
    /// "around 8,000", "about"
    Approx(i64),
    /// "between 40 and 50", inclusive
    Range { low: i64, high: i64 },
}

impl Quantity {
    /// The value a reader would quote: the stated number, or a range's midpoint
    /// (rounded towards negative infinity).
    pub fn best(self) -> i64 {
        match self {
            Quantity::Exact(n)
            | Quantity::AtLeast(n)
            | Quantity::AtMost(n)
            | Quantity::Approx(n) => n,
            Quantity::Range { low, high } => low + (high - low).div_euclid(2),
        }
    }

    pub fn values(self) -> Vec<i64> {
        match self {
            Quantity::Range { low, high } => vec![low, high],
            q => vec![q.best()],
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Quantity::Exact(_) => "exact",
            Quantity::AtLeast(_) => "at_least",
            Quantity::AtMost(_) => "at_most",
            Quantity::Approx(_) => "approx",
            Quantity::Range { .. } => "range",
        }
    }
}

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Quantity::Exact(n) => write!(f, "{n}"),
            Quantity::AtLeast(n) => write!(f, "at least {n}"),
            Quantity::AtMost(n) => write!(f, "at most {n}"),
            Quantity::Approx(n) => write!(f, "about {n}"),
            Quantity::Range { low, high } => write!(f, "{low}..{high}"),
        }
    }
}
