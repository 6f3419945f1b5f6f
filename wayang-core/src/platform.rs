//! Platforms, the execution operators they run, and their executors.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use crate::channels::{Channel, ChannelKind};
use crate::error::Result;
use crate::job::{StageRun, TaskContext};

/// A platform: a way of executing operators (`java`, `spark`, ...).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Platform {
    name: &'static str,
}

impl Platform {
    /// A platform with a unique, lowercase name.
    pub const fn new(name: &'static str) -> Self {
        Platform { name }
    }

    /// The platform's name, as `on(..)` takes it.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl fmt::Debug for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// An operator as one platform executes it (`JavaFilterOperator`, ...).
///
/// # Contract
/// - `execute` receives one channel per input slot, of a kind listed by
///   [`ExecutionOperator::input_channels`] for that slot, and returns a
///   channel of kind [`ExecutionOperator::output_channel`] (sinks: `None`).
/// - Work should be lazy where the output is a stream: the returned stream
///   does the work as it is pulled. Every output stream must be wrapped with
///   [`TaskContext::instrument`], which counts, times and guards it.
/// - Errors found while building the output are returned; errors found while
///   streaming are reported with [`TaskContext::fail`] and end the stream.
/// - Sinks must not make their effect visible until the whole job succeeded:
///   they register that final step with [`TaskContext::on_success`].
pub trait ExecutionOperator: Send + Sync {
    /// The operator's name: platform prefix + Wayang's name (`JavaMapOperator`).
    fn name(&self) -> &'static str;

    /// The platform that runs it.
    fn platform(&self) -> Platform;

    /// The channel kinds accepted on input `slot`, preferred first.
    fn input_channels(&self, slot: usize) -> &[ChannelKind];

    /// The kind of its output channel; `None` for sinks.
    fn output_channel(&self) -> Option<ChannelKind>;

    /// Runs the operator on its inputs.
    fn execute(&self, inputs: Vec<Channel>, ctx: &TaskContext<'_>) -> Result<Option<Channel>>;
}

/// Runs the stages of one job that belong to its platform.
pub trait Executor: Send {
    /// Runs one stage. An in-process platform calls [`StageRun::run_here`]
    /// inside whatever the tasks need (a thread pool), possibly on another
    /// thread; a remote platform runs the stage's work elsewhere (see
    /// [`StageRun`]).
    fn execute_stage(&mut self, stage: &mut StageRun<'_, '_>) -> Result<()> {
        stage.run_here()
    }

    /// Platform state that this platform's operators read through
    /// [`TaskContext::executor_state`] (a thread pool, say).
    fn state(&self) -> Arc<dyn Any + Send + Sync> {
        Arc::new(())
    }
}
