use super::{CliError, CliResult};
use claimlog::{Origin, Store, StoreOptions};
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The name of this log in checkpoints, like a schema-less URL
    /// (e.g. `example.org/pow-exchanges`).
    #[arg(long, default_value = "claimlog.local/ledger")]
    pub origin: String,
}

pub fn run(store: &Path, a: Args) -> CliResult {
    let origin =
        Origin::new(a.origin).map_err(|e| CliError::bad_input(anyhow::anyhow!("--origin: {e}")))?;
    let s = Store::create(store, origin.clone(), StoreOptions::default())?;
    println!(
        "created store {} (origin {origin}); genesis hash {}",
        store.display(),
        s.head().hash
    );
    Ok(())
}
