//! Sources and sinks a remote task runs itself. For a source, the driver
//! hands each task a few lines naming what to read (a Kafka offset range),
//! and the worker reads it with the source operator of its own plan; a sink
//! writes the task's records with the sink operator of the worker's plan and
//! reports its delivery count. Nothing but those lines, broker addresses and
//! counts (never a credential) travels through the remote engine.
//!
//! Core knows no Kafka client: the crate that does installs its reader and
//! writer here ([`install_reader`], [`install_writer`]); every platform
//! plugin that can read Kafka does so when it is made, which any program
//! running a Kafka plan has done before its plan executes.

use std::sync::{Arc, OnceLock};

use crate::config::Configuration;
use crate::data::AnyIter;
use crate::error::{Error, Result};
use crate::job::{JobState, OperatorLabel};
use crate::operators::Operator;

/// The lines a task was handed (one per unit of work, such as an offset
/// range).
pub type TaskLines = Box<dyn Iterator<Item = Result<Vec<u8>>> + Send>;

/// What a task reads: the records, and the check that the read ended
/// because it was complete, not because it failed (readers report failures
/// to their probe and end), run once the records are consumed.
pub struct TaskRead {
    /// The records, of the source operator's output type.
    pub records: AnyIter,
    /// Fails if the read failed.
    pub check: Box<dyn FnOnce() -> Result<()> + Send>,
}

impl TaskRead {
    /// The records of a reader that reports its failures to `job` (through
    /// an operator probe of it) and ends: the check takes the failure.
    pub fn reported_to(records: AnyIter, job: Arc<JobState>) -> Self {
        TaskRead {
            records,
            check: Box::new(move || job.take_error().map_or(Ok(()), Err)),
        }
    }
}

/// Reads what the lines name with the plan's source operator.
pub type SourceReader = fn(
    config: &Configuration,
    operator: &Operator,
    label: OperatorLabel,
    lines: TaskLines,
) -> Result<TaskRead>;

/// Writes records with the plan's sink operator to the cluster at
/// `address` (the driver's broker addresses; `None`: the operator's own),
/// returning how many were sent and how many were delivered (acknowledged)
/// once every delivery was awaited.
pub type SinkWriter = fn(
    config: &Configuration,
    operator: &Operator,
    label: OperatorLabel,
    address: Option<&str>,
    records: AnyIter,
) -> Result<(u64, u64)>;

static READER: OnceLock<SourceReader> = OnceLock::new();
static WRITER: OnceLock<SinkWriter> = OnceLock::new();

/// Installs the writer of sinks written inside remote tasks (the first one
/// installed stays).
pub fn install_writer(writer: SinkWriter) {
    let _ = WRITER.set(writer);
}

/// Whether a writer is installed.
pub fn has_writer() -> bool {
    WRITER.get().is_some()
}

/// Writes `records` with `operator`.
pub(crate) fn write(
    config: &Configuration,
    operator: &Operator,
    label: OperatorLabel,
    address: Option<&str>,
    records: AnyIter,
) -> Result<(u64, u64)> {
    let writer = WRITER.get().ok_or_else(|| Error::Execution {
        operator: label.to_string(),
        reason: "this worker cannot write the sink: no platform that writes Kafka (java or \
                 spark) was added to the program's context before the plan executed"
            .into(),
    })?;
    writer(config, operator, label, address, records)
}

/// Installs the reader of sources read inside remote tasks (the first one
/// installed stays).
pub fn install_reader(reader: SourceReader) {
    let _ = READER.set(reader);
}

/// Whether a reader is installed.
pub fn has_reader() -> bool {
    READER.get().is_some()
}

/// Reads `lines` with `operator`.
pub(crate) fn read(
    config: &Configuration,
    operator: &Operator,
    label: OperatorLabel,
    lines: TaskLines,
) -> Result<TaskRead> {
    let reader = READER.get().ok_or_else(|| Error::Execution {
        operator: label.to_string(),
        reason: "this worker cannot read the source: no platform that reads Kafka (java or \
                 spark) was added to the program's context before the plan executed"
            .into(),
    })?;
    reader(config, operator, label, lines)
}
