//! `check`'s findings in the order they are printed (most severe first,
//! then by relation and subject, ties in the order found), without holding
//! them all: past a segment of them they are sorted on disk (extsort, as
//! the bulk load's entries are). On the synthetic 1M-claim workload
//! `check` finds about 100k findings naming 1.5M claims, 270 MB of text;
//! a ledger of real reporting finds a few, which never leave memory.

use super::check::{ClaimRef, Finding, Severity};
use crate::project::ProjectError;
use extsort::{ExternalSorter, PushExternalSorter, Sortable};
use serde::Deserialize;
use std::cmp::Ordering;
use std::io::{Read, Write};

/// Every relation `check` tests, by the name findings give it.
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

/// Findings held in memory before a sorted segment goes to disk. Small in
/// debug builds, so that tests on a few claims go through the disk.
const SEGMENT: usize = if cfg!(debug_assertions) { 3 } else { 2048 };

/// A finding and the order it was found in; or none, for the end.
struct Found {
    n: u64,
    finding: Option<Finding>,
}

/// How a sorted segment holds a finding: its number, then its JSON.
impl Sortable for Found {
    fn encode<W: Write>(&self, w: &mut W) -> std::io::Result<()> {
        let Some(finding) = &self.finding else {
            return w.write_all(&self.n.to_le_bytes());
        };
        let json = serde_json::to_vec(finding).map_err(std::io::Error::other)?;
        let len = u32::try_from(json.len()).map_err(std::io::Error::other)?;
        w.write_all(&self.n.to_le_bytes())?;
        w.write_all(&len.to_le_bytes())?;
        w.write_all(&json)
    }

    fn decode<R: Read>(r: &mut R) -> std::io::Result<Self> {
        let mut n = [0u8; 8];
        r.read_exact(&mut n)?;
        let n = u64::from_le_bytes(n);
        if n == END {
            return Ok(Found { n, finding: None });
        }
        let mut len = [0u8; 4];
        r.read_exact(&mut len)?;
        let mut json = vec![0u8; u32::from_le_bytes(len) as usize];
        r.read_exact(&mut json)?;
        let s: Spilled = serde_json::from_slice(&json).map_err(std::io::Error::other)?;
        let relation = RELATIONS
            .iter()
            .find(|r| **r == s.relation)
            .ok_or_else(|| std::io::Error::other(format!("unknown relation {:?}", s.relation)))?;
        Ok(Found {
            n,
            finding: Some(Finding {
                relation,
                severity: s.severity,
                subject: s.subject,
                arithmetic: s.arithmetic,
                claims: s.claims,
            }),
        })
    }
}

/// A finding as read back from its segment; `relation` must name one of
/// RELATIONS.
#[derive(Deserialize)]
struct Spilled {
    relation: String,
    severity: Severity,
    subject: String,
    arithmetic: String,
    claims: Vec<ClaimRef>,
}

type ByOrder = fn(&Found, &Found) -> Ordering;

/// Most severe first, then relation and subject; ties in the order found.
/// The end comes after every finding.
fn by_order(a: &Found, b: &Found) -> Ordering {
    match (&a.finding, &b.finding) {
        (Some(x), Some(y)) => (y.severity, x.relation, &x.subject, a.n)
            .cmp(&(x.severity, y.relation, &y.subject, b.n)),
        (x, y) => x.is_none().cmp(&y.is_none()),
    }
}

/// The number of the end, which no finding has.
const END: u64 = u64::MAX;

/// Findings taken in any order, given back in printing order.
pub struct Ordered {
    sorter: PushExternalSorter<Found, ByOrder>,
    found: u64,
}

fn spill_error(e: std::io::Error) -> ProjectError {
    ProjectError::Spill(e.to_string())
}

impl Ordered {
    pub fn new() -> Self {
        Ordered {
            sorter: ExternalSorter::new()
                .with_segment_size(SEGMENT)
                .pushed_by(by_order as ByOrder),
            found: 0,
        }
    }

    pub fn push(&mut self, finding: Finding) -> Result<(), ProjectError> {
        let n = self.found;
        self.found += 1;
        self.sorter
            .push(Found {
                n,
                finding: Some(finding),
            })
            .map_err(spill_error)
    }

    /// Every finding pushed, in printing order.
    pub fn into_iter(
        mut self,
    ) -> Result<impl Iterator<Item = Result<Finding, ProjectError>>, ProjectError> {
        // extsort 0.5.0 gives back nothing when the last item pushed filled
        // a segment (its empty buffer is then taken for the whole input;
        // project/bulk.rs works around the same): then the end, pushed
        // last, keeps one in the buffer, and is not given back.
        if self.found.is_multiple_of(SEGMENT as u64 + 1) {
            self.sorter
                .push(Found {
                    n: END,
                    finding: None,
                })
                .map_err(spill_error)?;
        }
        Ok(self
            .sorter
            .done()
            .map_err(spill_error)?
            .filter_map(|f| f.map(|f| f.finding).map_err(spill_error).transpose()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Hash32;

    fn finding(relation: &'static str, severity: Severity, subject: &str, i: u8) -> Finding {
        Finding {
            relation,
            severity,
            subject: subject.into(),
            arithmetic: format!("finding {i}"),
            claims: vec![ClaimRef {
                id: Hash32([i; 32]),
                seq: u64::from(i),
                value: "about 7000".into(),
                source: "rubryka".into(),
                cites: i.is_multiple_of(2).then(|| "president".into()),
                quote: format!("over 7,000 \"returned\"\n{i}"),
            }],
        }
    }

    /// The order a stable sort of the findings as found would give, through
    /// segments on disk (SEGMENT is 3 in test builds), every field intact;
    /// also when the last finding fills a segment (4 and 40 of them).
    #[test]
    fn spilled_findings_come_back_whole_in_stable_order() {
        for n in [0u8, 1, 3, 4, 5, 39, 40, 41] {
            findings_come_back_in_stable_order(n);
        }
    }

    fn findings_come_back_in_stable_order(n: u8) {
        let sev = [Severity::Info, Severity::Inconsistent, Severity::Consistent];
        let subjects = [
            "people_returned, 2024",
            "exchanges, 2024",
            "people_returned, 2023",
        ];
        let all: Vec<Finding> = (0..n)
            .map(|i| {
                finding(
                    RELATIONS[usize::from(i % 4)],
                    sev[usize::from(i % 3)],
                    subjects[usize::from(i % 5 % 3)],
                    i,
                )
            })
            .collect();
        let mut ordered = Ordered::new();
        for f in all.clone() {
            ordered.push(f).unwrap();
        }
        let got: Vec<Finding> = ordered.into_iter().unwrap().map(|f| f.unwrap()).collect();
        let mut want = all;
        want.sort_by(|a, b| {
            (b.severity, a.relation, &a.subject).cmp(&(a.severity, b.relation, &b.subject))
        });
        let json = |v: &[Finding]| serde_json::to_string(v).unwrap();
        assert_eq!(json(&got), json(&want), "{n} findings");
    }

    #[test]
    fn a_relation_not_named_is_refused_when_read_back() {
        let mut bytes = Vec::new();
        let mut f = finding("agreement", Severity::Consistent, "x, 2024", 1);
        f.relation = "made_up";
        Found {
            n: 0,
            finding: Some(f),
        }
        .encode(&mut bytes)
        .unwrap();
        let err = Found::decode(&mut bytes.as_slice()).err().unwrap();
        assert!(err.to_string().contains("unknown relation"), "{err}");
    }
}
