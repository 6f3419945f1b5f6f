//! How much the java platform costs over hand-written Rust doing the same
//! work: WordCount over generated text, and a chain of narrow operators.
//! Prints figures; asserts nothing about speed (see docs/benchmarks.md).
//!
//! `cargo bench -p wayang-examples --bench java_overhead [-- MEGABYTES]`

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use wayang_api::{PlanBuilder, WayangContext};
use wayang_examples::{tokenize, word_count};

const REPEATS: usize = 3;

/// The narrow chain takes tens of milliseconds, so more runs are cheap and
/// steady the best-of figure on a noisy machine.
const CHAIN_REPEATS: usize = 15;

fn main() {
    let megabytes: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(50);
    let ctx = WayangContext::new().with(wayang_java::plugin());

    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("words.txt");
    let bytes = wayang_examples::generate_text(&path, megabytes << 20).expect("generate");
    println!(
        "WordCount over {:.1} MB of generated text, best of {REPEATS}",
        bytes as f64 / 1e6
    );

    // The same hasher as wayang's keyed operators (foldhash), so the
    // baseline differs only in having no framework around it.
    let plain = best(|| {
        let file = BufReader::new(std::fs::File::open(&path).expect("open"));
        let mut counts: HashMap<String, u64, foldhash::fast::RandomState> = HashMap::default();
        for line in file.lines() {
            for word in tokenize(&line.expect("line")) {
                *counts.entry(word).or_default() += 1;
            }
        }
        counts.len()
    });
    let java = best(|| {
        let plan = PlanBuilder::new();
        let counts = word_count(&plan, &path);
        plan.execute(&ctx).expect("job");
        counts.take().expect("counts").len()
    });
    report("plain Rust loop", bytes, plain);
    report("wayang java", bytes, java);
    println!(
        "  java / plain time: {:.2}",
        java.as_secs_f64() / plain.as_secs_f64()
    );

    let records = 20_000_000u64;
    println!("\nmap -> filter -> map -> count over {records} u64 records, best of {CHAIN_REPEATS}");
    let plain = best_of(CHAIN_REPEATS, || {
        (0..records)
            .map(|x| x.wrapping_mul(0x9E37_79B9))
            .filter(|x| x % 3 != 0)
            .fold(0usize, |n, x| {
                std::hint::black_box(x >> 7);
                n + 1
            })
    });
    // The plan reads a collection held in memory (160 MB), so the fair hand
    // loop reads the same vector rather than generating its input.
    let input: Vec<u64> = (0..records).collect();
    let plain_over_vec = best_of(CHAIN_REPEATS, || {
        input
            .iter()
            .copied()
            .map(|x| x.wrapping_mul(0x9E37_79B9))
            .filter(|x| x % 3 != 0)
            .fold(0usize, |n, x| {
                std::hint::black_box(x >> 7);
                n + 1
            })
    });
    let plan = PlanBuilder::new();
    let count = plan
        .read_collection(input)
        .map(|x| x.wrapping_mul(0x9E37_79B9))
        .filter(|x| x % 3 != 0)
        .map(|x| x >> 7)
        .count()
        .collect();
    let java = best_of(CHAIN_REPEATS, || {
        plan.execute(&ctx).expect("job");
        count.take().expect("count")[0] as usize
    });
    report_records("plain chain over a range", records, plain);
    report_records("plain chain over the vec", records, plain_over_vec);
    report_records("wayang java", records, java);
    println!(
        "  java / plain chain over the vec: {:.2}",
        java.as_secs_f64() / plain_over_vec.as_secs_f64()
    );
    let plain = plain_over_vec;
    let per_record = (java.as_secs_f64() - plain.as_secs_f64()) / records as f64 / 4.0;
    println!(
        "  overhead per record per operator: {:.1} ns",
        per_record * 1e9
    );
}

/// Runs `work` REPEATS times and returns the fastest time; the results must agree.
fn best(work: impl FnMut() -> usize) -> Duration {
    best_of(REPEATS, work)
}

/// Runs `work` `repeats` times and returns the fastest time; the results must agree.
fn best_of(repeats: usize, mut work: impl FnMut() -> usize) -> Duration {
    let mut fastest = Duration::MAX;
    let mut answer = None;
    for _ in 0..repeats {
        let started = Instant::now();
        let result = std::hint::black_box(work());
        fastest = fastest.min(started.elapsed());
        assert!(answer.is_none_or(|a| a == result), "runs disagree");
        answer = Some(result);
    }
    fastest
}

fn report(name: &str, bytes: u64, time: Duration) {
    println!(
        "  {name:<22} {:>8.1} ms  {:>7.1} MB/s",
        time.as_secs_f64() * 1e3,
        bytes as f64 / 1e6 / time.as_secs_f64()
    );
}

fn report_records(name: &str, records: u64, time: Duration) {
    println!(
        "  {name:<22} {:>8.1} ms  {:>7.1} M rec/s",
        time.as_secs_f64() * 1e3,
        records as f64 / 1e6 / time.as_secs_f64()
    );
}
