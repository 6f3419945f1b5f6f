//! The chosen execution plan, explained: every operator with its platform,
//! estimated cardinality and estimated cost, and every conversion inserted.
//! As text (for people) and JSON (for tools). Nothing in it can hold a
//! secret: clusters show only their alias and bootstrap servers.

use std::fmt;

use serde::Serialize;

use super::{CostModel, Estimate};
use crate::job::{ExecutionPlan, TaskKind};
use crate::operators::Operator;

/// An explained execution plan.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    /// The operators, in plan order.
    pub operators: Vec<ExplainedOperator>,
    /// The channel conversions inserted between them.
    pub conversions: Vec<ExplainedConversion>,
    /// The platforms of the stages, in execution order.
    pub stages: Vec<String>,
    /// How stages run where that is more than tasks in this process (a
    /// Spark cluster's queries): stage index and its platform's description.
    pub stage_details: Vec<(usize, String)>,
    /// The estimated cost of the whole job, start-ups included (ms).
    pub total_cost_ms: f64,
}

/// One operator of an explained plan.
#[derive(Clone, Debug, Serialize)]
pub struct ExplainedOperator {
    /// The plan node.
    pub node: usize,
    /// `Kind "name"`.
    pub operator: String,
    /// What it reads or writes (file, cluster alias and topics, ...).
    pub detail: Option<String>,
    /// The nodes it reads.
    pub inputs: Vec<usize>,
    /// The chosen platform.
    pub platform: &'static str,
    /// The chosen execution operator.
    pub execution_operator: &'static str,
    /// Its estimated output cardinality.
    pub estimate: Estimate,
    /// Its estimated cost (ms).
    pub cost_ms: f64,
}

/// A conversion of an explained plan.
#[derive(Clone, Debug, Serialize)]
pub struct ExplainedConversion {
    /// Its name.
    pub conversion: &'static str,
    /// The channel kind it reads.
    pub from: &'static str,
    /// The channel kind it produces.
    pub to: &'static str,
    /// The node whose output it converts.
    pub of_node: usize,
    /// Its estimated cost (ms).
    pub cost_ms: f64,
}

fn detail(operator: &Operator) -> Option<String> {
    Some(match operator {
        Operator::CollectionSource(source) => format!("{} records in memory", source.len()),
        Operator::TextFileSource(source) => source.path.display().to_string(),
        Operator::TextFileSink(sink) => sink.path.display().to_string(),
        Operator::KafkaTopicSource(source) => {
            let mut detail = format!(
                "cluster {}, topics {}, {}",
                source.cluster,
                source.topics.join(", "),
                source.decoder.format()
            );
            if source.table {
                detail.push_str(", as a table");
            }
            if let Some(eos) = &source.exactly_once {
                detail.push_str(&format!(", exactly-once job {:?}", eos.job));
            }
            detail
        }
        Operator::KafkaTopicSink(sink) => {
            let mut detail = format!(
                "cluster {}, topic {}, {}",
                sink.cluster,
                sink.topic,
                sink.encoder.format()
            );
            if sink.table {
                detail.push_str(", as a table");
            }
            match (&sink.exactly_once, &sink.transactional_id) {
                (Some(eos), _) => detail.push_str(&format!(
                    ", exactly-once job {:?} (positions in {})",
                    eos.job, eos.positions_topic
                )),
                (None, Some(_)) => detail.push_str(", transactional"),
                (None, None) => {}
            }
            detail
        }
        _ => return None,
    })
}

impl Explanation {
    /// Explains `plan` with the costs of `model`.
    pub fn new(plan: &ExecutionPlan, model: &dyn CostModel) -> Self {
        let nodes = plan.plan().nodes();
        let estimates = plan.estimates();
        let index = |id| {
            nodes
                .iter()
                .position(|n: &crate::plan::OperatorNode| n.id == id)
        };
        let mut operators = Vec::new();
        let mut conversions = Vec::new();
        let mut platforms = std::collections::BTreeSet::new();
        // The node whose records each channel carries.
        let mut carries = vec![None; plan.channels().len()];
        for task in plan.tasks() {
            match &task.kind {
                TaskKind::Operator { node, operator } => {
                    let Some(i) = index(*node) else { continue };
                    let inputs: Vec<Estimate> = nodes[i]
                        .inputs
                        .iter()
                        .filter_map(|input| index(input.node).map(|k| estimates[k]))
                        .collect();
                    let cost =
                        model.operator(operator.platform(), &nodes[i], &inputs, estimates[i]);
                    platforms.insert(operator.platform());
                    if let Some(output) = task.output {
                        carries[output.0] = Some(i);
                    }
                    operators.push(ExplainedOperator {
                        node: node.0,
                        operator: nodes[i].label().to_string(),
                        detail: detail(&nodes[i].operator),
                        inputs: nodes[i].inputs.iter().map(|input| input.node.0).collect(),
                        platform: operator.platform().name(),
                        execution_operator: operator.name(),
                        estimate: estimates[i],
                        cost_ms: cost,
                    });
                }
                TaskKind::Conversion(conversion) => {
                    let of = task.inputs.first().and_then(|c| carries[c.0]);
                    if let Some(output) = task.output {
                        carries[output.0] = of;
                    }
                    let records = of.map_or(0.0, |i| estimates[i].expected());
                    conversions.push(ExplainedConversion {
                        conversion: conversion.name,
                        from: conversion.from.name(),
                        to: conversion.to.name(),
                        of_node: of.map_or(0, |i| nodes[i].id.0),
                        cost_ms: model.conversion(conversion, records),
                    });
                }
            }
        }
        let startup: f64 = platforms.iter().map(|p| model.startup(*p)).sum();
        let total_cost_ms = operators.iter().map(|o| o.cost_ms).sum::<f64>()
            + conversions.iter().map(|c| c.cost_ms).sum::<f64>()
            + startup;
        let stages = plan
            .stages()
            .iter()
            .map(|s| s.platform.map_or("-", |p| p.name()).to_string())
            .collect();
        Explanation {
            operators,
            conversions,
            stages,
            stage_details: Vec::new(),
            total_cost_ms,
        }
    }

    /// The explanation as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for op in &self.operators {
            let inputs = if op.inputs.is_empty() {
                String::new()
            } else {
                format!(
                    " <- {}",
                    op.inputs
                        .iter()
                        .map(|i| format!("#{i}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            writeln!(
                f,
                "{}{inputs}  on {} as {}  estimate {}  cost {:.3} ms",
                op.operator, op.platform, op.execution_operator, op.estimate, op.cost_ms
            )?;
            if let Some(detail) = &op.detail {
                writeln!(f, "    {detail}")?;
            }
        }
        for conversion in &self.conversions {
            writeln!(
                f,
                "conversion {} of #{}: {} -> {}  cost {:.3} ms",
                conversion.conversion,
                conversion.of_node,
                conversion.from,
                conversion.to,
                conversion.cost_ms
            )?;
        }
        write!(
            f,
            "stages: {}; estimated total {:.3} ms",
            self.stages.join(" -> "),
            self.total_cost_ms
        )?;
        for (stage, detail) in &self.stage_details {
            write!(f, "\nstage {stage} ({}) {detail}", self.stages[*stage])?;
        }
        Ok(())
    }
}
