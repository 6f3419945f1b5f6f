//! What the Kafka benches share: filling a topic with numbered records.

use wayang_api::kafka::KafkaCluster;
use wayang_api::{PlanBuilder, WayangContext};

/// Writes `records` records of `payload` bytes (the record's number, then
/// padding) round-robin over `partitions` partitions: keyless records are
/// sticky-partitioned in bursts, which can push one partition past the mock
/// broker's retention.
pub fn fill(cluster: &KafkaCluster, topic: &str, records: u64, payload: usize, partitions: i32) {
    let plan = PlanBuilder::new();
    plan.read_collection(0..records)
        .map(move |i| {
            let mut bytes = format!("{i:020}").into_bytes();
            bytes.resize(payload, b'x');
            bytes
        })
        .write_kafka_topic(cluster, topic)
        .partition(move |bytes| {
            let index: u64 = std::str::from_utf8(&bytes[..20])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            (index % partitions as u64) as i32
        })
        .bytes();
    plan.execute(&WayangContext::new().with(wayang_java::plugin()))
        .expect("fill");
}
