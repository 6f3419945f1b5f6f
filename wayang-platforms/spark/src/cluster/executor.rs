//! The executor of cluster mode: runs the remote part of each spark stage
//! as Spark SQL on the cluster and the rest (sources the driver reads,
//! collecting sinks, conversions to other platforms) here.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use spark_connect::row::{Row, Value};
use spark_connect::types::DataType as SparkType;
use wayang_core::channels::ChannelKind;
use wayang_core::config::Configuration;
use wayang_core::job::{ChannelId, StageRun, TaskKind};
use wayang_core::operators::{Operator, TextFileSource};
use wayang_core::plan::NodeId;
use wayang_core::remote::segment::text_split_line;
use wayang_core::remote::{codec_for, require_codec, worker, WorkerRequest};
use wayang_core::{AnyIter, Channel, Error, Executor, Result};

use super::placement::{place, Placement};
use super::relation::{inputs, relation_of};
use super::session::{session, Session};
use super::sql::{worker_command, Renderer};
use crate::executor::SparkExecutor;
use crate::operators::kafka::split;
use crate::plugin::{CONNECT_TIMEOUT_KEY, FILES_IN_TASKS_KEY, WORKER_ARGS_KEY};
use crate::rdd::{CachedPartitions, CACHED_RDD, RDD};
use wayang_kafka::{OffsetRange, ReadCompletion, SourceRead};

/// What [`ClusterExecutor::task_sources`] prepared.
struct TaskSources {
    /// The lines handed to the tasks, per source node.
    lines: HashMap<NodeId, Vec<String>>,
    /// The Kafka reads to mark complete once every query succeeded.
    completions: Vec<(ReadCompletion, Vec<OffsetRange>)>,
}

pub(crate) struct ClusterExecutor {
    /// Runs what stays in this process (the driver's tasks).
    local: SparkExecutor,
    session: Arc<Session>,
    buckets: usize,
    args: Vec<String>,
    files_in_tasks: bool,
}

impl ClusterExecutor {
    pub(crate) fn new(config: &Configuration, remote: &str) -> Result<Self> {
        let timeout = Duration::from_millis(config.get_or(CONNECT_TIMEOUT_KEY, 30_000u64)?);
        let buckets = config.get_or(crate::PARTITIONS_KEY, 2usize)?.max(1);
        let args = match config.get(WORKER_ARGS_KEY) {
            Some(args) => args.split_whitespace().map(str::to_owned).collect(),
            None => default_worker_args(),
        };
        // The argument itself is not shown: it may be anything.
        if let Some(bad) = args
            .iter()
            .position(|a| a.contains(['\'', '\\', '"', '$', '`']))
        {
            return Err(Error::Configuration(format!(
                "{WORKER_ARGS_KEY}: argument {} of the worker contains a quote, backslash, $ or `, \
                 which the worker's command line cannot carry; set {WORKER_ARGS_KEY} to what the \
                 worker needs to build the same plan",
                bad + 1
            )));
        }
        Ok(ClusterExecutor {
            local: SparkExecutor::new(config)?,
            session: session(remote, timeout)?,
            buckets,
            args,
            files_in_tasks: config.get_or(FILES_IN_TASKS_KEY, false)?,
        })
    }
}

/// The arguments a worker is started with: the program's own, so that it
/// builds the same plan; for a test binary, whose harness would run every
/// test, only the running test (tests run on threads named after them).
fn default_worker_args() -> Vec<String> {
    match std::thread::current().name() {
        Some(name) if name != "main" && !name.starts_with("wayang-") => vec![
            "--exact".into(),
            name.to_string(),
            "--include-ignored".into(),
            "--test-threads=1".into(),
        ],
        _ => without_remote(std::env::args().skip(1)),
    }
}

/// The arguments without Spark's `--remote URL` (a worker does not connect,
/// and the URL's parameters may hold a token).
fn without_remote(args: impl Iterator<Item = String>) -> Vec<String> {
    let mut kept = Vec::new();
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        if arg == "--remote" {
            args.next();
        } else if !arg.starts_with("--remote=") {
            kept.push(arg);
        }
    }
    kept
}

impl Executor for ClusterExecutor {
    fn state(&self) -> Arc<dyn std::any::Any + Send + Sync> {
        self.local.state()
    }

    fn execute_stage(&mut self, stage: &mut StageRun<'_, '_>) -> Result<()> {
        let pool = self.local.state.clone();
        pool.pool.install(|| self.execute_on_cluster(stage))
    }
}

impl ClusterExecutor {
    fn execute_on_cluster(&mut self, stage: &mut StageRun<'_, '_>) -> Result<()> {
        let plan = stage.plan().clone();
        let logical = plan.plan();
        let tasks = stage.stage().tasks.clone();
        let Placement {
            remote,
            node_task,
            needed,
        } = place(&plan, stage.stage(), self.files_in_tasks)?;
        if remote.is_empty() {
            return stage.run_here();
        }
        // Conversions between remote nodes have nothing to convert.
        let produced_by_remote = |channel: ChannelId| {
            remote
                .iter()
                .any(|node| plan.tasks()[node_task[node]].output == Some(channel))
        };
        let mut skipped: HashSet<usize> = HashSet::new();
        for &index in &tasks {
            let task = &plan.tasks()[index];
            let is_remote =
                matches!(&task.kind, TaskKind::Operator { node, .. } if remote.contains(node));
            let conversion_between_remote = matches!(task.kind, TaskKind::Conversion(_))
                && task.inputs.iter().all(|&c| produced_by_remote(c));
            if is_remote || conversion_between_remote {
                skipped.insert(index);
            }
        }
        // Driver tasks that feed Spark run first, then Spark, then the rest:
        // those reading, directly or through other driver tasks, what Spark
        // computes (tasks are in dependency order).
        let mut late: HashSet<ChannelId> = HashSet::new();
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for &index in tasks.iter().filter(|i| !skipped.contains(i)) {
            let task = &plan.tasks()[index];
            if task
                .inputs
                .iter()
                .any(|&c| produced_by_remote(c) || late.contains(&c))
            {
                late.extend(task.output);
                after.push(index);
            } else {
                before.push(index);
            }
        }
        for index in before {
            stage.run_task(index)?;
        }
        let TaskSources {
            lines: lines_of,
            completions,
        } = self.task_sources(stage, &remote, &node_task)?;
        let fingerprint = logical.fingerprint();
        // Views live in the Connect session, which every job of this process
        // to the same endpoint shares: names unique per stage run.
        static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let job_tag = format!("{:08x}_{run}", std::process::id() ^ (fingerprint as u32));
        let mut views: HashMap<NodeId, String> = HashMap::new();
        // A node several queries read (a parse feeding two aggregations, an
        // aggregate feeding a file and a topic) is computed once, cached by
        // Spark (eagerly) and read from the cache: otherwise every query
        // would read and compute it again.
        let mut shared: Vec<NodeId> = remote
            .iter()
            .copied()
            .filter(|node| logical.consumers(*node).len() > 1)
            .collect();
        shared.sort();
        let queries: Vec<(NodeId, bool)> = shared
            .iter()
            .map(|&node| (node, true))
            .chain(needed.iter().map(|&node| (node, false)))
            .collect();
        let mut computed = remote.clone();
        let outcome = self.run_queries(
            stage,
            &queries,
            &mut computed,
            &mut views,
            &lines_of,
            &node_task,
            &remote,
            &job_tag,
        );
        for name in views.values() {
            // The stage's views: uploaded inputs and cached results. Frees
            // the executors' memory (dropping a cached view uncaches it); a
            // failure here changes no result.
            if let Err(error) = self
                .session
                .spark
                .sql(&format!("DROP VIEW IF EXISTS {name}"))
                .and_then(|df| df.collect())
            {
                tracing::warn!(%error, name, "could not uncache a stage's intermediate result");
            }
        }
        outcome?;
        // Every query succeeded: the tasks read their ranges in full.
        for (completion, ranges) in completions {
            completion.read_in_full(&ranges);
        }
        for index in after {
            stage.run_task(index)?;
        }
        Ok(())
    }

    /// Runs the stage's queries in order: `(node, cache)` caches the node's
    /// records in Spark as a view later queries read, or brings them (or a
    /// sink's delivery counts) to the driver.
    #[allow(clippy::too_many_arguments)]
    fn run_queries(
        &self,
        stage: &mut StageRun<'_, '_>,
        queries: &[(NodeId, bool)],
        computed: &mut HashSet<NodeId>,
        views: &mut HashMap<NodeId, String>,
        lines_of: &HashMap<NodeId, Vec<String>>,
        node_task: &HashMap<NodeId, usize>,
        remote: &HashSet<NodeId>,
        job_tag: &str,
    ) -> Result<()> {
        let plan = stage.plan().clone();
        let logical = plan.plan();
        let fingerprint = logical.fingerprint();
        let mut cached_nodes: HashSet<NodeId> = HashSet::new();
        for &(node, cache) in queries {
            let relation = relation_of(logical, node, computed, self.buckets)?;
            let mut driver_inputs = Vec::new();
            inputs(&relation, &mut driver_inputs);
            for input in driver_inputs {
                if views.contains_key(&input) {
                    continue;
                }
                let tokens = match lines_of.get(&input) {
                    Some(lines) => lines.clone(),
                    None => {
                        let channel = input_channel(stage, node_task, remote, input)?;
                        let records = records_of(stage.take(channel)?)?;
                        let data_type = logical
                            .node(input)
                            .and_then(|n| n.operator.output_type())
                            .ok_or_else(|| Error::internal("an input without records"))?;
                        let label = logical
                            .node(input)
                            .map(|n| n.label().to_string())
                            .unwrap_or_default();
                        require_codec(&data_type, &label)?.encode_all(records)?
                    }
                };
                let name = format!("wayang_{job_tag}_{}", input.0);
                self.upload(&name, tokens)?;
                views.insert(input, name);
            }
            let artifact = self.session.artifact.clone();
            let args = self.args.clone();
            let command = move |request: &WorkerRequest| worker_command(&artifact, &args, request);
            let view_of = |n: NodeId| views.get(&n).cloned().unwrap_or_default();
            let buckets = self.buckets;
            // A cached view is read as Spark partitioned it.
            let partitions_of = |n: NodeId| match lines_of.get(&n) {
                Some(lines) => lines.len().max(1),
                None if cached_nodes.contains(&n) => 0,
                None => buckets,
            };
            let address_of = |n: NodeId| match logical.node(n).map(|n| &n.operator) {
                Some(Operator::KafkaTopicSink(sink)) => {
                    sink.cluster.get("bootstrap.servers").map(str::to_owned)
                }
                _ => None,
            };
            let renderer = Renderer {
                fingerprint,
                command: &command,
                view: &view_of,
                partitions: &partitions_of,
                address: &address_of,
            };
            let query = renderer.query(&relation);
            if cache {
                let name = format!("wayang_{job_tag}_c{}", node.0);
                tracing::debug!(query, name, "caching on Spark");
                self.session
                    .spark
                    .sql(&format!("CACHE TABLE {name} AS {query}"))
                    .and_then(|df| df.collect())
                    .map_err(|e| self.failure(&e.to_string()))?;
                cached_nodes.insert(node);
                views.insert(node, name);
                computed.remove(&node);
                continue;
            }
            tracing::debug!(query, "running on Spark");
            let rows = self
                .session
                .spark
                .sql(&query)
                .and_then(|df| df.collect())
                .map_err(|e| self.failure(&e.to_string()))?;
            let Some(data_type) = logical.node(node).and_then(|n| n.operator.output_type()) else {
                // A sink the tasks wrote: one line per task.
                let delivered = delivered(&rows, logical, node)?;
                if let Some(probe) = stage.probe(node) {
                    probe.mark_started();
                    probe.add_records(delivered);
                    probe.mark_finished();
                }
                continue;
            };
            let codec = codec_for(&data_type)
                .ok_or_else(|| Error::internal("a remote node without a codec"))?;
            let tokens: Vec<Result<Vec<u8>>> = rows
                .iter()
                .map(|row| match row.get(0) {
                    Some(Value::String(token)) => Ok(token.clone().into_bytes()),
                    other => Err(Error::internal(format!(
                        "Spark returned {other:?} for a record"
                    ))),
                })
                .collect();
            let records = data_type.collect(codec.decode(Box::new(tokens.into_iter())))?;
            if let Some(probe) = stage.probe(node) {
                probe.add_records(records.len() as u64);
            }
            let output = plan.tasks()[node_task[&node]]
                .output
                .ok_or_else(|| Error::internal("a remote node without an output channel"))?;
            stage.put(
                output,
                Channel::new(CACHED_RDD, data_type, CachedPartitions(vec![records])),
            );
        }
        Ok(())
    }

    /// The lines of the sources the tasks read: for a Kafka source the
    /// driver resolves and splits the ranges and registers the commit (one
    /// line per range); for a text file, one line per byte range.
    fn task_sources(
        &self,
        stage: &mut StageRun<'_, '_>,
        remote: &HashSet<NodeId>,
        node_task: &HashMap<NodeId, usize>,
    ) -> Result<TaskSources> {
        let plan = stage.plan().clone();
        let logical = plan.plan();
        let mut lines_of: HashMap<NodeId, Vec<String>> = HashMap::new();
        let mut completions = Vec::new();
        let min_tasks = stage
            .config()
            .get_or(crate::plugin::KAFKA_MIN_TASKS_KEY, self.buckets)?;
        for &node in remote {
            if let Some(Operator::TextFileSource(source)) = logical.node(node).map(|n| &n.operator)
            {
                // Byte ranges, split as in process; the tasks read them.
                let size =
                    stage.with_task_context(node_task[&node], |ctx| source.size(ctx.probe()))?;
                let lines = TextFileSource::splits(size, self.buckets as u64)
                    .filter_map(|(start, end)| text_split_line(source, start, end))
                    .collect();
                lines_of.insert(node, lines);
                continue;
            }
            let Some(Operator::KafkaTopicSource(source)) = logical.node(node).map(|n| &n.operator)
            else {
                continue;
            };
            let (completion, ranges) = stage.with_task_context(node_task[&node], |ctx| {
                let (read, ranges) = SourceRead::start(source, ctx)?;
                Ok((read.completion(), split(ranges, min_tasks)))
            })?;
            let label = logical
                .node(node)
                .map(|n| n.label().to_string())
                .unwrap_or_default();
            let bootstrap = source.cluster.get("bootstrap.servers").ok_or_else(|| {
                Error::Configuration(format!(
                    "{label}: cluster {} names no bootstrap.servers",
                    source.cluster.alias()
                ))
            })?;
            let lines = ranges
                .iter()
                .filter(|range| range.len() != Some(0))
                .map(|range| wayang_kafka::remote::range_line(bootstrap, range))
                .collect::<Result<Vec<_>>>()
                .map_err(|_| Error::Unsupported {
                    operator: label,
                    reason: "it reads to the end of a partition, which tasks on a Spark cluster \
                             cannot agree on; give it stop offsets, or keep it in process"
                        .into(),
                })?;
            lines_of.insert(node, lines);
            completions.push((completion, ranges));
        }
        Ok(TaskSources {
            lines: lines_of,
            completions,
        })
    }

    fn upload(&self, view: &str, tokens: Vec<String>) -> Result<()> {
        let schema = SparkType::from_ddl("r STRING").map_err(|e| Error::internal(e.to_string()))?;
        let rows = tokens
            .into_iter()
            .map(|t| Row::new(vec!["r".into()], vec![Value::String(t)]))
            .collect();
        self.session
            .spark
            .create_dataframe(rows, schema)
            .and_then(|df| df.create_or_replace_temp_view(view))
            .map_err(|e| self.failure(&e.to_string()))
    }

    /// The job's error for a failed Spark call: the worker's own message if
    /// a worker failed, Spark's otherwise.
    fn failure(&self, spark_error: &str) -> Error {
        let remote = &self.session.remote;
        match spark_error.split(worker::ERROR_MARKER).nth(1) {
            Some(rest) => {
                let message = rest.lines().next().unwrap_or(rest).trim();
                let (operator, reason) = message.split_once(": ").unwrap_or(("a stage", message));
                Error::Execution {
                    operator: operator.to_string(),
                    reason: format!("on the Spark cluster at {remote}: {reason}"),
                }
            }
            None => Error::Execution {
                operator: format!("a stage on the Spark cluster at {remote}"),
                reason: first_lines(spark_error),
            },
        }
    }
}

/// The records a sink's tasks delivered, from their `sent delivered` lines:
/// a task whose deliveries fall short of what it sent fails the job.
fn delivered(rows: &[Row], plan: &wayang_core::plan::WayangPlan, node: NodeId) -> Result<u64> {
    let label = plan
        .node(node)
        .map(|n| n.label().to_string())
        .unwrap_or_default();
    let mut total = 0u64;
    for row in rows {
        let Some(Value::String(line)) = row.get(0) else {
            return Err(Error::internal("a sink's task returned no delivery count"));
        };
        let counts: Vec<u64> = line
            .split(' ')
            .map(str::parse)
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| Error::internal(format!("a malformed delivery count {line:?}")))?;
        let [sent, delivered] = counts[..] else {
            return Err(Error::internal(format!(
                "a malformed delivery count {line:?}"
            )));
        };
        if delivered != sent {
            return Err(Error::Execution {
                operator: label,
                reason: format!(
                    "a task on the Spark cluster sent {sent} records and only {delivered} were \
                     delivered"
                ),
            });
        }
        total = total
            .checked_add(delivered)
            .ok_or_else(|| Error::internal("delivery counts overflow"))?;
    }
    Ok(total)
}

fn first_lines(text: &str) -> String {
    text.lines().take(3).collect::<Vec<_>>().join(" ")
}

/// The channel holding `input`'s records as its remote consumer reads them
/// (after any conversion the driver ran on them).
fn input_channel(
    stage: &StageRun<'_, '_>,
    node_task: &HashMap<NodeId, usize>,
    remote: &HashSet<NodeId>,
    input: NodeId,
) -> Result<ChannelId> {
    let plan = stage.plan();
    plan.plan()
        .consumers(input)
        .into_iter()
        .filter(|(consumer, _)| remote.contains(consumer))
        .find_map(|(consumer, slot)| {
            let task = node_task.get(&consumer)?;
            Some(plan.tasks()[*task].inputs[slot])
        })
        .ok_or_else(|| Error::internal(format!("no remote consumer of node {}", input.0)))
}

/// The records of a channel of any kind this executor meets.
fn records_of(channel: Channel) -> Result<AnyIter> {
    let data_type = channel.data_type().clone();
    match channel.kind() {
        kind if kind == ChannelKind::COLLECTION => data_type.iter(channel.into_collection()?),
        kind if kind == ChannelKind::STREAM => channel.into_stream(),
        kind if kind == RDD || kind == CACHED_RDD => {
            data_type.chain(crate::rdd::partitions(channel)?)
        }
        other => Err(Error::internal(format!(
            "cluster mode cannot read a {other} channel"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_do_not_get_the_remote_url() {
        let args = [
            "--k",
            "3",
            "--remote",
            "sc://h:1/;token=t",
            "--remote=sc://x",
            "--all",
        ];
        assert_eq!(
            without_remote(args.iter().map(|a| a.to_string())),
            ["--k", "3", "--all"]
        );
    }
}
