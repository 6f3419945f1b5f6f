//! JavaKafkaTopicSource and JavaKafkaTopicSink: Kafka on one thread.

use std::sync::Arc;

use wayang_core::{Channel, Error, Operator, Result, TaskContext};
use wayang_kafka::{
    commit_offsets, resolve, KafkaError, KafkaSettings, RangeReader, ReadOptions, ReadProgress,
    TopicWriter,
};

use super::{emit, mismatch, streams};

fn external(ctx: &TaskContext<'_>, error: KafkaError) -> Error {
    error.in_operator(ctx.label())
}

/// JavaKafkaTopicSource: resolves the offset ranges, then streams them with
/// one consumer per topic (memory does not grow with the topic). With a
/// consumer group, the offsets reached are committed after every sink of
/// the job has delivered.
pub(crate) fn source(
    op: &Operator,
    _: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::KafkaTopicSource(source) = op else {
        return Err(mismatch(op, "Kafka topic source"));
    };
    let settings = KafkaSettings::from_config(ctx.config())?;
    let ranges = resolve(source, &settings).map_err(|e| external(ctx, e))?;
    let progress = Arc::new(ReadProgress::default());
    let options = ReadOptions {
        settings,
        policy: source.on_bad_record.clone(),
        format: source.decoder.format(),
        needs_headers: source.decoder.needs_headers(),
        probe: ctx.probe().clone(),
        progress: progress.clone(),
    };
    let reader = RangeReader::new(source.cluster.clone(), ranges, options);
    if let Some(group) = source.group.clone() {
        let cluster = source.cluster.clone();
        let operator = ctx.label().to_string();
        ctx.after_delivery(Box::new(move || {
            commit_offsets(&cluster, &group, &progress.snapshot())
                .map_err(|e| e.in_operator(operator))
        }));
    }
    emit(ctx, source.decoder.decode(Box::new(reader)))
}

/// JavaKafkaTopicSink: produces every record, then waits for every delivery
/// report; a transactional sink commits only once the whole job succeeded.
pub(crate) fn sink(
    op: &Operator,
    inputs: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::KafkaTopicSink(sink) = op else {
        return Err(mismatch(op, "Kafka topic sink"));
    };
    let [input] = streams(inputs)?;
    let settings = KafkaSettings::from_config(ctx.config())?;
    let writer = TopicWriter::open(
        &sink.cluster,
        &sink.topic,
        sink.transactional_id.as_deref(),
        &settings,
    )
    .map_err(|e| external(ctx, e))?;
    let probe = ctx.probe().clone();
    probe.mark_started();
    let encoded = probe.guard(|| {
        sink.encoder
            .encode(input, &mut |record| writer.send(record))
    });
    let Some(encoded) = encoded else {
        // A user function panicked: the failure is recorded, the writer's
        // transaction (if any) is aborted when it is dropped.
        return Ok(None);
    };
    if let Err(reason) = encoded? {
        let error = KafkaError::Produce {
            alias: sink.cluster.alias().to_string(),
            topic: sink.topic.clone(),
            reason,
        };
        return Err(external(ctx, error));
    }
    if probe.job().has_failed() {
        // The input ended early because something upstream failed.
        return Ok(None);
    }
    let finished = writer.finish().map_err(|e| external(ctx, e))?;
    probe.add_records(finished.delivered());
    probe.mark_finished();
    let operator = ctx.label().to_string();
    ctx.on_success(Box::new(move || {
        finished
            .commit()
            .map(drop)
            .map_err(|e| e.in_operator(operator))
    }));
    Ok(None)
}
