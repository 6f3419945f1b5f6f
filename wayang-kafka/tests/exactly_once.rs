//! Exactly-once jobs on embedded clusters: output and source positions
//! committed together on the sink's cluster, resumed from on the next run;
//! plan checks; a failed job publishes and moves nothing; the job's
//! two-phase commit across sinks.
//!
//! The embedded (mock) broker implements neither transactional offsets nor
//! fencing nor aborted-record filtering, so what depends on those (crash
//! recovery, fencing) is tested against a real broker in real_broker.rs.

mod common;

use wayang_api::kafka::{BadRecordPolicy, ExactlyOnce};
use wayang_api::{PlanBuilder, WayangContext};
use wayang_kafka::embedded::EmbeddedCluster;
use wayang_kafka::exactly_once::committed_history;
use wayang_kafka::KafkaSettings;

struct Stand {
    emea: EmbeddedCluster,
    zone_b: EmbeddedCluster,
    eos: ExactlyOnce,
}

fn stand(job: &str) -> Stand {
    let emea = common::cluster_with("emea", "in", 2);
    let zone_b = common::cluster_with("zone-b", "out", 2);
    zone_b.create_topic("wayang-positions", 1).unwrap();
    let eos = ExactlyOnce::new(job, &zone_b.cluster());
    Stand { emea, zone_b, eos }
}

fn copy_job(
    stand: &Stand,
    ctx: &WayangContext,
    policy: BadRecordPolicy,
) -> wayang_api::Result<wayang_api::JobReport> {
    let plan = PlanBuilder::new();
    plan.read_kafka_topic(&stand.emea.cluster(), "in")
        .on_bad_record(policy)
        .exactly_once(&stand.eos)
        .json::<u32>()
        .map(|x| x * 10)
        .write_kafka_topic(&stand.zone_b.cluster(), "out")
        .exactly_once(&stand.eos)
        .json();
    plan.execute(ctx)
}

fn produce(cluster: &EmbeddedCluster, values: std::ops::Range<u32>) {
    cluster
        .produce("in", values.map(|v| (Some(format!("k{v}")), v.to_string())))
        .unwrap();
}

/// The output the job's committed transactions made visible, by the
/// offsets its commit records list (what a `read_committed` reader sees on
/// a broker that filters aborted transactions).
fn committed(stand: &Stand) -> Vec<u32> {
    let history = committed_history(&stand.eos, &KafkaSettings::default()).unwrap();
    let records = stand.zone_b.read_all("out").unwrap();
    let mut values: Vec<u32> = records
        .iter()
        .filter(|r| {
            history
                .iter()
                .flat_map(|c| &c.outputs)
                .any(|o| o.partition == r.partition && (o.first..=o.last).contains(&r.offset))
        })
        .map(|r| {
            String::from_utf8(r.value.clone().unwrap())
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    values.sort();
    values
}

fn output(cluster: &EmbeddedCluster) -> Vec<u32> {
    let mut values: Vec<u32> = common::values(cluster, "out")
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    values.sort();
    values
}

#[test]
fn each_run_resumes_where_the_last_committed_one_stopped() {
    let stand = stand("resume");
    produce(&stand.emea, 0..5);
    copy_job(&stand, &common::ctx(), BadRecordPolicy::Fail).unwrap();
    assert_eq!(output(&stand.zone_b), [0, 10, 20, 30, 40]);
    produce(&stand.emea, 5..8);
    let report = copy_job(&stand, &common::ctx(), BadRecordPolicy::Fail).unwrap();
    assert_eq!(
        report.operators[0].records_out, 3,
        "only the new records are read"
    );
    assert_eq!(output(&stand.zone_b), [0, 10, 20, 30, 40, 50, 60, 70]);
    assert_eq!(committed(&stand), output(&stand.zone_b));

    let history = committed_history(&stand.eos, &KafkaSettings::default()).unwrap();
    let sequences: Vec<u64> = history.iter().map(|c| c.sequence).collect();
    assert_eq!(
        sequences,
        [0, 1, 2],
        "the first run's empty record, then one per run"
    );
    let written: u64 = history
        .iter()
        .flat_map(|c| &c.outputs)
        .map(|o| o.records)
        .sum();
    assert_eq!(written, 8);
    let next: i64 = history[2].sources.iter().map(|p| p.next).sum();
    assert_eq!(next, 8, "the positions cover every record read");
    assert!(history[2]
        .sources
        .iter()
        .all(|p| p.cluster == "emea" && p.topic == "in"));

    // Nothing new: nothing is read, written or committed.
    let report = copy_job(&stand, &common::ctx(), BadRecordPolicy::Fail).unwrap();
    assert_eq!(report.operators[0].records_out, 0);
    assert_eq!(output(&stand.zone_b).len(), 8);
    let again = committed_history(&stand.eos, &KafkaSettings::default()).unwrap();
    assert_eq!(again.len(), 3, "an empty run commits no positions record");
}

#[test]
fn a_failed_exactly_once_job_publishes_nothing_and_moves_no_position() {
    let stand = stand("fails");
    produce(&stand.emea, 0..4);
    stand
        .emea
        .produce("in", [(Some("bad"), "not json")])
        .unwrap();
    produce(&stand.emea, 4..6);
    for ctx in [
        common::ctx(),
        WayangContext::new().with(wayang_spark::plugin()),
    ] {
        let error = copy_job(&stand, &ctx, BadRecordPolicy::Fail)
            .unwrap_err()
            .to_string();
        assert!(error.contains("value is not valid json"), "{error}");
        // A streaming copy sent what it read before the bad record, inside
        // the transaction the failure aborted: nothing is committed.
        let history = committed_history(&stand.eos, &KafkaSettings::default()).unwrap();
        assert!(
            history
                .iter()
                .all(|c| c.sources.is_empty() && c.outputs.is_empty()),
            "{history:?}"
        );
        assert!(committed(&stand).is_empty());
    }
    copy_job(&stand, &common::ctx(), BadRecordPolicy::Skip).unwrap();
    assert_eq!(
        committed(&stand),
        [0, 10, 20, 30, 40, 50],
        "every record once"
    );
}

#[test]
fn the_plan_binds_sources_and_one_sink_per_job_on_its_cluster() {
    let stand = stand("checks");
    let ctx = common::ctx();
    let other = common::cluster_with("apac", "out", 1);

    // A source of a job no sink commits.
    let plan = PlanBuilder::new();
    let _ = plan
        .read_kafka_topic(&stand.emea.cluster(), "in")
        .exactly_once(&stand.eos)
        .string()
        .collect();
    let error = plan.execute(&ctx).unwrap_err().to_string();
    assert!(
        error.contains("no Kafka sink of the plan commits that job"),
        "{error}"
    );

    // A sink on another cluster than the job's.
    let plan = PlanBuilder::new();
    plan.read_collection(vec!["x".to_string()])
        .write_kafka_topic(&other.cluster(), "out")
        .exactly_once(&stand.eos)
        .string();
    let error = plan.execute(&ctx).unwrap_err().to_string();
    assert!(
        error.contains("a Kafka transaction covers one cluster"),
        "{error}"
    );

    // Two sinks of one job.
    let plan = PlanBuilder::new();
    let input = plan.read_collection(vec!["x".to_string()]);
    input
        .write_kafka_topic(&stand.zone_b.cluster(), "out")
        .exactly_once(&stand.eos)
        .string();
    input
        .write_kafka_topic(&stand.zone_b.cluster(), "out")
        .exactly_once(&stand.eos)
        .string();
    let error = plan.execute(&ctx).unwrap_err().to_string();
    assert!(
        error.contains("both commit exactly-once job \"checks\""),
        "{error}"
    );

    // A source that also commits to a consumer group.
    let plan = PlanBuilder::new();
    plan.read_kafka_topic(&stand.emea.cluster(), "in")
        .resume_group("g")
        .exactly_once(&stand.eos)
        .string()
        .write_kafka_topic(&stand.zone_b.cluster(), "out")
        .exactly_once(&stand.eos)
        .string();
    let error = plan.execute(&ctx).unwrap_err().to_string();
    assert!(
        error.contains("drop resume_group/commit_to_group"),
        "{error}"
    );

    // A missing positions topic says how to create it.
    let bare = common::cluster_with("bare", "out", 1);
    let eos = ExactlyOnce::new("bare", &bare.cluster());
    let plan = PlanBuilder::new();
    plan.read_collection(vec!["x".to_string()])
        .write_kafka_topic(&bare.cluster(), "out")
        .exactly_once(&eos)
        .string();
    let error = plan.execute(&ctx).unwrap_err().to_string();
    assert!(
        error.contains(
            "positions topic \"wayang-positions\" does not exist; create it with one partition"
        ),
        "{error}"
    );
}

#[test]
fn a_failure_while_preparing_the_commit_makes_no_sink_visible() {
    let stand = stand("prepare-fails");
    produce(&stand.emea, 0..3);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("copy.txt");
    for point in ["before-positions", "before-commit"] {
        let ctx = common::ctx().with_config(wayang_kafka::CRASH_AT_KEY, point);
        let plan = PlanBuilder::new();
        let values = plan
            .read_kafka_topic(&stand.emea.cluster(), "in")
            .exactly_once(&stand.eos)
            .json::<u32>();
        let collected = values.collect();
        values.write_text_file(&file);
        values
            .write_kafka_topic(&stand.zone_b.cluster(), "out")
            .exactly_once(&stand.eos)
            .json();
        let error = plan.execute(&ctx).unwrap_err().to_string();
        assert!(
            error.contains(&format!("simulated crash at {point}")),
            "{error}"
        );
        assert!(
            collected.take().is_err(),
            "{point}: the collector got nothing"
        );
        assert!(!file.exists(), "{point}: the file was not written");
    }
    // What the transaction itself committed can only be judged on a broker
    // with transactional offsets: real_broker.rs.
}

#[test]
fn a_failure_after_the_first_commit_says_what_is_visible() {
    let cluster = common::cluster_with("partial", "out", 1);
    let dir = tempfile::tempdir().unwrap();
    // The file sink's target is a directory that is not empty: its final
    // rename fails, after the Kafka transaction (committed first) succeeded.
    let target = dir.path().join("taken");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("inside"), "x").unwrap();
    let plan = PlanBuilder::new();
    let values = plan.read_collection(vec!["a".to_string(), "b".to_string()]);
    values.write_text_file(&target);
    values
        .write_kafka_topic(&cluster.cluster(), "out")
        .transactional("partial-commit")
        .string();
    let error = plan.execute(&common::ctx()).unwrap_err();
    match &error {
        wayang_core::Error::PartialCommit {
            failed, committed, ..
        } => {
            assert!(failed.starts_with("TextFileSink"), "{error}");
            assert_eq!(committed.len(), 1, "{error}");
            assert!(committed[0].starts_with("KafkaTopicSink"), "{error}");
        }
        other => panic!("expected a partial commit, got {other}"),
    }
    assert!(
        error.to_string().contains("their output is visible"),
        "{error}"
    );
    assert_eq!(common::values(&cluster, "out"), ["a", "b"]);
}
