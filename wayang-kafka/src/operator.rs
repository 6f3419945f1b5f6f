//! What every platform's Kafka operators do around their data: the job
//! side of a read (settings, offset ranges, the group commit after every
//! sink delivered) and of a write (the writer, error checks, the flush, the
//! transaction commit on success). Platforms only decide how many readers
//! run and how records reach the writer.

use std::sync::Arc;

use wayang_core::operators::{KafkaTopicSink, KafkaTopicSource};
use wayang_core::{AnyIter, Result, TaskContext};

use crate::commit::commit_offsets;
use crate::error::KafkaError;
use crate::offsets::{resolve, OffsetRange};
use crate::reader::{RangeReader, ReadOptions, ReadProgress};
use crate::settings::KafkaSettings;
use crate::writer::TopicWriter;

/// One job's read of a Kafka source.
pub struct SourceRead<'a> {
    source: &'a KafkaTopicSource,
    settings: KafkaSettings,
    progress: Arc<ReadProgress>,
    ctx: &'a TaskContext<'a>,
}

impl<'a> SourceRead<'a> {
    /// Resolves the source's offset ranges and, with a consumer group,
    /// registers the commit of the offsets reached (after every sink of the
    /// job delivered).
    pub fn start(
        source: &'a KafkaTopicSource,
        ctx: &'a TaskContext<'a>,
    ) -> Result<(Self, Vec<OffsetRange>)> {
        let settings = KafkaSettings::from_config(ctx.config())?;
        let ranges = resolve(source, &settings).map_err(|e| e.in_operator(ctx.label()))?;
        let progress = Arc::new(ReadProgress::default());
        if let Some(group) = source.group.clone() {
            let (cluster, progress, operator) = (
                source.cluster.clone(),
                progress.clone(),
                ctx.label().to_string(),
            );
            ctx.after_delivery(Box::new(move || {
                commit_offsets(&cluster, &group, &progress.snapshot())
                    .map_err(|e| e.in_operator(operator))
            }));
        }
        Ok((
            SourceRead {
                source,
                settings,
                progress,
                ctx,
            },
            ranges,
        ))
    }

    /// The decoded records of `ranges` (connects on its first pull).
    pub fn read(&self, ranges: Vec<OffsetRange>) -> AnyIter {
        let options = ReadOptions {
            settings: self.settings,
            policy: self.source.on_bad_record.clone(),
            format: self.source.decoder.format(),
            needs_headers: self.source.decoder.needs_headers(),
            probe: self.ctx.probe().clone(),
            progress: self.progress.clone(),
        };
        let reader = RangeReader::new(self.source.cluster.clone(), ranges, options);
        self.source.decoder.decode(Box::new(reader))
    }
}

/// One job's write to a Kafka sink.
pub struct SinkWrite<'a> {
    sink: &'a KafkaTopicSink,
    writer: TopicWriter,
    ctx: &'a TaskContext<'a>,
}

impl<'a> SinkWrite<'a> {
    /// Opens the sink's writer (the topic must exist).
    pub fn open(sink: &'a KafkaTopicSink, ctx: &'a TaskContext<'a>) -> Result<Self> {
        let settings = KafkaSettings::from_config(ctx.config())?;
        let writer = TopicWriter::open(
            &sink.cluster,
            &sink.topic,
            sink.transactional_id.as_deref(),
            &settings,
        )
        .map_err(|e| e.in_operator(ctx.label()))?;
        ctx.probe().mark_started();
        Ok(SinkWrite { sink, writer, ctx })
    }

    /// The writer, shared by whoever feeds it.
    pub fn writer(&self) -> &TopicWriter {
        &self.writer
    }

    /// Ends the write: the first encoding or queueing failure among
    /// `outcomes` fails the operator; if the job failed upstream nothing more
    /// happens (a transaction is aborted on drop); otherwise every delivery is
    /// awaited and checked, and a transaction commits once the job succeeded.
    pub fn finish(
        self,
        outcomes: impl IntoIterator<Item = std::result::Result<u64, String>>,
    ) -> Result<()> {
        let (sink, ctx) = (self.sink, self.ctx);
        if let Some(reason) = outcomes.into_iter().find_map(std::result::Result::err) {
            let error = KafkaError::Produce {
                alias: sink.cluster.alias().to_string(),
                topic: sink.topic.clone(),
                reason,
            };
            return Err(error.in_operator(ctx.label()));
        }
        if ctx.probe().job().has_failed() {
            return Ok(());
        }
        let finished = self
            .writer
            .finish()
            .map_err(|e| e.in_operator(ctx.label()))?;
        ctx.probe().add_records(finished.delivered());
        ctx.probe().mark_finished();
        let operator = ctx.label().to_string();
        ctx.on_success(Box::new(move || {
            finished
                .commit()
                .map(drop)
                .map_err(|e| e.in_operator(operator))
        }));
        Ok(())
    }
}
