//! The spark platform on a real Apache Spark cluster, side by side with the
//! same jobs in process and in PySpark (Spark's own DataFrame operators)
//! through the same Spark Connect server: WordCount over 1 M and 10 M
//! generated lines, the scenario's partner job over 1 M transactions, and
//! the fixed cost of a tiny job. Prints figures; asserts nothing about speed
//! (see docs/benchmarks.md).
//!
//! ```sh
//! bash scripts/spark-cluster.sh start           # prints sc://127.0.0.1:PORT
//! WAYANG_BENCH_SPARK_REMOTE=sc://127.0.0.1:PORT \
//! WAYANG_BENCH_PYTHON=$(bash scripts/spark-cluster.sh client) \
//!   cargo bench -p wayang-examples --features connect --bench spark_cluster
//! ```
//!
//! The bench is its own worker: started by a Spark task, it builds the same
//! plans (without generating any input) and serves the one asked for.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use wayang_api::{JobReport, PlanBuilder, WayangContext};
use wayang_examples::scenario::partner::{self, BadLines, PartnerJob};
use wayang_examples::scenario::wire::RecordFormat;
use wayang_kafka::embedded::EmbeddedCluster;
use wayang_kafka::KafkaCluster;

/// Each measurement is the best of this many runs, after one warm-up.
const RUNS: usize = 2;

fn main() {
    let worker = wayang_core::remote::is_worker();
    let remote = std::env::var("WAYANG_BENCH_SPARK_REMOTE").ok();
    if remote.is_none() && !worker {
        eprintln!("WAYANG_BENCH_SPARK_REMOTE must name a Spark Connect endpoint (bash scripts/spark-cluster.sh start)");
        std::process::exit(2);
    }
    let local = WayangContext::new().with(wayang_spark::plugin());
    let mut cluster = WayangContext::new()
        .with(wayang_spark::plugin())
        .with_config(wayang_spark::PARTITIONS_KEY, 4)
        .with_config(wayang_spark::cluster::FILES_IN_TASKS_KEY, true);
    if let Some(remote) = &remote {
        cluster = cluster.with_config(wayang_spark::REMOTE_KEY, remote.as_str());
    }
    let python = std::env::var("WAYANG_BENCH_PYTHON").ok();
    let dir = PathBuf::from(
        std::env::var("WAYANG_BENCH_DIR").unwrap_or_else(|_| "target/bench-data".into()),
    );
    std::fs::create_dir_all(&dir).expect("the bench's data directory");

    if !worker {
        println!(
            "spark in process on {} cores; the cluster: 2 workers of 1 core behind {}; best of {RUNS} after a warm-up",
            std::thread::available_parallelism().map_or(1, |n| n.get()),
            remote.as_deref().unwrap_or("-"),
        );
        println!(
            "\n{:<34} {:>22} {:>22} {:>22}",
            "job", "spark in process", "spark on the cluster", "PySpark on the cluster"
        );
    }
    // The fixed cost of a job on the cluster: ten lines.
    let tiny = dir.join("tiny.txt");
    if !worker {
        wayang_examples::generate_lines(&tiny, 10).expect("generate");
    }
    let tiny_cluster = measure(&cluster, || word_count_plan(&tiny));
    if !worker {
        println!(
            "{:<34} {:>22} {:>22} {:>22}",
            "a warm job of 10 lines (WordCount)",
            "",
            format!("{:.0} ms", ms(tiny_cluster.0)),
            "",
        );
    }

    for lines in [1_000_000usize, 10_000_000] {
        let path = dir.join(format!("words-{lines}.txt"));
        if !worker && !path.exists() {
            wayang_examples::generate_lines(&path, lines).expect("generate");
        }
        let in_process = measure(&local, || word_count_plan(&path));
        let on_cluster = measure(&cluster, || word_count_plan(&path));
        if worker {
            continue;
        }
        assert_eq!(in_process.1, on_cluster.1, "the same counts");
        let pyspark = python.as_deref().map(|python| {
            pyspark(
                python,
                remote.as_deref().unwrap_or_default(),
                "wordcount",
                &path,
            )
        });
        if let Some((_, rows, total)) = &pyspark {
            assert_eq!(
                (*rows, *total),
                (in_process.1 .0, in_process.1 .1),
                "PySpark counts the same words"
            );
        }
        println!(
            "{:<34} {:>22} {:>22} {:>22}",
            format!("WordCount, {} M lines", lines / 1_000_000),
            rate(in_process.0, lines),
            rate(on_cluster.0, lines),
            pyspark.map_or("-".into(), |(t, _, _)| rate(t, lines)),
        );
        println!("    cluster stages: {}", stages(&on_cluster.2));
    }

    // The partner job: CSV parsing, two aggregations, a sort, a local file
    // and a transactional Kafka table (written by the driver).
    let transactions = 1_000_000u64;
    let csv = dir.join("transactions-1M.csv");
    let embedded = (!worker).then(|| {
        if !csv.exists() {
            let generator = wayang_examples::scenario::generate::Generator::new(7, transactions);
            generator.write_csv(&csv, |_| {}).expect("generate");
        }
        let cluster = EmbeddedCluster::start("emea", 1).expect("cluster");
        cluster.create_topic("contributions", 3).expect("topic");
        cluster
    });
    let kafka = embedded
        .as_ref()
        .map_or_else(|| KafkaCluster::new("emea"), EmbeddedCluster::cluster);
    let job = PartnerJob {
        partner: "emea".into(),
        csv: csv.clone(),
        local_out: dir.join("local-averages.csv"),
        cluster: kafka,
        topic: "contributions".into(),
        k: 3,
        bad_lines: BadLines::Skip,
        format: RecordFormat::Json,
    };
    let partner_plan = || {
        let plan = PlanBuilder::new();
        partner::build(&plan, &job);
        (plan, ())
    };
    let in_process = best_of(&local, partner_plan, |()| ());
    let on_cluster = best_of(&cluster, partner_plan, |()| ());
    if worker {
        // A worker that gets here served no plan: the wrapper reports it.
        return;
    }
    let pyspark = python.as_deref().map(|python| {
        pyspark(
            python,
            remote.as_deref().unwrap_or_default(),
            "partner",
            &csv,
        )
    });
    println!(
        "{:<34} {:>22} {:>22} {:>22}",
        "partner job, 1 M transactions",
        rate(in_process.0, transactions as usize),
        rate(on_cluster.0, transactions as usize),
        pyspark.map_or("-".into(), |(t, _, _)| rate(t, transactions as usize)),
    );
    println!("    cluster stages: {}", stages(&on_cluster.2));
}

fn word_count_plan(path: &Path) -> (PlanBuilder, wayang_api::Collector<(String, u64)>) {
    let plan = PlanBuilder::new();
    let counts = wayang_examples::word_count(&plan, path);
    (plan, counts)
}

/// Best time of [`RUNS`] runs after a warm-up, what `finish` makes of the
/// last run's output, and the last run's report.
fn best_of<C, S: Default>(
    ctx: &WayangContext,
    build: impl Fn() -> (PlanBuilder, C),
    finish: impl Fn(C) -> S,
) -> (Duration, S, Option<JobReport>) {
    let mut best = Duration::MAX;
    let mut summary = S::default();
    let mut last = None;
    for run in 0..=RUNS {
        let (plan, output) = build();
        let started = Instant::now();
        let report = plan.execute(ctx).expect("job");
        let elapsed = started.elapsed();
        summary = finish(output);
        if run > 0 {
            best = best.min(elapsed);
        }
        last = Some(report);
    }
    (best, summary, last)
}

/// [`best_of`] a word count: the result's size and the sum of its counts.
fn measure(
    ctx: &WayangContext,
    build: impl Fn() -> (PlanBuilder, wayang_api::Collector<(String, u64)>),
) -> (Duration, (usize, u64), Option<JobReport>) {
    best_of(ctx, build, |counts| {
        let counts = counts.take().expect("counts");
        (counts.len(), counts.iter().map(|(_, n)| n).sum())
    })
}

/// Runs the PySpark side; the best of its runs after the first, the
/// result's rows and checksum.
fn pyspark(python: &str, remote: &str, job: &str, input: &Path) -> (Duration, usize, u64) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/bench/pyspark_jobs.py");
    let output = Command::new(python)
        .arg(script)
        .args([remote, job])
        .arg(input)
        .output()
        .expect("PySpark runs");
    assert!(
        output.status.success(),
        "PySpark failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let runs: Vec<(u64, usize, u64)> = text
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(' ').map(|f| f.split_once('=').map(|(_, v)| v));
            let ms = fields.next()??.parse().ok()?;
            let rows = fields.next()??.parse().ok()?;
            let checksum = fields.next()??.parse().ok()?;
            Some((ms, rows, checksum))
        })
        .collect();
    let (_, rows, checksum) = *runs.last().expect("PySpark printed its runs");
    let best = runs.iter().skip(1).map(|r| r.0).min().unwrap_or(runs[0].0);
    (Duration::from_millis(best), rows, checksum)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn rate(d: Duration, lines: usize) -> String {
    format!(
        "{:.0} ms, {:.2} M/s",
        ms(d),
        lines as f64 / d.as_secs_f64() / 1e6
    )
}

fn stages(report: &Option<JobReport>) -> String {
    report.as_ref().map_or_else(String::new, |report| {
        report
            .stages
            .iter()
            .map(|s| format!("{:.0} ms", s.elapsed.as_secs_f64() * 1000.0))
            .collect::<Vec<_>>()
            .join(", ")
    })
}
