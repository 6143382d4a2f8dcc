//! The JSON shape of an import line, and its parsing into validated types.
//! `ImportLine` is what schemas/import-line.schema.json is generated from.

use crate::model::{Claim, ClaimFields, Source, Text};
use schemars::JsonSchema;
use serde::Deserialize;

/// Which claim a retraction or correction is about: a claim id (or a unique
/// prefix of at least 4 hex digits) already in the store, or the line number
/// of a claim earlier in the same file.
#[derive(
    Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema, bincode::Encode, bincode::Decode,
)]
#[serde(deny_unknown_fields)]
pub struct Target {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetractLine {
    #[serde(flatten)]
    pub target: Target,
    pub reason: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectLine {
    #[serde(flatten)]
    pub target: Target,
    pub reason: Text,
    /// The claim as it should have been recorded.
    pub new: ClaimFields,
}

/// One line of an import file.
#[derive(Debug, Clone, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ImportLine {
    /// Registers a source.
    Source(Source),
    /// Records a claim.
    Claim(ClaimFields),
    /// Withdraws a claim.
    Retract(RetractLine),
    /// Replaces a claim with a corrected one.
    Correct(CorrectLine),
}

/// A parsed line: claims already validated across fields. Its bincode
/// form is an import's spool (spool.rs); decoding it validates again.
#[derive(Debug, Clone, bincode::Encode, bincode::Decode)]
pub enum Parsed {
    Source(Source),
    Claim(Claim),
    Retract {
        target: Target,
        reason: Text,
    },
    Correct {
        target: Target,
        reason: Text,
        new: Claim,
    },
}

fn from_value<T: serde::de::DeserializeOwned>(
    v: serde_json::Value,
    prefix: &str,
) -> Result<T, String> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let inner = strip_position(&inner);
        match (prefix, path.as_str()) {
            ("", ".") => inner,
            ("", p) => format!("{p}: {inner}"),
            (pre, ".") => format!("{pre}: {inner}"),
            (pre, p) => format!("{pre}.{p}: {inner}"),
        }
    })
}

/// `T` from the JSON object `line`, whose top-level "type" key is skipped.
fn from_line<T: serde::de::DeserializeOwned>(line: &str) -> Result<T, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(line);
    let v = T::deserialize(skip_type::SkipType(&mut de))?;
    de.end()?;
    Ok(v)
}

/// serde_json appends " at line 1 column N" to errors from a Value; that
/// position is meaningless here.
fn strip_position(s: &str) -> String {
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s.to_string(),
    }
}

fn check_target(t: &Target) -> Result<(), String> {
    match (&t.claim, t.line) {
        (Some(_), None) | (None, Some(_)) => Ok(()),
        _ => Err(
            "give exactly one of \"claim\" (an id) or \"line\" (a line number in this file)".into(),
        ),
    }
}

fn claim(fields: ClaimFields, prefix: &str) -> Result<Claim, String> {
    Claim::new(fields).map_err(|e| {
        if prefix.is_empty() {
            e.to_string()
        } else {
            format!("{prefix}.{e}")
        }
    })
}

/// The "type" of a line, read without building anything else.
#[derive(serde::Deserialize)]
struct Peek<'a> {
    #[serde(rename = "type", borrow)]
    ty: Option<std::borrow::Cow<'a, str>>,
}

/// Parses one line of an import file.
///
/// Most lines take the fast route: a pass that reads only `"type"`, then
/// one straight into the typed line (no `serde_json::Value` in between;
/// an import parses every line twice, so this is a large share of its
/// time). Whatever that route does not accept, the reference route
/// through a `Value` decides, so what is accepted (a key given twice: the
/// last one counts) and every error message stay as they were.
pub fn parse_line(line: &str) -> Result<Parsed, String> {
    match fast(line) {
        Some(parsed) => Ok(parsed),
        None => via_value(line),
    }
}

/// The fast route: `None` for anything it does not accept.
fn fast(line: &str) -> Option<Parsed> {
    let peek: Peek = serde_json::from_str(line).ok()?;
    typed(&peek.ty?, LineText(line)).ok()
}

/// The reference route, through a `serde_json::Value`.
fn via_value(line: &str) -> Result<Parsed, String> {
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let serde_json::Value::Object(mut obj) = v else {
        return Err("a line must be a JSON object".into());
    };
    let ty = match obj.remove("type") {
        Some(serde_json::Value::String(s)) => s,
        Some(_) => return Err("type: must be a string".into()),
        None => {
            return Err(
                "type: missing (one of \"source\", \"claim\", \"retract\", \"correct\")".into(),
            )
        }
    };
    typed(&ty, serde_json::Value::Object(obj))
}

/// What a line of type `ty` holds, read as the typed line from `fields`
/// (the line's other keys): one set of rules for both routes.
fn typed(ty: &str, fields: impl Fields) -> Result<Parsed, String> {
    match ty {
        "source" => Ok(Parsed::Source(fields.read()?)),
        "claim" => Ok(Parsed::Claim(claim(fields.read()?, "")?)),
        "retract" => {
            let r: RetractLine = fields.read()?;
            check_target(&r.target)?;
            Ok(Parsed::Retract {
                target: r.target,
                reason: r.reason,
            })
        }
        "correct" => {
            let c: CorrectLine = fields.read()?;
            check_target(&c.target)?;
            Ok(Parsed::Correct {
                target: c.target,
                reason: c.reason,
                new: claim(c.new, "new")?,
            })
        }
        other => Err(format!(
            "type: unknown type {other:?} (one of \"source\", \"claim\", \"retract\", \"correct\")"
        )),
    }
}

/// A line's fields, as the two routes hold them.
trait Fields {
    fn read<T: serde::de::DeserializeOwned>(self) -> Result<T, String>;
}

/// The line's text, its top-level "type" key skipped (the fast route: its
/// errors are never shown, the reference route words them).
struct LineText<'a>(&'a str);

impl Fields for LineText<'_> {
    fn read<T: serde::de::DeserializeOwned>(self) -> Result<T, String> {
        from_line(self.0).map_err(|e| e.to_string())
    }
}

impl Fields for serde_json::Value {
    fn read<T: serde::de::DeserializeOwned>(self) -> Result<T, String> {
        from_value(self, "")
    }
}

/// Parses a claim given as JSON fields (the CLI builds one from its flags).
pub fn parse_claim_value(v: serde_json::Value) -> Result<Claim, String> {
    claim(from_value(v, "")?, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast route accepts a line only as the reference route reads it,
    /// and leaves every other line, and so every error, to it (a review
    /// found duplicate keys refused and errors reworded when the fast
    /// route answered alone).
    #[test]
    fn the_fast_route_agrees_with_the_reference_route() {
        let claim = r#""metric":"people_returned","quantity":{"exact":189},"scope":{"kind":"event","date":"2024-01-31"},"source":"rubryka","quote":"189 came home""#;
        let mut lines: Vec<String> = include_str!("../../tests/data/conflicts.jsonl")
            .lines()
            .map(String::from)
            .collect();
        lines.extend(
            [
                format!(r#"{{"type":"claim",{claim}}}"#),
                format!(r#"  {{{claim},"type":"claim"}}"#),
                format!(r#"{{"typ\u0065":"claim",{claim}}}"#),
                format!(r#"{{"type":"claim","type":"claim",{claim}}}"#),
                format!(r#"{{"type":"source","type":"claim",{claim}}}"#),
                format!(r#"{{"type":"claim",{claim},"quote":"again"}}"#),
                format!(r#"{{"type":"claim",{claim},"extra":1}}"#),
                format!(r#"{{"type":"claim",{claim}}} x"#),
                format!(r#"{{"type":"claim",{claim},"note":"\ud800"}}"#),
                format!(r#"{{"type":null,{claim}}}"#),
                format!(r#"{{"type":5,{claim}}}"#),
                format!(r#"{{"type":"nope",{claim}}}"#),
                r#"{"type":"claim","metric":"people_returned","quantity":{"exact":189,"exact":190},"scope":{"kind":"event","date":"2024-01-31"},"source":"s","quote":"q"}"#.into(),
                r#"{"type":"retract","claim":"77d9","claim":"88aa","reason":"dup"}"#.into(),
                r#"{"type":"retract","line":2,"claim":"88aa","reason":"both"}"#.into(),
                r#"{"type":"correct","line":2,"reason":"r","new":{"metric":"x","quantity":{"exact":1},"scope":{"kind":"event","date":"2024-13-01"},"source":"s","quote":"q"}}"#.into(),
                r#"{"type":"source","id":"a","kind":"media","name":"A","id":"b"}"#.into(),
                r#"[1,2]"#.into(),
                r#"{"metric": "#.into(),
                "".into(),
            ],
        );
        for line in &lines {
            let fast = format!("{:?}", parse_line(line));
            let reference = format!("{:?}", via_value(line));
            assert_eq!(fast, reference, "{line}");
        }
        assert!(lines.iter().filter(|l| fast(l).is_some()).count() >= 3);
    }
}

/// A deserializer over a JSON object that hides its top-level "type" key
/// (which chose the type being read) from that type's own fields.
mod skip_type {
    use serde::de::{self, DeserializeSeed, IgnoredAny, IntoDeserializer, MapAccess, Visitor};
    use std::borrow::Cow;

    pub struct SkipType<D>(pub D);

    impl<'de, D: de::Deserializer<'de>> de::Deserializer<'de> for SkipType<D> {
        type Error = D::Error;

        fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.0.deserialize_map(Wrap(v))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map struct enum identifier ignored_any
        }
    }

    struct Wrap<V>(V);

    impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
        type Value = V::Value;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            self.0.expecting(f)
        }

        fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<V::Value, M::Error> {
            self.0.visit_map(SkipMap(map))
        }
    }

    struct SkipMap<M>(M);

    impl<'de, M: MapAccess<'de>> MapAccess<'de> for SkipMap<M> {
        type Error = M::Error;

        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, M::Error> {
            loop {
                match self.0.next_key_seed(Key)? {
                    None => return Ok(None),
                    Some(k) if k == "type" => {
                        self.0.next_value::<IgnoredAny>()?;
                    }
                    Some(k) => return seed.deserialize(k.into_deserializer()).map(Some),
                }
            }
        }

        fn next_value_seed<S: DeserializeSeed<'de>>(
            &mut self,
            seed: S,
        ) -> Result<S::Value, M::Error> {
            self.0.next_value_seed(seed)
        }
    }

    /// A key, borrowed from the line when it has no escapes.
    struct Key;

    impl<'de> DeserializeSeed<'de> for Key {
        type Value = Cow<'de, str>;

        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
    }

    impl<'de> Visitor<'de> for Key {
        type Value = Cow<'de, str>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a key")
        }

        fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
            Ok(Cow::Borrowed(s))
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            Ok(Cow::Owned(s.to_owned()))
        }
    }
}
