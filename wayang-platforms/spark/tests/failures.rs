//! Failures inside parallel tasks fail the job with the operator's name.

use std::time::{Duration, Instant};

use wayang_api::{Error, PlanBuilder, WayangContext};

fn spark() -> WayangContext {
    WayangContext::new()
        .with(wayang_spark::plugin())
        .with_config(wayang_spark::PARTITIONS_KEY, 4)
        .with_config(wayang_spark::PARALLELISM_KEY, 2)
}

#[test]
fn a_panic_in_one_task_fails_the_job_and_does_not_hang_the_pool() {
    let started = Instant::now();
    let plan = PlanBuilder::new();
    let out = plan
        .read_collection(0..100_000u64)
        .map(|x| {
            if x == 77_777 {
                panic!("bad record {x}")
            } else {
                x
            }
        })
        .named("fragile")
        .collect();
    let error = plan.execute(&spark()).unwrap_err();
    assert!(matches!(error, Error::UdfPanicked { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "operator Map \"fragile\" (#1): user function panicked: bad record 77777"
    );
    assert!(out.take().is_err());
    assert!(started.elapsed() < Duration::from_secs(10));

    // The pool is still usable.
    let plan = PlanBuilder::new();
    let out = plan.read_collection(0..10u64).count().collect();
    plan.execute(&spark()).unwrap();
    assert_eq!(out.take().unwrap(), [10]);
}

#[test]
fn panics_in_shuffles_and_sinks_are_attributed() {
    let plan = PlanBuilder::new();
    let _ = plan
        .read_collection(0..1000u32)
        .reduce_by_key(
            |x| if *x == 500 { panic!("bad key") } else { x % 10 },
            |a, b| a + b,
        )
        .named("sums")
        .collect();
    let error = plan.execute(&spark()).unwrap_err().to_string();
    assert!(
        error.starts_with("operator ReduceBy \"sums\" (#1): user function panicked: bad key"),
        "{error}"
    );

    let plan = PlanBuilder::new();
    plan.read_collection(0..1000u32)
        .for_each(|x| assert!(x != 999, "callback refused {x}"));
    let error = plan.execute(&spark()).unwrap_err().to_string();
    assert!(
        error.contains("LocalCallbackSink") && error.contains("callback refused 999"),
        "{error}"
    );
}

#[test]
fn a_failed_spark_job_leaves_files_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    std::fs::write(&path, "old\n").unwrap();
    let plan = PlanBuilder::new();
    plan.read_collection(0..100u32)
        .map(|x| if x == 99 { panic!("late") } else { x })
        .write_text_file(&path);
    assert!(plan.execute(&spark()).is_err());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no part files left"
    );
}
