//! The spark platform's cluster mode against a real Apache Spark cluster
//! (the Spark-cluster tier of scripts/test-all.sh): `WAYANG_TEST_SPARK_REMOTE`
//! names a Spark Connect endpoint, as `scripts/spark-cluster.sh start` prints.
//! Every test runs the same plan on java and on the cluster and compares.
#![cfg(feature = "connect")]

use std::fmt::Debug;
use std::time::{Duration, Instant};

use wayang_api::{Collector, Data, PlanBuilder, WayangContext};
use wayang_kafka::embedded::EmbeddedCluster;
use wayang_kafka::KafkaCluster;

fn remote() -> String {
    // A worker (this binary, started by an executor) never connects: its
    // `execute` runs only the part of the plan it was asked for.
    if wayang_core::remote::is_worker() {
        return String::new();
    }
    std::env::var("WAYANG_TEST_SPARK_REMOTE")
        .expect("WAYANG_TEST_SPARK_REMOTE names the Spark Connect endpoint of this tier")
}

fn cluster() -> WayangContext {
    WayangContext::new()
        .with(wayang_spark::plugin())
        .with_config(wayang_spark::REMOTE_KEY, remote())
        .with_config(wayang_spark::PARTITIONS_KEY, 3)
}

fn java() -> WayangContext {
    WayangContext::new().with(wayang_java::plugin())
}

fn sorted<T: Data + Ord + Debug>(
    ctx: &WayangContext,
    build: &impl Fn(&PlanBuilder) -> Collector<T>,
) -> wayang_api::Result<Vec<T>> {
    let plan = PlanBuilder::new();
    let out = build(&plan);
    plan.execute(ctx)?;
    let mut records = out.take()?;
    records.sort();
    Ok(records)
}

fn same_as_java<T: Data + Ord + Debug>(build: impl Fn(&PlanBuilder) -> Collector<T>) {
    let expected = sorted(&java(), &build).expect("java runs");
    let got = sorted(&cluster(), &build).expect("the cluster runs");
    assert_eq!(got, expected);
}

fn lines() -> Vec<String> {
    (0..500)
        .map(|i| format!("w{} x\ty{} ünï {}", i % 17, i % 3, i % 11))
        .collect()
}

#[test]
#[ignore = "needs a Spark cluster: the Spark-cluster tier of scripts/test-all.sh"]
fn word_count_on_the_cluster() {
    same_as_java(|p| {
        p.read_collection(lines())
            .flat_map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .map(|w| (w, 1u64))
            .reduce_by_key(|(w, _)| w.clone(), |(w, a), (_, b)| (w, a + b))
            .collect()
    });
}

#[test]
#[ignore = "needs a Spark cluster: the Spark-cluster tier of scripts/test-all.sh"]
fn text_files_are_read_by_the_tasks_where_executors_see_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("words.txt");
    let text: String = lines().iter().map(|l| format!("{l}\r\n")).collect();
    std::fs::write(&path, text).unwrap();
    let build = |p: &PlanBuilder| {
        p.read_text_file(&path)
            .flat_map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .map(|w| (w, 1u64))
            .reduce_by_key(|(w, _)| w.clone(), |(w, a), (_, b)| (w, a + b))
            .collect()
    };
    let in_tasks = cluster().with_config(wayang_spark::cluster::FILES_IN_TASKS_KEY, true);
    let expected = sorted(&java(), &build).unwrap();
    assert_eq!(sorted(&in_tasks, &build).unwrap(), expected);
    // Numbered lines: every range counts the lines before it.
    let numbered = |p: &PlanBuilder| {
        p.read_text_file_numbered(&path)
            .map(|(number, line)| (number, line.len() as u64))
            .collect()
    };
    let expected = sorted(&java(), &numbered).unwrap();
    assert_eq!(expected.len(), 500);
    assert_eq!(sorted(&in_tasks, &numbered).unwrap(), expected);
    if !wayang_core::remote::is_worker() {
        let plan = PlanBuilder::new();
        let _ = build(&plan);
        let explained = plan.explain(&in_tasks).unwrap().to_string();
        assert!(explained.contains("<worker 3:k0,"), "{explained}");
    }
}

#[test]
#[ignore = "needs a Spark cluster: the Spark-cluster tier of scripts/test-all.sh"]
fn wide_and_two_input_operators_on_the_cluster() {
    wayang_core::remote::register::<((u64, u64), (u64, u64))>();
    wayang_core::remote::register::<(u64, Vec<(u64, u64)>)>();
    same_as_java(|p| p.read_collection(lines()).distinct().collect());
    same_as_java(|p| p.read_collection(lines()).count().collect());
    same_as_java(|p| {
        p.read_collection((0..300u64).collect::<Vec<_>>())
            .map(|n| (n % 7, n))
            .group_by_key(|(k, _)| *k)
            .map(|(k, group)| (k, group.len() as u64))
            .collect()
    });
    same_as_java(|p| {
        let left = p.read_collection((0..80u64).map(|n| (n % 6, n)).collect::<Vec<_>>());
        let right = p.read_collection((0..30u64).map(|n| (n % 9, n)).collect::<Vec<_>>());
        left.join(|(k, _)| *k, &right, |(k, _)| *k)
            .map(|((k, a), (_, b))| (k, a * 1000 + b))
            .collect()
    });
    // A sort's order is its result: compare as sequences.
    let build = |p: &PlanBuilder| {
        p.read_collection((0..200u64).map(|n| (n * 7919) % 211).collect::<Vec<_>>())
            .sort_by(|n| *n)
            .collect()
    };
    let plan = PlanBuilder::new();
    let out = build(&plan);
    plan.execute(&cluster()).expect("the cluster sorts");
    let mut expected = out.take().unwrap();
    let got = expected.clone();
    expected.sort();
    assert_eq!(got, expected);
}

#[test]
#[ignore = "needs a Spark cluster: the Spark-cluster tier of scripts/test-all.sh"]
fn a_udf_error_in_an_executor_fails_the_job_with_the_operator_and_message() {
    let plan = PlanBuilder::new();
    let out = plan
        .read_collection((0..100u64).collect::<Vec<_>>())
        .try_map(|n| {
            if n == 42 {
                Err(format!("record {n} is not allowed"))
            } else {
                Ok(n)
            }
        })
        .named("checker")
        .collect();
    let error = plan.execute(&cluster()).unwrap_err().to_string();
    assert!(error.contains("checker"), "{error}");
    assert!(error.contains("record 42 is not allowed"), "{error}");
    assert!(out.take().is_err(), "nothing was delivered");
}

#[test]
#[ignore = "needs a Spark cluster: the Spark-cluster tier of scripts/test-all.sh"]
fn a_worker_whose_plan_differs_fails_clearly() {
    let plan = PlanBuilder::new();
    let numbers = plan.read_collection((0..10u64).collect::<Vec<_>>());
    // A plan that is not the same in the worker: the driver's has one
    // operator more.
    let numbers = if wayang_core::remote::is_worker() {
        numbers
    } else {
        numbers.map(|n| n + 1)
    };
    let _out = numbers.map(|n| n * 2).collect();
    let error = plan.execute(&cluster()).unwrap_err().to_string();
    assert!(error.contains("same plan"), "{error}");
}

#[test]
#[ignore = "needs a Spark cluster: the Spark-cluster tier of scripts/test-all.sh"]
fn kafka_is_read_inside_the_tasks_and_committed_by_the_driver() {
    // A worker starts no cluster of its own: the ranges it is handed name
    // the driver's brokers.
    let embedded = (!wayang_core::remote::is_worker()).then(|| {
        let cluster = EmbeddedCluster::start("numbers", 1).unwrap();
        cluster.create_topic("t", 3).unwrap();
        cluster
            .produce("t", (0..600u32).map(|i| (None::<&str>, i.to_string())))
            .unwrap();
        cluster
    });
    let kafka = embedded
        .as_ref()
        .map_or_else(|| KafkaCluster::new("numbers"), EmbeddedCluster::cluster);
    let run = || {
        let plan = PlanBuilder::new();
        let out = plan
            .read_kafka_topic(&kafka, "t")
            .resume_group("g")
            .json::<u32>()
            .named("numbers")
            .map(|n| (u64::from(n % 7), u64::from(n)))
            .reduce_by_key(|(k, _)| *k, |(k, a), (_, b)| (k, a + b))
            .collect();
        // Explaining resolves the offsets, which a worker (no brokers of its
        // own) cannot and need not do.
        let explained = if wayang_core::remote::is_worker() {
            String::new()
        } else {
            plan.explain(&cluster()).unwrap().to_string()
        };
        plan.execute(&cluster()).unwrap();
        let mut sums = out.take().unwrap();
        sums.sort();
        (sums, explained)
    };
    let (sums, explained) = run();
    let mut expected = vec![(0u64, 0u64); 7];
    for n in 0..600u64 {
        expected[(n % 7) as usize].0 = n % 7;
        expected[(n % 7) as usize].1 += n;
    }
    assert_eq!(sums, expected);
    // The tasks read the ranges (k: the read step), map and combine; the
    // reduce side merges after Spark's exchange.
    assert!(explained.contains("on the Spark cluster:"), "{explained}");
    assert!(explained.contains("k0,a1,l2"), "{explained}");
    assert!(explained.contains("DISTRIBUTE BY b"), "{explained}");
    let (again, _) = run();
    assert!(
        again.is_empty(),
        "the driver committed every range: {again:?}"
    );
}

#[test]
#[ignore = "needs a Spark cluster: the Spark-cluster tier of scripts/test-all.sh"]
fn kafka_is_written_from_the_tasks_and_their_deliveries_checked() {
    let embedded = (!wayang_core::remote::is_worker()).then(|| {
        let cluster = EmbeddedCluster::start("written", 1).unwrap();
        cluster.create_topic("squares", 2).unwrap();
        cluster
    });
    let kafka = embedded
        .as_ref()
        .map_or_else(|| KafkaCluster::new("written"), EmbeddedCluster::cluster);
    let plan = PlanBuilder::new();
    plan.read_collection((0..400u64).collect::<Vec<_>>())
        .map(|n| n * n)
        .write_kafka_topic(&kafka, "squares")
        .key(|n| (n % 10).to_string())
        .json();
    let explained = if wayang_core::remote::is_worker() {
        String::new()
    } else {
        plan.explain(&cluster()).unwrap().to_string()
    };
    let report = plan.execute(&cluster()).unwrap();
    let Some(embedded) = embedded else { return };
    assert!(explained.contains(",w2>"), "the tasks write: {explained}");
    let mut stored: Vec<u64> = embedded
        .read_all("squares")
        .unwrap()
        .into_iter()
        .map(|r| serde_json::from_slice(r.value.as_deref().unwrap()).unwrap())
        .collect();
    stored.sort_unstable();
    assert_eq!(stored, (0..400u64).map(|n| n * n).collect::<Vec<_>>());
    let sink = report
        .operators
        .iter()
        .find(|o| o.execution_operator == "SparkKafkaTopicSink")
        .unwrap();
    assert_eq!(sink.records_out, 400, "the tasks' delivery counts");
}

#[test]
#[ignore = "needs a Spark cluster: the Spark-cluster tier of scripts/test-all.sh"]
fn a_task_that_cannot_write_fails_the_job_with_the_sink_and_topic() {
    let embedded =
        (!wayang_core::remote::is_worker()).then(|| EmbeddedCluster::start("no-topic", 1).unwrap());
    let kafka = embedded
        .as_ref()
        .map_or_else(|| KafkaCluster::new("no-topic"), EmbeddedCluster::cluster);
    let plan = PlanBuilder::new();
    plan.read_collection((0..10u64).collect::<Vec<_>>())
        .map(|n| n + 1)
        .write_kafka_topic(&kafka, "missing-topic")
        .json();
    let error = plan.execute(&cluster()).unwrap_err().to_string();
    assert!(error.contains("KafkaTopicSink"), "{error}");
    assert!(error.contains("missing-topic"), "{error}");
}

#[test]
#[ignore = "needs a Spark cluster: the Spark-cluster tier of scripts/test-all.sh"]
fn kafka_credentials_reach_no_spark_log() {
    // Planted where a real job keeps its password: the cluster's
    // properties, which the driver and every worker build alike.
    const SECRET: &str = "planted-pa55word-7f3a91";
    let embedded = (!wayang_core::remote::is_worker()).then(|| {
        let cluster = EmbeddedCluster::start("guarded", 1).unwrap();
        cluster.create_topic("guarded-topic", 2).unwrap();
        cluster
            .produce(
                "guarded-topic",
                (0..50u32).map(|i| (None::<&str>, i.to_string())),
            )
            .unwrap();
        cluster
    });
    let kafka = embedded
        .as_ref()
        .map_or_else(|| KafkaCluster::new("guarded"), EmbeddedCluster::cluster)
        .with("sasl.password", SECRET);
    let plan = PlanBuilder::new();
    let out = plan
        .read_kafka_topic(&kafka, "guarded-topic")
        .json::<u32>()
        .map(|n| n + 1)
        .collect();
    plan.execute(&cluster()).unwrap();
    assert_eq!(out.take().unwrap().len(), 50);

    let logs = std::path::PathBuf::from(std::env::var("WAYANG_TEST_SPARK_LOGS").expect(
        "WAYANG_TEST_SPARK_LOGS names the stand's directory (logs, event logs, executors' work)",
    ));
    let mut files = Vec::new();
    let mut pending = vec![logs.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if !path.to_string_lossy().contains("wayang-worker-") {
                // (the uploaded program itself holds the test's text)
                files.push(path);
            }
        }
    }
    let mut event_log_saw_the_query = false;
    for file in &files {
        let text = String::from_utf8_lossy(&std::fs::read(file).unwrap_or_default()).into_owned();
        assert!(
            !text.contains(SECRET),
            "{} holds the password",
            file.display()
        );
        event_log_saw_the_query |=
            file.to_string_lossy().contains("/events/") && text.contains("TRANSFORM");
    }
    // What was searched sees the job: the event logs (what Spark's UI and
    // history server show) hold the queries.
    assert!(
        event_log_saw_the_query,
        "no event log under {} holds the job's queries: is spark.eventLog on, uncompressed?",
        logs.display()
    );
}

/// A record type no codec was registered for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Opaque(u64);

#[test]
fn a_type_without_a_codec_pinned_to_the_cluster_is_a_plan_error() {
    let ctx = WayangContext::new()
        .with(wayang_spark::plugin())
        .with_config(wayang_spark::REMOTE_KEY, "sc://127.0.0.1:9");
    let plan = PlanBuilder::new();
    let _out = plan
        .read_collection(vec![1u64, 2])
        .map(Opaque)
        .named("wrap")
        .on("spark")
        .collect();
    // Planning alone: nothing connects.
    let error = plan.explain(&ctx).unwrap_err().to_string();
    assert!(error.contains("wrap"), "{error}");
    assert!(error.contains("Opaque"), "{error}");
    assert!(error.contains("wayang_core::remote::register"), "{error}");
}

#[test]
fn the_optimizer_keeps_a_type_without_a_codec_off_the_cluster() {
    let ctx = WayangContext::new()
        .with(wayang_java::plugin())
        .with(wayang_spark::plugin())
        .with_config(wayang_spark::REMOTE_KEY, "sc://127.0.0.1:9");
    let plan = PlanBuilder::new();
    let _out = plan
        .read_collection((0..100_000u64).collect::<Vec<_>>())
        .map(Opaque)
        .named("wrap")
        .collect();
    let explained = plan.explain(&ctx).unwrap();
    let wrap = explained
        .operators
        .iter()
        .find(|o| o.operator.contains("wrap"))
        .unwrap();
    assert_eq!(wrap.platform, "java");
}

#[test]
fn an_unreachable_endpoint_fails_within_the_timeout_with_its_address() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("sc://127.0.0.1:{port}");
    let ctx = WayangContext::new()
        .with(wayang_spark::plugin())
        .with_config(wayang_spark::REMOTE_KEY, &address)
        .with_config(wayang_spark::cluster::CONNECT_TIMEOUT_KEY, 5000);
    let plan = PlanBuilder::new();
    let _out = plan.read_collection(vec![1u64, 2]).map(|n| n + 1).collect();
    let started = Instant::now();
    let error = plan.execute(&ctx).unwrap_err().to_string();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(error.contains(&address), "{error}");
}
