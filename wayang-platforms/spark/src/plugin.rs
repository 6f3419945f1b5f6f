//! The spark platform's plugin: mappings, channel conversions, defaults.

use std::sync::Arc;

use wayang_core::config::Configuration;
use wayang_core::plugin::JobPreparer;
use wayang_core::{ChannelConversion, Executor, Mapping, Platform, Plugin, Result};

use crate::executor::SparkExecutor;

/// The spark platform.
pub const SPARK: Platform = Platform::new("spark");

/// Configuration key: worker threads of the platform's pool (default: all cores).
pub const PARALLELISM_KEY: &str = "wayang.spark.parallelism";
/// Configuration key: partitions of new datasets and shuffles (default: the parallelism).
pub const PARTITIONS_KEY: &str = "wayang.spark.partitions";
/// Configuration key: the least number of tasks a Kafka source splits its
/// offset ranges into (Spark's `minPartitions`; default: the parallelism).
pub const KAFKA_MIN_TASKS_KEY: &str = "wayang.spark.kafka.min_tasks";

/// The spark platform's plugin.
#[derive(Clone, Copy, Debug, Default)]
pub struct SparkPlugin;

/// The plugin to register: `WayangContext::new().with(wayang_spark::plugin())`.
pub fn plugin() -> SparkPlugin {
    SparkPlugin
}

/// The machine's cores, the default parallelism.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Plugin for SparkPlugin {
    fn platform(&self) -> Platform {
        SPARK
    }

    fn mappings(&self) -> Vec<Arc<dyn Mapping>> {
        crate::mappings::mappings()
    }

    fn conversions(&self) -> Vec<ChannelConversion> {
        crate::rdd::conversions()
    }

    fn default_configuration(&self) -> Vec<(&'static str, String)> {
        let cores = cores();
        vec![
            (PARALLELISM_KEY, cores.to_string()),
            (PARTITIONS_KEY, cores.to_string()),
            (KAFKA_MIN_TASKS_KEY, cores.to_string()),
            // Cost model defaults measured by `calibrate` on a 2-core machine
            // of this class (a job pays the thread pool's start); run it to
            // measure the machine at hand. The Kafka source sets up one
            // consumer per task, the sink one shared producer.
            ("wayang.spark.cost.startup.ms", "0.14".into()),
            ("wayang.spark.cost.operator.ms", "0.001".into()),
            ("wayang.spark.cost.record.ns", "2.1".into()),
            (
                "wayang.spark.cost.parallelism",
                format!("{:.2}", cores as f64 * 0.94),
            ),
            (
                "wayang.spark.cost.kafka_topic_source.ms",
                (2 * cores).to_string(),
            ),
            ("wayang.spark.cost.kafka_topic_sink.ms", "2".into()),
            // Shuffles hash, copy into buckets and read again: wide operators
            // cost about twice java's per record (calibrate, one core);
            // reduce-by-key's map-side combine mostly avoids it. Join and
            // co-group were not measured and are assumed alike.
            ("wayang.spark.cost.distinct.factor", "4.9".into()),
            ("wayang.spark.cost.group_by.factor", "4.8".into()),
            ("wayang.spark.cost.sort.factor", "18.5".into()),
            ("wayang.spark.cost.flat_map.factor", "1.6".into()),
            ("wayang.spark.cost.join.factor", "12".into()),
            ("wayang.spark.cost.co_group.factor", "12".into()),
        ]
    }

    fn preparers(&self) -> Vec<Arc<dyn JobPreparer>> {
        vec![wayang_kafka::preparer()]
    }

    fn create_executor(&self, config: &Configuration) -> Result<Box<dyn Executor>> {
        Ok(Box::new(SparkExecutor::new(config)?))
    }
}
