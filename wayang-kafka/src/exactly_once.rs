//! Exactly-once jobs across clusters: a job's output and the positions its
//! sources reached are committed in one Kafka transaction on the sink's
//! cluster, and the next run resumes from those positions.
//!
//! Kafka transactions cover one cluster, and the sources of a job may live
//! on others, so the positions are a record of their own: each commit
//! writes a [`CommitRecord`] (JSON, keyed by the job id) to partition 0 of
//! the job's positions topic on the sink's cluster, inside the job's
//! transaction. Which record is the last committed one must not depend on
//! the broker filtering aborted records (none reachable from our test
//! machines does), so the transaction also commits, for the consumer group
//! `wayang-eos-<job>`, the offset just past that record
//! (`send_offsets_to_transaction`): transactional offsets become visible
//! exactly when the transaction commits. A restart reads that pointer,
//! then the one record before it. Sources on the sink's own cluster have
//! their offsets committed to the same group in the same transaction, so
//! Kafka's tools show the job's progress on them.
//!
//! The session of a run opens at planning time, before any source is
//! resolved: `init_transactions` with the job's stable transactional id
//! fences an older run still alive (its commit fails) and aborts its open
//! transaction, and only then are the stored positions read.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use rdkafka::consumer::Consumer as _;
use rdkafka::{Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};
use wayang_core::kafka::{ExactlyOnce, KafkaCluster};

use crate::client::within;
use crate::error::KafkaError;
use crate::offsets::{admin_consumer, partitions, watermarks, OffsetRange};
use crate::reader::ReadProgress;
use crate::scan::scan;
use crate::settings::{CrashPoint, KafkaSettings};
use crate::writer::{TopicWriter, WriterOptions};

/// The format version of [`CommitRecord`]s this crate writes.
const FORMAT: u32 = 1;

/// What one committed transaction of an exactly-once job did: stored in the
/// job's positions topic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitRecord {
    /// The record format's version.
    pub format: u32,
    /// The job id.
    pub job: String,
    /// 1 for the job's first commit, then counting up; 0 for the empty
    /// record a job's very first run commits before it starts.
    pub sequence: u64,
    /// The offset (in the positions topic) of the previous commit's
    /// record, so the committed history can be walked back.
    pub previous: Option<i64>,
    /// Where each source partition stands: the next offset to read.
    pub sources: Vec<SourcePosition>,
    /// The records this commit made visible, per output partition.
    pub outputs: Vec<OutputRange>,
}

/// A source partition's position in a [`CommitRecord`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcePosition {
    /// The source cluster's alias.
    pub cluster: String,
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The next offset to read.
    pub next: i64,
}

/// The records one commit wrote to one output partition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputRange {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The first offset written.
    pub first: i64,
    /// The last offset written.
    pub last: i64,
    /// How many records.
    pub records: u64,
}

/// The last committed record of a job and its offset in the positions
/// topic.
#[derive(Clone, Debug)]
pub(crate) struct LastCommit {
    offset: i64,
    record: CommitRecord,
}

fn eos_error(spec: &ExactlyOnce, reason: impl Into<String>) -> KafkaError {
    KafkaError::ExactlyOnce {
        alias: spec.cluster.alias().to_string(),
        job: spec.job.clone(),
        reason: reason.into(),
        code: None,
    }
}

/// Reads the job's last committed record: the group pointer's record if
/// the broker kept the pointer, else (a broker without transactional
/// offsets, or an expired pointer) the latest record of the job.
fn last_commit(
    spec: &ExactlyOnce,
    settings: &KafkaSettings,
) -> Result<Option<LastCommit>, KafkaError> {
    let cluster = &spec.cluster;
    let consumer = admin_consumer(cluster, Some(&spec.group()))?;
    let found = partitions(&consumer, cluster, &spec.positions_topic, settings).map_err(
        |error| match error {
            KafkaError::MissingTopic { .. } => eos_error(
                spec,
                format!(
                    "its positions topic {:?} does not exist; create it with one partition \
                 (cleanup.policy=compact)",
                    spec.positions_topic
                ),
            ),
            other => other,
        },
    )?;
    if !found.contains(&0) {
        return Err(eos_error(
            spec,
            format!(
                "positions topic {:?} has no partition 0",
                spec.positions_topic
            ),
        ));
    }
    let mut request = TopicPartitionList::new();
    request.add_partition(&spec.positions_topic, 0);
    let committed = within(
        &consumer,
        cluster,
        settings,
        "a committed-offsets request",
        |slice| consumer.committed_offsets(request.clone(), slice),
    )?;
    let pointer = committed.elements().iter().find_map(|e| match e.offset() {
        Offset::Offset(offset) if offset > 0 => Some(offset),
        _ => None,
    });
    let mut latest: Option<LastCommit> = None;
    let mut bad: Option<String> = None;
    let range = |from, until| OffsetRange {
        topic: spec.positions_topic.clone(),
        partition: 0,
        from,
        until,
    };
    let ranges = match pointer {
        Some(next) => vec![range(next - 1, Some(next))],
        // From the first retained record: retention may have deleted older
        // ones, and reading below them is an error.
        None => {
            let marks = watermarks(&consumer, cluster, &spec.positions_topic, &[0], settings)?;
            vec![range(marks.get(&0).map_or(0, |m| m.low), None)]
        }
    };
    scan(
        cluster,
        ranges,
        settings,
        "exactly-once positions",
        &mut |view| {
            if view.key != Some(spec.job.as_bytes()) {
                return;
            }
            let Some(payload) = view.payload else { return };
            match serde_json::from_slice::<CommitRecord>(payload) {
                Ok(record) if record.format == FORMAT && record.job == spec.job => {
                    latest = Some(LastCommit {
                        offset: view.offset,
                        record,
                    });
                }
                Ok(record) => {
                    bad = Some(format!(
                        "the positions record at offset {} has format {} for job {:?}",
                        view.offset, record.format, record.job
                    ))
                }
                Err(error) => {
                    bad = Some(format!(
                        "the positions record at offset {} does not decode: {error}",
                        view.offset
                    ))
                }
            }
        },
    )?;
    if let Some(reason) = bad.filter(|_| pointer.is_some()) {
        return Err(eos_error(spec, reason));
    }
    match (pointer, &latest) {
        (Some(next), None) => Err(eos_error(
            spec,
            format!(
                "its group points at offset {} of {:?}, but no positions record of the job is there; \
                 was the positions topic deleted or compacted away?",
                next - 1,
                spec.positions_topic
            ),
        )),
        (None, Some(found)) => {
            tracing::warn!(
                cluster = %cluster.alias(), job = %spec.job, offset = found.offset,
                "resuming from the latest positions record: the broker kept no transactional \
                 offsets for the job (its pointer expired, or the broker does not implement them); \
                 this is only exact where aborted transactions are filtered (read_committed)"
            );
            Ok(latest)
        }
        _ => Ok(latest),
    }
}

/// One run of an exactly-once job, from planning to its commit.
pub(crate) struct Session {
    spec: ExactlyOnce,
    settings: KafkaSettings,
    last: Option<LastCommit>,
    writer: Mutex<Option<TopicWriter>>,
    sources: Mutex<Vec<(KafkaCluster, Arc<ReadProgress>)>>,
}

impl Session {
    /// Looks at the job's stored positions without taking anything (for
    /// `explain`).
    pub(crate) fn look(spec: &ExactlyOnce, settings: &KafkaSettings) -> Result<Self, KafkaError> {
        Ok(Session {
            spec: spec.clone(),
            settings: *settings,
            last: last_commit(spec, settings)?,
            writer: Mutex::new(None),
            sources: Mutex::new(Vec::new()),
        })
    }

    /// Opens the run: fences older runs (`init_transactions`), reads the
    /// stored positions, and begins the run's transaction on `sink_topic`.
    pub(crate) fn open(
        spec: &ExactlyOnce,
        sink_topic: &str,
        settings: &KafkaSettings,
    ) -> Result<Self, KafkaError> {
        let options = WriterOptions {
            transactional_id: Some(spec.transactional_id()),
            track_offsets: true,
        };
        let mut writer = TopicWriter::open(&spec.cluster, sink_topic, &options, settings)?;
        let mut last = last_commit(spec, settings)?;
        if last.is_none() {
            // A first run commits an empty record before it starts, so that
            // from now on the pointer exists and an aborted run can never
            // be mistaken for a committed one.
            let genesis = CommitRecord {
                format: FORMAT,
                job: spec.job.clone(),
                sequence: 0,
                previous: None,
                sources: Vec::new(),
                outputs: Vec::new(),
            };
            let offset = write_record(spec, &writer, &genesis)?;
            point_at(spec, &writer, offset, &[])?;
            writer.commit()?;
            writer.begin()?;
            last = Some(LastCommit {
                offset,
                record: genesis,
            });
        }
        Ok(Session {
            spec: spec.clone(),
            settings: *settings,
            last,
            writer: Mutex::new(Some(writer)),
            sources: Mutex::new(Vec::new()),
        })
    }

    /// The stored next offset per (topic, partition) of the sources on
    /// `cluster` (by alias).
    pub(crate) fn stored(&self, cluster: &KafkaCluster) -> BTreeMap<(String, i32), i64> {
        self.last
            .iter()
            .flat_map(|last| &last.record.sources)
            .filter(|p| p.cluster == cluster.alias())
            .map(|p| ((p.topic.clone(), p.partition), p.next))
            .collect()
    }

    /// Registers a source whose positions the commit must store.
    pub(crate) fn register(&self, cluster: &KafkaCluster, progress: Arc<ReadProgress>) {
        self.sources
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((cluster.clone(), progress));
    }

    /// The run's transactional writer, for the job's sink (once).
    pub(crate) fn take_writer(&self) -> Option<TopicWriter> {
        self.writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// The commit record of this run, given what the sink delivered.
    fn record(&self, writer: &TopicWriter) -> CommitRecord {
        let mut sources: BTreeMap<(String, String, i32), i64> = BTreeMap::new();
        // Positions not read this run stay as they were.
        for position in self.last.iter().flat_map(|l| &l.record.sources) {
            sources.insert(
                (
                    position.cluster.clone(),
                    position.topic.clone(),
                    position.partition,
                ),
                position.next,
            );
        }
        for (cluster, progress) in self
            .sources
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            for ((topic, partition), next) in progress.snapshot() {
                sources.insert((cluster.alias().to_string(), topic, partition), next);
            }
        }
        let outputs = writer
            .delivered_ranges()
            .into_iter()
            .filter(|((topic, _), _)| *topic == writer.topic())
            .map(|((topic, partition), range)| OutputRange {
                topic,
                partition,
                first: range.first,
                last: range.last,
                records: range.records,
            })
            .collect();
        CommitRecord {
            format: FORMAT,
            job: self.spec.job.clone(),
            sequence: self.last.as_ref().map_or(1, |l| l.record.sequence + 1),
            previous: self.last.as_ref().map(|l| l.offset),
            sources: sources
                .into_iter()
                .map(|((cluster, topic, partition), next)| SourcePosition {
                    cluster,
                    topic,
                    partition,
                    next,
                })
                .collect(),
            outputs,
        }
    }

    /// Writes the run's commit record and the pointer to it into the open
    /// transaction (the commit's prepare step).
    pub(crate) fn prepare(&self, writer: &TopicWriter) -> Result<(), KafkaError> {
        self.crash_check(CrashPoint::BeforePositions)?;
        let record = self.record(writer);
        let unchanged = self
            .last
            .as_ref()
            .is_some_and(|last| last.record.sources == record.sources);
        if record.outputs.is_empty() && unchanged {
            // Nothing read, nothing written: the transaction commits empty
            // and the stored positions stay as they are.
            return self.crash_check(CrashPoint::BeforeCommit);
        }
        let offset = write_record(&self.spec, writer, &record)?;
        let same_cluster: Vec<(String, i32, i64)> = self
            .sources
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|(cluster, _)| same_cluster(cluster, &self.spec.cluster))
            .flat_map(|(_, progress)| progress.snapshot())
            .map(|((topic, partition), next)| (topic, partition, next))
            .collect();
        point_at(&self.spec, writer, offset, &same_cluster)?;
        tracing::debug!(job = %self.spec.job, sequence = record.sequence, offset, "prepared the exactly-once commit");
        self.crash_check(CrashPoint::BeforeCommit)
    }

    /// Fails (as a crash) if the job is told to crash at `point`.
    pub(crate) fn crash_check(&self, point: CrashPoint) -> Result<(), KafkaError> {
        if self.settings.crash_at == Some(point) {
            return Err(simulated_crash(&self.spec, point));
        }
        Ok(())
    }

    /// Whether the job is told to crash at `point`.
    pub(crate) fn crashes_at(&self, point: CrashPoint) -> bool {
        self.settings.crash_at == Some(point)
    }
}

/// The error of a simulated crash.
pub(crate) fn simulated_crash(spec: &ExactlyOnce, point: CrashPoint) -> KafkaError {
    eos_error(
        spec,
        format!(
            "simulated crash at {} ({}); the transaction was left open, as a killed process leaves it",
            point.name(),
            crate::settings::CRASH_AT_KEY
        ),
    )
}

fn same_cluster(a: &KafkaCluster, b: &KafkaCluster) -> bool {
    a.get("bootstrap.servers") == b.get("bootstrap.servers")
}

/// Writes `record` to partition 0 of the positions topic (in the open
/// transaction) and returns its offset once delivered.
fn write_record(
    spec: &ExactlyOnce,
    writer: &TopicWriter,
    record: &CommitRecord,
) -> Result<i64, KafkaError> {
    let payload = serde_json::to_vec(record)
        .map_err(|e| eos_error(spec, format!("cannot encode the positions: {e}")))?;
    writer
        .send_to(
            &spec.positions_topic,
            Some(0),
            Some(spec.job.as_bytes()),
            Some(&payload),
            &[],
            None,
        )
        .map_err(|reason| eos_error(spec, format!("cannot write the positions: {reason}")))?;
    writer.flush()?;
    writer
        .delivered_ranges()
        .get(&(spec.positions_topic.clone(), 0))
        .map(|range| range.last)
        .ok_or_else(|| eos_error(spec, "the positions record was not delivered"))
}

/// Adds the pointer to `offset` (and same-cluster sources' offsets) to the
/// open transaction, as offsets of the job's group.
fn point_at(
    spec: &ExactlyOnce,
    writer: &TopicWriter,
    offset: i64,
    sources: &[(String, i32, i64)],
) -> Result<(), KafkaError> {
    let consumer = admin_consumer(&spec.cluster, Some(&spec.group()))?;
    let group = consumer
        .group_metadata()
        .ok_or_else(|| eos_error(spec, "the client has no consumer group metadata"))?;
    let mut offsets = TopicPartitionList::new();
    let mut add = |topic: &str, partition: i32, next: i64| {
        offsets
            .add_partition_offset(topic, partition, Offset::Offset(next))
            .map_err(|e| eos_error(spec, format!("topic {topic:?} partition {partition}: {e}")))
    };
    add(&spec.positions_topic, 0, offset + 1)?;
    for (topic, partition, next) in sources {
        add(topic, *partition, *next)?;
    }
    writer.send_offsets(&offsets, &group)
}

/// Every committed [`CommitRecord`] of an exactly-once job, oldest first:
/// the last one (by the group's pointer) and each one before it. This is
/// what the job made visible, whatever the broker shows of aborted
/// transactions; tests check exactly-once delivery with it.
pub fn committed_history(
    spec: &ExactlyOnce,
    settings: &KafkaSettings,
) -> Result<Vec<CommitRecord>, KafkaError> {
    let Some(last) = last_commit(spec, settings)? else {
        return Ok(Vec::new());
    };
    let mut history = vec![last.record];
    while let Some(previous) = history.last().and_then(|r| r.previous) {
        let mut found = None;
        let range = OffsetRange {
            topic: spec.positions_topic.clone(),
            partition: 0,
            from: previous,
            until: Some(previous + 1),
        };
        scan(
            &spec.cluster,
            vec![range],
            settings,
            "exactly-once history",
            &mut |view| {
                if let Some(payload) = view.payload {
                    found = serde_json::from_slice::<CommitRecord>(payload).ok();
                }
            },
        )?;
        match found {
            Some(record) => history.push(record),
            None => {
                return Err(eos_error(
                    spec,
                    format!(
                        "the committed history breaks off at offset {previous} of {:?}",
                        spec.positions_topic
                    ),
                ))
            }
        }
    }
    history.reverse();
    Ok(history)
}
