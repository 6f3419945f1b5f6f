//! The spark platform's plugin: mappings, channel conversions, defaults.

use std::sync::Arc;

use wayang_core::config::Configuration;
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
        let cores = cores().to_string();
        vec![
            (PARALLELISM_KEY, cores.clone()),
            (PARTITIONS_KEY, cores.clone()),
            (KAFKA_MIN_TASKS_KEY, cores),
        ]
    }

    fn create_executor(&self, config: &Configuration) -> Result<Box<dyn Executor>> {
        Ok(Box::new(SparkExecutor::new(config)?))
    }
}
