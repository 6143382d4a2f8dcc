//! The claimlog binary: parse arguments, run, map the outcome to an exit code.

mod cli;

use clap::Parser;
use std::process::ExitCode;

/// mimalloc, configured (src/allocator.rs: why, and what it measured).
#[global_allocator]
static ALLOCATOR: claimlog::Allocator = claimlog::Allocator;

fn main() -> ExitCode {
    // Die quietly when the reader of our output goes away (`claimlog log |
    // head`), as cat and grep do, instead of panicking on a closed pipe.
    // SAFETY: setting a signal disposition to its default at startup, before
    // any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // A bulk load (rebuild, a large import) keeps each of its sorted runs
    // open until they are merged, one per 25 000 cache entries: about 80
    // for 1M claims, more than the usual soft limit of 1024 open files
    // past about 12M. Raise the soft limit to the hard one.
    // SAFETY: plain system calls on a local struct, before any thread exists.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CLAIMLOG_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !e.reported {
                eprintln!("error: {:#}", e.error);
            }
            ExitCode::from(e.code)
        }
    }
}
