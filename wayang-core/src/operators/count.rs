//! Count: the number of records, as a single `u64`.

use crate::data::DataType;

/// Emits one `u64`: the number of input records (0 for an empty input).
#[derive(Clone, Debug)]
pub struct Count {
    /// The input record type.
    pub input_type: DataType,
}
