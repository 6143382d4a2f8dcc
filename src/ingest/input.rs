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

/// Parses one line of an import file.
pub fn parse_line(line: &str) -> Result<Parsed, String> {
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
    let v = serde_json::Value::Object(obj);
    match ty.as_str() {
        "source" => Ok(Parsed::Source(from_value(v, "")?)),
        "claim" => Ok(Parsed::Claim(claim(from_value(v, "")?, "")?)),
        "retract" => {
            let r: RetractLine = from_value(v, "")?;
            check_target(&r.target)?;
            Ok(Parsed::Retract {
                target: r.target,
                reason: r.reason,
            })
        }
        "correct" => {
            let c: CorrectLine = from_value(v, "")?;
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
