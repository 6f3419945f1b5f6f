//! What every platform's Kafka operators do around their data: the job
//! side of a read (offset ranges prepared before the job, the group commit
//! after every sink delivered, or the exactly-once job's bookkeeping) and
//! of a write (the writer, table bookkeeping, error checks, the flush, and
//! the transaction's commit in the job's two-phase commit). Platforms only
//! decide how many readers run and how records reach the writer.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use wayang_core::formats::registry::SchemaRegistry;
use wayang_core::job::{Commit, CommitPhase};
use wayang_core::kafka::{shown_key, KafkaCluster, OutgoingRecord};
use wayang_core::operators::{EncodeTarget, KafkaTopicSink, KafkaTopicSource};
use wayang_core::{AnyIter, Result, TaskContext};

use crate::commit::commit_offsets;
use crate::error::KafkaError;
use crate::exactly_once::{simulated_crash, Session};
use crate::offsets::{resolve, OffsetRange, Resolution};
use crate::prepare::{PreparedSink, ResolvedSource};
use crate::reader::{RangeReader, ReadOptions, ReadProgress};
use crate::registry::registry_for;
use crate::scan::table_keys;
use crate::settings::{CrashPoint, KafkaSettings};
use crate::writer::{TopicWriter, WriterOptions};

/// One job's read of a Kafka source.
pub struct SourceRead<'a> {
    source: &'a KafkaTopicSource,
    registry: Option<Arc<dyn SchemaRegistry>>,
    settings: KafkaSettings,
    progress: Arc<ReadProgress>,
    ctx: &'a TaskContext<'a>,
}

impl<'a> SourceRead<'a> {
    /// Takes the source's offset ranges as the job's preparation resolved
    /// them (resolving them now only if the job was not prepared), and
    /// arranges for the positions reached to be acknowledged: committed to
    /// the consumer group after every sink delivered, or handed to the
    /// source's exactly-once job.
    pub fn start(
        source: &'a KafkaTopicSource,
        ctx: &'a TaskContext<'a>,
    ) -> Result<(Self, Vec<OffsetRange>)> {
        let settings = KafkaSettings::from_config(ctx.config())?;
        let registry = registry_of(&source.cluster, source.decoder.needs_registry())
            .map_err(|e| e.in_operator(ctx.label()))?;
        let (ranges, session) = match ctx.prepared::<ResolvedSource>() {
            Some(resolved) => (resolved.ranges.clone(), resolved.session.clone()),
            None => {
                let resolution = Resolution {
                    source,
                    resumed: None,
                };
                (
                    resolve(&resolution, &settings).map_err(|e| e.in_operator(ctx.label()))?,
                    None,
                )
            }
        };
        let progress = Arc::new(ReadProgress::default());
        if let Some(session) = session {
            session.register(&source.cluster, progress.clone());
        } else if let Some(group) = source.group.clone() {
            let (cluster, progress, operator) = (
                source.cluster.clone(),
                progress.clone(),
                ctx.label().to_string(),
            );
            ctx.after_delivery(Box::new(move || {
                commit_offsets(&cluster, &group, &progress.snapshot(), &settings)
                    .map_err(|e| e.in_operator(operator))
            }));
        }
        Ok((
            SourceRead {
                source,
                registry,
                settings,
                progress,
                ctx,
            },
            ranges,
        ))
    }

    /// A handle that records ranges read in full by tasks elsewhere (a
    /// Spark cluster's), so that the group commit or the exactly-once job
    /// after the job covers them; see [`crate::remote`].
    pub fn completion(&self) -> ReadCompletion {
        ReadCompletion {
            progress: self.progress.clone(),
        }
    }

    /// The decoded records of `ranges` (connects on its first pull).
    pub fn read(&self, ranges: Vec<OffsetRange>) -> AnyIter {
        let options = ReadOptions::for_source(
            self.source,
            self.settings,
            self.ctx.probe().clone(),
            self.progress.clone(),
        );
        let reader = RangeReader::new(self.source.cluster.clone(), ranges, options);
        self.source
            .decoder
            .decode(Box::new(reader), self.registry.as_ref())
    }
}

/// Records ranges of a [`SourceRead`] as read in full elsewhere.
pub struct ReadCompletion {
    progress: Arc<ReadProgress>,
}

impl ReadCompletion {
    /// Every one of `ranges` was read to its end (call only once every task
    /// that read them succeeded).
    pub fn read_in_full(&self, ranges: &[OffsetRange]) {
        for range in ranges {
            let reached = range.until.unwrap_or(range.from);
            self.progress.record(
                &range.topic,
                range.partition,
                range.from,
                range.until,
                reached,
                true,
            );
        }
    }
}

/// The cluster's registry client where the format `needs` one: a cluster
/// without `schema.registry.url` is an error then, found before any read.
pub(crate) fn registry_of(
    cluster: &KafkaCluster,
    needs: bool,
) -> std::result::Result<Option<Arc<dyn SchemaRegistry>>, KafkaError> {
    if !needs {
        return Ok(None);
    }
    match registry_for(cluster)? {
        Some(registry) => Ok(Some(registry)),
        None => Err(KafkaError::Registry {
            alias: cluster.alias().to_string(),
            reason: "the job reads or writes a Schema Registry format (avro, json-schema, \
                     protobuf), and the cluster names no registry: set schema.registry.url \
                     (and basic.auth.user.info) in its properties"
                .into(),
        }),
    }
}

/// A table sink's bookkeeping: the keys the topic held when the job began
/// (with their partitions) and the keys the job wrote.
struct TableState {
    before: HashMap<Vec<u8>, i32>,
    written: Mutex<HashSet<Vec<u8>>>,
}

/// One job's write to a Kafka sink.
pub struct SinkWrite<'a> {
    sink: &'a KafkaTopicSink,
    registry: Option<Arc<dyn SchemaRegistry>>,
    writer: TopicWriter,
    session: Option<Arc<Session>>,
    table: Option<TableState>,
    crashed: AtomicBool,
    /// What the writer had sent before this sink (an exactly-once job's
    /// first commit record): not the sink's records.
    sent_before: u64,
    ctx: &'a TaskContext<'a>,
}

impl<'a> SinkWrite<'a> {
    /// Opens the sink's writer (the topic must exist): the exactly-once
    /// job's transactional writer, opened when the job was prepared, or a
    /// new one. A table sink reads the keys its topic holds now.
    pub fn open(sink: &'a KafkaTopicSink, ctx: &'a TaskContext<'a>) -> Result<Self> {
        let settings = KafkaSettings::from_config(ctx.config())?;
        let fail = |e: KafkaError| e.in_operator(ctx.label());
        let registry = registry_of(&sink.cluster, sink.encoder.needs_registry()).map_err(fail)?;
        let session = ctx.prepared::<PreparedSink>().map(|p| p.session.clone());
        let writer = match (&sink.exactly_once, &session) {
            (Some(spec), Some(session)) => session.take_writer().ok_or_else(|| {
                fail(KafkaError::ExactlyOnce {
                    alias: spec.cluster.alias().to_string(),
                    job: spec.job.clone(),
                    reason: "the job's transaction was already taken: run a plan once".into(),
                    code: None,
                })
            })?,
            (Some(spec), None) => {
                return Err(fail(KafkaError::ExactlyOnce {
                    alias: spec.cluster.alias().to_string(),
                    job: spec.job.clone(),
                    reason:
                        "the job was not prepared; run it through WayangContext::execute or prepare"
                            .into(),
                    code: None,
                }))
            }
            (None, _) => {
                let options = WriterOptions {
                    transactional_id: sink.transactional_id.clone(),
                    track_offsets: false,
                };
                TopicWriter::open(&sink.cluster, &sink.topic, &options, &settings).map_err(fail)?
            }
        };
        let table = if sink.table {
            Some(TableState {
                before: table_keys(&sink.cluster, &sink.topic, &settings).map_err(fail)?,
                written: Mutex::new(HashSet::new()),
            })
        } else {
            None
        };
        ctx.probe().mark_started();
        let sent_before = writer.sent();
        Ok(SinkWrite {
            sink,
            registry,
            sent_before,
            writer,
            session,
            table,
            crashed: AtomicBool::new(false),
            ctx,
        })
    }

    fn crash_point(&self, point: CrashPoint) -> bool {
        self.session.as_ref().is_some_and(|s| s.crashes_at(point))
    }

    /// Encodes one task's records with the sink's encoder and sends them;
    /// the outcome goes to [`SinkWrite::finish`].
    pub fn encode(&self, input: AnyIter) -> Result<std::result::Result<u64, String>> {
        let target = EncodeTarget {
            topic: &self.sink.topic,
            registry: self.registry.as_ref(),
        };
        self.sink
            .encoder
            .encode(input, &target, &mut |record| self.send(record))
    }

    /// Sends one record (from any task). A table sink checks that every
    /// record has a key and no key comes twice.
    pub fn send(&self, record: OutgoingRecord<'_>) -> std::result::Result<(), String> {
        if self.crashed.load(Ordering::Relaxed) {
            return Err("the job crashed (simulated)".into());
        }
        if self.writer.sent() == self.sent_before && self.crash_point(CrashPoint::BeforeWrite) {
            self.crashed.store(true, Ordering::Relaxed);
            return Err(CrashPoint::BeforeWrite.name().into());
        }
        if let Some(table) = &self.table {
            let key = record
                .key
                .ok_or("a table sink needs a key for every record: add .key(..) to the sink")?;
            let fresh = table
                .written
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(key.to_vec());
            if !fresh {
                return Err(format!(
                    "key {} comes twice in the job's output, and a table holds one record per key",
                    shown_key(key)
                ));
            }
        }
        self.writer.send(record)?;
        if self.crash_point(CrashPoint::DuringWrite) {
            self.crashed.store(true, Ordering::Relaxed);
            return Err(CrashPoint::DuringWrite.name().into());
        }
        Ok(())
    }

    /// Ends the write: the first encoding or queueing failure among
    /// `outcomes` fails the operator; if the job failed upstream nothing more
    /// happens (a transaction is aborted on drop); otherwise a table sink
    /// deletes the keys the job did not write, every delivery is awaited and
    /// checked, and a transaction is registered to commit with the job.
    pub fn finish(
        self,
        outcomes: impl IntoIterator<Item = std::result::Result<u64, String>>,
    ) -> Result<()> {
        let (sink, ctx) = (self.sink, self.ctx);
        let fail = |e: KafkaError| e.in_operator(ctx.label());
        let first_error = outcomes.into_iter().find_map(std::result::Result::err);
        if self.crashed.load(Ordering::Relaxed)
            || (self.writer.sent() == self.sent_before && self.crash_point(CrashPoint::BeforeWrite))
        {
            let point = CrashPoint::ALL.into_iter().find(|p| self.crash_point(*p));
            return Err(fail(self.crash(point)));
        }
        if let Some(reason) = first_error {
            return Err(fail(KafkaError::Produce {
                alias: sink.cluster.alias().to_string(),
                topic: sink.topic.clone(),
                reason,
                code: None,
            }));
        }
        if ctx.probe().job().has_failed() {
            return Ok(());
        }
        let mut deleted = 0;
        if let Some(table) = &self.table {
            let written = table.written.lock().unwrap_or_else(PoisonError::into_inner);
            for (key, partition) in &table.before {
                if !written.contains(key) {
                    self.writer
                        .send_tombstone(key, Some(*partition))
                        .map_err(|reason| {
                            fail(KafkaError::Produce {
                                alias: sink.cluster.alias().to_string(),
                                topic: sink.topic.clone(),
                                reason: format!("cannot delete key {}: {reason}", shown_key(key)),
                                code: None,
                            })
                        })?;
                    deleted += 1;
                }
            }
        }
        let delivered = self.writer.flush().map_err(fail)? - self.sent_before;
        if self.crash_point(CrashPoint::AfterFlush) {
            return Err(fail(self.crash(Some(CrashPoint::AfterFlush))));
        }
        ctx.probe().add_records(delivered - deleted);
        if deleted > 0 {
            ctx.probe().add_counter("tombstones", deleted);
        }
        ctx.probe().mark_finished();
        let commit = TransactionCommit {
            writer: Some(self.writer),
            session: self.session,
            operator: ctx.label().to_string(),
        };
        if commit
            .writer
            .as_ref()
            .is_some_and(TopicWriter::in_transaction)
        {
            ctx.on_success_in(CommitPhase::Publish, Box::new(commit));
        }
        Ok(())
    }

    /// Simulates a crash: the writer is leaked with its transaction open.
    fn crash(self, point: Option<CrashPoint>) -> KafkaError {
        let point = point.unwrap_or(CrashPoint::BeforeWrite);
        let spec = self.sink.exactly_once.clone();
        self.writer.crash();
        match spec {
            Some(spec) => simulated_crash(&spec, point),
            None => KafkaError::client(self.sink.cluster.alias(), "simulated crash", None),
        }
    }
}

/// A transactional sink's part of the job's commit: an exactly-once job
/// writes its positions and the pointer to them while preparing; the
/// transaction commits in the [`CommitPhase::Publish`] phase.
struct TransactionCommit {
    /// `None` once a simulated crash leaked it.
    writer: Option<TopicWriter>,
    session: Option<Arc<Session>>,
    operator: String,
}

impl Commit for TransactionCommit {
    fn prepare(&mut self) -> Result<()> {
        let (Some(session), Some(writer)) = (&self.session, &self.writer) else {
            return Ok(());
        };
        session.prepare(writer).map_err(|error| {
            if session.crashes_at(CrashPoint::BeforePositions)
                || session.crashes_at(CrashPoint::BeforeCommit)
            {
                // A crash leaves the transaction open, as a killed process
                // would: nothing may abort it now.
                if let Some(writer) = self.writer.take() {
                    writer.crash();
                }
            }
            error.in_operator(&self.operator)
        })
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        let Some(writer) = self.writer.as_mut() else {
            return Err(wayang_core::Error::internal(
                "committing a crashed transaction",
            ));
        };
        writer.commit().map_err(|e| e.in_operator(&self.operator))?;
        if let Some(session) = &self.session {
            session
                .crash_check(CrashPoint::AfterCommit)
                .map_err(|e| e.in_operator(&self.operator))?;
        }
        Ok(())
    }

    fn abort(mut self: Box<Self>) {
        if let Some(writer) = self.writer.as_mut() {
            writer.abort();
        }
    }
}
