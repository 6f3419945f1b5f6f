//! Jobs 1-3: one partner's job against its own Kafka cluster.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use wayang_api::PlanBuilder;
use wayang_examples::scenario::partner::{self, BadLines, PartnerJob};
use wayang_examples::scenario::wire::RecordFormat;
use wayang_examples::scenario::PlatformChoice;

/// Compute a partner's monthly averages per category, keep them locally and
/// publish the aggregates (k-suppressed) to the partner's own cluster.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The partner's id (used in contributions and messages).
    #[arg(long)]
    partner: String,
    /// The transaction history (tx_id,timestamp,customer_id,category,amount).
    #[arg(long)]
    csv: PathBuf,
    /// The partner's cluster: a .properties file (${ENV} allowed in values).
    #[arg(long)]
    cluster: PathBuf,
    /// The contributions topic on that cluster.
    #[arg(long, default_value = "contributions")]
    topic: String,
    /// Where to write the local averages.
    #[arg(long)]
    local_out: PathBuf,
    /// Suppress contributions of fewer customers.
    #[arg(long, default_value_t = 3)]
    k: u64,
    /// What to do with lines that do not parse.
    #[arg(long, value_enum, default_value_t = BadLines::Fail)]
    bad_lines: BadLines,
    /// The contributions' (and averages') record format: json, or Avro
    /// framed for the cluster's Schema Registry (its properties file names
    /// the registry: schema.registry.url, basic.auth.user.info).
    #[arg(long, value_enum, default_value_t = RecordFormat::Json)]
    format: RecordFormat,
    /// Platforms the job may use.
    #[arg(long, value_enum, default_value_t = PlatformChoice::Auto)]
    platform: PlatformChoice,
    /// Run the stages placed on spark on the Apache Spark cluster behind
    /// this Spark Connect endpoint (sc://HOST:PORT; needs a build with
    /// `--features connect`, see docs/spark.md).
    #[arg(long, value_name = "sc://HOST:PORT")]
    remote: Option<String>,
}

fn main() -> ExitCode {
    wayang_examples::init_logging();
    wayang_examples::finish("partner-job", run(Args::parse()))
}

fn run(args: Args) -> anyhow::Result<()> {
    let cluster = wayang_kafka::load_cluster(&args.partner, &args.cluster)
        .with_context(|| format!("loading the cluster of partner {:?}", args.partner))?;
    let job = PartnerJob {
        partner: args.partner.clone(),
        csv: args.csv,
        local_out: args.local_out,
        cluster,
        topic: args.topic,
        k: args.k,
        bad_lines: args.bad_lines,
        format: args.format,
    };
    let plan = PlanBuilder::new();
    let skipped = partner::build(&plan, &job);
    let report = plan.execute(&args.platform.context_on(args.remote.as_deref()))?;
    println!("{report}");
    println!(
        "partner {}: {} lines skipped",
        args.partner,
        skipped.take()?
    );
    Ok(())
}
