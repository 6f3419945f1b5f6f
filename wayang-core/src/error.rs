//! The error type of wayang-core, sorted by whose fault it is.

use std::path::PathBuf;

/// The result type used throughout wayang-rs's core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while building, planning or executing a job.
///
/// Variants are sorted by whose fault the error is: the plan's author
/// ([`Error::Plan`]), the configuration ([`Error::Configuration`]), the data or
/// the environment at run time ([`Error::Execution`], [`Error::Io`],
/// [`Error::UdfPanicked`]), or wayang-rs itself ([`Error::Internal`]).
/// Messages say where the problem is and never contain a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The plan cannot be executed as written (no sink, a dangling input, an
    /// operator pinned to a platform that is not registered, ...).
    #[error("invalid plan: {0}")]
    Plan(String),

    /// No registered platform can execute an operator, or channels cannot be
    /// connected.
    #[error("cannot execute {operator}: {reason}")]
    Unsupported {
        /// The operator, as `Kind "name"`.
        operator: String,
        /// Why, and what to do about it.
        reason: String,
    },

    /// A configuration value or file is wrong.
    #[error("configuration: {0}")]
    Configuration(String),

    /// A configuration file could not be parsed.
    #[error("configuration file {}:{line}: {reason}", path.display())]
    ConfigurationFile {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with the line.
        reason: String,
    },

    /// An operator failed while running.
    #[error("operator {operator} failed: {reason}")]
    Execution {
        /// The operator, as `Kind "name"`.
        operator: String,
        /// What went wrong and where (file and line, partition, offset).
        reason: String,
    },

    /// An operator could not read or write a file.
    #[error("operator {operator}: {action} {}", path.display())]
    Io {
        /// The operator, as `Kind "name"`.
        operator: String,
        /// What was attempted, e.g. "cannot open".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A user-defined function panicked; the job was failed instead of the
    /// process aborting.
    #[error("operator {operator}: user function panicked: {message}")]
    UdfPanicked {
        /// The operator, as `Kind "name"`.
        operator: String,
        /// The panic message.
        message: String,
    },

    /// An operator failed with an error of a connector crate (e.g. a
    /// `wayang_kafka::KafkaError`); [`Error::cause_as`] recovers it.
    #[error("operator {operator}: {cause}")]
    External {
        /// The operator, as `Kind "name"`.
        operator: String,
        /// The connector's error (shown in the message, so not a `source`).
        cause: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The job failed while committing, after some of its sinks (or
    /// sources) had already made their effects visible: those stay visible,
    /// the rest were aborted. Running the job again is safe where the
    /// committed sinks are idempotent (tables, exactly-once sinks).
    #[error(
        "{failed} failed to commit after {} had committed (their output is visible; {} not): {cause}",
        committed.join(", "),
        if not_committed.is_empty() { "nothing else was pending".to_string() } else { format!("{} was", not_committed.join(", ")) }
    )]
    PartialCommit {
        /// The operator whose commit failed.
        failed: String,
        /// The operators that had committed before it.
        committed: Vec<String>,
        /// The operators that were aborted after it.
        not_committed: Vec<String>,
        /// Why the commit failed.
        cause: Box<Error>,
    },

    /// A file that could not be read.
    #[error("{action} {}", path.display())]
    File {
        /// What was attempted, e.g. "cannot read the cluster properties file".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A bug in wayang-rs or in a platform plugin: please report it.
    #[error("internal error (a bug in wayang-rs or a plugin): {0}")]
    Internal(String),
}

impl Error {
    /// Builds an [`Error::Plan`].
    pub fn plan(message: impl Into<String>) -> Self {
        Error::Plan(message.into())
    }

    /// The connector error inside an [`Error::External`] (also behind an
    /// [`Error::PartialCommit`]), if it is an `E`.
    pub fn cause_as<E: std::error::Error + 'static>(&self) -> Option<&E> {
        match self {
            Error::External { cause, .. } => cause.downcast_ref::<E>(),
            Error::PartialCommit { cause, .. } => cause.cause_as::<E>(),
            _ => None,
        }
    }

    /// Builds an [`Error::Internal`].
    pub fn internal(message: impl Into<String>) -> Self {
        Error::Internal(message.into())
    }
}
