use super::text::{Name, SourceId, Url};
use bincode::{Decode, Encode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Encode, Decode, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Official,
    Media,
    Ngo,
    Other,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Official => "official",
            SourceKind::Media => "media",
            SourceKind::Ngo => "ngo",
            SourceKind::Other => "other",
        }
    }
}

impl std::str::FromStr for SourceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "official" => Ok(SourceKind::Official),
            "media" => Ok(SourceKind::Media),
            "ngo" => Ok(SourceKind::Ngo),
            "other" => Ok(SourceKind::Other),
            _ => Err(format!(
                "unknown source kind {s:?} (official, media, ngo, other)"
            )),
        }
    }
}

/// A registered source: an outlet, an office, an organisation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: SourceId,
    pub name: Name,
    pub kind: SourceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<Url>,
}
