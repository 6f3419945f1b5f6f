//! Cluster mode: the platform's stages on an Apache Spark cluster.
//!
//! A stage becomes a tree of [`relation::Relation`]s: segments of the plan
//! that the user's own program runs inside Spark's tasks (see
//! `wayang_core::remote`), with Spark's exchanges between them.

// The Spark Connect client's error type is large; its results are
// short-lived here, converted to ours at once.
#[cfg(feature = "connect")]
#[allow(clippy::result_large_err)]
pub(crate) mod executor;
pub(crate) mod placement;
pub mod relation;
#[cfg(feature = "connect")]
#[allow(clippy::result_large_err)]
mod session;
#[cfg(test)]
pub(crate) mod simulate;
pub mod sql;

pub use crate::plugin::{CONNECT_TIMEOUT_KEY, FILES_IN_TASKS_KEY, WORKER_ARGS_KEY};
