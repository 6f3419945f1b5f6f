//! Type-erased containers for the records that flow between operators.
//!
//! Plans are built from typed closures but stored and executed without
//! generics, so the records travel in erased containers. Erasure happens at the
//! level of a whole stream ([`AnyIter`]) or a whole materialised collection
//! ([`AnyVec`]): typed code downcasts a container once and then runs over every
//! record without any further dynamic type checks.
//!
//! A stream moves in batches ([`Batch`]): an operator's kernel is one dynamic
//! call per batch and a monomorphic loop over its records, so a chain of
//! narrow operators costs a few passes over a cache-resident vector, not a
//! virtual call, a panic guard and a failure check per record per operator.
//! A fallible function's rejection travels down the stream as a value
//! ([`RecordFailure`]) until the operator's guard turns it into a job failure.

use std::any::{type_name, Any};
use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::job::{fail_record, Instrumented, OperatorProbe, Tally};
use crate::operators::sample::{reservoir, SplitMix64};

/// What a record type must offer to flow through a plan: it can be cloned
/// (a collection consumed twice hands out copies), sent and shared between
/// threads (partitions run in parallel), and owns its data.
pub trait Data: Clone + Send + Sync + 'static {}

impl<T: Clone + Send + Sync + 'static> Data for T {}

/// A boxed stream of records, what a `map_partitions` function receives.
pub type BoxIter<T> = Box<dyn Iterator<Item = T> + Send>;

/// Why a fallible user function (`try_map`, ...) rejected a record: the
/// reason becomes the job's [`Error::Execution`], naming the operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordFailure(pub String);

/// One step of a stream: up to [`batch_capacity`] records, or the failure
/// that ends the stream.
pub type Batch<T> = std::result::Result<Vec<T>, RecordFailure>;

/// A boxed stream of batches, the form in which records move between
/// operators.
pub type BoxBatches<T> = Box<dyn Iterator<Item = Batch<T>> + Send>;

/// The most records a batch holds: 1024. At 8 bytes each, a batch and the
/// next operator's output both stay in L1, and a dynamic call per batch is
/// noise (256 and 4096 measured slower: docs/benchmarks.md). Wide records
/// get fewer per batch, see [`batch_capacity`].
pub const BATCH_RECORDS: usize = 1024;

/// The most bytes of records (their inline part) a batch holds, so that a
/// batch of wide records stays cache-sized: a batch's buffer, allocated
/// whole when the stream's length is unknown, is at most 32 KiB (or one
/// record, for records wider than that).
const BATCH_BYTES: usize = 32 << 10;

/// How many records of `T` a batch holds when a stream is cut into batches.
pub fn batch_capacity<T>() -> usize {
    (BATCH_BYTES / std::mem::size_of::<T>().max(1)).clamp(1, BATCH_RECORDS)
}

/// Boxes a stream of batches on cache lines of its own.
///
/// The streams of a dataset's partitions are built one after another on one
/// thread, so plain boxes would sit next to each other in memory; the threads
/// that then pull them in parallel would invalidate each other's cache lines
/// (false sharing made a two-thread map chain slower than one thread).
/// 128 bytes: adjacent-line prefetchers pair 64-byte lines.
pub fn boxed<T, I>(batches: I) -> BoxBatches<T>
where
    I: Iterator<Item = Batch<T>> + Send + 'static,
{
    Box::new(CacheAligned(batches))
}

#[repr(align(128))]
struct CacheAligned<I>(I);

impl<I: Iterator> Iterator for CacheAligned<I> {
    type Item = I::Item;

    #[inline]
    fn next(&mut self) -> Option<I::Item> {
        self.0.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

/// Cuts a stream of records into batches; the records are pulled in a
/// monomorphic loop, so a typed iterator chain feeding it costs no dynamic
/// call per record.
pub fn chunked<I>(records: I) -> Chunked<I>
where
    I: Iterator,
{
    Chunked {
        records,
        done: false,
    }
}

/// See [`chunked`].
pub struct Chunked<I> {
    records: I,
    done: bool,
}

impl<I: Iterator> Iterator for Chunked<I>
where
    I::Item: 'static,
{
    type Item = Batch<I::Item>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let capacity = batch_capacity::<I::Item>();
        let wanted = match self.records.size_hint() {
            (_, Some(upper)) => upper.min(capacity),
            _ => capacity,
        };
        let mut batch = if wanted == capacity {
            crate::batch_pool::take(capacity)
        } else {
            Vec::with_capacity(wanted)
        };
        batch.extend(self.records.by_ref().take(capacity));
        // Fewer than asked for: the stream ended (streams are not resumed
        // after their end).
        if batch.len() < capacity {
            self.done = true;
        }
        (!batch.is_empty()).then_some(Ok(batch))
    }
}

/// The records of a stream of batches, one at a time. A [`RecordFailure`]
/// reaching it is raised as the failure of the operator pulling the records
/// (operators' outputs are guarded, so a failure normally ends the stream
/// of the operator that produced it and never gets here).
pub struct Records<T: 'static> {
    batches: BoxBatches<T>,
    current: Cursor<T>,
}

impl<T: 'static> Records<T> {
    /// The records of `batches`.
    pub fn new(batches: BoxBatches<T>) -> Self {
        Records {
            batches,
            current: Cursor::new(Vec::new()),
        }
    }

    #[cold]
    fn refill(&mut self) -> bool {
        match self.batches.next() {
            Some(batch) => {
                self.current = Cursor::new(records_or_raise(batch));
                true
            }
            None => false,
        }
    }
}

impl<T: 'static> Iterator for Records<T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        loop {
            if let Some(record) = self.current.next() {
                return Some(record);
            }
            if !self.refill() {
                return None;
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.current.len(), None)
    }

    fn fold<B, F>(self, init: B, mut f: F) -> B
    where
        F: FnMut(B, T) -> B,
    {
        let mut current = self.current;
        let mut acc = init;
        while let Some(record) = current.next() {
            acc = f(acc, record);
        }
        drop(current);
        for batch in self.batches {
            let mut records = records_or_raise(batch);
            acc = records.drain(..).fold(acc, &mut f);
            crate::batch_pool::give_back(records);
        }
        acc
    }
}

/// A batch's records handed out one at a time, like `vec::IntoIter`, except that
/// the emptied buffer goes back to the batch pool (see `batch_pool`) for the next
/// batch. A `VecDeque` made from a `Vec` takes over its buffer, and hands it back
/// without moving anything once empty.
struct Cursor<T: 'static>(std::collections::VecDeque<T>);

impl<T: 'static> Cursor<T> {
    fn new(records: Vec<T>) -> Self {
        Cursor(records.into())
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    #[inline]
    fn next(&mut self) -> Option<T> {
        self.0.pop_front()
    }
}

impl<T: 'static> Drop for Cursor<T> {
    fn drop(&mut self) {
        let mut records = std::mem::take(&mut self.0);
        records.clear();
        crate::batch_pool::give_back(Vec::from(records));
    }
}

/// A batch's records, or its failure raised as the failure of the operator
/// consuming it (see [`Records`]).
fn records_or_raise<T>(batch: Batch<T>) -> Vec<T> {
    batch.unwrap_or_else(|failure| fail_record(failure.0))
}

/// A stream of records of some [`Data`] type, erased; it moves in batches.
pub struct AnyIter {
    type_name: &'static str,
    inner: Box<dyn Any + Send>,
}

impl AnyIter {
    /// Erases a typed stream of records, cutting it into batches.
    pub fn new<T: Data>(records: impl Iterator<Item = T> + Send + 'static) -> Self {
        Self::from_batches(chunked(records))
    }

    /// Erases a typed stream of batches.
    pub fn from_batches<T: Data>(batches: impl Iterator<Item = Batch<T>> + Send + 'static) -> Self {
        Self::from_boxed_batches(boxed(batches))
    }

    /// Erases an already boxed stream of batches without boxing it again.
    pub fn from_boxed_batches<T: Data>(batches: BoxBatches<T>) -> Self {
        AnyIter {
            type_name: type_name::<T>(),
            inner: Box::new(batches),
        }
    }

    /// Streams an owned vector: as one batch if it fits in one, else moved
    /// into batches.
    pub fn from_vec<T: Data>(records: Vec<T>) -> Self {
        if records.len() <= batch_capacity::<T>() {
            let batch = (!records.is_empty()).then_some(Ok(records));
            Self::from_batches(batch.into_iter())
        } else {
            Self::new(records.into_iter())
        }
    }

    /// The name of the record type.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// Recovers the typed stream, record by record; a mismatch is a bug in
    /// the plan's wiring.
    pub fn downcast<T: Data>(self) -> Result<Records<T>> {
        self.downcast_batches().map(Records::new)
    }

    /// Recovers the typed stream of batches.
    pub fn downcast_batches<T: Data>(self) -> Result<BoxBatches<T>> {
        self.downcast_input().map(Input::into_batches)
    }

    /// Erases a shared collection's range that readers may borrow from.
    pub fn from_lent<T: Data>(lent: Lent<T>) -> Self {
        AnyIter {
            type_name: type_name::<T>(),
            inner: Box::new(lent),
        }
    }

    /// Recovers the typed stream as it is: a shared collection's range a
    /// narrow operator may read in place ([`Input::Lent`]), or batches.
    pub fn downcast_input<T: Data>(self) -> Result<Input<T>> {
        let found = self.type_name;
        match self.inner.downcast::<BoxBatches<T>>() {
            Ok(batches) => Ok(Input::Batches(*batches)),
            Err(inner) => inner
                .downcast::<Lent<T>>()
                .map(|lent| Input::Lent(*lent))
                .map_err(|_| type_mismatch("stream", type_name::<T>(), found)),
        }
    }
}

/// A typed stream as an operator receives it, see [`AnyIter::downcast_input`].
pub enum Input<T> {
    /// Records of a shared collection, lent a batch-sized slice at a time.
    Lent(Lent<T>),
    /// Batches the operator owns.
    Batches(BoxBatches<T>),
}

impl<T: Data> Input<T> {
    /// The stream as batches (a lent range is cloned a batch at a time).
    pub fn into_batches(self) -> BoxBatches<T> {
        match self {
            Input::Lent(lent) => boxed(lent),
            Input::Batches(batches) => batches,
        }
    }
}

/// A shared collection's range, lent to the narrow operator reading it a
/// batch-sized slice at a time: a map computes its output straight from the
/// slice, a filter clones only what it keeps, so reading a collection costs
/// that operator's one pass rather than a copy and then the pass.
///
/// Made only for records without drop glue (see [`AnyVec::into_batches`]),
/// which own no memory, so cloning one is in practice a copy; a record that
/// owns memory is better moved by the last reader than cloned
/// ([`SharedBatches`]). (A type with a costly `Clone` and no drop glue is
/// lent too: a reader clones what it keeps, and the last reader does not
/// move.) As an iterator of
/// batches (for every other reader) it clones a slice per batch. The
/// source's probe, if any, counts the records as they are lent.
pub struct Lent<T> {
    records: Arc<Vec<T>>,
    next: usize,
    end: usize,
    tally: Option<Tally>,
}

impl<T> Lent<T> {
    fn new(records: Arc<Vec<T>>, start: usize, end: usize) -> Self {
        Lent {
            records,
            next: start,
            end,
            tally: None,
        }
    }

    /// The next batch-sized slice, or `None` at the end, and, once the
    /// source is instrumented, as soon as the job has failed anywhere (as an
    /// instrumented stream stops).
    pub fn lend(&mut self) -> Option<&[T]> {
        if let Some(tally) = &mut self.tally {
            tally.start();
            if tally.job_failed() {
                self.next = self.end;
            }
        }
        if self.next >= self.end {
            if let Some(tally) = &mut self.tally {
                tally.finish();
            }
            // Let go of the collection, so that another reader may find
            // itself the last and move the records instead of copying them.
            self.records = Arc::default();
            (self.next, self.end) = (0, 0);
            return None;
        }
        let start = self.next;
        self.next = self.end.min(start + batch_capacity::<T>());
        if let Some(tally) = &mut self.tally {
            tally.add((self.next - start) as u64);
        }
        Some(&self.records[start..self.next])
    }
}

impl<T: Clone> Iterator for Lent<T> {
    type Item = Batch<T>;

    fn next(&mut self) -> Option<Batch<T>> {
        self.lend().map(|slice| Ok(slice.to_vec()))
    }
}

impl fmt::Debug for AnyIter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AnyIter<{}>", self.type_name)
    }
}

/// A materialised, immutable collection of records of some [`Data`] type,
/// erased. Cloning it is cheap (the records are shared).
#[derive(Clone)]
pub struct AnyVec {
    type_name: &'static str,
    len: usize,
    inner: Arc<dyn Any + Send + Sync>,
}

impl AnyVec {
    /// Erases a vector.
    pub fn new<T: Data>(records: Vec<T>) -> Self {
        Self::from_arc(Arc::new(records))
    }

    /// Erases a shared vector.
    pub fn from_arc<T: Data>(records: Arc<Vec<T>>) -> Self {
        AnyVec {
            type_name: type_name::<T>(),
            len: records.len(),
            inner: records,
        }
    }

    /// The number of records.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The name of the record type.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// Recovers the typed, shared vector.
    pub fn downcast<T: Data>(self) -> Result<Arc<Vec<T>>> {
        let found = self.type_name;
        self.inner
            .downcast::<Vec<T>>()
            .map_err(|_| type_mismatch("collection", type_name::<T>(), found))
    }

    /// Recovers the records as an owned vector: without copying when this is
    /// the only handle, by cloning each record otherwise.
    pub fn into_vec<T: Data>(self) -> Result<Vec<T>> {
        let shared = self.downcast::<T>()?;
        Ok(Arc::try_unwrap(shared).unwrap_or_else(|shared| shared.as_ref().clone()))
    }

    /// Streams the records: moved out when this is the only handle, cloned
    /// one at a time otherwise (so a shared collection is never copied whole).
    pub fn into_stream<T: Data>(self) -> Result<VecStream<T>> {
        let shared = self.downcast::<T>()?;
        Ok(match Arc::try_unwrap(shared) {
            Ok(owned) => VecStream::Owned(owned.into_iter()),
            Err(records) => VecStream::Shared(SharedRange {
                end: records.len(),
                records,
                next: 0,
            }),
        })
    }

    /// Streams the records in batches: moved out when this is the only
    /// handle, cloned a batch at a time otherwise.
    pub fn into_batches<T: Data>(self) -> Result<AnyIter> {
        Ok(match Arc::try_unwrap(self.downcast::<T>()?) {
            Ok(owned) => AnyIter::from_vec(owned),
            Err(records) => {
                let end = records.len();
                shared_range(records, 0, end)
            }
        })
    }
}

impl fmt::Debug for AnyVec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AnyVec<{}>[{}]", self.type_name, self.len)
    }
}

/// The records of a collection, see [`AnyVec::into_stream`].
pub enum VecStream<T> {
    /// Moved out of the only handle.
    Owned(std::vec::IntoIter<T>),
    /// Cloned out of a shared collection.
    Shared(SharedRange<T>),
}

impl<T: Clone> Iterator for VecStream<T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        match self {
            VecStream::Owned(records) => records.next(),
            VecStream::Shared(records) => records.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            VecStream::Owned(records) => records.size_hint(),
            VecStream::Shared(records) => records.size_hint(),
        }
    }
}

/// Records `next..end` of a shared collection, cloned one at a time.
pub struct SharedRange<T> {
    records: Arc<Vec<T>>,
    next: usize,
    end: usize,
}

impl<T: Clone> Iterator for SharedRange<T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.next >= self.end {
            return None;
        }
        let record = self.records[self.next].clone();
        self.next += 1;
        Some(record)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.end - self.next;
        (left, Some(left))
    }
}

/// A shared collection's range in batches, each cloned from a slice (a
/// `memcpy` for plain records). The readers of a cached collection often
/// run one after another: once the others have dropped their handles, the
/// last one moves the rest of its range out instead of cloning it.
enum SharedBatches<T> {
    Shared(SharedRange<T>),
    Owned(std::vec::IntoIter<T>),
}

impl<T> SharedBatches<T> {
    fn new(records: Arc<Vec<T>>, start: usize, end: usize) -> Self {
        SharedBatches::Shared(SharedRange {
            records,
            next: start,
            end,
        })
    }
}

impl<T: Clone> Iterator for SharedBatches<T> {
    type Item = Batch<T>;

    fn next(&mut self) -> Option<Batch<T>> {
        let capacity = batch_capacity::<T>();
        let range = match self {
            SharedBatches::Owned(records) => {
                let batch: Vec<T> = records.take(capacity).collect();
                return (!batch.is_empty()).then_some(Ok(batch));
            }
            SharedBatches::Shared(range) => range,
        };
        if range.next >= range.end {
            // Done: let go of the collection, so that a reader still at
            // work may find itself the last and move instead of cloning.
            *self = SharedBatches::Owned(Vec::new().into_iter());
            return None;
        }
        // A plain load first: `get_mut` writes the shared counter.
        let unique = Arc::strong_count(&range.records) == 1;
        if let Some(records) = unique.then(|| Arc::get_mut(&mut range.records)).flatten() {
            let mut rest = std::mem::take(records);
            rest.truncate(range.end);
            rest.drain(..range.next);
            *self = SharedBatches::Owned(rest.into_iter());
            return self.next();
        }
        let end = range.end.min(range.next + capacity);
        let batch = range.records[range.next..end].to_vec();
        range.next = end;
        Some(Ok(batch))
    }
}

/// Streams a shared collection's range: lent to its reader when cloning a
/// record is a copy, cloned (or moved, by the last reader) in batches else.
fn shared_range<T: Data>(records: Arc<Vec<T>>, start: usize, end: usize) -> AnyIter {
    if std::mem::needs_drop::<T>() {
        AnyIter::from_batches(SharedBatches::new(records, start, end))
    } else {
        AnyIter::from_lent(Lent::new(records, start, end))
    }
}

fn type_mismatch(container: &str, expected: &str, found: &str) -> Error {
    Error::internal(format!(
        "{container} of {found} was handed to code expecting {expected}"
    ))
}

/// The record type of an operator's output, with the few typed operations the
/// framework needs on containers of it (collecting, splitting, concatenating,
/// sampling) so that channels can be converted without knowing the type.
#[derive(Clone)]
pub struct DataType {
    ops: Arc<dyn ErasedOps>,
}

impl DataType {
    /// The data type of `T`.
    pub fn of<T: Data>() -> Self {
        DataType {
            ops: Arc::new(TypedOps::<T>(std::marker::PhantomData)),
        }
    }

    /// The record type's identity.
    pub fn type_id(&self) -> std::any::TypeId {
        self.ops.record_type_id()
    }

    /// The Rust name of the record type.
    pub fn name(&self) -> &'static str {
        self.ops.name()
    }

    /// Materialises a stream.
    pub fn collect(&self, iter: AnyIter) -> Result<AnyVec> {
        self.ops.collect(iter)
    }

    /// Streams a collection.
    pub fn iter(&self, records: AnyVec) -> Result<AnyIter> {
        self.ops.iter(records)
    }

    /// Streams records `start..end` of a collection, cloning them one at a
    /// time (slices of a shared collection, without copying it whole).
    pub fn iter_range(&self, records: AnyVec, start: usize, end: usize) -> Result<AnyIter> {
        self.ops.iter_range(records, start, end)
    }

    /// Concatenates streams one after the other.
    pub fn chain(&self, iters: Vec<AnyIter>) -> Result<AnyIter> {
        self.ops.chain(iters)
    }

    /// An empty stream.
    pub fn empty(&self) -> AnyIter {
        self.ops.empty()
    }

    /// Splits a collection into `parts` slices of nearly equal size, in order.
    pub fn split(&self, records: AnyVec, parts: usize) -> Result<Vec<AnyVec>> {
        self.ops.split(records, parts)
    }

    /// Concatenates collections in order.
    pub fn concat(&self, parts: Vec<AnyVec>) -> Result<AnyVec> {
        self.ops.concat(parts)
    }

    /// A stream of one `u64`: the number of records of `iter`, counted lazily.
    pub fn count(&self, iter: AnyIter) -> Result<AnyIter> {
        self.ops.count(iter)
    }

    /// A uniform random sample of `size` records, drawn lazily.
    pub fn sample(&self, iter: AnyIter, size: usize, rng: SplitMix64) -> Result<AnyIter> {
        self.ops.sample(iter, size, rng)
    }

    /// Wraps an operator's output stream so that it is counted, timed and
    /// guarded by `probe` (see [`crate::job::Instrumented`]).
    pub fn instrument(&self, iter: AnyIter, probe: Arc<OperatorProbe>) -> Result<AnyIter> {
        self.ops.instrument(iter, probe)
    }
}

impl fmt::Debug for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq for DataType {
    fn eq(&self, other: &Self) -> bool {
        self.ops.record_type_id() == other.ops.record_type_id()
    }
}

trait ErasedOps: Send + Sync {
    fn name(&self) -> &'static str;
    fn record_type_id(&self) -> std::any::TypeId;
    fn collect(&self, iter: AnyIter) -> Result<AnyVec>;
    fn iter(&self, records: AnyVec) -> Result<AnyIter>;
    fn iter_range(&self, records: AnyVec, start: usize, end: usize) -> Result<AnyIter>;
    fn chain(&self, iters: Vec<AnyIter>) -> Result<AnyIter>;
    fn empty(&self) -> AnyIter;
    fn split(&self, records: AnyVec, parts: usize) -> Result<Vec<AnyVec>>;
    fn concat(&self, parts: Vec<AnyVec>) -> Result<AnyVec>;
    fn count(&self, iter: AnyIter) -> Result<AnyIter>;
    fn sample(&self, iter: AnyIter, size: usize, rng: SplitMix64) -> Result<AnyIter>;
    fn instrument(&self, iter: AnyIter, probe: Arc<OperatorProbe>) -> Result<AnyIter>;
}

struct TypedOps<T>(std::marker::PhantomData<fn() -> T>);

impl<T: Data> ErasedOps for TypedOps<T> {
    fn name(&self) -> &'static str {
        type_name::<T>()
    }

    fn record_type_id(&self) -> std::any::TypeId {
        std::any::TypeId::of::<T>()
    }

    fn collect(&self, iter: AnyIter) -> Result<AnyVec> {
        let mut all: Vec<T> = Vec::new();
        for batch in iter.downcast_batches::<T>()? {
            let batch = records_or_raise(batch);
            if all.is_empty() {
                all = batch;
            } else {
                all.extend(batch);
            }
        }
        Ok(AnyVec::new(all))
    }

    fn iter(&self, records: AnyVec) -> Result<AnyIter> {
        records.into_batches::<T>()
    }

    fn iter_range(&self, records: AnyVec, start: usize, end: usize) -> Result<AnyIter> {
        let records = records.downcast::<T>()?;
        let end = end.min(records.len());
        Ok(shared_range(records, start.min(end), end))
    }

    fn chain(&self, iters: Vec<AnyIter>) -> Result<AnyIter> {
        let typed = iters
            .into_iter()
            .map(AnyIter::downcast_batches::<T>)
            .collect::<Result<Vec<_>>>()?;
        Ok(AnyIter::from_batches(typed.into_iter().flatten()))
    }

    fn empty(&self) -> AnyIter {
        AnyIter::from_batches(std::iter::empty::<Batch<T>>())
    }

    fn split(&self, records: AnyVec, parts: usize) -> Result<Vec<AnyVec>> {
        let parts = parts.max(1);
        let mut records = records.into_vec::<T>()?;
        let base = records.len() / parts;
        let extra = records.len() % parts;
        // Split from the back so each split_off moves only its own slice.
        let mut out = Vec::with_capacity(parts);
        for index in (0..parts).rev() {
            let size = base + usize::from(index < extra);
            let tail = records.split_off(records.len() - size);
            out.push(AnyVec::new(tail));
        }
        out.reverse();
        Ok(out)
    }

    fn concat(&self, parts: Vec<AnyVec>) -> Result<AnyVec> {
        let total = parts.iter().map(AnyVec::len).sum();
        let mut all = Vec::with_capacity(total);
        for part in parts {
            all.extend(part.into_stream::<T>()?);
        }
        Ok(AnyVec::new(all))
    }

    fn count(&self, iter: AnyIter) -> Result<AnyIter> {
        let count: Box<dyn FnOnce() -> u64 + Send> = match iter.downcast_input::<T>()? {
            Input::Lent(mut lent) => Box::new(move || {
                let mut count = 0;
                while let Some(slice) = lent.lend() {
                    count += slice.len() as u64;
                }
                count
            }),
            Input::Batches(batches) => Box::new(move || {
                batches
                    .map(|batch| records_or_raise(batch).len() as u64)
                    .sum::<u64>()
            }),
        };
        Ok(AnyIter::new(std::iter::once_with(count)))
    }

    fn sample(&self, iter: AnyIter, size: usize, mut rng: SplitMix64) -> Result<AnyIter> {
        let iter = iter.downcast::<T>()?;
        Ok(AnyIter::new(
            std::iter::once_with(move || reservoir(iter, size, &mut rng)).flatten(),
        ))
    }

    fn instrument(&self, iter: AnyIter, probe: Arc<OperatorProbe>) -> Result<AnyIter> {
        Ok(match iter.downcast_input::<T>()? {
            // Lending cannot fail or panic: the reader's own guard covers
            // the work done on the slices.
            Input::Lent(mut lent) if lent.tally.is_none() => {
                lent.tally = Some(Tally::new(probe));
                AnyIter::from_lent(lent)
            }
            input => AnyIter::from_batches(Instrumented::new(input.into_batches(), probe)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts live records so a test can see each is dropped exactly once.
    struct Counted(Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }

    fn counted_batches(live: &Arc<AtomicUsize>) -> Records<Counted> {
        let batches: Vec<Batch<Counted>> = (0..3)
            .map(|_| {
                Ok((0..100)
                    .map(|_| {
                        live.fetch_add(1, Ordering::SeqCst);
                        Counted(live.clone())
                    })
                    .collect())
            })
            .collect();
        Records::new(boxed(batches.into_iter()))
    }

    #[test]
    fn records_left_unread_are_dropped_once() {
        let live = Arc::new(AtomicUsize::new(0));
        let mut records = counted_batches(&live);
        let read: Vec<Counted> = records.by_ref().take(150).collect();
        assert_eq!(live.load(Ordering::SeqCst), 300);
        drop(records);
        assert_eq!(live.load(Ordering::SeqCst), 150);
        drop(read);
        assert_eq!(live.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_panic_while_folding_records_drops_each_once() {
        let live = Arc::new(AtomicUsize::new(0));
        let mut records = counted_batches(&live);
        let _first = records.next();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            records.fold(0, |seen, record| {
                assert!(seen < 170, "stop half-way");
                drop(record);
                seen + 1
            })
        }));
        assert!(outcome.is_err());
        drop(_first);
        assert_eq!(live.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn batch_buffers_go_round_between_chunking_and_reading() {
        let capacity = batch_capacity::<u64>();
        let buffer: Vec<u64> = crate::batch_pool::take(capacity);
        let address = buffer.as_ptr();
        crate::batch_pool::give_back(buffer);
        let batch = chunked(0..capacity as u64).next().unwrap().unwrap();
        assert_eq!(batch.as_ptr(), address, "chunking takes from the pool");
        let mut records = Records::new(boxed(std::iter::once(Ok(batch))));
        assert_eq!(records.next(), Some(0));
        assert_eq!(records.by_ref().count(), capacity - 1);
        drop(records);
        let again: Vec<u64> = crate::batch_pool::take(capacity);
        assert_eq!(again.as_ptr(), address, "reading to the end gives back");
    }

    #[test]
    fn iter_round_trips_and_rejects_wrong_type() {
        let iter = AnyIter::new(vec![1u32, 2, 3].into_iter());
        assert_eq!(iter.type_name(), "u32");
        let wrong = AnyIter::new(vec![1u32].into_iter()).downcast::<String>();
        assert!(matches!(wrong, Err(Error::Internal(_))));
        assert_eq!(
            iter.downcast::<u32>().unwrap().collect::<Vec<_>>(),
            [1, 2, 3]
        );
    }

    #[test]
    fn shared_collection_streams_copies_and_keeps_original() {
        let all = AnyVec::new(vec!["a".to_string(), "b".to_string()]);
        let copy = all.clone();
        let streamed: Vec<String> = copy.into_stream().unwrap().collect();
        assert_eq!(streamed, ["a", "b"]);
        assert_eq!(all.into_vec::<String>().unwrap(), ["a", "b"]);
    }

    #[test]
    fn a_shared_collection_of_plain_records_is_lent_and_counted_as_lent() {
        use crate::job::{JobState, OperatorLabel};
        use crate::operators::OperatorKind;
        use crate::plan::NodeId;
        let ty = DataType::of::<u64>();
        let all = AnyVec::new((0..3000u64).collect());
        let _keep_shared = all.clone();
        let Input::Lent(mut lent) = ty
            .iter(all.clone())
            .unwrap()
            .downcast_input::<u64>()
            .unwrap()
        else {
            panic!("plain records of a shared collection are lent");
        };
        let sizes: Vec<usize> = std::iter::from_fn(|| lent.lend().map(<[u64]>::len)).collect();
        assert_eq!(sizes, [1024, 1024, 952]);
        assert!(lent.lend().is_none(), "stays ended");

        // Records that own memory are not lent.
        let strings = AnyVec::new(vec!["a".to_string()]);
        let _keep = strings.clone();
        let input = DataType::of::<String>().iter(strings).unwrap();
        assert!(matches!(
            input.downcast_input::<String>(),
            Ok(Input::Batches(_))
        ));

        // Instrumented, a lent range stays lent and its probe counts what
        // the reader borrowed; read as batches, it clones them.
        let label = || OperatorLabel {
            kind: OperatorKind::CollectionSource,
            name: None,
            node: NodeId(0),
        };
        let probe = Arc::new(OperatorProbe::new(label(), Arc::new(JobState::default())));
        let range = ty.iter_range(all.clone(), 100, 2100).unwrap();
        let instrumented = ty.instrument(range, probe.clone()).unwrap();
        let Input::Lent(mut lent) = instrumented.downcast_input::<u64>().unwrap() else {
            panic!("an instrumented lent range stays lent");
        };
        assert_eq!(lent.lend().map(<[u64]>::len), Some(1024));
        drop(lent);
        assert_eq!(probe.records(), 1024, "counted when dropped part-way");

        let probe = Arc::new(OperatorProbe::new(label(), Arc::new(JobState::default())));
        let range = ty.iter_range(all.clone(), 100, 2100).unwrap();
        let batches = ty
            .instrument(range, probe.clone())
            .unwrap()
            .downcast_batches::<u64>()
            .unwrap();
        let records: Vec<u64> = batches.flat_map(Result::unwrap).collect();
        assert_eq!(records, (100..2100).collect::<Vec<_>>());
        assert_eq!(probe.records(), 2000);

        // A job that failed elsewhere ends the lending.
        let job = Arc::new(JobState::default());
        let probe = Arc::new(OperatorProbe::new(label(), job.clone()));
        let instrumented = ty.instrument(ty.iter(all.clone()).unwrap(), probe).unwrap();
        let Input::Lent(mut lent) = instrumented.downcast_input::<u64>().unwrap() else {
            panic!("lent");
        };
        assert!(lent.lend().is_some());
        job.fail(Error::internal("elsewhere"));
        assert!(lent.lend().is_none(), "stops once the job has failed");

        // A finished reader lets go of the collection.
        let Input::Lent(mut lent) = ty
            .iter(all.clone())
            .unwrap()
            .downcast_input::<u64>()
            .unwrap()
        else {
            panic!("lent");
        };
        while lent.lend().is_some() {}
        drop(_keep_shared);
        let shared = all.downcast::<u64>().unwrap();
        assert_eq!(Arc::strong_count(&shared), 1, "the ended reader let go");
        drop(lent);
    }

    #[test]
    fn the_last_reader_of_a_shared_collection_moves_instead_of_cloning() {
        static CLONES: AtomicUsize = AtomicUsize::new(0);
        #[derive(Debug, PartialEq)]
        struct Counted(usize);
        impl Clone for Counted {
            fn clone(&self) -> Self {
                CLONES.fetch_add(1, Ordering::Relaxed);
                Counted(self.0)
            }
        }
        // Drop glue, as a record that owns memory has: such records are
        // cloned or moved in batches, never lent.
        impl Drop for Counted {
            fn drop(&mut self) {}
        }
        let ty = DataType::of::<Counted>();
        let all = AnyVec::new((0..3000).map(Counted).collect());
        let first = ty.iter(all.clone()).unwrap();
        let second = ty.iter(all).unwrap();
        assert_eq!(first.downcast::<Counted>().unwrap().count(), 3000);
        assert_eq!(
            CLONES.load(Ordering::Relaxed),
            3000,
            "the first reader clones"
        );
        let mut second = second.downcast::<Counted>().unwrap();
        assert_eq!(second.next(), Some(Counted(0)));
        assert_eq!(second.last(), Some(Counted(2999)));
        assert_eq!(
            CLONES.load(Ordering::Relaxed),
            3000,
            "the last reader moves"
        );

        // The other reader lets go half-way: the rest is moved.
        let all = AnyVec::new((0..3000).map(Counted).collect());
        let mut first = ty.iter(all.clone()).unwrap().downcast::<Counted>().unwrap();
        let second = ty.iter(all).unwrap();
        assert_eq!(first.next(), Some(Counted(0)));
        let before = CLONES.load(Ordering::Relaxed);
        assert_eq!(before, 3000 + 1024, "one batch cloned");
        let mut second = second.downcast::<Counted>().unwrap();
        assert_eq!(second.next(), Some(Counted(0)));
        assert_eq!(CLONES.load(Ordering::Relaxed), before + 1024);
        drop(first);
        assert_eq!(second.by_ref().take(1023).count(), 1023);
        assert_eq!(
            second.map(|c| c.0).sum::<usize>(),
            (1024..3000).sum::<usize>()
        );
        assert_eq!(
            CLONES.load(Ordering::Relaxed),
            before + 1024,
            "the rest moved"
        );

        // A range of a collection whose other readers are gone.
        let all = AnyVec::new((0..3000).map(Counted).collect());
        let middle: Vec<usize> = ty
            .iter_range(all, 1000, 2500)
            .unwrap()
            .downcast::<Counted>()
            .unwrap()
            .map(|c| c.0)
            .collect();
        assert_eq!(middle, (1000..2500).collect::<Vec<_>>());
        assert_eq!(CLONES.load(Ordering::Relaxed), before + 1024);
    }

    #[test]
    fn a_failure_reaching_a_record_consumer_is_raised_as_that_operators_failure() {
        let batches = || -> BoxBatches<u32> {
            Box::new(vec![Ok(vec![1, 2]), Err(RecordFailure("bad".into()))].into_iter())
        };
        let ty = DataType::of::<u32>();
        let consumers: [fn(BoxBatches<u32>); 3] = [
            |b: BoxBatches<u32>| drop(Records::new(b).collect::<Vec<_>>()),
            |b: BoxBatches<u32>| Records::new(b).for_each(drop),
            |b: BoxBatches<u32>| {
                drop(DataType::of::<u32>().collect(AnyIter::from_boxed_batches(b)))
            },
        ];
        for consume in consumers {
            let raised =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| consume(batches())));
            let payload = raised.expect_err("the failure is raised");
            assert_eq!(crate::job::panic_message(payload.as_ref()), "bad");
        }
        let counted = ty.count(AnyIter::from_boxed_batches(batches())).unwrap();
        let raised = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            counted.downcast::<u64>().unwrap().count()
        }));
        assert!(raised.is_err(), "count raises it too");
    }

    #[test]
    fn split_and_concat_preserve_order_and_sizes() {
        let ty = DataType::of::<u32>();
        let parts = ty.split(AnyVec::new((0..10u32).collect()), 3).unwrap();
        let sizes: Vec<usize> = parts.iter().map(AnyVec::len).collect();
        assert_eq!(sizes, [4, 3, 3]);
        let whole = ty.concat(parts).unwrap().into_vec::<u32>().unwrap();
        assert_eq!(whole, (0..10).collect::<Vec<_>>());
        let empty_parts = ty.split(AnyVec::new(Vec::<u32>::new()), 4).unwrap();
        assert_eq!(empty_parts.len(), 4);
        assert!(empty_parts.iter().all(AnyVec::is_empty));
    }

    #[test]
    fn ranges_of_a_shared_collection() {
        let ty = DataType::of::<u8>();
        let all = AnyVec::new(vec![1u8, 2, 3, 4, 5]);
        let middle: Vec<u8> = ty
            .iter_range(all.clone(), 1, 4)
            .unwrap()
            .downcast()
            .unwrap()
            .collect();
        assert_eq!(middle, [2, 3, 4]);
        let past_end: Vec<u8> = ty
            .iter_range(all.clone(), 4, 99)
            .unwrap()
            .downcast()
            .unwrap()
            .collect();
        assert_eq!(past_end, [5]);
        assert_eq!(
            ty.iter_range(all, 7, 9)
                .unwrap()
                .downcast::<u8>()
                .unwrap()
                .count(),
            0
        );
    }

    #[test]
    fn chain_and_collect() {
        let ty = DataType::of::<i64>();
        let chained = ty
            .chain(vec![
                AnyIter::new(0..2i64),
                ty.empty(),
                AnyIter::new(5..7i64),
            ])
            .unwrap();
        let all = ty.collect(chained).unwrap().into_vec::<i64>().unwrap();
        assert_eq!(all, [0, 1, 5, 6]);
        assert_eq!(DataType::of::<i64>(), ty);
        assert_ne!(DataType::of::<u64>(), ty);
    }
}
