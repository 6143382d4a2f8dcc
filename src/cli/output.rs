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

/// `open` for a command that reads or writes the whole cache once
/// (`StoreOptions::whole`).
pub fn open_whole(store: &Path) -> Result<Store, super::CliError> {
    Ok(Store::open(store, StoreOptions::whole())?)
}

pub fn print_json<T: serde::Serialize>(v: &T) -> super::CliResult {
    let s = serde_json::to_string_pretty(v).map_err(anyhow::Error::from)?;
    println!("{s}");
    Ok(())
}

/// Prints a JSON list as `print_json` prints one, element by element as
/// `fill` hands them to its argument, holding none: for listings that can
/// be as long as the store. An error from `fill` ends the list where it is
/// (what was printed stays: the writer flushes as it drops) and is the
/// command's.
pub fn print_json_list<T: serde::Serialize>(
    fill: impl FnOnce(&mut dyn FnMut(&T) -> super::CliResult) -> super::CliResult,
) -> super::CliResult {
    use serde::ser::{SerializeSeq, Serializer};
    use std::io::Write;
    let json = |e: serde_json::Error| super::CliError::from(anyhow::Error::from(e));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut ser = serde_json::Serializer::pretty(&mut out);
    let mut list = ser.serialize_seq(None).map_err(json)?;
    fill(&mut |v| list.serialize_element(v).map_err(json))?;
    list.end().map_err(json)?;
    writeln!(out).map_err(anyhow::Error::from)?;
    out.flush().map_err(anyhow::Error::from)?;
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
