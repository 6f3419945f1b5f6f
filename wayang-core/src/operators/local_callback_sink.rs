//! LocalCallbackSink: hand the records to the driver program.

use std::marker::PhantomData;
use std::sync::{Arc, Mutex, PoisonError};

use crate::data::{AnyIter, AnyVec, Data, DataType};
use crate::error::{Error, Result};

/// What the sink does with the records.
#[derive(Clone)]
pub enum Callback {
    /// Collects them into a [`CollectHandle`], delivered only when the whole
    /// job succeeded.
    Collect(Arc<dyn CollectKernel>),
    /// Calls a function on each record as it arrives (side effects happen
    /// even if the job later fails, as with Spark's `foreach`).
    ForEach(Arc<dyn ForEachKernel>),
}

/// Hands the records to the program that built the plan.
#[derive(Clone)]
pub struct LocalCallbackSink {
    /// What to do with the records.
    pub callback: Callback,
    /// The record type.
    pub input_type: DataType,
}

/// Receives collected records, erased.
pub trait CollectKernel: Send + Sync {
    /// Stores the concatenation of `parts` (in order) as the result.
    fn deliver(&self, parts: Vec<AnyVec>) -> Result<()>;
}

/// Calls a function on each record, erased.
pub trait ForEachKernel: Send + Sync {
    /// Consumes a stream; returns how many records it saw.
    fn consume(&self, input: AnyIter) -> Result<u64>;
}

/// Where collected records of type `T` are delivered; the API's handle reads
/// them after the job.
pub struct CollectHandle<T> {
    slot: Arc<Mutex<Option<Vec<T>>>>,
}

impl<T> Clone for CollectHandle<T> {
    fn clone(&self) -> Self {
        CollectHandle {
            slot: self.slot.clone(),
        }
    }
}

impl<T: Data> CollectHandle<T> {
    /// An empty handle.
    pub fn new() -> Self {
        CollectHandle {
            slot: Arc::new(Mutex::new(None)),
        }
    }

    /// Takes the delivered records, if the job has delivered them.
    pub fn take(&self) -> Option<Vec<T>> {
        self.slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

impl<T: Data> Default for CollectHandle<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Data> CollectKernel for CollectHandle<T> {
    fn deliver(&self, parts: Vec<AnyVec>) -> Result<()> {
        let mut all = Vec::with_capacity(parts.iter().map(AnyVec::len).sum());
        for part in parts {
            all.extend(part.into_stream::<T>()?);
        }
        *self.slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(all);
        Ok(())
    }
}

/// The typed [`ForEachKernel`].
pub struct ForEachFn<T, F>(Arc<F>, PhantomData<fn(T)>);

impl<T, F> ForEachFn<T, F> {
    /// Wraps the function.
    pub fn new(f: F) -> Self {
        ForEachFn(Arc::new(f), PhantomData)
    }
}

impl<T: Data, F: Fn(T) + Send + Sync + 'static> ForEachKernel for ForEachFn<T, F> {
    fn consume(&self, input: AnyIter) -> Result<u64> {
        let mut seen = 0u64;
        for record in input.downcast::<T>()? {
            (self.0)(record);
            seen += 1;
        }
        Ok(seen)
    }
}

impl LocalCallbackSink {
    /// The error for a collect handle read before its job ran.
    pub fn not_executed(name: &str) -> Error {
        Error::plan(format!(
            "the collect sink {name} has no result: execute its plan first (or the job failed)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collect_concatenates_parts_in_order() {
        let handle = CollectHandle::<u8>::new();
        assert!(handle.take().is_none());
        handle
            .deliver(vec![
                AnyVec::new(vec![1u8]),
                AnyVec::new(Vec::<u8>::new()),
                AnyVec::new(vec![2u8, 3]),
            ])
            .unwrap();
        assert_eq!(handle.take().unwrap(), [1, 2, 3]);
    }

    #[test]
    fn for_each_calls_every_record() {
        let total = Arc::new(Mutex::new(0u32));
        let sink = {
            let total = total.clone();
            ForEachFn::new(move |x: u32| *total.lock().unwrap() += x)
        };
        assert_eq!(sink.consume(AnyIter::new(1..=4u32)).unwrap(), 4);
        assert_eq!(*total.lock().unwrap(), 10);
    }
}
