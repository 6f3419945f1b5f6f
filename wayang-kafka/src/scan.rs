//! Reading ranges outside of a job, for wayang-kafka's own bookkeeping:
//! the current keys of a table sink's topic, an exactly-once job's stored
//! positions, and `EmbeddedCluster::read_all`.

use std::collections::HashMap;
use std::sync::Arc;

use wayang_core::job::{JobState, OperatorLabel, OperatorProbe};
use wayang_core::kafka::{KafkaCluster, RecordView};
use wayang_core::operators::RawRecords;
use wayang_core::plan::NodeId;
use wayang_core::OperatorKind;

use crate::error::KafkaError;
use crate::offsets::OffsetRange;
use crate::reader::{RangeReader, ReadOptions, ReadProgress};
use crate::settings::KafkaSettings;

/// Offers every record of `ranges` to `visit`, in each partition's order.
pub(crate) fn scan(
    cluster: &KafkaCluster,
    ranges: Vec<OffsetRange>,
    settings: &KafkaSettings,
    what: &str,
    visit: &mut dyn FnMut(&RecordView<'_>),
) -> Result<(), KafkaError> {
    let job = Arc::new(JobState::default());
    let label = OperatorLabel {
        kind: OperatorKind::KafkaTopicSource,
        name: Some(what.to_string()),
        node: NodeId(0),
    };
    let options = ReadOptions {
        settings: *settings,
        policy: Default::default(),
        format: "bytes",
        needs_headers: true,
        probe: Arc::new(OperatorProbe::new(label, job.clone())),
        progress: Arc::new(ReadProgress::default()),
    };
    let mut reader = RangeReader::new(cluster.clone(), ranges, options);
    while reader.next_record(&mut |view| {
        visit(view);
        Ok(())
    }) {}
    match job.take_error() {
        None => Ok(()),
        Some(error) => Err(match error {
            wayang_core::Error::External { cause, .. } => match cause.downcast::<KafkaError>() {
                Ok(kafka) => *kafka,
                Err(other) => KafkaError::client(cluster.alias(), other.to_string(), None),
            },
            other => KafkaError::client(cluster.alias(), other.to_string(), None),
        }),
    }
}

/// The live keys of a keyed topic read as a table, with the partition
/// each lives in: a record with a value sets its key, a tombstone deletes
/// it; records without a key are ignored.
pub(crate) fn table_keys(
    cluster: &KafkaCluster,
    topic: &str,
    settings: &KafkaSettings,
) -> Result<HashMap<Vec<u8>, i32>, KafkaError> {
    let ranges = crate::offsets::resolve_all(cluster, topic, settings)?;
    let mut keys = HashMap::new();
    scan(cluster, ranges, settings, "current table", &mut |view| {
        if let Some(key) = view.key {
            match view.payload {
                Some(_) => {
                    keys.insert(key.to_vec(), view.partition);
                }
                None => {
                    keys.remove(key);
                }
            }
        }
    })?;
    Ok(keys)
}
