//! spark against java in one run: a CPU-bound job (WordCount over generated
//! text) and a Kafka read of a multi-partition topic. Prints figures; asserts
//! nothing about speed (see docs/benchmarks.md). Target on 2 cores: spark
//! at least 1.8x java on the CPU-bound job.
//!
//! `cargo bench -p wayang-examples --bench spark_speedup [-- MEGABYTES]`

use std::time::{Duration, Instant};

use wayang_api::{PlanBuilder, WayangContext};
use wayang_kafka::embedded::EmbeddedCluster;

const ROUNDS: usize = 3;

fn main() {
    let megabytes: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let java = WayangContext::new().with(wayang_java::plugin());
    let spark = WayangContext::new().with(wayang_spark::plugin());
    println!("{cores} cores; spark runs {cores} worker threads and partitions; {ROUNDS} interleaved rounds, best shown");

    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("words.txt");
    let bytes = wayang_examples::generate_text(&path, megabytes << 20).expect("generate");
    println!(
        "\nWordCount over {:.1} MB of generated text",
        bytes as f64 / 1e6
    );
    // The whole result is compared, not only its size: sorted, since the
    // platforms emit groups in different orders (sorting is outside the
    // timed job).
    let word_count = |ctx: &WayangContext| {
        let plan = PlanBuilder::new();
        let counts = wayang_examples::word_count(&plan, &path);
        plan.execute(ctx).expect("job");
        counts.take().expect("counts")
    };
    let (java_time, spark_time) = compare(|| word_count(&java), || word_count(&spark));
    report("java", bytes as f64 / 1e6, "MB/s", java_time);
    report("spark", bytes as f64 / 1e6, "MB/s", spark_time);
    println!(
        "  spark speed-up: {:.2}x",
        java_time.as_secs_f64() / spark_time.as_secs_f64()
    );

    let records = 300_000u64;
    let partitions = 32;
    let cluster = EmbeddedCluster::start("bench", 3).expect("cluster");
    cluster.create_topic("numbers", partitions).expect("topic");
    let fill = PlanBuilder::new();
    fill.read_collection(0..records)
        .write_kafka_topic(&cluster.cluster(), "numbers")
        .partition(move |i| (i % partitions as u64) as i32)
        .json();
    fill.execute(&java).expect("fill");
    assert!(cluster
        .low_watermarks("numbers")
        .expect("watermarks")
        .iter()
        .all(|low| *low == 0));
    println!("\nKafka read: {records} JSON numbers in {partitions} partitions (embedded mock cluster, 3 brokers)");
    let read = |ctx: &WayangContext| {
        let plan = PlanBuilder::new();
        let sum = plan
            .read_kafka_topic(&cluster.cluster(), "numbers")
            .json::<u64>()
            .reduce(|a, b| a + b)
            .collect();
        plan.execute(ctx).expect("job");
        sum.take().expect("sum")
    };
    let (java_time, spark_time) = compare(|| read(&java), || read(&spark));
    report("java", records as f64 / 1e6, "M rec/s", java_time);
    report("spark", records as f64 / 1e6, "M rec/s", spark_time);
    println!(
        "  spark speed-up: {:.2}x",
        java_time.as_secs_f64() / spark_time.as_secs_f64()
    );
}

/// Best times of two jobs run alternately; their whole results (as
/// multisets) must agree.
fn compare<T: Ord + std::fmt::Debug>(
    mut first: impl FnMut() -> Vec<T>,
    mut second: impl FnMut() -> Vec<T>,
) -> (Duration, Duration) {
    let (mut a, mut b) = (Duration::MAX, Duration::MAX);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let mut x = first();
        a = a.min(started.elapsed());
        let started = Instant::now();
        let mut y = second();
        b = b.min(started.elapsed());
        x.sort();
        y.sort();
        assert!(x == y, "the platforms disagree");
    }
    (a, b)
}

fn report(name: &str, amount: f64, unit: &str, time: Duration) {
    println!(
        "  {name:<6} {:>8.1} ms  {:>7.2} {unit}",
        time.as_secs_f64() * 1e3,
        amount / time.as_secs_f64()
    );
}
