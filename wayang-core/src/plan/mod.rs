//! The plan: a graph of abstract operators, defined by its sinks.
//!
//! Nodes are numbered in the order they were added, and every input refers to
//! an earlier node, so a plan is acyclic by construction and its node order is
//! a valid execution order. Only nodes a sink depends on belong to the plan.

mod display;
mod validate;

use std::fmt;

use crate::operators::{Operator, OperatorKind};

/// The number of a node in its plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub usize);

/// One output slot of a node: what an input slot is connected to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OutputRef {
    /// The producing node.
    pub node: NodeId,
    /// Its output slot (operators have one output: slot 0).
    pub slot: usize,
}

impl OutputRef {
    /// Slot 0 of `node`.
    pub fn of(node: NodeId) -> Self {
        OutputRef { node, slot: 0 }
    }
}

/// Hints about an operator's user functions, for the optimizer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OperatorHints {
    /// Output records per input record (e.g. 0.1 for a selective filter).
    pub selectivity: Option<f64>,
    /// Relative cost of the user function per record (1.0 = a trivial function).
    pub udf_cost: Option<f64>,
}

/// An operator in a plan, with its connections and settings.
#[derive(Clone, Debug)]
pub struct OperatorNode {
    /// The node's number.
    pub id: NodeId,
    /// What it computes.
    pub operator: Operator,
    /// Its input slots, in order.
    pub inputs: Vec<OutputRef>,
    /// The name given with `named(..)`, shown in errors, reports and explain.
    pub name: Option<String>,
    /// The platform it must run on (`on(..)`), if pinned.
    pub platform: Option<String>,
    /// Hints for the optimizer.
    pub hints: OperatorHints,
}

impl OperatorNode {
    /// A node with no name, pin or hints.
    pub fn new(id: NodeId, operator: Operator, inputs: Vec<OutputRef>) -> Self {
        OperatorNode {
            id,
            operator,
            inputs,
            name: None,
            platform: None,
            hints: OperatorHints::default(),
        }
    }

    /// The operator's kind.
    pub fn kind(&self) -> OperatorKind {
        self.operator.kind()
    }

    /// How errors and reports name this node.
    pub fn label(&self) -> crate::job::OperatorLabel {
        crate::job::OperatorLabel {
            kind: self.kind(),
            name: self.name.clone(),
            node: self.id,
        }
    }
}

/// A validated plan: nodes in execution order, and the sinks that define it.
#[derive(Clone)]
pub struct WayangPlan {
    nodes: Vec<OperatorNode>,
    sinks: Vec<NodeId>,
}

impl WayangPlan {
    /// Builds a plan from nodes (numbered `0..n` in order) and the sinks that
    /// define it; checks it and drops nodes no sink depends on.
    pub fn new(nodes: Vec<OperatorNode>, sinks: Vec<NodeId>) -> crate::Result<Self> {
        validate::validate(&nodes, &sinks)?;
        let needed = validate::needed_by(&nodes, &sinks);
        let nodes = nodes.into_iter().filter(|n| needed[n.id.0]).collect();
        Ok(WayangPlan { nodes, sinks })
    }

    /// The nodes, in an order where every node comes after its inputs.
    pub fn nodes(&self) -> &[OperatorNode] {
        &self.nodes
    }

    /// The node with this id.
    pub fn node(&self, id: NodeId) -> Option<&OperatorNode> {
        self.nodes
            .binary_search_by_key(&id, |n| n.id)
            .ok()
            .map(|i| &self.nodes[i])
    }

    /// A fingerprint of the plan's shape: every node's number, kind, name,
    /// pin, inputs and record types. Two processes of the same program that
    /// built the same plan agree on it; a process whose plan differs (another
    /// build, a plan built non-deterministically) does not, and a remote
    /// worker refuses to run a part of it.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut hasher = foldhash::fast::FixedState::with_seed(0x706c_616e).build_hasher();
        for node in &self.nodes {
            node.id.0.hash(&mut hasher);
            node.kind().to_string().hash(&mut hasher);
            node.name.hash(&mut hasher);
            node.platform.hash(&mut hasher);
            for input in &node.inputs {
                input.node.0.hash(&mut hasher);
            }
            for data_type in node.operator.input_types() {
                data_type.name().hash(&mut hasher);
            }
            node.operator
                .output_type()
                .map(|t| t.name())
                .hash(&mut hasher);
        }
        for sink in &self.sinks {
            sink.0.hash(&mut hasher);
        }
        hasher.finish()
    }

    /// The sinks.
    pub fn sinks(&self) -> &[NodeId] {
        &self.sinks
    }

    /// The nodes that read `id`'s output, with the input slot they read it on.
    pub fn consumers(&self, id: NodeId) -> Vec<(NodeId, usize)> {
        self.nodes
            .iter()
            .flat_map(|n| {
                n.inputs
                    .iter()
                    .enumerate()
                    .filter(move |(_, input)| input.node == id)
                    .map(move |(slot, _)| (n.id, slot))
            })
            .collect()
    }
}

impl fmt::Debug for WayangPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
