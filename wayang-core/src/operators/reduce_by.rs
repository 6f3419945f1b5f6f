//! ReduceBy: combine all records that share a key.

use std::collections::hash_map::Entry;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use super::keyed::{hash_partition, key_hash, lazily, FastMap};
use crate::data::{AnyIter, AnyVec, Data, DataType};
use crate::error::Result;

/// The typed functions of a ReduceBy, erased.
pub trait ReduceByKernel: Send + Sync {
    /// Combines all records of `input` with equal keys into one each, lazily.
    /// Output order: by first appearance of each key.
    fn reduce(&self, input: AnyIter) -> Result<AnyIter>;

    /// Splits records into `parts` buckets by key hash (for shuffles; a
    /// partitioned platform reduces each partition first, then each bucket).
    fn partition(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>>;
}

/// Combines all records with equal keys with an associative, commutative
/// function (so partial results may be combined in any order).
#[derive(Clone)]
pub struct ReduceBy {
    /// The typed functions.
    pub kernel: Arc<dyn ReduceByKernel>,
    /// The record type (input and output).
    pub data_type: DataType,
}

/// The typed [`ReduceByKernel`]: a key function and a reduce function.
pub struct ReduceByFns<T, K, KF, RF> {
    key: Arc<KF>,
    reduce: Arc<RF>,
    _types: PhantomData<fn(T) -> K>,
}

impl<T, K, KF, RF> ReduceByFns<T, K, KF, RF> {
    /// Wraps the two functions.
    pub fn new(key: KF, reduce: RF) -> Self {
        ReduceByFns {
            key: Arc::new(key),
            reduce: Arc::new(reduce),
            _types: PhantomData,
        }
    }
}

impl<T, K, KF, RF> ReduceByKernel for ReduceByFns<T, K, KF, RF>
where
    T: Data,
    K: Hash + Eq + Send + 'static,
    KF: Fn(&T) -> K + Send + Sync + 'static,
    RF: Fn(T, T) -> T + Send + Sync + 'static,
{
    fn reduce(&self, input: AnyIter) -> Result<AnyIter> {
        let input = input.downcast::<T>()?;
        let (key, reduce) = (self.key.clone(), self.reduce.clone());
        Ok(AnyIter::new(lazily(move || {
            let keyed = input.map(|record| (key(&record), record));
            let (_, accumulators) = combine_by_key(keyed, &*reduce);
            accumulators.into_iter().flatten()
        })))
    }

    fn partition(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>> {
        let key = self.key.clone();
        Ok(hash_partition(input.downcast::<T>()?, parts, |r| {
            key_hash(&key(r))
        }))
    }
}

/// Combines the values of equal keys: each key's slot (in first-seen
/// order) and the slots' accumulated values (always `Some`; `Option` so a
/// value can be moved out and back while combining).
fn combine_by_key<K: Hash + Eq, V>(
    pairs: impl Iterator<Item = (K, V)>,
    reduce: impl Fn(V, V) -> V,
) -> (FastMap<K, usize>, Vec<Option<V>>) {
    let mut slots: FastMap<K, usize> = FastMap::default();
    let mut values: Vec<Option<V>> = Vec::new();
    for (key, value) in pairs {
        match slots.entry(key) {
            Entry::Occupied(slot) => {
                let acc = &mut values[*slot.get()];
                *acc = acc.take().map(|previous| reduce(previous, value));
            }
            Entry::Vacant(slot) => {
                slot.insert(values.len());
                values.push(Some(value));
            }
        }
    }
    (slots, values)
}

/// The [`ReduceByKernel`] of pair records `(K, V)` keyed by their first
/// field: the reduce function combines values, and the key is moved into
/// the table rather than cloned for every record (the cost of a key
/// function returning an owned `String`, say).
pub struct ReduceValuesFns<K, V, RF> {
    reduce: Arc<RF>,
    _types: PhantomData<fn(K, V)>,
}

impl<K, V, RF> ReduceValuesFns<K, V, RF> {
    /// Wraps the function that combines two values of one key.
    pub fn new(reduce: RF) -> Self {
        ReduceValuesFns {
            reduce: Arc::new(reduce),
            _types: PhantomData,
        }
    }
}

impl<K, V, RF> ReduceByKernel for ReduceValuesFns<K, V, RF>
where
    (K, V): Data,
    K: Hash + Eq + Send + 'static,
    V: Send + 'static,
    RF: Fn(V, V) -> V + Send + Sync + 'static,
{
    fn reduce(&self, input: AnyIter) -> Result<AnyIter> {
        let input = input.downcast::<(K, V)>()?;
        let reduce = self.reduce.clone();
        Ok(AnyIter::new(lazily(move || {
            let (slots, values) = combine_by_key(input, &*reduce);
            // Back to first-seen order: each key to the position of its value.
            let mut keys: Vec<Option<K>> =
                std::iter::repeat_with(|| None).take(values.len()).collect();
            for (key, slot) in slots {
                keys[slot] = Some(key);
            }
            keys.into_iter()
                .zip(values)
                .filter_map(|(key, value)| Some((key?, value?)))
        })))
    }

    fn partition(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>> {
        // Hashing `&K` hashes `K`: the buckets agree with a key function
        // returning the key by value.
        Ok(hash_partition(
            input.downcast::<(K, V)>()?,
            parts,
            |(key, _)| key_hash(key),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_per_key_in_first_seen_order() {
        let kernel = ReduceByFns::new(
            |(k, _): &(String, u32)| k.clone(),
            |a: (String, u32), b: (String, u32)| (a.0, a.1 + b.1),
        );
        let input = vec![
            ("b".to_string(), 1u32),
            ("a".into(), 2),
            ("b".into(), 3),
            ("ü".into(), 4),
        ];
        let out: Vec<(String, u32)> = kernel
            .reduce(AnyIter::new(input.into_iter()))
            .unwrap()
            .downcast()
            .unwrap()
            .collect();
        assert_eq!(
            out,
            [("b".to_string(), 4), ("a".into(), 2), ("ü".into(), 4)]
        );
        let empty = kernel
            .reduce(AnyIter::new(Vec::<(String, u32)>::new().into_iter()))
            .unwrap();
        assert_eq!(empty.downcast::<(String, u32)>().unwrap().count(), 0);
    }

    #[test]
    fn partition_then_reduce_equals_reduce() {
        let kernel = ReduceByFns::new(|x: &u32| x % 5, |a: u32, b: u32| a + b);
        let buckets = kernel.partition(AnyIter::new(0..100u32), 3).unwrap();
        let mut combined: Vec<u32> = Vec::new();
        for bucket in buckets {
            let it = AnyIter::new(bucket.into_stream::<u32>().unwrap());
            combined.extend(kernel.reduce(it).unwrap().downcast::<u32>().unwrap());
        }
        combined.sort_unstable();
        let mut direct: Vec<u32> = kernel
            .reduce(AnyIter::new(0..100u32))
            .unwrap()
            .downcast()
            .unwrap()
            .collect();
        direct.sort_unstable();
        assert_eq!(combined, direct);
    }

    #[test]
    fn pair_values_reduce_like_a_key_function_would() {
        let by_pair = ReduceValuesFns::<String, u32, _>::new(|a: u32, b: u32| a + b);
        let by_key = ReduceByFns::new(
            |(k, _): &(String, u32)| k.clone(),
            |a: (String, u32), b: (String, u32)| (a.0, a.1 + b.1),
        );
        let input: Vec<(String, u32)> = ["b", "a", "b", "ü", "a", "b"]
            .iter()
            .zip(1..)
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let run = |kernel: &dyn ReduceByKernel| -> Vec<(String, u32)> {
            kernel
                .reduce(AnyIter::new(input.clone().into_iter()))
                .unwrap()
                .downcast()
                .unwrap()
                .collect()
        };
        assert_eq!(
            run(&by_pair),
            [("b".to_string(), 10), ("a".into(), 7), ("ü".into(), 4)]
        );
        assert_eq!(run(&by_pair), run(&by_key));
        let buckets = |kernel: &dyn ReduceByKernel| -> Vec<Vec<(String, u32)>> {
            kernel
                .partition(AnyIter::new(input.clone().into_iter()), 3)
                .unwrap()
                .into_iter()
                .map(|bucket| bucket.into_stream::<(String, u32)>().unwrap().collect())
                .collect()
        };
        assert_eq!(buckets(&by_pair), buckets(&by_key));
    }
}
