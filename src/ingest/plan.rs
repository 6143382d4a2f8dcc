//! Deciding what an import appends, before anything is appended, in two
//! passes so that memory does not grow with the input's size:
//!
//! 1. **check**: every line is parsed and checked against the ledger and the
//!    lines before it; all problems are collected. What is kept per line is
//!    a decision (append or skip) and, for retractions and corrections, the
//!    claim they target.
//! 2. **append**: only if pass 1 found nothing wrong, the lines it checked
//!    are read back from its spool (spool.rs; single commands from memory)
//!    and the events pushed into one batch, which is written in parts
//!    as it grows and acknowledged once, at the end (all or nothing, across
//!    crashes too: see docs/FORMAT.md, "Frame").

use super::compact::{content_key, ContentKey, ContentMap, LineClaims, LineSet, Ref, Refs};
use super::file_lines::{FileLines, ReadLines};
use super::input::{Parsed, Target};
use super::spool::Spool;
use crate::event::{Correction, Event, Hash32, Retraction};
use crate::model::Source;
use crate::project::{claim_content_hash, Cache, ClaimEntry, ClaimStatus};
use crate::store::{Store, StoreError};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Read;
use thiserror::Error;

/// Imports of at least this many events write the cache once, sorted
/// (Store::bulk_batch); smaller ones in the usual way. Debug builds (the
/// tests) take the bulk way from two events, so that it is the one tested.
const BULK_EVENTS: usize = if cfg!(debug_assertions) { 2 } else { 1024 };

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
    /// Writing or reading back the import's spool or its content map's
    /// runs (in the store's directory): a problem of the store's disk,
    /// not of the input.
    #[error("the import's temporary files in the store's directory (its spool, its runs of claims by content): {0}")]
    Spool(std::io::Error),
    /// Pass 2 met something pass 1 did not plan: a bug, not bad input.
    #[error("internal error: {0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a retract or correct line does to its claim.
#[derive(Debug, Clone, Copy)]
enum Action {
    Retract,
    /// Correct into a claim with this content.
    Correct(Hash32),
}

/// A line standing for an active recorded claim that also has ended twins
/// (`Planner::alternatives`).
struct Alternatives {
    /// The claim's content key in `Planner::contents`.
    key: ContentKey,
    /// The claim line and its in-input duplicates.
    lines: Vec<u64>,
    /// The ended twins, oldest first.
    twins: Vec<Hash32>,
}

/// At most this many claim ids are listed in an `Outcome`.
pub const MAX_LISTED_IDS: usize = 10_000;

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
    /// Lines imported before, skipped: claims identical to a recorded claim
    /// since retracted or corrected, and retract and correct lines whose
    /// effect is recorded.
    pub already_recorded: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    /// Ids of the claims this import added, in input order (the first
    /// `MAX_LISTED_IDS`).
    pub claim_ids: Vec<Hash32>,
    /// (line, existing claim id) for skipped duplicates of stored claims
    /// (the first `MAX_LISTED_IDS`).
    pub duplicates: Vec<(u64, Hash32)>,
}

/// One input line as the passes see it.
#[allow(clippy::large_enum_variant)] // one at a time, never stored
pub enum Item {
    Parsed(Parsed),
    Blank,
    Bad(String),
}

/// Calls `f` with `items` in order, made one thread ahead (a file's lines
/// parsed, a spool's decoded) and finished into an `Item` by `finish` on
/// `f`'s thread; returns the last line's number.
pub(super) fn each_ahead<T: Send>(
    items: impl Iterator<Item = Result<(u64, T), IngestError>> + Send,
    finish: impl Fn(T) -> Item,
    f: &mut dyn FnMut(u64, Item) -> Result<(), IngestError>,
) -> Result<u64, IngestError> {
    crate::ahead::ahead(items, |items| {
        let mut n = 0;
        for item in items {
            let (line, item) = item?;
            n = line;
            f(line, finish(item))?;
        }
        Ok(n)
    })
}

/// Input read line by line: once for an import (pass 2 reads the spool),
/// twice for single commands.
pub trait Lines {
    /// Calls `f` for every line, numbered from 1; returns the number of lines.
    fn each(
        &mut self,
        f: &mut dyn FnMut(u64, Item) -> Result<(), IngestError>,
    ) -> Result<u64, IngestError>;
}

/// Items already parsed (the CLI's single commands).
pub struct ParsedLines(pub Vec<(u64, Parsed)>);

impl Lines for ParsedLines {
    fn each(
        &mut self,
        f: &mut dyn FnMut(u64, Item) -> Result<(), IngestError>,
    ) -> Result<u64, IngestError> {
        let mut last = 0;
        for (n, p) in &self.0 {
            f(*n, Item::Parsed(p.clone()))?;
            last = last.max(*n);
        }
        Ok(last)
    }
}

#[derive(Default)]
struct Planner {
    errors: Vec<LineError>,
    sources: BTreeMap<String, Source>,
    /// The ids `Packed` refs name.
    refs: Refs,
    /// What each claim line stands for now.
    line_claims: LineClaims,
    /// Claims added by this input, by content.
    contents: ContentMap,
    ended_existing: BTreeSet<Hash32>,
    ended_planned: HashSet<u64>,
    /// Lines to append.
    emit: LineSet,
    /// Targets of retract and correct lines.
    targets: BTreeMap<u64, Ref>,
    /// Planned claim lines that a later line refers to: their ids are kept
    /// in pass 2.
    referenced: foldhash::HashSet<u64>,
    /// Recorded claims a claim line of this input is (each at most one):
    /// a file imported again finds its claims, active or since ended.
    consumed: HashSet<Hash32>,
    /// Consumed recorded claims that are ended in the store.
    consumed_ended: HashSet<Hash32>,
    /// Lines standing for an active recorded claim that also has ended
    /// twins, by that claim: if a later line ends them exactly as one of
    /// those was ended, they stand for that twin instead (`rebind`).
    alternatives: HashMap<Hash32, Alternatives>,
    /// Single commands (`claim add`), not a file: a claim identical only
    /// to ended claims is added again, as asked.
    commands: bool,
    /// Whether the store holds any claim: into one that holds none (a
    /// first import), no line can be a claim recorded before, and pass 1
    /// need not look.
    store_has_claims: bool,
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
        c: &crate::model::Claim,
        prefix: &str,
    ) -> Result<bool, StoreError> {
        let mut ok = true;
        if !self.known_source(cache, c.source.as_str())? {
            self.err(
                line,
                format!(
                    "{prefix}source: source {:?} is not registered (add a source line before it, or `claimlog source add`)",
                    c.source.as_str()
                ),
            );
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

    fn line_claim(&self, n: u64) -> Option<Ref> {
        self.line_claims.get(&self.refs, n)
    }

    fn set_line_claim(&mut self, n: u64, r: Ref) {
        self.line_claims.set(&mut self.refs, n, r);
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
            match self.line_claim(n) {
                Some(r) => r,
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
                self.referenced.insert(i);
            }
        }
    }

    /// The claim of this input with content `key`, if any.
    fn content(&self, key: &ContentKey) -> Option<Ref> {
        self.contents.get(key).map(|p| self.refs.unpack(p))
    }

    fn set_content(&mut self, key: ContentKey, r: Ref) {
        let r = self.refs.pack(r);
        self.contents.insert(key, r);
    }

    fn step(&mut self, line: u64) -> u64 {
        self.emit.insert(line);
        line
    }

    /// Whether recorded claim `entry` was ended the way `action` would end
    /// it; for a correction, the claim that replaced it.
    fn ended_as(
        cache: &Cache,
        entry: &ClaimEntry,
        action: Action,
    ) -> Result<Option<Option<Hash32>>, StoreError> {
        Ok(match (&entry.status, action) {
            (ClaimStatus::Retracted { .. }, Action::Retract) => Some(None),
            (ClaimStatus::Corrected { by, .. }, Action::Correct(content)) => {
                match cache.claim(by)? {
                    Some(new) if claim_content_hash(&cache.full_claim(&new)?) == content => {
                        Some(Some(*by))
                    }
                    _ => None,
                }
            }
            _ => None,
        })
    }

    /// Handles a retract or correct line whose effect is already recorded:
    /// the claim it names (by `line`, or in a file by `claim` id) is a
    /// recorded claim ended exactly so, and the line is skipped. A line
    /// naming by `line` a recorded claim ended otherwise contradicts the
    /// store and is reported. Returns whether the line was handled; if not,
    /// it acts.
    fn replayed(
        &mut self,
        cache: &Cache,
        line: u64,
        t: &Target,
        action: Action,
    ) -> Result<bool, StoreError> {
        let mut id = match (t.line, t.claim.as_deref()) {
            (Some(n), _) => match self.line_claim(n) {
                Some(Ref::Existing(id)) => id,
                _ => return Ok(false),
            },
            // A single command on an ended claim is an error (`resolve`).
            (None, Some(prefix)) if !self.commands => match cache.resolve_claim(prefix) {
                Ok(id) => id,
                Err(_) => return Ok(false),
            },
            _ => return Ok(false),
        };
        if self.ended_existing.contains(&id) {
            return Ok(false);
        }
        if t.line.is_some() {
            // Standing for an active claim: if a twin of it was ended
            // exactly as this line says, the lines were that twin's.
            if let Some(e) = self.ended_twin(cache, &id, action)? {
                self.rebind(id, e);
                id = e;
            }
        }
        let Some(entry) = cache.claim(&id)? else {
            return Ok(false);
        };
        if entry.status.is_active() {
            return Ok(false);
        }
        match (Self::ended_as(cache, &entry, action)?, t.line) {
            (Some(successor), _) => {
                self.skip_replayed(line, t.line, action, id, successor);
                Ok(true)
            }
            (None, Some(n)) => {
                let what = match action {
                    Action::Retract => "retracts it",
                    Action::Correct(_) => "corrects it into another claim",
                };
                let at = match entry.status {
                    ClaimStatus::Retracted { seq, .. } | ClaimStatus::Corrected { seq, .. } => seq,
                    ClaimStatus::Active => entry.seq,
                };
                self.err(
                    line,
                    format!(
                        "line: the claim of line {n} is recorded as claim {} and was {} at seq {at}; this line {what}",
                        id.short(),
                        entry.status.name(),
                    ),
                );
                Ok(true)
            }
            (None, None) => Ok(false),
        }
    }

    /// The oldest ended twin of active claim `id` (`alternatives`), not
    /// stood for by another line, that was ended the way `action` says.
    fn ended_twin(
        &self,
        cache: &Cache,
        id: &Hash32,
        action: Action,
    ) -> Result<Option<Hash32>, StoreError> {
        let Some(alt) = self.alternatives.get(id) else {
            return Ok(None);
        };
        for e in alt.twins.iter().filter(|e| !self.consumed.contains(e)) {
            if let Some(entry) = cache.claim(e)? {
                if Self::ended_as(cache, &entry, action)?.is_some() {
                    return Ok(Some(*e));
                }
            }
        }
        Ok(None)
    }

    /// Counts line `line`, which stands for a claim already recorded or
    /// planned (`r`): a duplicate of an active claim, or a line recorded
    /// before whose claim was since ended.
    fn count_twin(&mut self, line: u64, r: Ref) {
        match r {
            Ref::Existing(id) if self.consumed_ended.contains(&id) => {
                self.outcome.already_recorded += 1;
            }
            Ref::Existing(id) => {
                self.outcome.duplicate_claims_skipped += 1;
                if self.outcome.duplicates.len() < MAX_LISTED_IDS {
                    self.outcome.duplicates.push((line, id));
                }
            }
            Ref::Planned(_) => self.outcome.duplicate_claims_skipped += 1,
        }
    }

    /// The lines standing for active claim `active` stand for its ended
    /// twin `ended` instead; `active` is free for a later line.
    fn rebind(&mut self, active: Hash32, ended: Hash32) {
        let Some(alt) = self.alternatives.remove(&active) else {
            return;
        };
        self.consumed.remove(&active);
        self.consumed.insert(ended);
        self.consumed_ended.insert(ended);
        for l in &alt.lines {
            self.set_line_claim(*l, Ref::Existing(ended));
        }
        self.outcome
            .duplicates
            .retain(|(l, id)| *id != active || !alt.lines.contains(l));
        let n = u64::try_from(alt.lines.len()).unwrap_or(u64::MAX);
        self.outcome.duplicate_claims_skipped -= n;
        self.outcome.already_recorded += n;
        if self.content(&alt.key) == Some(Ref::Existing(active)) {
            self.set_content(alt.key, Ref::Existing(ended));
        }
    }

    /// Whether `r` is active as far as this input knows.
    fn live(&self, r: &Ref) -> bool {
        match r {
            Ref::Existing(id) => !self.ended_existing.contains(id),
            Ref::Planned(i) => !self.ended_planned.contains(i),
        }
    }

    /// Skips a replayed line: `line` is the retract or correct line,
    /// `target` the line it names, if it names one; it ended `stored`, and
    /// a correction made `successor`. The claims it ended and made follow.
    fn skip_replayed(
        &mut self,
        line: u64,
        target: Option<u64>,
        action: Action,
        stored: Hash32,
        successor: Option<Hash32>,
    ) {
        self.outcome.already_recorded += 1;
        self.ended_existing.insert(stored);
        if let (Some(new), Action::Correct(content)) = (successor, action) {
            // Later lines like the corrected claim are that claim, as they
            // were when this line was first imported.
            self.consumed.insert(new);
            self.set_content(content_key(&content), Ref::Existing(new));
            if let Some(t) = target {
                self.set_line_claim(t, Ref::Existing(new));
            }
            self.set_line_claim(line, Ref::Existing(new));
        }
    }

    fn add(&mut self, cache: &Cache, line: u64, parsed: Parsed) -> Result<(), StoreError> {
        // A planned claim is named by its line in 63 bits (compact.rs);
        // files number their lines from 1, but a library caller may not.
        if line >= super::compact::MAX_LINE {
            self.err(line, "line numbers must be below 2^63");
            return Ok(());
        }
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
                        format!(
                            "id: source {id:?} is already registered with different fields (name {:?}, kind {}); sources cannot be edited",
                            e.name.as_str(),
                            e.kind.as_str()
                        ),
                    ),
                    None => {
                        self.sources.insert(id, s);
                        self.step(line);
                        self.outcome.sources_added += 1;
                    }
                }
            }
            Parsed::Claim(c) => {
                if !self.check_claim_sources(cache, line, &c, "")? {
                    return Ok(());
                }
                let content = claim_content_hash(&c);
                let key = content_key(&content);
                if let Some(r) = self.content(&key).filter(|r| self.live(r)) {
                    // The same claim as an earlier line of this input.
                    self.count_twin(line, r);
                    self.set_line_claim(line, r);
                    if let Ref::Existing(id) = r {
                        if let Some(alt) = self.alternatives.get_mut(&id) {
                            alt.lines.push(line);
                        }
                    }
                    return Ok(());
                }
                // A recorded claim with this content that no line of this
                // input stands for yet: this line, recorded before. The
                // oldest active one; and if there are ended ones too, a
                // later line ending this one decides (`replay`). With only
                // ended ones, a file's line is the oldest (importing it
                // again does not undo a retraction); a command adds anew.
                let recorded = if self.store_has_claims {
                    cache.same_content(&c, &content)?
                } else {
                    Vec::new()
                };
                let twins: Vec<_> = recorded
                    .into_iter()
                    .filter(|t| {
                        !self.consumed.contains(&t.id) && !self.ended_existing.contains(&t.id)
                    })
                    .collect();
                let ended: Vec<Hash32> = twins.iter().filter(|t| !t.active).map(|t| t.id).collect();
                let twin = match twins.iter().find(|t| t.active) {
                    Some(active) => {
                        if !ended.is_empty() {
                            let alt = Alternatives {
                                key,
                                lines: vec![line],
                                twins: ended,
                            };
                            self.alternatives.insert(active.id, alt);
                        }
                        Some(active.id)
                    }
                    None if self.commands => None,
                    None => {
                        let oldest = ended.first().copied();
                        self.consumed_ended.extend(oldest);
                        oldest
                    }
                };
                if let Some(id) = twin {
                    self.consumed.insert(id);
                    let r = Ref::Existing(id);
                    self.set_line_claim(line, r);
                    self.set_content(key, r);
                    self.count_twin(line, r);
                    return Ok(());
                }
                let r = Ref::Planned(self.step(line));
                self.set_line_claim(line, r);
                self.set_content(key, r);
                self.outcome.claims_added += 1;
            }
            Parsed::Retract { target, .. } => {
                if self.replayed(cache, line, &target, Action::Retract)? {
                    return Ok(());
                }
                if let Some(r) = self.resolve(cache, line, &target)? {
                    self.end(r);
                    self.targets.insert(line, r);
                    self.step(line);
                    self.outcome.retracted += 1;
                }
            }
            Parsed::Correct { target, new, .. } => {
                let content = claim_content_hash(&new);
                if self.replayed(cache, line, &target, Action::Correct(content))? {
                    return Ok(());
                }
                let sources_ok = self.check_claim_sources(cache, line, &new, "new.")?;
                // A correction must not produce a second copy of an active claim.
                let copy = match self.content(&content_key(&content)) {
                    Some(Ref::Planned(i)) if !self.ended_planned.contains(&i) => {
                        Some("a claim earlier in this input".to_string())
                    }
                    _ => cache
                        .duplicate_of(&new, &content)?
                        .filter(|id| !self.ended_existing.contains(id))
                        .map(|id| format!("active claim {}", id.short())),
                };
                if let Some(what) = copy {
                    self.err(line, format!("new: the corrected claim is identical to {what}; retract this claim instead"));
                    return Ok(());
                }
                if let Some(r) = self.resolve(cache, line, &target)? {
                    if sources_ok {
                        self.end(r);
                        self.targets.insert(line, r);
                        let me = Ref::Planned(self.step(line));
                        self.set_line_claim(line, me);
                        if let Some(l) = target.line {
                            self.set_line_claim(l, me);
                        }
                        self.set_content(content_key(&content), me);
                        self.outcome.corrected += 1;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Imports JSON Lines from `input` into `store`: all lines or none. The
/// input is read once (pass 2 reads what pass 1 spooled).
pub fn import(store: &mut Store, input: impl Read + Send) -> Result<Outcome, IngestError> {
    run(store, &mut ReadLines(Some(input)))
}

/// Imports a JSON Lines file (read once).
pub fn import_file(store: &mut Store, path: &std::path::Path) -> Result<Outcome, IngestError> {
    run(store, &mut FileLines(std::fs::File::open(path)?))
}

/// Appends already parsed items (the CLI's single commands come this way).
pub fn apply_parsed(store: &mut Store, parsed: Vec<(u64, Parsed)>) -> Result<Outcome, IngestError> {
    plan_and_append(store, &mut ParsedLines(parsed), true)
}

/// Checks every line, then appends them all as one batch.
pub fn run(store: &mut Store, input: &mut dyn Lines) -> Result<Outcome, IngestError> {
    plan_and_append(store, input, false)
}

fn plan_and_append(
    store: &mut Store,
    input: &mut dyn Lines,
    commands: bool,
) -> Result<Outcome, IngestError> {
    let mut p = Planner {
        commands,
        store_has_claims: store.cache().has_claims().map_err(StoreError::from)?,
        ..Planner::default()
    };
    let mut records = 0u64;
    let started = std::time::Instant::now();
    // Pass 2 reads what pass 1 parsed, spooled (spool.rs); single commands
    // are in memory already.
    let mut spool = if commands {
        None
    } else {
        p.contents.spill_to(store.dir());
        Some(Spool::new(store.dir()).map_err(IngestError::Spool)?)
    };
    let lines = {
        let cache = store.cache();
        input.each(&mut |n, item| {
            match item {
                Item::Blank => {}
                Item::Bad(m) => p.err(n, m),
                Item::Parsed(x) => {
                    records += 1;
                    if let Some(spool) = spool.as_mut() {
                        spool.push(n, &x).map_err(IngestError::Spool)?;
                    }
                    p.add(cache, n, x)?;
                }
            }
            Ok(())
        })?
    };
    tracing::debug!("import: pass 1 (check) in {:?}", started.elapsed());
    // A run of the content map that could not be written or read leaves
    // the plan unsure of which lines repeat others: nothing is appended.
    if let Some(e) = p.contents.take_failure() {
        return Err(IngestError::Spool(e));
    }
    if records == 0 && p.errors.is_empty() {
        return Err(IngestError::Empty);
    }
    if !p.errors.is_empty() {
        let mut errors = std::mem::take(&mut p.errors);
        errors.sort_by_key(|e| e.line);
        return Err(IngestError::Lines(errors));
    }
    let mut outcome = std::mem::take(&mut p.outcome);
    outcome.lines = lines;
    // Pass 2 needs only these; the rest of the plan (its per-line state,
    // most of an import's memory: about 56 MB at 1M lines) goes now.
    let emit = std::mem::take(&mut p.emit);
    let targets = std::mem::take(&mut p.targets);
    let referenced = std::mem::take(&mut p.referenced);
    drop(p);
    if emit.is_empty() {
        return Ok(outcome);
    }
    // What the events will retract or correct: recorded claims by id, and
    // claim lines of this input, whose claims the batch must keep where its
    // fold can read them (Store::bulk_batch).
    let mut ended_lines: foldhash::HashSet<u64> = Default::default();
    let mut ended_ids: Vec<Hash32> = Vec::new();
    for r in targets.values() {
        match r {
            Ref::Existing(id) => ended_ids.push(*id),
            Ref::Planned(line) => {
                ended_lines.insert(*line);
            }
        }
    }
    let mut batch = if emit.len() >= BULK_EVENTS {
        store.bulk_batch(ended_ids)?
    } else {
        store.batch()
    };
    let mut planned: foldhash::HashMap<u64, Hash32> = Default::default();
    let mut emitted = 0usize;
    let mut first: Option<u64> = None;
    let mut last = 0u64;
    let mut claim_ids = Vec::new();
    // The target of retract or correct line `n`, as pass 1 planned it
    // (none: pass 2 met a line pass 1 did not plan, a bug).
    let target_of = |n: u64, planned: &foldhash::HashMap<u64, Hash32>| {
        match targets.get(&n) {
            Some(Ref::Existing(id)) => Some(*id),
            Some(Ref::Planned(i)) => planned.get(i).copied(),
            None => None,
        }
        .ok_or_else(|| IngestError::Internal(format!("line {n} is not what the plan checked")))
    };
    let mut spooled;
    let second: &mut dyn Lines = match spool {
        Some(spool) => {
            spooled = spool.lines().map_err(IngestError::Spool)?;
            &mut spooled
        }
        None => input,
    };
    second.each(&mut |n, item| {
        if !emit.contains(n) {
            return Ok(());
        }
        let Item::Parsed(x) = item else {
            return Err(IngestError::Internal(format!(
                "line {n} is not what the plan checked"
            )));
        };
        let (event, is_claim) = match x {
            Parsed::Source(s) => (Event::SourceRegistered(s), false),
            Parsed::Claim(c) => (Event::ClaimAdded(c), true),
            Parsed::Retract { reason, .. } => (
                Event::ClaimRetracted(Retraction {
                    claim: target_of(n, &planned)?,
                    reason,
                }),
                false,
            ),
            Parsed::Correct { reason, new, .. } => (
                Event::ClaimCorrected(Correction {
                    old: target_of(n, &planned)?,
                    new,
                    reason,
                }),
                true,
            ),
        };
        let pushed = if ended_lines.contains(&n) {
            batch.push_ended_later(event)
        } else {
            batch.push(event)
        };
        let a = pushed.map_err(|e| match e {
            StoreError::Rejected { reason, .. } => IngestError::Lines(vec![LineError {
                line: n,
                message: reason,
            }]),
            other => IngestError::Store(other),
        })?;
        if referenced.contains(&n) {
            planned.insert(n, a.hash);
        }
        if is_claim && claim_ids.len() < MAX_LISTED_IDS {
            claim_ids.push(a.hash);
        }
        first.get_or_insert(a.seq);
        last = a.seq;
        emitted += 1;
        Ok(())
    })?;
    if emitted != emit.len() {
        return Err(IngestError::Internal(
            "the lines appended are not those the plan checked".into(),
        ));
    }
    tracing::debug!("import: pass 2 (append) done at {:?}", started.elapsed());
    batch.commit()?;
    outcome.claim_ids = claim_ids;
    outcome.first_seq = first;
    outcome.last_seq = Some(last);
    Ok(outcome)
}
