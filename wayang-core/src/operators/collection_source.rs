//! CollectionSource: records held in memory by the driver program.

use crate::data::{AnyVec, Data, DataType};

/// Emits the records of an in-memory collection.
#[derive(Clone, Debug)]
pub struct CollectionSource {
    /// The records (shared: executing the plan twice does not copy them twice).
    pub records: AnyVec,
    /// Their type.
    pub data_type: DataType,
}

impl CollectionSource {
    /// A source over `records`.
    pub fn new<T: Data>(records: Vec<T>) -> Self {
        CollectionSource {
            records: AnyVec::new(records),
            data_type: DataType::of::<T>(),
        }
    }

    /// The exact number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the collection is empty.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}
