//! A stage as a remote engine runs it: relations of encoded records, built
//! from the stage's plan nodes. Narrow operators fuse into one segment per
//! task; a wide operator becomes its map side, an exchange by bucket and its
//! reduce side. The same tree renders as Spark SQL (script transformations,
//! `DISTRIBUTE BY`) and runs in the in-process simulation the tests use.

use std::collections::HashSet;

use wayang_core::operators::Operator;
use wayang_core::plan::{NodeId, WayangPlan};
use wayang_core::remote::segment::{can_read, can_run, can_write, is_wide, merges_in_one_task};
use wayang_core::remote::{require_codec, Segment, Side, Step};
use wayang_core::{Error, Result};

/// A relation of encoded records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Relation {
    /// The records of a node computed outside the remote engine (an earlier
    /// stage's output, or a source the driver reads), sent by the driver; or,
    /// for a source the tasks read, the lines naming what they read.
    Input(NodeId),
    /// A segment run by every task over its partition.
    Transform {
        /// What the tasks read.
        input: Box<Relation>,
        /// What they run.
        segment: Segment,
    },
    /// The exchange of a wide operator: map-side records redistributed by
    /// bucket (into one task where `single`), tagged by side when `tagged`.
    Exchange {
        /// The map sides (one, or left and right).
        inputs: Vec<Relation>,
        /// Everything goes to one task.
        single: bool,
        /// The reduce side reads two inputs.
        tagged: bool,
    },
    /// All records of several relations.
    Union(Vec<Relation>),
}

/// Builds the relation computing `node`'s output, where `remote` holds the
/// nodes the engine runs (the others are inputs) and `buckets` is the
/// exchanges' width.
pub fn relation_of(
    plan: &WayangPlan,
    node: NodeId,
    remote: &HashSet<NodeId>,
    buckets: usize,
) -> Result<Relation> {
    let plan_node = plan
        .node(node)
        .ok_or_else(|| Error::internal(format!("no plan node {}", node.0)))?;
    if !remote.contains(&node) {
        return Ok(Relation::Input(node));
    }
    let label = plan_node.label().to_string();
    let operator = &plan_node.operator;
    for data_type in operator
        .input_types()
        .iter()
        .chain(operator.output_type().iter())
    {
        require_codec(data_type, &label)?;
    }
    let input = |slot: usize| relation_of(plan, plan_node.inputs[slot].node, remote, buckets);
    // A relation read by several consumers is not fused into either.
    let shared = |slot: usize| plan.consumers(plan_node.inputs[slot].node).len() > 1;
    match operator {
        Operator::Union(_) => Ok(Relation::Union(vec![input(0)?, input(1)?])),
        // The driver's input is the lines naming the ranges; the tasks read.
        operator if can_read(operator) => Ok(Relation::Transform {
            input: Box::new(Relation::Input(node)),
            segment: Segment {
                buckets,
                steps: vec![Step::Read(node)],
            },
        }),
        // The tasks write their records and report what was delivered.
        operator if can_write(operator) => {
            Ok(extend(input(0)?, Step::Write(node), shared(0), buckets))
        }
        operator if !can_run(operator) => Err(Error::Unsupported {
            operator: label,
            reason: "it cannot run on a Spark cluster; keep it in process".into(),
        }),
        operator if !is_wide(operator) => {
            Ok(extend(input(0)?, Step::Apply(node), shared(0), buckets))
        }
        operator => {
            let sides: &[Side] = if operator.arity() == 2 {
                &[Side::Left, Side::Right]
            } else {
                &[Side::Left]
            };
            let inputs = sides
                .iter()
                .enumerate()
                .map(|(slot, &side)| {
                    Ok(extend(
                        input(slot)?,
                        Step::Combine(node, side),
                        shared(slot),
                        buckets,
                    ))
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Relation::Transform {
                input: Box::new(Relation::Exchange {
                    inputs,
                    single: merges_in_one_task(operator),
                    tagged: sides.len() == 2,
                }),
                segment: Segment {
                    buckets,
                    steps: vec![Step::Merge(node)],
                },
            })
        }
    }
}

/// Appends a step to a relation's last segment where it can fuse, or starts
/// a new segment over it.
fn extend(relation: Relation, step: Step, shared: bool, buckets: usize) -> Relation {
    match relation {
        Relation::Transform { input, mut segment }
            if !shared && !matches!(segment.steps.last(), Some(Step::Combine(..))) =>
        {
            segment.steps.push(step);
            Relation::Transform { input, segment }
        }
        other => Relation::Transform {
            input: Box::new(other),
            segment: Segment {
                buckets,
                steps: vec![step],
            },
        },
    }
}

/// Every driver input a relation reads.
pub fn inputs(relation: &Relation, out: &mut Vec<NodeId>) {
    match relation {
        Relation::Input(node) => {
            if !out.contains(node) {
                out.push(*node);
            }
        }
        Relation::Transform { input, .. } => inputs(input, out),
        Relation::Exchange { inputs: all, .. } | Relation::Union(all) => {
            for relation in all {
                inputs(relation, out);
            }
        }
    }
}
