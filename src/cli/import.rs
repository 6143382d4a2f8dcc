use super::output::{open_whole, print_json};
use super::{CliError, CliResult};
use claimlog::IngestError;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// JSON Lines file, or `-` for standard input.
    pub file: PathBuf,
    #[arg(long)]
    pub json: bool,
}

pub fn run(store: &Path, a: Args) -> CliResult {
    let mut s = open_whole(store)?;
    let stdin = a.file.as_os_str() == "-";
    // How messages name the input.
    let name = if stdin {
        "<stdin>".to_string()
    } else {
        a.file.display().to_string()
    };
    let result = if stdin {
        claimlog::import(&mut s, std::io::stdin())
    } else {
        if let Err(e) = std::fs::File::open(&a.file) {
            return Err(CliError::bad_input(anyhow::anyhow!("{name}: {e}")));
        }
        claimlog::import_file(&mut s, &a.file)
    };
    match result {
        Ok(o) => {
            if a.json {
                return print_json(&o);
            }
            println!(
                "imported {} line(s): {} source(s), {} claim(s), {} retraction(s), {} correction(s) appended",
                o.lines, o.sources_added, o.claims_added, o.retracted, o.corrected
            );
            if o.duplicate_claims_skipped > 0 || o.duplicate_sources_skipped > 0 {
                println!(
                    "skipped {} claim(s) identical to active claims already recorded, and {} source(s) already registered",
                    o.duplicate_claims_skipped, o.duplicate_sources_skipped
                );
            }
            if o.already_recorded > 0 {
                println!(
                    "skipped {} line(s) already recorded (imported before): claims since retracted or corrected, and the retract and correct lines that say so",
                    o.already_recorded
                );
            }
            match (o.first_seq, o.last_seq) {
                (Some(f), Some(l)) => println!("seq {f}..={l}; head {}", s.head().hash),
                _ => println!("nothing new to append; head unchanged {}", s.head().hash),
            }
            Ok(())
        }
        Err(IngestError::Lines(errors)) => {
            for e in &errors {
                eprintln!("{name}: {e}");
            }
            Err(CliError::bad_input(anyhow::anyhow!(
                "{} bad line(s) in {name}; nothing was appended",
                errors.len(),
            )))
        }
        Err(IngestError::Empty) => Err(CliError::bad_input(anyhow::anyhow!(
            "{name}: no records to import (the input is empty or blank); nothing was appended"
        ))),
        Err(IngestError::Io(e)) => Err(CliError::bad_input(anyhow::anyhow!(
            "{name}: reading failed: {e}; nothing was appended"
        ))),
        Err(e) => Err(e.into()),
    }
}
