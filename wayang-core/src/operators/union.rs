//! Union: the records of two inputs of the same type.

use crate::data::DataType;

/// Emits all records of the first input, then all of the second (bag
/// semantics: duplicates are kept).
#[derive(Clone, Debug)]
pub struct Union {
    /// The record type of both inputs and the output.
    pub data_type: DataType,
}
