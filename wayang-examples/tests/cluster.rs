//! The spark platform with its stages on a real Apache Spark cluster (the
//! Spark-cluster tier of scripts/test-all.sh: `WAYANG_TEST_SPARK_REMOTE`
//! names the Spark Connect endpoint): the equivalence suite's random plans,
//! with collections and with Kafka in and out, against its oracle; and the
//! federated-analytics scenario against the plain-Rust computation.
//!
//! A worker (this binary, started by a Spark task with the running test's
//! name) replays the test to reach the plan it was asked for: the random
//! cases come from a fixed seed, and every case's plan is named after its
//! number, so that no two cases share a fingerprint.
#![cfg(feature = "connect")]

mod common;

use std::path::Path;

use common::plans::{apply, build, normalise, oracle, records, step, Record};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use wayang_api::WayangContext;
use wayang_kafka::embedded::EmbeddedCluster;

use wayang_api::PlanBuilder;
use wayang_examples::scenario::demo::{self, DemoOptions};
use wayang_examples::scenario::partner::{self, BadLines, PartnerJob};
use wayang_examples::scenario::wire::RecordFormat;
use wayang_examples::scenario::{reference, PlatformChoice};
use wayang_kafka::KafkaCluster;

fn remote() -> Option<String> {
    // A worker (this binary, started by a Spark task) never connects.
    if wayang_core::remote::is_worker() {
        return None;
    }
    Some(
        std::env::var("WAYANG_TEST_SPARK_REMOTE")
            .expect("WAYANG_TEST_SPARK_REMOTE names the Spark Connect endpoint of this tier"),
    )
}

fn cluster() -> WayangContext {
    // The intermediate types of the plans' joins, groups and co-groups.
    wayang_core::remote::register::<(Record, Record)>();
    wayang_core::remote::register::<(u8, Vec<Record>)>();
    wayang_core::remote::register::<(u8, Vec<Record>, Vec<Record>)>();
    let ctx = WayangContext::new()
        .with(wayang_spark::plugin())
        .with_config(wayang_spark::PARTITIONS_KEY, 3)
        .with_config(wayang_spark::KAFKA_MIN_TASKS_KEY, 3);
    match remote() {
        Some(remote) => ctx.with_config(wayang_spark::REMOTE_KEY, remote),
        None => ctx,
    }
}

/// `cases` random values of `strategy`, the same in every process and every
/// run (a fixed seed: workers must replay the driver's cases; the in-process
/// suite in equivalence.rs explores fresh cases on every run).
fn cases<S: Strategy>(strategy: S, cases: usize) -> Vec<S::Value> {
    let config = Config {
        cases: cases as u32,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    (0..cases)
        .map(|_| strategy.new_tree(&mut runner).expect("a case").current())
        .collect()
}

#[test]
#[ignore = "needs a Spark cluster: the Spark-cluster tier of scripts/test-all.sh"]
fn random_plans_match_the_oracle_on_the_spark_cluster() {
    let ctx = cluster();
    let all = cases(
        (records(), records(), prop::collection::vec(step(), 1..5)),
        24,
    );
    for (case, (input, other, steps)) in all.into_iter().enumerate() {
        let plan = PlanBuilder::new();
        let out = build(&plan, &input, &other, &steps, None)
            .named(format!("case {case}"))
            .collect();
        plan.execute(&ctx)
            .unwrap_or_else(|e| panic!("case {case} {steps:?}: {e}"));
        let got = normalise(out.take().expect("collected"), &steps);
        if !wayang_core::remote::is_worker() {
            let expected = normalise(oracle::run(&input, &other, &steps), &steps);
            assert_eq!(
                got, expected,
                "case {case}: {steps:?} on {input:?} and {other:?}"
            );
        }
    }
}

#[test]
#[ignore = "needs a Spark cluster: the Spark-cluster tier of scripts/test-all.sh"]
fn random_plans_with_kafka_in_and_out_match_the_oracle_on_the_spark_cluster() {
    let ctx = cluster();
    let all = cases((records(), prop::collection::vec(step(), 0..4)), 6);
    for (case, (input, steps)) in all.into_iter().enumerate() {
        // A worker starts no clusters: the offset ranges it reads name the
        // driver's brokers, and the sink runs on the driver.
        let clusters = (!wayang_core::remote::is_worker()).then(|| {
            let source = EmbeddedCluster::start("in", 1).expect("cluster");
            source.create_topic("records", 3).expect("topic");
            let encoded: Vec<(Option<String>, String)> = input
                .iter()
                .map(|r| {
                    (
                        Some(r.0.to_string()),
                        serde_json::to_string(r).expect("json"),
                    )
                })
                .collect();
            source.produce("records", encoded).expect("produce");
            let sink = EmbeddedCluster::start("out", 1).expect("cluster");
            sink.create_topic("out", 2).expect("topic");
            (source, sink)
        });
        let (source, sink) = match &clusters {
            Some((source, sink)) => (source.cluster(), sink.cluster()),
            None => (KafkaCluster::new("in"), KafkaCluster::new("out")),
        };
        let plan = PlanBuilder::new();
        let second = plan.read_collection(input.clone());
        let mut current = plan
            .read_kafka_topic(&source, "records")
            .json::<Record>()
            .named(format!("case {case}"));
        for step in &steps {
            current = apply(&current, step, &second);
        }
        current
            .write_kafka_topic(&sink, "out")
            .key(|r| r.0.to_string())
            .json();
        plan.execute(&ctx)
            .unwrap_or_else(|e| panic!("case {case} {steps:?}: {e}"));
        if let Some((_, sink)) = &clusters {
            let mut stored: Vec<Record> = sink
                .read_all("out")
                .expect("read back")
                .into_iter()
                .map(|r| {
                    serde_json::from_slice(r.value.as_deref().unwrap_or_default()).expect("json")
                })
                .collect();
            stored.sort();
            let mut expected = oracle::run(&input, &input, &steps);
            expected.sort();
            assert_eq!(stored, expected, "case {case}: {steps:?} on {input:?}");
        }
    }
}

#[test]
#[ignore = "needs a Spark cluster: the Spark-cluster tier of scripts/test-all.sh"]
fn the_scenario_on_the_spark_cluster_matches_a_plain_rust_computation() {
    let dir = tempfile::tempdir().unwrap();
    let options = DemoOptions {
        transactions: 4000,
        platform: PlatformChoice::Spark,
        remote: remote(),
        k: 3,
        seed: 11,
        bad_lines: 2,
        dir: dir.path().to_path_buf(),
        format: RecordFormat::Json,
    };
    let outcome = demo::run(&options, &|_| {}).unwrap();
    let files: Vec<&Path> = outcome.histories.iter().map(|p| p.as_path()).collect();
    let expected = reference::global_sums(&files, options.k).unwrap();
    assert!(expected.len() > 50, "many months and categories");
    assert_eq!(outcome.global.len(), expected.len());
    for global in &outcome.global {
        let (sum, customers, partners) = expected[&(global.month.clone(), global.category.clone())];
        assert_eq!(
            (global.sum_cents, global.customers, global.partners),
            (sum, customers, partners),
            "{global:?}"
        );
    }
    assert_eq!(
        outcome.skipped_lines, 6,
        "two bad lines per partner, skipped and counted on the executors"
    );
    assert!(outcome.comparisons.iter().all(|(_, rows)| !rows.is_empty()));

    // And the partner job's work did go to the cluster: parsing, both
    // aggregations and the suppression are Spark queries.
    let plan = PlanBuilder::new();
    partner::build(
        &plan,
        &PartnerJob {
            partner: "emea".into(),
            csv: outcome.histories[0].clone(),
            local_out: dir.path().join("unused.csv"),
            cluster: KafkaCluster::new("emea").with("bootstrap.servers", "127.0.0.1:9"),
            topic: "contributions".into(),
            k: 3,
            bad_lines: BadLines::Skip,
            format: RecordFormat::Json,
        },
    );
    let ctx = PlatformChoice::Spark.context_on(options.remote.as_deref());
    let explained = plan.explain(&ctx).unwrap().to_string();
    assert!(explained.contains("on the Spark cluster:"), "{explained}");
    assert!(explained.contains("\"k-suppression\""), "{explained}");
    assert!(explained.contains("DISTRIBUTE BY b"), "{explained}");
}
