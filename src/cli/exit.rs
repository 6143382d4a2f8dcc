//! Exit codes (README, "Exit codes"): 0 ok; 1 verification failed or an
//! inconsistency was found; 2 bad usage or bad input; 3 the store could not
//! be used (locked by another process, I/O error).

use claimlog::{IngestError, StoreError};

pub struct CliError {
    pub code: u8,
    pub error: anyhow::Error,
}

pub type CliResult = Result<(), CliError>;

impl CliError {
    pub fn bad_input(e: impl Into<anyhow::Error>) -> Self {
        CliError {
            code: 2,
            error: e.into(),
        }
    }
    pub fn failed(e: impl Into<anyhow::Error>) -> Self {
        CliError {
            code: 1,
            error: e.into(),
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
        _ => 3,
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        CliError {
            code: store_code(&e),
            error: e.into(),
        }
    }
}

impl From<claimlog::ProjectError> for CliError {
    fn from(e: claimlog::ProjectError) -> Self {
        let code = match e {
            claimlog::ProjectError::NotFound(_) => 2,
            _ => 3,
        };
        CliError {
            code,
            error: e.into(),
        }
    }
}

impl From<IngestError> for CliError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Store(s) => s.into(),
            IngestError::Io(_) => CliError {
                code: 2,
                error: e.into(),
            },
            other => CliError::bad_input(other),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError {
            code: 3,
            error: e.into(),
        }
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError { code: 3, error: e }
    }
}
