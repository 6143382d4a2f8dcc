//! Deciding what an import appends, before anything is appended: every line
//! is parsed and checked against the ledger and the lines before it, and all
//! problems are collected. Only a clean plan is executed, as one batch.

use super::input::{parse_line, Parsed, Target};
use super::lines::{next_line, Line, MAX_LINE_BYTES};
use crate::event::{Correction, Event, Hash32, Retraction};
use crate::model::{Claim, Source, Text};
use crate::project::{claim_content_hash, Cache};
use crate::store::{Appended, Store, StoreError};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use thiserror::Error;

/// A problem with one input line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum IngestError {
    #[error("{} bad line(s); nothing was appended", .0.len())]
    Lines(Vec<LineError>),
    #[error("the input holds no records (it is empty or blank)")]
    Empty,
    #[error("reading the input: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A claim a retraction or correction points at.
#[derive(Debug, Clone, Copy)]
enum Ref {
    Existing(Hash32),
    /// The claim appended by planned event number N of this batch.
    Planned(usize),
}

#[derive(Debug, Clone)]
enum Step {
    Source(Source),
    Claim(Claim),
    Retract {
        target: Ref,
        reason: Text,
    },
    Correct {
        target: Ref,
        reason: Text,
        new: Claim,
    },
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Outcome {
    pub lines: u64,
    pub sources_added: u64,
    pub claims_added: u64,
    pub retracted: u64,
    pub corrected: u64,
    /// Claims identical to an active claim already recorded (or earlier in the input).
    pub duplicate_claims_skipped: u64,
    /// Sources already registered with identical fields.
    pub duplicate_sources_skipped: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    /// Ids of the claims this import added, in input order.
    pub claim_ids: Vec<Hash32>,
    /// (line, existing claim id) for every skipped duplicate claim.
    pub duplicates: Vec<(u64, Hash32)>,
}

#[derive(Default)]
struct Planner {
    steps: Vec<(u64, Step)>,
    errors: Vec<LineError>,
    sources: BTreeMap<String, Source>,
    /// line -> what that line's claim is now.
    line_claims: BTreeMap<u64, Ref>,
    /// content hash -> ref, for claims added by this input.
    contents: BTreeMap<Hash32, Ref>,
    /// Existing claims ended by this input; planned claims ended by this input.
    ended_existing: BTreeSet<Hash32>,
    ended_planned: BTreeSet<usize>,
    outcome: Outcome,
}

impl Planner {
    fn err(&mut self, line: u64, message: impl Into<String>) {
        self.errors.push(LineError {
            line,
            message: message.into(),
        });
    }

    fn known_source(&self, cache: &Cache, id: &str) -> Result<bool, StoreError> {
        Ok(self.sources.contains_key(id) || cache.source(id)?.is_some())
    }

    fn check_claim_sources(
        &mut self,
        cache: &Cache,
        line: u64,
        c: &Claim,
        prefix: &str,
    ) -> Result<bool, StoreError> {
        let mut ok = true;
        if !self.known_source(cache, c.source.as_str())? {
            self.err(line, format!("{prefix}source: source {:?} is not registered (add a source line before it, or `claimlog source add`)", c.source.as_str()));
            ok = false;
        }
        if let Some(cites) = &c.cites {
            if !self.known_source(cache, cites.as_str())? {
                self.err(
                    line,
                    format!(
                        "{prefix}cites: source {:?} is not registered",
                        cites.as_str()
                    ),
                );
                ok = false;
            }
        }
        Ok(ok)
    }

    fn resolve(&mut self, cache: &Cache, line: u64, t: &Target) -> Result<Option<Ref>, StoreError> {
        let r = if let Some(prefix) = &t.claim {
            match cache.resolve_claim(prefix) {
                Ok(id) => Ref::Existing(id),
                Err(crate::project::ProjectError::NotFound(m)) => {
                    self.err(line, format!("claim: {m}"));
                    return Ok(None);
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            let n = t.line.unwrap_or(0);
            match self.line_claims.get(&n) {
                Some(r) => *r,
                None => {
                    self.err(
                        line,
                        format!("line: line {n} is not a claim earlier in this input"),
                    );
                    return Ok(None);
                }
            }
        };
        let ended = match r {
            Ref::Existing(id) => {
                let active = cache
                    .claim(&id)?
                    .map(|e| e.status.is_active())
                    .unwrap_or(false);
                !active || self.ended_existing.contains(&id)
            }
            Ref::Planned(i) => self.ended_planned.contains(&i),
        };
        if ended {
            self.err(
                line,
                "the claim is no longer active (already retracted or corrected)",
            );
            return Ok(None);
        }
        Ok(Some(r))
    }

    fn end(&mut self, r: Ref) {
        match r {
            Ref::Existing(id) => {
                self.ended_existing.insert(id);
            }
            Ref::Planned(i) => {
                self.ended_planned.insert(i);
            }
        }
    }

    fn add(&mut self, cache: &Cache, line: u64, parsed: Parsed) -> Result<(), StoreError> {
        match parsed {
            Parsed::Source(s) => {
                let id = s.id.as_str().to_string();
                let existing = match self.sources.get(&id) {
                    Some(s) => Some(s.clone()),
                    None => cache.source(&id)?.map(|e| e.source),
                };
                match existing {
                    Some(e) if e == s => self.outcome.duplicate_sources_skipped += 1,
                    Some(e) => self.err(
                        line,
                        format!("id: source {id:?} is already registered with different fields (name {:?}, kind {}); sources cannot be edited", e.name.as_str(), e.kind.as_str()),
                    ),
                    None => {
                        self.sources.insert(id, s.clone());
                        self.steps.push((line, Step::Source(s)));
                    }
                }
            }
            Parsed::Claim(c) => {
                if !self.check_claim_sources(cache, line, &c, "")? {
                    return Ok(());
                }
                let content = claim_content_hash(&c);
                let dup = match self.contents.get(&content) {
                    Some(r) => Some(*r),
                    None => cache.duplicate_of(&content)?.map(Ref::Existing),
                };
                let dup = dup.filter(|r| match r {
                    Ref::Existing(id) => !self.ended_existing.contains(id),
                    Ref::Planned(i) => !self.ended_planned.contains(i),
                });
                if let Some(r) = dup {
                    self.outcome.duplicate_claims_skipped += 1;
                    if let Ref::Existing(id) = r {
                        self.outcome.duplicates.push((line, id));
                    }
                    self.line_claims.insert(line, r);
                    return Ok(());
                }
                let r = Ref::Planned(self.steps.len());
                self.line_claims.insert(line, r);
                self.contents.insert(content, r);
                self.steps.push((line, Step::Claim(c)));
            }
            Parsed::Retract { target, reason } => {
                if let Some(r) = self.resolve(cache, line, &target)? {
                    self.end(r);
                    self.steps.push((line, Step::Retract { target: r, reason }));
                }
            }
            Parsed::Correct {
                target,
                reason,
                new,
            } => {
                let sources_ok = self.check_claim_sources(cache, line, &new, "new.")?;
                if let Some(r) = self.resolve(cache, line, &target)? {
                    if sources_ok {
                        self.end(r);
                        let me = Ref::Planned(self.steps.len());
                        self.line_claims.insert(line, me);
                        if let Some(l) = target.line {
                            self.line_claims.insert(l, me);
                        }
                        self.contents.insert(claim_content_hash(&new), me);
                        self.steps.push((
                            line,
                            Step::Correct {
                                target: r,
                                reason,
                                new,
                            },
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Imports JSON Lines from `input` into `store`: all lines or none.
pub fn import(store: &mut Store, input: impl BufRead) -> Result<Outcome, IngestError> {
    let mut input = input;
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    let mut buf = Vec::new();
    let mut n = 0u64;
    while let Some(line) = next_line(&mut input, &mut buf)? {
        n += 1;
        match line {
            Line::TooLong => errors.push(LineError {
                line: n,
                message: format!("line is longer than the limit of {MAX_LINE_BYTES} bytes"),
            }),
            Line::BadUtf8 { valid_up_to } => errors.push(LineError {
                line: n,
                message: format!(
                    "not valid UTF-8 (first bad byte at byte {})",
                    valid_up_to + 1
                ),
            }),
            Line::Text(t) if t.trim().is_empty() => {}
            Line::Text(t) => match parse_line(&t) {
                Ok(p) => parsed.push((n, p)),
                Err(m) => errors.push(LineError {
                    line: n,
                    message: m,
                }),
            },
        }
    }
    if parsed.is_empty() && errors.is_empty() {
        return Err(IngestError::Empty);
    }
    apply_parsed(store, parsed, errors, n)
}

/// Appends already parsed items (the CLI's single commands come this way).
pub fn apply_parsed(
    store: &mut Store,
    parsed: Vec<(u64, Parsed)>,
    mut errors: Vec<LineError>,
    lines: u64,
) -> Result<Outcome, IngestError> {
    let mut p = Planner::default();
    for (line, item) in parsed {
        p.add(store.cache(), line, item)?;
    }
    errors.append(&mut p.errors);
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(IngestError::Lines(errors));
    }
    let mut outcome = std::mem::take(&mut p.outcome);
    outcome.lines = lines;
    if p.steps.is_empty() {
        return Ok(outcome);
    }
    let steps = std::mem::take(&mut p.steps);
    let line_of: Vec<u64> = steps.iter().map(|(l, _)| *l).collect();
    let mut batch = store.batch();
    let mut planned_ids: Vec<Option<Hash32>> = Vec::with_capacity(steps.len());
    let mut appended: Vec<Appended> = Vec::with_capacity(steps.len());
    let id_of = |r: Ref, planned: &[Option<Hash32>]| match r {
        Ref::Existing(id) => id,
        Ref::Planned(i) => planned[i].expect("a reference points to an earlier step"),
    };
    for (i, (_, step)) in steps.into_iter().enumerate() {
        let (event, is_claim) = match step {
            Step::Source(s) => {
                outcome.sources_added += 1;
                (Event::SourceRegistered(s), false)
            }
            Step::Claim(c) => {
                outcome.claims_added += 1;
                (Event::ClaimAdded(c), true)
            }
            Step::Retract { target, reason } => {
                outcome.retracted += 1;
                (
                    Event::ClaimRetracted(Retraction {
                        claim: id_of(target, &planned_ids),
                        reason,
                    }),
                    false,
                )
            }
            Step::Correct {
                target,
                reason,
                new,
            } => {
                outcome.corrected += 1;
                (
                    Event::ClaimCorrected(Correction {
                        old: id_of(target, &planned_ids),
                        new,
                        reason,
                    }),
                    true,
                )
            }
        };
        let a = batch.push(event).map_err(|e| match e {
            StoreError::Rejected { reason, .. } => IngestError::Lines(vec![LineError {
                line: line_of[i],
                message: reason,
            }]),
            other => IngestError::Store(other),
        })?;
        if is_claim {
            outcome.claim_ids.push(a.hash);
        }
        planned_ids.push(Some(a.hash));
        appended.push(a);
    }
    batch.commit()?;
    outcome.first_seq = appended.first().map(|a| a.seq);
    outcome.last_seq = appended.last().map(|a| a.seq);
    Ok(outcome)
}
