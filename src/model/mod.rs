//! Validated domain types. Everything that enters claimlog, from the command
//! line, a JSON line or the log itself, becomes one of these or is refused.
//! This module knows nothing of storage, hashing or the CLI.

mod breakdown;
mod claim;
mod date;
mod error;
pub mod limits;
mod quantity;
mod scope;
mod source;
mod text;

pub use breakdown::Breakdown;
pub use claim::{Claim, ClaimFields, FieldError};
pub use date::{Day, FuzzyDate};
pub use error::ModelError;
pub use quantity::Quantity;
pub use scope::{Period, Scope};
pub use source::{Source, SourceKind};
pub use text::{Name, Origin, Slug, SourceId, Text, Url};
