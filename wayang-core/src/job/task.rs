//! What an execution operator can reach while it runs.

use std::any::Any;
use std::sync::{Arc, Mutex, PoisonError};

use super::probe::{OperatorLabel, OperatorProbe};
use crate::config::Configuration;
use crate::data::{AnyIter, DataType};
use crate::error::{Error, Result};

/// A step that makes a sink's effect visible, run only after the whole job
/// succeeded (deliver collected records, rename a written file, commit offsets).
pub type Commit = Box<dyn FnOnce() -> Result<()> + Send>;

/// When a commit runs: every delivery before any acknowledgement, so a
/// source never acknowledges input (commits Kafka offsets) whose output a
/// failed delivery lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CommitPhase {
    /// Sinks make their output visible.
    Deliver,
    /// Sources acknowledge what they read.
    Acknowledge,
}

/// The context of one operator's execution. It is `Sync`, so partitioned
/// platforms can share it between parallel tasks.
pub struct TaskContext<'a> {
    pub(crate) probe: Arc<OperatorProbe>,
    pub(crate) config: &'a Configuration,
    pub(crate) output_type: Option<DataType>,
    pub(crate) commits: &'a Mutex<Vec<(CommitPhase, OperatorLabel, Commit)>>,
    pub(crate) executor_state: &'a (dyn Any + Send + Sync),
}

impl<'a> TaskContext<'a> {
    /// The operator being executed, for messages.
    pub fn label(&self) -> &OperatorLabel {
        self.probe.label()
    }

    /// The operator's probe (records, counters, failures).
    pub fn probe(&self) -> &Arc<OperatorProbe> {
        &self.probe
    }

    /// The job's configuration.
    pub fn config(&self) -> &'a Configuration {
        self.config
    }

    /// Wraps an output stream so that it is counted, timed and guarded.
    pub fn instrument(&self, records: AnyIter) -> Result<AnyIter> {
        match &self.output_type {
            Some(data_type) => data_type.instrument(records, self.probe.clone()),
            None => Err(Error::internal(format!(
                "{} is a sink but produced a stream",
                self.label()
            ))),
        }
    }

    /// The operator's output record type (`None` for sinks).
    pub fn output_type(&self) -> Result<&DataType> {
        self.output_type
            .as_ref()
            .ok_or_else(|| Error::internal(format!("{} has no output", self.label())))
    }

    /// Fails the job with an error of this operator.
    pub fn fail(&self, reason: impl Into<String>) {
        self.probe.fail_with(reason);
    }

    /// Registers a sink's final step, run once every operator of the job has
    /// succeeded (in the [`CommitPhase::Deliver`] phase).
    pub fn on_success(&self, commit: Commit) {
        self.on_success_in(CommitPhase::Deliver, commit);
    }

    /// Registers a source's acknowledgement (committing offsets, say), run
    /// after every sink delivered.
    pub fn after_delivery(&self, commit: Commit) {
        self.on_success_in(CommitPhase::Acknowledge, commit);
    }

    fn on_success_in(&self, phase: CommitPhase, commit: Commit) {
        self.commits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((phase, self.label().clone(), commit));
    }

    /// The executor state of this operator's platform, which must be an `S`.
    pub fn executor_state<S: 'static>(&self) -> Result<&'a S> {
        self.executor_state.downcast_ref::<S>().ok_or_else(|| {
            Error::internal(format!(
                "{} expected executor state {}",
                self.label(),
                std::any::type_name::<S>()
            ))
        })
    }
}
