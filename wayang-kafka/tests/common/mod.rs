//! Shared helpers of the Kafka integration tests.

#![allow(dead_code)]

use wayang_api::WayangContext;
use wayang_kafka::embedded::EmbeddedCluster;

/// A java context with short Kafka timeouts, so failures show quickly.
pub fn ctx() -> WayangContext {
    WayangContext::new()
        .with(wayang_java::plugin())
        .with_config(wayang_kafka::TIMEOUT_KEY, 3000)
        .with_config(wayang_kafka::READ_IDLE_TIMEOUT_KEY, 5000)
        .with_config(wayang_kafka::FLUSH_TIMEOUT_KEY, 5000)
}

/// An embedded cluster with one topic.
pub fn cluster_with(alias: &str, topic: &str, partitions: i32) -> EmbeddedCluster {
    let cluster = EmbeddedCluster::start(alias, 1).expect("embedded cluster");
    cluster.create_topic(topic, partitions).expect("topic");
    cluster
}

/// The values of a topic as strings, sorted.
pub fn values(cluster: &EmbeddedCluster, topic: &str) -> Vec<String> {
    let mut values: Vec<String> = cluster
        .read_all(topic)
        .expect("read back")
        .into_iter()
        .map(|r| String::from_utf8(r.value.unwrap_or_default()).expect("utf-8"))
        .collect();
    values.sort();
    values
}

/// Makes the broker reject every write to `topic` (not retriable).
pub fn reject_writes(cluster: &EmbeddedCluster, topic: &str) {
    cluster
        .mock()
        .topic_error(
            topic,
            rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
        )
        .expect("fault injection");
}

/// Runs `work` on a thread and fails the test if it has not ended within a
/// minute: a bound on hangs, not a measurement (speed is benchmarked).
pub fn within_a_minute<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(work()).unwrap());
    result
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("no hang: the call ended within a minute")
}
