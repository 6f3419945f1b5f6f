//! Kafka as plain data: cluster connection settings, offset specifications,
//! record metadata, the bad-record policy, changelog (table) entries and
//! exactly-once bindings.
//!
//! Nothing here talks to a broker; `wayang-kafka` does, and the API builds
//! Kafka sources and sinks from these types without linking a client.

mod changelog;
mod cluster;
mod exactly_once;
mod offsets;
mod record;

pub use changelog::{shown_key, ChangelogEntry};
pub use cluster::{
    is_registry_key, is_secret_key, is_shown_key, ClusterProperty, KafkaCluster, REDACTED,
    REGISTRY_KEYS,
};
pub use exactly_once::{ExactlyOnce, DEFAULT_POSITIONS_TOPIC};
pub use offsets::{BadRecordPolicy, StartOffsets, StopOffsets};
pub use record::{KafkaRecord, OutgoingRecord, RecordView};
