//! The part of a figure a claim is about ("category=civilian"). Kept sorted
//! by key with unique keys, so equal breakdowns encode to equal bytes.

use super::error::ModelError;
use super::limits::MAX_BREAKDOWN;
use super::text::Slug;
use bincode::{Decode, Encode};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Encode)]
pub struct Breakdown(Vec<(Slug, Slug)>);

impl Breakdown {
    pub fn new(mut pairs: Vec<(Slug, Slug)>) -> Result<Self, ModelError> {
        if pairs.len() > MAX_BREAKDOWN {
            return Err(ModelError::Invalid(format!(
                "breakdown has {} dimensions; the limit is {MAX_BREAKDOWN}",
                pairs.len()
            )));
        }
        pairs.sort();
        if let Some(w) = pairs.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(ModelError::Invalid(format!(
                "breakdown key {:?} is given twice",
                w[0].0.as_str()
            )));
        }
        Ok(Breakdown(pairs))
    }

    /// Parses `key=value` items, as the CLI takes them.
    pub fn parse_items(items: &[String]) -> Result<Self, ModelError> {
        let mut pairs = Vec::new();
        for item in items {
            let (k, v) = item.split_once('=').ok_or_else(|| {
                ModelError::Invalid(format!("breakdown item {item:?} must be key=value"))
            })?;
            pairs.push((Slug::new(k)?, Slug::new(v)?));
        }
        Self::new(pairs)
    }

    pub fn pairs(&self) -> &[(Slug, Slug)] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when every dimension of `self` is also in `other` with the same value.
    pub fn is_subset_of(&self, other: &Breakdown) -> bool {
        self.0.iter().all(|p| other.0.contains(p))
    }
}

impl std::fmt::Display for Breakdown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let items: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        f.write_str(&items.join(","))
    }
}

impl<C> Decode<C> for Breakdown {
    fn decode<D: bincode::de::Decoder<Context = C>>(
        d: &mut D,
    ) -> Result<Self, bincode::error::DecodeError> {
        let pairs = <Vec<(Slug, Slug)> as Decode<C>>::decode(d)?;
        let sorted = pairs.windows(2).all(|w| w[0].0 < w[1].0);
        if !sorted {
            return Err(bincode::error::DecodeError::OtherString(
                "breakdown keys are not strictly ascending".into(),
            ));
        }
        Breakdown::new(pairs).map_err(|e| bincode::error::DecodeError::OtherString(e.to_string()))
    }
}
bincode::impl_borrow_decode!(Breakdown);

impl serde::Serialize for Breakdown {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> serde::Deserialize<'de> for Breakdown {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Breakdown;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of slug keys to slug values")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Breakdown, A::Error> {
                let mut pairs = Vec::new();
                while let Some((k, v)) = a.next_entry::<Slug, Slug>()? {
                    pairs.push((k, v));
                }
                Breakdown::new(pairs).map_err(serde::de::Error::custom)
            }
        }
        d.deserialize_map(V)
    }
}

impl schemars::JsonSchema for Breakdown {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Breakdown".into()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let value = g.subschema_for::<Slug>();
        schemars::json_schema!({
            "type": "object",
            "maxProperties": MAX_BREAKDOWN,
            "propertyNames": { "pattern": "^[a-z0-9]+(_[a-z0-9]+)*$", "maxLength": 64 },
            "additionalProperties": value,
        })
    }
}

impl From<Breakdown> for BTreeMap<String, String> {
    fn from(b: Breakdown) -> Self {
        b.0.into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}
