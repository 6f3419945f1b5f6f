//! Sort: order records by a key.

use std::marker::PhantomData;
use std::sync::Arc;

use super::keyed::lazily;
use crate::data::{AnyIter, AnyVec, Data, DataType};
use crate::error::Result;

/// The typed functions of a Sort, erased.
pub trait SortKernel: Send + Sync {
    /// Sorts the whole stream by key, lazily; equal keys keep input order.
    fn sort(&self, input: AnyIter) -> Result<AnyIter>;

    /// From a sample of records, picks `parts - 1` boundary records that split
    /// the key range into `parts` ranges of about equal size (for range
    /// partitioning, as Spark's `sortBy` does).
    fn bounds(&self, sample: AnyVec, parts: usize) -> Result<AnyVec>;

    /// Splits records into `bounds.len() + 1` ranges: bucket `i` holds keys
    /// above boundary `i - 1` and up to boundary `i`. Equal keys share a bucket.
    fn range_partition(&self, input: AnyIter, bounds: &AnyVec) -> Result<Vec<AnyVec>>;
}

/// Orders records by a key (ascending; use `std::cmp::Reverse` for descending).
#[derive(Clone)]
pub struct Sort {
    /// The typed functions.
    pub kernel: Arc<dyn SortKernel>,
    /// The record type.
    pub data_type: DataType,
}

/// The typed [`SortKernel`]: a key function.
pub struct SortFns<T, K, KF> {
    key: Arc<KF>,
    _types: PhantomData<fn(T) -> K>,
}

impl<T, K, KF> SortFns<T, K, KF> {
    /// Wraps the key function.
    pub fn new(key: KF) -> Self {
        SortFns {
            key: Arc::new(key),
            _types: PhantomData,
        }
    }
}

impl<T, K, KF> SortKernel for SortFns<T, K, KF>
where
    T: Data,
    K: Ord + 'static,
    KF: Fn(&T) -> K + Send + Sync + 'static,
{
    fn sort(&self, input: AnyIter) -> Result<AnyIter> {
        let input = input.downcast::<T>()?;
        let key = self.key.clone();
        Ok(AnyIter::new(lazily(move || {
            let mut records: Vec<T> = input.collect();
            // Computes each key once; stable, so equal keys keep input order.
            records.sort_by_cached_key(|r| key(r));
            records
        })))
    }

    fn bounds(&self, sample: AnyVec, parts: usize) -> Result<AnyVec> {
        let mut sample = sample.into_vec::<T>()?;
        sample.sort_by_cached_key(|r| (self.key)(r));
        let parts = parts.max(1);
        let bounds: Vec<T> = if sample.is_empty() {
            Vec::new()
        } else {
            (1..parts)
                .map(|i| sample[(i * sample.len() / parts).min(sample.len() - 1)].clone())
                .collect()
        };
        Ok(AnyVec::new(bounds))
    }

    fn range_partition(&self, input: AnyIter, bounds: &AnyVec) -> Result<Vec<AnyVec>> {
        let bounds = bounds.clone().downcast::<T>()?;
        let keys: Vec<K> = bounds.iter().map(|b| (self.key)(b)).collect();
        let mut buckets: Vec<Vec<T>> = (0..=keys.len()).map(|_| Vec::new()).collect();
        for record in input.downcast::<T>()? {
            let k = (self.key)(&record);
            buckets[keys.partition_point(|bound| *bound < k)].push(record);
        }
        Ok(buckets.into_iter().map(AnyVec::new).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stably_by_key() {
        let kernel = SortFns::new(|(k, _): &(u8, char)| *k);
        let input = vec![(2u8, 'a'), (1, 'b'), (2, 'c'), (1, 'd'), (0, 'e')];
        let out: Vec<(u8, char)> = kernel
            .sort(AnyIter::new(input.into_iter()))
            .unwrap()
            .downcast()
            .unwrap()
            .collect();
        assert_eq!(out, [(0, 'e'), (1, 'b'), (1, 'd'), (2, 'a'), (2, 'c')]);
    }

    #[test]
    fn range_partitions_concatenate_to_sorted_order() {
        let kernel = SortFns::new(|x: &i32| *x);
        let input: Vec<i32> = (0..200).map(|i| (i * 37) % 101 - 50).collect();
        let bounds = kernel.bounds(AnyVec::new(input.clone()), 4).unwrap();
        assert_eq!(bounds.len(), 3);
        let buckets = kernel
            .range_partition(AnyIter::new(input.clone().into_iter()), &bounds)
            .unwrap();
        let mut all = Vec::new();
        for bucket in buckets {
            let sorted = kernel
                .sort(AnyIter::new(bucket.into_stream::<i32>().unwrap()))
                .unwrap();
            all.extend(sorted.downcast::<i32>().unwrap());
        }
        let mut expected = input;
        expected.sort();
        assert_eq!(all, expected);
        let none = kernel.bounds(AnyVec::new(Vec::<i32>::new()), 4).unwrap();
        assert!(none.is_empty());
    }
}
