//! The command line: argument definitions, one file per command, and the
//! mapping of errors to exit codes. Only this layer knows about clap,
//! terminal output and anyhow.

mod check;
mod claim;
mod demo;
mod exit;
mod gen;
mod import;
mod init;
mod log;
mod output;
mod show;
mod snapshot;
mod source;
mod total;
mod verify;

use clap::{Parser, Subcommand};
pub use exit::{CliError, CliResult};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "claimlog",
    version,
    about = "A tamper-evident, append-only record of numeric claims and where they came from"
)]
pub struct Cli {
    /// The store directory.
    #[arg(
        long,
        global = true,
        env = "CLAIMLOG_STORE",
        default_value = ".claimlog"
    )]
    pub store: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a new, empty store.
    Init(init::Args),
    /// Print the events of the log, oldest first.
    Log(log::Args),
    /// Check every record, hash and link of the log, and the cache against it.
    Verify(verify::Args),
    /// Print the seq and hash of the last event.
    Head(output::JsonFlag),
    /// Rebuild the cache from the log.
    Rebuild,
    /// Register or list sources.
    #[command(subcommand)]
    Source(source::SourceCmd),
    /// List registered sources.
    Sources(output::JsonFlag),
    /// Record claims.
    #[command(subcommand)]
    Claim(claim::ClaimCmd),
    /// List claims, filtered.
    Claims(show::ClaimsArgs),
    /// Show one claim, its status and every event that touched it.
    Show(show::ShowArgs),
    /// Import sources and claims from JSON Lines (`-` for stdin): all or nothing.
    Import(import::Args),
    /// Withdraw a claim (it stays in the log).
    Retract(claim::RetractArgs),
    /// Replace a claim with a corrected one (the old one stays in the log).
    Correct(claim::CorrectArgs),
    /// The total for a metric, with its bound kind.
    Total(total::Args),
    /// How a total was derived, claim by claim.
    Explain(total::ExplainArgs),
    /// Generate an Ed25519 key pair for signing checkpoints.
    Keygen(snapshot::KeygenArgs),
    /// Print a C2SP checkpoint (origin, size, Merkle root), signed with --key.
    Checkpoint(snapshot::CheckpointArgs),
    /// Write a self-contained, verifiable snapshot (or a JSONL dump, or CSV).
    Export(snapshot::ExportArgs),
    /// Check a snapshot offline: bytes, chain, Merkle root, signature, totals.
    ///
    /// The totals are checked against a replay of the events into a scratch
    /// cache in the temporary directory ($TMPDIR, else /tmp), about 300
    /// bytes a claim, removed when the check ends.
    VerifySnapshot(snapshot::VerifySnapshotArgs),
    /// Build a new store from a snapshot or JSONL dump.
    Restore(snapshot::RestoreArgs),
    /// Print an inclusion proof bundle for a claim or event.
    Prove(snapshot::ProveArgs),
    /// Check an inclusion proof bundle offline.
    VerifyProof(snapshot::VerifyProofArgs),
    /// Test every relation between claims: agreement, parts against wholes,
    /// running totals against their parts, stated against summed, changes.
    Check(check::Args),
    /// How a total changed over the log, event by event.
    History(total::Args),
    /// A tour on the bundled seed dataset, in a temporary store.
    Demo(demo::Args),
    /// A deterministic synthetic import file for the performance suite.
    #[command(hide = true)]
    GenWorkload(gen::Args),
}

pub fn run(cli: Cli) -> CliResult {
    let store = cli.store;
    match cli.command {
        Command::Init(a) => init::run(&store, a),
        Command::Log(a) => log::run(&store, a),
        Command::Verify(a) => verify::run(&store, a),
        Command::Head(a) => log::head(&store, a),
        Command::Rebuild => verify::rebuild(&store),
        Command::Source(c) => source::run(&store, c),
        Command::Sources(a) => source::list(&store, a),
        Command::Claim(c) => claim::run(&store, c),
        Command::Claims(a) => show::claims(&store, a),
        Command::Show(a) => show::show(&store, a),
        Command::Import(a) => import::run(&store, a),
        Command::Retract(a) => claim::retract(&store, a),
        Command::Correct(a) => claim::correct(&store, a),
        Command::Total(a) => total::total(&store, a),
        Command::Explain(a) => total::explain(&store, a),
        Command::Keygen(a) => snapshot::keygen(&store, a),
        Command::Checkpoint(a) => snapshot::checkpoint(&store, a),
        Command::Export(a) => snapshot::export_cmd(&store, a),
        Command::VerifySnapshot(a) => snapshot::verify_snapshot(a),
        Command::Restore(a) => snapshot::restore(&store, a),
        Command::Prove(a) => snapshot::prove(&store, a),
        Command::VerifyProof(a) => snapshot::verify_proof(a),
        Command::Check(a) => check::run(&store, a),
        Command::History(a) => check::history(&store, a),
        Command::Demo(a) => demo::run(a),
        Command::GenWorkload(a) => gen::run(a),
    }
}
