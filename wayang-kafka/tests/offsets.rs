//! Start and stop modes of bounded reads.

mod common;

use std::collections::BTreeMap;
use std::sync::Once;

use wayang_api::kafka::{StartOffsets, StopOffsets};
use wayang_api::PlanBuilder;
use wayang_kafka::embedded::EmbeddedCluster;
use wayang_kafka::{KafkaSettings, TopicWriter, WriterOptions};

/// A one-partition topic holding "r0".."r9" with timestamps 1000, 2000, ...
fn timed_topic() -> EmbeddedCluster {
    let cluster = common::cluster_with("timed", "t", 1);
    let plan = PlanBuilder::new();
    plan.read_collection((0..10).map(|i| format!("r{i}")))
        .write_kafka_topic(&cluster.cluster(), "t")
        .timestamp(|r| 1000 * (1 + r[1..].parse::<i64>().unwrap()))
        .string();
    plan.execute(&common::ctx()).unwrap();
    cluster
}

fn read(cluster: &EmbeddedCluster, start: StartOffsets, stop: StopOffsets) -> Vec<String> {
    let plan = PlanBuilder::new();
    let out = plan
        .read_kafka_topic(&cluster.cluster(), "t")
        .starting_offsets(start)
        .ending_offsets(stop)
        .string()
        .collect();
    plan.execute(&common::ctx()).unwrap();
    out.take().unwrap()
}

fn names(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("r{i}")).collect()
}

fn explicit(offset: i64) -> BTreeMap<(String, i32), i64> {
    BTreeMap::from([(("t".to_string(), 0), offset)])
}

#[test]
fn earliest_to_high_watermark_is_the_default() {
    let cluster = timed_topic();
    assert_eq!(
        read(&cluster, StartOffsets::Earliest, StopOffsets::HighWatermark),
        names(0..10)
    );
    assert_eq!(
        read(
            &cluster,
            StartOffsets::Earliest,
            StopOffsets::EndOfPartition
        ),
        names(0..10)
    );
}

#[test]
fn latest_reads_nothing_old() {
    let cluster = timed_topic();
    assert!(read(&cluster, StartOffsets::Latest, StopOffsets::HighWatermark).is_empty());
}

// Timestamp bounds inside a topic are tested in real_broker.rs: the embedded
// (mock) broker answers every offsets-for-timestamp request with the end of
// the partition, which is right only for timestamps after every record.
#[test]
fn a_timestamp_after_every_record_means_the_end() {
    let cluster = timed_topic();
    assert!(read(
        &cluster,
        StartOffsets::Timestamp(99_000),
        StopOffsets::HighWatermark
    )
    .is_empty());
    assert_eq!(
        read(
            &cluster,
            StartOffsets::Earliest,
            StopOffsets::Timestamp(99_000)
        ),
        names(0..10)
    );
}

#[test]
fn explicit_offsets_bound_both_ends_and_bad_ones_are_located_errors() {
    let cluster = timed_topic();
    assert_eq!(
        read(
            &cluster,
            StartOffsets::Offsets(explicit(2)),
            StopOffsets::Offsets(explicit(5))
        ),
        names(2..5)
    );
    assert_eq!(
        read(
            &cluster,
            StartOffsets::Offsets(explicit(8)),
            StopOffsets::Offsets(explicit(10))
        ),
        names(8..10)
    );
    // Offsets the partition does not have are errors naming it, not silent
    // clamps (a stop past the end would read less than asked for).
    let failure = |start, stop| {
        let plan = PlanBuilder::new();
        let _ = plan
            .read_kafka_topic(&cluster.cluster(), "t")
            .starting_offsets(start)
            .ending_offsets(stop)
            .string()
            .collect();
        plan.execute(&common::ctx()).unwrap_err().to_string()
    };
    let error = failure(
        StartOffsets::Offsets(explicit(8)),
        StopOffsets::Offsets(explicit(500)),
    );
    assert!(
        error.contains(
            "topic \"t\" partition 0: resolving its offsets failed: the stop offset 500 \
                        is past the end of the partition (10)"
        ),
        "{error}"
    );
    let error = failure(
        StartOffsets::Offsets(explicit(6)),
        StopOffsets::Offsets(explicit(3)),
    );
    assert!(
        error.contains("the stop offset 3 is before the start offset 6"),
        "{error}"
    );
    let error = failure(
        StartOffsets::Offsets(explicit(11)),
        StopOffsets::HighWatermark,
    );
    assert!(
        error.contains("the start offset 11 is past the end"),
        "{error}"
    );
}

#[test]
fn the_high_watermark_is_taken_when_the_job_starts() {
    let cluster = common::cluster_with("growing", "t", 1);
    cluster
        .produce("t", (0..10).map(|i| (None::<&str>, format!("old{i}"))))
        .unwrap();
    let connection = cluster.cluster();
    let once = std::sync::Arc::new(Once::new());
    let plan = PlanBuilder::new();
    let out = plan
        .read_kafka_topic(&connection, "t")
        .string()
        .map(move |value| {
            // While the job reads, more records arrive; they are not part of it.
            once.call_once(|| {
                let writer = TopicWriter::open(
                    &connection,
                    "t",
                    &WriterOptions::default(),
                    &KafkaSettings::default(),
                )
                .unwrap();
                for i in 0..5 {
                    let payload = format!("new{i}");
                    writer
                        .send(wayang_core::kafka::OutgoingRecord {
                            key: None,
                            payload: payload.as_bytes(),
                            partition: None,
                            timestamp: None,
                            headers: &[],
                        })
                        .unwrap();
                }
                writer.flush().unwrap();
            });
            value
        })
        .collect();
    plan.execute(&common::ctx()).unwrap();
    let values = out.take().unwrap();
    assert_eq!(values.len(), 10, "{values:?}");
    assert!(values.iter().all(|v| v.starts_with("old")));
    assert_eq!(cluster.read_all("t").unwrap().len(), 15);
}

#[test]
fn a_topic_ending_in_a_transaction_marker_does_not_hang() {
    // Transactional writes end with a commit marker that occupies an offset
    // but never reaches the consumer; a reader waiting for the record at
    // high watermark - 1 would wait forever.
    let cluster = common::cluster_with("txn", "t", 2);
    let plan = PlanBuilder::new();
    plan.read_collection((0..20).map(|i| format!("v{i}")))
        .write_kafka_topic(&cluster.cluster(), "t")
        .transactional("wayang-test-txn")
        .string();
    plan.execute(&common::ctx()).unwrap();

    // A hang would be the bug: bounded, not timed.
    let connection = cluster.cluster();
    let mut values = common::within_a_minute(move || {
        let plan = PlanBuilder::new();
        let out = plan.read_kafka_topic(&connection, "t").string().collect();
        plan.execute(&common::ctx()).unwrap();
        out.take().unwrap()
    });
    values.sort();
    let mut expected: Vec<String> = (0..20).map(|i| format!("v{i}")).collect();
    expected.sort();
    assert_eq!(values, expected);
}

#[test]
fn a_job_reads_exactly_what_its_plan_resolved() {
    let cluster = common::cluster_with("resolved-once", "t", 2);
    cluster
        .produce(
            "t",
            (0..8).map(|i| (Some(format!("k{i}")), format!("old{i}"))),
        )
        .unwrap();
    let plan = PlanBuilder::new();
    let out = plan
        .read_kafka_topic(&cluster.cluster(), "t")
        .string()
        .named("input")
        .collect();
    let job = plan.prepare(&common::ctx()).unwrap();
    let explained = job.explain().unwrap().operators[0].estimate;
    // Records that arrive between planning and execution are not read: the
    // ranges were resolved once, for both.
    cluster
        .produce(
            "t",
            (0..5).map(|i| (Some(format!("n{i}")), format!("new{i}"))),
        )
        .unwrap();
    let report = job.execute().unwrap();
    let values = out.take().unwrap();
    assert_eq!(values.len(), 8, "{values:?}");
    assert!(values.iter().all(|v| v.starts_with("old")));
    let input = report.operator("input").unwrap();
    assert_eq!(input.records_out, 8);
    assert_eq!((input.estimated.low, input.estimated.high), (8.0, 8.0));
    assert_eq!((explained.low, explained.high), (8.0, 8.0));
}
