//! What a figure is about in time: one occasion, a period, a running total,
//! or the difference between two periods.

use super::date::{Day, FuzzyDate};
use super::text::Name;
use bincode::{Decode, Encode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An inclusive span of whole days. `Claim::new` checks `from <= to`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Encode, Decode, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub from: Day,
    pub to: Day,
}

impl Period {
    pub fn contains(&self, d: Day) -> bool {
        self.from <= d && d <= self.to
    }
    /// True when every day the fuzzy date could be falls inside this period.
    pub fn surely_contains(&self, d: FuzzyDate) -> bool {
        d.bounds()
            .is_some_and(|(a, b)| self.from <= a && b <= self.to)
    }
    /// Parses `YYYY`, `YYYY-MM` (a whole year or month) or `D..D` (inclusive days).
    pub fn parse(s: &str) -> Result<Period, crate::model::ModelError> {
        use crate::model::ModelError;
        let p = if let Some((a, b)) = s.split_once("..") {
            Period {
                from: a.parse()?,
                to: b.parse()?,
            }
        } else {
            let (from, to) = FuzzyDate::parse(s)?.bounds().ok_or_else(|| {
                ModelError::Invalid(
                    "a period needs dates (YYYY, YYYY-MM or D..D), not \"unknown\"".into(),
                )
            })?;
            Period { from, to }
        };
        if p.from > p.to {
            return Err(ModelError::Invalid(format!(
                "period starts ({}) after it ends ({})",
                p.from, p.to
            )));
        }
        Ok(p)
    }

    pub fn year(y: i32) -> Option<Period> {
        Some(Period {
            from: Day::from_ymd(y, 1, 1).ok()?,
            to: Day::from_ymd(y, 12, 31).ok()?,
        })
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.from.month() == 1
            && self.from.day() == 1
            && self.to.month() == 12
            && self.to.day() == 31
            && self.from.year() == self.to.year()
        {
            write!(f, "{}", self.from.year())
        } else {
            write!(f, "{}..{}", self.from, self.to)
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Scope {
    /// One occasion, such as one exchange.
    Event {
        date: FuzzyDate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<Name>,
    },
    /// Everything within an inclusive period ("in 2024").
    Period { from: Day, to: Day },
    /// A running total from `since` up to `as_of` ("3,956 since the full-scale invasion").
    Cumulative {
        since: FuzzyDate,
        as_of: FuzzyDate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<Name>,
    },
    /// A signed difference: the figure for `period` minus the figure for `baseline`.
    Change { period: Period, baseline: Period },
}

impl Scope {
    pub fn kind(&self) -> &'static str {
        match self {
            Scope::Event { .. } => "event",
            Scope::Period { .. } => "period",
            Scope::Cumulative { .. } => "cumulative",
            Scope::Change { .. } => "change",
        }
    }

    /// The calendar years this scope lies wholly within: the years a
    /// snapshot's standard totals cover (a change scope names two).
    pub fn years(&self) -> impl Iterator<Item = i32> {
        let one = |b: Option<(Day, Day)>| {
            b.filter(|(a, b)| a.year() == b.year())
                .map(|(a, _)| a.year())
        };
        let (x, y) = match self {
            Scope::Event { date, .. } => (one(date.bounds()), None),
            Scope::Period { from, to } => (one(Some((*from, *to))), None),
            Scope::Cumulative { as_of, .. } => (one(as_of.bounds()), None),
            Scope::Change { period, baseline } => (
                one(Some((period.from, period.to))),
                one(Some((baseline.from, baseline.to))),
            ),
        };
        x.into_iter().chain(y)
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Event { date, label } => {
                write!(f, "event on {date}")?;
                if let Some(l) = label {
                    write!(f, " ({l})")?;
                }
                Ok(())
            }
            Scope::Period { from, to } => write!(
                f,
                "period {}",
                Period {
                    from: *from,
                    to: *to
                }
            ),
            Scope::Cumulative {
                since,
                as_of,
                label,
            } => {
                write!(f, "cumulative since {since} as of {as_of}")?;
                if let Some(l) = label {
                    write!(f, " ({l})")?;
                }
                Ok(())
            }
            Scope::Change { period, baseline } => write!(f, "change {period} vs {baseline}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> FuzzyDate {
        FuzzyDate::parse(s).unwrap()
    }
    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }
    fn years(s: &Scope) -> Vec<i32> {
        s.years().collect()
    }

    /// The rule a snapshot's list of standard totals was made with (it
    /// lived in export/standard.rs before the `y/` projection): a scope
    /// names a year only if it lies wholly within it.
    #[test]
    fn scope_years_are_the_years_a_scope_lies_wholly_within() {
        let event = |date| Scope::Event {
            date: d(date),
            label: None,
        };
        assert_eq!(years(&event("2024-03-01")), [2024]);
        assert_eq!(years(&event("1969-12")), [1969]);
        assert_eq!(years(&event("2023")), [2023]);
        assert_eq!(years(&event("unknown")), Vec::<i32>::new());
        let period = |r: &str| {
            let q = p(r);
            Scope::Period {
                from: q.from,
                to: q.to,
            }
        };
        assert_eq!(years(&period("2024")), [2024]);
        assert_eq!(years(&period("2023-12-01..2024-01-31")), Vec::<i32>::new());
        let running = |as_of| Scope::Cumulative {
            since: d("2022-02-24"),
            as_of: d(as_of),
            label: None,
        };
        assert_eq!(years(&running("2024-12")), [2024]);
        assert_eq!(years(&running("unknown")), Vec::<i32>::new());
        let change = |a: &str, b: &str| Scope::Change {
            period: p(a),
            baseline: p(b),
        };
        assert_eq!(years(&change("2024", "2023")), [2024, 2023]);
        assert_eq!(years(&change("2023-07-01..2024-06-30", "2023")), [2023]);
    }
}
