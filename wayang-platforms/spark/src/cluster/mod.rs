//! Cluster mode: the platform's stages on an Apache Spark cluster.
//!
//! A stage becomes a tree of [`relation::Relation`]s: segments of the plan
//! that the user's own program runs inside Spark's tasks (see
//! `wayang_core::remote`), with Spark's exchanges between them.

pub mod relation;
#[cfg(test)]
pub(crate) mod simulate;
