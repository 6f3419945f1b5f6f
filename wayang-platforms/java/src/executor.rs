//! The java executor: tasks run on the calling thread, in order.

use wayang_core::Executor;

/// Runs a stage's tasks on the calling thread; needs no state of its own.
pub(crate) struct JavaExecutor;

impl Executor for JavaExecutor {}
