//! The tlog-checkpoint note text: origin, tree size, root hash, extensions.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::checkpoint::CheckpointError;
use crate::merkle::Hash;

/// A log's signed statement "my tree of `size` leaves has root `root`".
///
/// Fields are private so every value renders to a well-formed body:
/// [`Checkpoint::new`] and [`Checkpoint::parse_body`] are the only ways in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Hash,
    extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    ///
    /// Precondition: `origin` is non-empty and has no whitespace, `+` or
    /// control characters ([`CheckpointError::InvalidOrigin`]); the spec only
    /// says SHOULD for the first two, but claimlog's own origins follow it.
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Self, CheckpointError> {
        let well_formed = !origin.is_empty()
            && !origin
                .chars()
                .any(|c| c.is_whitespace() || c == '+' || c.is_control());
        if !well_formed {
            return Err(CheckpointError::InvalidOrigin);
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn root(&self) -> &Hash {
        &self.root
    }

    /// Extension lines from a parsed body, in order; opaque to this module.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The note text to sign: `origin\nsize\nbase64(root)\n` followed by any
    /// extension lines, each newline-terminated.
    pub fn body(&self) -> String {
        let mut body = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        );
        for line in &self.extensions {
            body.push_str(line);
            body.push('\n');
        }
        body
    }

    /// Parses a checkpoint body (the verified text of a note).
    ///
    /// Accepts any non-empty origin without control characters (clients must
    /// not assume its format), and keeps extension lines. Rejects a missing
    /// final newline, fewer than three lines, empty lines, a size with
    /// leading zeros or over `u64::MAX`, and a root that is not canonical
    /// padded base64 of exactly 32 bytes.
    pub fn parse_body(text: &str) -> Result<Self, CheckpointError> {
        let content = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::NotNewlineTerminated)?;
        let lines: Vec<&str> = content.split('\n').collect();
        for (number, line) in (1..).zip(&lines) {
            if line.is_empty() {
                return Err(CheckpointError::EmptyLine { line: number });
            }
            if line.chars().any(char::is_control) {
                return Err(CheckpointError::ControlCharacter { line: number });
            }
        }
        let [origin, size, root, extensions @ ..] = lines.as_slice() else {
            return Err(CheckpointError::MissingLines { got: lines.len() });
        };
        Ok(Self {
            origin: (*origin).to_owned(),
            size: parse_size(size)?,
            root: parse_root(root)?,
            extensions: extensions.iter().map(|line| (*line).to_owned()).collect(),
        })
    }
}

fn parse_size(line: &str) -> Result<u64, CheckpointError> {
    // u64::from_str alone would accept "+5" and "007"; the spec allows
    // exactly one spelling per size.
    let canonical =
        line.bytes().all(|b| b.is_ascii_digit()) && (line == "0" || !line.starts_with('0'));
    if !canonical {
        return Err(CheckpointError::InvalidSize);
    }
    line.parse().map_err(|_| CheckpointError::InvalidSize)
}

fn parse_root(line: &str) -> Result<Hash, CheckpointError> {
    let bytes = STANDARD
        .decode(line)
        .map_err(|_| CheckpointError::InvalidRoot)?;
    let root = Hash::try_from(bytes).map_err(|_| CheckpointError::InvalidRoot)?;
    // One spelling per root, so equal checkpoints have byte-equal bodies.
    if STANDARD.encode(root) != line {
        return Err(CheckpointError::InvalidRoot);
    }
    Ok(root)
}
