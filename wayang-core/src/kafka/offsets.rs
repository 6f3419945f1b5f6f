//! Where a bounded Kafka read starts and stops, and what to do with records
//! that do not decode.

use std::collections::BTreeMap;

/// Where reading each partition starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StartOffsets {
    /// The oldest retained record (the low watermark).
    #[default]
    Earliest,
    /// The end of the partition at job start: nothing old is read.
    Latest,
    /// The offsets committed by the source's consumer group; partitions the
    /// group never committed start at `fallback`.
    Committed {
        /// Where partitions without a committed offset start.
        fallback: Box<StartOffsets>,
    },
    /// The first record with a timestamp at or after this (ms since the epoch).
    Timestamp(i64),
    /// Explicit offsets per (topic, partition); unlisted partitions start at
    /// the earliest offset.
    Offsets(BTreeMap<(String, i32), i64>),
}

/// Where reading each partition stops (exclusive).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StopOffsets {
    /// The high watermark at job start: records produced later are left for
    /// the next run.
    #[default]
    HighWatermark,
    /// The first record with a timestamp at or after this (ms since the epoch).
    Timestamp(i64),
    /// Explicit offsets per (topic, partition); unlisted partitions stop at
    /// the high watermark at job start.
    Offsets(BTreeMap<(String, i32), i64>),
    /// Whatever the end of the partition is when the reader gets there.
    EndOfPartition,
}

/// What happens to a record that does not decode.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum BadRecordPolicy {
    /// Fail the job with cluster alias, topic, partition and offset (default).
    #[default]
    Fail,
    /// Skip it and count it (the job report's `skipped` counter).
    Skip,
    /// Write the raw record to this topic on the same cluster, with the error
    /// in the `wayang.error` header and its origin in `wayang.source.*`
    /// headers, and count it (`dead_lettered`).
    DeadLetter(String),
}
