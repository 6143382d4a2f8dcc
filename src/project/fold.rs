//! The projection as a fold: `apply` turns one record into cache writes.
//! The same function validates a batch before it is appended (on a scratch
//! overlay that is then thrown away or committed) and replays the log on a
//! rebuild, so the cache cannot drift from what appends decided.

use super::bulk::Targets;
use super::entries::{ClaimEntry, ClaimStatus, GenesisEntry, Location, SourceEntry};
use super::keys;
use super::packed;
use super::writer::{InFlight, Pending};
use super::ProjectError;
use crate::event::{claim_range, Event, Hash32, Record};
use crate::log::{FrameReader, Position};
use crate::model::{Claim, Scope};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// blake3 `derive_key` context for claim content hashes (duplicate detection).
pub const CLAIM_CONTENT_CONTEXT: &str = "claimlog 2026-11 claim content v1";

/// Hash of a claim's canonical encoding: equal claims, equal hashes.
pub fn claim_content_hash(c: &Claim) -> Hash32 {
    // One buffer per thread: a bulk load hashes every claim it folds, and
    // a fresh vector each time was a measurable share of its allocations.
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with_borrow_mut(|bytes| {
        bytes.clear();
        bincode::encode_into_std_write(c, bytes, bincode::config::standard())
            .expect("a validated claim always encodes");
        content_of(bytes)
    })
}

/// What the caller already knows of the claim a record adds: its content
/// hash, and its canonical bytes (`event::claim_range` of the record's
/// bytes) when it holds them on the fold's thread. With both the fold
/// encodes no claim again; with the hash alone, once (for its value).
/// Each was an encoding of every claim on the fold's thread, the bound of
/// a bulk import's second pass and of a replay.
#[derive(Clone, Copy)]
pub struct ClaimBytes<'a> {
    pub bytes: Option<&'a [u8]>,
    pub content: Hash32,
}

impl<'a> ClaimBytes<'a> {
    /// The claim record `rec` adds, if it adds one, from the record's
    /// canonical bytes `bytes`.
    pub fn in_record(rec: &Record, bytes: &'a [u8]) -> Option<ClaimBytes<'a>> {
        let claim = &bytes[claim_range(rec, bytes.len())?];
        Some(ClaimBytes {
            bytes: Some(claim),
            content: content_of(claim),
        })
    }
}

/// The `g/` key of claim `claim`, whose id is `id`.
pub(crate) fn claim_key(claim: &Claim, id: &Hash32) -> Vec<u8> {
    keys::by_scope(
        claim.metric.as_str(),
        &claim.breakdown.to_string(),
        &claim.scope,
        &claim_content_hash(claim),
        id,
    )
}

/// `CLAIM_CONTENT_CONTEXT` hashed once (as chain's record hash does).
static CONTENT_CONTEXT_KEY: std::sync::LazyLock<blake3::hazmat::ContextKey> =
    std::sync::LazyLock::new(|| blake3::hazmat::hash_derive_key_context(CLAIM_CONTENT_CONTEXT));

/// The content hash of a claim from its canonical encoding: blake3
/// derive_key(CLAIM_CONTENT_CONTEXT, claim_bytes).
fn content_of(claim_bytes: &[u8]) -> Hash32 {
    use blake3::hazmat::HasherExt;
    let mut h = blake3::Hasher::new_from_context_key(&CONTENT_CONTEXT_KEY);
    h.update(claim_bytes);
    Hash32(*h.finalize().as_bytes())
}

pub(crate) fn enc<T: bincode::Encode>(v: &T) -> Vec<u8> {
    bincode::encode_to_vec(v, bincode::config::standard()).expect("cache values always encode")
}

pub(crate) fn dec<T: bincode::Decode<()>>(key: &[u8], b: &[u8]) -> Result<T, ProjectError> {
    bincode::decode_from_slice(b, bincode::config::standard())
        .map(|(v, _)| v)
        .map_err(|e| ProjectError::BadValue {
            key: String::from_utf8_lossy(key).into_owned(),
            reason: e.to_string(),
        })
}

/// Keys the cache holds for good, as far as the fold can tell: a source
/// once registered (`has`), a `y/` key once written (`set_derived`, whose
/// value is a function of its key). The fold removes no key, so a key
/// found committed (in flight or in the tree) stays, with that value,
/// until the cache is emptied (`Cache::clear` empties this too).
///
/// Why: a single append looked both up in sled on every claim, about half
/// of its checks' time, while the cache's worker was writing beside it.
/// Bounded by the sources and the metric-years recorded.
#[derive(Default)]
pub struct Known(Mutex<HashSet<Vec<u8>>>);

impl Known {
    fn contains(&self, key: &[u8]) -> bool {
        self.lock().contains(key)
    }
    fn insert(&self, key: &[u8]) {
        self.lock().insert(key.to_vec());
    }
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<Vec<u8>>> {
        // A set of keys cannot be left half-made by a panic.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An overlay's writes: `None` removes the key. Unordered: the fold only
/// looks keys up, and a large batch's overlay holds tens of thousands
/// (day versions, the claims later records end), where a B-tree's lookups
/// were a tenth of a bulk import's fold. Ordered when committed
/// (`into_pending`).
pub(crate) type Writes = foldhash::HashMap<Vec<u8>, Option<Vec<u8>>>;

/// Pending writes over the cache tree: reads see the writes made so far,
/// then those still being written by the cache's worker, then the tree.
pub struct Overlay {
    tree: sled::Tree,
    in_flight: Arc<InFlight>,
    known: Arc<Known>,
    pub(crate) pending: Writes,
    /// Set while filling an empty cache (project/bulk.rs): writes the fold
    /// never reads back go here instead of `pending`.
    pub(crate) spill: Option<Spill>,
    /// The `g/` keys of the claims added through this overlay that a later
    /// record may end (every one, or a bulk load's targets): their `c/`
    /// entries point at frames the log may not hold yet.
    added: foldhash::HashMap<Hash32, Vec<u8>>,
    /// The log, where a committed claim's `c/` entry points (none for a
    /// snapshot's replay, whose ended claims are all in `added`).
    frames: Option<Arc<Mutex<FrameReader>>>,
}

/// Where a bulk load's writes go: the entries of claims no record ends,
/// and the seq anchors, are written once and never read by the fold.
pub(crate) struct Spill {
    pub(crate) targets: Targets,
    pub(crate) out: Vec<(Vec<u8>, Vec<u8>)>,
    /// Targets already ended, with how (`ClaimStatus::name`): their
    /// entries went to the sort when they ended (`Overlay::put_ended`),
    /// and this is all that is kept of them, to refuse a second end as
    /// the entry would.
    ended: foldhash::HashMap<Hash32, &'static str>,
}

impl Spill {
    pub(crate) fn new(targets: Targets) -> Spill {
        Spill {
            targets,
            out: Vec::new(),
            ended: Default::default(),
        }
    }

    /// Whether a write of `key` is spilled. A claim's id key, which holds
    /// only the id's first bytes, goes with its `g/` key (`add_claim`).
    fn takes(&self, key: &[u8]) -> bool {
        if key.starts_with(keys::SEQ) {
            return true;
        }
        key.starts_with(keys::BY_SCOPE)
            && keys::trailing_id(key).is_some_and(|id| !self.targets.contains(&id))
    }
}

impl Overlay {
    pub(crate) fn new(
        tree: sled::Tree,
        in_flight: Arc<InFlight>,
        known: Arc<Known>,
        frames: Option<Arc<Mutex<FrameReader>>>,
    ) -> Self {
        Overlay {
            tree,
            in_flight,
            known,
            pending: Writes::default(),
            spill: None,
            added: Default::default(),
            frames,
        }
    }

    /// The `g/` key of claim `id`, if the ledger holds it: noted when this
    /// overlay added it, else read from its record, where one of the id
    /// keys under its first bytes points (or, without a log, the `g/` key
    /// that id key holds).
    pub(crate) fn claim_key(&self, id: &Hash32) -> Result<Option<Vec<u8>>, ProjectError> {
        if let Some(key) = self.added.get(id) {
            return Ok(Some(key.clone()));
        }
        if self.spill.as_ref().is_some_and(|s| !s.targets.contains(id)) {
            // As `get`: by construction the fold reads no spilled claim.
            return Err(ProjectError::Bulk(format!(
                "the fold looked up claim {}, which was spilled",
                id.short()
            )));
        }
        // Every claim added through this overlay is in `added`, so its
        // pending writes hold no id key to look at: the writer's and the
        // tree's do.
        let prefix = keys::claim_prefix(id);
        let mut found = self.in_flight.under(&prefix);
        for (k, v) in packed::id_keys_under(&self.tree, &prefix)? {
            found.entry(k).or_insert(Some(v));
        }
        for (key, value) in found {
            let Some(value) = value else { continue };
            let (found, key) = super::words::claim_of_id_key(self.frames.as_deref(), &key, &value)?;
            if found == *id {
                return Ok(Some(key));
            }
        }
        Ok(None)
    }

    /// Hands the note of claim `id`'s `g/` key, if this overlay added it,
    /// to `next`, the overlay that follows it in one batch: a batch that
    /// writes a part keeps its last frame in memory, so that claim cannot
    /// be read back from the log yet (a review found it refused).
    pub(crate) fn hand_over(&mut self, next: &mut Overlay, id: &Hash32) {
        if let Some(key) = self.added.remove(id) {
            next.added.insert(*id, key);
        }
    }

    /// What the id key holds for a claim whose `g/` key is `key` and whose
    /// record starts at `pos`: that position, or, for a cache with no log
    /// beside it (a snapshot's replay), the key itself.
    fn id_value(&self, key: &[u8], pos: Position) -> Vec<u8> {
        match self.frames {
            Some(_) => keys::position(pos),
            None => key.to_vec(),
        }
    }

    /// The writes in key order, as the cache's worker takes them.
    pub(crate) fn into_pending(self) -> Pending {
        self.pending.into_iter().collect()
    }

    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ProjectError> {
        if self.spill.as_ref().is_some_and(|s| s.takes(key)) {
            // By construction (bulk.rs's first pass) the fold reads no
            // spilled key; were it to, its answer would be wrong.
            return Err(ProjectError::Bulk(format!(
                "the fold read back {:?}, which was spilled",
                String::from_utf8_lossy(key)
            )));
        }
        if let Some(v) = self.pending.get(key) {
            return Ok(v.clone());
        }
        if let Some(v) = self.in_flight.get(key) {
            return Ok(v);
        }
        packed::get(&self.tree, key)
    }

    pub fn get_as<T: bincode::Decode<()>>(&self, key: &[u8]) -> Result<Option<T>, ProjectError> {
        self.get(key)?.map(|b| dec(key, &b)).transpose()
    }

    /// Whether `key` holds a value, without copying it. A key found
    /// committed is remembered (`Known`).
    pub fn has(&self, key: &[u8]) -> Result<bool, ProjectError> {
        if let Some(v) = self.pending.get(key) {
            return Ok(v.is_some());
        }
        if self.known.contains(key) {
            return Ok(true);
        }
        let found = self.get(key)?.is_some();
        if found {
            self.known.insert(key);
        }
        Ok(found)
    }

    /// `put` for the small keys the fold writes on most records (counts,
    /// day versions): a pending key is overwritten in place, not copied
    /// again.
    pub fn set(&mut self, key: &[u8], val: &[u8]) {
        // As `put`: a key a bulk load spills is never also pending.
        if let Some(spill) = self.spill.as_mut().filter(|s| s.takes(key)) {
            spill.out.push((key.to_vec(), val.to_vec()));
            return;
        }
        match self.pending.get_mut(key) {
            Some(Some(v)) => {
                v.clear();
                v.extend_from_slice(val);
            }
            Some(slot) => *slot = Some(val.to_vec()),
            None => {
                self.pending.insert(key.to_vec(), Some(val.to_vec()));
            }
        }
    }

    /// `set` of a key whose value is a function of the key alone (the
    /// `y/` list): once it is pending, there is nothing to build, and a
    /// value already in the cache is not written again (a single append
    /// then leaves sled's entry alone).
    pub fn set_derived(
        &mut self,
        key: &[u8],
        value: impl FnOnce() -> Vec<u8>,
    ) -> Result<(), ProjectError> {
        match self.pending.get(key) {
            Some(Some(_)) => return Ok(()),
            None if self.known.contains(key) => return Ok(()),
            // A key pending removal is not "already written": `get` sees
            // no value for it.
            _ => {}
        }
        let value = value();
        if self.get(key)?.as_deref() == Some(&value[..]) {
            self.known.insert(key);
        } else {
            self.set(key, &value);
        }
        Ok(())
    }

    /// How claim `id` was ended, if a bulk load ended it and wrote its
    /// entry out (`put_ended`).
    fn ended_in_bulk(&self, id: &Hash32) -> Option<&'static str> {
        self.spill.as_ref()?.ended.get(id).copied()
    }

    /// Writes `entry`, of claim `id`, under `key`, as a record has just
    /// ended it. A bulk load sends it, and the claim's id key,
    /// to the sort at once instead of keeping them until the end: a valid
    /// log ends a claim once, so the fold never reads them again. Kept
    /// until the end, the claims that a 3M-claim log ends held about 50 MB
    /// of a rebuild's replay (heaptrack: some 950 bytes a claim, docs/PERFORMANCE.md).
    fn put_ended(&mut self, id: &Hash32, entry: &ClaimEntry, key: Vec<u8>) {
        let Some(spill) = self.spill.as_mut() else {
            self.put(key, entry.to_value());
            return;
        };
        self.added.remove(id);
        self.pending.remove(&key);
        let id_key = keys::claim(id, entry.seq);
        if let Some(Some(pointer)) = self.pending.remove(&id_key) {
            spill.out.push((id_key, pointer));
        }
        spill.ended.insert(*id, entry.status.name());
        spill.out.push((key, entry.to_value()));
    }

    pub fn put(&mut self, key: Vec<u8>, val: Vec<u8>) {
        if let Some(spill) = self.spill.as_mut().filter(|s| s.takes(&key)) {
            spill.out.push((key, val));
            return;
        }
        self.pending.insert(key, Some(val));
    }

    pub fn del(&mut self, key: Vec<u8>) {
        self.pending.insert(key, None);
    }
}

fn semantic(seq: u64, reason: String) -> ProjectError {
    ProjectError::Semantic { seq, reason }
}

fn bump(kv: &mut Overlay, kind: &str) -> Result<(), ProjectError> {
    let key = keys::count(kind);
    let n = match kv.get(&key)? {
        Some(b) => {
            u64::from_be_bytes(
                b.as_slice()
                    .try_into()
                    .map_err(|_| ProjectError::BadValue {
                        key: kind.to_string(),
                        reason: "counter is not 8 bytes".into(),
                    })?,
            )
        }
        None => 0,
    };
    kv.set(&key, &(n + 1).to_be_bytes());
    Ok(())
}

fn require_source(kv: &Overlay, seq: u64, field: &str, id: &str) -> Result<(), ProjectError> {
    if !kv.has(&keys::source(id))? {
        return Err(semantic(
            seq,
            format!("{field}: source {id:?} is not registered (add it with `claimlog source add` or a source line first)"),
        ));
    }
    Ok(())
}

fn add_claim(
    kv: &mut Overlay,
    rec: &Record,
    id: Hash32,
    claim: &Claim,
    encoded: Option<ClaimBytes>,
    replaces: Option<Hash32>,
    pos: Position,
) -> Result<(), ProjectError> {
    require_source(kv, rec.seq, "source", claim.source.as_str())?;
    if let Some(c) = &claim.cites {
        require_source(kv, rec.seq, "cites", c.as_str())?;
    }
    // The entry lives under its scope-index key, so that totals read a key
    // range and nothing else, and a claim's twins are found by content in
    // it; the id key points to its record.
    if let Some(e) = &encoded {
        if let Some(b) = e.bytes {
            debug_assert_eq!(b, enc(claim), "ClaimBytes are not the claim's encoding");
        }
        debug_assert_eq!(e.content, claim_content_hash(claim));
    }
    let breakdown = claim.breakdown.to_string();
    let content = encoded.map_or_else(|| claim_content_hash(claim), |e| e.content);
    let at = keys::by_scope(
        claim.metric.as_str(),
        &breakdown,
        &claim.scope,
        &content,
        &id,
    );
    let spilled = kv.spill.as_ref().is_some_and(|s| !s.targets.contains(&id));
    if !spilled {
        kv.added.insert(id, at.clone());
    }
    touch_day(kv, claim.metric.as_str(), &claim.scope, &breakdown, rec.seq);
    for year in std::iter::once(None).chain(claim.scope.years().map(Some)) {
        kv.set_derived(&keys::year(claim.metric.as_str(), &breakdown, year), || {
            enc(&(&claim.metric, &claim.breakdown, year))
        })?;
    }
    let pointer = kv.id_value(&at, pos);
    let id_key = keys::claim(&id, rec.seq);
    match kv.spill.as_mut().filter(|_| spilled) {
        Some(spill) => spill.out.push((id_key, pointer)),
        None => kv.put(id_key, pointer),
    }
    let value = match encoded.and_then(|e| e.bytes) {
        Some(b) => {
            ClaimEntry::active_value_of_bytes(rec.seq, rec.recorded_at_ms, &replaces, pos, claim, b)
        }
        None => ClaimEntry::active_value(rec.seq, rec.recorded_at_ms, &replaces, pos, claim),
    };
    debug_assert_eq!(
        value,
        ClaimEntry::active_value(rec.seq, rec.recorded_at_ms, &replaces, pos, claim)
    );
    kv.put(at, value);
    Ok(())
}

/// Records that event `seq` changed what is known of the day of `claim`,
/// if it is about an event on one known day (keys::DAY_VERSION).
fn touch_day(kv: &mut Overlay, metric: &str, scope: &Scope, breakdown: &str, seq: u64) {
    if let Scope::Event {
        date: crate::model::FuzzyDate::Day(d),
        ..
    } = scope
    {
        kv.set(
            &keys::day_version(metric, breakdown, *d),
            &seq.to_be_bytes(),
        );
    }
}

/// Ends an active claim's life; returns its entry as it was.
fn end_claim(
    kv: &mut Overlay,
    seq: u64,
    id: &Hash32,
    status: ClaimStatus,
) -> Result<ClaimEntry, ProjectError> {
    let missing = || semantic(seq, format!("claim {} does not exist", id.short()));
    if let Some(how) = kv.ended_in_bulk(id) {
        return Err(semantic(
            seq,
            format!("claim {} is already {how}", id.short()),
        ));
    }
    let Some(key) = kv.claim_key(id)? else {
        return Err(missing());
    };
    let Some(value) = kv.get(&key)? else {
        return Err(missing());
    };
    let mut entry = ClaimEntry::from_value(&key, &value)?;
    if !entry.status.is_active() {
        return Err(semantic(
            seq,
            format!("claim {} is already {}", id.short(), entry.status.name()),
        ));
    }
    touch_day(
        kv,
        entry.claim.metric.as_str(),
        &entry.claim.scope,
        &entry.claim.breakdown.to_string(),
        seq,
    );
    let old = entry.clone();
    entry.status = status;
    kv.put_ended(id, &entry, key);
    Ok(old)
}

/// Applies record `rec`, whose hash is `hash`, found at `pos`; `claim`:
/// the bytes of the claim it adds, when the caller holds them.
pub fn apply(
    kv: &mut Overlay,
    rec: &Record,
    claim: Option<ClaimBytes>,
    hash: Hash32,
    pos: Position,
) -> Result<(), ProjectError> {
    let seq = rec.seq;
    if seq.is_multiple_of(keys::SEQ_STRIDE) {
        kv.put(
            keys::seq(seq),
            enc(&Location {
                segment: pos.segment,
                offset: pos.offset,
                hash,
                prev: rec.prev,
            }),
        );
    }
    bump(kv, rec.event.kind())?;
    match &rec.event {
        Event::Genesis(g) => {
            if kv.get(keys::GENESIS)?.is_some() {
                return Err(semantic(seq, "a second genesis event".into()));
            }
            kv.put(
                keys::GENESIS.to_vec(),
                enc(&GenesisEntry {
                    store_id: g.store_id,
                    origin: g.origin.clone(),
                }),
            );
        }
        Event::SourceRegistered(s) => {
            let key = keys::source(s.id.as_str());
            if kv.get(&key)?.is_some() {
                return Err(semantic(
                    seq,
                    format!("id: source {:?} is already registered", s.id.as_str()),
                ));
            }
            kv.put(
                key,
                enc(&SourceEntry {
                    source: s.clone(),
                    seq,
                }),
            );
        }
        Event::ClaimAdded(c) => add_claim(kv, rec, hash, c, claim, None, pos)?,
        Event::ClaimRetracted(r) => {
            end_claim(
                kv,
                seq,
                &r.claim,
                ClaimStatus::Retracted {
                    seq,
                    hash,
                    reason: r.reason.clone(),
                    recorded_at_ms: rec.recorded_at_ms,
                },
            )?;
        }
        Event::ClaimCorrected(c) => {
            end_claim(
                kv,
                seq,
                &c.old,
                ClaimStatus::Corrected {
                    seq,
                    by: hash,
                    reason: c.reason.clone(),
                    recorded_at_ms: rec.recorded_at_ms,
                },
            )?;
            add_claim(kv, rec, hash, &c.new, claim, Some(c.old), pos)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlay() -> Overlay {
        let db = sled::Config::new().temporary(true).open().unwrap();
        Overlay::new(
            db.open_tree("t").unwrap(),
            Arc::default(),
            Arc::default(),
            None,
        )
    }

    /// The content hash's context key is hashed once; the hash must stay
    /// blake3 derive_key(CLAIM_CONTENT_CONTEXT, bytes) (docs/FORMAT.md).
    #[test]
    fn content_hash_is_derive_key_of_the_claim_bytes() {
        for len in [0usize, 1, 200, 1024, 3000] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 253) as u8).collect();
            assert_eq!(
                content_of(&bytes).0,
                blake3::derive_key(CLAIM_CONTENT_CONTEXT, &bytes),
                "{len} bytes"
            );
        }
    }

    /// A key pending removal is written again by `set_derived`, as `put`
    /// would (a review: it counted as already written).
    #[test]
    fn set_derived_writes_a_key_pending_removal() {
        let mut kv = overlay();
        kv.del(b"y/m\0\0".to_vec());
        kv.set_derived(b"y/m\0\0", || b"v".to_vec()).unwrap();
        assert_eq!(kv.get(b"y/m\0\0").unwrap(), Some(b"v".to_vec()));
    }

    /// `set` of a key a bulk load spills goes to the spill, as `put` does:
    /// no key is both pending and spilled.
    #[test]
    fn set_of_a_spilled_key_goes_to_the_spill() {
        let mut kv = overlay();
        kv.spill = Some(Spill::new(Targets::default()));
        kv.set(&keys::seq(64), b"at");
        assert!(kv.pending.is_empty());
        let spill = kv.spill.as_ref().unwrap();
        assert_eq!(spill.out, vec![(keys::seq(64), b"at".to_vec())]);
    }
}
