//! Records/s of the java platform's Kafka source next to a bare rdkafka
//! `BaseConsumer` loop reading the same topic from the same broker. Prints
//! figures; asserts nothing about speed (see docs/benchmarks.md).
//!
//! `cargo bench -p wayang-kafka --bench kafka_source [-- RECORDS]`
//! With `WAYANG_BENCH_BROKERS=host:port` it also measures that broker
//! (e.g. tansu: `bash scripts/real-broker.sh start`).

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError as RdError;
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use wayang_api::kafka::{KafkaCluster, StopOffsets};
use wayang_api::{PlanBuilder, WayangContext};
use wayang_kafka::embedded::EmbeddedCluster;
use wayang_kafka::{admin, KafkaSettings};

const PARTITIONS: i32 = 16;
const PAYLOAD: usize = 100;
const REPEATS: usize = 3;

fn main() {
    let records: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(400_000);
    let embedded = EmbeddedCluster::start("bench", 3).expect("embedded cluster");
    embedded.create_topic("bench", PARTITIONS).expect("topic");
    fill(&embedded.cluster(), "bench", records);
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
        fill(&real, &topic, records);
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

fn fill(cluster: &KafkaCluster, topic: &str, records: u64) {
    let plan = PlanBuilder::new();
    plan.read_collection(0..records)
        .map(|i| {
            let mut payload = format!("{i:020}").into_bytes();
            payload.resize(PAYLOAD, b'x');
            payload
        })
        .write_kafka_topic(cluster, topic)
        .bytes();
    plan.execute(&WayangContext::new().with(wayang_java::plugin()))
        .expect("fill");
}

fn measure(broker: &str, cluster: &KafkaCluster, topic: &str, records: u64, stop: StopOffsets) {
    println!(
        "{broker}: {records} records of {PAYLOAD} B in {PARTITIONS} partitions, best of {REPEATS}"
    );
    let bare = best(records, || bare_loop(cluster, topic));
    let ctx = WayangContext::new().with(wayang_java::plugin());
    let java = best(records, || {
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
    });
    let rate = |d: Duration| records as f64 / d.as_secs_f64() / 1e6;
    println!(
        "  bare BaseConsumer loop   {:>8.1} ms  {:>6.3} M rec/s",
        bare.as_secs_f64() * 1e3,
        rate(bare)
    );
    println!(
        "  wayang java source       {:>8.1} ms  {:>6.3} M rec/s",
        java.as_secs_f64() * 1e3,
        rate(java)
    );
    println!(
        "  java / bare throughput: {:.2}",
        bare.as_secs_f64() / java.as_secs_f64()
    );
}

/// Assigns every partition from the start and polls until each reports its
/// end, summing payload bytes: the least a reader can do.
fn bare_loop(cluster: &KafkaCluster, topic: &str) -> u64 {
    let servers = cluster.get("bootstrap.servers").expect("servers");
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", servers)
        .set("group.id", "bench-bare")
        .set("enable.partition.eof", "true")
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "100")
        .create()
        .expect("consumer");
    let mut assignment = TopicPartitionList::new();
    for partition in 0..PARTITIONS {
        assignment
            .add_partition_offset(topic, partition, Offset::Beginning)
            .expect("assign");
    }
    consumer.assign(&assignment).expect("assign");
    let (mut open, mut bytes) = (PARTITIONS, 0u64);
    while open > 0 {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => bytes += message.payload().map_or(0, |p| p.len() as u64),
            Some(Err(RdError::PartitionEOF(_))) => open -= 1,
            Some(Err(error)) => panic!("{error}"),
            None => {}
        }
    }
    bytes / PAYLOAD as u64
}

fn best(records: u64, mut run: impl FnMut() -> u64) -> Duration {
    (0..REPEATS)
        .map(|_| {
            let started = Instant::now();
            assert_eq!(run(), records, "every record read");
            started.elapsed()
        })
        .min()
        .expect("at least one run")
}
