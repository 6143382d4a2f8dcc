//! Exit codes (README, "Exit codes"): 0 ok; 1 verification failed or an
//! inconsistency was found; 2 bad usage or bad input; 3 the store could not
//! be used (locked by another process, I/O error).

use claimlog::{IngestError, StoreError};

pub struct CliError {
    pub code: u8,
    pub error: anyhow::Error,
    /// The command already printed why it failed (a verification report):
    /// main prints nothing more.
    pub reported: bool,
}

pub type CliResult = Result<(), CliError>;

impl CliError {
    pub fn bad_input(e: impl Into<anyhow::Error>) -> Self {
        CliError::new(2, e)
    }
    pub fn failed(e: impl Into<anyhow::Error>) -> Self {
        CliError::new(1, e)
    }
    /// Exit 1 after the command printed its own failure report.
    pub fn reported_failure() -> Self {
        CliError {
            reported: true,
            ..CliError::failed(anyhow::anyhow!("verification failed"))
        }
    }
    pub fn new(code: u8, e: impl Into<anyhow::Error>) -> Self {
        CliError {
            code,
            error: e.into(),
            reported: false,
        }
    }
}

fn store_code(e: &StoreError) -> u8 {
    match e {
        StoreError::Rejected { .. }
        | StoreError::EmptyBatch
        | StoreError::NotAStore(_)
        | StoreError::AlreadyExists(_) => 2,
        StoreError::Corrupt { .. } => 1,
        // As `project_code` says of these two; the cache's other errors
        // stay the store's (exit 3).
        StoreError::Cache(
            claimlog::ProjectError::Words { .. } | claimlog::ProjectError::Record { .. },
        ) => 1,
        _ => 3,
    }
}

fn project_code(e: &claimlog::ProjectError) -> u8 {
    match e {
        claimlog::ProjectError::NotFound(_) => 2,
        // The log disagrees with the cache about a claim: what verify
        // reports as an inconsistency.
        claimlog::ProjectError::Words { .. } | claimlog::ProjectError::Record { .. } => 1,
        _ => 3,
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        CliError::new(store_code(&e), e)
    }
}

impl From<claimlog::ProjectError> for CliError {
    fn from(e: claimlog::ProjectError) -> Self {
        CliError::new(project_code(&e), e)
    }
}

impl From<IngestError> for CliError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Store(s) => s.into(),
            IngestError::Io(_) => CliError::new(2, e),
            // The store's disk, or a bug: not the input's fault.
            IngestError::Spool(_) | IngestError::Internal(_) => CliError::new(3, e),
            other => CliError::bad_input(other),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::new(3, e)
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::new(3, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An import that cannot write or read back its spool fails on the
    /// store's disk, not on its input: exit 3, not 2 (a review: a full
    /// disk was reported as a bad input file).
    #[test]
    fn spool_and_internal_errors_are_not_blamed_on_the_input() {
        let io = || std::io::Error::other("x");
        assert_eq!(CliError::from(IngestError::Io(io())).code, 2);
        assert_eq!(CliError::from(IngestError::Spool(io())).code, 3);
        assert_eq!(CliError::from(IngestError::Internal("x".into())).code, 3);
    }
}
