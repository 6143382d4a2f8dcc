//! Log-engine tests, built as one test binary: `cargo test --test log_engine`.
//!
//! - `crash`: SIGKILL a child appending in a loop; nothing acknowledged is lost.
//!   Long run: `CLAIMLOG_CRASH_KILLS=500 cargo test --test log_engine crash`.
//! - `crash_import`: SIGKILL a bulk `claimlog import`; all of it or none.
//! - `tamper`: every byte flip, moved frame and rewritten cache entry is found.
//! - `torn`: an interrupted append is cut off on open; appends continue.
//! - `unclosed`: a log ending in a large unclosed batch opens without it.
//! - `lock`: a second writer gets a clear error (exit 3) and does not hang.
//! - `rebuild`: the cache rebuilt from the log equals the incremental one.
//! - `codec`: the record encoding round-trips and only canonical bytes decode.
//! - `words`: claims' words are read from the log, never the cache, and checked.

mod codec;
mod common;
mod crash;
mod crash_import;
mod lock;
mod rebuild;
mod tamper;
mod torn;
mod unclosed;
mod words;
