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

/// Configuration key: the Spark Connect endpoint (`sc://host:15002`) whose
/// cluster runs the platform's stages; unset, they run in this process.
/// The environment variable `SPARK_REMOTE` (Spark's own) sets it too.
pub const REMOTE_KEY: &str = "spark.remote";

/// Configuration key: how long connecting to the Connect server may take.
pub const CONNECT_TIMEOUT_KEY: &str = "wayang.spark.remote.connect_timeout_ms";
/// Configuration key: whether the tasks read text files themselves, by byte
/// range at the driver's path (the executors must see the same files: one
/// machine, or a shared file system); otherwise (the default) the driver
/// reads them and sends their lines.
pub const FILES_IN_TASKS_KEY: &str = "wayang.spark.remote.read_files_in_tasks";
/// Configuration key: arguments the worker program is started with
/// (whitespace-separated; default: the program's own arguments, or the
/// running test's selection when the program is a test binary). They appear
/// in the query's text, which Spark shows in its UI and logs: never a
/// secret.
pub const WORKER_ARGS_KEY: &str = "wayang.spark.worker.args";

/// The configured Spark Connect endpoint, if any (configuration first, then
/// the environment).
pub fn remote(config: &Configuration) -> Option<String> {
    config
        .get(REMOTE_KEY)
        .map(str::to_owned)
        .or_else(|| std::env::var("SPARK_REMOTE").ok())
        .filter(|remote| !remote.trim().is_empty())
}

/// A Connect URL as messages and logs show it: its parameters (a `token`,
/// a `user_id`) are left out, whatever they hold.
pub(crate) fn shown(remote: &str) -> String {
    let Some(rest) = remote.strip_prefix("sc://") else {
        // Not a Connect URL: nothing of it is shown, it may be anything.
        return "<not an sc:// URL>".to_string();
    };
    match rest.find(['/', ';']) {
        Some(at) if rest[at..].trim_start_matches('/').is_empty() => {
            format!("sc://{}", &rest[..at])
        }
        Some(at) => format!("sc://{}/;<parameters hidden>", &rest[..at]),
        None => remote.to_string(),
    }
}

#[cfg(feature = "connect")]
fn cluster_executor(config: &Configuration, remote: &str) -> Result<Box<dyn Executor>> {
    Ok(Box::new(crate::cluster::executor::ClusterExecutor::new(
        config, remote,
    )?))
}

#[cfg(not(feature = "connect"))]
fn cluster_executor(_: &Configuration, remote: &str) -> Result<Box<dyn Executor>> {
    Err(wayang_core::Error::Configuration(format!(
        "spark.remote is {}, but this program was built without wayang-spark's \
         `connect` feature (cargo build --features connect); unset spark.remote to run in process",
        shown(remote)
    )))
}

/// The spark platform's plugin.
#[derive(Clone, Copy, Debug, Default)]
pub struct SparkPlugin;

/// The plugin to register: `WayangContext::new().with(wayang_spark::plugin())`.
pub fn plugin() -> SparkPlugin {
    // A worker process of a remote platform reads Kafka with the plan's own
    // source operators: any program running a Kafka plan makes a plugin.
    wayang_kafka::remote::install();
    SparkPlugin
}

/// Spark's effective parallelism on `cores` cores: the calibrated one,
/// scaled from the cores it was measured on.
fn parallelism(cores: usize) -> f64 {
    use wayang_core::optimizer::calibration::{default_value, CORES_KEY};
    let measured = default_value("wayang.spark.cost.parallelism").unwrap_or(1.0);
    let measured_on = default_value(CORES_KEY).unwrap_or(measured.ceil()).max(1.0);
    (measured / measured_on * cores as f64).max(1.0)
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
            // calibrate measured spark's effective parallelism on the cores
            // it ran on: scaled to this machine's.
            (
                "wayang.spark.cost.parallelism",
                format!("{:.2}", parallelism(cores)),
            ),
        ]
    }

    fn configuration_keys(&self) -> Vec<&'static str> {
        let mut keys: Vec<&'static str> = self
            .default_configuration()
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        keys.extend([CONNECT_TIMEOUT_KEY, FILES_IN_TASKS_KEY, WORKER_ARGS_KEY]);
        keys
    }

    fn preparers(&self) -> Vec<Arc<dyn JobPreparer>> {
        vec![wayang_kafka::preparer()]
    }

    fn create_executor(&self, config: &Configuration) -> Result<Box<dyn Executor>> {
        match remote(config) {
            None => Ok(Box::new(SparkExecutor::new(config)?)),
            Some(remote) => cluster_executor(config, &remote),
        }
    }

    fn refuses(
        &self,
        config: &Configuration,
        node: &wayang_core::plan::OperatorNode,
    ) -> Option<String> {
        use wayang_core::remote::codec_for;
        use wayang_core::remote::segment::can_run;
        let remote = remote(config)?;
        let operator = &node.operator;
        // What the cluster computes must cross processes; sources and sinks
        // the driver runs need not.
        if !(can_run(operator) || matches!(operator, wayang_core::operators::Operator::Union(_))) {
            return None;
        }
        let missing = operator
            .input_types()
            .into_iter()
            .chain(operator.output_type())
            .find(|t| codec_for(t).is_none())?;
        Some(format!(
            "its stages run on the Spark cluster at {} (spark.remote), and its records of type \
             {} have no wire codec to get there: register one with \
             wayang_core::remote::register::<{}>() where the plan is built, or run it on another \
             platform",
            shown(&remote),
            missing.name(),
            missing.name()
        ))
    }

    fn describe_stage(
        &self,
        config: &Configuration,
        plan: &wayang_core::job::ExecutionPlan,
        stage: usize,
    ) -> Option<String> {
        remote(config)?;
        let buckets = config.get_or(PARTITIONS_KEY, 2usize).ok()?.max(1);
        let files_in_tasks = config.get_or(FILES_IN_TASKS_KEY, false).ok()?;
        crate::cluster::placement::describe(
            plan,
            plan.stages().get(stage)?,
            buckets,
            files_in_tasks,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_urls_hide_their_parameters() {
        assert_eq!(shown("sc://h:1"), "sc://h:1");
        assert_eq!(shown("sc://h:1/"), "sc://h:1");
        assert_eq!(
            shown("sc://h:1/;token=s3cr3t;user_id=u"),
            "sc://h:1/;<parameters hidden>"
        );
        assert!(!shown("sc://h;token=s3cr3t").contains("s3cr3t"));
        assert!(!shown("https://user:s3cr3t@h").contains("s3cr3t"));
    }
}
