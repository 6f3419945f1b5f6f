//! Bad input and broken clusters give clear, located errors, never a hang.

mod common;

use wayang_api::kafka::{BadRecordPolicy, KafkaCluster};
use wayang_api::PlanBuilder;
use wayang_kafka::{ErrorCode, KafkaError, KafkaSettings};

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
    let built = plan.build().unwrap();
    let error = common::within_a_minute(move || common::ctx().execute(&built).unwrap_err());
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
    let built = plan.build().unwrap();
    let error = common::within_a_minute(move || common::ctx().execute(&built).unwrap_err());
    let text = error.to_string();
    assert!(text.contains("cluster \"strict\""), "{text}");
    assert!(text.contains("topic \"out\""), "{text}");
}

#[test]
fn records_never_acknowledged_fail_the_sink_at_its_flush_timeout() {
    let cluster = common::cluster_with("no-acks", "out", 1);
    // Every produce request is answered with a retriable error: the records
    // stay in flight, and only the flush timeout ends the wait.
    cluster.mock().request_errors(
        rdkafka::types::RDKafkaApiKey::Produce,
        &[rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS; 100_000],
    );
    let ctx = common::ctx().with_config(wayang_kafka::FLUSH_TIMEOUT_KEY, 1500);
    let plan = PlanBuilder::new();
    plan.read_collection((0..10).map(|i| i.to_string()))
        .write_kafka_topic(&cluster.cluster(), "out")
        .string();
    let built = plan.build().unwrap();
    // Within a minute: the flush gives up at its timeout, not at
    // librdkafka's message timeout (300 s).
    let error = common::within_a_minute(move || ctx.execute(&built).unwrap_err());
    let text = error.to_string();
    assert!(
        text.contains("not delivered within 1500 ms (wayang.kafka.write.flush_timeout.ms)"),
        "{text}"
    );
    assert!(text.contains("cluster \"no-acks\""), "{text}");
    assert!(matches!(
        error.cause_as::<KafkaError>(),
        Some(KafkaError::Delivery { sent: 10, .. })
    ));
}

#[test]
fn a_group_commit_without_an_answer_fails_within_the_timeout() {
    let cluster = common::cluster_with("slow-coordinator", "t", 1);
    cluster.produce("t", [(None::<&str>, "a")]).unwrap();
    // Reading needs no group coordinator; committing does, and never finds one.
    cluster.mock().request_errors(
        rdkafka::types::RDKafkaApiKey::FindCoordinator,
        &[rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE; 10_000],
    );
    let ctx = common::ctx().with_config(wayang_kafka::TIMEOUT_KEY, 1500);
    let plan = PlanBuilder::new();
    let out = plan
        .read_kafka_topic(&cluster.cluster(), "t")
        .commit_to_group("g")
        .string()
        .collect();
    let built = plan.build().unwrap();
    let error = common::within_a_minute(move || ctx.execute(&built).unwrap_err());
    let text = error.to_string();
    assert!(
        text.contains("consumer group \"g\": cannot commit offsets: no answer within 1500 ms"),
        "{text}"
    );
    assert!(matches!(
        error.cause_as::<KafkaError>(),
        Some(KafkaError::Commit {
            code: Some(ErrorCode::TIMED_OUT),
            ..
        })
    ));
    // The output had been delivered before the acknowledgement failed, and
    // the error says so.
    assert!(
        matches!(error, wayang_core::Error::PartialCommit { .. }),
        "{error:?}"
    );
    assert_eq!(out.take().unwrap(), ["a"]);
}

#[test]
fn refused_credentials_are_reported_as_such_before_the_timeout() {
    let cluster = common::cluster_with("plaintext-only", "t", 1);
    let secured = cluster
        .cluster()
        .with("security.protocol", "SASL_PLAINTEXT")
        .with("sasl.mechanisms", "PLAIN")
        .with("sasl.username", "analyst")
        .with("sasl.password", "n0t-the-password");
    // With a 60 s deadline, a wait for the timeout would report "no answer".
    let ctx = common::ctx().with_config(wayang_kafka::TIMEOUT_KEY, 60_000);
    let plan = PlanBuilder::new();
    let _ = plan.read_kafka_topic(&secured, "t").string().collect();
    let built = plan.build().unwrap();
    let error = common::within_a_minute(move || ctx.execute(&built).unwrap_err());
    let text = error.to_string();
    assert!(
        matches!(
            error.cause_as::<KafkaError>(),
            Some(KafkaError::Authentication { .. })
        ),
        "{text}"
    );
    assert!(text.contains("cluster \"plaintext-only\""), "{text}");
    assert!(text.contains("authentication failed: "), "{text}");
    assert!(
        text.contains("SASL"),
        "librdkafka's reason is given: {text}"
    );
    assert!(!text.contains("n0t-the-password"), "{text}");
}

#[test]
fn a_stalled_read_names_the_partitions_it_waits_for() {
    let cluster = wayang_kafka::embedded::EmbeddedCluster::start("two-brokers", 2).unwrap();
    cluster.create_topic("t", 2).unwrap();
    cluster.mock().partition_leader("t", 0, Some(1)).unwrap();
    cluster.mock().partition_leader("t", 1, Some(2)).unwrap();
    cluster
        .produce("t", (0..20).map(|i| (Some(format!("k{i}")), i.to_string())))
        .unwrap();
    let ctx = common::ctx().with_config(wayang_kafka::READ_IDLE_TIMEOUT_KEY, 2000);
    let plan = PlanBuilder::new();
    let _ = plan
        .read_kafka_topic(&cluster.cluster(), "t")
        .string()
        .collect();
    // The ranges are resolved; then partition 1's leader goes away.
    let job = plan.prepare(&ctx).unwrap();
    cluster.mock().broker_down(2).unwrap();
    let error = common::within_a_minute(move || job.execute().unwrap_err().to_string());
    assert!(error.contains("no progress for"), "{error}");
    assert!(error.contains("on partition 1 at offset 0 of "), "{error}");
    assert!(
        !error.contains("partition 0"),
        "partition 0 was read to its end: {error}"
    );
}

#[test]
fn an_offset_out_of_range_is_blamed_on_its_partition() {
    use std::sync::Arc;
    use wayang_core::job::{JobState, OperatorLabel, OperatorProbe};
    use wayang_core::operators::RawRecords;

    let cluster = common::cluster_with("ranges", "t", 2);
    cluster
        .produce("t", (0..10).map(|i| (Some(format!("k{i}")), i.to_string())))
        .unwrap();
    let job = Arc::new(JobState::default());
    let label = OperatorLabel {
        kind: wayang_core::OperatorKind::KafkaTopicSource,
        name: Some("reader".into()),
        node: wayang_core::plan::NodeId(0),
    };
    let options = wayang_kafka::ReadOptions {
        settings: KafkaSettings::default(),
        policy: BadRecordPolicy::Fail,
        format: "bytes",
        needs_headers: false,
        probe: Arc::new(OperatorProbe::new(label, job.clone())),
        progress: Arc::new(wayang_kafka::ReadProgress::default()),
    };
    // Partition 0 from its start; partition 1 from an offset it never had.
    let range = |partition, from, until| wayang_kafka::OffsetRange {
        topic: "t".into(),
        partition,
        from,
        until,
    };
    let mut reader = wayang_kafka::RangeReader::new(
        cluster.cluster(),
        vec![range(0, 0, None), range(1, 1000, Some(1010))],
        options,
    );
    while reader.next_record(&mut |_| Ok(())) {}
    let error = job.take_error().expect("the read failed");
    let kafka = error.cause_as::<KafkaError>().expect("a Kafka error");
    let text = kafka.to_string();
    assert!(
        text.starts_with(
            "cluster \"ranges\": topic \"t\" partition 1: reading failed: offset 1000 is outside"
        ),
        "{text}"
    );
    assert_eq!(kafka.code(), Some(ErrorCode::OFFSET_OUT_OF_RANGE));
    assert!(!kafka.is_retriable());
}

#[test]
fn a_cluster_slower_than_the_first_wait_still_answers() {
    // Every request takes 300 ms, as to a cluster in another region: a
    // client that gave up on each request after 100 ms would never see an
    // answer.
    let cluster = common::cluster_with("far-away", "t", 1);
    cluster.produce("t", [(None::<&str>, "hello")]).unwrap();
    cluster
        .mock()
        .broker_round_trip_time(1, std::time::Duration::from_millis(300))
        .unwrap();
    let ctx = common::ctx().with_config(wayang_kafka::TIMEOUT_KEY, 10_000);
    let plan = PlanBuilder::new();
    let out = plan
        .read_kafka_topic(&cluster.cluster(), "t")
        .string()
        .collect();
    let built = plan.build().unwrap();
    common::within_a_minute(move || ctx.execute(&built).map(drop)).unwrap();
    assert_eq!(out.take().unwrap(), ["hello"]);
}
