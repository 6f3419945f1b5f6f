//! An exactly-once Kafka job, as plain data: which job it is and where its
//! output and source positions are committed together.

use super::KafkaCluster;

/// The positions topic used when none is named.
pub const DEFAULT_POSITIONS_TOPIC: &str = "wayang-positions";

/// Binds a job's Kafka sources and its one Kafka sink into exactly-once
/// processing: the sink's records and the positions its sources reached are
/// committed in one Kafka transaction on the sink's cluster, and the next
/// run of the job resumes its sources from those positions.
///
/// Kafka transactions cover one cluster, so the positions of sources on
/// other clusters are kept in a topic of the sink's cluster
/// ([`ExactlyOnce::positions_topic`], one partition), written in the same
/// transaction. The job id is stable across runs: it names the transaction
/// (`wayang-eos-<job>`), so a new run fences an old one that is still alive.
///
/// ```
/// use wayang_core::kafka::{ExactlyOnce, KafkaCluster};
///
/// let zone_b = KafkaCluster::new("zone-b").with("bootstrap.servers", "b:9092");
/// let eos = ExactlyOnce::new("job4", &zone_b);
/// assert_eq!(eos.transactional_id(), "wayang-eos-job4");
/// assert_eq!(eos.positions_topic, "wayang-positions");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExactlyOnce {
    /// The job's stable id.
    pub job: String,
    /// The cluster of the job's sink: where the transaction runs.
    pub cluster: KafkaCluster,
    /// The topic (on `cluster`) that holds the committed source positions.
    pub positions_topic: String,
}

impl ExactlyOnce {
    /// Exactly-once processing for job `job`, committing on `cluster`.
    pub fn new(job: impl Into<String>, cluster: &KafkaCluster) -> Self {
        ExactlyOnce {
            job: job.into(),
            cluster: cluster.clone(),
            positions_topic: DEFAULT_POSITIONS_TOPIC.to_string(),
        }
    }

    /// Keeps the positions in `topic` instead of `wayang-positions`.
    pub fn positions_topic(mut self, topic: impl Into<String>) -> Self {
        self.positions_topic = topic.into();
        self
    }

    /// The transactional id of the job's sink: stable per job.
    pub fn transactional_id(&self) -> String {
        format!("wayang-eos-{}", self.job)
    }

    /// The consumer group whose transactional offsets point at the job's
    /// last committed positions (and hold same-cluster sources' offsets).
    pub fn group(&self) -> String {
        self.transactional_id()
    }
}
