//! Kafka records as the framework sees them.

use serde::{Deserialize, Serialize};

/// A record read from Kafka with its metadata, for sources that expose it
/// (`read_kafka_topic(..).records()`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KafkaRecord<T> {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
    /// The record's timestamp (ms since the epoch), if it has one.
    pub timestamp: Option<i64>,
    /// The raw key.
    pub key: Option<Vec<u8>>,
    /// The headers, in order.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// The decoded value.
    pub value: T,
}

/// A borrowed view of a record being read: what decoders see, so that no
/// bytes are copied before decoding.
#[derive(Clone, Copy, Debug)]
pub struct RecordView<'a> {
    /// The topic.
    pub topic: &'a str,
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
    /// The timestamp, if any.
    pub timestamp: Option<i64>,
    /// The key, if any.
    pub key: Option<&'a [u8]>,
    /// The value, if any (`None` for a tombstone).
    pub payload: Option<&'a [u8]>,
    /// The headers; filled only for decoders that ask for them
    /// ([`crate::operators::RecordDecoder::needs_headers`]), empty otherwise.
    pub headers: &'a [(String, Option<Vec<u8>>)],
}

/// A record to produce, borrowed from the encoder's buffers.
#[derive(Clone, Copy, Debug)]
pub struct OutgoingRecord<'a> {
    /// The key, if any.
    pub key: Option<&'a [u8]>,
    /// The value.
    pub payload: &'a [u8],
    /// An explicit partition, if the sink chooses one.
    pub partition: Option<i32>,
    /// An explicit timestamp (ms since the epoch), if any.
    pub timestamp: Option<i64>,
    /// Headers.
    pub headers: &'a [(String, Vec<u8>)],
}
