//! The scenario's partner job against the plain-Rust reference
//! (`scenario::reference`), which reads the same CSV and computes the same
//! cells without wayang: CSV parsing, then per month and category the sum of
//! cents and the distinct customers. The job also sorts its cells into a
//! local file and publishes
//! them to a transactional Kafka table (an embedded cluster here). Prints
//! figures; asserts nothing about speed (see docs/benchmarks.md). Target on
//! 2 cores: spark at least 150 MB/s of CSV and within 1.5x of the reference.
//!
//! `cargo bench -p wayang-examples --bench partner_speed [-- TRANSACTIONS]`

use std::path::Path;
use std::time::{Duration, Instant};

use wayang_api::{PlanBuilder, WayangContext};
use wayang_examples::scenario::generate::Generator;
use wayang_examples::scenario::model::LocalAverage;
use wayang_examples::scenario::partner::{self, BadLines, PartnerJob};
use wayang_examples::scenario::reference;
use wayang_examples::scenario::wire::RecordFormat;
use wayang_kafka::embedded::EmbeddedCluster;

const ROUNDS: usize = 5;
const K: u64 = 3;

fn main() {
    let transactions: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temporary directory");
    let csv = dir.path().join("transactions.csv");
    Generator::new(7, transactions)
        .write_csv(&csv, |_| {})
        .expect("generate");
    let megabytes = std::fs::metadata(&csv).expect("csv").len() as f64 / 1e6;
    let cluster = EmbeddedCluster::start("emea", 1).expect("cluster");
    cluster.create_topic("contributions", 3).expect("topic");
    let job = PartnerJob {
        partner: "emea".into(),
        csv: csv.clone(),
        local_out: dir.path().join("local-averages.csv"),
        cluster: cluster.cluster(),
        topic: "contributions".into(),
        k: K,
        bad_lines: BadLines::Skip,
        format: RecordFormat::Json,
    };
    let java = WayangContext::new().with(wayang_java::plugin());
    let spark = WayangContext::new().with(wayang_spark::plugin());
    println!(
        "partner job over {transactions} transactions ({megabytes:.1} MB of CSV), \
         {ROUNDS} interleaved rounds, best shown"
    );

    let mut times = [Duration::MAX; 3];
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let expected = reference::global_sums(&[csv.as_path()], K).expect("reference");
        times[0] = times[0].min(started.elapsed());
        for (slot, ctx) in [(1, &java), (2, &spark)] {
            let started = Instant::now();
            let plan = PlanBuilder::new();
            partner::build(&plan, &job);
            let report = plan.execute(ctx).expect("partner job");
            times[slot] = times[slot].min(started.elapsed());
            if std::env::var_os("WAYANG_BENCH_REPORT").is_some() {
                println!("{report}");
            }
            check(&job.local_out, &expected);
        }
    }
    let reference_time = times[0];
    for (name, time) in ["reference", "java", "spark"].iter().zip(times) {
        println!(
            "  {name:<10} {:>8.1} ms  {:>7.1} MB/s  {:>5.2}x the reference",
            time.as_secs_f64() * 1e3,
            megabytes / time.as_secs_f64(),
            time.as_secs_f64() / reference_time.as_secs_f64()
        );
    }
}

/// The job's local file holds the reference's cells (those with at least
/// `K` customers: the reference suppresses the others).
fn check(local_out: &Path, expected: &reference::Globals) {
    let text = std::fs::read_to_string(local_out).expect("local averages");
    let mut found = reference::Globals::new();
    for line in text.lines() {
        let cell = LocalAverage::parse(line).expect("a local average");
        if cell.customers >= K {
            found.insert(
                (cell.month, cell.category),
                (cell.sum_cents, cell.customers, 1),
            );
        }
    }
    assert!(&found == expected, "the job and the reference disagree");
}
