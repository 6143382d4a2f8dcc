use super::output::{open, print_json, JsonFlag};
use super::{CliError, CliResult};
use claimlog::{apply_parsed, Parsed, Source};
use std::path::Path;

#[derive(clap::Subcommand, Debug)]
pub enum SourceCmd {
    /// Register a source (an outlet, an office, an organisation).
    Add(AddArgs),
}

#[derive(clap::Args, Debug)]
pub struct AddArgs {
    /// Slug id: lowercase letters and digits joined by '-', e.g. `kyiv-independent`.
    pub id: String,
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// official, media, ngo or other.
    #[arg(long)]
    pub kind: String,
    /// Home page (http or https).
    #[arg(long)]
    pub homepage: Option<String>,
}

pub fn run(store: &Path, c: SourceCmd) -> CliResult {
    match c {
        SourceCmd::Add(a) => {
            let v = serde_json::json!({"id": a.id, "name": a.name, "kind": a.kind, "homepage": a.homepage});
            let mut v = v;
            if a.homepage.is_none() {
                v.as_object_mut().map(|o| o.remove("homepage"));
            }
            let source: Source = serde_path_to_error::deserialize(v).map_err(|e| {
                // `id` is the positional argument, the rest are flags.
                let arg = match e.path().to_string().as_str() {
                    "id" => "ID".to_string(),
                    p => format!("--{p}"),
                };
                CliError::bad_input(anyhow::anyhow!("{arg}: {}", e.inner()))
            })?;
            let mut s = open(store)?;
            if let Some(existing) = s.cache().source(source.id.as_str())? {
                return Err(CliError::bad_input(anyhow::anyhow!(
                    "source {:?} is already registered (seq {}); sources cannot be edited",
                    source.id.as_str(),
                    existing.seq
                )));
            }
            let out = apply_parsed(&mut s, vec![(1, Parsed::Source(source.clone()))])?;
            println!(
                "registered source {} at seq {}",
                source.id,
                out.first_seq.unwrap_or_default()
            );
            Ok(())
        }
    }
}

pub fn list(store: &Path, a: JsonFlag) -> CliResult {
    let s = open(store)?;
    let sources = s.cache().sources()?;
    if a.json {
        return print_json(&sources);
    }
    for e in sources {
        println!(
            "{:<24} {:<9} {}{}",
            e.source.id.as_str(),
            e.source.kind.as_str(),
            e.source.name,
            e.source
                .homepage
                .as_ref()
                .map(|h| format!(" <{h}>"))
                .unwrap_or_default()
        );
    }
    Ok(())
}
