//! Interval arithmetic on stated figures, so a bound kind survives sums and
//! differences: a sum that includes an "at least" is an "at least", and an
//! approximation is never exact.

use crate::model::Quantity;
use serde::Serialize;

/// A figure as an interval around a best value. `None` is an open side.
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
pub struct Estimate {
    pub best: i64,
    pub low: Option<i64>,
    pub high: Option<i64>,
    /// Some part rests on an approximation ("around 8,000").
    pub approx: bool,
}

impl Estimate {
    pub fn exact(n: i64) -> Self {
        Estimate {
            best: n,
            low: Some(n),
            high: Some(n),
            approx: false,
        }
    }

    /// `signed` is false for counts, whose floor is 0 ("at most 5" is 0..=5),
    /// and true for changes, which have no floor.
    pub fn from_quantity(q: Quantity, signed: bool) -> Self {
        match q {
            Quantity::Exact(n) => Self::exact(n),
            Quantity::AtLeast(n) => Estimate {
                best: n,
                low: Some(n),
                high: None,
                approx: false,
            },
            Quantity::AtMost(n) => Estimate {
                best: n,
                low: if signed { None } else { Some(0) },
                high: Some(n),
                approx: false,
            },
            Quantity::Approx(n) => Estimate {
                best: n,
                low: Some(n),
                high: Some(n),
                approx: true,
            },
            Quantity::Range { low, high } => Estimate {
                best: q.best(),
                low: Some(low),
                high: Some(high),
                approx: false,
            },
        }
    }

    /// The bound kind: exact, at_least, at_most, range, approx or unbounded.
    pub fn kind(&self) -> &'static str {
        match (self.approx, self.low, self.high) {
            (true, _, _) => "approx",
            (false, Some(l), Some(h)) if l == h => "exact",
            (false, Some(0), Some(h)) if h == self.best => "at_most",
            (false, Some(_), None) => "at_least",
            (false, None, Some(_)) => "at_most",
            (false, Some(_), Some(_)) => "range",
            (false, None, None) => "unbounded",
        }
    }

    pub fn plus(self, o: Estimate) -> Estimate {
        Estimate {
            best: self.best.saturating_add(o.best),
            low: self.low.zip(o.low).map(|(a, b)| a.saturating_add(b)),
            high: self.high.zip(o.high).map(|(a, b)| a.saturating_add(b)),
            approx: self.approx || o.approx,
        }
    }

    pub fn minus(self, o: Estimate) -> Estimate {
        Estimate {
            best: self.best.saturating_sub(o.best),
            low: self.low.zip(o.high).map(|(a, b)| a.saturating_sub(b)),
            high: self.high.zip(o.low).map(|(a, b)| a.saturating_sub(b)),
            approx: self.approx || o.approx,
        }
    }

    /// Makes the upper side open: the figure may be larger (incomplete coverage).
    pub fn open_above(self) -> Estimate {
        Estimate { high: None, ..self }
    }

    /// Widens `low`/`high` to cover `o` as well (the spread among claims).
    pub fn widen(self, o: Estimate) -> Estimate {
        Estimate {
            best: self.best,
            low: self.low.zip(o.low).map(|(a, b)| a.min(b)),
            high: self.high.zip(o.high).map(|(a, b)| a.max(b)),
            approx: self.approx,
        }
    }

    /// Whether the two intervals share a value.
    pub fn overlaps(&self, o: &Estimate) -> bool {
        let lo = match (self.low, o.low) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let hi = match (self.high, o.high) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match (lo, hi) {
            (Some(l), Some(h)) => l <= h,
            _ => true,
        }
    }
}

impl std::fmt::Display for Estimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind() {
            "exact" => write!(f, "{}", self.best),
            "at_least" => write!(f, "at least {}", self.low.unwrap_or(self.best)),
            "at_most" => write!(f, "at most {}", self.high.unwrap_or(self.best)),
            "approx" => write!(f, "about {}", self.best),
            "range" => write!(
                f,
                "{} (range {}..{})",
                self.best,
                self.low.unwrap_or(self.best),
                self.high.unwrap_or(self.best)
            ),
            _ => write!(f, "{} (bounds unknown)", self.best),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_kinds_propagate() {
        let ex = Estimate::exact(10);
        let al = Estimate::from_quantity(Quantity::AtLeast(5), false);
        let am = Estimate::from_quantity(Quantity::AtMost(3), false);
        let ap = Estimate::from_quantity(Quantity::Approx(100), false);
        assert_eq!(ex.plus(ex).kind(), "exact");
        assert_eq!(ex.plus(al).kind(), "at_least");
        assert_eq!(ex.minus(al).kind(), "at_most");
        assert_eq!(am.kind(), "at_most");
        assert_eq!(ex.minus(am).kind(), "range");
        assert_eq!(ex.plus(ap).kind(), "approx");
        assert_eq!(al.plus(am).kind(), "at_least");
        let signed_am = Estimate::from_quantity(Quantity::AtMost(3), true);
        assert_eq!(al.plus(signed_am).kind(), "unbounded");
        assert_eq!(ex.minus(al).high, Some(5));
    }
}
