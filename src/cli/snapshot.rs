//! export, verify-snapshot, restore, keygen, checkpoint, prove, verify-proof.

use super::output::{open, open_whole, print_json, time_ms};
use super::{CliError, CliResult};
use claimlog::checkpoint::{Signer, Verifier};
use claimlog::export;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

fn bad(m: impl std::fmt::Display) -> CliError {
    CliError::bad_input(anyhow::anyhow!("{m}"))
}

fn read_file(p: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(p).map_err(|e| bad(format!("{}: {e}", p.display())))
}

pub fn load_signer(p: &Path) -> Result<Signer, CliError> {
    Signer::from_private_key_string(read_file(p)?.trim())
        .map_err(|e| bad(format!("{}: {e}", p.display())))
}

/// `--pubkey` takes a verifier key string or a file holding one.
pub fn load_verifiers(keys: &[String]) -> Result<Vec<Verifier>, CliError> {
    keys.iter()
        .map(|k| {
            let text = if Path::new(k).exists() {
                read_file(Path::new(k))?
            } else {
                k.clone()
            };
            Verifier::from_verifier_key_string(text.trim())
                .map_err(|e| bad(format!("--pubkey {k}: {e}")))
        })
        .collect()
}

#[derive(clap::Args, Debug)]
pub struct KeygenArgs {
    /// Where to write the private key (mode 0600); the public key goes to OUT.pub.
    #[arg(long)]
    pub out: PathBuf,
    /// Key name in signatures; defaults to the store's origin, else "claimlog".
    #[arg(long)]
    pub name: Option<String>,
}

pub fn keygen(store: &Path, a: KeygenArgs) -> CliResult {
    let name = match a.name {
        Some(n) => n,
        None => match claimlog::Store::open(store, claimlog::StoreOptions::default()) {
            Ok(s) => s
                .cache()
                .genesis()?
                .map(|g| g.origin.to_string())
                .unwrap_or_else(|| "claimlog".into()),
            Err(_) => "claimlog".into(),
        },
    };
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let signer = Signer::generate_from_seed(seed, &name).map_err(bad)?;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&a.out)
        .map_err(|e| bad(format!("{}: {e}", a.out.display())))?;
    writeln!(f, "{}", signer.private_key_string())?;
    f.sync_all()?;
    let pub_path = PathBuf::from(format!("{}.pub", a.out.display()));
    std::fs::write(&pub_path, format!("{}\n", signer.verifier_key_string()))?;
    println!(
        "private key written to {} (mode 0600; keep it secret)",
        a.out.display()
    );
    println!("public key written to {}:", pub_path.display());
    println!("{}", signer.verifier_key_string());
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct CheckpointArgs {
    /// Sign with this private key file (from `claimlog keygen`).
    #[arg(long)]
    pub key: Option<PathBuf>,
}

pub fn checkpoint(store: &Path, a: CheckpointArgs) -> CliResult {
    let signer = a.key.as_deref().map(load_signer).transpose()?;
    let s = open(store)?;
    let text = export::checkpoint_text(&s, signer.as_ref()).map_err(anyhow::Error::from)?;
    print!("{text}");
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Output file (`-` for stdout). For csv, the totals go to OUT with
    /// `-totals.csv` in place of `.csv`.
    #[arg(long)]
    pub out: PathBuf,
    /// snapshot (JSON, default), jsonl (the log, one event a line) or csv.
    #[arg(long, default_value = "snapshot")]
    pub format: String,
    /// Sign the snapshot's checkpoint with this private key file.
    #[arg(long)]
    pub key: Option<PathBuf>,
}

fn create(p: &Path) -> Result<Box<dyn Write>, CliError> {
    if p.as_os_str() == "-" {
        return Ok(Box::new(BufWriter::new(std::io::stdout().lock())));
    }
    let f = std::fs::File::create(p).map_err(|e| bad(format!("{}: {e}", p.display())))?;
    Ok(Box::new(BufWriter::with_capacity(1 << 16, f)))
}

pub fn export_cmd(store: &Path, a: ExportArgs) -> CliResult {
    let signer = a.key.as_deref().map(load_signer).transpose()?;
    let s = open_whole(store)?;
    let res = match a.format.as_str() {
        "snapshot" | "json" => {
            let now = time_ms(claimlog_now_ms());
            export::write_snapshot(&s, &mut create(&a.out)?, signer.as_ref(), &now)
        }
        "jsonl" => export::write_jsonl(&s, &mut create(&a.out)?),
        "csv" => {
            let name = a.out.to_string_lossy();
            let totals = match name.strip_suffix(".csv") {
                Some(stem) => PathBuf::from(format!("{stem}-totals.csv")),
                None => PathBuf::from(format!("{name}-totals.csv")),
            };
            let r = export::write_csv(&s, &mut create(&a.out)?, &mut create(&totals)?);
            if r.is_ok() {
                eprintln!("claims: {}; totals: {}", a.out.display(), totals.display());
            }
            r
        }
        other => {
            return Err(bad(format!(
                "--format {other:?}: expected snapshot, jsonl or csv"
            )))
        }
    };
    res.map_err(anyhow::Error::from)?;
    if a.out.as_os_str() != "-" && a.format != "csv" {
        eprintln!(
            "wrote {} ({} events, head {})",
            a.out.display(),
            s.len(),
            s.head().hash.short()
        );
    }
    Ok(())
}

fn claimlog_now_ms() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[derive(clap::Args, Debug)]
pub struct VerifySnapshotArgs {
    pub file: PathBuf,
    /// Require a valid signature by this key (a verifier key, or a file with one).
    #[arg(long)]
    pub pubkey: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

fn open_input(p: &Path) -> Result<Box<dyn std::io::Read>, CliError> {
    if p.as_os_str() == "-" {
        return Ok(Box::new(std::io::stdin().lock()));
    }
    Ok(Box::new(
        std::fs::File::open(p).map_err(|e| bad(format!("{}: {e}", p.display())))?,
    ))
}

pub fn verify_snapshot(a: VerifySnapshotArgs) -> CliResult {
    let verifiers = load_verifiers(&a.pubkey)?;
    // A snapshot is read twice, which lets the replay fill its cache in
    // one sorted pass: standard input, a pipe or a device is copied to a
    // temporary file first.
    let report = if a.file.as_os_str() == "-" {
        export::verify_snapshot_stream(open_input(&a.file)?, &verifiers)
    } else {
        export::verify_snapshot_file(&a.file, &verifiers)
    }
    .map_err(|e| match e {
        // Exit 3, as an I/O error of the store's: the disk, not the input
        // (the copy of a stream, the replay's scratch cache).
        export::ExportError::Spool { .. } | export::ExportError::Cache(_) => CliError::new(3, e),
        export::ExportError::Io(io) => bad(format!("{}: {io}", a.file.display())),
        other => bad(format!("{}: {other}", a.file.display())),
    })?;
    if a.json {
        print_json(&report)?;
    } else {
        match &report.failure {
            None => println!(
                "ok: {} events, chain intact, root {}, checkpoint {}, {} totals recomputed and equal",
                report.events,
                report.root.map(|r| r.to_hex()).unwrap_or_default(),
                if report.signed_by.is_empty() {
                    "unsigned or signature not checked (give --pubkey)".to_string()
                } else {
                    format!("signed by {}", report.signed_by.join(", "))
                },
                report.totals_checked
            ),
            Some(f) => println!("FAILED: {f}"),
        }
    }
    match report.failure {
        None => Ok(()),
        Some(_) => Err(CliError::reported_failure()),
    }
}

#[derive(clap::Args, Debug)]
pub struct RestoreArgs {
    /// A snapshot, or a JSONL dump (`export --format jsonl`).
    pub file: PathBuf,
    /// Read FILE as a JSONL dump (default: by its .jsonl extension).
    #[arg(long)]
    pub jsonl: bool,
    /// A checkpoint (`claimlog checkpoint`, a file) the restored log must
    /// match in origin, size and root: pins a JSONL dump, which has no
    /// root of its own, so that one cut short is refused.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// With --checkpoint: require a valid signature on it by this key (a
    /// verifier key, or a file with one).
    #[arg(long, requires = "checkpoint")]
    pub pubkey: Vec<String>,
}

pub fn restore(store: &Path, a: RestoreArgs) -> CliResult {
    let jsonl = a.jsonl || a.file.extension().is_some_and(|e| e == "jsonl");
    let checkpoint = a.checkpoint.as_deref().map(read_file).transpose()?;
    let verifiers = load_verifiers(&a.pubkey)?;
    let pin = checkpoint.as_deref().map(|c| export::Pin {
        checkpoint: c,
        verifiers: &verifiers,
    });
    let s = export::restore_pinned(store, BufReader::new(open_input(&a.file)?), jsonl, pin)
        .map_err(|e| match e {
            export::ExportError::Invalid(m) => {
                CliError::failed(anyhow::anyhow!("restore failed: {m}"))
            }
            other => anyhow::Error::from(other).into(),
        })?;
    println!(
        "restored {} events into {}; head seq {} hash {}",
        s.len(),
        store.display(),
        s.head().seq,
        s.head().hash
    );
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct ProveArgs {
    /// Claim id (or unique prefix); or `--seq N` for any event.
    pub id: Option<String>,
    #[arg(long, conflicts_with = "id")]
    pub seq: Option<u64>,
    /// Prove against this earlier checkpoint (a file) instead of the current log.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Sign the current checkpoint with this key (without --checkpoint).
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Write the bundle here instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn prove(store: &Path, a: ProveArgs) -> CliResult {
    let signer = a.key.as_deref().map(load_signer).transpose()?;
    let cp = a.checkpoint.as_deref().map(read_file).transpose()?;
    let s = open(store)?;
    let seq = match (&a.id, a.seq) {
        (_, Some(n)) => n,
        (Some(id), None) => {
            let id = s.cache().resolve_claim(id)?;
            s.cache()
                .claim(&id)?
                .map(|e| e.seq)
                .ok_or_else(|| bad("claim not found"))?
        }
        (None, None) => return Err(bad("give a claim id or --seq N")),
    };
    let b = export::prove(&s, seq, cp.as_deref(), signer.as_ref()).map_err(|e| match e {
        export::ExportError::Invalid(m) => bad(m),
        other => anyhow::Error::from(other).into(),
    })?;
    let text = serde_json::to_string_pretty(&b).map_err(anyhow::Error::from)?;
    match a.out {
        Some(p) => {
            std::fs::write(&p, text + "\n").map_err(|e| bad(format!("{}: {e}", p.display())))?
        }
        None => println!("{text}"),
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct VerifyProofArgs {
    pub file: PathBuf,
    #[arg(long)]
    pub pubkey: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn verify_proof(a: VerifyProofArgs) -> CliResult {
    let verifiers = load_verifiers(&a.pubkey)?;
    let text = read_file(&a.file)?;
    let bundle: export::ProofBundle = serde_json::from_str(&text)
        .map_err(|e| CliError::failed(anyhow::anyhow!("not a proof bundle: {e}")))?;
    match export::verify_proof(&bundle, &verifiers) {
        Ok(r) => {
            if a.json {
                return print_json(&r);
            }
            println!(
                "ok: event seq {} (hash {}) is in the log of {} events{}",
                r.seq,
                r.hash,
                r.tree_size,
                if r.signed_by.is_empty() {
                    String::new()
                } else {
                    format!(", checkpoint signed by {}", r.signed_by.join(", "))
                }
            );
            Ok(())
        }
        Err(e) => {
            println!("FAILED: {e}");
            Err(CliError::reported_failure())
        }
    }
}
