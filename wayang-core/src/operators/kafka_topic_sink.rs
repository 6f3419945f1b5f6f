//! KafkaTopicSink: write records to a topic of one cluster.

use std::marker::PhantomData;
use std::sync::Arc;

use crate::data::{AnyIter, Data, DataType};
use crate::error::Result;
use crate::formats::registry::SchemaRegistry;
use crate::formats::Format;
use crate::kafka::{ExactlyOnce, KafkaCluster, OutgoingRecord};

/// Turns typed records into records to produce, erased.
pub trait RecordEncoder: Send + Sync {
    /// The format's name, for messages.
    fn format(&self) -> &'static str;

    /// Whether encoding needs the cluster's Schema Registry.
    fn needs_registry(&self) -> bool {
        false
    }

    /// Encodes each record of `input` and hands it to `produce`, stopping at
    /// the first error `produce` returns. Returns how many were handed over;
    /// a record that does not encode is an error naming its position.
    fn encode(
        &self,
        input: AnyIter,
        target: &EncodeTarget<'_>,
        produce: &mut dyn FnMut(OutgoingRecord<'_>) -> std::result::Result<(), String>,
    ) -> Result<std::result::Result<u64, String>>;
}

/// Where a sink's records go, for encoders that need to know: the topic
/// (subject names derive from it) and the cluster's Schema Registry.
#[derive(Clone, Copy, Debug)]
pub struct EncodeTarget<'a> {
    /// The topic written.
    pub topic: &'a str,
    /// The cluster's Schema Registry, where it has one.
    pub registry: Option<&'a Arc<dyn SchemaRegistry>>,
}

impl EncodeTarget<'_> {
    /// A target without registry (for formats that need none).
    pub fn plain(topic: &str) -> EncodeTarget<'_> {
        EncodeTarget {
            topic,
            registry: None,
        }
    }
}

/// Writes records to a topic.
#[derive(Clone)]
pub struct KafkaTopicSink {
    /// The cluster.
    pub cluster: KafkaCluster,
    /// The topic.
    pub topic: String,
    /// The typed encoder.
    pub encoder: Arc<dyn RecordEncoder>,
    /// A transactional id: all records of the job become visible to
    /// `read_committed` readers together, only if the job succeeds.
    pub transactional_id: Option<String>,
    /// The exactly-once job whose output this is (its transaction also
    /// commits the positions of the job's sources).
    pub exactly_once: Option<ExactlyOnce>,
    /// Whether the topic is a table the job replaces: every record is keyed
    /// (one record per key), and keys of the topic's current table that the
    /// job did not write get a tombstone.
    pub table: bool,
    /// The input record type.
    pub input_type: DataType,
}

/// Computes a record's key.
pub type KeyFn<T> = Arc<dyn Fn(&T) -> Vec<u8> + Send + Sync>;
/// Chooses a record's partition.
pub type PartitionFn<T> = Arc<dyn Fn(&T) -> i32 + Send + Sync>;
/// Sets a record's timestamp.
pub type TimestampFn<T> = Arc<dyn Fn(&T) -> i64 + Send + Sync>;
/// Computes a record's headers.
pub type HeadersFn<T> = Arc<dyn Fn(&T) -> Vec<(String, Vec<u8>)> + Send + Sync>;

/// Encodes records' keys in a Schema Registry format (subject
/// `<topic>-key` by default).
pub trait RegistryKeyEncoder<T>: Send + Sync {
    /// The id of the key schema, registered or looked up under the key
    /// subject of `target`'s topic.
    fn schema_id(&self, target: &EncodeTarget<'_>) -> std::result::Result<u32, String>;
    /// Appends `record`'s framed key to `out`.
    fn encode(&self, id: u32, record: &T, out: &mut Vec<u8>) -> std::result::Result<(), String>;
}

/// The optional per-record functions of a Kafka sink.
pub struct RecordFunctions<T> {
    /// Computes the record key (bytes); without it records have no key.
    pub key: Option<KeyFn<T>>,
    /// Encodes the key in a Schema Registry format (instead of `key`).
    pub registry_key: Option<Arc<dyn RegistryKeyEncoder<T>>>,
    /// Chooses the partition; without it the producer's partitioner does.
    pub partition: Option<PartitionFn<T>>,
    /// Sets the timestamp; without it the producer's clock does.
    pub timestamp: Option<TimestampFn<T>>,
    /// Adds headers.
    pub headers: Option<HeadersFn<T>>,
}

impl<T> Default for RecordFunctions<T> {
    fn default() -> Self {
        RecordFunctions {
            key: None,
            registry_key: None,
            partition: None,
            timestamp: None,
            headers: None,
        }
    }
}

impl<T> RecordFunctions<T> {
    /// Whether records get a key.
    pub fn has_key(&self) -> bool {
        self.key.is_some() || self.registry_key.is_some()
    }
}

/// The keys of one encoding stream: the key schema's id is found before
/// the first key, and one buffer serves every key.
#[derive(Default)]
pub(crate) struct Keys {
    id: Option<u32>,
    buffer: Vec<u8>,
}

impl Keys {
    /// `record`'s key, if the sink keys records.
    pub(crate) fn of<T>(
        &mut self,
        functions: &RecordFunctions<T>,
        record: &T,
        target: &EncodeTarget<'_>,
    ) -> std::result::Result<Option<&[u8]>, String> {
        if let Some(encoder) = &functions.registry_key {
            let id = match self.id {
                Some(id) => id,
                None => *self.id.insert(encoder.schema_id(target)?),
            };
            self.buffer.clear();
            encoder.encode(id, record, &mut self.buffer)?;
            return Ok(Some(&self.buffer));
        }
        match &functions.key {
            Some(key) => {
                self.buffer = key(record);
                Ok(Some(&self.buffer))
            }
            None => Ok(None),
        }
    }
}

/// The typed [`RecordEncoder`]: a value format and the per-record functions.
pub struct RecordEncoderFns<T, F> {
    functions: RecordFunctions<T>,
    _format: PhantomData<fn() -> F>,
}

impl<T, F> RecordEncoderFns<T, F> {
    /// An encoder with format `F` and these functions.
    pub fn new(functions: RecordFunctions<T>) -> Self {
        RecordEncoderFns {
            functions,
            _format: PhantomData,
        }
    }
}

impl<T: Data, F: Format<Value = T>> RecordEncoder for RecordEncoderFns<T, F> {
    fn format(&self) -> &'static str {
        F::NAME
    }

    fn encode(
        &self,
        input: AnyIter,
        target: &EncodeTarget<'_>,
        produce: &mut dyn FnMut(OutgoingRecord<'_>) -> std::result::Result<(), String>,
    ) -> Result<std::result::Result<u64, String>> {
        encode_records(
            input,
            &self.functions,
            target,
            produce,
            |count, record, payload| {
                F::encode(record, payload).map_err(|reason| {
                    format!("record {count} does not encode as {}: {reason}", F::NAME)
                })
            },
        )
    }
}

/// What every encoder does around the value: for each record, `value`
/// appends its payload (or says, in full, why it cannot), the sink's
/// functions give its key, partition, timestamp and headers, and `produce`
/// takes it. Stops at the first failure; returns how many were produced.
pub(crate) fn encode_records<T: Data>(
    input: AnyIter,
    functions: &RecordFunctions<T>,
    target: &EncodeTarget<'_>,
    produce: &mut dyn FnMut(OutgoingRecord<'_>) -> std::result::Result<(), String>,
    mut value: impl FnMut(u64, &T, &mut Vec<u8>) -> std::result::Result<(), String>,
) -> Result<std::result::Result<u64, String>> {
    let mut payload = Vec::new();
    let mut keys = Keys::default();
    let mut count = 0u64;
    for record in input.downcast::<T>()? {
        payload.clear();
        if let Err(reason) = value(count, &record, &mut payload) {
            return Ok(Err(reason));
        }
        let key = match keys.of(functions, &record, target) {
            Ok(key) => key,
            Err(reason) => return Ok(Err(format!("record {count}: its key: {reason}"))),
        };
        let headers = functions
            .headers
            .as_ref()
            .map(|h| h(&record))
            .unwrap_or_default();
        let outgoing = OutgoingRecord {
            key,
            payload: &payload,
            partition: functions.partition.as_ref().map(|p| p(&record)),
            timestamp: functions.timestamp.as_ref().map(|t| t(&record)),
            headers: &headers,
        };
        if let Err(reason) = produce(outgoing) {
            return Ok(Err(reason));
        }
        count += 1;
    }
    Ok(Ok(count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Utf8;

    #[test]
    fn encodes_keys_and_values() {
        let key: KeyFn<String> = Arc::new(|s| s.chars().take(1).collect::<String>().into_bytes());
        let encoder = RecordEncoderFns::<String, Utf8>::new(RecordFunctions {
            key: Some(key),
            ..RecordFunctions::default()
        });
        let mut seen = Vec::new();
        let count = encoder
            .encode(
                AnyIter::new(["ab".to_string(), "cd".into()].into_iter()),
                &EncodeTarget::plain("t"),
                &mut |r| {
                    seen.push((r.key.map(<[u8]>::to_vec), r.payload.to_vec()));
                    Ok(())
                },
            )
            .unwrap()
            .unwrap();
        assert_eq!(count, 2);
        assert_eq!(seen[1], (Some(b"c".to_vec()), b"cd".to_vec()));
    }

    #[test]
    fn a_produce_error_stops_encoding() {
        let encoder = RecordEncoderFns::<String, Utf8>::new(RecordFunctions::default());
        let result = encoder
            .encode(
                AnyIter::new(["a".to_string(), "b".into()].into_iter()),
                &EncodeTarget::plain("t"),
                &mut |_| Err("queue closed".into()),
            )
            .unwrap();
        assert_eq!(result, Err("queue closed".to_string()));
    }
}
