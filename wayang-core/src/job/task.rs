//! What an execution operator can reach while it runs.

use std::any::Any;
use std::sync::{Arc, Mutex, PoisonError};

use super::probe::{OperatorLabel, OperatorProbe};
use crate::config::Configuration;
use crate::data::{AnyIter, DataType};
use crate::error::{Error, Result};
use crate::plugin::PreparedState;

/// The final step of a sink (make its output visible) or a source
/// (acknowledge what it read), run only once every operator of the job has
/// succeeded, in two phases across the whole job: every commit is prepared,
/// and only if all prepared does any of them commit.
///
/// A closure `FnOnce() -> Result<()>` is a commit with nothing to prepare.
pub trait Commit: Send {
    /// Readies the effect without making it visible (flush deliveries, sync
    /// a file, write a transaction's last records). If any commit of the job
    /// fails to prepare, all are aborted and nothing becomes visible.
    fn prepare(&mut self) -> Result<()> {
        Ok(())
    }

    /// Makes the effect visible. It should rarely fail once prepared.
    fn commit(self: Box<Self>) -> Result<()>;

    /// Gives the effect up (also what dropping an uncommitted one must do).
    fn abort(self: Box<Self>) {}
}

impl<F: FnOnce() -> Result<()> + Send> Commit for F {
    fn commit(self: Box<Self>) -> Result<()> {
        (*self)()
    }
}

/// When a commit runs. Phases run in this order, and within a phase commits
/// run in registration order: so a failure at the first, riskiest step
/// (a remote transaction) leaves nothing visible, and a source never
/// acknowledges input whose output was not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CommitPhase {
    /// Effects on remote systems that can still be rolled back until they
    /// commit (Kafka transactions): committed first.
    Publish,
    /// Local effects (rename a finished file, hand collected records over).
    Deliver,
    /// Sources acknowledge what they read (committing Kafka offsets).
    Acknowledge,
}

/// A registered commit and whose it is.
pub(crate) struct PendingCommit {
    pub(crate) phase: CommitPhase,
    pub(crate) label: OperatorLabel,
    pub(crate) commit: Box<dyn Commit>,
}

/// The context of one operator's execution. It is `Sync`, so partitioned
/// platforms can share it between parallel tasks.
pub struct TaskContext<'a> {
    pub(crate) probe: Arc<OperatorProbe>,
    pub(crate) config: &'a Configuration,
    pub(crate) output_type: Option<DataType>,
    pub(crate) commits: &'a Mutex<Vec<PendingCommit>>,
    pub(crate) prepared: Option<&'a PreparedState>,
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

    /// Registers a sink's final local step (rename a file, hand records
    /// over), run once every operator of the job has succeeded (in the
    /// [`CommitPhase::Deliver`] phase).
    pub fn on_success(&self, commit: Box<dyn Commit>) {
        self.on_success_in(CommitPhase::Deliver, commit);
    }

    /// Registers a source's acknowledgement (committing offsets, say), run
    /// after every sink delivered.
    pub fn after_delivery(&self, commit: Box<dyn Commit>) {
        self.on_success_in(CommitPhase::Acknowledge, commit);
    }

    /// Registers a commit in `phase`.
    pub fn on_success_in(&self, phase: CommitPhase, commit: Box<dyn Commit>) {
        self.commits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(PendingCommit {
                phase,
                label: self.label().clone(),
                commit,
            });
    }

    /// What was prepared for this operator before the job started (a Kafka
    /// source's resolved offset ranges, see [`crate::plugin::JobPreparer`]),
    /// if it is an `S`.
    pub fn prepared<S: Send + Sync + 'static>(&self) -> Option<Arc<S>> {
        self.prepared
            .and_then(|state| state.clone().downcast::<S>().ok())
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
