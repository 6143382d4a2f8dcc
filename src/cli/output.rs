//! Shared bits of rendering.

use claimlog::{FuzzyDate, Store, StoreOptions};
use std::path::Path;

#[derive(clap::Args, Debug, Default)]
pub struct JsonFlag {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn open(store: &Path) -> Result<Store, super::CliError> {
    Ok(Store::open(store, StoreOptions::default())?)
}

pub fn print_json<T: serde::Serialize>(v: &T) -> super::CliResult {
    let s = serde_json::to_string_pretty(v).map_err(anyhow::Error::from)?;
    println!("{s}");
    Ok(())
}

/// Milliseconds since the epoch as RFC 3339 UTC.
pub fn time_ms(ms: i64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{ms} ms"))
}

pub fn date(d: FuzzyDate) -> String {
    match d {
        FuzzyDate::Unknown => "date unknown".into(),
        d => d.to_string(),
    }
}
