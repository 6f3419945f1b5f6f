//! Kafka on spark: parallel reads of offset ranges, writes from every task,
//! the same results and the same commit rules as java.

use wayang_api::kafka::BadRecordPolicy;
use wayang_api::{PlanBuilder, WayangContext};
use wayang_kafka::embedded::EmbeddedCluster;

fn spark(partitions: usize) -> WayangContext {
    WayangContext::new()
        .with(wayang_spark::plugin())
        .with_config(wayang_spark::PARTITIONS_KEY, partitions)
        .with_config(wayang_spark::KAFKA_MIN_TASKS_KEY, partitions)
        .with_config(wayang_kafka::TIMEOUT_KEY, 3000)
        .with_config(wayang_kafka::READ_IDLE_TIMEOUT_KEY, 5000)
}

fn cluster(alias: &str, topic: &str, partitions: i32, records: u32) -> EmbeddedCluster {
    let cluster = EmbeddedCluster::start(alias, 1).unwrap();
    cluster.create_topic(topic, partitions).unwrap();
    cluster
        .produce(
            topic,
            (0..records).map(|i| (Some(format!("k{}", i % 13)), i.to_string())),
        )
        .unwrap();
    cluster
}

fn read_numbers(
    cluster: &EmbeddedCluster,
    ctx: &WayangContext,
    group: Option<&str>,
) -> wayang_api::Result<(Vec<u32>, wayang_api::JobReport)> {
    let plan = PlanBuilder::new();
    let mut source = plan.read_kafka_topic(&cluster.cluster(), "t");
    if let Some(group) = group {
        source = source.resume_group(group);
    }
    let out = source.json::<u32>().named("numbers").collect();
    let report = plan.execute(ctx)?;
    let mut numbers = out.take()?;
    numbers.sort();
    Ok((numbers, report))
}

#[test]
fn a_one_partition_topic_is_read_by_several_tasks() {
    let cluster = cluster("one", "t", 1, 1000);
    let ctx = spark(4);
    let (numbers, report) = read_numbers(&cluster, &ctx, None).unwrap();
    assert_eq!(numbers, (0..1000).collect::<Vec<_>>());
    assert_eq!(
        report.operator("numbers").unwrap().execution_operator,
        "SparkKafkaTopicSource"
    );
    assert_eq!(report.operator("numbers").unwrap().records_out, 1000);
}

#[test]
fn group_commits_cover_every_split_range() {
    let cluster = cluster("commits", "t", 2, 500);
    let (first, _) = read_numbers(&cluster, &spark(5), Some("g")).unwrap();
    assert_eq!(first.len(), 500);
    let (again, _) = read_numbers(&cluster, &spark(5), Some("g")).unwrap();
    assert!(
        again.is_empty(),
        "everything was committed: {} records read again",
        again.len()
    );
    cluster
        .produce("t", (500..510u32).map(|i| (None::<&str>, i.to_string())))
        .unwrap();
    let (new, _) = read_numbers(&cluster, &spark(3), Some("g")).unwrap();
    assert_eq!(new, (500..510).collect::<Vec<_>>());
}

#[test]
fn a_failing_task_fails_the_job_and_commits_nothing() {
    let cluster = cluster("failing", "t", 2, 300);
    cluster
        .produce("t", [(None::<&str>, "not a number")])
        .unwrap();
    let error = read_numbers(&cluster, &spark(4), Some("g"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("cluster \"failing\": topic \"t\" partition"),
        "{error}"
    );
    assert!(error.contains("value is not valid json"), "{error}");
    // Skipping the bad record, the same group still reads everything.
    let plan = PlanBuilder::new();
    let out = plan
        .read_kafka_topic(&cluster.cluster(), "t")
        .resume_group("g")
        .on_bad_record(BadRecordPolicy::Skip)
        .json::<u32>()
        .collect();
    plan.execute(&spark(4)).unwrap();
    assert_eq!(out.take().unwrap().len(), 300);
}

#[test]
fn every_task_writes_and_keys_are_honoured() {
    let input = cluster("in", "t", 3, 2000);
    let output = EmbeddedCluster::start("out", 1).unwrap();
    output.create_topic("doubled", 6).unwrap();
    let plan = PlanBuilder::new();
    plan.read_kafka_topic(&input.cluster(), "t")
        .json::<u32>()
        .map(|x| (x % 13, x * 2))
        .write_kafka_topic(&output.cluster(), "doubled")
        .key(|(k, _)| k.to_string())
        .json();
    let report = plan.execute(&spark(4)).unwrap();
    let sink = report
        .operators
        .iter()
        .find(|o| o.execution_operator == "SparkKafkaTopicSink")
        .unwrap();
    assert_eq!(sink.records_out, 2000);
    let stored = output.read_all("doubled").unwrap();
    assert_eq!(stored.len(), 2000);
    let mut partition_of = std::collections::HashMap::new();
    for record in &stored {
        assert_eq!(
            *partition_of
                .entry(record.key.clone())
                .or_insert(record.partition),
            record.partition
        );
    }
    let mut values: Vec<(u32, u32)> = stored
        .iter()
        .map(|r| serde_json::from_slice(r.value.as_ref().unwrap()).unwrap())
        .collect();
    values.sort();
    let mut expected: Vec<(u32, u32)> = (0..2000).map(|x| (x % 13, x * 2)).collect();
    expected.sort();
    assert_eq!(values, expected);
}
