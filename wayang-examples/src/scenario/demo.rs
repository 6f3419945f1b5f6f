//! The whole scenario with no setup: four embedded Kafka clusters in this
//! process (one per partner, one shared), generated histories, Jobs 1-3,
//! Job 4 and every partner's comparison. Each cluster is reached through a
//! `.properties` file, as a real deployment would be.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use std::collections::BTreeMap;

use wayang_api::kafka::{BadRecordPolicy, ExactlyOnce, KafkaCluster, DEFAULT_POSITIONS_TOPIC};
use wayang_api::{JobReport, PlanBuilder};
use wayang_core::formats::registry::{parse_frame, RegistryCodec};
use wayang_kafka::embedded::{EmbeddedCluster, StoredRecord};
use wayang_kafka::registry::embedded::EmbeddedRegistry;

use super::compare::{self, Comparison};
use super::generate::Generator;
use super::global::{self, GlobalJob};
use super::model::GlobalAverage;
use super::partner::{self, BadLines, PartnerJob};
use super::wire::{self, RecordFormat};
use super::PlatformChoice;

/// The partners, each with its own cluster.
pub const PARTNERS: [&str; 3] = ["emea", "apac", "us-west"];
/// The shared cluster's alias.
pub const SHARED: &str = "zone-b";
/// The contributions topic on each partner's cluster.
pub const CONTRIBUTIONS: &str = "contributions";
/// The global averages topic on the shared cluster.
pub const GLOBAL: &str = "global-averages";
/// Job 4's exactly-once job id (its transaction and stored positions).
pub const JOB4: &str = "job4";

/// The scenario's settings.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Transactions per partner.
    pub transactions: u64,
    /// The platforms every job may use.
    pub platform: PlatformChoice,
    /// The Spark Connect endpoint the stages placed on spark run behind, if
    /// any (otherwise they run in process).
    pub remote: Option<String>,
    /// Contributions of fewer customers are suppressed.
    pub k: u64,
    /// Seeds the generated histories.
    pub seed: u64,
    /// Unparseable lines mixed into each history (skipped and counted).
    pub bad_lines: u64,
    /// Where histories, cluster files and local averages go.
    pub dir: PathBuf,
    /// The topics' record format. With Avro, every cluster gets its own
    /// embedded Schema Registry (its ids start at a different number, as
    /// separate organisations' registries would), zone B's requires
    /// credentials, and the last partner writes version 2 of the
    /// contribution schema.
    pub format: RecordFormat,
}

/// Progress of the scenario, for a display.
pub enum Event<'a> {
    /// Generating a partner's history: done of total transactions.
    Generating(&'a str, u64, u64),
    /// A job starts.
    JobStarted(&'a str),
    /// A job finished.
    JobFinished(&'a JobSummary),
}

/// What one job did.
#[derive(Clone, Debug)]
pub struct JobSummary {
    /// `Job 1 (emea)`, ...
    pub name: String,
    /// The platforms its operators ran on.
    pub platforms: Vec<&'static str>,
    /// Wall time.
    pub elapsed: Duration,
    /// Records its first source read.
    pub records_in: u64,
    /// Records its last sink wrote.
    pub records_out: u64,
}

/// Everything the scenario produced.
#[derive(Debug)]
pub struct DemoOutcome {
    /// The jobs, in order.
    pub jobs: Vec<JobSummary>,
    /// Records per (cluster, topic).
    pub topics: Vec<(String, String, usize)>,
    /// Each partner's comparison.
    pub comparisons: Vec<(String, Vec<Comparison>)>,
    /// The global averages as Job 4 wrote them.
    pub global: Vec<GlobalAverage>,
    /// CSV lines skipped by the partners' jobs.
    pub skipped_lines: u64,
    /// The generated histories.
    pub histories: Vec<PathBuf>,
}

/// Errors of the scenario's orchestration.
pub type DemoError = Box<dyn std::error::Error + Send + Sync>;

fn summary(name: String, report: &JobReport, elapsed: Duration) -> JobSummary {
    let mut platforms: Vec<&'static str> = report.operators.iter().map(|o| o.platform).collect();
    platforms.sort_unstable();
    platforms.dedup();
    JobSummary {
        name,
        platforms,
        elapsed,
        records_in: report.operators.first().map_or(0, |o| o.records_out),
        records_out: report
            .operators
            .iter()
            .rev()
            .find(|o| o.kind.is_sink())
            .map_or(0, |o| o.records_out),
    }
}

fn write_cluster_file(
    dir: &Path,
    cluster: &EmbeddedCluster,
    registry: Option<&EmbeddedRegistry>,
) -> Result<PathBuf, DemoError> {
    let path = dir.join(format!("{}.properties", cluster.alias()));
    let mut text = format!(
        "# {} (an embedded cluster of the demo)\nbootstrap.servers={}\nclient.id=wayang-demo-{}\n",
        cluster.alias(),
        cluster.bootstrap_servers(),
        cluster.alias()
    );
    if let Some(registry) = registry {
        // The registry's settings as Confluent hands them out.
        let attached = registry.attach(KafkaCluster::new(cluster.alias()));
        for key in [
            "schema.registry.url",
            "basic.auth.credentials.source",
            "basic.auth.user.info",
        ] {
            if let Some(value) = attached.get(key) {
                text.push_str(&format!("{key}={value}\n"));
            }
        }
    }
    std::fs::write(&path, text)?;
    Ok(path)
}

/// The first schema id of each cluster's registry: separate organisations'
/// registries give the same schema different ids.
const FIRST_SCHEMA_IDS: [u32; 4] = [1, 101, 201, 301];

/// Partner `index`'s job.
fn partner_job(options: &DemoOptions, index: usize, cluster: KafkaCluster) -> PartnerJob {
    let dir = options.dir.join(PARTNERS[index]);
    PartnerJob {
        partner: PARTNERS[index].to_string(),
        csv: dir.join("transactions.csv"),
        local_out: dir.join("local-averages.csv"),
        cluster,
        topic: CONTRIBUTIONS.into(),
        k: options.k,
        bad_lines: BadLines::Skip,
        format: match options.format {
            RecordFormat::Avro if index == PARTNERS.len() - 1 => RecordFormat::AvroV2,
            format => format,
        },
    }
}

/// Job 4 over the partners' clusters and the shared one (the last).
fn global_job(options: &DemoOptions, clusters: &[KafkaCluster]) -> GlobalJob {
    let shared = &clusters[PARTNERS.len()];
    GlobalJob {
        sources: clusters[..PARTNERS.len()]
            .iter()
            .map(|c| (c.clone(), CONTRIBUTIONS.to_string()))
            .collect(),
        sink: shared.clone(),
        sink_topic: GLOBAL.into(),
        exactly_once: Some(ExactlyOnce::new(JOB4, shared)),
        on_bad_record: BadRecordPolicy::Fail,
        format: options.format,
    }
}

/// A partner's comparison with the global averages.
fn comparison(
    plan: &PlanBuilder,
    options: &DemoOptions,
    shared: &KafkaCluster,
    partner_id: &str,
) -> wayang_api::Collector<Comparison> {
    compare::build(
        plan,
        shared,
        GLOBAL,
        &options.dir.join(partner_id).join("local-averages.csv"),
        options.format,
    )
}

/// The scenario in a worker process (a Spark task running this program):
/// the same plans, in the same order, without the clusters, histories and
/// registries the driver made; executing the requested one serves the task
/// and ends the process.
fn serve_as_worker(options: &DemoOptions) -> DemoError {
    let ctx = options.platform.context_on(options.remote.as_deref());
    let clusters: Vec<KafkaCluster> = PARTNERS
        .iter()
        .copied()
        .chain([SHARED])
        .map(KafkaCluster::new)
        .collect();
    let mut plans = Vec::new();
    for (index, cluster) in clusters[..PARTNERS.len()].iter().enumerate() {
        let plan = PlanBuilder::new();
        partner::build(&plan, &partner_job(options, index, cluster.clone()));
        plans.push(plan);
    }
    let plan = PlanBuilder::new();
    global::build(&plan, &global_job(options, &clusters));
    plans.push(plan);
    for partner_id in PARTNERS {
        let plan = PlanBuilder::new();
        comparison(&plan, options, &clusters[PARTNERS.len()], partner_id);
        plans.push(plan);
    }
    for plan in plans {
        if let Err(error) = plan.execute(&ctx) {
            return error.into();
        }
    }
    "this worker built none of the plans its task asked for".into()
}

/// Runs the whole scenario.
pub fn run(options: &DemoOptions, on: &dyn Fn(Event<'_>)) -> Result<DemoOutcome, DemoError> {
    if wayang_core::remote::is_worker() {
        return Err(serve_as_worker(options));
    }
    let ctx = options.platform.context_on(options.remote.as_deref());
    let clusters_dir = options.dir.join("clusters");
    std::fs::create_dir_all(&clusters_dir)?;
    let mut embedded = Vec::new();
    let mut registries = Vec::new();
    let mut clusters: Vec<KafkaCluster> = Vec::new();
    for (index, alias) in PARTNERS.iter().copied().chain([SHARED]).enumerate() {
        let cluster = EmbeddedCluster::start(alias, 1)?;
        if options.format.is_avro() {
            let credentials = (alias == SHARED).then_some(("zone-b-key", "zone-b-demo-secret"));
            registries.push(EmbeddedRegistry::start_with(
                FIRST_SCHEMA_IDS[index],
                credentials,
            )?);
        }
        cluster.create_topic(
            if alias == SHARED {
                GLOBAL
            } else {
                CONTRIBUTIONS
            },
            3,
        )?;
        if alias == SHARED {
            cluster.create_topic(DEFAULT_POSITIONS_TOPIC, 1)?;
        }
        let file = write_cluster_file(&clusters_dir, &cluster, registries.last())?;
        clusters.push(wayang_kafka::load_cluster(alias, &file)?);
        embedded.push(cluster);
    }
    let shared = clusters[PARTNERS.len()].clone();

    let mut jobs = Vec::new();
    let mut histories = Vec::new();
    let mut skipped_lines = 0;
    for (index, partner_id) in PARTNERS.iter().enumerate() {
        let dir = options.dir.join(partner_id);
        std::fs::create_dir_all(&dir)?;
        let csv = dir.join("transactions.csv");
        let generator = Generator {
            bad_lines: options.bad_lines,
            ..Generator::new(options.seed + index as u64, options.transactions)
        };
        generator.write_csv(&csv, |done| {
            on(Event::Generating(partner_id, done, options.transactions))
        })?;
        histories.push(csv.clone());
        let job = partner_job(options, index, clusters[index].clone());
        let name = format!("Job {} ({partner_id})", index + 1);
        on(Event::JobStarted(&name));
        let plan = PlanBuilder::new();
        let skipped = partner::build(&plan, &job);
        let started = Instant::now();
        let report = plan.execute(&ctx)?;
        skipped_lines += skipped.take()?;
        jobs.push(summary(name, &report, started.elapsed()));
        on(Event::JobFinished(jobs.last().ok_or("no job")?));
    }

    let name = "Job 4 (global)".to_string();
    on(Event::JobStarted(&name));
    let job = global_job(options, &clusters);
    let plan = PlanBuilder::new();
    global::build(&plan, &job).ok_or("Job 4 has no sources")?;
    let started = Instant::now();
    let report = plan.execute(&ctx)?;
    jobs.push(summary(name, &report, started.elapsed()));
    on(Event::JobFinished(jobs.last().ok_or("no job")?));

    let mut comparisons = Vec::new();
    for (index, partner_id) in PARTNERS.iter().enumerate() {
        let name = format!("Comparison ({partner_id})");
        on(Event::JobStarted(&name));
        let plan = PlanBuilder::new();
        let rows = comparison(&plan, options, &shared, partner_id);
        let started = Instant::now();
        let report = plan.execute(&ctx)?;
        jobs.push(summary(name, &report, started.elapsed()));
        on(Event::JobFinished(jobs.last().ok_or("no job")?));
        comparisons.push((PARTNERS[index].to_string(), rows.take()?));
    }

    let mut topics = Vec::new();
    for cluster in &embedded {
        let topic = if cluster.alias() == SHARED {
            GLOBAL
        } else {
            CONTRIBUTIONS
        };
        topics.push((
            cluster.alias().to_string(),
            topic.to_string(),
            cluster.read_all(topic)?.len(),
        ));
    }
    let stored = table(&embedded[PARTNERS.len()].read_all(GLOBAL)?);
    let global = decode_globals(stored.values(), options.format, &shared)?;
    Ok(DemoOutcome {
        jobs,
        topics,
        comparisons,
        global,
        skipped_lines,
        histories,
    })
}

/// Global averages as stored, decoded in plain code (in Avro, each with the
/// registry's schema for the id it carries).
pub fn decode_globals<'a>(
    values: impl IntoIterator<Item = &'a Vec<u8>>,
    format: RecordFormat,
    shared: &KafkaCluster,
) -> Result<Vec<GlobalAverage>, DemoError> {
    if !format.is_avro() {
        return values
            .into_iter()
            .map(|value| Ok(serde_json::from_slice(value)?))
            .collect();
    }
    let registry = wayang_kafka::registry::registry_for(shared)?
        .ok_or("the shared cluster names no Schema Registry")?;
    let codec = wire::global_averages();
    values
        .into_iter()
        .map(|value| {
            let (id, body) = parse_frame(value)?;
            let writer = codec.writer(registry.schema(id)?.as_ref())?;
            Ok(codec.decode(&writer, body)?)
        })
        .collect()
}

/// A topic's records read as a table, by key: the latest value in
/// partition order, tombstones deleting (plain Rust over stored records,
/// for showing and checking what a job left in a table topic).
pub fn table(records: &[StoredRecord]) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let mut ordered: Vec<&StoredRecord> = records.iter().collect();
    ordered.sort_by_key(|r| (r.partition, r.offset));
    let mut table = BTreeMap::new();
    for record in ordered {
        let Some(key) = &record.key else { continue };
        match &record.value {
            Some(value) => {
                table.insert(key.clone(), value.clone());
            }
            None => {
                table.remove(key);
            }
        }
    }
    table
}
