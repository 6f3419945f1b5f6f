//! wayang-core: the plan model of wayang-rs and the machinery that runs it.
//!
//! A job is a [`WayangPlan`]: a graph of abstract [`Operator`]s defined by its
//! sinks, holding the user's typed functions as erased kernels. A
//! [`WayangContext`] holds the registered platforms ([`Plugin`]s) and the
//! layered [`Configuration`]. Executing a plan:
//!
//! 1. every plugin's [`Mapping`]s propose [`ExecutionOperator`]s for each node;
//! 2. the optimizer estimates every operator's cardinality and a
//!    [`PlatformChooser`] picks one execution operator per node: by default
//!    the cheapest assignment under a [`CostModel`], conversions and
//!    platform start-ups included ([`WayangContext::explain`] shows it);
//! 3. the [`ExecutionPlan`] wires them with [`Channel`]s, inserting
//!    [`ChannelConversion`]s where kinds differ, and groups them into
//!    single-platform stages;
//! 4. the stages run in dependency order, each through its platform's
//!    [`Executor`]; sinks commit only if every operator succeeded;
//! 5. the result is a [`JobReport`] with records and time per operator.
//!
//! This crate depends on no platform and no Kafka client: platforms
//! (`wayang-java`, ...) depend on it, and users build plans with `wayang-api`.
//!
//! ```
//! use wayang_core::operators::{CollectionSource, Operator};
//! use wayang_core::plan::{NodeId, OperatorNode, WayangPlan};
//!
//! // A plan needs a sink; wayang-api builds plans like this for you.
//! let source = OperatorNode::new(NodeId(0), Operator::CollectionSource(CollectionSource::new(vec![1, 2, 3])), vec![]);
//! let error = WayangPlan::new(vec![source], vec![]).unwrap_err();
//! assert!(error.to_string().contains("no sink"));
//! ```

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod batch_pool;
pub mod channels;
pub mod config;
mod context;
pub mod data;
mod error;
pub mod formats;
pub mod job;
pub mod kafka;
pub mod mapping;
pub mod operators;
pub mod optimizer;
pub mod plan;
pub mod platform;
pub mod plugin;
pub mod remote;

pub use channels::{Channel, ChannelConversion, ChannelKind};
pub use config::Configuration;
pub use context::WayangContext;
pub use data::{
    batch_capacity, boxed, chunked, AnyIter, AnyVec, Batch, BoxBatches, BoxIter, Data, DataType,
    Input, Lent, RecordFailure, Records, BATCH_RECORDS,
};
pub use error::{Error, Result};
pub use job::{ExecutionPlan, JobReport, TaskContext};
pub use mapping::Mapping;
pub use operators::{Operator, OperatorKind};
pub use optimizer::{CostModel, Estimate, Explanation, PlatformChooser};
pub use plan::WayangPlan;
pub use platform::{ExecutionOperator, Executor, Platform};
pub use plugin::Plugin;
