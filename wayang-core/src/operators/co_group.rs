//! CoGroup: the groups of two inputs per key.

use std::hash::Hash;
use std::sync::Arc;

use super::keyed::{lazily, FastMap, TwoSidedKeys};
use crate::data::{AnyIter, AnyVec, Data, DataType};
use crate::error::Result;

/// The typed functions of a CoGroup, erased.
pub trait CoGroupKernel: Send + Sync {
    /// Groups both inputs by key into `(K, Vec<L>, Vec<R>)`, lazily; every key
    /// of either side appears once. Order: keys first seen on the left, then
    /// keys seen only on the right.
    fn co_group(&self, left: AnyIter, right: AnyIter) -> Result<AnyIter>;

    /// Splits left records into `parts` buckets by key hash.
    fn partition_left(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>>;

    /// Splits right records into `parts` buckets by key hash.
    fn partition_right(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>>;
}

/// Groups two inputs by key; the output records are `(K, Vec<L>, Vec<R>)`.
#[derive(Clone)]
pub struct CoGroup {
    /// The typed functions.
    pub kernel: Arc<dyn CoGroupKernel>,
    /// The left input's record type.
    pub left_type: DataType,
    /// The right input's record type.
    pub right_type: DataType,
    /// The output record type.
    pub output_type: DataType,
}

/// The typed [`CoGroupKernel`]: a key function per side.
pub type CoGroupFns<L, R, K, LK, RK> = TwoSidedKeys<L, R, K, LK, RK>;

impl<L, R, K, LK, RK> CoGroupKernel for TwoSidedKeys<L, R, K, LK, RK>
where
    L: Data,
    R: Data,
    K: Data + Hash + Eq,
    LK: Fn(&L) -> K + Send + Sync + 'static,
    RK: Fn(&R) -> K + Send + Sync + 'static,
{
    fn co_group(&self, left: AnyIter, right: AnyIter) -> Result<AnyIter> {
        let (left, right) = (left.downcast::<L>()?, right.downcast::<R>()?);
        let (left_key, right_key) = (self.left.clone(), self.right.clone());
        Ok(AnyIter::new(lazily(move || {
            let mut slots: FastMap<K, usize> = FastMap::default();
            let mut groups: Vec<(K, Vec<L>, Vec<R>)> = Vec::new();
            let mut slot_of = |key: K, groups: &mut Vec<(K, Vec<L>, Vec<R>)>| {
                *slots.entry(key.clone()).or_insert_with(|| {
                    groups.push((key, Vec::new(), Vec::new()));
                    groups.len() - 1
                })
            };
            for record in left {
                let slot = slot_of(left_key(&record), &mut groups);
                groups[slot].1.push(record);
            }
            for record in right {
                let slot = slot_of(right_key(&record), &mut groups);
                groups[slot].2.push(record);
            }
            groups
        })))
    }

    fn partition_left(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>> {
        self.partition_left_side(input, parts)
    }

    fn partition_right(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>> {
        self.partition_right_side(input, parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_of_either_side_once() {
        let kernel = CoGroupFns::new(|l: &u8| *l % 3, |r: &char| *r as u8 % 3);
        let out: Vec<(u8, Vec<u8>, Vec<char>)> = kernel
            .co_group(
                AnyIter::new([1u8, 4, 0].into_iter()),
                AnyIter::new(['a', 'b'].into_iter()),
            )
            .unwrap()
            .downcast()
            .unwrap()
            .collect();
        // 'a' = 97 -> 1, 'b' = 98 -> 2
        assert_eq!(
            out,
            [
                (1, vec![1, 4], vec!['a']),
                (0, vec![0], vec![]),
                (2, vec![], vec!['b'])
            ]
        );
    }
}
