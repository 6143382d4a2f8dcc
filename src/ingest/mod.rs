//! Input: JSON Lines and single commands become validated events, checked
//! against the ledger as a whole before anything is appended.

mod input;
mod lines;
mod plan;

pub use input::{parse_claim_value, parse_line, ImportLine, Parsed, Target};
pub use lines::MAX_LINE_BYTES;
pub use plan::{apply_parsed, import, IngestError, LineError, Outcome};
