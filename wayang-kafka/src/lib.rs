//! wayang-kafka: Kafka I/O for wayang-rs, the only crate that talks to brokers.
//!
//! Platforms call it to execute the Kafka operators of `wayang-core`:
//!
//! - [`validate`] checks a [`KafkaCluster`]'s properties with librdkafka
//!   itself, naming the file and line of a bad key;
//! - [`preparer`] runs once per job before planning: it resolves every
//!   source's start and stop specification into [`OffsetRange`]s (exact
//!   record counts for the optimizer, what the job then reads, and Spark's
//!   unit of parallel work) and opens exactly-once jobs' transactions;
//! - [`SourceRead`] and [`SinkWrite`] are the job side of the Kafka
//!   operators: [`RangeReader`] reads ranges with assigned consumers,
//!   stopping on the consumer position, and applies the bad-record policy;
//!   [`TopicWriter`] produces with every delivery report checked, keeps
//!   table topics (one record per key, tombstones for vanished keys) and
//!   commits transactions in the job's two-phase commit;
//! - [`commit_offsets`] commits a group's offsets after the job succeeded;
//! - [`exactly_once`] commits output and source positions together, across
//!   clusters, and shows a job's committed history;
//! - [`admin::create_topic`] creates topics on real brokers;
//! - [`registry`] reaches each cluster's Schema Registry (named by its
//!   properties) for the Avro, JSON Schema and Protobuf formats, and
//!   embeds a registry for tests and demos;
//! - [`embedded`] starts in-process Kafka-protocol clusters for tests and
//!   demos.
//!
//! Every broker request has a deadline from the job's configuration
//! ([`KafkaSettings`]); errors ([`KafkaError`]) name the cluster, topic,
//! partition and offset, carry Kafka's [`ErrorCode`] where there is one, and
//! never contain a secret. librdkafka's own log lines reach `tracing` (target
//! `librdkafka`), redacted.
//!
//! Depends on `wayang-core` (for the plain-data specs) and rdkafka; rdkafka's
//! types stay inside, except in [`embedded`]'s fault injection.
//!
//! ```
//! use wayang_kafka::embedded::EmbeddedCluster;
//!
//! let emea = EmbeddedCluster::start("emea", 1)?;
//! emea.create_topic("greetings", 2)?;
//! emea.produce("greetings", [(Some("k"), "hallo"), (None, "hello")])?;
//! assert_eq!(emea.read_all("greetings")?.len(), 2);
//! # Ok::<(), wayang_kafka::KafkaError>(())
//! ```

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod admin;
mod client;
mod commit;
pub mod embedded;
mod error;
pub mod exactly_once;
mod offsets;
mod operator;
mod prepare;
mod reader;
pub mod registry;
pub mod remote;
mod scan;
mod settings;
mod writer;

pub use client::validate;
pub use commit::commit_offsets;
pub use error::{ErrorCode, KafkaError};
pub use offsets::OffsetRange;
pub use operator::{ReadCompletion, SinkWrite, SourceRead};
pub use prepare::{preparer, ResolvedSource};
pub use reader::{RangeReader, ReadOptions, ReadProgress};
pub use settings::{
    CrashPoint, KafkaSettings, CRASH_AT_KEY, FLUSH_TIMEOUT_KEY, READ_IDLE_TIMEOUT_KEY, TIMEOUT_KEY,
};
pub use wayang_core::kafka::KafkaCluster;
pub use writer::{DeliveredRange, TopicWriter, WriterOptions};

/// Loads a cluster's `.properties` file (with `${VAR}` substitution) and
/// validates its keys with librdkafka.
pub fn load_cluster(
    alias: &str,
    path: impl AsRef<std::path::Path>,
) -> Result<KafkaCluster, LoadError> {
    let cluster = KafkaCluster::from_properties_file(alias, path)?;
    validate(&cluster)?;
    Ok(cluster)
}

/// Why a cluster file could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file is unreadable or malformed, or a variable is unset.
    #[error(transparent)]
    File(#[from] wayang_core::Error),
    /// librdkafka rejects a property.
    #[error(transparent)]
    Property(#[from] KafkaError),
}
