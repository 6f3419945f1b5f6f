//! Each partner's comparison: its local averages beside the global ones.

use std::fmt;
use std::path::Path;

use wayang_api::kafka::KafkaCluster;
use wayang_api::{Collector, PlanBuilder};

use super::model::{GlobalAverage, LocalAverage};
use super::wire::{self, RecordFormat};

/// One month and category of a partner's comparison.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Comparison {
    /// `YYYY-MM`.
    pub month: String,
    /// The category.
    pub category: String,
    /// The partner's average.
    pub local: f64,
    /// The global average.
    pub global: f64,
    /// Partners behind the global average.
    pub partners: u32,
}

impl Comparison {
    /// How much the local average differs from the global one, in percent.
    pub fn difference_percent(&self) -> f64 {
        (self.local - self.global) / self.global * 100.0
    }
}

/// Reads the global averages of `topic` on `shared` and joins them with the
/// local averages file; months and categories suppressed globally drop out.
pub fn build(
    plan: &PlanBuilder,
    shared: &KafkaCluster,
    topic: &str,
    local_file: &Path,
    format: RecordFormat,
) -> Collector<Comparison> {
    super::register_wire_types();
    let file = local_file.display().to_string();
    let local = plan
        .read_text_file_numbered(local_file)
        .named("local averages")
        .try_map(move |(number, line)| {
            LocalAverage::parse(&line).map_err(|e| format!("{file}:{number}: {e}"))
        });
    // Job 4's output is a table: each cell's latest average, withdrawn
    // cells gone.
    let source = plan.read_kafka_topic(shared, topic).as_table();
    let global = if format.is_avro() {
        source.registry_values(wire::global_averages())
    } else {
        source.json::<GlobalAverage>()
    }
    .named("global averages");
    local
        .join(
            |l| (l.month.clone(), l.category.clone()),
            &global,
            |g| (g.month.clone(), g.category.clone()),
        )
        .map(|(l, g)| Comparison {
            local: l.average(),
            month: l.month,
            category: l.category,
            global: g.average,
            partners: g.partners,
        })
        .sort_by(|c| (c.month.clone(), c.category.clone()))
        .collect()
}

/// A comparison as a table.
pub struct Table<'a>(pub &'a [Comparison]);

impl fmt::Display for Table<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<8} {:<12} {:>10} {:>10} {:>8} {:>8}",
            "month", "category", "local", "global", "diff", "partners"
        )?;
        for row in self.0 {
            writeln!(
                f,
                "{:<8} {:<12} {:>10.2} {:>10.2} {:>+7.1}% {:>8}",
                row.month,
                row.category,
                row.local,
                row.global,
                row.difference_percent(),
                row.partners
            )?;
        }
        Ok(())
    }
}
