//! The JSON shape of an import line, and its parsing into validated types.
//! `ImportLine` is what schemas/import-line.schema.json is generated from.

use crate::model::{Claim, ClaimFields, Source, Text};
use schemars::JsonSchema;
use serde::Deserialize;

/// Which claim a retraction or correction is about: a claim id (or a unique
/// prefix of at least 4 hex digits) already in the store, or the line number
/// of a claim earlier in the same file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
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

/// A parsed line: claims already validated across fields.
#[derive(Debug, Clone)]
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
    serde_path_to_error::deserialize(v).map_err(|e| path_error(e, prefix))
}

/// An error at a field path, as "path: reason" (under `prefix`, if any).
fn path_error(e: serde_path_to_error::Error<serde_json::Error>, prefix: &str) -> String {
    let path = e.path().to_string();
    let inner = e.into_inner().to_string();
    let inner = strip_position(&inner);
    match (prefix, path.as_str()) {
        ("", ".") => inner,
        ("", p) => format!("{p}: {inner}"),
        (pre, ".") => format!("{pre}: {inner}"),
        (pre, p) => format!("{pre}.{p}: {inner}"),
    }
}

/// `T` from the JSON object `line`, whose "type" key is skipped: one pass
/// over the text, no `Value` tree in between (an import parses every line
/// twice, so this is a large share of its time).
fn from_line<T: serde::de::DeserializeOwned>(line: &str) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(line);
    let v = serde_path_to_error::deserialize(skip_type::SkipType(&mut de))
        .map_err(|e| path_error(e, ""))?;
    de.end().map_err(|e| format!("not valid JSON: {e}"))?;
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
struct Peek {
    #[serde(rename = "type")]
    ty: Option<serde_json::Value>,
}

/// Parses one line of an import file.
pub fn parse_line(line: &str) -> Result<Parsed, String> {
    if !line.trim_start().starts_with('{') {
        // Not an object: say whether it is JSON at all.
        return match serde_json::from_str::<serde_json::Value>(line) {
            Err(e) => Err(format!("not valid JSON: {e}")),
            Ok(_) => Err("a line must be a JSON object".into()),
        };
    }
    let peek: Peek = serde_json::from_str(line).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => format!("type: {}", strip_position(&e.to_string())),
        _ => format!("not valid JSON: {e}"),
    })?;
    let ty = match peek.ty {
        Some(serde_json::Value::String(s)) => s,
        Some(_) => return Err("type: must be a string".into()),
        None => {
            return Err(
                "type: missing (one of \"source\", \"claim\", \"retract\", \"correct\")".into(),
            )
        }
    };
    match ty.as_str() {
        "source" => Ok(Parsed::Source(from_line(line)?)),
        "claim" => Ok(Parsed::Claim(claim(from_line(line)?, "")?)),
        "retract" => {
            let r: RetractLine = from_line(line)?;
            check_target(&r.target)?;
            Ok(Parsed::Retract {
                target: r.target,
                reason: r.reason,
            })
        }
        "correct" => {
            let c: CorrectLine = from_line(line)?;
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

/// Parses a claim given as JSON fields (the CLI builds one from its flags).
pub fn parse_claim_value(v: serde_json::Value) -> Result<Claim, String> {
    claim(from_value(v, "")?, "")
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
