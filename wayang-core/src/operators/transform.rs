//! Narrow operators: Map, FlatMap, Filter and MapPartitions all transform one
//! stream of records into another without looking at other partitions, so they
//! share one kernel trait and one operator struct.
//!
//! Map and Filter run over whole batches (a map over a batch of same-sized
//! records reuses its buffer; a filter compacts it in place), so a chain of
//! them is one tight loop per operator per batch. Reading a shared
//! collection of plain records ([`crate::data::Lent`]), they compute from
//! its slices in place instead: the map's output and the filter's kept
//! records are the only copies. FlatMap and MapPartitions
//! pull their input record by record through a monomorphic loop and cut
//! their output into batches.

use std::marker::PhantomData;
use std::sync::Arc;

use crate::data::{AnyIter, Batch, BoxIter, Data, DataType, Input, RecordFailure, Records};
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
        Ok(match input.downcast_input::<T>()? {
            // Computed from the shared records in place: one pass, no copy.
            Input::Lent(mut lent) => AnyIter::from_batches(std::iter::from_fn(move || {
                let slice = lent.lend()?;
                Some(Ok(slice.iter().map(|record| f(record.clone())).collect()))
            })),
            Input::Batches(batches) => AnyIter::from_batches(
                batches.map(move |batch| batch.map(|records| map_batch(records, &*f))),
            ),
        })
    }
}

/// `f` applied to a batch's records. Records the same size and alignment as their
/// results are mapped in the batch's own buffer; otherwise the results go to a buffer
/// from the batch pool and the input's buffer goes back to it, so a chain of maps does
/// not ask the allocator for a large buffer per batch.
fn map_batch<T: 'static, U: 'static>(mut records: Vec<T>, f: impl Fn(T) -> U) -> Vec<U> {
    if std::alloc::Layout::new::<T>() == std::alloc::Layout::new::<U>() {
        return records.into_iter().map(f).collect();
    }
    let capacity = crate::data::batch_capacity::<U>();
    let mut out = if records.len() <= capacity {
        crate::batch_pool::take(capacity)
    } else {
        Vec::with_capacity(records.len())
    };
    out.extend(records.drain(..).map(f));
    crate::batch_pool::give_back(records);
    out
}

/// The kernel of a fallible Map: `f` applied to each record, the first
/// `Err` ending the stream as a [`RecordFailure`] with the error's text
/// (nothing follows it).
pub struct TryMapFn<T, U, F>(Arc<F>, PhantomData<fn(T) -> U>);

impl<T, U, F> TryMapFn<T, U, F> {
    /// Wraps a function.
    pub fn new(f: F) -> Self {
        TryMapFn(Arc::new(f), PhantomData)
    }
}

// The error type is not a parameter of the kernel, so it need not be
// `'static`: only the functions and the record types are kept.
impl<T, U, E, F> StreamTransform for TryMapFn<T, U, F>
where
    T: Data,
    U: Data,
    E: std::fmt::Display,
    F: Fn(T) -> std::result::Result<U, E> + Send + Sync + 'static,
{
    fn apply(&self, input: AnyIter) -> Result<AnyIter> {
        let f = self.0.clone();
        let batches = input.downcast_batches::<T>()?;
        let mut failed = false;
        Ok(AnyIter::from_batches(batches.map_while(move |batch| {
            if failed {
                return None;
            }
            let mapped = batch.and_then(|records| {
                records
                    .into_iter()
                    .map(|record| f(record).map_err(|error| RecordFailure(error.to_string())))
                    .collect::<Batch<U>>()
            });
            failed = mapped.is_err();
            Some(mapped)
        })))
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

/// The kernel of a fallible FlatMap: like [`FlatMapFn`], the first `Err`
/// ending the stream as a [`RecordFailure`].
pub struct TryFlatMapFn<T, U, F>(Arc<F>, PhantomData<fn(T) -> U>);

impl<T, U, F> TryFlatMapFn<T, U, F> {
    /// Wraps a function.
    pub fn new(f: F) -> Self {
        TryFlatMapFn(Arc::new(f), PhantomData)
    }
}

impl<T, U, I, E, F> StreamTransform for TryFlatMapFn<T, U, F>
where
    T: Data,
    U: Data,
    I: IntoIterator<Item = U>,
    I::IntoIter: Send + 'static,
    E: std::fmt::Display,
    F: Fn(T) -> std::result::Result<I, E> + Send + Sync + 'static,
{
    fn apply(&self, input: AnyIter) -> Result<AnyIter> {
        Ok(AnyIter::from_batches(TryFlatten {
            input: input.downcast::<T>()?,
            f: self.0.clone(),
            pending: None::<I::IntoIter>,
            ended: false,
        }))
    }
}

/// The output of a [`TryFlatMapFn`], in batches of at most
/// [`crate::data::batch_capacity`] records, however many one record expands
/// to: `pending` holds what is left of the last record's output.
struct TryFlatten<T: 'static, P, F> {
    input: Records<T>,
    f: Arc<F>,
    pending: Option<P>,
    ended: bool,
}

impl<T, P, I, E, F> Iterator for TryFlatten<T, P, F>
where
    T: 'static,
    P: Iterator,
    I: IntoIterator<Item = P::Item, IntoIter = P>,
    E: std::fmt::Display,
    F: Fn(T) -> std::result::Result<I, E>,
{
    type Item = Batch<P::Item>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ended {
            return None;
        }
        let capacity = crate::data::batch_capacity::<P::Item>();
        let mut batch = Vec::with_capacity(capacity);
        loop {
            if let Some(items) = &mut self.pending {
                batch.extend(items.by_ref().take(capacity - batch.len()));
                if batch.len() == capacity {
                    break;
                }
                self.pending = None;
            }
            let Some(record) = self.input.next() else {
                self.ended = true;
                break;
            };
            match (self.f)(record) {
                Ok(items) => self.pending = Some(items.into_iter()),
                Err(error) => {
                    self.ended = true;
                    return Some(Err(RecordFailure(error.to_string())));
                }
            }
        }
        (!batch.is_empty()).then_some(Ok(batch))
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
        let batches = match input.downcast_input::<T>()? {
            // Clones only the records it keeps, straight from the shared
            // collection.
            Input::Lent(mut lent) => {
                return Ok(AnyIter::from_batches(std::iter::from_fn(move || loop {
                    let slice = lent.lend()?;
                    let mut kept = Vec::with_capacity(slice.len());
                    kept.extend(slice.iter().filter(|record| f(record)).cloned());
                    if !kept.is_empty() {
                        return Some(Ok(kept));
                    }
                })));
            }
            Input::Batches(batches) => batches,
        };
        let kept = batches.map(move |batch| {
            batch.map(|mut records| {
                records.retain(|record| f(record));
                records
            })
        });
        // An emptied batch is not worth a call downstream.
        Ok(AnyIter::from_batches(kept.filter(|batch| {
            batch.as_ref().map_or(true, |records| !records.is_empty())
        })))
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
        let input: BoxIter<T> = Box::new(input.downcast::<T>()?);
        // Deferred so that the function runs (and may panic) under the
        // operator's guard, when the output is pulled.
        Ok(AnyIter::new(super::keyed::lazily(move || f(input))))
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

    fn run_batches<U: Data>(kernel: &dyn StreamTransform, input: Vec<i32>) -> Vec<Batch<U>> {
        kernel
            .apply(AnyIter::new(input.into_iter()))
            .unwrap()
            .downcast_batches::<U>()
            .unwrap()
            .collect()
    }

    #[test]
    fn map_and_filter_read_a_shared_collection_in_place() {
        let ty = DataType::of::<i32>();
        let all = crate::data::AnyVec::new((0..3000).collect::<Vec<i32>>());
        let lent = || ty.iter(all.clone()).unwrap();
        assert!(matches!(lent().downcast_input::<i32>(), Ok(Input::Lent(_))));
        let doubled: Vec<Batch<i64>> = MapFn::new(|x: i32| i64::from(x) * 2)
            .apply(lent())
            .unwrap()
            .downcast_batches()
            .unwrap()
            .collect();
        let sizes: Vec<usize> = doubled.iter().map(|b| b.as_ref().unwrap().len()).collect();
        assert_eq!(sizes, [1024, 1024, 952]);
        let doubled: Vec<i64> = doubled.into_iter().flat_map(Result::unwrap).collect();
        assert_eq!(doubled, (0..3000).map(|x| x * 2).collect::<Vec<i64>>());
        // A filter keeps order and hands on no empty batch: the first 2048
        // records keep nothing.
        let late: Vec<Batch<i32>> = FilterFn::new(|x: &i32| *x >= 2900)
            .apply(lent())
            .unwrap()
            .downcast_batches()
            .unwrap()
            .collect();
        assert_eq!(late.len(), 1);
        assert_eq!(late[0].as_ref().unwrap(), &(2900..3000).collect::<Vec<_>>());
    }

    #[test]
    fn batches_stay_batches_and_long_streams_are_cut() {
        let input: Vec<i32> = (0..3000).collect();
        let doubled = run_batches::<i32>(&MapFn::new(|x: i32| x * 2), input.clone());
        let sizes: Vec<usize> = doubled.iter().map(|b| b.as_ref().unwrap().len()).collect();
        assert_eq!(sizes, [1024, 1024, 952]);
        let odd = run_batches::<i32>(&FilterFn::new(|x: &i32| x % 2 == 1), input.clone());
        assert_eq!(
            odd.iter().map(|b| b.as_ref().unwrap().len()).sum::<usize>(),
            1500
        );
        let none = run_batches::<i32>(&FilterFn::new(|_: &i32| false), input.clone());
        assert!(none.is_empty(), "emptied batches are dropped");
        let many = run_batches::<i32>(&FlatMapFn::new(|x: i32| vec![x; 3]), input);
        assert!(many.iter().all(|b| b.as_ref().unwrap().len() <= 1024));
        assert_eq!(
            many.iter()
                .map(|b| b.as_ref().unwrap().len())
                .sum::<usize>(),
            9000
        );
    }

    #[test]
    fn fallible_kernels_end_the_stream_with_the_failure_as_a_value() {
        let parse = TryMapFn::new(|x: i32| {
            if x == 1500 {
                Err(format!("bad {x}"))
            } else {
                Ok(x)
            }
        });
        let out = run_batches::<i32>(&parse, (0..3000).collect());
        assert_eq!(
            out.len(),
            2,
            "the batch before, then the failure, then nothing"
        );
        assert_eq!(out[0].as_ref().unwrap().len(), 1024);
        assert_eq!(out[1], Err(RecordFailure("bad 1500".into())));

        let split = TryFlatMapFn::new(|x: i32| if x == 7 { Err("seven") } else { Ok(vec![x, x]) });
        let out = run_batches::<i32>(&split, (0..10).collect());
        assert_eq!(out, [Err(RecordFailure("seven".into()))]);
        // One record's output larger than a batch is spread over batches.
        let wide = TryFlatMapFn::new(|x: i32| Ok::<_, String>(vec![x; 2500]));
        let out = run_batches::<i32>(&wide, vec![1, 2]);
        let sizes: Vec<usize> = out.iter().map(|b| b.as_ref().unwrap().len()).collect();
        assert_eq!(sizes, [1024, 1024, 1024, 1024, 904]);
        let fine = run::<i32>(
            &TryFlatMapFn::new(|x: i32| Ok::<_, String>(vec![x; 2])),
            vec![1, 2],
        );
        assert_eq!(fine, [1, 1, 2, 2]);
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
