//! Pure index math for RFC 9162 proofs: which `[start, end)` leaf ranges a
//! proof is made of, in proof order, without touching any hash.
//!
//! Keeping this separate from hashing lets the prover and the verifier share
//! one definition of the proof shape, and lets it be tested exhaustively and
//! cheaply on its own.

use std::ops::Range;

use crate::merkle::IndexError;

/// The largest power of two strictly less than `n`: the RFC 9162 split point
/// `k` of a tree with `n` leaves. `None` when `n < 2`, since such a tree has
/// no split.
pub fn largest_power_of_two_below(n: u64) -> Option<u64> {
    if n < 2 {
        return None;
    }
    let below = n - 1;
    Some(1 << (u64::BITS - 1 - below.leading_zeros()))
}

/// The subtree ranges whose roots form the inclusion proof (RFC 9162
/// section 2.1.3.1, `PATH(m, D[n])`) for leaf `index` in a tree of `size`
/// leaves, ordered from the leaf's sibling up to the root's other child.
///
/// Precondition: `index < size` (else [`IndexError::IndexOutOfRange`]).
pub fn inclusion_ranges(index: u64, size: u64) -> Result<Vec<Range<u64>>, IndexError> {
    if index >= size {
        return Err(IndexError::IndexOutOfRange { index, size });
    }
    // Walk down from the root; each step records the sibling of the half that
    // holds the leaf. The RFC lists these bottom-up, hence the final reverse.
    let mut top_down = Vec::new();
    let (mut start, mut end) = (0, size);
    while let Some(k) = largest_power_of_two_below(end - start) {
        let split = start + k;
        if index < split {
            top_down.push(split..end);
            end = split;
        } else {
            top_down.push(start..split);
            start = split;
        }
    }
    top_down.reverse();
    Ok(top_down)
}

/// The subtree ranges whose roots form the consistency proof (RFC 9162
/// section 2.1.4.1, `PROOF(m, D[n])` via `SUBPROOF`) from a tree of
/// `old_size` leaves to one of `new_size` leaves, in proof order.
///
/// Empty when `old_size == 0` or `old_size == new_size`: nothing needs
/// proving then.
///
/// Precondition: `old_size <= new_size` (else [`IndexError::SizeOrder`]).
pub fn consistency_ranges(old_size: u64, new_size: u64) -> Result<Vec<Range<u64>>, IndexError> {
    if old_size > new_size {
        return Err(IndexError::SizeOrder { old_size, new_size });
    }
    if old_size == 0 || old_size == new_size {
        return Ok(Vec::new());
    }
    // SUBPROOF recursion unrolled: `tail` collects the hashes appended after
    // each recursive call (so it is reversed at the end), and `head` is the
    // single hash a recursion ending with b == false contributes up front.
    let mut tail = Vec::new();
    let mut head = None;
    let (mut start, mut end) = (0, new_size);
    let mut whole_old_tree = true;
    loop {
        let old_in_range = old_size - start;
        if old_in_range == end - start {
            if !whole_old_tree {
                head = Some(start..end);
            }
            break;
        }
        // 0 < old_in_range < end - start here, so the range has a split.
        let Some(k) = largest_power_of_two_below(end - start) else {
            break;
        };
        let split = start + k;
        if old_in_range <= k {
            tail.push(split..end);
            end = split;
        } else {
            tail.push(start..split);
            start = split;
            whole_old_tree = false;
        }
    }
    tail.reverse();
    Ok(head.into_iter().chain(tail).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_points() {
        assert_eq!(largest_power_of_two_below(0), None);
        assert_eq!(largest_power_of_two_below(1), None);
        assert_eq!(largest_power_of_two_below(2), Some(1));
        assert_eq!(largest_power_of_two_below(3), Some(2));
        assert_eq!(largest_power_of_two_below(4), Some(2));
        assert_eq!(largest_power_of_two_below(5), Some(4));
        assert_eq!(largest_power_of_two_below(u64::MAX), Some(1 << 63));
        assert_eq!(largest_power_of_two_below(1 << 63), Some(1 << 62));
    }

    #[test]
    fn rfc_9162_example_tree_of_seven() {
        // RFC 9162 section 2.1.5: the tree d0..d6.
        assert_eq!(inclusion_ranges(0, 7), Ok(vec![1..2, 2..4, 4..7]));
        assert_eq!(inclusion_ranges(3, 7), Ok(vec![2..3, 0..2, 4..7]));
        assert_eq!(inclusion_ranges(4, 7), Ok(vec![5..6, 6..7, 0..4]));
        assert_eq!(inclusion_ranges(6, 7), Ok(vec![4..6, 0..4]));
        assert_eq!(consistency_ranges(3, 7), Ok(vec![2..3, 3..4, 0..2, 4..7]));
        let single = Range { start: 4, end: 7 };
        assert_eq!(consistency_ranges(4, 7), Ok(vec![single]));
        assert_eq!(consistency_ranges(6, 7), Ok(vec![4..6, 6..7, 0..4]));
    }

    #[test]
    fn rejects_impossible_positions() {
        assert_eq!(
            inclusion_ranges(0, 0),
            Err(IndexError::IndexOutOfRange { index: 0, size: 0 })
        );
        assert_eq!(
            consistency_ranges(5, 4),
            Err(IndexError::SizeOrder {
                old_size: 5,
                new_size: 4
            })
        );
        assert_eq!(consistency_ranges(0, 9), Ok(vec![]));
        assert_eq!(consistency_ranges(9, 9), Ok(vec![]));
    }

    #[test]
    fn huge_trees_do_not_overflow() {
        let ranges = inclusion_ranges(u64::MAX - 1, u64::MAX);
        // The last leaf of 2^64 - 1 leaves sits beside 63 perfect subtrees.
        assert_eq!(ranges.map(|r| r.len()), Ok(63));
        let ranges = consistency_ranges(u64::MAX - 1, u64::MAX);
        assert!(ranges.is_ok());
    }
}
