//! `check`'s findings in the order they are printed (most severe first,
//! then by relation and subject, ties in the order found), without holding
//! them all: past RUN findings, each run is sorted and written to an
//! anonymous temporary file (`tempfile::tempfile`: the system removes it
//! when the process ends, however it ends, as it does when `check | head`
//! closes the pipe), and the runs are merged as they are read back. On
//! the synthetic 1M-claim workload `check` finds about 100k findings
//! naming 1.5M claims, 270 MB of text; a ledger of real reporting finds a
//! few, which never leave memory.

use super::check::{ClaimRef, Finding, Severity, RELATIONS};
use crate::project::ProjectError;
use serde::Deserialize;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};

/// Findings held in memory before a sorted run goes to disk. Small in
/// debug builds, so that tests on a few claims go through the disk.
const RUN: usize = if cfg!(debug_assertions) { 3 } else { 2048 };

/// Runs on disk at most (each an open file while the findings are
/// read back): past it they are merged into one.
const MAX_RUNS: usize = if cfg!(debug_assertions) { 4 } else { 64 };

/// A finding and the order it was found in.
struct Found {
    n: u64,
    finding: Finding,
}

impl Found {
    /// Its number, then its JSON's length and its JSON.
    fn encode<W: Write>(&self, w: &mut W) -> std::io::Result<()> {
        let json = serde_json::to_vec(&self.finding).map_err(std::io::Error::other)?;
        let len = u32::try_from(json.len()).map_err(std::io::Error::other)?;
        w.write_all(&self.n.to_le_bytes())?;
        w.write_all(&len.to_le_bytes())?;
        w.write_all(&json)
    }

    fn decode<R: Read>(r: &mut R) -> std::io::Result<Self> {
        let mut n = [0u8; 8];
        r.read_exact(&mut n)?;
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
            n: u64::from_le_bytes(n),
            finding: Finding {
                relation,
                severity: s.severity,
                subject: s.subject,
                arithmetic: s.arithmetic,
                claims: s.claims,
            },
        })
    }
}

/// A finding as read back from its run; `relation` must name one of
/// RELATIONS.
#[derive(Deserialize)]
struct Spilled {
    relation: String,
    severity: Severity,
    subject: String,
    arithmetic: String,
    claims: Vec<ClaimRef>,
}

/// Most severe first, then relation and subject; ties in the order found.
fn by_order(a: &Found, b: &Found) -> Ordering {
    let (x, y) = (&a.finding, &b.finding);
    (y.severity, x.relation, &x.subject, a.n).cmp(&(x.severity, y.relation, &y.subject, b.n))
}

/// A sorted run on disk: its file and how many findings it holds.
struct Run {
    file: File,
    len: u64,
}

/// Where the merge takes findings from: a run on disk, or the last run,
/// still in memory.
enum Source {
    Disk(BufReader<File>, u64),
    Memory(std::vec::IntoIter<Found>),
}

impl Source {
    fn next(&mut self) -> Option<std::io::Result<Found>> {
        match self {
            Source::Disk(_, 0) => None,
            Source::Disk(r, left) => {
                *left -= 1;
                Some(Found::decode(r))
            }
            Source::Memory(it) => it.next().map(Ok),
        }
    }
}

/// The next finding of source `from`, ordered for a max-heap that gives
/// the first in printing order first.
struct Head {
    found: Found,
    from: usize,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        by_order(&other.found, &self.found)
    }
}

/// The findings of several sorted sources, merged in printing order.
struct Merge {
    sources: Vec<Source>,
    heads: BinaryHeap<Head>,
}

impl Merge {
    fn new(runs: Vec<Run>, memory: Vec<Found>) -> std::io::Result<Merge> {
        let mut sources = Vec::with_capacity(runs.len() + 1);
        for mut run in runs {
            run.file.rewind()?;
            sources.push(Source::Disk(BufReader::new(run.file), run.len));
        }
        sources.push(Source::Memory(memory.into_iter()));
        let mut heads = BinaryHeap::with_capacity(sources.len());
        for (from, source) in sources.iter_mut().enumerate() {
            if let Some(found) = source.next() {
                heads.push(Head {
                    found: found?,
                    from,
                });
            }
        }
        Ok(Merge { sources, heads })
    }
}

impl Iterator for Merge {
    type Item = std::io::Result<Found>;

    fn next(&mut self) -> Option<Self::Item> {
        let Head { found, from } = self.heads.pop()?;
        match self.sources[from].next() {
            Some(Ok(next)) => self.heads.push(Head { found: next, from }),
            Some(Err(e)) => {
                // Nothing more can be trusted to come in order.
                self.heads.clear();
                return Some(Err(e));
            }
            None => {}
        }
        Some(Ok(found))
    }
}

/// Writes `found`, already in order, to a new anonymous file.
fn write_run(found: impl Iterator<Item = std::io::Result<Found>>) -> std::io::Result<Run> {
    let mut w = BufWriter::new(tempfile::tempfile()?);
    let mut len = 0;
    for f in found {
        f?.encode(&mut w)?;
        len += 1;
    }
    Ok(Run {
        file: w.into_inner().map_err(|e| e.into_error())?,
        len,
    })
}

/// Findings taken in any order, given back in printing order.
#[derive(Default)]
pub struct Ordered {
    memory: Vec<Found>,
    runs: Vec<Run>,
    found: u64,
}

fn spill_error(e: std::io::Error) -> ProjectError {
    ProjectError::Spill(e.to_string())
}

impl Ordered {
    pub fn push(&mut self, finding: Finding) -> Result<(), ProjectError> {
        // A run on disk names the relation, and reads back only those of
        // RELATIONS: a new relation left out of it fails here, in tests,
        // not on a store with more findings than a run.
        debug_assert!(
            RELATIONS.contains(&finding.relation),
            "{}",
            finding.relation
        );
        let n = self.found;
        self.found += 1;
        self.memory.push(Found { n, finding });
        if self.memory.len() == RUN {
            self.spill().map_err(spill_error)?;
        }
        Ok(())
    }

    fn spill(&mut self) -> std::io::Result<()> {
        let mut run = std::mem::take(&mut self.memory);
        run.sort_unstable_by(by_order);
        self.runs.push(write_run(run.into_iter().map(Ok))?);
        if self.runs.len() == MAX_RUNS {
            let runs = std::mem::take(&mut self.runs);
            self.runs.push(write_run(Merge::new(runs, Vec::new())?)?);
        }
        Ok(())
    }

    /// Every finding pushed, in printing order.
    pub fn into_iter(
        mut self,
    ) -> Result<impl Iterator<Item = Result<Finding, ProjectError>>, ProjectError> {
        self.memory.sort_unstable_by(by_order);
        let merge = Merge::new(self.runs, self.memory).map_err(spill_error)?;
        Ok(merge.map(|f| f.map(|f| f.finding).map_err(spill_error)))
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
    /// runs on disk (RUN is 3 and MAX_RUNS 4 in test builds, so that runs
    /// are merged into one as they are written too), every field intact,
    /// whatever the last run holds.
    #[test]
    fn spilled_findings_come_back_whole_in_stable_order() {
        for n in [0u8, 1, 2, 3, 4, 5, 11, 12, 13, 39, 40, 41, 80, 200, 255] {
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
        let mut ordered = Ordered::default();
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
        Found { n: 0, finding: f }.encode(&mut bytes).unwrap();
        let err = Found::decode(&mut bytes.as_slice()).err().unwrap();
        assert!(err.to_string().contains("unknown relation"), "{err}");
    }
}
