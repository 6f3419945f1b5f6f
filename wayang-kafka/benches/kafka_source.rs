//! Records/s of the java platform's Kafka source next to a bare rdkafka
//! `BaseConsumer` loop reading the same topic from the same broker with the
//! same stop rule (watermarks resolved once, each partition done at its
//! end offset). Prints figures; asserts nothing about speed (see
//! docs/benchmarks.md).
//!
//! `cargo bench -p wayang-kafka --bench kafka_source [-- RECORDS]`
//! With `WAYANG_BENCH_BROKERS=host:port` it also measures that broker
//! (e.g. tansu: `bash scripts/real-broker.sh start`).

mod common;

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError as RdError;
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use wayang_api::kafka::{KafkaCluster, StopOffsets};
use wayang_api::{PlanBuilder, WayangContext};
use wayang_kafka::embedded::EmbeddedCluster;
use wayang_kafka::{admin, KafkaSettings};

const PARTITIONS: i32 = 32;
const PAYLOAD: usize = 100;
const ROUNDS: usize = 5;

fn main() {
    let records: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(300_000);
    let embedded = EmbeddedCluster::start("bench", 3).expect("embedded cluster");
    embedded.create_topic("bench", PARTITIONS).expect("topic");
    common::fill(&embedded.cluster(), "bench", records, PAYLOAD, PARTITIONS);
    let low: i64 = embedded
        .low_watermarks("bench")
        .expect("watermarks")
        .into_iter()
        .sum();
    assert_eq!(
        low, 0,
        "the mock broker dropped records: use more partitions"
    );
    measure(
        "embedded mock cluster (3 brokers)",
        &embedded.cluster(),
        "bench",
        records,
        StopOffsets::HighWatermark,
    );

    if let Ok(servers) = std::env::var("WAYANG_BENCH_BROKERS") {
        let real = KafkaCluster::new("real").with("bootstrap.servers", servers.as_str());
        let topic = format!("bench-{}", std::process::id());
        admin::create_topic(&real, &topic, PARTITIONS, &KafkaSettings::default()).expect("topic");
        common::fill(&real, &topic, records, PAYLOAD, PARTITIONS);
        // tansu's memory storage reports a wrong high watermark: read to the end.
        measure(
            &format!("real broker at {servers}"),
            &real,
            &topic,
            records,
            StopOffsets::EndOfPartition,
        );
    }
}

fn measure(broker: &str, cluster: &KafkaCluster, topic: &str, records: u64, stop: StopOffsets) {
    println!("{broker}: {records} records of {PAYLOAD} B in {PARTITIONS} partitions, {ROUNDS} interleaved rounds");
    let ctx = WayangContext::new().with(wayang_java::plugin());
    let java = || {
        let plan = PlanBuilder::new();
        let count = plan
            .read_kafka_topic(cluster, topic)
            .ending_offsets(stop.clone())
            .bytes()
            .map(|payload| payload.len() as u64)
            .reduce(|a, b| a + b)
            .collect();
        plan.execute(&ctx).expect("job");
        count.take().expect("bytes")[0] / PAYLOAD as u64
    };
    // Interleaved, so that both see the same broker and machine conditions.
    let (mut bare_times, mut java_times) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        bare_times.push(timed(records, || bare_loop(cluster, topic, &stop)));
        java_times.push(timed(records, java));
    }
    let rate = |d: Duration| records as f64 / d.as_secs_f64() / 1e6;
    for (name, times) in [
        ("bare BaseConsumer loop", &mut bare_times),
        ("wayang java source", &mut java_times),
    ] {
        times.sort();
        let (best, median) = (times[0], times[times.len() / 2]);
        println!(
            "  {name:<24} best {:>7.1} ms ({:.3} M rec/s), median {:>7.1} ms ({:.3} M rec/s)",
            best.as_secs_f64() * 1e3,
            rate(best),
            median.as_secs_f64() * 1e3,
            rate(median)
        );
    }
    let ratio = |i: usize| bare_times[i].as_secs_f64() / java_times[i].as_secs_f64();
    println!(
        "  java / bare throughput: best {:.2}, median {:.2}",
        ratio(0),
        ratio(ROUNDS / 2)
    );
}

/// Resolves every partition's high watermark once (one batched request, as
/// wayang's source does), assigns every partition from offset 0 and polls
/// until each partition's position reaches its high watermark, summing
/// payload bytes: the least a reader with the same stop rule can do.
fn bare_loop(cluster: &KafkaCluster, topic: &str, stop_rule: &StopOffsets) -> u64 {
    let servers = cluster.get("bootstrap.servers").expect("servers");
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", servers)
        .set("group.id", "bench-bare")
        .set("enable.partition.eof", "true")
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "100")
        .create()
        .expect("consumer");
    let mut request = TopicPartitionList::new();
    for partition in 0..PARTITIONS {
        request
            .add_partition_offset(topic, partition, Offset::End)
            .expect("request");
    }
    let ends = consumer
        .offsets_for_times(request, Duration::from_secs(10))
        .expect("watermarks");
    // Reading to the end of each partition (as wayang's EndOfPartition
    // does, for tansu's wrong watermarks): no stop offset, EOF decides.
    let to_eof = *stop_rule == StopOffsets::EndOfPartition;
    let mut stop = vec![if to_eof { i64::MAX } else { 0 }; PARTITIONS as usize];
    for element in ends.elements() {
        if let (Offset::Offset(end), false) = (element.offset(), to_eof) {
            stop[element.partition() as usize] = end;
        }
    }
    let mut assignment = TopicPartitionList::new();
    for partition in 0..PARTITIONS {
        assignment
            // Explicit offsets, as the wayang reader assigns them
            // (Offset::Beginning costs each partition an offset lookup).
            .add_partition_offset(topic, partition, Offset::Offset(0))
            .expect("assign");
    }
    consumer.assign(&assignment).expect("assign");
    let mut open = stop.iter().filter(|end| **end > 0).count();
    let mut done = vec![false; PARTITIONS as usize];
    let mut bytes = 0u64;
    while open > 0 {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => {
                let partition = message.partition() as usize;
                if done[partition] {
                    continue;
                }
                bytes += message.payload().map_or(0, |p| p.len() as u64);
                if message.offset() + 1 >= stop[partition] {
                    done[partition] = true;
                    open -= 1;
                }
            }
            Some(Err(RdError::PartitionEOF(partition))) => {
                let partition = partition as usize;
                if !done[partition] && stop[partition] > 0 {
                    done[partition] = true;
                    open -= 1;
                }
            }
            Some(Err(error)) => panic!("{error}"),
            None => {}
        }
    }
    bytes / PAYLOAD as u64
}

fn timed(records: u64, run: impl FnOnce() -> u64) -> Duration {
    let started = Instant::now();
    assert_eq!(run(), records, "every record read");
    started.elapsed()
}
