//! The errors of wayang-kafka: each says which cluster (by alias), topic,
//! partition and offset, and what to do; none contains a secret, nor any
//! part of a property's value but those known to be harmless.
//!
//! Where Kafka or librdkafka gave a reason, the error carries its
//! [`ErrorCode`], so callers can tell a retriable cause from a fatal one
//! without parsing messages: [`KafkaError::code`],
//! [`KafkaError::is_retriable`].

use std::fmt;

use rdkafka::error::KafkaError as RdError;
use rdkafka::types::RDKafkaErrorCode;

/// A Kafka protocol or librdkafka error code.
///
/// Matchable against the constants (`ErrorCode::OFFSET_OUT_OF_RANGE`, ...);
/// [`ErrorCode::value`] is the number Kafka (positive) or librdkafka
/// (negative) uses.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode(RDKafkaErrorCode);

impl ErrorCode {
    /// The broker has no such topic or partition.
    pub const UNKNOWN_TOPIC_OR_PARTITION: ErrorCode =
        ErrorCode(RDKafkaErrorCode::UnknownTopicOrPartition);
    /// The requested offset is outside the partition's retained records.
    pub const OFFSET_OUT_OF_RANGE: ErrorCode = ErrorCode(RDKafkaErrorCode::OffsetOutOfRange);
    /// librdkafka found no valid offset to start from (its answer to an
    /// offset out of range when `auto.offset.reset=error`).
    pub const AUTO_OFFSET_RESET: ErrorCode = ErrorCode(RDKafkaErrorCode::AutoOffsetReset);
    /// Authentication failed (SASL, TLS), as librdkafka reports it.
    pub const AUTHENTICATION: ErrorCode = ErrorCode(RDKafkaErrorCode::Authentication);
    /// The broker rejected the SASL credentials.
    pub const SASL_AUTHENTICATION_FAILED: ErrorCode =
        ErrorCode(RDKafkaErrorCode::SaslAuthenticationFailed);
    /// The client may not access the topic.
    pub const TOPIC_AUTHORIZATION_FAILED: ErrorCode =
        ErrorCode(RDKafkaErrorCode::TopicAuthorizationFailed);
    /// A newer producer with the same transactional id took over.
    pub const PRODUCER_FENCED: ErrorCode = ErrorCode(RDKafkaErrorCode::ProducerFenced);
    /// A local operation timed out.
    pub const TIMED_OUT: ErrorCode = ErrorCode(RDKafkaErrorCode::OperationTimedOut);
    /// Every broker connection is down.
    pub const ALL_BROKERS_DOWN: ErrorCode = ErrorCode(RDKafkaErrorCode::AllBrokersDown);

    /// The numeric code (Kafka's protocol codes are positive, librdkafka's
    /// local ones negative).
    pub fn value(self) -> i32 {
        self.0 as i32
    }

    /// The code's name (`OffsetOutOfRange`).
    pub fn name(self) -> String {
        format!("{:?}", self.0)
    }

    /// Whether trying again later may succeed: Kafka's retriable errors
    /// (leadership moving, coordinators loading, timeouts, transport) as
    /// opposed to fatal ones (authentication, authorization, fencing,
    /// invalid requests, missing topics).
    pub fn is_retriable(self) -> bool {
        use RDKafkaErrorCode as C;
        matches!(
            self.0,
            C::BrokerTransportFailure
                | C::AllBrokersDown
                | C::OperationTimedOut
                | C::MessageTimedOut
                | C::QueueFull
                | C::Retry
                | C::WaitingForCoordinator
                | C::NotLeaderForPartition
                | C::LeaderNotAvailable
                | C::RequestTimedOut
                | C::NetworkException
                | C::CoordinatorLoadInProgress
                | C::CoordinatorNotAvailable
                | C::NotCoordinator
                | C::NotEnoughReplicas
                | C::NotEnoughReplicasAfterAppend
                | C::KafkaStorageError
                | C::FetchSessionIdNotFound
                | C::InvalidFetchSessionEpoch
                | C::OffsetNotAvailable
                | C::PreferredLeaderNotAvailable
                | C::UnstableOffsetCommit
                | C::ConcurrentTransactions
                | C::ThrottlingQuotaExceeded
        )
    }

    /// Whether the cause is the client's credentials (SASL). TLS errors
    /// are not counted: a broker restarting mid-handshake causes them too.
    pub fn is_authentication(self) -> bool {
        use RDKafkaErrorCode as C;
        matches!(
            self.0,
            C::Authentication
                | C::SaslAuthenticationFailed
                | C::UnsupportedSASLMechanism
                | C::IllegalSASLState
        )
    }

    pub(crate) fn of(error: &RdError) -> Option<ErrorCode> {
        error.rdkafka_error_code().map(ErrorCode)
    }

    pub(crate) fn from_rd(code: RDKafkaErrorCode) -> ErrorCode {
        ErrorCode(code)
    }
}

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({})", self.0, self.value())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// ` [code Name]`, or nothing, for messages.
fn code_suffix(code: &Option<ErrorCode>) -> String {
    code.map(|c| format!(" [{c}]")).unwrap_or_default()
}

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
        /// librdkafka's reason, with the value itself left out.
        reason: String,
    },

    /// The cluster refused the client's credentials or security set-up
    /// (SASL mechanism, user name and password, TLS).
    #[error("cluster {alias:?} ({servers}): authentication failed: {reason}{}; check security.protocol, sasl.mechanisms and the credentials", code_suffix(code))]
    Authentication {
        /// The cluster alias.
        alias: String,
        /// Its bootstrap servers.
        servers: String,
        /// What librdkafka reported.
        reason: String,
        /// The error code.
        code: Option<ErrorCode>,
    },

    /// The cluster did not answer in time.
    #[error("cluster {alias:?} ({servers}): no answer within {timeout_ms} ms to {action} ({reason}){}; check bootstrap.servers, the network and the credentials", code_suffix(code))]
    Unreachable {
        /// The cluster alias.
        alias: String,
        /// Its bootstrap servers.
        servers: String,
        /// What was asked (`a metadata request`, ...).
        action: &'static str,
        /// The deadline (`wayang.kafka.timeout.ms`).
        timeout_ms: u64,
        /// What the client reported.
        reason: String,
        /// The error code of the last failure, if any.
        code: Option<ErrorCode>,
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

    /// A request about one partition failed, or its answer makes no sense.
    #[error(
        "cluster {alias:?}: topic {topic:?} partition {partition}: {action} failed: {reason}{}",
        code_suffix(code)
    )]
    Partition {
        /// The cluster alias.
        alias: String,
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// What was attempted.
        action: &'static str,
        /// What went wrong.
        reason: String,
        /// The error code, if the broker or client gave one.
        code: Option<ErrorCode>,
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
    #[error(
        "cluster {alias:?}: topic {topic:?}: no progress for {idle_ms} ms on {waiting}{last_error}"
    )]
    Stalled {
        /// The cluster alias.
        alias: String,
        /// The topic.
        topic: String,
        /// The partitions still being read, with their positions
        /// (`partition 2 at offset 17 of 40`).
        waiting: String,
        /// The idle timeout (`wayang.kafka.read.idle_timeout.ms`).
        idle_ms: u64,
        /// `; last error: ...`, if the client reported one.
        last_error: String,
        /// The code of the last error, if any.
        code: Option<ErrorCode>,
    },

    /// Reading failed for a whole topic (authorization, deletion, ...).
    #[error(
        "cluster {alias:?}: topic {topic:?}: reading failed: {reason}{}",
        code_suffix(code)
    )]
    Read {
        /// The cluster alias.
        alias: String,
        /// The topic.
        topic: String,
        /// What the client reported.
        reason: String,
        /// The error code.
        code: Option<ErrorCode>,
    },

    /// Records that were not delivered.
    #[error("cluster {alias:?}: topic {topic:?}: {failed} of {sent} records were not delivered; first failure: {first_error}{}", code_suffix(code))]
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
        /// The first failure's code.
        code: Option<ErrorCode>,
    },

    /// Producing failed before delivery (queue, transaction, ...).
    #[error("cluster {alias:?}: topic {topic:?}: {reason}{}", code_suffix(code))]
    Produce {
        /// The cluster alias.
        alias: String,
        /// The topic.
        topic: String,
        /// What went wrong.
        reason: String,
        /// The error code, if any.
        code: Option<ErrorCode>,
    },

    /// Committing a consumer group's offsets failed.
    #[error(
        "cluster {alias:?}: consumer group {group:?}: cannot commit offsets: {reason}{}",
        code_suffix(code)
    )]
    Commit {
        /// The cluster alias.
        alias: String,
        /// The group.
        group: String,
        /// What the client reported.
        reason: String,
        /// The error code, if any.
        code: Option<ErrorCode>,
    },

    /// An exactly-once job's transaction or stored positions are wrong.
    #[error(
        "cluster {alias:?}: exactly-once job {job:?}: {reason}{}",
        code_suffix(code)
    )]
    ExactlyOnce {
        /// The cluster alias (the sink's).
        alias: String,
        /// The job id.
        job: String,
        /// What is wrong and what to do.
        reason: String,
        /// The error code, if any.
        code: Option<ErrorCode>,
    },

    /// The cluster's Schema Registry settings are unusable, or a job needs
    /// a registry the cluster does not name.
    #[error("cluster {alias:?}: Schema Registry: {reason}")]
    Registry {
        /// The cluster alias.
        alias: String,
        /// What is wrong and what to do (never a credential).
        reason: String,
    },

    /// Any other client failure.
    #[error("cluster {alias:?}: {reason}{}", code_suffix(code))]
    Client {
        /// The cluster alias.
        alias: String,
        /// What went wrong.
        reason: String,
        /// The error code, if any.
        code: Option<ErrorCode>,
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

    /// The Kafka or librdkafka error code behind this error, if there is
    /// one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            KafkaError::Authentication { code, .. }
            | KafkaError::Unreachable { code, .. }
            | KafkaError::Partition { code, .. }
            | KafkaError::Stalled { code, .. }
            | KafkaError::Read { code, .. }
            | KafkaError::Delivery { code, .. }
            | KafkaError::Produce { code, .. }
            | KafkaError::Commit { code, .. }
            | KafkaError::ExactlyOnce { code, .. }
            | KafkaError::Client { code, .. } => *code,
            KafkaError::UnknownProperty { .. }
            | KafkaError::InvalidProperty { .. }
            | KafkaError::MissingTopic { .. }
            | KafkaError::Registry { .. }
            | KafkaError::Decode { .. } => None,
        }
    }

    /// Whether running the job again later may succeed without changing
    /// anything: an unreachable cluster, a stalled read or a retriable
    /// code. Bad properties, bad records, missing topics, refused
    /// credentials and fencing are not.
    pub fn is_retriable(&self) -> bool {
        match self {
            KafkaError::Unreachable { .. } | KafkaError::Stalled { .. } => {
                self.code().is_none_or(ErrorCode::is_retriable)
            }
            _ => self.code().is_some_and(ErrorCode::is_retriable),
        }
    }

    pub(crate) fn client(alias: &str, reason: impl Into<String>, code: Option<ErrorCode>) -> Self {
        KafkaError::Client {
            alias: alias.to_string(),
            reason: reason.into(),
            code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_matchable_and_classified() {
        let error = KafkaError::Partition {
            alias: "emea".into(),
            topic: "t".into(),
            partition: 2,
            action: "reading",
            reason: "gone".into(),
            code: Some(ErrorCode::OFFSET_OUT_OF_RANGE),
        };
        assert!(matches!(error.code(), Some(ErrorCode::OFFSET_OUT_OF_RANGE)));
        assert!(!error.is_retriable());
        assert_eq!(ErrorCode::OFFSET_OUT_OF_RANGE.value(), 1);
        assert!(
            error.to_string().ends_with("gone [OffsetOutOfRange]"),
            "{error}"
        );
        assert!(ErrorCode::ALL_BROKERS_DOWN.is_retriable());
        assert!(ErrorCode::SASL_AUTHENTICATION_FAILED.is_authentication());
        assert!(!ErrorCode::PRODUCER_FENCED.is_retriable());
        let unreachable = KafkaError::Unreachable {
            alias: "x".into(),
            servers: "h:1".into(),
            action: "a metadata request",
            timeout_ms: 10,
            reason: "no answer".into(),
            code: None,
        };
        assert!(unreachable.is_retriable());
    }
}
