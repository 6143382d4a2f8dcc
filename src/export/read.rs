//! Reading a snapshot field by field, with its events streamed one at a
//! time, so verifying or restoring a large snapshot needs constant memory.

use crate::event::Hash32;
use serde_json::value::RawValue;
use std::io::Read;

/// An event as read: a `SnapshotEvent` whose readable record is kept as
/// the JSON text it was written as, not parsed into a `Value`. The checker
/// compares that text with the record's own rendering, and parses it only
/// when they differ (export/check.rs).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadEvent {
    pub seq: u64,
    pub hash: Hash32,
    pub bytes: String,
    pub record: Box<RawValue>,
}

/// Receives a snapshot's parts in file order. Returning Err stops reading.
pub trait SnapshotHandler {
    fn field(&mut self, name: &str, value: serde_json::Value) -> Result<(), String>;
    fn event(&mut self, e: ReadEvent) -> Result<(), String>;
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

/// serde_json's message without its line and column.
fn message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rsplit_once(" at line ") {
        Some((m, _)) => m.to_string(),
        None => text,
    }
}

/// Where in `slice` serde_json stopped with `e` (its line and column).
fn at(e: &serde_json::Error, slice: &[u8]) -> usize {
    let line_start = (1..e.line()).fold(0, |at, _| {
        slice[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(slice.len(), |p| at + p + 1)
    });
    line_start + e.column().saturating_sub(1)
}

/// How much of the file is read at a time. A value larger than this (a
/// long list of totals) grows the window until it fits.
const WINDOW: usize = 1 << 18;

/// Streams a snapshot from `r` into `h`. Errors name the byte offset in
/// the file where serde_json stopped.
pub fn read_snapshot(r: impl Read, h: &mut impl SnapshotHandler) -> Result<(), String> {
    Stream::new(r, WINDOW).snapshot(h)
}

/// The snapshot's file read a window at a time, each JSON value in it
/// parsed by serde_json from a slice of the window. serde_json reading
/// from an `io::Read` takes each byte through a call of its own, which
/// made parsing most of verify-snapshot's time; from a slice it scans.
/// This type reads only the punctuation of the two levels that stream
/// (the snapshot object's members, the elements of `events` and
/// `totals`); every member and element is serde_json's.
struct Stream<R> {
    r: R,
    buf: Vec<u8>,
    /// The next unread byte of `buf`.
    pos: usize,
    /// Where `buf` starts in the file.
    base: u64,
    eof: bool,
    window: usize,
}

impl<R: Read> Stream<R> {
    fn new(r: R, window: usize) -> Self {
        Stream {
            r,
            buf: Vec::new(),
            pos: 0,
            base: 0,
            eof: false,
            window,
        }
    }

    /// Reads more of the file after what `buf` holds, dropping what was
    /// consumed: a window's worth, or as much again as is held, so that a
    /// value larger than the window is parsed again only each time the
    /// bytes held have doubled. Reads until that much is in or the file
    /// ends (a pipe gives 64 KiB a read). False at the end of the file.
    fn fill(&mut self) -> Result<bool, String> {
        if self.eof {
            return Ok(false);
        }
        self.buf.drain(..self.pos);
        self.base += self.pos as u64;
        self.pos = 0;
        let held = self.buf.len();
        let want = self.window.max(held);
        // What a large value grew the buffer to goes back once it is read
        // (not on every fill: a buffer reallocated each time was freed
        // and taken again, 256 KiB at a time).
        if self.buf.capacity() > 2 * (held + want) {
            self.buf.shrink_to(held + want);
        }
        let n = (&mut self.r)
            .take(want as u64)
            .read_to_end(&mut self.buf)
            .map_err(|e| format!("reading the snapshot: {e}"))?;
        self.eof = n < want;
        Ok(n > 0)
    }

    /// The next byte that is not JSON whitespace, left unread.
    fn peek(&mut self) -> Result<Option<u8>, String> {
        loop {
            while let Some(&b) = self.buf.get(self.pos) {
                if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                    return Ok(Some(b));
                }
                self.pos += 1;
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// One of `allowed` (after whitespace), which it returns.
    fn punct(&mut self, allowed: &[u8], what: &str) -> Result<u8, String> {
        match self.peek()? {
            Some(b) if allowed.contains(&b) => {
                self.pos += 1;
                Ok(b)
            }
            Some(b) => Err(format!(
                "expected {what} at byte {}, found {:?}",
                self.base + self.pos as u64,
                char::from(b)
            )),
            None => Err(format!("expected {what}, found the end of the file")),
        }
    }

    /// The next JSON value, as a `T`. A value is parsed again with more
    /// of the file when the window ends inside it or right after it (a
    /// number there may go on): when serde_json stops at the window's end,
    /// with its EOF error or any other (skipping a value, it calls a lone
    /// `-` at the end of its input an invalid number).
    fn value<T: serde::de::DeserializeOwned>(&mut self) -> Result<T, String> {
        self.peek()?;
        loop {
            let slice = &self.buf[self.pos..];
            let mut values = serde_json::Deserializer::from_slice(slice).into_iter::<T>();
            let parsed = values.next();
            let used = values.byte_offset();
            match parsed {
                Some(Ok(v)) if used < slice.len() || self.eof => {
                    self.pos += used;
                    return Ok(v);
                }
                Some(Err(e)) if self.eof || !(e.is_eof() || at(&e, slice) + 1 >= slice.len()) => {
                    return Err(format!(
                        "{} at byte {}",
                        message(&e),
                        self.base + (self.pos + at(&e, slice)) as u64
                    ));
                }
                None if self.eof => {
                    return Err("expected a value, found the end of the file".into())
                }
                _ => {}
            }
            self.fill()?;
        }
    }

    fn snapshot(&mut self, h: &mut impl SnapshotHandler) -> Result<(), String> {
        self.punct(b"{", "a claimlog snapshot object")?;
        let mut seen = std::collections::BTreeSet::new();
        let mut end = self.peek()? == Some(b'}');
        if end {
            self.pos += 1;
        }
        while !end {
            let key: String = self.value()?;
            if !seen.insert(key.clone()) {
                return Err(format!("field {key:?} appears twice"));
            }
            self.punct(b":", "':'")?;
            if key == "events" {
                self.events(h)?;
            } else if key == "totals" && h.streams_totals() {
                self.totals(h)?;
            } else {
                let v: serde_json::Value = self.value()?;
                h.field(&key, v)?;
            }
            end = self.punct(b",}", "',' or '}'")? == b'}';
        }
        match self.peek()? {
            None => Ok(()),
            Some(_) => Err(format!(
                "after the snapshot object: trailing characters at byte {}",
                self.base + self.pos as u64
            )),
        }
    }

    /// The elements of an array, each handed to `f` with its index.
    fn elements(
        &mut self,
        what: &str,
        mut f: impl FnMut(&mut Self, u64) -> Result<(), String>,
    ) -> Result<(), String> {
        self.punct(b"[", what)?;
        if self.peek()? == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        let mut i = 0;
        loop {
            f(self, i)?;
            i += 1;
            if self.punct(b",]", "',' or ']'")? == b']' {
                return Ok(());
            }
        }
    }

    fn events(&mut self, h: &mut impl SnapshotHandler) -> Result<(), String> {
        let at = |i: u64| move |e: String| format!("events[{i}]: {e}");
        if h.bytes_only() {
            self.elements("events: an array of events", |s, i| {
                let e: EventBytes = s.value().map_err(at(i))?;
                h.event_bytes(e.bytes)
            })
        } else {
            self.elements("events: an array of events", |s, i| {
                let e: ReadEvent = s.value().map_err(at(i))?;
                h.event(e)
            })
        }
    }

    fn totals(&mut self, h: &mut impl SnapshotHandler) -> Result<(), String> {
        self.elements("totals: an array", |s, _| h.total(s.value()?))?;
        h.totals_end()
    }
}

/// Streams a JSONL dump (one `SnapshotEvent` a line) into `h`.
pub fn read_jsonl(r: impl Read, h: &mut impl SnapshotHandler) -> Result<(), String> {
    use std::io::BufRead;
    let reader = std::io::BufReader::with_capacity(1 << 16, r);
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("line {}: {e}", i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let e: ReadEvent =
            serde_json::from_str(&line).map_err(|e| format!("line {}: {e}", i + 1))?;
        h.event(e)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every call a reader makes, as text.
    #[derive(Default)]
    struct Log {
        calls: Vec<String>,
        bytes_only: bool,
    }

    impl SnapshotHandler for Log {
        fn field(&mut self, name: &str, value: serde_json::Value) -> Result<(), String> {
            self.calls.push(format!("field {name} {value}"));
            Ok(())
        }
        fn event(&mut self, e: ReadEvent) -> Result<(), String> {
            let record = e.record.get();
            self.calls
                .push(format!("event {} {} {} {record}", e.seq, e.hash, e.bytes));
            Ok(())
        }
        fn streams_totals(&self) -> bool {
            self.calls.iter().any(|c| c.starts_with("event"))
        }
        fn total(&mut self, value: serde_json::Value) -> Result<(), String> {
            self.calls.push(format!("total {value}"));
            Ok(())
        }
        fn totals_end(&mut self) -> Result<(), String> {
            self.calls.push("totals end".into());
            Ok(())
        }
        fn bytes_only(&self) -> bool {
            self.bytes_only
        }
        fn event_bytes(&mut self, bytes: String) -> Result<(), String> {
            self.calls.push(format!("bytes {bytes}"));
            Ok(())
        }
    }

    fn read(
        text: impl AsRef<[u8]>,
        window: usize,
        bytes_only: bool,
    ) -> (Vec<String>, Result<(), String>) {
        let mut log = Log {
            bytes_only,
            ..Log::default()
        };
        let res = Stream::new(text.as_ref(), window).snapshot(&mut log);
        (log.calls, res)
    }

    const HASH: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    /// Numbers at the ends of members and elements (where a window may cut
    /// one short), every kind of JSON whitespace, escapes and non-ASCII in
    /// strings, nested values, empty arrays.
    fn sample() -> String {
        let event = |seq: u32, pad: &str| {
            format!(
                "{{\"seq\":{seq},{pad}\"hash\":\"{HASH}\",\"bytes\":\"QUJD{seq}\",\
                 \"record\":{{\"n\": [1, -22, 333, -4.5e+6, 0.25E-1, -0],\"s\":\"a \\\"quoted\\\" \\u00e9 — x\",\"z\":12345}}}}"
            )
        };
        format!(
            " {{\"format\" :\t1,\r\n\"tree_size\":1234567\r ,\"sources\":[],\n\"events\": [ {} ,\n{},{}\n],\
             \"totals\":[{{\"a\":1}}, {{\"b\":[2.5,\"\\\\\"]}}],\"root\":\"{HASH}\",\"last\":98765}}\n\t",
            event(0, ""),
            event(1, "\n   "),
            event(22, "\t")
        )
    }

    #[test]
    fn a_snapshot_reads_the_same_through_any_window() {
        let text = sample();
        for bytes_only in [false, true] {
            let (want, res) = read(&text, WINDOW, bytes_only);
            res.unwrap();
            assert_eq!(want.len(), if bytes_only { 9 } else { 11 }, "{want:#?}");
            for window in 1..=200 {
                let (got, res) = read(&text, window, bytes_only);
                assert_eq!(res, Ok(()), "window {window}");
                assert_eq!(got, want, "window {window}");
            }
        }
    }

    /// Cut anywhere, the snapshot is refused (never taken for a shorter
    /// one); the error is the same whatever the window, and names a byte.
    #[test]
    fn every_prefix_and_every_malformed_file_is_refused_alike_through_any_window() {
        let text = sample();
        let end = text.trim_end().len();
        // Cut at every byte, inside characters too.
        let mut bad: Vec<Vec<u8>> = (0..end).map(|n| text.as_bytes()[..n].to_vec()).collect();
        bad.extend(
            [
                text.replacen("\"format\" :", "\"format\" ", 1),
                text.replacen("],\"totals\"", "],,\"totals\"", 1),
                text.replacen("\"last\":98765}", "\"last\":98765,}", 1),
                text.replacen("\"last\"", "\"format\"", 1),
                text.replacen("\"z\":12345", "\"z\":12345x", 1),
                text.replacen("\"seq\":1,", "\"seq\":1,\"extra\":0,", 1),
                format!("{text}{{}}"),
                "[]".to_string(),
            ]
            .map(String::into_bytes),
        );
        for b in &bad {
            let (_, want) = read(b, WINDOW, false);
            let want = want.expect_err(&String::from_utf8_lossy(b));
            for window in [1, 3, 8, 64] {
                let (_, got) = read(b, window, false);
                assert_eq!(
                    got,
                    Err(want.clone()),
                    "window {window}: {}",
                    String::from_utf8_lossy(b)
                );
            }
        }
        let (_, res) = read(
            text.replacen("\"seq\":1,", "\"seq\":1,\"extra\":0,", 1),
            5,
            false,
        );
        let e = res.unwrap_err();
        assert!(e.starts_with("events[1]: unknown field `extra`"), "{e}");
        let at: u64 = e.rsplit_once("at byte ").unwrap().1.parse().unwrap();
        let extra = text.find("\"seq\":1,").unwrap() + "\"seq\":1,".len();
        assert!((extra..extra + 10).contains(&(at as usize)), "{e}: {extra}");
    }
}
