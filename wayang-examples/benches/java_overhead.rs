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

/// WordCount runs alternate between the plain loop and wayang, so a burst of
/// noise from a neighbour on a shared machine lands on both rather than on
/// whichever ran during it; 7 rounds leave each side several quiet runs.
const WORD_COUNT_ROUNDS: usize = 7;

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
        "WordCount over {:.1} MB of generated text, best of {WORD_COUNT_ROUNDS} alternating runs",
        bytes as f64 / 1e6
    );

    // The same hasher as wayang's keyed operators (foldhash) and the same
    // 64 KiB read buffer as its text source, so the baseline differs only in
    // having no framework around it.
    let plain = || {
        let file = BufReader::with_capacity(1 << 16, std::fs::File::open(&path).expect("open"));
        let mut counts: HashMap<String, u64, foldhash::fast::RandomState> = HashMap::default();
        for line in file.lines() {
            for word in tokenize(&line.expect("line")) {
                *counts.entry(word).or_default() += 1;
            }
        }
        counts.len()
    };
    let java = || {
        let plan = PlanBuilder::new();
        let counts = word_count(&plan, &path);
        plan.execute(&ctx).expect("job");
        counts.take().expect("counts").len()
    };
    let (plain, java) = best_alternating(WORD_COUNT_ROUNDS, plain, java);
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

/// Runs `a` then `b`, `rounds` times, and returns each one's fastest time;
/// all results of both must agree.
fn best_alternating(
    rounds: usize,
    mut a: impl FnMut() -> usize,
    mut b: impl FnMut() -> usize,
) -> (Duration, Duration) {
    let mut fastest = (Duration::MAX, Duration::MAX);
    let mut answer = None;
    for _ in 0..rounds {
        let (time_a, result_a) = timed(&mut a);
        let (time_b, result_b) = timed(&mut b);
        fastest = (fastest.0.min(time_a), fastest.1.min(time_b));
        for result in [result_a, result_b] {
            assert!(answer.is_none_or(|r| r == result), "runs disagree");
            answer = Some(result);
        }
    }
    fastest
}

fn timed(work: &mut impl FnMut() -> usize) -> (Duration, usize) {
    let started = Instant::now();
    let result = std::hint::black_box(work());
    (started.elapsed(), result)
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
