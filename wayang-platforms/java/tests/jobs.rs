//! Whole jobs on the java platform: several sinks, shared outputs, reports,
//! configuration and execution plans.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use wayang_api::{PlanBuilder, WayangContext};
use wayang_core::OperatorKind;

fn ctx() -> WayangContext {
    WayangContext::new().with(wayang_java::plugin())
}

#[test]
fn several_sinks_run_as_one_job_and_each_operator_once() {
    let calls = Arc::new(AtomicUsize::new(0));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evens.txt");
    let plan = PlanBuilder::new();
    let counted = calls.clone();
    let numbers = plan
        .read_collection(1..=10)
        .map(move |x| {
            counted.fetch_add(1, Ordering::Relaxed);
            x * 10
        })
        .named("times ten");
    let all = numbers.collect();
    let total = numbers.reduce(|a, b| a + b).collect();
    numbers.filter(|x| x % 20 == 0).write_text_file(&path);
    let report = plan.execute(&ctx()).unwrap();

    assert_eq!(
        calls.load(Ordering::Relaxed),
        10,
        "the shared map ran once, not once per sink"
    );
    assert_eq!(
        all.take().unwrap(),
        (1..=10).map(|x| x * 10).collect::<Vec<_>>()
    );
    assert_eq!(total.take().unwrap(), [550]);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "20\n40\n60\n80\n100\n"
    );

    let map = report.operator("times ten").unwrap();
    assert_eq!((map.records_in, map.records_out), (10, 10));
    assert_eq!(map.execution_operator, "JavaMapOperator");
    assert_eq!(map.platform, "java");
    let sinks: Vec<_> = report
        .operators
        .iter()
        .filter(|o| o.kind.is_sink())
        .collect();
    assert_eq!(sinks.len(), 3);
    let file_sink = sinks
        .iter()
        .find(|o| o.kind == OperatorKind::TextFileSink)
        .unwrap();
    assert_eq!((file_sink.records_in, file_sink.records_out), (5, 5));
}

#[test]
fn a_shared_stream_is_materialised_once_and_shown_in_the_execution_plan() {
    let plan = PlanBuilder::new();
    let words = plan
        .read_collection(vec!["a", "b"])
        .map(|w| w.to_uppercase())
        .named("upper");
    let _ = words.collect();
    let _ = words.count().collect();
    let text = plan.execution_plan(&ctx()).unwrap().to_string();
    assert_eq!(text.matches("CollectStream").count(), 1, "{text}");
    assert_eq!(text.matches("StreamCollection").count(), 2, "{text}");
    assert!(
        text.contains("JavaMapOperator for Map \"upper\" (#1)"),
        "{text}"
    );
    assert!(text.starts_with("stage 0 on java:"), "{text}");
}

#[test]
fn cartesian_gets_its_right_side_as_a_collection() {
    let plan = PlanBuilder::new();
    let out = plan
        .read_collection(vec![1])
        .cartesian(&plan.read_collection(vec![2]))
        .collect();
    let text = plan.execution_plan(&ctx()).unwrap().to_string();
    assert!(text.contains("CollectStream"), "{text}");
    plan.execute(&ctx()).unwrap();
    assert_eq!(out.take().unwrap(), [(1, 2)]);
}

#[test]
fn a_plan_runs_again_with_fresh_results() {
    let plan = PlanBuilder::new();
    let out = plan.read_collection(vec![1, 2]).count().collect();
    plan.execute(&ctx()).unwrap();
    assert_eq!(out.take().unwrap(), [2]);
    assert!(out.take().is_err(), "results are taken once");
    plan.execute(&ctx()).unwrap();
    assert_eq!(out.take().unwrap(), [2]);
}

#[test]
fn report_displays_every_operator() {
    let plan = PlanBuilder::new();
    let _ = plan
        .read_collection(vec!["x"; 3])
        .named("input")
        .distinct()
        .collect();
    let report = plan.execute(&ctx()).unwrap();
    let text = report.to_string();
    assert!(text.contains("CollectionSource \"input\""), "{text}");
    assert!(text.contains("JavaDistinctOperator"), "{text}");
    assert_eq!(report.operators[1].records_in, 3);
    assert_eq!(report.operators[1].records_out, 1);
}

#[test]
fn configuration_layers_reach_the_operators() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("job.properties");
    std::fs::write(
        &config,
        "wayang.java.text_file.buffer_bytes = not-a-number\n",
    )
    .unwrap();
    let plan = PlanBuilder::new();
    plan.read_collection(vec![1])
        .write_text_file(dir.path().join("out.txt"));
    let from_file = ctx().with_config_file(&config).unwrap();
    let error = plan.execute(&from_file).unwrap_err().to_string();
    assert!(
        error.contains("wayang.java.text_file.buffer_bytes = \"not-a-number\""),
        "{error}"
    );
    assert!(error.contains("job.properties"), "{error}");
    // Code overrides the file.
    let fixed = from_file.with_config("wayang.java.text_file.buffer_bytes", 4096);
    plan.execute(&fixed).unwrap();
}
