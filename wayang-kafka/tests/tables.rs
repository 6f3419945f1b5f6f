//! Keyed topics as tables: reads keep the latest record per key with
//! tombstones deleting, and table sinks replace a topic's table, deleting
//! the keys a job no longer writes.

mod common;

use wayang_api::kafka::BadRecordPolicy;
use wayang_api::{PlanBuilder, WayangContext};
use wayang_kafka::embedded::EmbeddedCluster;

fn contexts() -> Vec<(&'static str, WayangContext)> {
    vec![
        ("java", common::ctx()),
        (
            "spark",
            WayangContext::new()
                .with(wayang_spark::plugin())
                .with_config(wayang_kafka::TIMEOUT_KEY, 3000)
                .with_config(wayang_spark::KAFKA_MIN_TASKS_KEY, 4),
        ),
    ]
}

fn read_table(
    cluster: &EmbeddedCluster,
    ctx: &WayangContext,
    policy: BadRecordPolicy,
) -> wayang_api::Result<Vec<String>> {
    let plan = PlanBuilder::new();
    let rows = plan
        .read_kafka_topic(&cluster.cluster(), "t")
        .on_bad_record(policy)
        .as_table()
        .string()
        .collect();
    plan.execute(ctx)?;
    let mut rows = rows.take()?;
    rows.sort();
    Ok(rows)
}

#[test]
fn the_latest_record_per_key_wins_and_tombstones_delete() {
    let cluster = common::cluster_with("tables", "t", 3);
    cluster
        .produce_changes(
            "t",
            [
                ("a", Some("a1")),
                ("b", Some("b1")),
                ("c", Some("c1")),
                ("a", Some("a2")),
                ("b", None),
                ("d", Some("d1")),
                ("a", Some("a3")),
                ("d", None),
                ("d", Some("d2")),
            ],
        )
        .unwrap();
    for (label, ctx) in contexts() {
        let rows = read_table(&cluster, &ctx, BadRecordPolicy::Fail).unwrap();
        assert_eq!(rows, ["a3", "c1", "d2"], "{label}");
    }
}

#[test]
fn a_keyless_record_is_a_bad_record_and_follows_the_policy() {
    let cluster = common::cluster_with("keyless", "t", 1);
    cluster.produce_changes("t", [("a", Some("a1"))]).unwrap();
    cluster.produce("t", [(None::<&str>, "orphan")]).unwrap();
    let error = read_table(&cluster, &common::ctx(), BadRecordPolicy::Fail)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("topic \"t\" partition 0 offset 1") && error.contains("no key"),
        "{error}"
    );
    let rows = read_table(&cluster, &common::ctx(), BadRecordPolicy::Skip).unwrap();
    assert_eq!(rows, ["a1"]);
}

#[test]
fn a_key_in_two_partitions_is_an_error_naming_both() {
    let cluster = common::cluster_with("split", "t", 2);
    let plan = PlanBuilder::new();
    plan.read_collection(vec![("k".to_string(), 0), ("k".to_string(), 1)])
        .write_kafka_topic(&cluster.cluster(), "t")
        .key(|(key, _)| key.clone())
        .partition(|(_, partition)| *partition)
        .format::<wayang_api::formats::Json<(String, i32)>>();
    plan.execute(&common::ctx()).unwrap();
    for (label, ctx) in contexts() {
        let plan = PlanBuilder::new();
        let _ = plan
            .read_kafka_topic(&cluster.cluster(), "t")
            .as_table()
            .json::<(String, i32)>()
            .collect();
        let error = plan.execute(&ctx).unwrap_err().to_string();
        assert!(
            error.contains("cluster \"split\": topic \"t\": key \"k\" is in partitions 0 and 1"),
            "{label}: {error}"
        );
    }
}

fn write_table(
    cluster: &EmbeddedCluster,
    ctx: &WayangContext,
    rows: &[(&str, &str)],
) -> wayang_api::Result<wayang_api::JobReport> {
    let rows: Vec<(String, String)> = rows
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let plan = PlanBuilder::new();
    plan.read_collection(rows)
        .write_kafka_topic(&cluster.cluster(), "t")
        .key(|(key, _)| key.clone())
        .as_table()
        .json();
    plan.execute(ctx)
}

fn current(cluster: &EmbeddedCluster) -> Vec<(String, String)> {
    let plan = PlanBuilder::new();
    let rows = plan
        .read_kafka_topic(&cluster.cluster(), "t")
        .as_table()
        .json::<(String, String)>()
        .collect();
    plan.execute(&common::ctx()).unwrap();
    let mut rows = rows.take().unwrap();
    rows.sort();
    rows
}

#[test]
fn a_table_sink_replaces_the_table_and_deletes_vanished_keys() {
    for (label, ctx) in contexts() {
        let cluster = common::cluster_with("sink", "t", 3);
        write_table(&cluster, &ctx, &[("a", "1"), ("b", "2"), ("c", "3")]).unwrap();
        let report = write_table(&cluster, &ctx, &[("a", "1"), ("c", "30")]).unwrap();
        let sink = report.operators.iter().find(|o| o.kind.is_sink()).unwrap();
        assert_eq!(sink.counters.get("tombstones"), Some(&1), "{label}");
        assert_eq!(
            current(&cluster),
            [("a".into(), "1".into()), ("c".into(), "30".into())],
            "{label}"
        );
        // The tombstone went to the partition that held the key.
        let records = cluster.read_all("t").unwrap();
        let b: Vec<_> = records
            .iter()
            .filter(|r| r.key.as_deref() == Some(&b"b"[..]))
            .collect();
        assert_eq!(b.len(), 2, "{label}");
        assert_eq!(b[0].partition, b[1].partition, "{label}");
        assert!(b[1].value.is_none(), "{label}");
        // Writing the same rows again changes nothing in the table.
        write_table(&cluster, &ctx, &[("a", "1"), ("c", "30")]).unwrap();
        assert_eq!(current(&cluster).len(), 2, "{label}");
    }
}

#[test]
fn a_table_sink_needs_a_key_and_one_record_per_key() {
    let cluster = common::cluster_with("strict-table", "t", 1);
    let error = write_table(&cluster, &common::ctx(), &[("a", "1"), ("a", "2")])
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("key \"a\" comes twice in the job's output"),
        "{error}"
    );

    let plan = PlanBuilder::new();
    plan.read_collection(vec!["x".to_string()])
        .write_kafka_topic(&cluster.cluster(), "t")
        .as_table()
        .string();
    let error = plan.execute(&common::ctx()).unwrap_err().to_string();
    assert!(error.contains("has no key: add .key(..)"), "{error}");
}

#[test]
fn a_table_read_cannot_start_anywhere_but_the_start() {
    let cluster = common::cluster_with("whole", "t", 1);
    let plan = PlanBuilder::new();
    let _ = plan
        .read_kafka_topic(&cluster.cluster(), "t")
        .resume_group("g")
        .as_table()
        .string()
        .collect();
    let error = plan.execute(&common::ctx()).unwrap_err().to_string();
    assert!(
        error.contains("are always read whole from the earliest offset"),
        "{error}"
    );
}
