//! Consumer-group offsets are committed only after every sink succeeded.

mod common;

use wayang_api::PlanBuilder;
use wayang_kafka::embedded::EmbeddedCluster;

/// Reads the topic resuming `group`, maps with `f`, collects.
fn run(
    cluster: &EmbeddedCluster,
    group: &str,
    f: fn(String) -> String,
) -> wayang_api::Result<Vec<String>> {
    let plan = PlanBuilder::new();
    let out = plan
        .read_kafka_topic(&cluster.cluster(), "t")
        .resume_group(group)
        .string()
        .map(f)
        .collect();
    plan.execute(&common::ctx())?;
    out.take()
}

fn produce(cluster: &EmbeddedCluster, names: std::ops::Range<u32>) {
    cluster
        .produce("t", names.map(|i| (None::<&str>, format!("r{i}"))))
        .unwrap();
}

#[test]
fn a_successful_job_commits_and_the_next_run_reads_only_new_records() {
    let cluster = common::cluster_with("commits", "t", 3);
    produce(&cluster, 0..6);
    assert_eq!(run(&cluster, "g1", |s| s).unwrap().len(), 6);
    assert!(
        run(&cluster, "g1", |s| s).unwrap().is_empty(),
        "nothing new"
    );
    produce(&cluster, 6..9);
    let mut new = run(&cluster, "g1", |s| s).unwrap();
    new.sort();
    assert_eq!(new, ["r6", "r7", "r8"]);
    // Another group starts from the beginning.
    assert_eq!(run(&cluster, "g2", |s| s).unwrap().len(), 9);
}

#[test]
fn a_failed_job_commits_nothing() {
    let cluster = common::cluster_with("no-commit", "t", 2);
    produce(&cluster, 0..5);
    let error = run(&cluster, "g", |s| {
        if s == "r3" {
            panic!("cannot process {s}")
        } else {
            s
        }
    })
    .unwrap_err();
    assert!(error.to_string().contains("cannot process r3"), "{error}");
    assert_eq!(
        run(&cluster, "g", |s| s).unwrap().len(),
        5,
        "everything is read again"
    );
}

#[test]
fn a_failed_sink_commits_nothing() {
    let input = common::cluster_with("input", "t", 1);
    let output = common::cluster_with("output", "out", 1);
    produce(&input, 0..4);
    common::reject_writes(&output, "out");
    let plan = PlanBuilder::new();
    plan.read_kafka_topic(&input.cluster(), "t")
        .resume_group("g")
        .string()
        .write_kafka_topic(&output.cluster(), "out")
        .string();
    let error = plan.execute(&common::ctx()).unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("cluster \"output\"") && text.contains("\"out\""),
        "{text}"
    );
    assert!(
        error.cause_as::<wayang_kafka::KafkaError>().is_some(),
        "{error:?}"
    );
    assert_eq!(
        run(&input, "g", |s| s).unwrap().len(),
        4,
        "the failed job committed nothing"
    );
}
