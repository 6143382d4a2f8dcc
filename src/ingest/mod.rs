//! Input: JSON Lines and single commands become validated events, checked
//! against the ledger as a whole before anything is appended.

mod compact;
mod content_runs;
mod file_lines;
mod input;
mod lines;
mod plan;
mod spool;

pub use file_lines::FileLines;
pub use input::{parse_claim_value, parse_line, ImportLine, Parsed, Target};
pub use lines::MAX_LINE_BYTES;
pub use plan::{
    apply_parsed, import, import_file, run as import_lines, IngestError, Item, LineError, Lines,
    Outcome, ParsedLines, MAX_LISTED_IDS,
};
