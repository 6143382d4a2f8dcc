//! Checking a record's bytes without building the record: what `verify`
//! asks of every record (does it decode, is it in canonical form, does
//! every field pass its rule; and its seq, prev and event tag), without
//! allocating its strings, moving the decoded record about or encoding
//! it again. Building each record was most of verify's time
//! (docs/PERFORMANCE.md, twenty-second session).
//!
//! It walks the layout of docs/FORMAT.md field by field, in the order
//! the derived decoders of types.rs and model/ read them, and accepts
//! exactly what `decode_record` accepts:
//! - every integer, tag and length is decoded by bincode and held to its
//!   one encoding where it stands (encoded again against its own bytes),
//!   so a wider varint than needed is refused as the re-encoding of the
//!   whole record refuses it;
//! - every string is borrowed from the bytes and put through its type's
//!   rule (`Slug::check`, ...), a breakdown through `Breakdown`'s, a
//!   claim through `Claim::check_rules`;
//! - the small values without strings of their own (quantity, scope,
//!   date, source kind) are decoded by their own decoders.
//!
//! bincode's limit (`MAX_RECORD_BYTES`) counts the nominal size of what it
//! decodes (8 bytes a u64, 48 a breakdown pair before its strings), not the
//! bytes read. No record that passes every rule reaches it: the largest
//! (every text at its limit in four-byte characters) is about 61 KB of
//! strings. `codec_checker_accepts_the_largest_record` pins that.
//!
//! A field added to a record type has to be added here too: the tests of
//! tests/log_engine/codec.rs (generated, random and mutated records, both
//! readers side by side) fail until it is.

use super::codec::{config, decode_record, CodecError, Compare, MAX_RECORD_BYTES};
use super::types::{Event, Record, FORMAT_VERSION};
use super::Hash32;
use crate::model::limits::MAX_BREAKDOWN;
use crate::model::{
    Claim, FuzzyDate, ModelError, Name, Origin, Quantity, Scope, Slug, SourceId, SourceKind, Text,
    Url,
};

/// What a checked record says of its place in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    pub seq: u64,
    pub prev: Hash32,
    /// Its event's tag: `Event::KINDS` names it.
    pub tag: u32,
}

impl Checked {
    /// What `check_record` says of a record already built.
    pub fn of(r: &Record) -> Checked {
        Checked {
            seq: r.seq,
            prev: r.prev,
            tag: r.event.tag(),
        }
    }

    pub fn kind(&self) -> &'static str {
        Event::KINDS[self.tag as usize]
    }
}

/// Whether `decode_record(bytes)` would accept the record, and if so its
/// seq, prev and event tag. A refusal carries `decode_record`'s own error,
/// so it reads the same whichever reader found it.
pub fn check_record(bytes: &[u8]) -> Result<Checked, CodecError> {
    if let Some(c) = walk(bytes) {
        return Ok(c);
    }
    // The rare path: a damaged record, or (a bug here) one the walk
    // refuses that the decoder takes. The decoder decides.
    let r = decode_record(bytes)?;
    debug_assert!(false, "check_record refused a record decode_record accepts");
    Ok(Checked::of(&r))
}

fn walk(bytes: &[u8]) -> Option<Checked> {
    if bytes.len() > MAX_RECORD_BYTES {
        return None;
    }
    let mut c = Cursor { rest: bytes };
    if c.varint()? != u64::from(FORMAT_VERSION) {
        return None;
    }
    let seq = c.value::<u64>()?;
    let prev = Hash32(c.raw(32)?.try_into().ok()?);
    c.value::<i64>()?; // recorded_at_ms
    c.maybe(Name::check)?; // recorded_by
    let tag = u32::try_from(c.varint()?).ok()?;
    match tag {
        Event::GENESIS_TAG => {
            c.raw(16)?; // store_id
            c.text(Origin::check)?;
        }
        Event::SOURCE_TAG => {
            c.text(SourceId::check)?;
            c.text(Name::check)?;
            c.value::<SourceKind>()?;
            c.maybe(Url::check)?; // homepage
        }
        Event::ADDED_TAG => claim(&mut c)?,
        Event::RETRACTED_TAG => {
            c.raw(32)?; // the claim's id
            c.text(Text::check)?; // reason
        }
        Event::CORRECTED_TAG => {
            c.raw(32)?; // the old claim's id
            claim(&mut c)?;
            c.text(Text::check)?; // reason
        }
        _ => return None,
    }
    c.rest.is_empty().then_some(Checked { seq, prev, tag })
}

/// `ClaimFields` in its field order, then `Claim`'s rules.
fn claim(c: &mut Cursor<'_>) -> Option<()> {
    c.text(Slug::check)?; // metric
    let pairs = c.varint()?;
    if pairs > MAX_BREAKDOWN as u64 {
        return None;
    }
    let mut last_key: Option<&str> = None;
    for _ in 0..pairs {
        let key = c.text(Slug::check)?;
        c.text(Slug::check)?;
        // Strictly ascending keys: sorted, none twice (Breakdown's rule).
        if last_key.is_some_and(|k| k >= key) {
            return None;
        }
        last_key = Some(key);
    }
    let quantity = c.value::<Quantity>()?;
    let scope = c.value::<Scope>()?;
    c.text(SourceId::check)?; // source
    c.maybe(Name::check)?; // speaker
    c.maybe(SourceId::check)?; // cites
    c.maybe(Url::check)?; // url
    let published = c.value::<FuzzyDate>()?;
    c.text(Text::check)?; // quote
    c.maybe(Text::check)?; // note
    Claim::check_rules(&quantity, &scope, published).ok()
}

struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    /// A value bincode decodes, held to its one encoding.
    fn value<T: bincode::Decode<()> + bincode::Encode>(&mut self) -> Option<T> {
        let (v, used): (T, usize) = bincode::decode_from_slice(self.rest, config()).ok()?;
        let mut same = Compare {
            expected: &self.rest[..used],
            at: 0,
        };
        bincode::encode_into_writer(&v, &mut same, config()).ok()?;
        if same.at != used {
            return None;
        }
        self.rest = &self.rest[used..];
        Some(v)
    }

    /// A varint (a length, a tag, the format), taking the one-byte form
    /// (below 251: the value itself, FORMAT.md) without bincode: most
    /// are that small.
    fn varint(&mut self) -> Option<u64> {
        match self.rest.split_first() {
            Some((&b, rest)) if b < 251 => {
                self.rest = rest;
                Some(u64::from(b))
            }
            _ => self.value::<u64>(),
        }
    }

    fn raw(&mut self, n: usize) -> Option<&'a [u8]> {
        let (taken, rest) = self.rest.split_at_checked(n)?;
        self.rest = rest;
        Some(taken)
    }

    /// A string (varint byte length, UTF-8 bytes) that passes `rule`.
    fn text(&mut self, rule: fn(&str) -> Result<(), ModelError>) -> Option<&'a str> {
        let len = usize::try_from(self.varint()?).ok()?;
        let s = std::str::from_utf8(self.raw(len)?).ok()?;
        rule(s).ok()?;
        Some(s)
    }

    /// An `Option` of such a string: one byte, 0 or 1, then the string.
    fn maybe(&mut self, rule: fn(&str) -> Result<(), ModelError>) -> Option<()> {
        match self.raw(1)? {
            [0] => Some(()),
            [1] => self.text(rule).map(drop),
            _ => None,
        }
    }
}
