//! A deliberately naive reference written straight from the recursive
//! definitions in RFC 6962 section 2.1 (MTH, PATH, PROOF/SUBPROOF), with
//! recursion and slicing and no shared code with the crate, so that the fast
//! implementation is checked against an independent reading of the RFC.

pub type Hash = [u8; 32];

/// The largest power of two strictly less than n, found by counting up.
fn split_point(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

fn node(left: &Hash, right: &Hash) -> Hash {
    let mut bytes = vec![0x01];
    bytes.extend_from_slice(left);
    bytes.extend_from_slice(right);
    *blake3::hash(&bytes).as_bytes()
}

pub fn leaf(data: &[u8]) -> Hash {
    let mut bytes = vec![0x00];
    bytes.extend_from_slice(data);
    *blake3::hash(&bytes).as_bytes()
}

/// MTH over leaf hashes (the RFC's MTH({d(0)}) = HASH(0x00 || d(0)) step is
/// already applied by the caller).
pub fn mth(d: &[Hash]) -> Hash {
    match d.len() {
        0 => *blake3::hash(b"").as_bytes(),
        1 => d[0],
        n => {
            let k = split_point(n);
            node(&mth(&d[..k]), &mth(&d[k..]))
        }
    }
}

/// PATH(m, D[n]).
pub fn path(m: usize, d: &[Hash]) -> Vec<Hash> {
    let n = d.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = split_point(n);
    if m < k {
        let mut p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

/// PROOF(m, D[n]) for 0 < m <= n (empty when m == n).
pub fn proof(m: usize, d: &[Hash]) -> Vec<Hash> {
    subproof(m, d, true)
}

fn subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { Vec::new() } else { vec![mth(d)] };
    }
    let k = split_point(n);
    if m <= k {
        let mut p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}
