//! The hashing interface of the tree: the RFC 6962 domain separation bytes
//! with blake3 in place of SHA-256.

/// A tree hash: the 32-byte output of plain (unkeyed) blake3.
pub type Hash = [u8; 32];

/// Domain-separation prefixes from RFC 6962 section 2.1; without them an
/// interior node could be passed off as a leaf (second-preimage attack).
const LEAF_PREFIX: u8 = 0x00;
const NODE_PREFIX: u8 = 0x01;

/// Root of the tree with no leaves: `blake3("")`.
pub fn empty_root() -> Hash {
    *blake3::hash(b"").as_bytes()
}

/// Leaf hash of `data`: `blake3(0x00 || data)`.
pub fn hash_leaf(data: &[u8]) -> Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&[LEAF_PREFIX]);
    hasher.update(data);
    *hasher.finalize().as_bytes()
}

/// Interior node hash: `blake3(0x01 || left || right)`.
pub fn hash_children(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&[NODE_PREFIX]);
    hasher.update(left);
    hasher.update(right);
    *hasher.finalize().as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_separate_leaves_from_nodes() {
        let a = hash_leaf(b"a");
        let b = hash_leaf(b"b");
        let mut concatenated = Vec::new();
        concatenated.extend_from_slice(&a);
        concatenated.extend_from_slice(&b);
        assert_ne!(hash_children(&a, &b), hash_leaf(&concatenated));
        assert_ne!(empty_root(), hash_leaf(b""));
    }
}
