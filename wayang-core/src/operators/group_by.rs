//! GroupBy: collect all records that share a key.

use std::collections::hash_map::Entry;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use super::keyed::{hash_partition, key_hash, lazily, FastMap};
use crate::data::{AnyIter, AnyVec, Data, DataType};
use crate::error::Result;

/// The typed functions of a GroupBy, erased.
pub trait GroupByKernel: Send + Sync {
    /// Groups all records of `input` by key into `(key, records)`, lazily.
    /// Groups come in order of first appearance; records keep input order.
    fn group(&self, input: AnyIter) -> Result<AnyIter>;

    /// Splits records into `parts` buckets by key hash.
    fn partition(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>>;
}

/// Groups records by key; the output records are `(K, Vec<T>)`.
#[derive(Clone)]
pub struct GroupBy {
    /// The typed functions.
    pub kernel: Arc<dyn GroupByKernel>,
    /// The input record type.
    pub input_type: DataType,
    /// The output record type, `(K, Vec<T>)`.
    pub output_type: DataType,
}

/// The typed [`GroupByKernel`]: a key function.
pub struct GroupByFns<T, K, KF> {
    key: Arc<KF>,
    _types: PhantomData<fn(T) -> K>,
}

impl<T, K, KF> GroupByFns<T, K, KF> {
    /// Wraps the key function.
    pub fn new(key: KF) -> Self {
        GroupByFns {
            key: Arc::new(key),
            _types: PhantomData,
        }
    }
}

impl<T, K, KF> GroupByKernel for GroupByFns<T, K, KF>
where
    T: Data,
    K: Data + Hash + Eq,
    KF: Fn(&T) -> K + Send + Sync + 'static,
{
    fn group(&self, input: AnyIter) -> Result<AnyIter> {
        let input = input.downcast::<T>()?;
        let key = self.key.clone();
        Ok(AnyIter::new(lazily(move || {
            let mut slots: FastMap<K, usize> = FastMap::default();
            let mut groups: Vec<(K, Vec<T>)> = Vec::new();
            for record in input {
                match slots.entry(key(&record)) {
                    Entry::Occupied(slot) => groups[*slot.get()].1.push(record),
                    Entry::Vacant(slot) => {
                        let group_key = slot.key().clone();
                        slot.insert(groups.len());
                        groups.push((group_key, vec![record]));
                    }
                }
            }
            groups
        })))
    }

    fn partition(&self, input: AnyIter, parts: usize) -> Result<Vec<AnyVec>> {
        let key = self.key.clone();
        Ok(hash_partition(input.downcast::<T>()?, parts, |r| {
            key_hash(&key(r))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_in_first_seen_order() {
        let kernel = GroupByFns::new(|w: &String| w.chars().next());
        let words = ["apple", "banana", "avocado", "", "blueberry"].map(String::from);
        let out: Vec<(Option<char>, Vec<String>)> = kernel
            .group(AnyIter::new(words.into_iter()))
            .unwrap()
            .downcast()
            .unwrap()
            .collect();
        assert_eq!(out.len(), 3);
        assert_eq!(
            out[0],
            (Some('a'), vec!["apple".to_string(), "avocado".into()])
        );
        assert_eq!(out[1].1, ["banana", "blueberry"]);
        assert_eq!(out[2], (None, vec![String::new()]));
    }
}
