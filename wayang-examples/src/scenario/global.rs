//! Job 4, the Wayang job: reads every partner's contributions from its own
//! cluster, adds sums and customer counts per month and category, and writes
//! the global averages to the shared cluster (zone B).
//!
//! Each contributions topic is a table (one record per partner, month and
//! category; a re-run of a partner replaces its records, a withdrawn cell is
//! a tombstone), so Job 4 reads each as a table: every run sees every
//! partner's current contributions, whatever ran before, and gives
//! complete averages. Its output is a table too (one record per month and
//! category, a tombstone for a cell that disappeared), so running it again
//! on the same contributions leaves the averages as they were.

use wayang_api::kafka::{BadRecordPolicy, ExactlyOnce, KafkaCluster};
use wayang_api::{DataQuanta, PlanBuilder};

use super::model::{CellTotals, Contribution, GlobalAverage};
use super::wire::{self, RecordFormat};

/// Job 4.
#[derive(Clone, Debug)]
pub struct GlobalJob {
    /// Each partner's cluster and contributions topic.
    pub sources: Vec<(KafkaCluster, String)>,
    /// The shared cluster.
    pub sink: KafkaCluster,
    /// The global averages topic on it.
    pub sink_topic: String,
    /// Exactly-once: the averages and the positions of the contributions
    /// they were computed from are committed in one transaction on the
    /// shared cluster (whose `ExactlyOnce::cluster` this must be).
    pub exactly_once: Option<ExactlyOnce>,
    /// What to do with a contribution that does not decode.
    pub on_bad_record: BadRecordPolicy,
    /// The record format of the contributions and of the averages.
    pub format: RecordFormat,
}

/// Adds Job 4 to `plan`. Nothing in it depends on the platform: the context
/// decides where each operator runs.
pub fn build(plan: &PlanBuilder, job: &GlobalJob) -> Option<()> {
    super::register_wire_types();
    let mut all: Option<DataQuanta<Contribution>> = None;
    for (cluster, topic) in &job.sources {
        let mut source = plan
            .read_kafka_topic(cluster, topic)
            .on_bad_record(job.on_bad_record.clone())
            .as_table();
        if let Some(eos) = &job.exactly_once {
            source = source.exactly_once(eos);
        }
        let contributions = if job.format.is_avro() {
            source.registry_values(wire::contributions())
        } else {
            source.json::<Contribution>()
        };
        let contributions = contributions.named(format!("contributions of {}", cluster.alias()));
        all = Some(match all {
            Some(earlier) => earlier.union(&contributions),
            None => contributions,
        });
    }
    let mut sink = all?
        .map(|c| ((c.month.clone(), c.category.clone()), CellTotals::of(&c)))
        .try_reduce_by_key(
            |(cell, _)| cell.clone(),
            |((month, category), a), (_, b)| match a.plus(b) {
                Ok(total) => Ok(((month, category), total)),
                Err(what) => Err(format!("month {month} category {category}: {what}")),
            },
        )
        .named("sum per month and category")
        .map(|((month, category), total)| GlobalAverage {
            // Contributions count at least one customer (checked when they
            // are decoded), so the average exists.
            average: total.sum_cents as f64 / 100.0 / total.customers as f64,
            month,
            category,
            sum_cents: total.sum_cents,
            customers: total.customers,
            partners: total.partners,
        })
        .named("global average")
        .write_kafka_topic(&job.sink, &job.sink_topic)
        .key(GlobalAverage::key)
        .as_table();
    if let Some(eos) = &job.exactly_once {
        sink = sink.exactly_once(eos);
    }
    if job.format.is_avro() {
        sink.registry_format(wire::global_averages());
    } else {
        sink.json();
    }
    Some(())
}
