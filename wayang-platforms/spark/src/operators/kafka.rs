//! SparkKafkaTopicSource and SparkKafkaTopicSink: one offset range per task,
//! and one shared producer fed by every task.

use rayon::prelude::*;
use wayang_core::{Channel, Operator, Result, TaskContext};
use wayang_kafka::{OffsetRange, SinkWrite, SourceRead};

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
    let min_tasks = ctx
        .config()
        .get_or(KAFKA_MIN_TASKS_KEY, state(ctx)?.parallelism)?;
    let (read, ranges) = SourceRead::start(source, ctx)?;
    let tasks = split(ranges, min_tasks);
    tracing::debug!(operator = %ctx.label(), tasks = tasks.len(), "reading Kafka offset ranges");
    emit(
        ctx,
        tasks
            .into_iter()
            .map(|range| read.read(vec![range]))
            .collect(),
    )
}

/// Splits the longest ranges in halves until there are `min_tasks` of them
/// (or none can be split: a range read to the end of its partition has no
/// known length).
pub(crate) fn split(mut ranges: Vec<OffsetRange>, min_tasks: usize) -> Vec<OffsetRange> {
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
    let write = SinkWrite::open(sink, ctx)?;
    let outcomes = parts
        .into_par_iter()
        .map(|part| write.encode(part))
        .collect::<Result<Vec<_>>>()?;
    write.finish(outcomes)?;
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
