//! Sources a remote task reads itself: the driver hands each task a few
//! lines naming what to read (a Kafka offset range), and the worker reads it
//! with the source operator of its own plan, so that nothing but those lines
//! (never a credential) travels through the remote engine.
//!
//! Core knows no Kafka client: the crate that does installs its reader here
//! ([`install_reader`]); every platform plugin that can read Kafka does so
//! when it is made, which any program running a Kafka plan has done before
//! its plan executes.

use std::sync::OnceLock;

use crate::config::Configuration;
use crate::data::AnyIter;
use crate::error::{Error, Result};
use crate::job::OperatorLabel;
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

/// Reads what the lines name with the plan's source operator.
pub type SourceReader = fn(
    config: &Configuration,
    operator: &Operator,
    label: OperatorLabel,
    lines: TaskLines,
) -> Result<TaskRead>;

static READER: OnceLock<SourceReader> = OnceLock::new();

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
