//! Embedded Kafka-protocol clusters: librdkafka's mock cluster, in process.
//!
//! Each [`EmbeddedCluster`] listens on real TCP ports of 127.0.0.1, so any
//! Kafka client (this crate's, `kcat`, a JVM) can reach it while it lives.
//! Several independent clusters fit in one process, one per organisation.
//!
//! Limits (librdkafka's mock broker): no admin API (create topics with
//! [`EmbeddedCluster::create_topic`]), no SASL or TLS, `read_committed` does
//! not filter aborted records, and **each partition keeps only its last
//! 5 MiB or 100,000 message sets: older data is silently dropped**. Size
//! topics with enough partitions (1 M records of 100 B need 24 or more) and
//! check that the low watermark stays 0 ([`EmbeddedCluster::low_watermarks`]).

use std::time::Duration;

use rdkafka::consumer::Consumer;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use wayang_core::kafka::{KafkaCluster, OutgoingRecord};

use crate::error::{ErrorCode, KafkaError};
use crate::offsets::{admin_consumer, partitions, resolve_all};
use crate::scan::scan;
use crate::settings::KafkaSettings;
use crate::writer::{TopicWriter, WriterOptions};

/// A record as stored in a topic, for inspecting what a job wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRecord {
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
    /// The key.
    pub key: Option<Vec<u8>>,
    /// The value.
    pub value: Option<Vec<u8>>,
    /// The headers.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// An in-process Kafka-protocol cluster (see the module docs for its limits).
pub struct EmbeddedCluster {
    alias: String,
    mock: MockCluster<'static, DefaultProducerContext>,
}

impl EmbeddedCluster {
    /// Starts a cluster of `brokers` brokers.
    pub fn start(alias: impl Into<String>, brokers: i32) -> Result<Self, KafkaError> {
        let alias = alias.into();
        let mock = MockCluster::new(brokers).map_err(|e| {
            KafkaError::client(
                &alias,
                format!("cannot start an embedded cluster: {e}"),
                ErrorCode::of(&e),
            )
        })?;
        Ok(EmbeddedCluster { alias, mock })
    }

    /// Creates a topic (replication factor 1).
    pub fn create_topic(&self, topic: &str, partitions: i32) -> Result<(), KafkaError> {
        self.mock.create_topic(topic, partitions, 1).map_err(|e| {
            KafkaError::client(
                &self.alias,
                format!("cannot create topic {topic:?}: {e}"),
                ErrorCode::of(&e),
            )
        })
    }

    /// The connection settings of this cluster, under its alias.
    pub fn cluster(&self) -> KafkaCluster {
        KafkaCluster::new(&self.alias).with("bootstrap.servers", self.bootstrap_servers())
    }

    /// The `bootstrap.servers` of this cluster.
    pub fn bootstrap_servers(&self) -> String {
        self.mock.bootstrap_servers()
    }

    /// The alias.
    pub fn alias(&self) -> &str {
        &self.alias
    }

    /// The underlying mock cluster, for fault injection in tests
    /// (`request_errors`, `topic_error`, `broker_down`, ...).
    pub fn mock(&self) -> &MockCluster<'static, DefaultProducerContext> {
        &self.mock
    }

    /// Produces `(key, value)` records and waits for every delivery; a
    /// record without a value (`None`) is a tombstone.
    pub fn produce_changes<K, V>(
        &self,
        topic: &str,
        records: impl IntoIterator<Item = (K, Option<V>)>,
    ) -> Result<u64, KafkaError>
    where
        K: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        self.produce_raw(topic, records.into_iter().map(|(k, v)| (Some(k), v)))
    }

    /// Produces `(key, value)` records and waits for every delivery.
    pub fn produce<K, V>(
        &self,
        topic: &str,
        records: impl IntoIterator<Item = (Option<K>, V)>,
    ) -> Result<u64, KafkaError>
    where
        K: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        self.produce_raw(topic, records.into_iter().map(|(k, v)| (k, Some(v))))
    }

    fn produce_raw<K, V>(
        &self,
        topic: &str,
        records: impl Iterator<Item = (Option<K>, Option<V>)>,
    ) -> Result<u64, KafkaError>
    where
        K: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        let settings = KafkaSettings::default();
        let writer =
            TopicWriter::open(&self.cluster(), topic, &WriterOptions::default(), &settings)?;
        for (key, value) in records {
            let key = key.as_ref().map(AsRef::as_ref);
            let sent = match (&value, key) {
                (Some(value), _) => writer.send(OutgoingRecord {
                    key,
                    payload: value.as_ref(),
                    partition: None,
                    timestamp: None,
                    headers: &[],
                }),
                (None, Some(key)) => writer.send_tombstone(key, None),
                (None, None) => Err("a record without a key needs a value".to_string()),
            };
            sent.map_err(|reason| KafkaError::Produce {
                alias: self.alias.clone(),
                topic: topic.to_string(),
                reason,
                code: None,
            })?;
        }
        writer.flush()
    }

    /// Every record of `topic`, by partition then offset.
    pub fn read_all(&self, topic: &str) -> Result<Vec<StoredRecord>, KafkaError> {
        let cluster = self.cluster();
        let settings = KafkaSettings::default();
        let ranges = resolve_all(&cluster, topic, &settings)?;
        let mut records = Vec::new();
        scan(&cluster, ranges, &settings, "read_all", &mut |view| {
            records.push(StoredRecord {
                partition: view.partition,
                offset: view.offset,
                key: view.key.map(<[u8]>::to_vec),
                value: view.payload.map(<[u8]>::to_vec),
                headers: view.headers.to_vec(),
            });
        })?;
        records.sort_by_key(|r| (r.partition, r.offset));
        Ok(records)
    }

    /// The low watermark of each partition of `topic`: anything above 0
    /// means the mock broker dropped old records (see the module docs).
    pub fn low_watermarks(&self, topic: &str) -> Result<Vec<i64>, KafkaError> {
        let cluster = self.cluster();
        let settings = KafkaSettings::default();
        let consumer = admin_consumer(&cluster, None)?;
        partitions(&consumer, &cluster, topic, &settings)?
            .into_iter()
            .map(|p| {
                consumer
                    .fetch_watermarks(topic, p, Duration::from_secs(10))
                    .map(|(low, _)| low)
                    .map_err(|e| {
                        crate::offsets::partition_error(
                            &cluster,
                            topic,
                            p,
                            "reading watermarks",
                            e.to_string(),
                            ErrorCode::of(&e),
                        )
                    })
            })
            .collect()
    }
}
