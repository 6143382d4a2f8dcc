//! Verified snapshots: export, verify-snapshot, verify --against, prove /
//! verify-proof, restore, CSV and keygen, through the CLI and the library.

mod common;
mod csv_export;
mod history;
mod keygen;
mod proofs;
mod regressions;
mod roundtrip;
mod schemas;
mod tamper;
