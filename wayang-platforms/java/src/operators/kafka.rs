//! JavaKafkaTopicSource and JavaKafkaTopicSink: Kafka on one thread.

use wayang_core::{Channel, Operator, Result, TaskContext};
use wayang_kafka::{SinkWrite, SourceRead};

use super::{emit, mismatch, streams};

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
    let (read, ranges) = SourceRead::start(source, ctx)?;
    emit(ctx, read.read(ranges))
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
    let write = SinkWrite::open(sink, ctx)?;
    let encoded = ctx.probe().guard(|| write.encode(input));
    // `None`: a user function panicked; the failure is recorded and the
    // writer's transaction (if any) is aborted when it is dropped.
    if let Some(encoded) = encoded {
        write.finish([encoded?])?;
    }
    Ok(None)
}
