//! wayang-kafka: Kafka I/O for wayang-rs, the only crate that talks to brokers.
//!
//! Platforms call it to execute the Kafka operators of `wayang-core`:
//!
//! - [`validate`] checks a [`KafkaCluster`]'s properties with librdkafka
//!   itself, naming the file and line of a bad key;
//! - [`resolve`] turns a source's start and stop specification into
//!   [`OffsetRange`]s before anything is read (exact upper bounds on the
//!   record counts, and Spark's unit of parallel work);
//! - [`RangeReader`] reads ranges with assigned consumers, stopping on the
//!   consumer position, and applies the bad-record policy;
//! - [`TopicWriter`] produces with every delivery report checked, optionally
//!   in a transaction;
//! - [`commit_offsets`] commits a group's offsets after the job succeeded;
//! - [`admin::create_topic`] creates topics on real brokers;
//! - [`embedded`] starts in-process Kafka-protocol clusters for tests and
//!   demos.
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
mod offsets;
mod operator;
mod reader;
mod settings;
mod writer;

pub use client::validate;
pub use commit::commit_offsets;
pub use error::KafkaError;
pub use offsets::{resolve, OffsetRange};
pub use operator::{SinkWrite, SourceRead};
pub use reader::{RangeReader, ReadOptions, ReadProgress};
pub use settings::{KafkaSettings, FLUSH_TIMEOUT_KEY, READ_IDLE_TIMEOUT_KEY, TIMEOUT_KEY};
pub use wayang_core::kafka::KafkaCluster;
pub use writer::{FinishedWrite, TopicWriter};

/// The records a Kafka source will read, from its offset ranges resolved
/// now (for the optimizer); `None` for other operators. Ranges read to the
/// end of the partition have no known length and widen the estimate.
pub fn estimate_source(
    node: &wayang_core::plan::OperatorNode,
    config: &wayang_core::Configuration,
) -> wayang_core::Result<Option<wayang_core::Estimate>> {
    let wayang_core::Operator::KafkaTopicSource(source) = &node.operator else {
        return Ok(None);
    };
    let settings = KafkaSettings::from_config(config)?;
    let ranges = resolve(source, &settings).map_err(|e| e.in_operator(node.label()))?;
    let known = ranges.iter().filter_map(OffsetRange::len).sum::<u64>() as f64;
    Ok(Some(if ranges.iter().any(|r| r.until.is_none()) {
        wayang_core::Estimate::new(known, known * 2.0 + 10_000.0, 0.5)
    } else {
        // An exact upper bound; transaction markers and compacted records
        // make the true count slightly lower.
        wayang_core::Estimate::new(known, known, 0.95)
    }))
}

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
