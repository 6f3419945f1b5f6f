//! A failed job publishes nothing a finished job would not have published:
//! Job 4's shape (read, aggregate, write) with a source that fails after
//! some records were read, on every platform and a mix, many times over.
//! The sink topic stays empty, not even an aborted partial aggregate, and
//! an exactly-once run commits nothing.

use wayang_api::kafka::{BadRecordPolicy, ExactlyOnce, DEFAULT_POSITIONS_TOPIC};
use wayang_api::{PlanBuilder, WayangContext};
use wayang_examples::scenario::global::{self, GlobalJob};
use wayang_examples::scenario::model::{Contribution, GlobalAverage};
use wayang_examples::scenario::wire::RecordFormat;
use wayang_examples::scenario::PlatformChoice;
use wayang_kafka::embedded::EmbeddedCluster;
use wayang_kafka::exactly_once::committed_history;
use wayang_kafka::KafkaSettings;

/// Runs per configuration: the partial aggregate escaped about one run in
/// ten before streams stopped on failure.
const RUNS: usize = 6;

fn contribution(partner: &str, i: u32) -> (String, String) {
    let c = Contribution {
        partner: partner.into(),
        month: format!("2025-{:02}", 1 + i % 12),
        category: format!("c{}", i % 7),
        sum_cents: 1000 + i as i64,
        customers: 3 + u64::from(i % 5),
    };
    (c.key(), serde_json::to_string(&c).unwrap())
}

struct Stand {
    partners: Vec<EmbeddedCluster>,
    shared: EmbeddedCluster,
}

impl Stand {
    /// The shared cluster with a producer that sends at once: a partial
    /// aggregate handed to it would reach the broker before the job could
    /// take it back (the default 5 ms linger only made that rare).
    fn sink(&self) -> wayang_api::kafka::KafkaCluster {
        self.shared.cluster().with("linger.ms", "0")
    }
}

/// Three partners; the first one's topic has an undecodable record after
/// 150 good ones (one partition: it is read in order).
fn stand() -> Stand {
    let partners: Vec<EmbeddedCluster> = ["emea", "apac", "us-west"]
        .iter()
        .enumerate()
        .map(|(index, alias)| {
            let cluster = EmbeddedCluster::start(*alias, 1).unwrap();
            cluster.create_topic("contributions", 1).unwrap();
            let good = |range: std::ops::Range<u32>| {
                range
                    .map(|i| contribution(alias, i))
                    .map(|(k, v)| (Some(k), v))
            };
            cluster.produce("contributions", good(0..150)).unwrap();
            if index == 0 {
                cluster
                    .produce("contributions", [(Some("bad"), "{\"partner\":")])
                    .unwrap();
            }
            cluster.produce("contributions", good(150..300)).unwrap();
            cluster
        })
        .collect();
    let shared = EmbeddedCluster::start("zone-b", 1).unwrap();
    shared.create_topic("global-averages", 2).unwrap();
    shared.create_topic(DEFAULT_POSITIONS_TOPIC, 1).unwrap();
    Stand { partners, shared }
}

/// Job 4's shape with every operator pinned: sources and sink on
/// `outer`, the aggregation on `inner`.
fn pinned_job4(stand: &Stand, outer: &str, inner: &str, eos: Option<&ExactlyOnce>) -> PlanBuilder {
    let plan = PlanBuilder::new();
    let mut all: Option<wayang_api::DataQuanta<Contribution>> = None;
    for cluster in &stand.partners {
        let mut source = plan
            .read_kafka_topic(&cluster.cluster(), "contributions")
            .as_table();
        if let Some(eos) = eos {
            source = source.exactly_once(eos);
        }
        let contributions = source.json::<Contribution>().on(outer);
        all = Some(match all {
            None => contributions,
            Some(earlier) => earlier.union(&contributions).on(outer),
        });
    }
    let mut sink = all
        .unwrap()
        .map(|c| ((c.month, c.category), (c.sum_cents, c.customers)))
        .on(inner)
        .reduce_by_key(
            |(cell, _)| cell.clone(),
            |(cell, (a, n)), (_, (b, m))| (cell, (a + b, n + m)),
        )
        .on(inner)
        .map(
            |((month, category), (sum_cents, customers))| GlobalAverage {
                average: sum_cents as f64 / 100.0 / customers as f64,
                month,
                category,
                sum_cents,
                customers,
                partners: 0,
            },
        )
        .on(outer)
        .write_kafka_topic(&stand.sink(), "global-averages")
        .key(GlobalAverage::key)
        .as_table();
    if let Some(eos) = eos {
        sink = sink.exactly_once(eos);
    }
    sink.json();
    plan
}

fn configurations(
    stand: &Stand,
    eos: Option<&ExactlyOnce>,
) -> Vec<(String, PlanBuilder, WayangContext)> {
    let both = PlatformChoice::Auto.context();
    let mut all = Vec::new();
    for platform in [
        PlatformChoice::Java,
        PlatformChoice::Spark,
        PlatformChoice::Auto,
    ] {
        let job = GlobalJob {
            format: RecordFormat::Json,
            sources: stand
                .partners
                .iter()
                .map(|c| (c.cluster(), "contributions".into()))
                .collect(),
            sink: stand.sink(),
            sink_topic: "global-averages".into(),
            exactly_once: eos.cloned(),
            on_bad_record: BadRecordPolicy::Fail,
        };
        let plan = PlanBuilder::new();
        global::build(&plan, &job).unwrap();
        all.push((format!("Job 4 on {platform}"), plan, platform.context()));
    }
    all.push((
        "java around spark".into(),
        pinned_job4(stand, "java", "spark", eos),
        both.clone(),
    ));
    all.push((
        "spark around java".into(),
        pinned_job4(stand, "spark", "java", eos),
        both,
    ));
    all
}

#[test]
fn a_failing_source_leaves_the_sink_topic_empty_on_every_platform() {
    let stand = stand();
    for run in 0..RUNS {
        for (label, plan, ctx) in configurations(&stand, None) {
            let error = plan.execute(&ctx).unwrap_err().to_string();
            assert!(
                error.contains("cluster \"emea\": topic \"contributions\" partition 0 offset 150"),
                "{label}: {error}"
            );
            let written = stand.shared.read_all("global-averages").unwrap();
            assert!(
                written.is_empty(),
                "{label}, run {run}: {} partial averages escaped",
                written.len()
            );
        }
    }
}

#[test]
fn a_failing_exactly_once_job_commits_nothing_on_every_platform() {
    let stand = stand();
    let eos = ExactlyOnce::new("job4-failing", &stand.sink());
    for run in 0..RUNS {
        for (label, plan, ctx) in configurations(&stand, Some(&eos)) {
            let error = plan.execute(&ctx).unwrap_err().to_string();
            assert!(error.contains("offset 150"), "{label}: {error}");
            let written = stand.shared.read_all("global-averages").unwrap();
            assert!(
                written.is_empty(),
                "{label}, run {run}: {} records were sent",
                written.len()
            );
            let history = committed_history(&eos, &KafkaSettings::default()).unwrap();
            assert!(
                history
                    .iter()
                    .all(|c| c.outputs.is_empty() && c.sources.is_empty()),
                "{label}, run {run}: {history:?}"
            );
        }
    }
}
