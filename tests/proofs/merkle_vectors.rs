//! Known-answer and negative vectors in tests/data/merkle/. The committed
//! files are the source of truth: the prover must reproduce every "ok"
//! vector byte for byte and the verifier must give every recorded verdict.
//!
//! To regenerate after a deliberate format change:
//! `CLAIMLOG_WRITE_VECTORS=1 cargo test --test merkle_vectors -- --ignored`

use std::path::PathBuf;

use claimlog::merkle::{
    consistency_proof, hash_leaf, inclusion_proof, root, verify_consistency, verify_inclusion,
    Hash, VerifyError,
};
use serde::{Deserialize, Serialize};

const LEAF_RULE: &str = "Leaf i (0-based) has leaf data = the single byte i, listed in \
`leaves` as hex; its leaf hash is blake3(0x00 || data). A tree of size n holds leaves \
0..n. Hashes are lowercase hex of 32 bytes.";

/// How many leaves the vectors use; data is one byte per leaf, so < 256.
const LEAF_COUNT: u8 = 70;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct InclusionFile {
    description: String,
    leaves: Vec<String>,
    roots: Vec<RootCase>,
    cases: Vec<InclusionCase>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct RootCase {
    size: u64,
    root: String,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct InclusionCase {
    name: String,
    size: u64,
    index: u64,
    /// The leaf data (not its hash) claimed to be at `index`.
    leaf: String,
    proof: Vec<String>,
    root: String,
    expect: String,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct ConsistencyFile {
    description: String,
    leaves: Vec<String>,
    cases: Vec<ConsistencyCase>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct ConsistencyCase {
    name: String,
    old_size: u64,
    new_size: u64,
    old_root: String,
    new_root: String,
    proof: Vec<String>,
    expect: String,
}

fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/merkle")
        .join(name)
}

fn leaf_data() -> Vec<Vec<u8>> {
    (0..LEAF_COUNT).map(|i| vec![i]).collect()
}

fn leaf_hashes() -> Vec<Hash> {
    leaf_data().iter().map(|d| hash_leaf(d)).collect()
}

fn tree_root(size: u64) -> Hash {
    root(&leaf_hashes()[..usize::try_from(size).unwrap()])
}

fn decode_hash(text: &str) -> Hash {
    <[u8; 32]>::try_from(hex::decode(text).unwrap()).unwrap()
}

fn hex_all(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(hex::encode).collect()
}

fn kind(result: Result<(), VerifyError>) -> &'static str {
    match result {
        Ok(()) => "ok",
        Err(VerifyError::IndexOutOfRange { .. }) => "index_out_of_range",
        Err(VerifyError::SizeOrder { .. }) => "size_order",
        Err(VerifyError::ProofLength { .. }) => "proof_length",
        Err(VerifyError::RootMismatch { .. }) => "root_mismatch",
        Err(VerifyError::OldRootMismatch { .. }) => "old_root_mismatch",
    }
}

fn flip_first_bit(hash: &str) -> String {
    let mut bytes = decode_hash(hash);
    bytes[0] ^= 1;
    hex::encode(bytes)
}

const HAPPY_LARGE: [(u64, &[u64]); 4] = [
    (13, &[0, 6, 12]),
    (16, &[0, 15]),
    (32, &[0, 17, 31]),
    (70, &[0, 33, 64, 69]),
];

fn inclusion_ok(size: u64, index: u64) -> InclusionCase {
    let proof = inclusion_proof(&leaf_hashes(), index, size).unwrap();
    InclusionCase {
        name: format!("leaf {index} of {size}"),
        size,
        index,
        leaf: hex::encode([u8::try_from(index).unwrap()]),
        proof: hex_all(&proof),
        root: hex::encode(tree_root(size)),
        expect: "ok".into(),
    }
}

fn generate_inclusion() -> InclusionFile {
    let mut cases = Vec::new();
    for size in 1..=8 {
        cases.extend((0..size).map(|index| inclusion_ok(size, index)));
    }
    for (size, indices) in HAPPY_LARGE {
        cases.extend(indices.iter().map(|&index| inclusion_ok(size, index)));
    }
    let negative = |name: &str, expect: &str, edit: &dyn Fn(&mut InclusionCase)| {
        let mut case = inclusion_ok(13, 6);
        case.name = name.into();
        case.expect = expect.into();
        edit(&mut case);
        case
    };
    cases.extend([
        negative("wrong leaf", "root_mismatch", &|c| c.leaf = "07".into()),
        negative("wrong index", "root_mismatch", &|c| c.index = 5),
        negative("index equals size", "index_out_of_range", &|c| c.index = 13),
        negative("truncated proof", "proof_length", &|c| {
            c.proof.pop();
        }),
        negative("empty proof", "proof_length", &|c| c.proof.clear()),
        negative("trailing extra element", "proof_length", &|c| {
            c.proof.push(hex::encode([0u8; 32]))
        }),
        negative("one flipped bit", "root_mismatch", &|c| {
            c.proof[1] = flip_first_bit(&c.proof[1])
        }),
        negative("root of another size", "root_mismatch", &|c| {
            c.root = hex::encode(tree_root(12))
        }),
        negative("wrong size with that size's root", "root_mismatch", &|c| {
            c.size = 14;
            c.root = hex::encode(tree_root(14));
        }),
        InclusionCase {
            name: "empty tree".into(),
            size: 0,
            index: 0,
            leaf: "00".into(),
            proof: Vec::new(),
            root: hex::encode(tree_root(0)),
            expect: "index_out_of_range".into(),
        },
    ]);
    let root_sizes = (0..=8).chain(HAPPY_LARGE.iter().map(|(size, _)| *size));
    InclusionFile {
        description: format!("RFC 9162 inclusion proofs with blake3. {LEAF_RULE}"),
        leaves: leaf_data().iter().map(hex::encode).collect(),
        roots: root_sizes
            .map(|size| RootCase {
                size,
                root: hex::encode(tree_root(size)),
            })
            .collect(),
        cases,
    }
}

fn consistency_ok(old_size: u64, new_size: u64) -> ConsistencyCase {
    let proof = consistency_proof(&leaf_hashes(), old_size, new_size).unwrap();
    ConsistencyCase {
        name: format!("{old_size} to {new_size}"),
        old_size,
        new_size,
        old_root: hex::encode(tree_root(old_size)),
        new_root: hex::encode(tree_root(new_size)),
        proof: hex_all(&proof),
        expect: "ok".into(),
    }
}

fn generate_consistency() -> ConsistencyFile {
    let mut cases = Vec::new();
    for new_size in 0..=8 {
        cases.extend((0..=new_size).map(|old_size| consistency_ok(old_size, new_size)));
    }
    for (old_size, new_size) in [(1, 70), (13, 32), (16, 70), (31, 70), (69, 70)] {
        cases.push(consistency_ok(old_size, new_size));
    }
    let negative =
        |base: (u64, u64), name: &str, expect: &str, edit: &dyn Fn(&mut ConsistencyCase)| {
            let mut case = consistency_ok(base.0, base.1);
            case.name = name.into();
            case.expect = expect.into();
            edit(&mut case);
            case
        };
    let zeros = hex::encode([0u8; 32]);
    cases.extend([
        negative((13, 32), "truncated proof", "proof_length", &|c| {
            c.proof.pop();
        }),
        negative((13, 32), "trailing extra element", "proof_length", &|c| {
            c.proof.push(zeros.clone())
        }),
        negative((13, 32), "empty proof", "proof_length", &|c| {
            c.proof.clear()
        }),
        negative(
            (13, 32),
            "one flipped bit in first element",
            "old_root_mismatch",
            &|c| c.proof[0] = flip_first_bit(&c.proof[0]),
        ),
        negative(
            (13, 32),
            "one flipped bit in last element",
            "root_mismatch",
            &|c| {
                let last = c.proof.len() - 1;
                c.proof[last] = flip_first_bit(&c.proof[last])
            },
        ),
        negative((13, 32), "wrong old root", "old_root_mismatch", &|c| {
            c.old_root = hex::encode(tree_root(12))
        }),
        negative((13, 32), "wrong new root", "root_mismatch", &|c| {
            c.new_root = hex::encode(tree_root(31))
        }),
        negative(
            (4, 8),
            "power-of-two old tree, wrong old root",
            "root_mismatch",
            &|c| c.old_root = flip_first_bit(&c.old_root),
        ),
        negative((13, 32), "old size larger than new", "size_order", &|c| {
            c.old_size = 33
        }),
        negative((8, 8), "equal sizes with a proof", "proof_length", &|c| {
            c.proof.push(zeros.clone())
        }),
        negative(
            (8, 8),
            "equal sizes, different roots",
            "root_mismatch",
            &|c| c.new_root = hex::encode(tree_root(7)),
        ),
        negative((0, 8), "from empty with a proof", "proof_length", &|c| {
            c.proof.push(zeros.clone())
        }),
        negative(
            (0, 8),
            "from empty with a non-empty root",
            "old_root_mismatch",
            &|c| c.old_root = zeros.clone(),
        ),
    ]);
    ConsistencyFile {
        description: format!("RFC 9162 consistency proofs with blake3. {LEAF_RULE}"),
        leaves: leaf_data().iter().map(hex::encode).collect(),
        cases,
    }
}

fn load<T: for<'de> Deserialize<'de>>(name: &str) -> T {
    let text = std::fs::read_to_string(data_path(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn check_leaves(leaves: &[String]) {
    let expected: Vec<String> = leaf_data().iter().map(hex::encode).collect();
    assert_eq!(leaves, expected, "leaf data rule changed");
}

#[test]
fn inclusion_vectors() {
    let file: InclusionFile = load("inclusion.json");
    check_leaves(&file.leaves);
    for case in &file.roots {
        assert_eq!(
            hex::encode(tree_root(case.size)),
            case.root,
            "root of {}",
            case.size
        );
    }
    for case in &file.cases {
        if case.expect == "ok" {
            let proof = inclusion_proof(&leaf_hashes(), case.index, case.size).unwrap();
            assert_eq!(hex_all(&proof), case.proof, "{}", case.name);
            assert_eq!(
                hex::encode(tree_root(case.size)),
                case.root,
                "{}",
                case.name
            );
        }
        let proof: Vec<Hash> = case.proof.iter().map(|h| decode_hash(h)).collect();
        let leaf = hash_leaf(&hex::decode(&case.leaf).unwrap());
        let result = verify_inclusion(
            &leaf,
            case.index,
            case.size,
            &proof,
            &decode_hash(&case.root),
        );
        assert_eq!(kind(result), case.expect, "{}: {result:?}", case.name);
    }
}

#[test]
fn consistency_vectors() {
    let file: ConsistencyFile = load("consistency.json");
    check_leaves(&file.leaves);
    for case in &file.cases {
        if case.expect == "ok" {
            let proof = consistency_proof(&leaf_hashes(), case.old_size, case.new_size).unwrap();
            assert_eq!(hex_all(&proof), case.proof, "{}", case.name);
            assert_eq!(
                hex::encode(tree_root(case.old_size)),
                case.old_root,
                "{}",
                case.name
            );
            assert_eq!(
                hex::encode(tree_root(case.new_size)),
                case.new_root,
                "{}",
                case.name
            );
        }
        let proof: Vec<Hash> = case.proof.iter().map(|h| decode_hash(h)).collect();
        let (old_root, new_root) = (decode_hash(&case.old_root), decode_hash(&case.new_root));
        let result = verify_consistency(case.old_size, case.new_size, &old_root, &new_root, &proof);
        assert_eq!(kind(result), case.expect, "{}: {result:?}", case.name);
    }
}

/// Without CLAIMLOG_WRITE_VECTORS this only compares, so running ignored
/// tests in CI cannot silently rewrite the source of truth.
#[test]
#[ignore = "regenerates tests/data/merkle; see the module docs"]
fn regenerate_merkle_vectors() {
    let write = std::env::var_os("CLAIMLOG_WRITE_VECTORS").is_some();
    let files = [
        (
            "inclusion.json",
            serde_json::to_string_pretty(&generate_inclusion()),
        ),
        (
            "consistency.json",
            serde_json::to_string_pretty(&generate_consistency()),
        ),
    ];
    for (name, text) in files {
        let text = text.unwrap() + "\n";
        if write {
            std::fs::write(data_path(name), &text).unwrap();
        } else {
            let committed = std::fs::read_to_string(data_path(name)).unwrap_or_default();
            assert!(committed == text, "{name} differs from the generator");
        }
    }
}
