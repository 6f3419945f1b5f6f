//! Bad input gives a typed error naming the operator and the cause, and a
//! failed job commits nothing.

use std::error::Error as _;

use wayang_api::{Error, PlanBuilder, WayangContext};

fn ctx() -> WayangContext {
    WayangContext::new().with(wayang_java::plugin())
}

#[test]
fn missing_input_file() {
    let plan = PlanBuilder::new();
    let _ = plan
        .read_text_file("/no/such/input.txt")
        .named("orders")
        .collect();
    let error = plan.execute(&ctx()).unwrap_err();
    assert!(matches!(error, Error::Io { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "operator TextFileSource \"orders\" (#0): cannot open /no/such/input.txt"
    );
    let cause = error.source().unwrap().to_string();
    assert!(cause.contains("No such file"), "{cause}");
}

#[test]
fn plan_without_sink() {
    let plan = PlanBuilder::new();
    let _ = plan.read_collection(vec![1]).map(|x| x + 1);
    let error = plan.execute(&ctx()).unwrap_err();
    assert!(matches!(error, Error::Plan(_)));
    assert!(error.to_string().contains("no sink"), "{error}");
}

#[test]
fn joining_data_quanta_of_two_builders() {
    let (one, other) = (PlanBuilder::new(), PlanBuilder::new());
    let left = one.read_collection(vec![1]);
    let right = other.read_collection(vec![1]);
    let _ = left.join(|x| *x, &right, |x| *x).collect();
    let error = one.execute(&ctx()).unwrap_err();
    assert!(matches!(error, Error::Plan(_)));
    assert!(
        error.to_string().contains("two different PlanBuilders"),
        "{error}"
    );
}

#[test]
fn panicking_udf_fails_the_job_with_the_operator_name() {
    let plan = PlanBuilder::new();
    let out = plan
        .read_collection(0..100)
        .map(|x| {
            if x == 42 {
                panic!("cannot handle {x}")
            } else {
                x
            }
        })
        .named("fragile")
        .collect();
    let error = plan.execute(&ctx()).unwrap_err();
    assert!(matches!(error, Error::UdfPanicked { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "operator Map \"fragile\" (#1): user function panicked: cannot handle 42"
    );
    assert!(out.take().is_err(), "a failed job delivers nothing");
}

#[test]
fn panics_in_aggregations_and_sinks_are_attributed() {
    let plan = PlanBuilder::new();
    let _ = plan
        .read_collection(vec![1, 1])
        .reduce_by_key(|x| *x, |_, _| panic!("bad reduce"))
        .named("sum")
        .collect();
    let error = plan.execute(&ctx()).unwrap_err().to_string();
    assert!(
        error.starts_with("operator ReduceBy \"sum\" (#1): user function panicked: bad reduce"),
        "{error}"
    );

    let plan = PlanBuilder::new();
    plan.read_collection(vec![1])
        .for_each(|_| panic!("bad callback"));
    let error = plan.execute(&ctx()).unwrap_err().to_string();
    assert!(
        error.starts_with("operator LocalCallbackSink #1: user function panicked: bad callback"),
        "{error}"
    );
}

#[test]
fn a_failed_job_leaves_old_output_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("result.txt");
    std::fs::write(&path, "previous run\n").unwrap();
    let plan = PlanBuilder::new();
    let numbers = plan.read_collection(0..10);
    numbers.write_text_file(&path);
    let _ = numbers
        .map(|x| if x == 9 { panic!("late failure") } else { x })
        .collect();
    assert!(plan.execute(&ctx()).is_err());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "previous run\n");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file is left"
    );
}

#[test]
fn invalid_utf8_line_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.txt");
    std::fs::write(&path, b"fine\nalso fine\ncaf\xe9\n").unwrap();
    let plan = PlanBuilder::new();
    let _ = plan.read_text_file(&path).collect();
    let error = plan.execute(&ctx()).unwrap_err().to_string();
    assert!(
        error.contains(&format!("{}:3: line is not valid UTF-8", path.display())),
        "{error}"
    );
}

#[test]
fn unwritable_output_directory() {
    let plan = PlanBuilder::new();
    plan.read_collection(vec![1])
        .write_text_file("/no/such/dir/out.txt");
    let error = plan.execute(&ctx()).unwrap_err();
    assert!(matches!(error, Error::Io { .. }), "{error:?}");
    assert!(
        error.to_string().contains("/no/such/dir/out.txt"),
        "{error}"
    );
}

#[test]
fn no_platform_or_unknown_platform() {
    let plan = PlanBuilder::new();
    let _ = plan.read_collection(vec![1]).collect();
    let error = plan.execute(&WayangContext::new()).unwrap_err().to_string();
    assert!(error.contains("no platform is registered"), "{error}");

    let plan = PlanBuilder::new();
    let _ = plan
        .read_collection(vec![1])
        .map(|x| x)
        .named("step")
        .on("spark")
        .collect();
    let error = plan.execute(&ctx()).unwrap_err().to_string();
    assert_eq!(
        error,
        "cannot execute Map \"step\" (#1): it is pinned to platform \"spark\", which is not registered \
         (registered: java); add its plugin with WayangContext::with"
    );
}

#[test]
fn pinning_to_a_registered_platform_is_honoured() {
    let plan = PlanBuilder::new();
    let out = plan.read_collection(vec![1]).on("java").collect();
    plan.execute(&ctx()).unwrap();
    assert_eq!(out.take().unwrap(), [1]);
}
