//! The checks a plan must pass before it is planned or executed.

use super::{NodeId, OperatorNode};
use crate::error::{Error, Result};

/// Checks numbering, wiring, arity and record types.
pub(super) fn validate(nodes: &[OperatorNode], sinks: &[NodeId]) -> Result<()> {
    if sinks.is_empty() {
        return Err(Error::plan(
            "the plan has no sink: add collect, for_each or a write_* call, then execute",
        ));
    }
    for (index, node) in nodes.iter().enumerate() {
        if node.id.0 != index {
            return Err(Error::internal(format!(
                "node {} is stored at position {index}",
                node.id.0
            )));
        }
        let label = node.label();
        let expected = node.operator.input_types();
        if node.inputs.len() != expected.len() {
            return Err(Error::plan(format!(
                "{label} has {} inputs but takes {}",
                node.inputs.len(),
                expected.len()
            )));
        }
        for (slot, (input, want)) in node.inputs.iter().zip(&expected).enumerate() {
            let Some(producer) = nodes.get(input.node.0).filter(|_| input.node < node.id) else {
                return Err(Error::plan(format!(
                    "{label} input {slot} refers to node #{}, which is not an earlier node of this plan \
                     (data quanta from another PlanBuilder?)",
                    input.node.0
                )));
            };
            match producer.operator.output_type() {
                None => {
                    return Err(Error::plan(format!(
                        "{label} input {slot} reads from sink {}, which has no output",
                        producer.label()
                    )))
                }
                Some(found) if found != *want => {
                    return Err(Error::plan(format!(
                        "{label} input {slot} expects records of type {} but {} produces {}",
                        want.name(),
                        producer.label(),
                        found.name()
                    )))
                }
                Some(_) => {}
            }
        }
    }
    for sink in sinks {
        match nodes.get(sink.0) {
            Some(node) if node.kind().is_sink() => {}
            Some(node) => {
                return Err(Error::plan(format!(
                    "{} is listed as a sink but is not one",
                    node.label()
                )))
            }
            None => return Err(Error::plan(format!("sink #{} does not exist", sink.0))),
        }
    }
    Ok(())
}

/// Marks the nodes some sink depends on.
pub(super) fn needed_by(nodes: &[OperatorNode], sinks: &[NodeId]) -> Vec<bool> {
    let mut needed = vec![false; nodes.len()];
    for sink in sinks {
        needed[sink.0] = true;
    }
    // Inputs always point backwards, so one backward sweep reaches them all.
    for node in nodes.iter().rev() {
        if needed[node.id.0] {
            for input in &node.inputs {
                needed[input.node.0] = true;
            }
        }
    }
    needed
}
