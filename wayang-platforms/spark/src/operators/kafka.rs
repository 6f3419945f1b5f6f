//! SparkKafkaTopicSource and SparkKafkaTopicSink: one offset range per task,
//! and one shared producer fed by every task.

use std::sync::Arc;

use rayon::prelude::*;
use wayang_core::{Channel, Operator, Result, TaskContext};
use wayang_kafka::{
    commit_offsets, resolve, KafkaError, KafkaSettings, OffsetRange, RangeReader, ReadOptions,
    ReadProgress, TopicWriter,
};

use super::{inputs, mismatch, state};
use crate::plugin::KAFKA_MIN_TASKS_KEY;
use crate::rdd::emit;

/// SparkKafkaTopicSource: resolves the offset ranges, splits the largest
/// until there are at least `wayang.spark.kafka.min_tasks` (so a topic with
/// few partitions still loads on all cores), and reads each range in its own
/// task with its own consumer. Offsets are committed after every sink
/// delivered, over the contiguous prefix of finished ranges.
pub(crate) fn source(
    op: &Operator,
    _: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::KafkaTopicSource(source) = op else {
        return Err(mismatch(op, "Kafka topic source"));
    };
    let settings = KafkaSettings::from_config(ctx.config())?;
    let min_tasks = ctx
        .config()
        .get_or(KAFKA_MIN_TASKS_KEY, state(ctx)?.parallelism)?;
    let ranges = resolve(source, &settings).map_err(|e| e.in_operator(ctx.label()))?;
    let tasks = split(ranges, min_tasks);
    tracing::debug!(operator = %ctx.label(), tasks = tasks.len(), "reading Kafka offset ranges");
    let progress = Arc::new(ReadProgress::default());
    let parts = tasks
        .into_iter()
        .map(|range| {
            let options = ReadOptions {
                settings,
                policy: source.on_bad_record.clone(),
                format: source.decoder.format(),
                needs_headers: source.decoder.needs_headers(),
                probe: ctx.probe().clone(),
                progress: progress.clone(),
            };
            // Connects on its first pull, in the task that reads it.
            source.decoder.decode(Box::new(RangeReader::new(
                source.cluster.clone(),
                vec![range],
                options,
            )))
        })
        .collect();
    if let Some(group) = source.group.clone() {
        let cluster = source.cluster.clone();
        let operator = ctx.label().to_string();
        ctx.after_delivery(Box::new(move || {
            commit_offsets(&cluster, &group, &progress.snapshot())
                .map_err(|e| e.in_operator(operator))
        }));
    }
    emit(ctx, parts)
}

/// Splits the longest ranges in halves until there are `min_tasks` of them
/// (or none can be split: a range read to the end of its partition has no
/// known length).
fn split(mut ranges: Vec<OffsetRange>, min_tasks: usize) -> Vec<OffsetRange> {
    while ranges.len() < min_tasks {
        let longest = ranges
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.len().filter(|len| *len >= 2).map(|len| (len, i)))
            .max();
        let Some((len, index)) = longest else { break };
        let range = &mut ranges[index];
        let middle = range.from + (len / 2) as i64;
        let upper = OffsetRange {
            topic: range.topic.clone(),
            partition: range.partition,
            from: middle,
            until: range.until,
        };
        range.until = Some(middle);
        ranges.push(upper);
    }
    ranges.sort_by(|a, b| (&a.topic, a.partition, a.from).cmp(&(&b.topic, b.partition, b.from)));
    ranges
}

/// SparkKafkaTopicSink: every task encodes and sends its partition through
/// one shared (thread-safe) producer; then every delivery report is checked,
/// and a transactional sink commits once the whole job succeeded.
pub(crate) fn sink(
    op: &Operator,
    channels: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::KafkaTopicSink(sink) = op else {
        return Err(mismatch(op, "Kafka topic sink"));
    };
    let [parts] = inputs(channels)?;
    let settings = KafkaSettings::from_config(ctx.config())?;
    let writer = TopicWriter::open(
        &sink.cluster,
        &sink.topic,
        sink.transactional_id.as_deref(),
        &settings,
    )
    .map_err(|e| e.in_operator(ctx.label()))?;
    let probe = ctx.probe();
    probe.mark_started();
    let outcomes = parts
        .into_par_iter()
        .map(|part| sink.encoder.encode(part, &mut |record| writer.send(record)))
        .collect::<Result<Vec<_>>>()?;
    if let Some(reason) = outcomes.into_iter().find_map(std::result::Result::err) {
        let error = KafkaError::Produce {
            alias: sink.cluster.alias().to_string(),
            topic: sink.topic.clone(),
            reason,
        };
        return Err(error.in_operator(ctx.label()));
    }
    if probe.job().has_failed() {
        // The input ended early because something upstream failed.
        return Ok(None);
    }
    let finished = writer.finish().map_err(|e| e.in_operator(ctx.label()))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn range(partition: i32, from: i64, until: Option<i64>) -> OffsetRange {
        OffsetRange {
            topic: "t".into(),
            partition,
            from,
            until,
        }
    }

    #[test]
    fn splits_long_ranges_until_there_are_enough_tasks() {
        let tasks = split(vec![range(0, 0, Some(100)), range(1, 10, Some(12))], 4);
        assert_eq!(tasks.len(), 4);
        let covered: i64 = tasks.iter().map(|r| r.until.unwrap() - r.from).sum();
        assert_eq!(covered, 102, "the tasks cover the ranges exactly");
        assert_eq!(tasks[0], range(0, 0, Some(50)));
        assert_eq!(tasks[1], range(0, 50, Some(75)));
        assert_eq!(tasks[3], range(1, 10, Some(12)));
    }

    #[test]
    fn ranges_without_a_length_are_not_split() {
        let tasks = split(vec![range(0, 0, None), range(1, 0, Some(1))], 8);
        assert_eq!(tasks.len(), 2);
    }
}
