//! Resolving a source's start and stop specifications into offset ranges,
//! before any record is read: Spark's `OffsetRange`, one unit of work each.
//!
//! Resolution asks the broker for each partition's watermarks (two batched
//! requests) and, depending on the specification, committed offsets or
//! offsets for a timestamp; every request has the deadline
//! `wayang.kafka.timeout.ms`. Then [`plan_range`] turns the answers into a
//! range, checking them: a partition the broker did not answer for, low
//! above high, or a start or stop outside the partition's retained records
//! is an error naming the partition, never a panic or a silent clamp.

use std::collections::BTreeMap;
use std::fmt;

use rdkafka::consumer::Consumer as _;
use rdkafka::{Offset, TopicPartitionList};
use wayang_core::kafka::{KafkaCluster, StartOffsets, StopOffsets};
use wayang_core::operators::KafkaTopicSource;

use crate::client::{self, within, Consumer};
use crate::error::{ErrorCode, KafkaError};
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
) -> Result<Consumer, KafkaError> {
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
    client::consumer(cluster, &config)
}

/// The partitions of `topic`; a missing topic, refused credentials or an
/// unreachable cluster is a clear error within the configured timeout.
pub(crate) fn partitions(
    consumer: &Consumer,
    cluster: &KafkaCluster,
    topic: &str,
    settings: &KafkaSettings,
) -> Result<Vec<i32>, KafkaError> {
    let metadata = within(consumer, cluster, settings, "a metadata request", |slice| {
        consumer.fetch_metadata(Some(topic), slice)
    })?;
    let found = metadata.topics().iter().find(|t| t.name() == topic);
    let missing = || KafkaError::MissingTopic {
        alias: cluster.alias().to_string(),
        topic: topic.to_string(),
    };
    let Some(found) = found else {
        return Err(missing());
    };
    match found.error().map(rdkafka::types::RDKafkaErrorCode::from) {
        None if !found.partitions().is_empty() => {
            Ok(found.partitions().iter().map(|p| p.id()).collect())
        }
        None | Some(rdkafka::types::RDKafkaErrorCode::UnknownTopicOrPartition) => Err(missing()),
        Some(code) => Err(KafkaError::client(
            cluster.alias(),
            format!("metadata of topic {topic:?}: the broker answered {code}"),
            Some(ErrorCode::from_rd(code)),
        )),
    }
}

/// A partition's retained offsets: `low` (the first) to `high` (one past
/// the last).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Watermarks {
    pub(crate) low: i64,
    pub(crate) high: i64,
}

/// The watermarks of every partition: two batched offset requests
/// (earliest and latest), not one round trip per partition. A partition
/// missing from an answer, an error for it, or low above high is an error
/// naming the partition.
pub(crate) fn watermarks(
    consumer: &Consumer,
    cluster: &KafkaCluster,
    topic: &str,
    partitions: &[i32],
    settings: &KafkaSettings,
) -> Result<BTreeMap<i32, Watermarks>, KafkaError> {
    let low = list_offsets(
        consumer,
        cluster,
        topic,
        partitions,
        Offset::Beginning,
        settings,
    )?;
    let high = list_offsets(consumer, cluster, topic, partitions, Offset::End, settings)?;
    check_watermarks(partitions, &low, &high).map_err(|(partition, reason)| {
        partition_error(
            cluster,
            topic,
            partition,
            "reading its watermarks",
            reason,
            None,
        )
    })
}

/// Pairs the answers of the two watermark requests per partition: a
/// partition missing from either, or a low watermark above the high one,
/// is an error naming the partition.
pub(crate) fn check_watermarks(
    partitions: &[i32],
    low: &BTreeMap<i32, Option<i64>>,
    high: &BTreeMap<i32, Option<i64>>,
) -> Result<BTreeMap<i32, Watermarks>, (i32, String)> {
    partitions
        .iter()
        .map(|&partition| {
            let (Some(&Some(low)), Some(&Some(high))) = (low.get(&partition), high.get(&partition))
            else {
                return Err((
                    partition,
                    "the broker did not answer for this partition".into(),
                ));
            };
            if low > high {
                return Err((
                    partition,
                    format!(
                        "the broker answered a low watermark {low} above the high watermark {high}"
                    ),
                ));
            }
            Ok((partition, Watermarks { low, high }))
        })
        .collect()
}

/// One batched ListOffsets request: the offset at `position` (a timestamp,
/// or earliest / latest) of every partition that answered.
fn list_offsets(
    consumer: &Consumer,
    cluster: &KafkaCluster,
    topic: &str,
    partitions: &[i32],
    position: Offset,
    settings: &KafkaSettings,
) -> Result<BTreeMap<i32, Option<i64>>, KafkaError> {
    let mut request = TopicPartitionList::new();
    for &partition in partitions {
        request
            .add_partition_offset(topic, partition, position)
            .map_err(|e| {
                partition_error(
                    cluster,
                    topic,
                    partition,
                    "listing offsets",
                    e.to_string(),
                    ErrorCode::of(&e),
                )
            })?;
    }
    let answer = within(
        consumer,
        cluster,
        settings,
        "a list-offsets request",
        |slice| consumer.offsets_for_times(request.clone(), slice),
    )?;
    let mut offsets = BTreeMap::new();
    for element in answer.elements() {
        if let Err(error) = element.error() {
            return Err(partition_error(
                cluster,
                topic,
                element.partition(),
                "listing offsets",
                client::redact(cluster, &error.to_string()),
                ErrorCode::of(&error),
            ));
        }
        let offset = match element.offset() {
            Offset::Offset(offset) => Some(offset),
            // "No record at or after that timestamp", for timestamp queries.
            Offset::End => None,
            other => {
                return Err(partition_error(
                    cluster,
                    topic,
                    element.partition(),
                    "listing offsets",
                    format!("the broker answered {other:?}"),
                    None,
                ))
            }
        };
        offsets.insert(element.partition(), offset);
    }
    Ok(offsets)
}

/// What resolution knows about one partition before it plans its range.
#[derive(Clone, Debug, Default)]
pub(crate) struct PartitionFacts {
    /// The offset a timestamp start or stop points at (`None`: no record
    /// that late).
    pub(crate) start_time: Option<Option<i64>>,
    pub(crate) stop_time: Option<Option<i64>>,
    /// The offset committed by the source's group, or stored by its
    /// exactly-once job.
    pub(crate) committed: Option<i64>,
}

/// Plans one partition's range from its watermarks, the specifications and
/// what was looked up for them.
pub(crate) fn plan_range(
    topic: &str,
    partition: i32,
    marks: Watermarks,
    start: &StartOffsets,
    stop: &StopOffsets,
    facts: &PartitionFacts,
) -> Result<OffsetRange, String> {
    let Watermarks { low, high } = marks;
    let retained = |offset: i64, what: &str| -> Result<i64, String> {
        if offset < low {
            Err(format!(
                "{what} {offset} is below the first retained offset {low}: records {offset}..{} \
                 were deleted; start from the earliest offset to accept the loss",
                low - 1
            ))
        } else if offset > high {
            Err(format!(
                "{what} {offset} is past the end of the partition ({high}); was the topic \
                 recreated?"
            ))
        } else {
            Ok(offset)
        }
    };
    let from = match start {
        StartOffsets::Earliest => low,
        StartOffsets::Latest => high,
        StartOffsets::Timestamp(_) => match facts.start_time {
            Some(Some(offset)) => offset.clamp(low, high),
            _ => high,
        },
        StartOffsets::Offsets(explicit) => match explicit.get(&(topic.to_string(), partition)) {
            Some(&offset) => retained(offset, "the start offset")?,
            None => low,
        },
        StartOffsets::Committed { fallback } => match facts.committed {
            Some(offset) => retained(offset, "the committed offset")?,
            None => {
                let without = PartitionFacts {
                    committed: None,
                    ..facts.clone()
                };
                plan_range(topic, partition, marks, fallback, stop, &without)?.from
            }
        },
    };
    let until = match stop {
        StopOffsets::HighWatermark => Some(high),
        StopOffsets::EndOfPartition => None,
        StopOffsets::Timestamp(_) => Some(match facts.stop_time {
            Some(Some(offset)) => offset.clamp(from, high),
            _ => high,
        }),
        StopOffsets::Offsets(explicit) => {
            Some(match explicit.get(&(topic.to_string(), partition)) {
                Some(&offset) if offset < from => {
                    return Err(format!(
                        "the stop offset {offset} is before the start offset {from}"
                    ))
                }
                Some(&offset) => retained(offset, "the stop offset")?,
                None => high,
            })
        }
    };
    Ok(OffsetRange {
        topic: topic.to_string(),
        partition,
        from,
        until,
    })
}

/// Where each partition of a source stands: what [`resolve`] needs besides
/// the broker's answers.
pub(crate) struct Resolution<'a> {
    /// The source.
    pub(crate) source: &'a KafkaTopicSource,
    /// Positions stored by the source's exactly-once job, by (topic,
    /// partition): they replace the start specification where present.
    pub(crate) resumed: Option<&'a BTreeMap<(String, i32), i64>>,
}

/// Resolves every partition of every topic of a source into an offset
/// range.
pub(crate) fn resolve(
    resolution: &Resolution<'_>,
    settings: &KafkaSettings,
) -> Result<Vec<OffsetRange>, KafkaError> {
    let source = resolution.source;
    let cluster = &source.cluster;
    let consumer = admin_consumer(cluster, source.group.as_deref())?;
    // A table is the whole changelog: it is always read from the start.
    let start = if source.table {
        StartOffsets::Earliest
    } else if resolution.resumed.is_some() {
        StartOffsets::Committed {
            fallback: Box::new(source.start.clone()),
        }
    } else {
        source.start.clone()
    };
    let mut ranges = Vec::new();
    for topic in &source.topics {
        let partitions = partitions(&consumer, cluster, topic, settings)?;
        let marks = watermarks(&consumer, cluster, topic, &partitions, settings)?;
        let mut facts: BTreeMap<i32, PartitionFacts> = partitions
            .iter()
            .map(|p| (*p, PartitionFacts::default()))
            .collect();
        if let Some(ms) = first_timestamp(&start) {
            let found = list_offsets(
                &consumer,
                cluster,
                topic,
                &partitions,
                Offset::Offset(ms),
                settings,
            )?;
            for (partition, offset) in found {
                facts.entry(partition).or_default().start_time = Some(offset);
            }
        }
        if let StopOffsets::Timestamp(ms) = source.stop {
            let found = list_offsets(
                &consumer,
                cluster,
                topic,
                &partitions,
                Offset::Offset(ms),
                settings,
            )?;
            for (partition, offset) in found {
                facts.entry(partition).or_default().stop_time = Some(offset);
            }
        }
        match (resolution.resumed, &start) {
            (Some(stored), _) => {
                for (partition, fact) in facts.iter_mut() {
                    fact.committed = stored.get(&(topic.clone(), *partition)).copied();
                }
            }
            (None, StartOffsets::Committed { .. }) => {
                let committed = committed_offsets(&consumer, source, topic, &partitions, settings)?;
                for (partition, offset) in committed {
                    facts.entry(partition).or_default().committed = Some(offset);
                }
            }
            _ => {}
        }
        for &partition in &partitions {
            let range = plan_range(
                topic,
                partition,
                marks[&partition],
                &start,
                &source.stop,
                &facts[&partition],
            )
            .map_err(|reason| {
                partition_error(
                    cluster,
                    topic,
                    partition,
                    "resolving its offsets",
                    reason,
                    None,
                )
            })?;
            ranges.push(range);
        }
    }
    tracing::debug!(cluster = %cluster.alias(), ranges = ?ranges.iter().map(ToString::to_string).collect::<Vec<_>>(), "resolved offset ranges");
    Ok(ranges)
}

/// The timestamp of a start specification, looking through a committed
/// start's fallback.
fn first_timestamp(start: &StartOffsets) -> Option<i64> {
    match start {
        StartOffsets::Timestamp(ms) => Some(*ms),
        StartOffsets::Committed { fallback } => first_timestamp(fallback),
        _ => None,
    }
}

/// The offsets the source's consumer group committed for `topic`.
fn committed_offsets(
    consumer: &Consumer,
    source: &KafkaTopicSource,
    topic: &str,
    partitions: &[i32],
    settings: &KafkaSettings,
) -> Result<BTreeMap<i32, i64>, KafkaError> {
    let cluster = &source.cluster;
    let group = source.group.as_deref().ok_or_else(|| {
        KafkaError::client(
            cluster.alias(),
            format!("topic {topic:?}: starting from committed offsets needs a consumer group (resume_group)"),
            None,
        )
    })?;
    let mut request = TopicPartitionList::new();
    for partition in partitions {
        request.add_partition(topic, *partition);
    }
    let committed = within(
        consumer,
        cluster,
        settings,
        "a committed-offsets request",
        |slice| consumer.committed_offsets(request.clone(), slice),
    )
    .map_err(|error| KafkaError::Commit {
        alias: cluster.alias().to_string(),
        group: group.to_string(),
        code: error.code(),
        reason: format!("cannot read the committed offsets of topic {topic:?}: {error}"),
    })?;
    Ok(committed
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(offset) => Some((e.partition(), offset)),
            _ => None,
        })
        .collect())
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
        .map(|(partition, marks)| OffsetRange {
            topic: topic.to_string(),
            partition,
            from: marks.low,
            until: Some(marks.high),
        })
        .collect();
    Ok(ranges)
}

/// An error about one partition.
pub(crate) fn partition_error(
    cluster: &KafkaCluster,
    topic: &str,
    partition: i32,
    action: &'static str,
    reason: String,
    code: Option<ErrorCode>,
) -> KafkaError {
    KafkaError::Partition {
        alias: cluster.alias().to_string(),
        topic: topic.to_string(),
        partition,
        action,
        reason,
        code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKS: Watermarks = Watermarks { low: 10, high: 50 };

    fn plan(
        start: StartOffsets,
        stop: StopOffsets,
        facts: PartitionFacts,
    ) -> Result<OffsetRange, String> {
        plan_range("t", 3, MARKS, &start, &stop, &facts)
    }

    fn explicit(offset: i64) -> BTreeMap<(String, i32), i64> {
        [(("t".to_string(), 3), offset)].into()
    }

    #[test]
    fn plain_specifications() {
        let none = PartitionFacts::default();
        let r = plan(
            StartOffsets::Earliest,
            StopOffsets::HighWatermark,
            none.clone(),
        )
        .unwrap();
        assert_eq!((r.from, r.until), (10, Some(50)));
        let r = plan(
            StartOffsets::Latest,
            StopOffsets::EndOfPartition,
            none.clone(),
        )
        .unwrap();
        assert_eq!((r.from, r.until), (50, None));
        let r = plan(
            StartOffsets::Offsets(explicit(20)),
            StopOffsets::Offsets(explicit(30)),
            none,
        )
        .unwrap();
        assert_eq!((r.from, r.until), (20, Some(30)));
    }

    #[test]
    fn offsets_outside_the_partition_are_errors_not_clamps() {
        let none = PartitionFacts::default();
        let error = plan(
            StartOffsets::Offsets(explicit(3)),
            StopOffsets::HighWatermark,
            none.clone(),
        )
        .unwrap_err();
        assert!(
            error.contains("below the first retained offset 10"),
            "{error}"
        );
        let error = plan(
            StartOffsets::Offsets(explicit(99)),
            StopOffsets::HighWatermark,
            none.clone(),
        )
        .unwrap_err();
        assert!(
            error.contains("past the end of the partition (50)"),
            "{error}"
        );
        let error = plan(
            StartOffsets::Earliest,
            StopOffsets::Offsets(explicit(60)),
            none.clone(),
        )
        .unwrap_err();
        assert!(
            error.contains("the stop offset 60 is past the end"),
            "{error}"
        );
        let error = plan(
            StartOffsets::Offsets(explicit(40)),
            StopOffsets::Offsets(explicit(30)),
            none,
        )
        .unwrap_err();
        assert!(error.contains("before the start offset 40"), "{error}");
    }

    #[test]
    fn committed_offsets_and_their_fallback() {
        let committed = StartOffsets::Committed {
            fallback: Box::new(StartOffsets::Latest),
        };
        let at = |c| PartitionFacts {
            committed: c,
            ..PartitionFacts::default()
        };
        assert_eq!(
            plan(committed.clone(), StopOffsets::HighWatermark, at(Some(42)))
                .unwrap()
                .from,
            42
        );
        assert_eq!(
            plan(committed.clone(), StopOffsets::HighWatermark, at(None))
                .unwrap()
                .from,
            50
        );
        let error = plan(committed, StopOffsets::HighWatermark, at(Some(2))).unwrap_err();
        assert!(error.contains("committed offset 2 is below"), "{error}");
    }

    #[test]
    fn broker_answers_that_make_no_sense_are_located_errors() {
        let answers = |pairs: &[(i32, i64)]| -> BTreeMap<i32, Option<i64>> {
            pairs.iter().map(|(p, o)| (*p, Some(*o))).collect()
        };
        let marks = check_watermarks(
            &[0, 1],
            &answers(&[(0, 0), (1, 5)]),
            &answers(&[(0, 9), (1, 5)]),
        )
        .unwrap();
        assert_eq!(marks[&1], Watermarks { low: 5, high: 5 });
        let (partition, reason) = check_watermarks(
            &[0, 1],
            &answers(&[(0, 0), (1, 7)]),
            &answers(&[(0, 9), (1, 5)]),
        )
        .unwrap_err();
        assert_eq!(partition, 1);
        assert!(
            reason.contains("low watermark 7 above the high watermark 5"),
            "{reason}"
        );
        let (partition, reason) = check_watermarks(
            &[0, 1, 2],
            &answers(&[(0, 0), (1, 0)]),
            &answers(&[(0, 9), (1, 5), (2, 3)]),
        )
        .unwrap_err();
        assert_eq!(partition, 2);
        assert!(reason.contains("did not answer"), "{reason}");
    }

    #[test]
    fn timestamps_clamp_to_what_exists() {
        let facts = PartitionFacts {
            start_time: Some(Some(25)),
            stop_time: Some(None),
            committed: None,
        };
        let r = plan(StartOffsets::Timestamp(1), StopOffsets::Timestamp(2), facts).unwrap();
        assert_eq!((r.from, r.until), (25, Some(50)));
    }
}
