//! Job 4: global monthly averages per category from every partner's cluster.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use wayang_api::kafka::{BadRecordPolicy, ExactlyOnce, DEFAULT_POSITIONS_TOPIC};
use wayang_api::PlanBuilder;
use wayang_examples::scenario::global::{self, GlobalJob};
use wayang_examples::scenario::wire::RecordFormat;
use wayang_examples::scenario::PlatformChoice;

/// Read the partners' contributions from their clusters, compute the global
/// averages and write them to the shared cluster.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// A partner's cluster and topic: ALIAS=FILE.properties[:TOPIC] (repeat per partner).
    #[arg(long = "source", required = true)]
    sources: Vec<String>,
    /// The shared cluster: a .properties file.
    #[arg(long)]
    sink: PathBuf,
    /// The global averages topic on the shared cluster.
    #[arg(long, default_value = "global-averages")]
    sink_topic: String,
    /// Commit the averages and the positions of the contributions they came
    /// from in one transaction on the shared cluster, under this stable job
    /// id (fences an older run of the same id that is still alive).
    #[arg(long, value_name = "JOB_ID")]
    exactly_once: Option<String>,
    /// The topic on the shared cluster that keeps an exactly-once job's
    /// positions (one partition).
    #[arg(long, default_value = DEFAULT_POSITIONS_TOPIC, requires = "exactly_once")]
    positions_topic: String,
    /// Skip contributions that do not decode instead of failing.
    #[arg(long)]
    skip_bad_records: bool,
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
    /// Print the chosen execution plan before running.
    #[arg(long)]
    explain: bool,
}

fn main() -> ExitCode {
    wayang_examples::init_logging();
    wayang_examples::finish("global-job", run(Args::parse()))
}

fn run(args: Args) -> anyhow::Result<()> {
    let mut sources = Vec::new();
    for spec in &args.sources {
        let (alias, rest) = spec
            .split_once('=')
            .with_context(|| format!("--source {spec:?}: expected ALIAS=FILE[:TOPIC]"))?;
        let (file, topic) = match rest.rsplit_once(':') {
            Some((file, topic)) if file.ends_with(".properties") => (file, topic),
            _ => (rest, "contributions"),
        };
        let cluster = wayang_kafka::load_cluster(alias, file)
            .with_context(|| format!("loading the cluster of partner {alias:?}"))?;
        sources.push((cluster, topic.to_string()));
    }
    let sink =
        wayang_kafka::load_cluster("shared", &args.sink).context("loading the shared cluster")?;
    let exactly_once = args
        .exactly_once
        .map(|id| ExactlyOnce::new(id, &sink).positions_topic(&args.positions_topic));
    let job = GlobalJob {
        sources,
        sink,
        sink_topic: args.sink_topic,
        exactly_once,
        on_bad_record: if args.skip_bad_records {
            BadRecordPolicy::Skip
        } else {
            BadRecordPolicy::Fail
        },
        format: args.format,
    };
    let plan = PlanBuilder::new();
    global::build(&plan, &job).context("no sources")?;
    let ctx = args.platform.context_on(args.remote.as_deref());
    // One resolution for both: the plan shown is exactly what is read.
    let prepared = plan.prepare(&ctx)?;
    if args.explain {
        println!("{}", prepared.explain()?);
    }
    println!("{}", prepared.execute()?);
    Ok(())
}
