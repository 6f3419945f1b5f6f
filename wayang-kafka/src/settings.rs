//! The job configuration keys wayang-kafka reads, with their defaults.
//!
//! Every request to a broker has a deadline from these keys (see
//! docs/configuration.md): metadata, watermarks, committed offsets, group
//! commits and transaction steps wait at most `wayang.kafka.timeout.ms`; a
//! read fails after `wayang.kafka.read.idle_timeout.ms` without progress; a
//! sink waits at most `wayang.kafka.write.flush_timeout.ms` for its
//! deliveries.

use std::time::Duration;

use wayang_core::{Configuration, Error, Result};

/// Deadline of metadata, offset, commit and transaction requests, in ms.
pub const TIMEOUT_KEY: &str = "wayang.kafka.timeout.ms";
/// How long a read may make no progress before it fails, in ms.
pub const READ_IDLE_TIMEOUT_KEY: &str = "wayang.kafka.read.idle_timeout.ms";
/// How long a sink waits for outstanding deliveries at the end, in ms.
pub const FLUSH_TIMEOUT_KEY: &str = "wayang.kafka.write.flush_timeout.ms";
/// For recovery tests: the step of an exactly-once job at which to
/// simulate a crash (see [`CrashPoint`]).
pub const CRASH_AT_KEY: &str = "wayang.kafka.exactly_once.crash_at";

/// A step of an exactly-once job at which a crash can be simulated
/// ([`CRASH_AT_KEY`]): the job stops there as a killed process would, its
/// transaction left open (the next run's fencing aborts it), and fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    /// After the sources were read, before the sink sent anything.
    BeforeWrite,
    /// After the sink sent its first record.
    DuringWrite,
    /// After every record was delivered (still uncommitted).
    AfterFlush,
    /// Before the positions record is written into the transaction.
    BeforePositions,
    /// After the positions were written, before the transaction commits.
    BeforeCommit,
    /// Right after the transaction committed (the job then fails).
    AfterCommit,
}

impl CrashPoint {
    /// Every crash point, in the order a job passes them.
    pub const ALL: [CrashPoint; 6] = [
        CrashPoint::BeforeWrite,
        CrashPoint::DuringWrite,
        CrashPoint::AfterFlush,
        CrashPoint::BeforePositions,
        CrashPoint::BeforeCommit,
        CrashPoint::AfterCommit,
    ];

    /// The name used in configuration (`before-write`, ...).
    pub fn name(self) -> &'static str {
        match self {
            CrashPoint::BeforeWrite => "before-write",
            CrashPoint::DuringWrite => "during-write",
            CrashPoint::AfterFlush => "after-flush",
            CrashPoint::BeforePositions => "before-positions",
            CrashPoint::BeforeCommit => "before-commit",
            CrashPoint::AfterCommit => "after-commit",
        }
    }
}

/// wayang-kafka's settings for one job.
#[derive(Clone, Copy, Debug)]
pub struct KafkaSettings {
    /// Metadata, offset, commit and transaction requests.
    pub timeout: Duration,
    /// A read with no progress for this long fails.
    pub read_idle_timeout: Duration,
    /// A sink waits this long for outstanding deliveries.
    pub flush_timeout: Duration,
    /// Where an exactly-once job simulates a crash (tests only).
    pub crash_at: Option<CrashPoint>,
}

impl Default for KafkaSettings {
    fn default() -> Self {
        KafkaSettings {
            timeout: Duration::from_secs(10),
            read_idle_timeout: Duration::from_secs(30),
            flush_timeout: Duration::from_secs(60),
            crash_at: None,
        }
    }
}

impl KafkaSettings {
    /// The settings in a job configuration (defaults for unset keys).
    pub fn from_config(config: &Configuration) -> Result<Self> {
        let default = KafkaSettings::default();
        let ms = |key: &str, default: Duration| -> Result<Duration> {
            Ok(Duration::from_millis(
                config.get_or(key, default.as_millis() as u64)?,
            ))
        };
        let crash_at = match config.get(CRASH_AT_KEY).map(str::trim) {
            None | Some("") => None,
            Some(name) => Some(
                CrashPoint::ALL
                    .into_iter()
                    .find(|point| point.name() == name)
                    .ok_or_else(|| {
                        let names: Vec<&str> = CrashPoint::ALL.iter().map(|p| p.name()).collect();
                        Error::Configuration(format!(
                            "{CRASH_AT_KEY} = {name:?} is not one of {}",
                            names.join(", ")
                        ))
                    })?,
            ),
        };
        Ok(KafkaSettings {
            timeout: ms(TIMEOUT_KEY, default.timeout)?,
            read_idle_timeout: ms(READ_IDLE_TIMEOUT_KEY, default.read_idle_timeout)?,
            flush_timeout: ms(FLUSH_TIMEOUT_KEY, default.flush_timeout)?,
            crash_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_points_parse_and_bad_names_are_errors() {
        let mut config = Configuration::new();
        config.set(CRASH_AT_KEY, "before-commit");
        let settings = KafkaSettings::from_config(&config).unwrap();
        assert_eq!(settings.crash_at, Some(CrashPoint::BeforeCommit));
        config.set(CRASH_AT_KEY, "sometime");
        let error = KafkaSettings::from_config(&config).unwrap_err().to_string();
        assert!(error.contains("is not one of before-write"), "{error}");
    }
}
