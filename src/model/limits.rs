//! Size limits on every text field. They exist so that one record always fits
//! the record size limit of the log (see `event::MAX_RECORD_BYTES`) and so that
//! a pasted article cannot masquerade as a quote. Documented in docs/FORMAT.md.

/// Slugs: source ids, metrics, breakdown keys and values.
pub const MAX_SLUG: usize = 64;
/// Names, labels, speakers, origins, recorded-by.
pub const MAX_NAME: usize = 200;
/// URLs.
pub const MAX_URL: usize = 2048;
/// Verbatim quotes, notes and reasons.
pub const MAX_TEXT: usize = 4000;
/// Breakdown dimensions on one claim.
pub const MAX_BREAKDOWN: usize = 16;
