//! Log-engine tests, built as one test binary: `cargo test --test log_engine`.
//!
//! The crash test kills a child process many times; set
//! `CLAIMLOG_CRASH_KILLS=500` for a long run (default 30) and
//! `CLAIMLOG_CRASH_SEED` to vary the kill schedule.

mod common;
mod tamper;
mod torn;
