//! The job configuration keys wayang-kafka reads, with their defaults.

use std::time::Duration;

use wayang_core::{Configuration, Result};

/// Timeout of metadata, offset and commit requests, in ms.
pub const TIMEOUT_KEY: &str = "wayang.kafka.timeout.ms";
/// How long a read may make no progress before it fails, in ms.
pub const READ_IDLE_TIMEOUT_KEY: &str = "wayang.kafka.read.idle_timeout.ms";
/// How long a sink waits for outstanding deliveries at the end, in ms.
pub const FLUSH_TIMEOUT_KEY: &str = "wayang.kafka.write.flush_timeout.ms";

/// wayang-kafka's settings for one job.
#[derive(Clone, Copy, Debug)]
pub struct KafkaSettings {
    /// Metadata, offset and commit requests.
    pub timeout: Duration,
    /// A read with no progress for this long fails.
    pub read_idle_timeout: Duration,
    /// A sink waits this long for outstanding deliveries.
    pub flush_timeout: Duration,
}

impl Default for KafkaSettings {
    fn default() -> Self {
        KafkaSettings {
            timeout: Duration::from_secs(10),
            read_idle_timeout: Duration::from_secs(30),
            flush_timeout: Duration::from_secs(60),
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
        Ok(KafkaSettings {
            timeout: ms(TIMEOUT_KEY, default.timeout)?,
            read_idle_timeout: ms(READ_IDLE_TIMEOUT_KEY, default.read_idle_timeout)?,
            flush_timeout: ms(FLUSH_TIMEOUT_KEY, default.flush_timeout)?,
        })
    }
}
