//! Verified snapshots: export, verify-snapshot, verify --against, prove /
//! verify-proof, restore, CSV and keygen, through the CLI and the library.

mod common;
mod regressions;
