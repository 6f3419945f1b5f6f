//! Distinct: drop duplicate records.

use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use super::keyed::{hash_partition, key_hash, FastMap};
use crate::data::{AnyIter, AnyVec, Data, DataType};
use crate::error::Result;

/// The typed functions of a Distinct, erased.
pub trait DistinctKernel: Send + Sync {
    /// Streams each record the first time it is seen (memory grows with the
    /// number of distinct records, not with the input).
    fn distinct(&self, input: AnyIter) -> Result<AnyIter>;

    /// Splits records into `parts` buckets by their hash.
    fn partition(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>>;
}

/// Removes duplicates, keeping first occurrences in input order.
#[derive(Clone)]
pub struct Distinct {
    /// The typed functions.
    pub kernel: Arc<dyn DistinctKernel>,
    /// The record type.
    pub data_type: DataType,
}

/// The typed [`DistinctKernel`] for a hashable record type.
pub struct DistinctFns<T>(PhantomData<fn(T)>);

impl<T> DistinctFns<T> {
    /// The kernel for `T`.
    pub fn new() -> Self {
        DistinctFns(PhantomData)
    }
}

impl<T> Default for DistinctFns<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Data + Hash + Eq> DistinctKernel for DistinctFns<T> {
    fn distinct(&self, input: AnyIter) -> Result<AnyIter> {
        let mut seen: FastMap<T, ()> = FastMap::default();
        let input = input.downcast::<T>()?;
        Ok(AnyIter::new(input.filter(move |record| {
            seen.insert(record.clone(), ()).is_none()
        })))
    }

    fn partition(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>> {
        Ok(hash_partition(input.downcast::<T>()?, parts, key_hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_first_occurrences() {
        let out: Vec<&str> = DistinctFns::<&'static str>::new()
            .distinct(AnyIter::new(["b", "a", "b", "", "a", ""].into_iter()))
            .unwrap()
            .downcast()
            .unwrap()
            .collect();
        assert_eq!(out, ["b", "a", ""]);
    }
}
