//! The federated-analytics scenario with no setup: four embedded Kafka
//! clusters, generated histories, Jobs 1-3, Job 4 and the comparisons.

use std::process::ExitCode;
use std::sync::Mutex;

use clap::Parser;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use wayang_examples::scenario::compare::Table;
use wayang_examples::scenario::demo::{self, DemoOptions, Event};
use wayang_examples::scenario::wire::RecordFormat;
use wayang_examples::scenario::PlatformChoice;

/// Run the federated-analytics scenario on embedded Kafka clusters.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Platforms the jobs may use (auto: the optimizer chooses per operator).
    #[arg(long, value_enum, default_value_t = PlatformChoice::Auto)]
    platform: PlatformChoice,
    /// Run the stages placed on spark on the Apache Spark cluster behind
    /// this Spark Connect endpoint (sc://HOST:PORT; needs a build with
    /// `--features connect`, see docs/spark.md).
    #[arg(long, value_name = "sc://HOST:PORT")]
    remote: Option<String>,
    /// Transactions per partner.
    #[arg(long, default_value_t = 20_000)]
    transactions: u64,
    /// A larger run: 1,000,000 transactions per partner.
    #[arg(long, conflicts_with = "transactions")]
    large: bool,
    /// Contributions of fewer customers are suppressed.
    #[arg(long, default_value_t = 3)]
    k: u64,
    /// Seeds the generated histories.
    #[arg(long, default_value_t = 2025)]
    seed: u64,
    /// Unparseable lines mixed into each history (they are skipped and counted).
    #[arg(long, default_value_t = 2)]
    bad_lines: u64,
    /// The topics' record format: json, or avro (an embedded Schema
    /// Registry per cluster; the last partner writes version 2 of the
    /// contribution schema).
    #[arg(long, value_enum, default_value_t = RecordFormat::Json)]
    format: RecordFormat,
    /// Print every month of the comparison, not only December.
    #[arg(long)]
    all: bool,
}

fn main() -> ExitCode {
    // Logs interleave with the progress display: only when asked for.
    if std::env::var_os("RUST_LOG").is_some() {
        wayang_examples::init_logging();
    }
    wayang_examples::finish("federated-demo", run(Args::parse()))
}

fn run(args: Args) -> Result<(), demo::DemoError> {
    let dir = tempfile::tempdir()?;
    let options = DemoOptions {
        transactions: if args.large {
            1_000_000
        } else {
            args.transactions
        },
        platform: args.platform,
        remote: args.remote.clone(),
        k: args.k,
        seed: args.seed,
        bad_lines: args.bad_lines,
        format: args.format,
        dir: dir.path().to_path_buf(),
    };
    println!(
        "Federated analytics: {} partners, {} transactions each, 4 embedded Kafka clusters, platform {}",
        demo::PARTNERS.len(),
        options.transactions,
        options.platform
    );
    let bars = MultiProgress::new();
    let style = ProgressStyle::with_template("{prefix:>22} {bar:30} {pos}/{len} {msg}")
        .map_err(|e| e.to_string())?;
    let spinner =
        ProgressStyle::with_template("{prefix:>22} {spinner} {msg}").map_err(|e| e.to_string())?;
    let current: Mutex<Option<ProgressBar>> = Mutex::new(None);
    let on = |event: Event<'_>| {
        let mut current = current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match event {
            Event::Generating(partner, done, total) => {
                let bar = current.get_or_insert_with(|| {
                    let bar = bars.add(ProgressBar::new(total).with_style(style.clone()));
                    bar.set_prefix(format!("generating {partner}"));
                    bar
                });
                bar.set_position(done);
                if done == total {
                    bar.finish_with_message("transactions");
                    *current = None;
                }
            }
            Event::JobStarted(name) => {
                let bar = bars.add(ProgressBar::new_spinner().with_style(spinner.clone()));
                bar.set_prefix(name.to_string());
                bar.enable_steady_tick(std::time::Duration::from_millis(100));
                *current = Some(bar);
            }
            Event::JobFinished(job) => {
                if let Some(bar) = current.take() {
                    bar.finish_with_message(format!(
                        "done in {:.0} ms on {}",
                        job.elapsed.as_secs_f64() * 1e3,
                        job.platforms.join("+")
                    ));
                }
            }
        }
    };
    let outcome = demo::run(&options, &on)?;

    println!("\nTopics");
    for (cluster, topic, records) in &outcome.topics {
        println!(
            "  {:<28} {records:>6} records",
            format!("{cluster}/{topic}")
        );
    }
    println!("\nJobs");
    for job in &outcome.jobs {
        println!(
            "  {:<22} {:<11} {:>8.1} ms  {:>8} records in  {:>6} out",
            job.name,
            job.platforms.join("+"),
            job.elapsed.as_secs_f64() * 1e3,
            job.records_in,
            job.records_out
        );
    }
    println!(
        "  ({} unparseable CSV lines skipped and counted)",
        outcome.skipped_lines
    );
    for (partner, rows) in &outcome.comparisons {
        let shown: Vec<_> = rows
            .iter()
            .filter(|r| args.all || r.month.ends_with("-12"))
            .cloned()
            .collect();
        println!(
            "\nComparison: {partner} against the global average{}",
            if args.all {
                ""
            } else {
                " (December; --all for every month)"
            }
        );
        print!("{}", Table(&shown));
    }
    Ok(())
}
