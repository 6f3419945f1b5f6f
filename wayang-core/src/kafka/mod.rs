//! Kafka as plain data: cluster connection settings, offset specifications,
//! record metadata and the bad-record policy.
//!
//! Nothing here talks to a broker; `wayang-kafka` does, and the API builds
//! Kafka sources and sinks from these types without linking a client.

mod cluster;
mod offsets;
mod record;

pub use cluster::{is_secret_key, ClusterProperty, KafkaCluster, REDACTED};
pub use offsets::{BadRecordPolicy, StartOffsets, StopOffsets};
pub use record::{KafkaRecord, OutgoingRecord, RecordView};
