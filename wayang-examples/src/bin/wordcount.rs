//! WordCount: counts the words of a text file (the bundled sample by default).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use wayang_api::PlanBuilder;
use wayang_examples::scenario::PlatformChoice;

/// Count the words of a text file with wayang-rs.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The text file to read (default: the bundled sample text).
    file: Option<PathBuf>,
    /// Print only the N most frequent words.
    #[arg(long, value_name = "N")]
    top: Option<usize>,
    /// Print the job report (records and time per operator) to stderr.
    #[arg(long)]
    report: bool,
    /// The platforms the job may run on.
    #[arg(long, value_enum, default_value_t = PlatformChoice::Java)]
    platform: PlatformChoice,
}

fn main() -> ExitCode {
    wayang_examples::finish("wordcount", run(Args::parse()))
}

fn run(args: Args) -> anyhow::Result<()> {
    let path = args.file.unwrap_or_else(wayang_examples::sample_text_path);
    let ctx = args.platform.context();
    let plan = PlanBuilder::new();
    let counts = wayang_examples::word_count(&plan, &path);
    let report = plan
        .execute(&ctx)
        .with_context(|| format!("counting the words of {}", path.display()))?;

    let mut counts = counts.take()?;
    counts.sort_by(|(w1, c1), (w2, c2)| c2.cmp(c1).then_with(|| w1.cmp(w2)));
    let total: u64 = counts.iter().map(|(_, count)| count).sum();
    let shown = args.top.unwrap_or(counts.len()).min(counts.len());
    for (word, count) in &counts[..shown] {
        println!("{count:>7}  {word}");
    }
    println!(
        "{total} words, {} distinct, in {}",
        counts.len(),
        path.display()
    );
    if args.report {
        eprintln!("{report}");
    }
    Ok(())
}
