//! Job 4, the Wayang job: reads every partner's contributions from its own
//! cluster, adds sums and customer counts per month and category, and writes
//! the global averages to the shared cluster (zone B).

use wayang_api::kafka::{BadRecordPolicy, KafkaCluster};
use wayang_api::{DataQuanta, PlanBuilder};

use super::model::{Contribution, GlobalAverage};

/// Job 4.
#[derive(Clone, Debug)]
pub struct GlobalJob {
    /// Each partner's cluster and contributions topic.
    pub sources: Vec<(KafkaCluster, String)>,
    /// The shared cluster.
    pub sink: KafkaCluster,
    /// The global averages topic on it.
    pub sink_topic: String,
    /// A consumer group: read only what is new since its last successful run.
    pub group: Option<String>,
    /// What to do with a contribution that does not decode.
    pub on_bad_record: BadRecordPolicy,
}

/// Adds Job 4 to `plan`. Nothing in it depends on the platform: the context
/// decides where each operator runs.
pub fn build(plan: &PlanBuilder, job: &GlobalJob) -> Option<()> {
    let mut all: Option<DataQuanta<Contribution>> = None;
    for (cluster, topic) in &job.sources {
        let mut source = plan
            .read_kafka_topic(cluster, topic)
            .on_bad_record(job.on_bad_record.clone());
        if let Some(group) = &job.group {
            source = source.resume_group(group);
        }
        let contributions = source
            .json::<Contribution>()
            .named(format!("contributions of {}", cluster.alias()));
        all = Some(match all {
            Some(earlier) => earlier.union(&contributions),
            None => contributions,
        });
    }
    all?.map(|c| ((c.month, c.category), (c.sum_cents, c.customers, 1u32)))
        .reduce_by_key(
            |(key, _)| key.clone(),
            |(key, (s1, c1, p1)), (_, (s2, c2, p2))| (key, (s1 + s2, c1 + c2, p1 + p2)),
        )
        .named("sum per month and category")
        .map(
            |((month, category), (sum_cents, customers, partners))| GlobalAverage {
                average: sum_cents as f64 / 100.0 / customers as f64,
                month,
                category,
                sum_cents,
                customers,
                partners,
            },
        )
        .named("global average")
        .write_kafka_topic(&job.sink, &job.sink_topic)
        .key(|g| format!("{}|{}", g.month, g.category))
        .json();
    Some(())
}
