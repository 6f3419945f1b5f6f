//! Committing a consumer group's offsets once a job has succeeded, within
//! the deadline `wayang.kafka.timeout.ms`.

use std::collections::BTreeMap;

use rdkafka::consumer::{CommitMode, Consumer as _};
use rdkafka::{Offset, TopicPartitionList};
use wayang_core::kafka::KafkaCluster;

use crate::client::redact;
use crate::error::{ErrorCode, KafkaError};
use crate::offsets::admin_consumer;
use crate::settings::KafkaSettings;

/// Commits `next` offsets (the next record to read: last processed + 1) for
/// `group`; the positions come from [`crate::ReadProgress`], which only
/// advances over a contiguous prefix of each partition. The commit is
/// awaited up to `settings.timeout`: a coordinator that never answers is an
/// error, not a hang.
pub fn commit_offsets(
    cluster: &KafkaCluster,
    group: &str,
    next: &BTreeMap<(String, i32), i64>,
    settings: &KafkaSettings,
) -> Result<(), KafkaError> {
    if next.is_empty() {
        return Ok(());
    }
    let error = |reason: String, code: Option<ErrorCode>| KafkaError::Commit {
        alias: cluster.alias().to_string(),
        group: group.to_string(),
        reason,
        code,
    };
    let consumer = admin_consumer(cluster, Some(group))?;
    let mut offsets = TopicPartitionList::new();
    for ((topic, partition), offset) in next {
        offsets
            .add_partition_offset(topic, *partition, Offset::Offset(*offset))
            .map_err(|e| error(e.to_string(), ErrorCode::of(&e)))?;
    }
    // librdkafka's synchronous commit has no deadline of its own, so it
    // runs on a helper thread that is waited for up to the timeout. (An
    // asynchronous commit reports its result through no event a
    // non-subscribed consumer is served.) A commit abandoned at the
    // deadline may still land later; the job has failed by then either way,
    // after its output was delivered, so a late commit loses nothing.
    let (done, result) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("wayang-kafka-commit".into())
        .spawn(move || {
            let outcome = consumer.commit(&offsets, CommitMode::Sync);
            let auth = consumer.context().auth_failure();
            let _ = done.send((outcome, auth));
        });
    if let Err(e) = spawned {
        return Err(error(format!("cannot start a commit thread: {e}"), None));
    }
    match result.recv_timeout(settings.timeout) {
        Ok((Ok(()), _)) => {}
        Ok((Err(_), Some((code, reason)))) => {
            return Err(crate::client::authentication(cluster, code, &reason))
        }
        Ok((Err(e), None)) => {
            return Err(error(redact(cluster, &e.to_string()), ErrorCode::of(&e)))
        }
        Err(_) => {
            return Err(error(
                format!(
                    "no answer within {} ms ({})",
                    settings.timeout.as_millis(),
                    crate::settings::TIMEOUT_KEY
                ),
                Some(ErrorCode::TIMED_OUT),
            ))
        }
    }
    tracing::debug!(cluster = %cluster.alias(), group, partitions = next.len(), "committed offsets");
    Ok(())
}
