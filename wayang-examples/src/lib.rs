//! wayang-examples: runnable wayang-rs jobs and the code their tests share.
//!
//! - `federated-demo`: the federated-analytics scenario on embedded Kafka
//!   clusters ([`scenario`]); `partner-job`, `global-job` and `compare` run
//!   its jobs against real clusters;
//! - `wordcount`: Wayang's canonical WordCount (read a text file, split it
//!   into words, count them), see [`word_count`];
//! - `calibrate`: measures the cost model's parameters on this machine.
//!
//! Every job is a function that adds operators to a [`PlanBuilder`], so the
//! binaries and the tests run exactly the same plan.

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

use std::path::PathBuf;

use wayang_api::{Collector, PlanBuilder};

pub mod scenario;
mod tokenize;

pub use tokenize::tokenize;

/// How every binary here ends: success, or the error's whole chain on
/// stderr as `name: error` and a failure exit code.
pub fn finish<E: std::fmt::Display>(name: &str, result: Result<(), E>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{name}: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Sends `tracing` output (warnings by default; `RUST_LOG` to change) to stderr.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

/// The sample text that `wordcount` reads when given no file.
pub fn sample_text_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/sample.txt")
}

/// WordCount: read `path`, split lines into words, count each word.
/// The returned collector holds `(word, count)` once the plan has run.
///
/// ```
/// let plan = wayang_api::PlanBuilder::new();
/// let counts = wayang_examples::word_count(&plan, wayang_examples::sample_text_path());
/// plan.execute(&wayang_api::WayangContext::new().with(wayang_java::plugin()))?;
/// assert!(counts.take()?.contains(&("partner".to_string(), 3)));
/// # Ok::<(), wayang_api::Error>(())
/// ```
pub fn word_count(plan: &PlanBuilder, path: impl Into<PathBuf>) -> Collector<(String, u64)> {
    plan.read_text_file(path)
        .named("lines")
        .flat_map(|line| tokenize(&line))
        .named("split words")
        .map(|word| (word, 1u64))
        .named("pair with 1")
        .try_reduce_values_by_key(|a, b| a.checked_add(b).ok_or("a word count overflows u64"))
        .named("count per word")
        .collect()
}

/// Writes about `target` bytes of text to `path`: lines of 12 words drawn
/// from a Zipf-like vocabulary of 5000 words (deterministic). Returns the
/// bytes written. For benchmarks.
pub fn generate_text(path: &std::path::Path, target: usize) -> std::io::Result<u64> {
    generate(path, |_, bytes| bytes >= target)
}

/// Writes `lines` lines of [`generate_text`]'s text to `path`. Returns the
/// bytes written.
pub fn generate_lines(path: &std::path::Path, lines: usize) -> std::io::Result<u64> {
    generate(path, |written, _| written >= lines)
}

fn generate(path: &std::path::Path, done: impl Fn(usize, usize) -> bool) -> std::io::Result<u64> {
    use std::io::Write;
    let vocabulary: Vec<String> = (0..5000).map(|i| format!("wörd{i}")).collect();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let (mut written, mut lines, mut state) = (0usize, 0usize, 0x2545_F491_4F6C_DD1Du64);
    let mut line = String::new();
    while !done(lines, written) {
        line.clear();
        for _ in 0..12 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Zipf-like: the index is the square of a uniform fraction.
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            line.push_str(&vocabulary[(u * u * vocabulary.len() as f64) as usize]);
            line.push(' ');
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
        written += line.len();
        lines += 1;
    }
    out.flush()?;
    Ok(written as u64)
}
