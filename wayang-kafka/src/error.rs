//! The errors of wayang-kafka: each says which cluster (by alias), topic,
//! partition and offset, and what to do; none contains a secret.

/// Something went wrong talking to a Kafka cluster.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KafkaError {
    /// A property librdkafka does not know.
    #[error("cluster {alias:?}: unknown property {key:?}{at}: not a librdkafka client property (see docs/kafka.md)")]
    UnknownProperty {
        /// The cluster alias.
        alias: String,
        /// The property.
        key: String,
        /// ` at file:line`, if it came from a file.
        at: String,
    },

    /// A property with a value librdkafka rejects.
    #[error("cluster {alias:?}: property {key:?}{at}: {reason}")]
    InvalidProperty {
        /// The cluster alias.
        alias: String,
        /// The property.
        key: String,
        /// ` at file:line`, if it came from a file.
        at: String,
        /// librdkafka's reason (withheld for secret properties).
        reason: String,
    },

    /// The cluster did not answer in time.
    #[error("cluster {alias:?} ({servers}): no answer within {timeout_ms} ms ({reason}); check bootstrap.servers, the network and the credentials")]
    Unreachable {
        /// The cluster alias.
        alias: String,
        /// Its bootstrap servers.
        servers: String,
        /// The timeout (`wayang.kafka.timeout.ms`).
        timeout_ms: u64,
        /// What the client reported.
        reason: String,
    },

    /// A topic that does not exist.
    #[error(
        "cluster {alias:?}: topic {topic:?} does not exist; create it first or check the name"
    )]
    MissingTopic {
        /// The cluster alias.
        alias: String,
        /// The topic.
        topic: String,
    },

    /// A request about one partition failed.
    #[error("cluster {alias:?}: topic {topic:?} partition {partition}: {action} failed: {reason}")]
    Partition {
        /// The cluster alias.
        alias: String,
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// What was attempted.
        action: &'static str,
        /// What the client reported.
        reason: String,
    },

    /// A record that does not decode, under the `Fail` policy.
    #[error("cluster {alias:?}: topic {topic:?} partition {partition} offset {offset}: value is not valid {format}: {reason}")]
    Decode {
        /// The cluster alias.
        alias: String,
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// The offset.
        offset: i64,
        /// The format.
        format: &'static str,
        /// What is wrong.
        reason: String,
    },

    /// A read that made no progress for too long.
    #[error("cluster {alias:?}: topic {topic:?} partition {partition}: no progress for {idle_ms} ms at offset {position} (reading up to {until}){last_error}")]
    Stalled {
        /// The cluster alias.
        alias: String,
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// The next offset to read.
        position: i64,
        /// The stop offset, or `end of partition`.
        until: String,
        /// The idle timeout (`wayang.kafka.read.idle_timeout.ms`).
        idle_ms: u64,
        /// `; last error: ...`, if the client reported one.
        last_error: String,
    },

    /// Records that were not delivered.
    #[error("cluster {alias:?}: topic {topic:?}: {failed} of {sent} records were not delivered; first failure: {first_error}")]
    Delivery {
        /// The cluster alias.
        alias: String,
        /// The topic.
        topic: String,
        /// Records sent.
        sent: u64,
        /// Records whose delivery failed or timed out.
        failed: u64,
        /// The first failure, with its partition.
        first_error: String,
    },

    /// Producing failed before delivery (queue, transaction, ...).
    #[error("cluster {alias:?}: topic {topic:?}: {reason}")]
    Produce {
        /// The cluster alias.
        alias: String,
        /// The topic.
        topic: String,
        /// What went wrong.
        reason: String,
    },

    /// Committing a consumer group's offsets failed.
    #[error("cluster {alias:?}: consumer group {group:?}: cannot commit offsets: {reason}")]
    Commit {
        /// The cluster alias.
        alias: String,
        /// The group.
        group: String,
        /// What the client reported.
        reason: String,
    },

    /// Any other client failure.
    #[error("cluster {alias:?}: {reason}")]
    Client {
        /// The cluster alias.
        alias: String,
        /// What went wrong.
        reason: String,
    },
}

impl KafkaError {
    /// This error as the failure of the job operator `operator`.
    pub fn in_operator(self, operator: impl ToString) -> wayang_core::Error {
        wayang_core::Error::External {
            operator: operator.to_string(),
            cause: Box::new(self),
        }
    }
}
