//! What wayang-kafka does once per job before planning: check the plan's
//! exactly-once bindings, open each exactly-once job's session (fencing
//! older runs), and resolve every Kafka source's offset ranges. Platforms
//! register it through their plugins ([`preparer`]); the optimizer's
//! estimates and the job's reads then come from one resolution.

use std::collections::BTreeMap;
use std::sync::Arc;

use wayang_core::operators::{KafkaTopicSink, KafkaTopicSource, Operator};
use wayang_core::plan::{OperatorNode, WayangPlan};
use wayang_core::plugin::{JobPreparer, Prepared, Purpose};
use wayang_core::{Configuration, Error, Estimate, Result};

use crate::exactly_once::Session;
use crate::offsets::{resolve, OffsetRange, Resolution};
use crate::settings::KafkaSettings;

/// A Kafka source's resolution: what its execution operator reads.
pub struct ResolvedSource {
    /// The offset ranges, one per partition.
    pub ranges: Vec<OffsetRange>,
    pub(crate) session: Option<Arc<Session>>,
}

/// A Kafka sink's preparation: the session of its exactly-once job.
pub(crate) struct PreparedSink {
    pub(crate) session: Arc<Session>,
}

/// The preparer platforms register for their Kafka operators.
pub fn preparer() -> Arc<dyn JobPreparer> {
    Arc::new(KafkaPreparer)
}

struct KafkaPreparer;

impl JobPreparer for KafkaPreparer {
    fn name(&self) -> &'static str {
        "wayang-kafka"
    }

    fn configuration_keys(&self) -> &'static [&'static str] {
        &[
            crate::settings::TIMEOUT_KEY,
            crate::settings::READ_IDLE_TIMEOUT_KEY,
            crate::settings::FLUSH_TIMEOUT_KEY,
            crate::settings::CRASH_AT_KEY,
        ]
    }

    fn prepare(
        &self,
        plan: &WayangPlan,
        config: &Configuration,
        purpose: Purpose,
    ) -> Result<Vec<Prepared>> {
        let settings = KafkaSettings::from_config(config)?;
        let sinks = exactly_once_sinks(plan)?;
        let mut sessions: BTreeMap<&str, Arc<Session>> = BTreeMap::new();
        let mut prepared = Vec::new();
        for (job, (node, sink)) in &sinks {
            let Some(spec) = &sink.exactly_once else {
                continue;
            };
            let session = match purpose {
                Purpose::Execute => Session::open(spec, &sink.topic, &settings),
                Purpose::Explain => Session::look(spec, &settings),
            }
            .map_err(|e| e.in_operator(node.label()))?;
            let session = Arc::new(session);
            sessions.insert(job, session.clone());
            prepared.push(Prepared {
                node: node.id,
                estimate: None,
                state: Arc::new(PreparedSink { session }),
            });
        }
        for node in plan.nodes() {
            let Operator::KafkaTopicSource(source) = &node.operator else {
                continue;
            };
            let session = bound_session(node, source, &sessions)?;
            let stored = session.as_ref().map(|s| s.stored(&source.cluster));
            let resolution = Resolution {
                source,
                resumed: stored.as_ref(),
            };
            let ranges =
                resolve(&resolution, &settings).map_err(|e| e.in_operator(node.label()))?;
            prepared.push(Prepared {
                node: node.id,
                estimate: Some(estimate(&ranges)),
                state: Arc::new(ResolvedSource { ranges, session }),
            });
        }
        Ok(prepared)
    }
}

/// The records a source will read: exact where every range has a stop
/// offset (an upper bound: transaction markers and compacted records take
/// offsets too), widened where it reads to the end of a partition.
fn estimate(ranges: &[OffsetRange]) -> Estimate {
    let known = ranges.iter().filter_map(OffsetRange::len).sum::<u64>() as f64;
    if ranges.iter().any(|r| r.until.is_none()) {
        Estimate::new(known, known * 2.0 + 10_000.0, 0.5)
    } else {
        Estimate::new(known, known, 0.95)
    }
}

/// The plan's exactly-once sinks by job id, checked: one sink per job, on
/// the job's cluster.
fn exactly_once_sinks(
    plan: &WayangPlan,
) -> Result<BTreeMap<&str, (&OperatorNode, &KafkaTopicSink)>> {
    let mut sinks: BTreeMap<&str, (&OperatorNode, &KafkaTopicSink)> = BTreeMap::new();
    for node in plan.nodes() {
        let Operator::KafkaTopicSink(sink) = &node.operator else {
            continue;
        };
        let Some(spec) = &sink.exactly_once else {
            continue;
        };
        if spec.cluster.alias() != sink.cluster.alias()
            || spec.cluster.get("bootstrap.servers") != sink.cluster.get("bootstrap.servers")
        {
            return Err(Error::plan(format!(
                "{} writes to cluster {:?} but its exactly-once job {:?} commits on cluster {:?}; \
                 a Kafka transaction covers one cluster: make the job's cluster the sink's",
                node.label(),
                sink.cluster.alias(),
                spec.job,
                spec.cluster.alias()
            )));
        }
        if let Some((earlier, _)) = sinks.insert(&spec.job, (node, sink)) {
            return Err(Error::plan(format!(
                "{} and {} both commit exactly-once job {:?}; a job's output and its sources' \
                 positions commit in one transaction, so give each sink a job of its own",
                earlier.label(),
                node.label(),
                spec.job
            )));
        }
    }
    Ok(sinks)
}

/// The session a source is bound to, checked.
fn bound_session(
    node: &OperatorNode,
    source: &KafkaTopicSource,
    sessions: &BTreeMap<&str, Arc<Session>>,
) -> Result<Option<Arc<Session>>> {
    if source.table && source.start != wayang_core::kafka::StartOffsets::Earliest {
        return Err(Error::plan(format!(
            "{} reads its topics as tables, which are always read whole from the earliest \
             offset; drop starting_offsets/resume_group (commit_to_group still commits)",
            node.label()
        )));
    }
    let Some(spec) = &source.exactly_once else {
        return Ok(None);
    };
    if source.group.is_some() {
        return Err(Error::plan(format!(
            "{} is part of exactly-once job {:?} and also commits to a consumer group; the job \
             keeps its positions itself: drop resume_group/commit_to_group",
            node.label(),
            spec.job
        )));
    }
    match sessions.get(spec.job.as_str()) {
        Some(session) => Ok(Some(session.clone())),
        None => Err(Error::plan(format!(
            "{} is part of exactly-once job {:?}, but no Kafka sink of the plan commits that job; \
             add .exactly_once(..) with the same job to the sink",
            node.label(),
            spec.job
        ))),
    }
}
