//! Join: pair the records of two inputs that share a key (inner equi-join).

use std::collections::hash_map::Entry;
use std::hash::Hash;
use std::sync::Arc;

use super::keyed::{lazily, FastMap, TwoSidedKeys};
use crate::data::{AnyIter, AnyVec, Data, DataType};
use crate::error::Result;

/// The typed functions of a Join, erased.
pub trait JoinKernel: Send + Sync {
    /// Joins two streams, lazily: builds a hash table of `right` on first
    /// pull, then streams `left`. Output: `(L, R)` in left order, and for
    /// each left record in right order.
    fn join(&self, left: AnyIter, right: AnyIter) -> Result<AnyIter>;

    /// Splits left records into `parts` buckets by key hash.
    fn partition_left(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>>;

    /// Splits right records into `parts` buckets by key hash (same buckets
    /// as the left side for equal keys).
    fn partition_right(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>>;
}

/// An inner equi-join; the output records are `(L, R)`.
#[derive(Clone)]
pub struct Join {
    /// The typed functions.
    pub kernel: Arc<dyn JoinKernel>,
    /// The left input's record type.
    pub left_type: DataType,
    /// The right input's record type.
    pub right_type: DataType,
    /// The output record type, `(L, R)`.
    pub output_type: DataType,
}

/// The typed [`JoinKernel`]: a key function per side.
pub type JoinFns<L, R, K, LK, RK> = TwoSidedKeys<L, R, K, LK, RK>;

impl<L, R, K, LK, RK> JoinKernel for TwoSidedKeys<L, R, K, LK, RK>
where
    L: Data,
    R: Data,
    K: Hash + Eq + Send + 'static,
    LK: Fn(&L) -> K + Send + Sync + 'static,
    RK: Fn(&R) -> K + Send + Sync + 'static,
{
    fn join(&self, left: AnyIter, right: AnyIter) -> Result<AnyIter> {
        let (left, right) = (left.downcast::<L>()?, right.downcast::<R>()?);
        let (left_key, right_key) = (self.left.clone(), self.right.clone());
        Ok(AnyIter::new(lazily(move || {
            let mut table: FastMap<K, Vec<R>> = FastMap::default();
            for record in right {
                match table.entry(right_key(&record)) {
                    Entry::Occupied(mut matches) => matches.get_mut().push(record),
                    Entry::Vacant(slot) => {
                        slot.insert(vec![record]);
                    }
                }
            }
            // Shared so that each left record's matches are not copied as a whole.
            let table: FastMap<K, Arc<Vec<R>>> =
                table.into_iter().map(|(k, v)| (k, Arc::new(v))).collect();
            left.flat_map(move |l| Matches {
                matches: table.get(&left_key(&l)).cloned(),
                left: l,
                next: 0,
            })
        })))
    }

    fn partition_left(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>> {
        self.partition_left_side(input, parts)
    }

    fn partition_right(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>> {
        self.partition_right_side(input, parts)
    }
}

/// The output records of one left record: it paired with each of its matches.
struct Matches<L, R> {
    left: L,
    matches: Option<Arc<Vec<R>>>,
    next: usize,
}

impl<L: Clone, R: Clone> Iterator for Matches<L, R> {
    type Item = (L, R);

    fn next(&mut self) -> Option<(L, R)> {
        let right = self.matches.as_ref()?.get(self.next)?.clone();
        self.next += 1;
        Some((self.left.clone(), right))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_join_with_duplicates_on_both_sides() {
        let kernel = JoinFns::new(|l: &(u8, &'static str)| l.0, |r: &(u8, i32)| r.0);
        let left = vec![(1u8, "a"), (2, "b"), (1, "c"), (9, "z")];
        let right = vec![(1u8, 10), (1, 11), (2, 20), (3, 30)];
        type Pair = ((u8, &'static str), (u8, i32));
        let out: Vec<Pair> = kernel
            .join(
                AnyIter::new(left.into_iter()),
                AnyIter::new(right.into_iter()),
            )
            .unwrap()
            .downcast()
            .unwrap()
            .collect();
        let pairs: Vec<(&str, i32)> = out.iter().map(|(l, r)| (l.1, r.1)).collect();
        assert_eq!(
            pairs,
            [("a", 10), ("a", 11), ("b", 20), ("c", 10), ("c", 11)]
        );
    }
}
