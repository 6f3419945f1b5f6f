//! Which nodes of a stage run on the Spark cluster and which stay in this
//! process, and how the cluster's part looks as SQL (for `explain`).

use std::collections::{HashMap, HashSet};

use wayang_core::job::{ExecutionPlan, Stage, TaskKind};
use wayang_core::operators::Operator;
use wayang_core::plan::NodeId;
use wayang_core::remote::segment::{can_read, can_run, can_write};
use wayang_core::remote::{codec_for, WorkerRequest};
use wayang_core::{Error, Result};

use super::relation::relation_of;
use super::sql::Renderer;

/// A stage's split between the cluster and the driver.
pub(crate) struct Placement {
    /// The nodes Spark runs.
    pub(crate) remote: HashSet<NodeId>,
    /// The task of every operator node of the stage.
    pub(crate) node_task: HashMap<NodeId, usize>,
    /// The remote nodes whose records the driver (or a later stage) reads,
    /// and the sinks the tasks write: one Spark query each, in plan order.
    pub(crate) needed: Vec<NodeId>,
}

/// Places `stage`: Spark runs the nodes a segment can run (or Spark can
/// union, or tasks can read), whose records can leave this process, and
/// whose inputs do not wait for a node that stays here but reads from
/// Spark. The rest runs here.
///
/// Text files are read by the tasks only where `files_in_tasks` says the
/// executors see them at the driver's path.
pub(crate) fn place(
    plan: &ExecutionPlan,
    stage: &Stage,
    files_in_tasks: bool,
) -> Result<Placement> {
    let logical = plan.plan();
    let mut remote: HashSet<NodeId> = HashSet::new();
    let mut after_remote: HashSet<NodeId> = HashSet::new();
    let mut node_task: HashMap<NodeId, usize> = HashMap::new();
    for &index in &stage.tasks {
        let TaskKind::Operator { node, .. } = &plan.tasks()[index].kind else {
            continue;
        };
        node_task.insert(*node, index);
        let plan_node = logical
            .node(*node)
            .ok_or_else(|| Error::internal("a task without its node"))?;
        let operator = &plan_node.operator;
        let file = matches!(operator, Operator::TextFileSource(_));
        let runnable = can_run(operator)
            || (can_read(operator) && (files_in_tasks || !file))
            || can_write(operator)
            || matches!(operator, Operator::Union(_));
        let encodable = operator
            .input_types()
            .iter()
            .chain(operator.output_type().iter())
            .all(|t| codec_for(t).is_some());
        let inputs_ready = plan_node
            .inputs
            .iter()
            .all(|input| !after_remote.contains(&input.node));
        if runnable && encodable && inputs_ready {
            remote.insert(*node);
        } else if plan_node
            .inputs
            .iter()
            .any(|input| remote.contains(&input.node) || after_remote.contains(&input.node))
        {
            after_remote.insert(*node);
        }
    }
    let mut needed: Vec<NodeId> = remote
        .iter()
        .copied()
        .filter(|node| {
            let consumers = logical.consumers(*node);
            consumers.is_empty()
                || consumers
                    .iter()
                    .any(|(consumer, _)| !remote.contains(consumer))
        })
        .collect();
    needed.sort();
    Ok(Placement {
        remote,
        node_task,
        needed,
    })
}

/// What `stage` runs on the cluster, as `explain` shows it: per query, the
/// node it computes and its SQL, with the worker's command and the driver's
/// views by name. `None` if everything stays here.
pub(crate) fn describe(
    plan: &ExecutionPlan,
    stage: &Stage,
    buckets: usize,
    files_in_tasks: bool,
) -> Option<String> {
    let placement = place(plan, stage, files_in_tasks).ok()?;
    if placement.remote.is_empty() {
        return None;
    }
    let logical = plan.plan();
    let command = |request: &WorkerRequest| format!("<worker {}>", request.segment);
    let view = |node: NodeId| format!("<driver input #{}>", node.0);
    let partitions = |_| buckets;
    let renderer = Renderer {
        fingerprint: logical.fingerprint(),
        command: &command,
        view: &view,
        partitions: &partitions,
        address: &|_| None,
    };
    let mut text = String::from("on the Spark cluster:");
    for node in &placement.needed {
        let relation = relation_of(logical, *node, &placement.remote, buckets).ok()?;
        let label = logical.node(*node).map(|n| n.label().to_string())?;
        text.push_str(&format!("\n      {label}: {}", renderer.query(&relation)));
    }
    // Say why work that could go stays here: a record type without a codec.
    let mut nodes: Vec<&NodeId> = placement.node_task.keys().collect();
    nodes.sort();
    for node in nodes {
        let Some(plan_node) = logical.node(*node) else {
            continue;
        };
        let operator = &plan_node.operator;
        if placement.remote.contains(node) || !(can_run(operator) || can_write(operator)) {
            continue;
        }
        if let Some(missing) = operator
            .input_types()
            .iter()
            .chain(operator.output_type().iter())
            .find(|t| codec_for(t).is_none())
        {
            text.push_str(&format!(
                "\n      {} stays in process: {} has no wire codec \
                 (wayang_core::remote::register::<{}>())",
                plan_node.label(),
                missing.name(),
                missing.name()
            ));
        }
    }
    Some(text)
}
