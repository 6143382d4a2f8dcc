//! C2SP signed notes: `<text>\n<signature lines>`, each signature line
//! `— <key name> <base64(4-byte key id || signature)>\n`, the signature
//! covering the text including its final newline.

use std::collections::BTreeSet;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::checkpoint::keys::is_valid_name;
use crate::checkpoint::{NoteError, Signer, Verifier};

/// Largest note accepted or produced: 1 MiB, so a hostile note cannot make
/// a verifier read or hash without bound.
pub const MAX_NOTE_BYTES: usize = 1 << 20;

/// Most signature lines accepted, as in Go's `sumdb/note`.
pub const MAX_SIGNATURES: usize = 100;

/// U+2014 EM DASH then a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Signs `text` with every signer and returns the full note.
///
/// Preconditions, all checked: at least one signer ([`NoteError::NoSigners`]);
/// `text` non-empty ([`NoteError::EmptyText`]), ending in a newline
/// ([`NoteError::NotNewlineTerminated`]), free of control characters other
/// than newline ([`NoteError::ControlCharacter`]); the note no larger than
/// [`MAX_NOTE_BYTES`] ([`NoteError::TooLarge`]).
pub fn sign_note(text: &str, signers: &[&Signer]) -> Result<String, NoteError> {
    if signers.is_empty() {
        return Err(NoteError::NoSigners);
    }
    check_text(text)?;
    let mut note = format!("{text}\n");
    for signer in signers {
        let mut blob = Vec::with_capacity(68);
        blob.extend_from_slice(&signer.key_id().to_be_bytes());
        blob.extend_from_slice(&signer.sign(text.as_bytes()));
        note.push_str(SIGNATURE_PREFIX);
        note.push_str(signer.name());
        note.push(' ');
        note.push_str(&STANDARD.encode(blob));
        note.push('\n');
    }
    if note.len() > MAX_NOTE_BYTES {
        return Err(NoteError::TooLarge {
            size: note.len(),
            max: MAX_NOTE_BYTES,
        });
    }
    Ok(note)
}

/// Checks a signed note and returns its text (what was signed) and the
/// names of the known keys whose signatures verified, without duplicates.
///
/// Accepts only a note that is at most [`MAX_NOTE_BYTES`], valid UTF-8 with
/// no control characters but newline, has text and a blank line and at most
/// [`MAX_SIGNATURES`] well-formed, newline-terminated signature lines, and
/// has at least one valid signature by a key in `known`. A line whose name
/// and key id match a known key but whose signature fails rejects the whole
/// note ([`NoteError::InvalidSignature`]); lines from unknown keys are
/// skipped, since notes may be cosigned by parties the caller does not know.
pub fn open_note(note: &[u8], known: &[Verifier]) -> Result<(String, Vec<String>), NoteError> {
    if note.len() > MAX_NOTE_BYTES {
        return Err(NoteError::TooLarge {
            size: note.len(),
            max: MAX_NOTE_BYTES,
        });
    }
    let note = std::str::from_utf8(note).map_err(|_| NoteError::NotUtf8)?;
    check_characters(note)?;
    // The last blank line is the separator: signature lines cannot contain
    // one, while the text might (this matches Go's bytes.LastIndex).
    let split = note.rfind("\n\n").ok_or(NoteError::MissingSeparator)?;
    let (text, signatures) = (&note[..=split], &note[split + 2..]);
    if signatures.is_empty() {
        return Err(NoteError::MissingSignatures);
    }
    let signatures = signatures
        .strip_suffix('\n')
        .ok_or(NoteError::NotNewlineTerminated)?;
    let mut verified = BTreeSet::new();
    for (number, line) in (1..).zip(signatures.split('\n')) {
        if number > MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures {
                max: MAX_SIGNATURES,
            });
        }
        let (name, key_id, signature) =
            parse_signature_line(line).ok_or(NoteError::MalformedSignatureLine { line: number })?;
        let mut candidates = known
            .iter()
            .filter(|v| v.name() == name && v.key_id() == key_id)
            .peekable();
        if candidates.peek().is_none() {
            continue;
        }
        if !candidates.any(|v| v.verifies(text.as_bytes(), &signature)) {
            return Err(NoteError::InvalidSignature {
                name: name.to_owned(),
                key_id,
            });
        }
        verified.insert(name.to_owned());
    }
    if verified.is_empty() {
        return Err(NoteError::NoKnownSignature);
    }
    Ok((text.to_owned(), verified.into_iter().collect()))
}

/// `— <name> <base64>` to (name, key id, signature bytes), or `None` if
/// malformed. Signatures of other algorithms are kept opaque: they only
/// have to carry a key id.
fn parse_signature_line(line: &str) -> Option<(&str, u32, Vec<u8>)> {
    let (name, encoded) = line.strip_prefix(SIGNATURE_PREFIX)?.split_once(' ')?;
    if !is_valid_name(name) {
        return None;
    }
    let blob = STANDARD.decode(encoded).ok()?;
    let (id, signature) = blob.split_first_chunk::<4>()?;
    if signature.is_empty() {
        return None;
    }
    Some((name, u32::from_be_bytes(*id), signature.to_vec()))
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if text.is_empty() {
        return Err(NoteError::EmptyText);
    }
    if !text.ends_with('\n') {
        return Err(NoteError::NotNewlineTerminated);
    }
    check_characters(text)
}

fn check_characters(text: &str) -> Result<(), NoteError> {
    match text
        .char_indices()
        .find(|&(_, c)| c.is_control() && c != '\n')
    {
        Some((offset, _)) => Err(NoteError::ControlCharacter { offset }),
        None => Ok(()),
    }
}
