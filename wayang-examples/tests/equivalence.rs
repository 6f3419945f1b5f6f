//! The same plans give the same results on java, on spark with 1, 2 and 7
//! partitions, and on a random mix of both: random plans over random inputs
//! (proptest), compared as multisets unless the plan ends with a sort.
//!
//! The expected results come from an oracle that shares no code with the
//! engine: `oracle::run` (in `common/plans.rs`) gives each step of the small plan language its
//! meaning directly in plain Rust over `Vec`s and std's maps, so a bug in a
//! kernel that both platforms call cannot make them agree on a wrong
//! answer.

mod common;

use common::plans::{apply, build, normalise, oracle, pins, records, step, Record};
use proptest::prelude::*;
use wayang_api::{PlanBuilder, WayangContext};
use wayang_kafka::embedded::EmbeddedCluster;

fn java() -> WayangContext {
    WayangContext::new().with(wayang_java::plugin())
}

fn spark(partitions: usize) -> WayangContext {
    WayangContext::new()
        .with(wayang_spark::plugin())
        .with_config(wayang_spark::PARTITIONS_KEY, partitions)
        .with_config(wayang_spark::KAFKA_MIN_TASKS_KEY, partitions)
}

fn both() -> WayangContext {
    WayangContext::new()
        .with(wayang_java::plugin())
        .with(wayang_spark::plugin())
        .with_config(wayang_spark::PARTITIONS_KEY, 3)
}

/// Every configuration, labelled, as ripgrep's SearcherTester does.
fn configurations() -> Vec<(&'static str, WayangContext, bool)> {
    vec![
        ("java", java(), false),
        ("spark, 1 partition", spark(1), false),
        ("spark, 2 partitions", spark(2), false),
        ("spark, 7 partitions", spark(7), false),
        ("java and spark, pinned at random", both(), true),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn collections_give_the_same_results_everywhere(
        input in records(),
        other in records(),
        steps in prop::collection::vec(step(), 0..5),
        pins in pins(),
    ) {
        let run = |ctx: &WayangContext, pinned: bool| {
            let plan = PlanBuilder::new();
            let out = build(&plan, &input, &other, &steps, pinned.then_some(&pins[..])).collect();
            plan.execute(ctx).expect("plan runs");
            normalise(out.take().expect("collected"), &steps)
        };
        let expected = normalise(oracle::run(&input, &other, &steps), &steps);
        for (label, ctx, pinned) in configurations() {
            prop_assert_eq!(&run(&ctx, pinned), &expected, "{} differs from the oracle for {:?}", label, steps);
        }
    }
}

proptest! {
    // Each case starts embedded clusters and runs five jobs through them.
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn kafka_in_and_out_give_the_same_results_everywhere(
        input in records(),
        steps in prop::collection::vec(step(), 0..4),
        pins in pins(),
    ) {
        let source = EmbeddedCluster::start("in", 1).expect("cluster");
        source.create_topic("records", 3).expect("topic");
        let encoded: Vec<(Option<String>, String)> = input
            .iter()
            .map(|r| (Some(r.0.to_string()), serde_json::to_string(r).expect("json")))
            .collect();
        source.produce("records", encoded).expect("produce");
        let sink = EmbeddedCluster::start("out", 1).expect("cluster");

        let mut expected = oracle::run(&input, &input, &steps);
        expected.sort();
        for (index, (label, ctx, pinned)) in configurations().into_iter().enumerate() {
            let topic = format!("out-{index}");
            sink.create_topic(&topic, 2).expect("topic");
            let plan = PlanBuilder::new();
            let second = plan.read_collection(input.clone());
            let mut current = plan.read_kafka_topic(&source.cluster(), "records").json::<Record>();
            for (i, step) in steps.iter().enumerate() {
                current = apply(&current, step, &second);
                if pinned {
                    current = current.on(if pins[i % pins.len()] { "spark" } else { "java" });
                }
            }
            current.write_kafka_topic(&sink.cluster(), &topic).key(|r| r.0.to_string()).json();
            plan.execute(&ctx).expect("plan runs");
            let mut stored: Vec<Record> = sink
                .read_all(&topic)
                .expect("read back")
                .into_iter()
                .map(|r| serde_json::from_slice(r.value.as_deref().unwrap_or_default()).expect("json"))
                .collect();
            stored.sort();
            prop_assert_eq!(&stored, &expected, "{} differs from the oracle for {:?}", label, steps);
        }
    }
}
