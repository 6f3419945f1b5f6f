//! Narrow operators: Map, FlatMap, Filter and MapPartitions all transform one
//! stream of records into another without looking at other partitions, so they
//! share one kernel trait and one operator struct.

use std::marker::PhantomData;
use std::sync::Arc;

use crate::data::{AnyIter, BoxIter, Data, DataType};
use crate::error::Result;

/// A transformation of one stream (a whole input, or one partition of it).
pub trait StreamTransform: Send + Sync {
    /// Applies the transformation lazily: nothing runs until the result is pulled.
    fn apply(&self, input: AnyIter) -> Result<AnyIter>;
}

/// A Map, FlatMap, Filter or MapPartitions operator.
#[derive(Clone)]
pub struct Transform {
    /// The typed function, erased.
    pub kernel: Arc<dyn StreamTransform>,
    /// The input record type.
    pub input_type: DataType,
    /// The output record type.
    pub output_type: DataType,
}

impl Transform {
    /// An operator from a kernel over `T` producing `U`.
    pub fn new<T: Data, U: Data>(kernel: impl StreamTransform + 'static) -> Self {
        Transform {
            kernel: Arc::new(kernel),
            input_type: DataType::of::<T>(),
            output_type: DataType::of::<U>(),
        }
    }
}

/// The kernel of Map: `f` applied to each record.
pub struct MapFn<T, U, F>(Arc<F>, PhantomData<fn(T) -> U>);

impl<T, U, F> MapFn<T, U, F> {
    /// Wraps a function.
    pub fn new(f: F) -> Self {
        MapFn(Arc::new(f), PhantomData)
    }
}

impl<T: Data, U: Data, F: Fn(T) -> U + Send + Sync + 'static> StreamTransform for MapFn<T, U, F> {
    fn apply(&self, input: AnyIter) -> Result<AnyIter> {
        let f = self.0.clone();
        Ok(AnyIter::new(input.downcast::<T>()?.map(move |x| f(x))))
    }
}

/// The kernel of FlatMap: `f` applied to each record, its results flattened.
pub struct FlatMapFn<T, U, I, F>(Arc<F>, PhantomData<fn(T) -> (U, I)>);

impl<T, U, I, F> FlatMapFn<T, U, I, F> {
    /// Wraps a function.
    pub fn new(f: F) -> Self {
        FlatMapFn(Arc::new(f), PhantomData)
    }
}

impl<T, U, I, F> StreamTransform for FlatMapFn<T, U, I, F>
where
    T: Data,
    U: Data,
    I: IntoIterator<Item = U> + 'static,
    I::IntoIter: Send + 'static,
    F: Fn(T) -> I + Send + Sync + 'static,
{
    fn apply(&self, input: AnyIter) -> Result<AnyIter> {
        let f = self.0.clone();
        Ok(AnyIter::new(input.downcast::<T>()?.flat_map(move |x| f(x))))
    }
}

/// The kernel of Filter: keeps records for which `f` is true.
pub struct FilterFn<T, F>(Arc<F>, PhantomData<fn(T)>);

impl<T, F> FilterFn<T, F> {
    /// Wraps a predicate.
    pub fn new(f: F) -> Self {
        FilterFn(Arc::new(f), PhantomData)
    }
}

impl<T: Data, F: Fn(&T) -> bool + Send + Sync + 'static> StreamTransform for FilterFn<T, F> {
    fn apply(&self, input: AnyIter) -> Result<AnyIter> {
        let f = self.0.clone();
        Ok(AnyIter::new(input.downcast::<T>()?.filter(move |x| f(x))))
    }
}

/// The kernel of MapPartitions: `f` over a whole stream.
pub struct MapPartitionsFn<T, U, I, F>(Arc<F>, PhantomData<fn(T) -> (U, I)>);

impl<T, U, I, F> MapPartitionsFn<T, U, I, F> {
    /// Wraps a function.
    pub fn new(f: F) -> Self {
        MapPartitionsFn(Arc::new(f), PhantomData)
    }
}

impl<T, U, I, F> StreamTransform for MapPartitionsFn<T, U, I, F>
where
    T: Data,
    U: Data,
    I: IntoIterator<Item = U> + 'static,
    I::IntoIter: Send + 'static,
    F: Fn(BoxIter<T>) -> I + Send + Sync + 'static,
{
    fn apply(&self, input: AnyIter) -> Result<AnyIter> {
        let f = self.0.clone();
        let input = input.downcast::<T>()?;
        // Deferred so that the function runs (and may panic) under the
        // operator's guard, when the output is pulled.
        Ok(AnyIter::from_boxed(super::keyed::lazily(move || f(input))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<U: Data>(kernel: &dyn StreamTransform, input: Vec<i32>) -> Vec<U> {
        kernel
            .apply(AnyIter::new(input.into_iter()))
            .unwrap()
            .downcast::<U>()
            .unwrap()
            .collect()
    }

    #[test]
    fn map_flat_map_filter_map_partitions() {
        assert_eq!(run::<i32>(&MapFn::new(|x: i32| x * 2), vec![1, 2]), [2, 4]);
        let flat = FlatMapFn::new(|x: i32| vec![x; x as usize]);
        assert_eq!(run::<i32>(&flat, vec![0, 1, 2]), [1, 2, 2]);
        assert_eq!(
            run::<i32>(&FilterFn::new(|x: &i32| x % 2 == 0), vec![1, 2, 3, 4]),
            [2, 4]
        );
        let sum = MapPartitionsFn::new(|it: BoxIter<i32>| std::iter::once(it.sum::<i32>()));
        assert_eq!(run::<i32>(&sum, vec![1, 2, 3]), [6]);
        assert_eq!(run::<i32>(&sum, vec![]), [0]);
    }

    #[test]
    fn wrong_input_type_is_an_internal_error() {
        let kernel = MapFn::new(|x: String| x.len());
        assert!(kernel.apply(AnyIter::new(0..3i32)).is_err());
    }
}
