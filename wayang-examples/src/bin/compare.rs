//! A partner's local averages beside the global ones.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use wayang_api::PlanBuilder;
use wayang_examples::scenario::compare::{self, Table};
use wayang_examples::scenario::wire::RecordFormat;
use wayang_examples::scenario::PlatformChoice;

/// Print a partner's monthly averages beside the global averages.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The shared cluster: a .properties file.
    #[arg(long)]
    cluster: PathBuf,
    /// The global averages topic.
    #[arg(long, default_value = "global-averages")]
    topic: String,
    /// The partner's local averages (written by partner-job).
    #[arg(long)]
    local: PathBuf,
    /// The contributions' (and averages') record format: json, or Avro
    /// framed for the cluster's Schema Registry (its properties file names
    /// the registry: schema.registry.url, basic.auth.user.info).
    #[arg(long, value_enum, default_value_t = RecordFormat::Json)]
    format: RecordFormat,
    /// Platforms the job may use.
    #[arg(long, value_enum, default_value_t = PlatformChoice::Auto)]
    platform: PlatformChoice,
}

fn main() -> ExitCode {
    wayang_examples::finish("compare", run(Args::parse()))
}

fn run(args: Args) -> anyhow::Result<()> {
    let shared = wayang_kafka::load_cluster("shared", &args.cluster)
        .context("loading the shared cluster")?;
    let plan = PlanBuilder::new();
    let rows = compare::build(&plan, &shared, &args.topic, &args.local, args.format);
    plan.execute(&args.platform.context())?;
    print!("{}", Table(&rows.take()?));
    Ok(())
}
