//! PlanBuilder: where plans start (sources) and are executed.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use wayang_core::operators::{CollectionSource, Operator, TextFileSource};
use wayang_core::plan::{NodeId, OperatorNode, OutputRef};
use wayang_core::{
    Data, Error, ExecutionPlan, Explanation, JobReport, Result, WayangContext, WayangPlan,
};

use crate::data_quanta::DataQuanta;

/// The plan under construction, shared by the builder and its data quanta.
#[derive(Default)]
pub(crate) struct Graph {
    pub(crate) nodes: Vec<OperatorNode>,
    pub(crate) sinks: Vec<NodeId>,
    /// Mistakes found while building (the fluent API cannot return them at
    /// once); the first is reported when the plan is built.
    pub(crate) errors: Vec<Error>,
}

pub(crate) type SharedGraph = Rc<RefCell<Graph>>;

impl Graph {
    pub(crate) fn add(&mut self, operator: Operator, inputs: Vec<NodeId>) -> NodeId {
        let id = NodeId(self.nodes.len());
        let inputs = inputs.into_iter().map(OutputRef::of).collect();
        self.nodes.push(OperatorNode::new(id, operator, inputs));
        if self.nodes[id.0].kind().is_sink() {
            self.sinks.push(id);
        }
        id
    }
}

/// Starts plans and runs them (Wayang's `JavaPlanBuilder`).
///
/// A builder collects every sink added through its data quanta; `execute`
/// runs them all as one job, each operator once, however many sinks read it.
#[derive(Clone, Default)]
pub struct PlanBuilder {
    graph: SharedGraph,
}

impl PlanBuilder {
    /// An empty plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// A source of in-memory records.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let out = plan.read_collection(vec![3, 1, 2]).collect();
    /// plan.execute(&ctx)?;
    /// assert_eq!(out.take()?, [3, 1, 2]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn read_collection<T: Data>(&self, records: impl IntoIterator<Item = T>) -> DataQuanta<T> {
        let records: Vec<T> = records.into_iter().collect();
        self.source(Operator::CollectionSource(CollectionSource::new(records)))
    }

    /// A source of the lines of a UTF-8 text file (without line endings).
    /// A missing file or a line that is not UTF-8 fails the job with the
    /// file and line number.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("in.txt");
    /// # std::fs::write(&path, "one\ntwo\n").unwrap();
    /// let plan = wayang_api::PlanBuilder::new();
    /// let lines = plan.read_text_file(&path).collect();
    /// plan.execute(&ctx)?;
    /// assert_eq!(lines.take()?, ["one", "two"]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn read_text_file(&self, path: impl Into<PathBuf>) -> DataQuanta<String> {
        self.source(Operator::TextFileSource(TextFileSource::new(path)))
    }

    /// A source of the lines of a UTF-8 text file with their 1-based line
    /// numbers, so that a parser can say where a bad line is.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("in.csv");
    /// # std::fs::write(&path, "id,name\n1,ann\n").unwrap();
    /// let plan = wayang_api::PlanBuilder::new();
    /// let lines = plan.read_text_file_numbered(&path).collect();
    /// plan.execute(&ctx)?;
    /// assert_eq!(lines.take()?, [(1, "id,name".to_string()), (2, "1,ann".to_string())]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn read_text_file_numbered(&self, path: impl Into<PathBuf>) -> DataQuanta<(u64, String)> {
        self.source(Operator::TextFileSource(TextFileSource::numbered(path)))
    }

    pub(crate) fn source<T: Data>(&self, operator: Operator) -> DataQuanta<T> {
        let node = self.graph.borrow_mut().add(operator, vec![]);
        DataQuanta::new(self.graph.clone(), node)
    }

    /// The plan as built so far, validated: every mistake made while building
    /// (such as combining data quanta of different builders, or a plan with no
    /// sink) is reported here.
    pub fn build(&self) -> Result<WayangPlan> {
        let mut graph = self.graph.borrow_mut();
        if !graph.errors.is_empty() {
            return Err(graph.errors.remove(0));
        }
        WayangPlan::new(graph.nodes.clone(), graph.sinks.clone())
    }

    /// Runs all sinks of the plan as one job on `ctx`'s platforms. On success
    /// every collector holds its records and every file is in place; on
    /// failure nothing was committed and the error names the operator.
    pub fn execute(&self, ctx: &WayangContext) -> Result<JobReport> {
        ctx.execute(&self.build()?)
    }

    /// How `ctx` would run the plan: execution operators, channels,
    /// conversions and stages.
    pub fn execution_plan(&self, ctx: &WayangContext) -> Result<ExecutionPlan> {
        ctx.execution_plan(&self.build()?)
    }

    /// Plans the job to run it: sources are resolved once (a Kafka source's
    /// offset ranges), so [`PreparedJob::explain`] shows exactly what
    /// [`PreparedJob::execute`] then reads.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let out = plan.read_collection(vec![1, 2, 3]).collect();
    /// let job = plan.prepare(&ctx)?;
    /// assert!(job.explain()?.to_string().contains("CollectionSource"));
    /// job.execute()?;
    /// assert_eq!(out.take()?, [1, 2, 3]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn prepare(&self, ctx: &WayangContext) -> Result<PreparedJob> {
        Ok(PreparedJob {
            plan: ctx.prepare(&self.build()?)?,
            ctx: ctx.clone(),
        })
    }

    /// The plan `ctx`'s optimizer chooses, with each operator's platform,
    /// estimated cardinality and cost, and the conversions inserted; as text
    /// (`to_string()`) or JSON (`to_json()`).
    pub fn explain(&self, ctx: &WayangContext) -> Result<Explanation> {
        ctx.explain(&self.build()?)
    }
}

/// A job planned to run ([`PlanBuilder::prepare`]): its sources resolved
/// once, for both its explanation and its execution.
pub struct PreparedJob {
    plan: ExecutionPlan,
    ctx: WayangContext,
}

impl PreparedJob {
    /// The chosen execution plan with estimates and costs: for a Kafka
    /// source, the estimate is exactly the offset ranges the job reads.
    pub fn explain(&self) -> Result<Explanation> {
        self.ctx.explain_plan(&self.plan)
    }

    /// Runs the job (see [`PlanBuilder::execute`]).
    pub fn execute(self) -> Result<JobReport> {
        self.ctx.run(self.plan)
    }
}
