//! GlobalReduce: combine all records into one.

use std::marker::PhantomData;
use std::sync::Arc;

use super::keyed::lazily;
use crate::data::{AnyIter, Data, DataType};
use crate::error::Result;

/// The typed function of a GlobalReduce, erased.
pub trait GlobalReduceKernel: Send + Sync {
    /// Combines all records into one, lazily; an empty input gives an empty
    /// output (there is no identity element to return).
    fn reduce(&self, input: AnyIter) -> Result<AnyIter>;
}

/// Combines all records with an associative, commutative function.
#[derive(Clone)]
pub struct GlobalReduce {
    /// The typed function.
    pub kernel: Arc<dyn GlobalReduceKernel>,
    /// The record type.
    pub data_type: DataType,
}

/// The typed [`GlobalReduceKernel`].
pub struct GlobalReduceFn<T, F>(Arc<F>, PhantomData<fn(T)>);

impl<T, F> GlobalReduceFn<T, F> {
    /// Wraps the reduce function.
    pub fn new(f: F) -> Self {
        GlobalReduceFn(Arc::new(f), PhantomData)
    }
}

impl<T: Data, F: Fn(T, T) -> T + Send + Sync + 'static> GlobalReduceKernel
    for GlobalReduceFn<T, F>
{
    fn reduce(&self, input: AnyIter) -> Result<AnyIter> {
        let input = input.downcast::<T>()?;
        let f = self.0.clone();
        Ok(AnyIter::new(lazily(move || input.reduce(|a, b| f(a, b)))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduces_to_one_or_none() {
        let kernel = GlobalReduceFn::new(|a: u64, b: u64| a.max(b));
        let out: Vec<u64> = kernel
            .reduce(AnyIter::new([3u64, 9, 2].into_iter()))
            .unwrap()
            .downcast()
            .unwrap()
            .collect();
        assert_eq!(out, [9]);
        let none = kernel
            .reduce(AnyIter::new(std::iter::empty::<u64>()))
            .unwrap();
        assert_eq!(none.downcast::<u64>().unwrap().count(), 0);
    }
}
