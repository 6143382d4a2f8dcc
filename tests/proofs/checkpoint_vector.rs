//! Known-answer vector in tests/data/checkpoint/vector.json: a fixed seed,
//! name and checkpoint must give exactly the committed keys and note
//! (Ed25519 signing is deterministic), and the committed note must open.
//!
//! To regenerate after a deliberate format change:
//! `CLAIMLOG_WRITE_VECTORS=1 cargo test --test checkpoint_vector -- --ignored`

use std::path::PathBuf;

use claimlog::checkpoint::{open_checkpoint, sign_note, Checkpoint, Signer, Verifier};
use claimlog::merkle::{hash_leaf, root};
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Vector {
    description: String,
    seed: String,
    key_name: String,
    key_id: String,
    private_key: String,
    verifier_key: String,
    origin: String,
    size: u64,
    root: String,
    body: String,
    note: String,
}

const NAME: &str = "example.com/claimlog";
const SIZE: u8 = 5;

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/checkpoint/vector.json")
}

fn seed() -> [u8; 32] {
    std::array::from_fn(|i| u8::try_from(i + 1).unwrap())
}

fn generate() -> Vector {
    let leaves: Vec<_> = (0..SIZE).map(|i| hash_leaf(&[i])).collect();
    let tree_root = root(&leaves);
    let signer = Signer::generate_from_seed(seed(), NAME).unwrap();
    let checkpoint = Checkpoint::new(NAME, u64::from(SIZE), tree_root).unwrap();
    let body = checkpoint.body();
    Vector {
        description: "Ed25519 seed = bytes 0x01..=0x20; root = merkle root of leaves whose \
                      data is the single bytes 0..=4 (see tests/data/merkle)."
            .into(),
        seed: hex::encode(seed()),
        key_name: NAME.into(),
        key_id: format!("{:08x}", signer.key_id()),
        private_key: signer.private_key_string(),
        verifier_key: signer.verifier_key_string(),
        origin: NAME.into(),
        size: u64::from(SIZE),
        root: hex::encode(tree_root),
        note: sign_note(&body, &[&signer]).unwrap(),
        body,
    }
}

fn committed() -> Vector {
    serde_json::from_str(&std::fs::read_to_string(path()).unwrap()).unwrap()
}

#[test]
fn generation_reproduces_the_committed_vector() {
    assert_eq!(generate(), committed());
}

#[test]
fn committed_note_opens_with_committed_key() {
    let vector = committed();
    let verifier = Verifier::from_verifier_key_string(&vector.verifier_key).unwrap();
    let (checkpoint, names) =
        open_checkpoint(vector.note.as_bytes(), &vector.origin, &[verifier]).unwrap();
    assert_eq!(names, [vector.key_name.as_str()]);
    assert_eq!(checkpoint.body(), vector.body);
    assert_eq!(checkpoint.size(), vector.size);
    assert_eq!(hex::encode(checkpoint.root()), vector.root);
    let signer = Signer::from_private_key_string(&vector.private_key).unwrap();
    assert_eq!(format!("{:08x}", signer.key_id()), vector.key_id);
}

/// Without CLAIMLOG_WRITE_VECTORS this only compares, so running ignored
/// tests cannot silently rewrite the source of truth.
#[test]
#[ignore = "regenerates tests/data/checkpoint; see the module docs"]
fn regenerate_checkpoint_vector() {
    let text = serde_json::to_string_pretty(&generate()).unwrap() + "\n";
    if std::env::var_os("CLAIMLOG_WRITE_VECTORS").is_some() {
        std::fs::write(path(), text).unwrap();
    } else {
        assert!(std::fs::read_to_string(path()).unwrap_or_default() == text);
    }
}
