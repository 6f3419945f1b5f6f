//! Resolving a source's start and stop specifications into offset ranges,
//! before any record is read: Spark's `OffsetRange`, one unit of work each.

use std::collections::BTreeMap;
use std::fmt;

use rdkafka::consumer::{BaseConsumer, Consumer, DefaultConsumerContext};
use rdkafka::error::KafkaError as RdError;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};
use wayang_core::kafka::{KafkaCluster, StartOffsets, StopOffsets};
use wayang_core::operators::KafkaTopicSource;

use crate::client;
use crate::error::KafkaError;
use crate::settings::KafkaSettings;

/// The records of one partition to read: offsets `from` (inclusive) to
/// `until` (exclusive), or to the end of the partition at read time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OffsetRange {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The first offset to read.
    pub from: i64,
    /// The offset to stop at; `None`: the end of the partition when read.
    pub until: Option<i64>,
}

impl OffsetRange {
    /// How many offsets the range spans (an upper bound on its records:
    /// transaction markers and compacted records take offsets too); `None`
    /// when it reads to the end of the partition.
    pub fn len(&self) -> Option<u64> {
        self.until.map(|until| (until - self.from).max(0) as u64)
    }

    /// Whether the range is known to hold nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
}

impl fmt::Display for OffsetRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.until {
            Some(until) => write!(
                f,
                "{}/{} [{}, {})",
                self.topic, self.partition, self.from, until
            ),
            None => write!(f, "{}/{} [{}, end)", self.topic, self.partition, self.from),
        }
    }
}

/// A consumer for metadata and offset requests (and group offsets).
pub(crate) fn admin_consumer(
    cluster: &KafkaCluster,
    group: Option<&str>,
) -> Result<BaseConsumer, KafkaError> {
    let mut config = client::config(cluster, &[]);
    client::force(
        &mut config,
        &[
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
        ],
    );
    if let Some(group) = group {
        config.set("group.id", group);
    }
    client::create(cluster, &config, DefaultConsumerContext)
}

/// The partitions of `topic`; a missing topic or an unreachable cluster is a
/// clear error within the configured timeout.
pub(crate) fn partitions(
    consumer: &BaseConsumer,
    cluster: &KafkaCluster,
    topic: &str,
    settings: &KafkaSettings,
) -> Result<Vec<i32>, KafkaError> {
    let metadata = consumer
        .fetch_metadata(Some(topic), settings.timeout)
        .map_err(|error| unreachable(cluster, settings, &error))?;
    let found = metadata.topics().iter().find(|t| t.name() == topic);
    match found {
        Some(t) if t.error().is_none() && !t.partitions().is_empty() => {
            Ok(t.partitions().iter().map(|p| p.id()).collect())
        }
        Some(t)
            if t.error().is_some_and(|e| {
                RDKafkaErrorCode::from(e) != RDKafkaErrorCode::UnknownTopicOrPartition
            }) =>
        {
            Err(KafkaError::Client {
                alias: cluster.alias().to_string(),
                reason: format!(
                    "metadata of topic {topic:?}: {:?}",
                    t.error().map(RDKafkaErrorCode::from)
                ),
            })
        }
        _ => Err(KafkaError::MissingTopic {
            alias: cluster.alias().to_string(),
            topic: topic.to_string(),
        }),
    }
}

pub(crate) fn unreachable(
    cluster: &KafkaCluster,
    settings: &KafkaSettings,
    error: &RdError,
) -> KafkaError {
    KafkaError::Unreachable {
        alias: cluster.alias().to_string(),
        servers: cluster
            .get("bootstrap.servers")
            .unwrap_or("no bootstrap.servers set")
            .to_string(),
        timeout_ms: settings.timeout.as_millis() as u64,
        reason: error.to_string(),
    }
}

/// Resolves every partition of every topic of `source` into an offset range.
pub fn resolve(
    source: &KafkaTopicSource,
    settings: &KafkaSettings,
) -> Result<Vec<OffsetRange>, KafkaError> {
    let cluster = &source.cluster;
    let consumer = admin_consumer(cluster, source.group.as_deref())?;
    let mut ranges = Vec::new();
    for topic in &source.topics {
        let partitions = partitions(&consumer, cluster, topic, settings)?;
        let watermarks = watermarks(&consumer, cluster, topic, &partitions, settings)?;
        let starts = start_offsets(&consumer, source, topic, &watermarks, settings)?;
        let stops = stop_offsets(&consumer, source, topic, &watermarks, settings)?;
        for &partition in &partitions {
            let (low, high) = watermarks[&partition];
            let from = starts[&partition].clamp(low, high);
            let until = stops[&partition].map(|until| until.clamp(from, high));
            ranges.push(OffsetRange {
                topic: topic.clone(),
                partition,
                from,
                until,
            });
        }
    }
    tracing::debug!(cluster = %cluster.alias(), ranges = ?ranges.iter().map(ToString::to_string).collect::<Vec<_>>(), "resolved offset ranges");
    Ok(ranges)
}

/// The low and high watermark of every partition: two batched offset
/// requests (earliest and latest), not one round trip per partition.
pub(crate) fn watermarks(
    consumer: &BaseConsumer,
    cluster: &KafkaCluster,
    topic: &str,
    partitions: &[i32],
    settings: &KafkaSettings,
) -> Result<BTreeMap<i32, (i64, i64)>, KafkaError> {
    // In a ListOffsets request, timestamp -2 means earliest and -1 latest.
    let query = |position: Offset| -> Result<BTreeMap<i32, i64>, KafkaError> {
        let mut request = TopicPartitionList::new();
        for &partition in partitions {
            request
                .add_partition_offset(topic, partition, position)
                .map_err(|e| {
                    partition_error(cluster, topic, partition, "reading its watermarks", &e)
                })?;
        }
        let answer = consumer
            .offsets_for_times(request, settings.timeout)
            .map_err(|e| unreachable(cluster, settings, &e))?;
        answer
            .elements()
            .iter()
            .map(|element| match element.offset() {
                Offset::Offset(offset) => Ok((element.partition(), offset)),
                other => Err(KafkaError::Partition {
                    alias: cluster.alias().to_string(),
                    topic: topic.to_string(),
                    partition: element.partition(),
                    action: "reading its watermarks",
                    reason: format!("the broker answered {other:?}"),
                }),
            })
            .collect()
    };
    let (low, high) = (query(Offset::Beginning)?, query(Offset::End)?);
    partitions
        .iter()
        .map(|partition| {
            let marks = (low.get(partition).copied(), high.get(partition).copied());
            match marks {
                (Some(low), Some(high)) => Ok((*partition, (low, high))),
                _ => Err(KafkaError::Partition {
                    alias: cluster.alias().to_string(),
                    topic: topic.to_string(),
                    partition: *partition,
                    action: "reading its watermarks",
                    reason: "the broker did not answer for this partition".into(),
                }),
            }
        })
        .collect()
}

/// The whole of `topic` up to its high watermark now (for inspection).
pub(crate) fn resolve_all(
    cluster: &KafkaCluster,
    topic: &str,
    settings: &KafkaSettings,
) -> Result<Vec<OffsetRange>, KafkaError> {
    let consumer = admin_consumer(cluster, None)?;
    let partitions = partitions(&consumer, cluster, topic, settings)?;
    let ranges = watermarks(&consumer, cluster, topic, &partitions, settings)?
        .into_iter()
        .map(|(partition, (low, high))| OffsetRange {
            topic: topic.to_string(),
            partition,
            from: low,
            until: Some(high),
        })
        .collect();
    Ok(ranges)
}

fn start_offsets(
    consumer: &BaseConsumer,
    source: &KafkaTopicSource,
    topic: &str,
    watermarks: &BTreeMap<i32, (i64, i64)>,
    settings: &KafkaSettings,
) -> Result<BTreeMap<i32, i64>, KafkaError> {
    let cluster = &source.cluster;
    let by_spec = |spec: &StartOffsets| -> Result<BTreeMap<i32, i64>, KafkaError> {
        Ok(match spec {
            // A committed start's fallback cannot itself be "committed": earliest.
            StartOffsets::Earliest | StartOffsets::Committed { .. } => {
                watermarks.iter().map(|(p, (low, _))| (*p, *low)).collect()
            }
            StartOffsets::Latest => watermarks
                .iter()
                .map(|(p, (_, high))| (*p, *high))
                .collect(),
            StartOffsets::Timestamp(ms) => {
                times(consumer, cluster, topic, watermarks, *ms, settings)?
            }
            StartOffsets::Offsets(explicit) => watermarks
                .iter()
                .map(|(p, (low, _))| {
                    (
                        *p,
                        explicit
                            .get(&(topic.to_string(), *p))
                            .copied()
                            .unwrap_or(*low),
                    )
                })
                .collect(),
        })
    };
    match &source.start {
        StartOffsets::Committed { fallback } => {
            let group = source.group.as_deref().ok_or_else(|| KafkaError::Client {
                alias: cluster.alias().to_string(),
                reason: format!("topic {topic:?}: starting from committed offsets needs a consumer group (group_id)"),
            })?;
            let mut fallback_offsets = by_spec(fallback)?;
            let mut request = TopicPartitionList::new();
            for partition in watermarks.keys() {
                request.add_partition(topic, *partition);
            }
            let committed = consumer
                .committed_offsets(request, settings.timeout)
                .map_err(|e| KafkaError::Commit {
                    alias: cluster.alias().to_string(),
                    group: group.to_string(),
                    reason: format!("cannot read committed offsets of topic {topic:?}: {e}"),
                })?;
            for element in committed.elements() {
                if let Offset::Offset(offset) = element.offset() {
                    fallback_offsets.insert(element.partition(), offset);
                }
            }
            Ok(fallback_offsets)
        }
        other => by_spec(other),
    }
}

fn stop_offsets(
    consumer: &BaseConsumer,
    source: &KafkaTopicSource,
    topic: &str,
    watermarks: &BTreeMap<i32, (i64, i64)>,
    settings: &KafkaSettings,
) -> Result<BTreeMap<i32, Option<i64>>, KafkaError> {
    Ok(match &source.stop {
        StopOffsets::HighWatermark => watermarks
            .iter()
            .map(|(p, (_, high))| (*p, Some(*high)))
            .collect(),
        StopOffsets::EndOfPartition => watermarks.keys().map(|p| (*p, None)).collect(),
        StopOffsets::Timestamp(ms) => {
            times(consumer, &source.cluster, topic, watermarks, *ms, settings)?
                .into_iter()
                .map(|(p, offset)| (p, Some(offset)))
                .collect()
        }
        StopOffsets::Offsets(explicit) => watermarks
            .iter()
            .map(|(p, (_, high))| {
                (
                    *p,
                    Some(
                        explicit
                            .get(&(topic.to_string(), *p))
                            .copied()
                            .unwrap_or(*high),
                    ),
                )
            })
            .collect(),
    })
}

/// The first offset at or after `ms` per partition (the high watermark where
/// no record is that late).
fn times(
    consumer: &BaseConsumer,
    cluster: &KafkaCluster,
    topic: &str,
    watermarks: &BTreeMap<i32, (i64, i64)>,
    ms: i64,
    settings: &KafkaSettings,
) -> Result<BTreeMap<i32, i64>, KafkaError> {
    let mut request = TopicPartitionList::new();
    for partition in watermarks.keys() {
        request
            .add_partition_offset(topic, *partition, Offset::Offset(ms))
            .map_err(|e| {
                partition_error(cluster, topic, *partition, "looking up a timestamp", &e)
            })?;
    }
    let found = consumer
        .offsets_for_times(request, settings.timeout)
        .map_err(|e| unreachable(cluster, settings, &e))?;
    let mut offsets = BTreeMap::new();
    for element in found.elements() {
        let high = watermarks
            .get(&element.partition())
            .map_or(0, |(_, high)| *high);
        let offset = match element.offset() {
            Offset::Offset(offset) => offset,
            _ => high,
        };
        offsets.insert(element.partition(), offset);
    }
    Ok(offsets)
}

pub(crate) fn partition_error(
    cluster: &KafkaCluster,
    topic: &str,
    partition: i32,
    action: &'static str,
    error: &RdError,
) -> KafkaError {
    KafkaError::Partition {
        alias: cluster.alias().to_string(),
        topic: topic.to_string(),
        partition,
        action,
        reason: error.to_string(),
    }
}
