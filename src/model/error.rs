use thiserror::Error;

/// Why a value was refused at the edge. The message names the rule broken;
/// callers add the field name and line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ModelError {
    #[error("{what} must not be empty")]
    Empty { what: &'static str },
    #[error("{what} is {len} characters long; the limit is {max}")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{what} {value:?} is not a valid slug ({rule})")]
    BadSlug {
        what: &'static str,
        value: String,
        rule: &'static str,
    },
    #[error("{what} contains a control character at character {at}")]
    ControlChar { what: &'static str, at: usize },
    #[error("{what} has leading or trailing whitespace")]
    Untrimmed { what: &'static str },
    #[error("invalid date {value:?}: {why}")]
    BadDate { value: String, why: String },
    #[error("URL {value:?} must start with http:// or https:// and have a host")]
    BadUrl { value: String },
    #[error("{0}")]
    Invalid(String),
}
