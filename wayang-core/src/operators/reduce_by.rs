//! ReduceBy: combine all records that share a key.

use std::collections::hash_map::Entry;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use super::keyed::{hash_partition, key_hash, lazily, partition_hashed, FastMap};
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

    /// The map side of a shuffle: combines a partition's records, then
    /// splits them into `parts` buckets by key hash. By default it combines
    /// everything; the typed kernels give combining up when the first
    /// [`COMBINE_PROBE`] records hold few repeated keys (the reduce side
    /// combines anyway; a table of mostly unique keys only costs memory
    /// and cache misses).
    fn combine_and_partition(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>> {
        self.partition(self.reduce(input)?, parts)
    }
}

/// How many records the map side of a shuffle combines before it checks
/// whether combining pays: enough that a key set of a few thousand shows
/// its repeats, small enough that its table stays in cache.
pub const COMBINE_PROBE: usize = 20_000;

/// Combining pays when the probe's table holds at most this share of the
/// records it saw: a fifth of them folded into earlier keys at least.
const COMBINE_PAYS: f64 = 0.8;

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
            combine_by_key(keyed, |_, a, b| reduce(a, b))
                .values
                .into_iter()
                .flatten()
        })))
    }

    fn partition(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>> {
        let key = self.key.clone();
        Ok(hash_partition(input.downcast::<T>()?, parts, |r| {
            key_hash(&key(r))
        }))
    }

    fn combine_and_partition(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>> {
        let (key, reduce) = (&*self.key, &*self.reduce);
        let mut records = input.downcast::<T>()?;
        let mut keyed = records.by_ref().map(|record| (key(&record), record));
        let table = combine_while_it_pays(&mut keyed, |_, a, b| reduce(a, b));
        // The table's records are bucketed by the keys it holds, the rest
        // (if combining was given up) by a key computed once each.
        let combined = table.into_pairs().map(|(k, record)| (key_hash(&k), record));
        let rest = records.map(|record| (key_hash(&key(&record)), record));
        Ok(partition_hashed(combined.chain(rest), parts))
    }
}

/// A combining table: each key's slot in first-seen order and the slots'
/// accumulated values (always `Some`; `Option` so a value can be moved out
/// and back while combining).
struct Table<K, V> {
    slots: FastMap<K, usize>,
    values: Vec<Option<V>>,
}

impl<K: Hash + Eq, V> Table<K, V> {
    fn new() -> Self {
        Table {
            slots: FastMap::default(),
            values: Vec::new(),
        }
    }

    #[inline]
    fn add(&mut self, key: K, value: V, reduce: &impl Fn(&K, V, V) -> V) {
        match self.slots.entry(key) {
            Entry::Occupied(slot) => {
                let acc = &mut self.values[*slot.get()];
                *acc = acc
                    .take()
                    .map(|previous| reduce(slot.key(), previous, value));
            }
            Entry::Vacant(slot) => {
                slot.insert(self.values.len());
                self.values.push(Some(value));
            }
        }
    }

    fn add_all(&mut self, pairs: impl Iterator<Item = (K, V)>, reduce: &impl Fn(&K, V, V) -> V) {
        for (key, value) in pairs {
            self.add(key, value, reduce);
        }
    }

    /// The combined pairs in first-seen order of their keys.
    fn into_pairs(self) -> impl Iterator<Item = (K, V)> {
        let mut keys: Vec<Option<K>> = std::iter::repeat_with(|| None)
            .take(self.values.len())
            .collect();
        for (key, slot) in self.slots {
            keys[slot] = Some(key);
        }
        keys.into_iter()
            .zip(self.values)
            .filter_map(|(key, value)| Some((key?, value?)))
    }
}

/// Combines `pairs` into a table while that pays (see
/// [`ReduceByKernel::combine_and_partition`]); what is left of `pairs`
/// when it stops is to be passed on uncombined.
fn combine_while_it_pays<K: Hash + Eq, V>(
    pairs: &mut impl Iterator<Item = (K, V)>,
    reduce: impl Fn(&K, V, V) -> V,
) -> Table<K, V> {
    let mut table = Table::new();
    let mut seen = 0usize;
    let probe = pairs.by_ref().take(COMBINE_PROBE).inspect(|_| seen += 1);
    table.add_all(probe, &reduce);
    if seen == COMBINE_PROBE && table.values.len() as f64 > COMBINE_PAYS * seen as f64 {
        tracing::debug!(
            keys = table.values.len(),
            seen,
            "map-side combining given up: few repeated keys"
        );
        return table;
    }
    table.add_all(pairs, &reduce);
    table
}

/// Combines the values of equal keys.
fn combine_by_key<K: Hash + Eq, V>(
    pairs: impl Iterator<Item = (K, V)>,
    reduce: impl Fn(&K, V, V) -> V,
) -> Table<K, V> {
    let mut table = Table::new();
    table.add_all(pairs, &reduce);
    table
}

/// How a [`ReduceValuesFns`] combines two values of one key: any
/// `Fn(V, V) -> V`, or a function that also sees the key ([`WithKey`], to
/// name it in an error).
pub trait CombineValues<K, V>: Send + Sync + 'static {
    /// Combines two values of `key`.
    fn combine(&self, key: &K, a: V, b: V) -> V;
}

impl<K, V, F: Fn(V, V) -> V + Send + Sync + 'static> CombineValues<K, V> for F {
    #[inline]
    fn combine(&self, _: &K, a: V, b: V) -> V {
        self(a, b)
    }
}

/// A combining function `Fn(&K, V, V) -> V` that sees the key.
pub struct WithKey<F>(pub F);

impl<K, V, F: Fn(&K, V, V) -> V + Send + Sync + 'static> CombineValues<K, V> for WithKey<F> {
    #[inline]
    fn combine(&self, key: &K, a: V, b: V) -> V {
        (self.0)(key, a, b)
    }
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
    /// Wraps the function that combines two values of one key (a
    /// [`CombineValues`]).
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
    RF: CombineValues<K, V>,
{
    fn reduce(&self, input: AnyIter) -> Result<AnyIter> {
        let input = input.downcast::<(K, V)>()?;
        let reduce = self.reduce.clone();
        Ok(AnyIter::new(lazily(move || {
            combine_by_key(input, |k, a, b| reduce.combine(k, a, b)).into_pairs()
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

    fn combine_and_partition(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>> {
        let reduce = &*self.reduce;
        let mut pairs = input.downcast::<(K, V)>()?;
        let table = combine_while_it_pays(&mut pairs, |k, a, b| reduce.combine(k, a, b));
        Ok(hash_partition(
            table.into_pairs().chain(pairs),
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

    /// The map side combined, shuffled, and each bucket reduced: what the
    /// spark platform computes.
    fn shuffled(kernel: &dyn ReduceByKernel, input: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = Vec::new();
        let halves = [
            input[..input.len() / 2].to_vec(),
            input[input.len() / 2..].to_vec(),
        ];
        let mut buckets: Vec<Vec<(u64, u64)>> = vec![Vec::new(); 3];
        for half in halves {
            let parts = kernel.combine_and_partition(AnyIter::new(half.into_iter()), 3);
            for (bucket, part) in parts.unwrap().into_iter().enumerate() {
                buckets[bucket].extend(part.into_stream::<(u64, u64)>().unwrap());
            }
        }
        for bucket in buckets {
            let reduced = kernel.reduce(AnyIter::new(bucket.into_iter())).unwrap();
            out.extend(reduced.downcast::<(u64, u64)>().unwrap());
        }
        out.sort_unstable();
        out
    }

    #[test]
    fn map_side_combining_is_given_up_only_where_it_does_not_pay_and_results_agree() {
        // Mostly unique keys (combining gives up after the probe), and a
        // few keys repeated throughout (it combines).
        let probe = COMBINE_PROBE as u64;
        let unique: Vec<(u64, u64)> = (0..3 * probe).map(|i| (i % (2 * probe), i)).collect();
        let repeated: Vec<(u64, u64)> = (0..3 * COMBINE_PROBE as u64).map(|i| (i % 7, i)).collect();
        let by_pair = ReduceValuesFns::<u64, u64, _>::new(|a: u64, b: u64| a.wrapping_add(b));
        let by_key = ReduceByFns::new(
            |(k, _): &(u64, u64)| *k,
            |a: (u64, u64), b: (u64, u64)| (a.0, a.1.wrapping_add(b.1)),
        );
        for input in [unique, repeated] {
            let mut expected: Vec<(u64, u64)> = by_pair
                .reduce(AnyIter::new(input.clone().into_iter()))
                .unwrap()
                .downcast()
                .unwrap()
                .collect();
            expected.sort_unstable();
            assert_eq!(shuffled(&by_pair, input.clone()), expected);
            assert_eq!(shuffled(&by_key, input), expected);
        }
        // Given up: the keys after the probe repeat, but pass uncombined.
        let input: Vec<(u64, u64)> = (0..3 * probe).map(|i| (i % (2 * probe), i)).collect();
        let parts = by_pair
            .combine_and_partition(AnyIter::new(input.into_iter()), 2)
            .unwrap();
        assert_eq!(
            parts.iter().map(AnyVec::len).sum::<usize>(),
            3 * COMBINE_PROBE
        );
        // Combining that pays shrinks what is shuffled.
        let few: Vec<(u64, u64)> = (0..3 * COMBINE_PROBE as u64).map(|i| (i % 7, i)).collect();
        let parts = by_pair
            .combine_and_partition(AnyIter::new(few.into_iter()), 2)
            .unwrap();
        assert_eq!(parts.iter().map(AnyVec::len).sum::<usize>(), 7);
    }
}
