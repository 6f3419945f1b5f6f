//! The job report: what every operator did, measured.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::execution_plan::{ExecutionPlan, TaskKind};
use super::probe::OperatorProbe;
use crate::operators::OperatorKind;
use crate::optimizer::Estimate;
use crate::plan::NodeId;

/// What one operator did.
#[derive(Clone, Debug)]
pub struct OperatorReport {
    /// The plan node.
    pub node: NodeId,
    /// The operator's kind.
    pub kind: OperatorKind,
    /// The name given with `named(..)`.
    pub name: Option<String>,
    /// The platform it ran on.
    pub platform: &'static str,
    /// The execution operator that ran it.
    pub execution_operator: &'static str,
    /// Records it read (the sum of its inputs' outputs).
    pub records_in: u64,
    /// Records it emitted (sinks: records written or delivered).
    pub records_out: u64,
    /// Wall time from its first record pulled to its last: in a streaming
    /// pipeline, the spans of the chained operators overlap.
    pub active: Duration,
    /// Operator-specific counters (e.g. skipped records).
    pub counters: BTreeMap<&'static str, u64>,
    /// The optimizer's estimate of `records_out`, for comparison.
    pub estimated: Estimate,
}

/// What one stage did.
#[derive(Clone, Debug)]
pub struct StageReport {
    /// The platform (`None` for conversions only).
    pub platform: Option<&'static str>,
    /// Its tasks, by name.
    pub tasks: Vec<&'static str>,
    /// Wall time of the stage.
    pub elapsed: Duration,
}

/// The measurements of a finished job.
#[derive(Clone, Debug)]
pub struct JobReport {
    /// One entry per operator, in plan order.
    pub operators: Vec<OperatorReport>,
    /// One entry per stage, in execution order.
    pub stages: Vec<StageReport>,
    /// Wall time of the whole job.
    pub elapsed: Duration,
}

impl JobReport {
    pub(crate) fn new(
        plan: &ExecutionPlan,
        probes: &HashMap<NodeId, Arc<OperatorProbe>>,
        stages: Vec<StageReport>,
        elapsed: Duration,
    ) -> Self {
        let operators = plan
            .tasks
            .iter()
            .filter_map(|task| match &task.kind {
                TaskKind::Operator { node, operator } => Some((*node, operator)),
                TaskKind::Conversion(_) => None,
            })
            .filter_map(|(id, operator)| {
                let position = plan.plan.nodes().iter().position(|n| n.id == id)?;
                let node = &plan.plan.nodes()[position];
                let probe = &probes[&id];
                Some(OperatorReport {
                    node: id,
                    kind: node.kind(),
                    name: node.name.clone(),
                    platform: operator.platform().name(),
                    execution_operator: operator.name(),
                    records_in: node.inputs.iter().map(|i| probes[&i.node].records()).sum(),
                    records_out: probe.records(),
                    active: probe.active(),
                    counters: probe.counters(),
                    estimated: plan.estimates[position],
                })
            })
            .collect();
        JobReport {
            operators,
            stages,
            elapsed,
        }
    }

    /// The report of the operator named `name`.
    pub fn operator(&self, name: &str) -> Option<&OperatorReport> {
        self.operators
            .iter()
            .find(|o| o.name.as_deref() == Some(name))
    }
}

impl fmt::Display for JobReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<4} {:<32} {:<26} {:>12} {:>12} {:>18} {:>10}",
            "node",
            "operator",
            "execution operator",
            "records in",
            "records out",
            "estimated",
            "active"
        )?;
        for op in &self.operators {
            let label = match &op.name {
                Some(name) => format!("{} {name:?}", op.kind),
                None => op.kind.to_string(),
            };
            write!(
                f,
                "#{:<3} {:<32} {:<26} {:>12} {:>12} {:>18} {:>10.1?}",
                op.node.0,
                label,
                op.execution_operator,
                op.records_in,
                op.records_out,
                op.estimated.to_string(),
                op.active
            )?;
            for (name, value) in &op.counters {
                write!(f, " {name}={value}")?;
            }
            writeln!(f)?;
        }
        write!(
            f,
            "{} stage(s), job time {:.1?}",
            self.stages.len(),
            self.elapsed
        )
    }
}
