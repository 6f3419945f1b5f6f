//! Committing a consumer group's offsets once a job has succeeded.

use std::collections::BTreeMap;

use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use wayang_core::kafka::KafkaCluster;

use crate::error::KafkaError;
use crate::offsets::admin_consumer;

/// Commits `next` offsets (the next record to read: last processed + 1) for
/// `group`; the positions come from [`crate::ReadProgress`], which only
/// advances over a contiguous prefix of each partition.
pub fn commit_offsets(
    cluster: &KafkaCluster,
    group: &str,
    next: &BTreeMap<(String, i32), i64>,
) -> Result<(), KafkaError> {
    if next.is_empty() {
        return Ok(());
    }
    let error = |reason: String| KafkaError::Commit {
        alias: cluster.alias().to_string(),
        group: group.to_string(),
        reason,
    };
    let consumer = admin_consumer(cluster, Some(group))?;
    let mut offsets = TopicPartitionList::new();
    for ((topic, partition), offset) in next {
        offsets
            .add_partition_offset(topic, *partition, Offset::Offset(*offset))
            .map_err(|e| error(e.to_string()))?;
    }
    consumer
        .commit(&offsets, CommitMode::Sync)
        .map_err(|e| error(e.to_string()))?;
    tracing::debug!(cluster = %cluster.alias(), group, partitions = next.len(), "committed offsets");
    Ok(())
}
