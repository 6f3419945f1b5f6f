//! wayang-spark: the `spark` platform of wayang-rs.
//!
//! Named after Apache Spark, whose RDD model it follows inside one process:
//! a dataset is a list of partitions; narrow operators (map, filter, ...) run
//! chained per partition (iterators pulling from each other, nothing
//! materialised between them), in parallel on the platform's own rayon pool;
//! wide operators (reduce-by-key with a map-side combine, group-by, join,
//! distinct, sort, ...) hash-partition (sort: range-partition) their input
//! and work on every partition in parallel. The Kafka source reads one offset
//! range per task, splitting large partitions so that even a one-partition
//! topic loads on all cores; the Kafka sink produces from every task.
//!
//! Depends on `wayang-core` and `wayang-kafka` only. Switching a job to it is
//! one line:
//!
//! ```
//! use wayang_core::WayangContext;
//!
//! let ctx = WayangContext::new().with(wayang_spark::plugin());
//! assert_eq!(ctx.platforms(), [wayang_spark::SPARK]);
//! ```
//!
//! Its "local mode" runs in this process; handing the work to a distributed
//! engine is a later step.

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod cluster;
mod executor;
pub mod mappings;
mod operators;
mod plugin;
mod rdd;

pub use executor::SparkState;
pub use plugin::{
    plugin, remote, SparkPlugin, KAFKA_MIN_TASKS_KEY, PARALLELISM_KEY, PARTITIONS_KEY, REMOTE_KEY,
    SPARK,
};
pub use rdd::{CACHED_RDD, RDD};
