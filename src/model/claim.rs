//! A numeric claim with its provenance. `Claim` can only be built through
//! `Claim::new`, which checks the rules that span fields; decoding from the
//! log runs the same check.

use super::breakdown::Breakdown;
use super::date::FuzzyDate;
use super::error::ModelError;
use super::quantity::Quantity;
use super::scope::{Period, Scope};
use super::text::{Name, Slug, SourceId, Text, Url};
use bincode::{Decode, Encode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The fields of a claim, as entered. Field order is the encoding order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimFields {
    /// What is counted, e.g. `people_returned`.
    pub metric: Slug,
    /// The part of the figure this claim is about; empty for the whole.
    #[serde(default, skip_serializing_if = "Breakdown::is_empty")]
    pub breakdown: Breakdown,
    pub quantity: Quantity,
    pub scope: Scope,
    /// The outlet that published the claim.
    pub source: SourceId,
    /// Who is quoted for the number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<Name>,
    /// The registered source the outlet attributes the figure to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cites: Option<SourceId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Url>,
    /// When the outlet published it, to the precision known.
    pub published: FuzzyDate,
    /// The verbatim words that carry the number.
    pub quote: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

/// A field name and why its value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {error}")]
pub struct FieldError {
    pub field: String,
    pub error: ModelError,
}

impl FieldError {
    pub fn new(field: impl Into<String>, error: ModelError) -> Self {
        FieldError {
            field: field.into(),
            error,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Claim(ClaimFields);

fn check_period(field: &str, p: &Period) -> Result<(), FieldError> {
    if p.from > p.to {
        return Err(FieldError::new(
            field,
            ModelError::Invalid(format!(
                "period starts ({}) after it ends ({})",
                p.from, p.to
            )),
        ));
    }
    Ok(())
}

impl Claim {
    pub fn new(f: ClaimFields) -> Result<Claim, FieldError> {
        Claim::check_rules(&f.quantity, &f.scope, f.published)?;
        Ok(Claim(f))
    }

    /// The rules that span fields: dates that exist, a range in order,
    /// no negative count outside a change, periods that do not run
    /// backwards. Only these three fields take part, so a reader that
    /// checks a claim's bytes without building it (event/check.rs) holds
    /// it to the same rules.
    pub fn check_rules(
        quantity: &Quantity,
        scope: &Scope,
        published: FuzzyDate,
    ) -> Result<(), FieldError> {
        let (first, second) = match scope {
            Scope::Event { date, .. } => (Some(("scope.date", *date)), None),
            Scope::Cumulative { since, as_of, .. } => {
                (Some(("scope.since", *since)), Some(("scope.as_of", *as_of)))
            }
            _ => (None, None),
        };
        for (field, d) in first
            .into_iter()
            .chain(second)
            .chain([("published", published)])
        {
            d.check().map_err(|e| FieldError::new(field, e))?;
        }
        let signed = matches!(scope, Scope::Change { .. });
        if let Quantity::Range { low, high } = *quantity {
            if low > high {
                return Err(FieldError::new(
                    "quantity.range",
                    ModelError::Invalid(format!("low ({low}) is greater than high ({high})")),
                ));
            }
        }
        // A range's low end is its least value (checked just above).
        let least = match *quantity {
            Quantity::Range { low, .. } => low,
            q => q.best(),
        };
        if !signed && least < 0 {
            return Err(FieldError::new(
                "quantity",
                ModelError::Invalid(format!(
                    "count {least} is negative; only a scope of kind \"change\" may be negative"
                )),
            ));
        }
        match scope {
            Scope::Period { from, to } => check_period(
                "scope",
                &Period {
                    from: *from,
                    to: *to,
                },
            ),
            Scope::Change { period, baseline } => {
                check_period("scope.period", period)?;
                check_period("scope.baseline", baseline)
            }
            Scope::Cumulative { since, as_of, .. } => {
                if let (Some((s, _)), Some((_, a))) = (since.bounds(), as_of.bounds()) {
                    if s > a {
                        return Err(FieldError::new(
                            "scope",
                            ModelError::Invalid(format!(
                                "cumulative since {since} is after as_of {as_of}"
                            )),
                        ));
                    }
                }
                Ok(())
            }
            Scope::Event { .. } => Ok(()),
        }
    }

    pub fn fields(&self) -> &ClaimFields {
        &self.0
    }

    pub fn into_fields(self) -> ClaimFields {
        self.0
    }
}

impl std::ops::Deref for Claim {
    type Target = ClaimFields;
    fn deref(&self) -> &ClaimFields {
        &self.0
    }
}

impl<C> Decode<C> for Claim {
    fn decode<D: bincode::de::Decoder<Context = C>>(
        d: &mut D,
    ) -> Result<Self, bincode::error::DecodeError> {
        let f = <ClaimFields as Decode<C>>::decode(d)?;
        Claim::new(f).map_err(|e| bincode::error::DecodeError::OtherString(e.to_string()))
    }
}
bincode::impl_borrow_decode!(Claim);

impl<'de> Deserialize<'de> for Claim {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Claim::new(ClaimFields::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}
