//! Shared machinery of the keyed operators: one hash function for every
//! platform (so both sides of a join land in the same bucket) and hash
//! partitioning of a stream.

use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;
use std::sync::Arc;

use crate::data::{AnyIter, AnyVec, Data};
use crate::error::Result;

// A fixed seed: partitioning must agree between the two inputs of a join and
// between runs, which a per-process random seed would break.
const PARTITION_SEED: u64 = 0x5741_5941_4e47; // "WAYANG"

/// The hash that decides a key's partition.
pub fn key_hash<K: Hash + ?Sized>(key: &K) -> u64 {
    foldhash::fast::FixedState::with_seed(PARTITION_SEED).hash_one(key)
}

/// A hash map whose iteration order does not matter to results (kernels keep
/// their own first-seen order), with a fast, fixed hasher.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Splits records into `parts` buckets by `hash` (the [`key_hash`] of their
/// key), keeping the input order inside each bucket. A hash, not a key
/// function: a key borrowed from the record need not be cloned.
pub(crate) fn hash_partition<T: Data>(
    records: impl Iterator<Item = T>,
    parts: usize,
    hash: impl Fn(&T) -> u64,
) -> Vec<AnyVec> {
    partition_hashed(records.map(|record| (hash(&record), record)), parts)
}

/// Splits records into `parts` buckets by the hash paired with each,
/// keeping the input order inside each bucket: for callers that already
/// hold the key (a combining table) and need not compute it again.
pub(crate) fn partition_hashed<T: Data>(
    hashed: impl Iterator<Item = (u64, T)>,
    parts: usize,
) -> Vec<AnyVec> {
    let parts = parts.max(1);
    let mut buckets: Vec<Vec<T>> = (0..parts).map(|_| Vec::new()).collect();
    for (hash, record) in hashed {
        buckets[bucket_of(hash, parts)].push(record);
    }
    buckets.into_iter().map(AnyVec::new).collect()
}

/// The bucket of a hash among `parts` buckets (Lemire's multiply-shift, which
/// avoids the bias and the division of `hash % parts`).
fn bucket_of(hash: u64, parts: usize) -> usize {
    ((u128::from(hash) * parts as u128) >> 64) as usize
}

/// Runs `work` only when the resulting stream is first pulled: operators that
/// must see their whole input (aggregations, sorts) stay lazy like the rest,
/// so their work is timed and guarded where it happens.
pub(crate) fn lazily<T, I>(
    work: impl FnOnce() -> I + Send + 'static,
) -> impl Iterator<Item = T> + Send + 'static
where
    T: Data,
    I: IntoIterator<Item = T>,
    I::IntoIter: Send + 'static,
{
    std::iter::once_with(work).flatten()
}

/// The key functions of an operator over two inputs (Join, CoGroup): one
/// per side, producing the same key type, so both sides partition alike.
pub struct TwoSidedKeys<L, R, K, LK, RK> {
    pub(crate) left: Arc<LK>,
    pub(crate) right: Arc<RK>,
    _types: PhantomData<fn(L, R) -> K>,
}

impl<L, R, K, LK, RK> TwoSidedKeys<L, R, K, LK, RK> {
    /// Wraps the key functions.
    pub fn new(left: LK, right: RK) -> Self {
        TwoSidedKeys {
            left: Arc::new(left),
            right: Arc::new(right),
            _types: PhantomData,
        }
    }
}

impl<L, R, K, LK, RK> TwoSidedKeys<L, R, K, LK, RK>
where
    L: Data,
    R: Data,
    K: Hash,
    LK: Fn(&L) -> K,
    RK: Fn(&R) -> K,
{
    pub(crate) fn partition_left_side(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>> {
        Ok(hash_partition(input.downcast::<L>()?, parts, |r| {
            key_hash(&(self.left)(r))
        }))
    }

    pub(crate) fn partition_right_side(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>> {
        Ok(hash_partition(input.downcast::<R>()?, parts, |r| {
            key_hash(&(self.right)(r))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_share_a_bucket_and_order_is_kept() {
        let records = (0..100u32).map(|i| (format!("k{}", i % 7), i));
        let buckets = hash_partition(records, 4, |(key, _)| key_hash(key));
        assert_eq!(buckets.len(), 4);
        let mut owner = std::collections::HashMap::new();
        let mut total = 0;
        for (index, bucket) in buckets.into_iter().enumerate() {
            let bucket = bucket.into_vec::<(String, u32)>().unwrap();
            total += bucket.len();
            assert!(bucket.windows(2).all(|w| w[0].1 < w[1].1));
            for (key, _) in bucket {
                assert_eq!(*owner.entry(key).or_insert(index), index);
            }
        }
        assert_eq!(total, 100);
    }

    #[test]
    fn buckets_are_in_range() {
        for parts in 1..10 {
            for hash in [0, 1, u64::MAX / 3, u64::MAX] {
                assert!(bucket_of(hash, parts) < parts);
            }
        }
    }
}
