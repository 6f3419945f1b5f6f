//! DataQuanta: a typed handle on the output of one operator of a plan.

mod binary;
mod keyed;
mod sinks;
mod unary;

pub use sinks::Collector;

use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;

use wayang_core::operators::Operator;
use wayang_core::plan::NodeId;
use wayang_core::{Data, Error};

use crate::plan_builder::SharedGraph;

/// The records produced by one operator of a plan, typed as `T`.
///
/// Methods add an operator reading these records and return its output; a
/// data quanta may be read by any number of operators (the framework shares
/// the records instead of recomputing them). Settings (`named`, `on`,
/// `with_selectivity`, `with_udf_cost`) apply to the operator that produced
/// this data quanta.
pub struct DataQuanta<T> {
    graph: SharedGraph,
    node: NodeId,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for DataQuanta<T> {
    fn clone(&self) -> Self {
        DataQuanta {
            graph: self.graph.clone(),
            node: self.node,
            _type: PhantomData,
        }
    }
}

impl<T> fmt::Debug for DataQuanta<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let graph = self.graph.borrow();
        match graph.nodes.get(self.node.0) {
            Some(node) => write!(f, "DataQuanta({})", node.label()),
            None => write!(f, "DataQuanta(#{})", self.node.0),
        }
    }
}

impl<T: Data> DataQuanta<T> {
    pub(crate) fn new(graph: SharedGraph, node: NodeId) -> Self {
        DataQuanta {
            graph,
            node,
            _type: PhantomData,
        }
    }

    /// The producing node's number in the plan.
    pub fn node(&self) -> NodeId {
        self.node
    }

    /// Names the producing operator; the name appears in errors, the job
    /// report and execution plans.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let _ = plan.read_collection(vec![1, 2]).map(|x| x + 1).named("increment").collect();
    /// let report = plan.execute(&ctx)?;
    /// assert_eq!(report.operator("increment").unwrap().records_out, 2);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn named(self, name: impl Into<String>) -> Self {
        self.update(|node| node.name = Some(name.into()));
        self
    }

    /// Pins the producing operator to a platform, by name (`"java"`,
    /// `"spark"`); the optimizer will not move it. Executing fails with a
    /// clear error if that platform is not registered.
    pub fn on(self, platform: impl AsRef<str>) -> Self {
        let platform = platform.as_ref().to_string();
        self.update(|node| node.platform = Some(platform));
        self
    }

    /// Tells the optimizer how many output records the producing operator
    /// emits per input record (e.g. `0.01` for a selective filter).
    pub fn with_selectivity(self, selectivity: f64) -> Self {
        self.update(|node| node.hints.selectivity = Some(selectivity));
        self
    }

    /// Tells the optimizer how expensive the producing operator's function is
    /// per record, relative to a trivial one (`1.0`).
    pub fn with_udf_cost(self, cost: f64) -> Self {
        self.update(|node| node.hints.udf_cost = Some(cost));
        self
    }

    fn update(&self, change: impl FnOnce(&mut wayang_core::plan::OperatorNode)) {
        if let Some(node) = self.graph.borrow_mut().nodes.get_mut(self.node.0) {
            change(node);
        }
    }

    /// Adds an operator reading this data quanta (and `others`).
    pub(crate) fn then<U: Data>(&self, operator: Operator, others: &[NodeId]) -> DataQuanta<U> {
        let mut inputs = vec![self.node];
        inputs.extend_from_slice(others);
        let node = self.graph.borrow_mut().add(operator, inputs);
        DataQuanta::new(self.graph.clone(), node)
    }

    /// Records a mistake found while building, reported by `build`/`execute`.
    pub(crate) fn plan_error(&self, message: String) {
        self.graph.borrow_mut().errors.push(Error::plan(message));
    }

    /// The node of `other` if it belongs to the same plan; otherwise records
    /// a plan error (reported by `build`/`execute`) and returns a node that
    /// validation rejects.
    fn same_plan<U>(&self, other: &DataQuanta<U>, operation: &str) -> NodeId {
        if Rc::ptr_eq(&self.graph, &other.graph) {
            other.node
        } else {
            self.graph.borrow_mut().errors.push(Error::plan(format!(
                "{operation} combines data quanta of two different PlanBuilders; \
                 build both inputs from the same PlanBuilder"
            )));
            NodeId(usize::MAX)
        }
    }
}
