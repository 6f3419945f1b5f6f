//! Jobs 1-3: one partner's job, run in its own environment. It reads the
//! partner's transaction history, computes monthly averages per category
//! (spending per active customer), keeps them in a local file, and publishes
//! aggregates only: per month and category the sum and the number of distinct
//! customers, and only where at least `k` customers contribute.
//!
//! The contributions topic is a table of the partner's current cells (keyed
//! `partner|month|category`): each run replaces it, in one transaction. A
//! re-run with the same history rewrites the same cells; a changed
//! history updates them; a cell that no longer qualifies (or no longer
//! exists) gets a tombstone, which withdraws it from Job 4's averages.

use std::path::PathBuf;

use wayang_api::kafka::KafkaCluster;
use wayang_api::{Collector, DataQuanta, PlanBuilder};

use super::model::{
    parse_transaction, Contribution, Customers, LocalAverage, Transaction, CSV_HEADER,
};
use super::wire::{self, ContributionV2, RecordFormat};

/// What to do with a CSV line that does not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BadLines {
    /// Fail the job with the file and line number.
    Fail,
    /// Skip the line, count it, and log where it was.
    Skip,
}

/// One partner's job.
#[derive(Clone, Debug)]
pub struct PartnerJob {
    /// The partner's id (`emea`, ...).
    pub partner: String,
    /// The transaction history.
    pub csv: PathBuf,
    /// Where the local averages go (a CSV file).
    pub local_out: PathBuf,
    /// The partner's own cluster.
    pub cluster: KafkaCluster,
    /// The contributions topic on it.
    pub topic: String,
    /// Contributions with fewer customers are suppressed.
    pub k: u64,
    /// The bad-line policy.
    pub bad_lines: BadLines,
    /// The contributions' record format.
    pub format: RecordFormat,
}

/// How many lines a partner job skipped under [`BadLines::Skip`], read once
/// the job ran.
pub struct SkippedLines(Option<Collector<u64>>);

impl SkippedLines {
    /// The count of the job's last run (0 under [`BadLines::Fail`]).
    pub fn take(&self) -> wayang_api::Result<u64> {
        match &self.0 {
            Some(count) => Ok(count.take()?.into_iter().sum()),
            None => Ok(0),
        }
    }
}

/// Adds the partner job to `plan`.
///
/// Skipped lines are counted by the plan itself, not by a closure's side
/// effect: wherever the parsing runs (another thread, a Spark executor),
/// the count comes back with the job.
pub fn build(plan: &PlanBuilder, job: &PartnerJob) -> SkippedLines {
    super::register_wire_types();
    let file = job.csv.display().to_string();
    let lines = plan
        .read_text_file_numbered(&job.csv)
        .named("transactions")
        .filter(|(number, line)| !(*number == 1 && line.trim() == CSV_HEADER));
    let (transactions, skipped): (DataQuanta<Transaction>, _) = match job.bad_lines {
        BadLines::Fail => (
            lines.try_map(move |(number, line)| {
                parse_transaction(&line).map_err(|e| format!("{file}:{number}: {e}"))
            }),
            SkippedLines(None),
        ),
        BadLines::Skip => {
            let parsed = lines
                .map(move |(number, line)| {
                    parse_transaction(&line).map_err(|e| format!("{file}:{number}: {e}"))
                })
                .named("parse lines");
            let skipped = parsed
                .filter(|parsed| match parsed {
                    Ok(_) => false,
                    Err(reason) => {
                        tracing::warn!("skipping {reason}");
                        true
                    }
                })
                .named("bad lines")
                .count()
                .collect();
            (parsed.flat_map(Result::ok), SkippedLines(Some(skipped)))
        }
    };
    // Per month and category: the sum of cents and the set of customers (a
    // customer counts once per cell). The sets are built on the map side,
    // so the shuffle carries one set per cell and partition. An error
    // names the key (month, category).
    let cells = transactions
        .named("parse")
        .map(|t| {
            let cell = (t.month, t.category);
            (cell, (t.amount_cents, Customers::One(t.customer)))
        })
        .try_reduce_values_by_key(|(a, these): (i64, Customers), (b, those)| {
            a.checked_add(b)
                .map(|sum| (sum, these.merge(those)))
                .ok_or("the sum of cents does not fit in 64 bits")
        })
        .named("per month and category")
        .map(|(cell, (sum_cents, customers))| (cell, (sum_cents, customers.len())));
    cells
        .map(|((month, category), (sum_cents, customers))| LocalAverage {
            month: month.into(),
            category: category.into(),
            sum_cents,
            customers,
        })
        .sort_by(|local| (local.month.clone(), local.category.clone()))
        .write_text_file_with(&job.local_out, LocalAverage::to_line);
    let (k, partner) = (job.k, job.partner.clone());
    let contributions = cells
        .filter(move |(_, (_, customers))| *customers >= k)
        .named("k-suppression")
        .map(
            move |((month, category), (sum_cents, customers))| Contribution {
                partner: partner.clone(),
                month: month.into(),
                category: category.into(),
                sum_cents,
                customers,
            },
        );
    let transactional_id = job.transactional_id();
    match job.format {
        RecordFormat::Json => contributions
            .write_kafka_topic(&job.cluster, &job.topic)
            .key(Contribution::key)
            .as_table()
            .transactional(transactional_id)
            .json(),
        RecordFormat::Avro => contributions
            .write_kafka_topic(&job.cluster, &job.topic)
            .key(Contribution::key)
            .as_table()
            .transactional(transactional_id)
            .registry_format(wire::contributions()),
        RecordFormat::AvroV2 => contributions
            .try_map(ContributionV2::try_from)
            .write_kafka_topic(&job.cluster, &job.topic)
            .key(|c: &ContributionV2| format!("{}|{}|{}", c.partner, c.month, c.category))
            .as_table()
            .transactional(transactional_id)
            .registry_format(wire::contributions_v2()),
    };
    skipped
}

impl PartnerJob {
    /// The transactional id of the partner's contributions sink: stable per
    /// partner and topic, so a new run fences an old one still alive.
    pub fn transactional_id(&self) -> String {
        format!("wayang-partner-{}-{}", self.partner, self.topic)
    }
}
