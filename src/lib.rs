//! claimlog: a tamper-evident, append-only record of numeric claims and
//! where they came from. See docs/ARCHITECTURE.md for the map.
//!
//! Data flows one way: `model` (validated input) -> `event` (records and
//! their canonical encoding) -> `chain` (hash links) -> `log` (segment
//! files) -> `store` (the writer, the cache, verification) -> `project`
//! (folds) -> `query`; the CLI sits on top in the binary.

mod ahead;
mod allocator;
mod chain;
pub mod checkpoint;
mod event;
pub mod export;
mod ingest;
mod log;
pub mod merkle;
mod model;
mod project;
mod query;
mod schema;
mod store;

pub use allocator::Allocator;
pub use chain::{check_link, check_link_of, record_hash, LinkError, RECORD_HASH_CONTEXT};
pub use event::{
    check_record, claim_range, decode_record, encode_record, ends_a_claim, Checked, CodecError,
    Correction, Event, Genesis, Hash32, Record, Retraction, FORMAT_VERSION, MAX_RECORD_BYTES,
};
pub use ingest::{
    apply_parsed, import, import_file, import_lines, parse_claim_value, parse_line, FileLines,
    ImportLine, IngestError, Item, LineError, Lines, Outcome, Parsed, ParsedLines, Target,
    MAX_LINE_BYTES, MAX_LISTED_IDS,
};
pub use log::{Position, FRAME_OVERHEAD, HEADER_LEN, MORE_IN_BATCH, SEGMENT_MAGIC};
pub use model::{
    limits, Breakdown, Claim, ClaimFields, Day, FieldError, FuzzyDate, ModelError, Name, Origin,
    Period, Quantity, Scope, Slug, Source, SourceId, SourceKind, Text, Url,
};
pub use project::{
    cache_sled_config, claim_content_hash, filling_leaves, Cache, Checkpoint, ClaimCore,
    ClaimEntry, ClaimStatus, GenesisEntry, Location, ProjectError, SourceEntry, WholeEntry,
};
pub use query::{
    check, check_each, explain, independence_key, scope_key, total, total_brief, totals_over_log,
    Answer, ClaimRef, ClaimView, Estimate, Filter, Finding, Group, Named, Omitted, Policy, Query,
    Role, Route, Severity, Tolerance, Total, LIST_ALL_UP_TO,
};
pub use schema::schemas;
pub use store::{
    verify, Appended, Batch, Head, Problem, RecordIter, Report, Store, StoreError, StoreOptions,
    StoredRecord,
};
