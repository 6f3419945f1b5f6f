//! Bad input and broken clusters give clear, located errors, never a hang.

mod common;

use std::time::{Duration, Instant};

use wayang_api::kafka::{BadRecordPolicy, KafkaCluster};
use wayang_api::PlanBuilder;
use wayang_kafka::KafkaError;

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Reading {
    sensor: String,
    value: f64,
}

#[test]
fn unreachable_cluster_fails_within_the_configured_timeout() {
    // Port 1 on loopback: nothing listens there.
    let nowhere = KafkaCluster::new("nowhere").with("bootstrap.servers", "127.0.0.1:1");
    let plan = PlanBuilder::new();
    let _ = plan.read_kafka_topic(&nowhere, "t").string().collect();
    let started = Instant::now();
    let error = plan.execute(&common::ctx()).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    let text = error.to_string();
    assert!(
        text.contains("cluster \"nowhere\" (127.0.0.1:1): no answer within 3000 ms"),
        "{text}"
    );
    assert!(matches!(
        error.cause_as::<KafkaError>(),
        Some(KafkaError::Unreachable { .. })
    ));
}

#[test]
fn missing_topics_are_named() {
    let cluster = common::cluster_with("emea", "exists", 1);
    let plan = PlanBuilder::new();
    let _ = plan
        .read_kafka_topic(&cluster.cluster(), "no-such-topic")
        .string()
        .collect();
    let error = plan.execute(&common::ctx()).unwrap_err().to_string();
    assert!(
        error.contains("cluster \"emea\": topic \"no-such-topic\" does not exist"),
        "{error}"
    );

    let plan = PlanBuilder::new();
    plan.read_collection(vec!["x".to_string()])
        .write_kafka_topic(&cluster.cluster(), "no-such-output")
        .string();
    let error = plan.execute(&common::ctx()).unwrap_err().to_string();
    assert!(
        error.contains("topic \"no-such-output\" does not exist"),
        "{error}"
    );
}

fn mixed_topic() -> wayang_kafka::embedded::EmbeddedCluster {
    let cluster = common::cluster_with("sensors", "readings", 1);
    cluster.create_topic("dead-letters", 1).unwrap();
    cluster
        .produce(
            "readings",
            [
                (Some("a"), r#"{"sensor":"a","value":1.5}"#),
                (Some("b"), r#"{"sensor":"b","value":"#),
                (Some("c"), r#"{"sensor":"c","value":2.5}"#),
                (Some("d"), "not json at all"),
            ],
        )
        .unwrap();
    cluster
}

fn read_with(
    cluster: &wayang_kafka::embedded::EmbeddedCluster,
    policy: BadRecordPolicy,
) -> (
    wayang_api::Result<wayang_api::JobReport>,
    wayang_api::Collector<Reading>,
) {
    let plan = PlanBuilder::new();
    let out = plan
        .read_kafka_topic(&cluster.cluster(), "readings")
        .on_bad_record(policy)
        .json::<Reading>()
        .named("readings")
        .collect();
    (plan.execute(&common::ctx()), out)
}

#[test]
fn undecodable_record_fails_the_job_with_its_location_by_default() {
    let cluster = mixed_topic();
    let (result, out) = read_with(&cluster, BadRecordPolicy::Fail);
    let error = result.unwrap_err().to_string();
    assert!(
        error.starts_with("operator KafkaTopicSource \"readings\" (#0): cluster \"sensors\": topic \"readings\" partition 0 offset 1: value is not valid json:"),
        "{error}"
    );
    assert!(out.take().is_err(), "nothing delivered");
}

#[test]
fn undecodable_records_can_be_skipped_and_counted() {
    let cluster = mixed_topic();
    let (result, out) = read_with(&cluster, BadRecordPolicy::Skip);
    let report = result.unwrap();
    let sensors: Vec<String> = out.take().unwrap().into_iter().map(|r| r.sensor).collect();
    assert_eq!(sensors, ["a", "c"]);
    assert_eq!(
        report.operator("readings").unwrap().counters.get("skipped"),
        Some(&2)
    );
}

#[test]
fn undecodable_records_can_go_to_a_dead_letter_topic() {
    let cluster = mixed_topic();
    let (result, out) = read_with(&cluster, BadRecordPolicy::DeadLetter("dead-letters".into()));
    let report = result.unwrap();
    assert_eq!(out.take().unwrap().len(), 2);
    assert_eq!(
        report
            .operator("readings")
            .unwrap()
            .counters
            .get("dead_lettered"),
        Some(&2)
    );
    let dead = cluster.read_all("dead-letters").unwrap();
    assert_eq!(dead.len(), 2);
    assert_eq!(dead[1].key.as_deref(), Some(&b"d"[..]));
    assert_eq!(dead[1].value.as_deref(), Some(&b"not json at all"[..]));
    let header = |name: &str| {
        dead[1]
            .headers
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.clone())
            .map(|v| String::from_utf8(v).unwrap())
    };
    assert!(
        header("wayang.error").unwrap().contains("expected"),
        "{:?}",
        header("wayang.error")
    );
    assert_eq!(header("wayang.source.offset").as_deref(), Some("3"));
    assert_eq!(header("wayang.source.topic").as_deref(), Some("readings"));
}

#[test]
fn a_sink_whose_broker_rejects_writes_fails_the_job() {
    let cluster = common::cluster_with("strict", "out", 2);
    common::reject_writes(&cluster, "out");
    let plan = PlanBuilder::new();
    plan.read_collection((0..10).map(|i| i.to_string()))
        .write_kafka_topic(&cluster.cluster(), "out")
        .string();
    let started = Instant::now();
    let error = plan.execute(&common::ctx()).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    let text = error.to_string();
    assert!(text.contains("cluster \"strict\""), "{text}");
    assert!(text.contains("topic \"out\""), "{text}");
}
