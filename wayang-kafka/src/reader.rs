//! Reading offset ranges: a [`RawRecords`] over assigned consumers.
//!
//! Topics are read one after another, each with its own consumer: a
//! partition-EOF event carries no topic name, so one consumer per topic keeps
//! it unambiguous. A partition is done when the consumer's position reaches
//! its stop offset (a record at or past it arrives) or the partition's end is
//! reached, never by waiting for the record at `until - 1`: transaction
//! markers and compacted gaps occupy offsets but never arrive.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rdkafka::consumer::Consumer as _;
use rdkafka::error::KafkaError as RdError;
use rdkafka::message::{Headers, Message};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};
use wayang_core::job::OperatorProbe;
use wayang_core::kafka::{BadRecordPolicy, KafkaCluster, OutgoingRecord, RecordView};
use wayang_core::operators::{KafkaTopicSource, RawRecords};
use wayang_core::Error;

use crate::client::{self, redact, Consumer};
use crate::error::{ErrorCode, KafkaError};
use crate::offsets::{partition_error, watermarks, OffsetRange};
use crate::settings::KafkaSettings;
use crate::writer::{TopicWriter, WriterOptions};

const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How far a job read each partition: what a consumer group commits once
/// the job has succeeded. A partition may be read as several ranges (in
/// parallel); only the contiguous prefix of completed ranges counts, so a
/// range finished early never lets a commit skip an unfinished one before it.
#[derive(Debug, Default)]
pub struct ReadProgress {
    segments: Mutex<BTreeMap<(String, i32), BTreeMap<i64, Segment>>>,
}

#[derive(Clone, Copy, Debug)]
struct Segment {
    until: Option<i64>,
    reached: i64,
    complete: bool,
}

impl ReadProgress {
    /// Records that the range starting at `from` of a partition has been read
    /// up to `reached` (the next offset), and whether it is complete.
    pub fn record(
        &self,
        topic: &str,
        partition: i32,
        from: i64,
        until: Option<i64>,
        reached: i64,
        complete: bool,
    ) {
        let mut segments = self.segments.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = segments
            .entry((topic.to_string(), partition))
            .or_default()
            .entry(from)
            .or_insert(Segment {
                until,
                reached: from,
                complete: false,
            });
        entry.reached = entry.reached.max(reached);
        entry.complete |= complete;
    }

    /// The next offset to commit per (topic, partition): the end of the
    /// contiguous run of ranges read from the first one.
    pub fn snapshot(&self) -> BTreeMap<(String, i32), i64> {
        let segments = self.segments.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = BTreeMap::new();
        for (key, ranges) in segments.iter() {
            let mut position: Option<i64> = None;
            for (&from, segment) in ranges {
                match position {
                    Some(p) if from > p => break,
                    _ => {}
                }
                position = Some(position.map_or(segment.reached, |p| p.max(segment.reached)));
                let finished =
                    segment.complete || segment.until.is_some_and(|u| segment.reached >= u);
                if !finished {
                    break;
                }
            }
            if let Some(position) = position {
                next.insert(key.clone(), position);
            }
        }
        next
    }
}

/// What a reader needs besides its ranges.
pub struct ReadOptions {
    /// The job's Kafka settings.
    pub settings: KafkaSettings,
    /// What to do with records that do not decode.
    pub policy: BadRecordPolicy,
    /// The decoder's format, for messages.
    pub format: &'static str,
    /// Whether decoders need the headers.
    pub needs_headers: bool,
    /// The reading operator's probe: failures, counters.
    pub probe: Arc<OperatorProbe>,
    /// Where the positions reached are recorded.
    pub progress: Arc<ReadProgress>,
}

impl ReadOptions {
    /// The options of `source`'s reads: its bad-record policy and its
    /// decoder's format and needs.
    pub fn for_source(
        source: &KafkaTopicSource,
        settings: KafkaSettings,
        probe: Arc<OperatorProbe>,
        progress: Arc<ReadProgress>,
    ) -> Self {
        ReadOptions {
            settings,
            policy: source.on_bad_record.clone(),
            format: source.decoder.format(),
            needs_headers: source.decoder.needs_headers(),
            probe,
            progress,
        }
    }
}

/// Reads offset ranges of one cluster, offering each record to a decoder.
pub struct RangeReader {
    cluster: KafkaCluster,
    options: ReadOptions,
    topics: VecDeque<Vec<OffsetRange>>,
    current: Option<TopicRead>,
    /// The first topic, assigned when the reader was made.
    opened: Option<Result<TopicRead, KafkaError>>,
    dead_letters: Option<TopicWriter>,
    finished: bool,
}

struct TopicRead {
    consumer: Consumer,
    topic: String,
    partitions: Vec<PartitionRead>,
    open: usize,
    last_progress: Instant,
    last_error: Option<(String, Option<ErrorCode>)>,
}

struct PartitionRead {
    partition: i32,
    from: i64,
    until: Option<i64>,
    next: i64,
    done: bool,
}

impl RangeReader {
    /// A reader of `ranges` (any order; grouped by topic here).
    pub fn new(cluster: KafkaCluster, ranges: Vec<OffsetRange>, options: ReadOptions) -> Self {
        let mut by_topic: BTreeMap<String, Vec<OffsetRange>> = BTreeMap::new();
        for range in ranges {
            by_topic.entry(range.topic.clone()).or_default().push(range);
        }
        let mut reader = RangeReader {
            cluster,
            options,
            topics: by_topic.into_values().collect(),
            current: None,
            opened: None,
            dead_letters: None,
            finished: false,
        };
        // The first topic's consumer is assigned now, not at the first pull:
        // librdkafka connects and fetches in its own threads from the
        // assignment on, so the sources of a stage (a union of three
        // clusters' topics, pulled one after the other) fetch concurrently.
        if let Some(ranges) = reader.topics.pop_front() {
            reader.opened = Some(reader.open(ranges));
        }
        reader
    }

    fn open(&self, ranges: Vec<OffsetRange>) -> Result<TopicRead, KafkaError> {
        // librdkafka refuses to assign partitions without a group id, even
        // though this consumer never joins the group nor commits to it.
        let mut config = client::config(
            &self.cluster,
            &[
                // Reads are bounded: a fetch waits only where a partition
                // has nothing more (its end, or a transaction's marker), and
                // there the broker's wait is pure latency. 10 ms, not
                // librdkafka's 500 ms nor our earlier 100 ms: a fetch per
                // 10 ms of an idle partition costs the broker nothing much.
                ("fetch.wait.max.ms", "10"),
                ("group.id", "wayang-rs-reader"),
            ],
        );
        client::force(
            &mut config,
            &[
                ("enable.partition.eof", "true"),
                ("enable.auto.commit", "false"),
                ("enable.auto.offset.store", "false"),
                ("auto.offset.reset", "error"),
            ],
        );
        let consumer = client::consumer(&self.cluster, &config)?;
        let topic = ranges.first().map(|r| r.topic.clone()).unwrap_or_default();
        let mut assignment = TopicPartitionList::new();
        let mut partitions = Vec::with_capacity(ranges.len());
        for range in ranges {
            let done = range.is_empty();
            if !done {
                assignment
                    .add_partition_offset(&range.topic, range.partition, Offset::Offset(range.from))
                    .map_err(|e| {
                        partition_error(
                            &self.cluster,
                            &range.topic,
                            range.partition,
                            "assigning",
                            e.to_string(),
                            ErrorCode::of(&e),
                        )
                    })?;
            } else {
                let progress = &self.options.progress;
                progress.record(
                    &range.topic,
                    range.partition,
                    range.from,
                    range.until,
                    range.from,
                    true,
                );
            }
            partitions.push(PartitionRead {
                partition: range.partition,
                from: range.from,
                until: range.until,
                next: range.from,
                done,
            });
        }
        consumer.assign(&assignment).map_err(|e| {
            KafkaError::client(
                self.cluster.alias(),
                format!("topic {topic:?}: cannot assign partitions: {e}"),
                ErrorCode::of(&e),
            )
        })?;
        let open = partitions.iter().filter(|p| !p.done).count();
        Ok(TopicRead {
            consumer,
            topic,
            partitions,
            open,
            last_progress: Instant::now(),
            last_error: None,
        })
    }

    fn fail(&mut self, error: KafkaError) -> bool {
        self.finished = true;
        self.options.probe.fail(Error::External {
            operator: self.options.probe.label().to_string(),
            cause: Box::new(error),
        });
        false
    }

    fn finish(&mut self) -> bool {
        self.finished = true;
        if let Some(writer) = self.dead_letters.take() {
            if let Err(error) = writer.flush() {
                return self.fail(error);
            }
        }
        false
    }
}

impl TopicRead {
    fn index_of(&self, partition: i32) -> Option<usize> {
        self.partitions
            .iter()
            .position(|p| p.partition == partition)
    }

    fn complete(&mut self, index: usize, progress: &ReadProgress) {
        let state = &mut self.partitions[index];
        if state.done {
            return;
        }
        state.done = true;
        self.open -= 1;
        // Everything below the stop offset is handled, markers included.
        let next = state.until.unwrap_or(state.next).max(state.next);
        progress.record(
            &self.topic,
            state.partition,
            state.from,
            state.until,
            next,
            true,
        );
        let mut paused = TopicPartitionList::new();
        paused.add_partition(&self.topic, state.partition);
        if let Err(error) = self.consumer.pause(&paused) {
            tracing::debug!(%error, topic = %self.topic, partition = state.partition, "pausing a finished partition");
        }
    }

    /// At a partition's end: if the partition number is ours, it is done
    /// (EOF means the consumer caught up with the partition's end, which is
    /// at or past any stop offset resolved earlier).
    fn at_end(&mut self, partition: i32, progress: &ReadProgress) {
        if let Some(index) = self.index_of(partition) {
            let state = &self.partitions[index];
            // Normal where a transaction's commit marker (or an aborted
            // transaction's records, skipped by read_committed) fills the
            // last offsets: no warning.
            if let Some(until) = state.until.filter(|until| state.next < *until) {
                tracing::debug!(topic = %self.topic, partition, position = state.next, until, "partition ended before its stop offset (control records)");
            }
            self.complete(index, progress);
        }
    }

    /// The partitions still being read, as `partition 2 at offset 17 of
    /// 40`, for messages.
    fn waiting(&self) -> String {
        let open: Vec<String> = self
            .partitions
            .iter()
            .filter(|p| !p.done)
            .map(|p| match p.until {
                Some(until) => format!("partition {} at offset {} of {until}", p.partition, p.next),
                None => format!(
                    "partition {} at offset {} (reading to its end)",
                    p.partition, p.next
                ),
            })
            .collect();
        open.join(", ")
    }

    fn stalled(&self, cluster: &KafkaCluster, idle: Duration) -> KafkaError {
        KafkaError::Stalled {
            alias: cluster.alias().to_string(),
            topic: self.topic.clone(),
            waiting: self.waiting(),
            idle_ms: idle.as_millis() as u64,
            last_error: self
                .last_error
                .as_ref()
                .map(|(e, _)| format!("; last error: {e}"))
                .unwrap_or_default(),
            code: self.last_error.as_ref().and_then(|(_, code)| *code),
        }
    }

    /// The error for a poll error after which reading cannot go on, naming
    /// the partition at fault where one is: librdkafka does not say which
    /// partition an error is about, so an offset that fell out of range is
    /// found by comparing each open partition's position with its
    /// watermarks now.
    fn fatal(
        &self,
        cluster: &KafkaCluster,
        settings: &KafkaSettings,
        error: &RdError,
    ) -> KafkaError {
        let code = ErrorCode::of(error);
        if let Some((auth_code, reason)) = self.consumer.context().auth_failure() {
            return client::authentication(cluster, auth_code, &reason);
        }
        if code.is_some_and(ErrorCode::is_authentication) {
            return client::authentication(cluster, code, &error.to_string());
        }
        // With auto.offset.reset=error, librdkafka answers an offset out of
        // range with its own AutoOffsetReset code.
        if code == Some(ErrorCode::OFFSET_OUT_OF_RANGE)
            || code == Some(ErrorCode::AUTO_OFFSET_RESET)
        {
            let open: Vec<i32> = self
                .partitions
                .iter()
                .filter(|p| !p.done)
                .map(|p| p.partition)
                .collect();
            let admin = crate::offsets::admin_consumer(cluster, None);
            let marks =
                admin.and_then(|admin| watermarks(&admin, cluster, &self.topic, &open, settings));
            if let Ok(marks) = marks {
                let culprit = self.partitions.iter().filter(|p| !p.done).find_map(|p| {
                    let m = marks.get(&p.partition)?;
                    (p.next < m.low || p.next > m.high).then_some((p.partition, p.next, *m))
                });
                if let Some((partition, next, m)) = culprit {
                    return partition_error(
                        cluster,
                        &self.topic,
                        partition,
                        "reading",
                        format!(
                            "offset {next} is outside the partition's retained offsets {}..{}                              (deleted by retention, or the topic was recreated)",
                            m.low, m.high
                        ),
                        Some(ErrorCode::OFFSET_OUT_OF_RANGE),
                    );
                }
            }
        }
        KafkaError::Read {
            alias: cluster.alias().to_string(),
            topic: self.topic.clone(),
            reason: format!(
                "{} (while reading {})",
                redact(cluster, &error.to_string()),
                self.waiting()
            ),
            code,
        }
    }
}

/// Poll errors after which reading cannot go on.
fn is_fatal(error: &RdError) -> bool {
    match error {
        RdError::MessageConsumptionFatal(_) => true,
        RdError::MessageConsumption(code) => matches!(
            code,
            RDKafkaErrorCode::OffsetOutOfRange
                | RDKafkaErrorCode::AutoOffsetReset
                | RDKafkaErrorCode::UnknownTopicOrPartition
                | RDKafkaErrorCode::TopicAuthorizationFailed
                | RDKafkaErrorCode::ClusterAuthorizationFailed
                | RDKafkaErrorCode::SaslAuthenticationFailed
                | RDKafkaErrorCode::Authentication
        ),
        _ => false,
    }
}

impl RawRecords for RangeReader {
    fn next_record(
        &mut self,
        decode: &mut dyn FnMut(&RecordView<'_>) -> Result<(), String>,
    ) -> bool {
        loop {
            if self.finished {
                return false;
            }
            if self.options.probe.job().has_failed() {
                self.finished = true;
                return false;
            }
            let Some(read) = self.current.as_mut() else {
                if let Some(opened) = self.opened.take() {
                    match opened {
                        Ok(mut read) => {
                            // Idle time counts from the first pull, not from
                            // the assignment.
                            read.last_progress = Instant::now();
                            self.current = Some(read);
                        }
                        Err(error) => return self.fail(error),
                    }
                    continue;
                }
                match self.topics.pop_front() {
                    Some(ranges) => match self.open(ranges) {
                        Ok(read) => self.current = Some(read),
                        Err(error) => return self.fail(error),
                    },
                    None => return self.finish(),
                }
                continue;
            };
            if read.open == 0 {
                self.current = None;
                continue;
            }
            let message = match read.consumer.poll(POLL_INTERVAL) {
                None => {
                    let idle = read.last_progress.elapsed();
                    if idle > self.options.settings.read_idle_timeout {
                        let error = read.stalled(&self.cluster, idle);
                        return self.fail(error);
                    }
                    continue;
                }
                Some(Err(RdError::PartitionEOF(partition))) => {
                    read.last_progress = Instant::now();
                    read.at_end(partition, &self.options.progress);
                    continue;
                }
                Some(Err(error)) => {
                    if is_fatal(&error) {
                        let error = read.fatal(&self.cluster, &self.options.settings, &error);
                        return self.fail(error);
                    }
                    tracing::debug!(%error, topic = %read.topic, "transient consumer error");
                    read.last_error = Some((
                        redact(&self.cluster, &error.to_string()),
                        ErrorCode::of(&error),
                    ));
                    if let Some((code, reason)) = read.consumer.context().auth_failure() {
                        let error = client::authentication(&self.cluster, code, &reason);
                        return self.fail(error);
                    }
                    continue;
                }
                Some(Ok(message)) => message,
            };
            read.last_progress = Instant::now();
            let Some(index) = read.index_of(message.partition()) else {
                continue;
            };
            let offset = message.offset();
            let state = &mut read.partitions[index];
            if state.done {
                continue;
            }
            if state.until.is_some_and(|until| offset >= until) {
                read.complete(index, &self.options.progress);
                continue;
            }
            state.next = offset + 1;
            let reached_stop = state.until.is_some_and(|until| state.next >= until);
            let headers: Vec<(String, Option<Vec<u8>>)> = if self.options.needs_headers {
                message
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec)))
                            .collect()
                    })
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            let view = RecordView {
                topic: message.topic(),
                partition: message.partition(),
                offset,
                timestamp: message.timestamp().to_millis(),
                key: message.key(),
                payload: message.payload(),
                headers: &headers,
            };
            let outcome = decode(&view);
            if let Err(reason) = outcome {
                match self.options.policy.clone() {
                    BadRecordPolicy::Fail => {
                        let error = KafkaError::Decode {
                            alias: self.cluster.alias().to_string(),
                            topic: view.topic.to_string(),
                            partition: view.partition,
                            offset,
                            format: self.options.format,
                            reason,
                        };
                        return self.fail(error);
                    }
                    BadRecordPolicy::Skip => self.options.probe.add_counter("skipped", 1),
                    BadRecordPolicy::DeadLetter(topic) => {
                        let original: Vec<(String, Vec<u8>)> = message
                            .headers()
                            .map(|h| {
                                h.iter()
                                    .map(|h| {
                                        (h.key.to_string(), h.value.unwrap_or_default().to_vec())
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        let (cluster, settings) = (&self.cluster, &self.options.settings);
                        let sent = dead_letter(
                            &mut self.dead_letters,
                            cluster,
                            settings,
                            &topic,
                            &view,
                            original,
                            &reason,
                        );
                        if let Err(error) = sent {
                            return self.fail(error);
                        }
                        self.options.probe.add_counter("dead_lettered", 1);
                    }
                }
            }
            drop(message);
            if reached_stop {
                if let Some(read) = self.current.as_mut() {
                    read.complete(index, &self.options.progress);
                }
            }
            return true;
        }
    }
}

/// Writes a record that did not decode to the dead-letter topic, with the
/// reason and its origin in headers (opening the writer on first use).
fn dead_letter(
    writer: &mut Option<TopicWriter>,
    cluster: &KafkaCluster,
    settings: &KafkaSettings,
    topic: &str,
    view: &RecordView<'_>,
    mut headers: Vec<(String, Vec<u8>)>,
    reason: &str,
) -> Result<(), KafkaError> {
    let writer = match writer {
        Some(writer) => writer,
        None => writer.insert(TopicWriter::open(
            cluster,
            topic,
            &WriterOptions::default(),
            settings,
        )?),
    };
    headers.push(("wayang.error".into(), reason.as_bytes().to_vec()));
    headers.push(("wayang.source.topic".into(), view.topic.as_bytes().to_vec()));
    headers.push((
        "wayang.source.partition".into(),
        view.partition.to_string().into_bytes(),
    ));
    headers.push((
        "wayang.source.offset".into(),
        view.offset.to_string().into_bytes(),
    ));
    let record = OutgoingRecord {
        key: view.key,
        payload: view.payload.unwrap_or_default(),
        partition: None,
        timestamp: view.timestamp,
        headers: &headers,
    };
    writer.send(record).map_err(|reason| KafkaError::Produce {
        alias: cluster.alias().to_string(),
        topic: topic.to_string(),
        reason,
        code: None,
    })
}

impl Drop for RangeReader {
    fn drop(&mut self) {
        // A reader dropped early records how far it got; the job decides
        // whether that is committed.
        if let Some(read) = &self.current {
            for state in &read.partitions {
                let progress = &self.options.progress;
                progress.record(
                    &read.topic,
                    state.partition,
                    state.from,
                    state.until,
                    state.next,
                    state.done,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_only_the_contiguous_prefix_of_finished_ranges() {
        let progress = ReadProgress::default();
        // Partition 0 read as three ranges; the middle one is unfinished.
        progress.record("t", 0, 0, Some(50), 50, true);
        progress.record("t", 0, 50, Some(100), 70, false);
        progress.record("t", 0, 100, Some(150), 150, true);
        // Partition 1: two finished ranges; partition 2: started late only.
        progress.record("t", 1, 0, Some(10), 10, true);
        progress.record("t", 1, 10, Some(20), 20, true);
        let next = progress.snapshot();
        assert_eq!(next[&("t".to_string(), 0)], 70);
        assert_eq!(next[&("t".to_string(), 1)], 20);
    }

    #[test]
    fn an_unfinished_first_range_commits_what_it_reached() {
        let progress = ReadProgress::default();
        progress.record("t", 0, 5, Some(50), 20, false);
        progress.record("t", 0, 50, Some(100), 100, true);
        assert_eq!(progress.snapshot()[&("t".to_string(), 0)], 20);
    }
}
