//! Ed25519 note keys and their text forms, as in Go's `sumdb/note`:
//! verifier key `<name>+<id hex>+<base64(0x01 || public key)>` and signer key
//! `PRIVATE+KEY+<name>+<id hex>+<base64(0x01 || seed)>`.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::checkpoint::KeyError;

/// The signed-note algorithm byte for Ed25519.
const ALG_ED25519: u8 = 0x01;
const PRIVATE_PREFIX: &str = "PRIVATE+KEY+";

/// The signed-note key id of an Ed25519 key: the first 4 bytes, big-endian,
/// of `SHA-256(name || 0x0A || 0x01 || public key)`. Hashing the name and
/// algorithm in means one key under two names gets two ids.
pub fn key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update([b'\n', ALG_ED25519])
        .chain_update(public_key)
        .finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// C2SP signed-note key names: non-empty, no Unicode whitespace, no `+`
/// (the key string separator). Control characters are refused too, since a
/// note containing them is rejected anyway.
pub(crate) fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

/// Splits `<name>+<8 hex id>+<base64(alg || key)>` and checks the name, id
/// syntax and algorithm; returns the name, stated id and 32 key bytes.
fn split_key_string(text: &str) -> Result<(&str, u32, [u8; 32]), KeyError> {
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(KeyError::MalformedKeyString);
    };
    if !is_valid_name(name) {
        return Err(KeyError::InvalidName);
    }
    let id_bytes: [u8; 4] = hex::decode(id_hex)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(KeyError::MalformedKeyString)?;
    let decoded = STANDARD
        .decode(key_b64)
        .map_err(|_| KeyError::MalformedKeyString)?;
    let Some((&alg, key)) = decoded.split_first() else {
        return Err(KeyError::MalformedKeyString);
    };
    if alg != ALG_ED25519 {
        return Err(KeyError::UnsupportedAlgorithm { alg });
    }
    let key: [u8; 32] = key
        .try_into()
        .map_err(|_| KeyError::KeyLength { got: key.len() })?;
    Ok((name, u32::from_be_bytes(id_bytes), key))
}

fn encode_key_string(name: &str, id: u32, key: &[u8; 32]) -> String {
    let mut tagged = Vec::with_capacity(33);
    tagged.push(ALG_ED25519);
    tagged.extend_from_slice(key);
    format!("{name}+{id:08x}+{}", STANDARD.encode(tagged))
}

/// A named Ed25519 signing key.
#[derive(Clone)]
pub struct Signer {
    name: String,
    key_id: u32,
    key: SigningKey,
}

impl Signer {
    /// Derives the key from a 32-byte Ed25519 seed; the caller supplies the
    /// randomness (e.g. from getrandom) so this module stays deterministic.
    ///
    /// Precondition: `name` is a valid key name ([`KeyError::InvalidName`]).
    pub fn generate_from_seed(seed: [u8; 32], name: &str) -> Result<Self, KeyError> {
        if !is_valid_name(name) {
            return Err(KeyError::InvalidName);
        }
        let key = SigningKey::from_bytes(&seed);
        Ok(Self {
            name: name.to_owned(),
            key_id: key_id(name, key.verifying_key().as_bytes()),
            key,
        })
    }

    /// Parses `PRIVATE+KEY+<name>+<id hex>+<base64(0x01 || seed)>`, checking
    /// that the stated id is the key's id ([`KeyError::KeyIdMismatch`]).
    pub fn from_private_key_string(text: &str) -> Result<Self, KeyError> {
        let rest = text
            .strip_prefix(PRIVATE_PREFIX)
            .ok_or(KeyError::MalformedKeyString)?;
        let (name, stated, seed) = split_key_string(rest)?;
        let signer = Self::generate_from_seed(seed, name)?;
        if signer.key_id != stated {
            return Err(KeyError::KeyIdMismatch {
                stated,
                computed: signer.key_id,
            });
        }
        Ok(signer)
    }

    /// The secret key string; store it like any other secret.
    pub fn private_key_string(&self) -> String {
        let seed = self.key.to_bytes();
        format!(
            "{PRIVATE_PREFIX}{}",
            encode_key_string(&self.name, self.key_id, &seed)
        )
    }

    pub fn verifier_key_string(&self) -> String {
        self.verifier().verifier_key_string()
    }

    pub fn verifier(&self) -> Verifier {
        Verifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// Ed25519 (RFC 8032, deterministic) signature of `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        ed25519_dalek::Signer::sign(&self.key, message).to_bytes()
    }
}

/// Keeps the secret out of logs and panic messages.
impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

/// A named Ed25519 public key that notes are checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl Verifier {
    /// Parses `<name>+<id hex>+<base64(0x01 || public key)>`, checking that
    /// the key is a usable Ed25519 point ([`KeyError::InvalidPublicKey`])
    /// and that the stated id is its id ([`KeyError::KeyIdMismatch`]).
    pub fn from_verifier_key_string(text: &str) -> Result<Self, KeyError> {
        let (name, stated, public) = split_key_string(text)?;
        let key = VerifyingKey::from_bytes(&public).map_err(|_| KeyError::InvalidPublicKey)?;
        // A small-order key would let one signature verify for any message.
        if key.is_weak() {
            return Err(KeyError::InvalidPublicKey);
        }
        let computed = key_id(name, &public);
        if computed != stated {
            return Err(KeyError::KeyIdMismatch { stated, computed });
        }
        Ok(Self {
            name: name.to_owned(),
            key_id: computed,
            key,
        })
    }

    pub fn verifier_key_string(&self) -> String {
        encode_key_string(&self.name, self.key_id, self.key.as_bytes())
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// Strict Ed25519 verification (canonical encodings, no small-order
    /// points), which accepts every signature an honest signer makes.
    pub(crate) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = Signature::from_slice(signature) else {
            return false;
        };
        self.key.verify_strict(message, &signature).is_ok()
    }
}
