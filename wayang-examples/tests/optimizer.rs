//! The optimizer chooses platforms per operator by estimated cost, honours
//! `on(..)`, never picks a platform without a mapping, and explains itself.

use std::sync::Arc;

use wayang_api::{PlanBuilder, WayangContext};
use wayang_core::config::Configuration;
use wayang_core::{ChannelConversion, Executor, Mapping, OperatorKind, Platform, Plugin, Result};
use wayang_kafka::embedded::EmbeddedCluster;

fn both() -> WayangContext {
    WayangContext::new()
        .with(wayang_java::plugin())
        .with(wayang_spark::plugin())
        .with_config(wayang_kafka::TIMEOUT_KEY, 3000)
}

/// The platform the optimizer chose for each operator, in plan order.
fn platforms(plan: &PlanBuilder, ctx: &WayangContext) -> Vec<(String, &'static str)> {
    plan.explain(ctx)
        .unwrap()
        .operators
        .into_iter()
        .map(|o| (o.operator, o.platform))
        .collect()
}

#[test]
fn a_tiny_kafka_job_runs_on_java() {
    let cluster = EmbeddedCluster::start("tiny", 1).unwrap();
    cluster.create_topic("in", 4).unwrap();
    cluster.create_topic("out", 1).unwrap();
    cluster
        .produce("in", (0..20).map(|i| (None::<&str>, i.to_string())))
        .unwrap();
    let plan = PlanBuilder::new();
    plan.read_kafka_topic(&cluster.cluster(), "in")
        .json::<u32>()
        .map(|x| x * 2)
        .write_kafka_topic(&cluster.cluster(), "out")
        .json();
    let chosen = platforms(&plan, &both());
    assert!(chosen.iter().all(|(_, p)| *p == "java"), "{chosen:?}");
    plan.execute(&both()).unwrap();
    assert_eq!(cluster.read_all("out").unwrap().len(), 20);
}

#[test]
fn a_large_cpu_heavy_aggregation_runs_its_heavy_part_on_spark() {
    let plan = PlanBuilder::new();
    let _ = plan
        .read_collection(0..1_000_000u64)
        .map(|x| {
            (0..40).fold(x, |y, _| {
                y.wrapping_mul(6364136223846793005).wrapping_add(1)
            })
        })
        .with_udf_cost(40.0)
        .named("heavy")
        .reduce_by_key(|x| x % 1000, |a, b| a.max(b))
        .named("per key")
        .collect();
    let chosen = platforms(&plan, &both());
    let on = |name: &str| {
        chosen
            .iter()
            .find(|(o, _)| o.contains(name))
            .map(|(_, p)| *p)
    };
    assert_eq!(on("heavy"), Some("spark"), "{chosen:?}");
    assert_eq!(on("per key"), Some("spark"), "{chosen:?}");
    let report = plan.execute(&both()).unwrap();
    assert_eq!(report.operator("heavy").unwrap().platform, "spark");
}

#[test]
fn a_small_source_feeding_a_large_join_mixes_platforms_with_a_conversion() {
    let cluster = EmbeddedCluster::start("mix", 1).unwrap();
    cluster.create_topic("seeds", 2).unwrap();
    cluster
        .produce("seeds", (0..10).map(|i| (None::<&str>, i.to_string())))
        .unwrap();
    let plan = PlanBuilder::new();
    let expanded = plan
        .read_kafka_topic(&cluster.cluster(), "seeds")
        .json::<u64>()
        .named("seeds")
        .flat_map(|seed| (0..20_000u64).map(move |i| (seed * 20_000 + i) % 50_000))
        .with_selectivity(20_000.0)
        .named("expand");
    let table = plan
        .read_collection((0..50_000u64).map(|k| (k, k * 3)))
        .named("table");
    let _ = expanded
        .join(|k| *k, &table, |(k, _)| *k)
        .named("join")
        .count()
        .collect();
    let ctx = both();
    let explanation = plan.explain(&ctx).unwrap();
    let on = |name: &str| {
        explanation
            .operators
            .iter()
            .find(|o| o.operator.contains(name))
            .map(|o| o.platform)
    };
    assert_eq!(on("seeds"), Some("java"), "{explanation}");
    assert_eq!(on("join"), Some("spark"), "{explanation}");
    assert!(!explanation.conversions.is_empty(), "{explanation}");
    let report = plan.execute(&ctx).unwrap();
    assert_eq!(report.operator("join").unwrap().records_out, 200_000);
}

#[test]
fn pinned_operators_stay_where_they_are_pinned() {
    let plan = PlanBuilder::new();
    let _ = plan
        .read_collection(0..1_000_000u64)
        .map(|x| x.wrapping_mul(3))
        .with_udf_cost(40.0)
        .on("java")
        .named("pinned")
        .collect();
    let chosen = platforms(&plan, &both());
    assert!(
        chosen
            .iter()
            .any(|(o, p)| o.contains("pinned") && *p == "java"),
        "{chosen:?}"
    );
}

/// The spark platform without its sort mapping.
struct SparkWithoutSort;

impl Plugin for SparkWithoutSort {
    fn platform(&self) -> Platform {
        wayang_spark::SPARK
    }
    fn mappings(&self) -> Vec<Arc<dyn Mapping>> {
        wayang_spark::plugin()
            .mappings()
            .into_iter()
            .filter(|m| m.kind() != OperatorKind::Sort)
            .collect()
    }
    fn conversions(&self) -> Vec<ChannelConversion> {
        wayang_spark::plugin().conversions()
    }
    fn default_configuration(&self) -> Vec<(&'static str, String)> {
        wayang_spark::plugin().default_configuration()
    }
    fn create_executor(&self, config: &Configuration) -> Result<Box<dyn Executor>> {
        wayang_spark::plugin().create_executor(config)
    }
}

#[test]
fn a_platform_without_a_mapping_is_never_chosen_for_it() {
    let ctx = WayangContext::new()
        .with(wayang_java::plugin())
        .with(SparkWithoutSort);
    let plan = PlanBuilder::new();
    let out = plan
        .read_collection((0..500_000u64).rev())
        .map(|x| x ^ 0x5555)
        .with_udf_cost(40.0)
        .sort_by(|x| *x)
        .named("sort")
        .collect();
    let chosen = platforms(&plan, &ctx);
    assert!(
        chosen
            .iter()
            .any(|(o, p)| o.contains("sort") && *p == "java"),
        "{chosen:?}"
    );
    assert!(
        chosen.iter().any(|(_, p)| *p == "spark"),
        "the heavy map still goes to spark: {chosen:?}"
    );
    plan.execute(&ctx).unwrap();
    let sorted = out.take().unwrap();
    assert!(sorted.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn explain_shows_platforms_estimates_costs_and_conversions() {
    // Fixed parameters, so the costs in the snapshot do not depend on the machine.
    let ctx = both()
        .with_config("wayang.spark.cost.parallelism", 2)
        .with_config("wayang.spark.cost.startup.ms", 0.5)
        .with_config("wayang.spark.cost.operator.ms", 0.01);
    let plan = PlanBuilder::new();
    let _ = plan
        .read_collection(0..100u32)
        .named("numbers")
        .map(|x| x * 2)
        .on("spark")
        .filter(|x| x % 3 == 0)
        .with_selectivity(0.33)
        .named("thirds")
        .on("java")
        .collect();
    let explanation = plan.explain(&ctx).unwrap();
    assert_eq!(
        explanation.to_string(),
        "\
CollectionSource \"numbers\" (#0)  on spark as SparkCollectionSource  estimate 100  cost 0.010 ms
    100 records in memory
Map #1 <- #0  on spark as SparkMapOperator  estimate 100  cost 0.010 ms
Filter \"thirds\" (#2) <- #1  on java as JavaFilterOperator  estimate 33 (90%)  cost 0.005 ms
LocalCallbackSink #3 <- #2  on java as JavaLocalCallbackSink  estimate 33 (90%)  cost 0.005 ms
conversion CollectRdd of #1: rdd -> collection  cost 0.010 ms
conversion StreamCollection of #1: collection -> stream  cost 0.010 ms
stages: spark -> java; estimated total 0.556 ms"
    );
    let json: serde_json::Value = serde_json::from_str(&explanation.to_json()).unwrap();
    assert_eq!(
        json["operators"][1]["execution_operator"],
        "SparkMapOperator"
    );
    assert_eq!(json["operators"][2]["estimate"]["high"], 33.0);
    assert_eq!(json["conversions"][0]["conversion"], "CollectRdd");
}

#[test]
fn the_report_puts_measured_cardinalities_beside_estimates() {
    let plan = PlanBuilder::new();
    let _ = plan
        .read_collection(0..1000u32)
        .named("input")
        .filter(|x| x % 10 == 0)
        .named("tenth")
        .collect();
    let report = plan.execute(&both()).unwrap();
    let input = report.operator("input").unwrap();
    assert_eq!(
        (input.records_out, input.estimated.low, input.estimated.high),
        (1000, 1000.0, 1000.0)
    );
    let tenth = report.operator("tenth").unwrap();
    assert_eq!(tenth.records_out, 100);
    assert!(
        tenth.estimated.low <= 100.0 && tenth.estimated.high >= 100.0,
        "{:?}",
        tenth.estimated
    );
    assert!(report.to_string().contains("estimated"));
}

#[test]
fn planning_a_fifty_operator_plan_is_fast_and_valid() {
    let plan = PlanBuilder::new();
    let mut data = plan.read_collection(0..1000u64);
    let side = plan.read_collection(0..100u64);
    for i in 0..48u64 {
        data = match i % 4 {
            0 => data.map(move |x| x.wrapping_add(i)),
            1 => data.filter(|x| x % 7 != 0),
            2 => data.union(&side),
            _ => data.reduce_by_key(|x| x % 97, |a, b| a.max(b)),
        };
    }
    let _ = data.collect();
    let ctx = both();
    let execution = plan.execution_plan(&ctx).unwrap();
    assert!(execution.plan().nodes().len() >= 50);
    plan.execute(&ctx).unwrap();
}

#[test]
fn mistyped_configuration_keys_are_reported_and_bad_costs_are_errors() {
    let ctx = WayangContext::new()
        .with(wayang_java::plugin())
        .with(wayang_spark::plugin())
        .with_config("wayang.kafka.timeout.ms", 5000)
        .with_config("wayang.kafka.timout.ms", 5000)
        .with_config("wayang.java.cost.record.ns", 3)
        .with_config("wayang.jav.cost.record.ns", 3)
        .with_config("wayang.spark.partitions", 2)
        .with_config("wayang.cost.reduce_by.factor", 1.5);
    assert_eq!(
        ctx.unknown_configuration_keys(),
        ["wayang.jav.cost.record.ns", "wayang.kafka.timout.ms"]
    );

    let bad = ctx.with_config("wayang.spark.cost.parallelism", "lots");
    let plan = PlanBuilder::new();
    let _ = plan.read_collection(vec![1, 2]).collect();
    let error = plan.execute(&bad).unwrap_err().to_string();
    assert!(
        error.contains("wayang.spark.cost.parallelism = \"lots\" (from code) is not a valid f64"),
        "{error}"
    );
}
