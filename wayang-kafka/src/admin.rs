//! Administration of real clusters: creating topics.
//!
//! (Embedded clusters have no admin API; use `EmbeddedCluster::create_topic`.)

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;
use wayang_core::kafka::KafkaCluster;

use crate::client;
use crate::error::{ErrorCode, KafkaError};
use crate::settings::KafkaSettings;

/// Creates `topic` with `partitions` partitions and the broker's default
/// replication factor; a topic that already exists is not an error.
pub fn create_topic(
    cluster: &KafkaCluster,
    topic: &str,
    partitions: i32,
    settings: &KafkaSettings,
) -> Result<(), KafkaError> {
    let admin: AdminClient<DefaultClientContext> =
        client::create(cluster, &client::config(cluster, &[]), DefaultClientContext)?;
    let options = AdminOptions::new()
        .request_timeout(Some(settings.timeout))
        .operation_timeout(Some(settings.timeout));
    let new_topic = NewTopic::new(topic, partitions, TopicReplication::Fixed(-1));
    let error = |reason: String, code: Option<ErrorCode>| {
        KafkaError::client(
            cluster.alias(),
            format!("cannot create topic {topic:?}: {reason}"),
            code,
        )
    };
    let results = futures_executor::block_on(admin.create_topics([&new_topic], &options))
        .map_err(|e| error(e.to_string(), ErrorCode::of(&e)))?;
    for result in results {
        match result {
            Ok(_) => {}
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((_, code)) => return Err(error(code.to_string(), Some(ErrorCode::from_rd(code)))),
        }
    }
    Ok(())
}
