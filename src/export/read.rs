//! Reading a snapshot field by field, with its events streamed one at a
//! time, so verifying or restoring a large snapshot needs constant memory.

use super::types::SnapshotEvent;
use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use std::io::Read;

/// Receives a snapshot's parts in file order. Returning Err stops reading.
pub trait SnapshotHandler {
    fn field(&mut self, name: &str, value: serde_json::Value) -> Result<(), String>;
    fn event(&mut self, e: SnapshotEvent) -> Result<(), String>;
    /// Whether the `totals` member, when it is read now, goes element by
    /// element to `total` and then `totals_end` instead of whole to
    /// `field` (it holds a figure per day and metric: tens of MB as a
    /// `serde_json::Value`).
    fn streams_totals(&self) -> bool {
        false
    }
    fn total(&mut self, _value: serde_json::Value) -> Result<(), String> {
        Ok(())
    }
    fn totals_end(&mut self) -> Result<(), String> {
        Ok(())
    }
    /// Whether the handler reads only each event's record bytes: the
    /// reader then gives them to `event_bytes` and skips the rest of each
    /// event (its `record` JSON above all) without building it.
    fn bytes_only(&self) -> bool {
        false
    }
    fn event_bytes(&mut self, _bytes: String) -> Result<(), String> {
        Ok(())
    }
}

/// An event of which only the record bytes are wanted (`bytes_only`).
#[derive(serde::Deserialize)]
struct EventBytes {
    bytes: String,
}

struct Top<'a, H>(&'a mut H);
struct Events<'a, H>(&'a mut H);
struct Totals<'a, H>(&'a mut H);

impl<'de, H: SnapshotHandler> Visitor<'de> for Top<'_, H> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a claimlog snapshot object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(A::Error::custom(format!("field {key:?} appears twice")));
            }
            if key == "events" {
                map.next_value_seed(Events(&mut *self.0))?;
            } else if key == "totals" && self.0.streams_totals() {
                map.next_value_seed(Totals(&mut *self.0))?;
            } else {
                let v: serde_json::Value = map.next_value()?;
                self.0.field(&key, v).map_err(A::Error::custom)?;
            }
        }
        Ok(())
    }
}

impl<'de, H: SnapshotHandler> DeserializeSeed<'de> for Events<'_, H> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, H: SnapshotHandler> Visitor<'de> for Events<'_, H> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of events")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.0.bytes_only() {
            each_event(&mut seq, |e: EventBytes| self.0.event_bytes(e.bytes))
        } else {
            each_event(&mut seq, |e: SnapshotEvent| self.0.event(e))
        }
    }
}

/// Reads the events of `seq` as `T`s, each handed to `f`; a bad one is
/// named by its index.
fn each_event<'de, A: SeqAccess<'de>, T: serde::Deserialize<'de>>(
    seq: &mut A,
    mut f: impl FnMut(T) -> Result<(), String>,
) -> Result<(), A::Error> {
    let mut i = 0u64;
    while let Some(e) = seq
        .next_element::<T>()
        .map_err(|e| A::Error::custom(format!("events[{i}]: {e}")))?
    {
        f(e).map_err(A::Error::custom)?;
        i += 1;
    }
    Ok(())
}

impl<'de, H: SnapshotHandler> DeserializeSeed<'de> for Totals<'_, H> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, H: SnapshotHandler> Visitor<'de> for Totals<'_, H> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("totals: an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<serde_json::Value>()? {
            self.0.total(v).map_err(A::Error::custom)?;
        }
        self.0.totals_end().map_err(A::Error::custom)
    }
}

/// Streams a snapshot from `r` into `h`. Errors carry serde_json's position.
pub fn read_snapshot(r: impl Read, h: &mut impl SnapshotHandler) -> Result<(), String> {
    let mut de =
        serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 16, r));
    de.deserialize_map(Top(h)).map_err(|e| e.to_string())?;
    de.end()
        .map_err(|e| format!("after the snapshot object: {e}"))
}

/// Streams a JSONL dump (one SnapshotEvent a line) into `h`.
pub fn read_jsonl(r: impl Read, h: &mut impl SnapshotHandler) -> Result<(), String> {
    use std::io::BufRead;
    let reader = std::io::BufReader::with_capacity(1 << 16, r);
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("line {}: {e}", i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let e: SnapshotEvent =
            serde_json::from_str(&line).map_err(|e| format!("line {}: {e}", i + 1))?;
        h.event(e)?;
    }
    Ok(())
}

use serde::Deserializer as _;
