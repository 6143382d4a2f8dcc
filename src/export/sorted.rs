//! Compact JSON with every object's keys in order: the text
//! `serde_json::to_string(&serde_json::to_value(v))` gives, written
//! without building the `Value`.
//!
//! Why: export writes each record's readable JSON that way (a `Value`'s
//! map sorts its keys), and verify-snapshot renders each record again to
//! compare it with the file. Building the `Value` (a `BTreeMap` and a
//! `String` per field) and then writing it was about a quarter of
//! export's time and a sixth of verify-snapshot's at 1M (perf, twenty-third
//! session). Here serde_json's own serializer and `CompactFormatter` write
//! every number, string and separator; this formatter only holds back the
//! members of the objects that are open, and writes each object's members
//! sorted by key when it closes (a later duplicate key replaces an earlier
//! one, as in a `Value`'s map).
//!
//! Where the two differ, none of which a record holds (integers, strings,
//! maps with slug keys): an `f32` (a `Value` widens it to `f64` first),
//! a `RawValue` (written as it is, its keys unsorted), and an integer past
//! the `u64` and `i64` range (written here; a `Value` refuses it).

use serde_json::ser::{CharEscape, CompactFormatter, Formatter};
use std::borrow::Cow;
use std::io::{self, Write};
use std::ops::Range;

/// The buffers a rendering reuses: kept by the caller between values so
/// that rendering one allocates nothing once they have grown.
#[derive(Default)]
pub struct SortScratch {
    /// The bytes of the objects still open, members as written.
    held: Vec<u8>,
    /// The objects still open, innermost last.
    open: Vec<Open>,
    members: Vec<Member>,
    /// One object's members in order, as it closes.
    out: Vec<u8>,
}

struct Open {
    /// Where the object's bytes start in `held`, its members in `members`.
    start: usize,
    first: usize,
    /// The key and the value of the member being written.
    key: Range<usize>,
    value_start: usize,
}

struct Member {
    /// The key as written, quotes included.
    key: Range<usize>,
    /// Whether the key holds an escape (then it is unescaped to be
    /// ordered; field names never do).
    escaped: bool,
    value: Range<usize>,
}

/// Writes `value` to `w` as compact JSON, every object's keys sorted.
pub fn write_sorted<T: serde::Serialize + ?Sized>(
    w: &mut Vec<u8>,
    value: &T,
    scratch: &mut SortScratch,
) -> serde_json::Result<()> {
    scratch.held.clear();
    scratch.open.clear();
    scratch.members.clear();
    let mut ser = serde_json::Serializer::with_formatter(w, SortedKeys(scratch));
    value.serialize(&mut ser)
}

struct SortedKeys<'a>(&'a mut SortScratch);

impl SortScratch {
    /// The object whose member is being written: serde_json calls the
    /// member hooks only inside one.
    fn innermost(&mut self) -> &mut Open {
        self.open
            .last_mut()
            .expect("a member is written inside an object")
    }

    /// Closes the innermost open object: its members, sorted, replace
    /// what was written of it.
    fn close(&mut self) -> Option<Vec<u8>> {
        let Open { start, first, .. } = self.open.pop()?;
        let held = &self.held;
        let members = &mut self.members[first..];
        // Stable: of members with one key, the last written stays last.
        members.sort_by(|a, b| a.order(held).cmp(&b.order(held)));
        self.out.clear();
        self.out.push(b'{');
        let mut written = 0;
        for (i, m) in members.iter().enumerate() {
            if members
                .get(i + 1)
                .is_some_and(|next| next.order(held) == m.order(held))
            {
                continue;
            }
            if written > 0 {
                self.out.push(b',');
            }
            self.out.extend_from_slice(&held[m.key.clone()]);
            self.out.push(b':');
            self.out.extend_from_slice(&held[m.value.clone()]);
            written += 1;
        }
        self.out.push(b'}');
        self.members.truncate(first);
        self.held.truncate(start);
        if self.open.is_empty() {
            return Some(std::mem::take(&mut self.out));
        }
        self.held.extend_from_slice(&self.out);
        None
    }
}

impl Member {
    /// The key's text as a `Value`'s map orders it: unescaped.
    fn order<'a>(&self, held: &'a [u8]) -> Cow<'a, [u8]> {
        let quoted = &held[self.key.clone()];
        let inner = &quoted[1..quoted.len() - 1];
        if !self.escaped {
            return Cow::Borrowed(inner);
        }
        match serde_json::from_slice::<String>(quoted) {
            Ok(s) => Cow::Owned(s.into_bytes()),
            // serde_json wrote it: it reads back.
            Err(_) => Cow::Borrowed(inner),
        }
    }
}

/// Every write that is not about an object's members goes to the open
/// objects' bytes, or, outside every object, straight to the writer.
macro_rules! pass {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {$(
        #[inline]
        fn $name<W: ?Sized + Write>(&mut self, writer: &mut W $(, $arg: $ty)*) -> io::Result<()> {
            if self.0.open.is_empty() {
                CompactFormatter.$name(writer $(, $arg)*)
            } else {
                CompactFormatter.$name(&mut self.0.held $(, $arg)*)
            }
        }
    )*};
}

impl Formatter for SortedKeys<'_> {
    pass! {
        write_null();
        write_bool(v: bool);
        write_i8(v: i8);
        write_i16(v: i16);
        write_i32(v: i32);
        write_i64(v: i64);
        write_i128(v: i128);
        write_u8(v: u8);
        write_u16(v: u16);
        write_u32(v: u32);
        write_u64(v: u64);
        write_u128(v: u128);
        write_f32(v: f32);
        write_f64(v: f64);
        write_number_str(v: &str);
        begin_string();
        end_string();
        write_string_fragment(v: &str);
        write_char_escape(v: CharEscape);
        write_byte_array(v: &[u8]);
        begin_array();
        end_array();
        begin_array_value(first: bool);
        end_array_value();
        write_raw_fragment(v: &str);
    }

    fn begin_object<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        let s = &mut *self.0;
        s.open.push(Open {
            start: s.held.len(),
            first: s.members.len(),
            key: 0..0,
            value_start: 0,
        });
        Ok(())
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, _: &mut W, _first: bool) -> io::Result<()> {
        let at = self.0.held.len();
        self.0.innermost().key.start = at;
        Ok(())
    }

    fn end_object_key<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        let at = self.0.held.len();
        self.0.innermost().key.end = at;
        Ok(())
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        let at = self.0.held.len();
        self.0.innermost().value_start = at;
        Ok(())
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        let s = &mut *self.0;
        let at = s.held.len();
        let o = s.innermost();
        let (key, value) = (o.key.clone(), o.value_start..at);
        let member = Member {
            escaped: s.held[key.clone()].contains(&b'\\'),
            key,
            value,
        };
        s.members.push(member);
        Ok(())
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        match self.0.close() {
            Some(done) => {
                let r = writer.write_all(&done);
                self.0.out = done;
                r
            }
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sorted(v: &impl serde::Serialize) -> String {
        let mut out = Vec::new();
        write_sorted(&mut out, v, &mut SortScratch::default()).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn via_value(v: &impl serde::Serialize) -> String {
        serde_json::to_string(&serde_json::to_value(v).unwrap()).unwrap()
    }

    #[derive(serde::Serialize)]
    struct Unsorted {
        zeta: u32,
        alpha: Option<&'static str>,
        #[serde(rename = "b\u{e9}ta")]
        beta: Vec<Inner>,
        map: std::collections::HashMap<i64, &'static str>,
        tagged: Tagged,
        bytes: serde_bytes_like::Bytes,
    }

    #[derive(serde::Serialize)]
    struct Inner {
        y: i64,
        x: (),
        #[serde(rename = "a\"q\\")]
        quoted: char,
    }

    #[derive(serde::Serialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Tagged {
        Struct { z: u8, a: u8 },
    }

    mod serde_bytes_like {
        pub struct Bytes(pub Vec<u8>);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
    }

    /// The text a `Value` would give, for structs, nested and tagged
    /// enums, maps with integer keys (sorted as text: "10" before "9"),
    /// escaped keys and values, unit and bytes.
    #[test]
    fn writes_what_a_value_writes() {
        let v = Unsorted {
            zeta: 7,
            alpha: Some("line\nbreak \u{1} \"q\" é"),
            beta: vec![
                Inner {
                    y: -1,
                    x: (),
                    quoted: '\u{7f}',
                },
                Inner {
                    y: i64::MIN,
                    x: (),
                    quoted: '"',
                },
            ],
            map: [(9, "nine"), (10, "ten"), (-3, "minus")]
                .into_iter()
                .collect(),
            tagged: Tagged::Struct { z: 1, a: 2 },
            bytes: serde_bytes_like::Bytes(vec![0, 255]),
        };
        assert_eq!(sorted(&v), via_value(&v));
        for v in [
            json!({}),
            json!([]),
            json!({"b": {"d": [], "c": {}}, "a": [{"z": 1, "y": null}]}),
            json!(["x", {"\\": 1, "\"": 2, "a": 3}]),
            json!(12),
        ] {
            assert_eq!(sorted(&v), via_value(&v));
        }
    }

    /// A key written twice keeps its last value, as a `Value`'s map does.
    #[test]
    fn a_repeated_key_keeps_its_last_value() {
        struct Twice;
        impl serde::Serialize for Twice {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("b", &1)?;
                m.serialize_entry("a", &2)?;
                m.serialize_entry("b", &3)?;
                m.end()
            }
        }
        assert_eq!(sorted(&Twice), r#"{"a":2,"b":3}"#);
        assert_eq!(sorted(&Twice), via_value(&Twice));
    }

    /// One scratch serves value after value.
    #[test]
    fn scratch_is_reused_between_values() {
        let mut scratch = SortScratch::default();
        for v in [
            json!({"b": 1, "a": {"d": 2, "c": 3}}),
            json!([{"y": 1, "x": 2}]),
        ] {
            let mut out = Vec::new();
            write_sorted(&mut out, &v, &mut scratch).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), via_value(&v));
        }
    }
}
