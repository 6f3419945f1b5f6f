//! The execution plan: execution operators and channel conversions wired by
//! channels, grouped into single-platform stages.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::channels::{find_path, ChannelConversion, ChannelKind};
use crate::error::{Error, Result};
use crate::optimizer::Estimate;
use crate::plan::{NodeId, WayangPlan};
use crate::platform::{ExecutionOperator, Platform};
use crate::plugin::{PreparedState, Purpose};

/// The number of a channel in an execution plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChannelId(pub usize);

/// A channel of the execution plan: its kind and how many tasks read it.
#[derive(Clone, Debug)]
pub struct ChannelSlot {
    /// The kind of channel.
    pub kind: ChannelKind,
    /// How many tasks read it (more than one requires a reusable kind).
    pub readers: usize,
}

/// What a task does.
#[derive(Clone)]
pub enum TaskKind {
    /// Runs an execution operator for a plan node.
    Operator {
        /// The plan node.
        node: NodeId,
        /// The chosen execution operator.
        operator: Arc<dyn ExecutionOperator>,
    },
    /// Converts a channel into another kind.
    Conversion(ChannelConversion),
}

/// One step of the execution plan.
#[derive(Clone)]
pub struct Task {
    /// What it does.
    pub kind: TaskKind,
    /// The channels it reads, one per input slot.
    pub inputs: Vec<ChannelId>,
    /// The channel it writes (sinks: none).
    pub output: Option<ChannelId>,
    /// The platform it runs on; conversions run in whichever stage needs them.
    pub platform: Option<Platform>,
}

impl Task {
    /// The task's name (`JavaMapOperator`, `CollectStream`).
    pub fn name(&self) -> &'static str {
        match &self.kind {
            TaskKind::Operator { operator, .. } => operator.name(),
            TaskKind::Conversion(conversion) => conversion.name,
        }
    }
}

/// A run of consecutive tasks on one platform.
#[derive(Clone, Debug)]
pub struct Stage {
    /// The platform (`None` for a stage of conversions only).
    pub platform: Option<Platform>,
    /// Indices into [`ExecutionPlan::tasks`], in execution order.
    pub tasks: Vec<usize>,
}

/// A plan ready to run.
#[derive(Clone)]
pub struct ExecutionPlan {
    pub(crate) plan: WayangPlan,
    pub(crate) tasks: Vec<Task>,
    pub(crate) channels: Vec<ChannelSlot>,
    pub(crate) stages: Vec<Stage>,
    pub(crate) estimates: Vec<Estimate>,
    pub(crate) prepared: HashMap<NodeId, PreparedState>,
    pub(crate) purpose: Purpose,
}

impl ExecutionPlan {
    /// Wires the chosen execution operators (one per plan node, in plan
    /// order) with channels, inserting conversions where a consumer cannot
    /// read its producer's channel kind or where an output has several readers
    /// but is not reusable.
    pub fn build(
        plan: WayangPlan,
        operators: Vec<Arc<dyn ExecutionOperator>>,
        conversions: &[ChannelConversion],
    ) -> Result<Self> {
        let mut builder = Builder {
            tasks: Vec::new(),
            channels: Vec::new(),
            conversions,
        };
        let mut outputs: Vec<Option<ChannelId>> =
            vec![None; plan.nodes().last().map_or(0, |n| n.id.0 + 1)];
        for (node, operator) in plan.nodes().iter().zip(&operators) {
            let mut inputs = Vec::with_capacity(node.inputs.len());
            for (slot, input) in node.inputs.iter().enumerate() {
                let source = outputs[input.node.0].ok_or_else(|| {
                    Error::internal(format!(
                        "{} reads a node that produced no channel",
                        node.label()
                    ))
                })?;
                let accepted = operator.input_channels(slot);
                let channel = builder
                    .convert(source, |k| accepted.contains(&k))
                    .ok_or_else(|| Error::Unsupported {
                        operator: node.label().to_string(),
                        reason: format!(
                            "{} reads {:?} on input {slot} but its input is a {} channel and no \
                             registered conversion leads there",
                            operator.name(),
                            accepted,
                            builder.channels[source.0].kind
                        ),
                    })?;
                builder.channels[channel.0].readers += 1;
                inputs.push(channel);
            }
            let output = operator.output_channel().map(|kind| builder.channel(kind));
            builder.tasks.push(Task {
                kind: TaskKind::Operator {
                    node: node.id,
                    operator: operator.clone(),
                },
                inputs,
                output,
                platform: Some(operator.platform()),
            });
            if let Some(output) = output {
                let readers = plan.consumers(node.id).len();
                let shared = if readers > 1 && !builder.channels[output.0].kind.is_reusable() {
                    builder
                        .convert(output, |k| k.is_reusable())
                        .ok_or_else(|| Error::Unsupported {
                            operator: node.label().to_string(),
                            reason: format!(
                                "its output is read {readers} times but no conversion makes a {} \
                             channel reusable",
                                builder.channels[output.0].kind
                            ),
                        })?
                } else {
                    output
                };
                outputs[node.id.0] = Some(shared);
            }
        }
        let stages = stages_of(&builder.tasks);
        let (tasks, channels) = (builder.tasks, builder.channels);
        let estimates = vec![Estimate::new(0.0, f64::INFINITY, 0.0); plan.nodes().len()];
        Ok(ExecutionPlan {
            plan,
            tasks,
            channels,
            stages,
            estimates,
            prepared: HashMap::new(),
            purpose: Purpose::Explain,
        })
    }

    /// The tasks, in execution order.
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// The stages, in execution order.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// The channels.
    pub fn channels(&self) -> &[ChannelSlot] {
        &self.channels
    }

    /// The plan this was built from.
    pub fn plan(&self) -> &WayangPlan {
        &self.plan
    }

    /// The cardinality estimate of every node (indexed like `plan().nodes()`).
    pub fn estimates(&self) -> &[Estimate] {
        &self.estimates
    }

    /// Why the plan was prepared: an [`Purpose::Explain`] plan can be shown
    /// but not run (its sources were looked at, not taken).
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// Attaches what the job's preparers made (see
    /// [`crate::plugin::JobPreparer`]) and why.
    pub fn with_prepared(
        mut self,
        prepared: HashMap<NodeId, PreparedState>,
        purpose: Purpose,
    ) -> Self {
        self.prepared = prepared;
        self.purpose = purpose;
        self
    }

    /// Sets the estimates the plan was chosen with.
    pub fn with_estimates(mut self, estimates: Vec<Estimate>) -> Self {
        if estimates.len() == self.estimates.len() {
            self.estimates = estimates;
        }
        self
    }
}

struct Builder<'a> {
    tasks: Vec<Task>,
    channels: Vec<ChannelSlot>,
    conversions: &'a [ChannelConversion],
}

impl Builder<'_> {
    fn channel(&mut self, kind: ChannelKind) -> ChannelId {
        self.channels.push(ChannelSlot { kind, readers: 0 });
        ChannelId(self.channels.len() - 1)
    }

    /// Appends the conversions that turn `source` into an accepted kind and
    /// returns the channel to read (`source` itself if already accepted).
    /// Every task that reads a channel counts as one of its readers.
    fn convert(
        &mut self,
        source: ChannelId,
        accept: impl Fn(ChannelKind) -> bool,
    ) -> Option<ChannelId> {
        let path = find_path(self.conversions, self.channels[source.0].kind, accept)?;
        let mut current = source;
        for conversion in path {
            self.channels[current.0].readers += 1;
            let output = self.channel(conversion.to);
            let platform = conversion.platform;
            self.tasks.push(Task {
                kind: TaskKind::Conversion(conversion),
                inputs: vec![current],
                output: Some(output),
                platform,
            });
            current = output;
        }
        Some(current)
    }
}

/// Groups tasks into runs on one platform; a conversion joins the stage it
/// follows (or the next one, at the start).
fn stages_of(tasks: &[Task]) -> Vec<Stage> {
    let mut stages: Vec<Stage> = Vec::new();
    for (index, task) in tasks.iter().enumerate() {
        match (stages.last_mut(), task.platform) {
            (Some(stage), None) => stage.tasks.push(index),
            (Some(stage), Some(platform)) if stage.platform.is_none_or(|p| p == platform) => {
                stage.platform = Some(platform);
                stage.tasks.push(index);
            }
            (_, platform) => stages.push(Stage {
                platform,
                tasks: vec![index],
            }),
        }
    }
    stages
}

impl fmt::Display for ExecutionPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (number, stage) in self.stages.iter().enumerate() {
            let platform = stage.platform.map_or("-", |p| p.name());
            writeln!(f, "stage {number} on {platform}:")?;
            for &index in &stage.tasks {
                let task = &self.tasks[index];
                let inputs: Vec<String> = task.inputs.iter().map(|c| format!("c{}", c.0)).collect();
                let output = task
                    .output
                    .map(|c| format!(" -> c{} ({})", c.0, self.channels[c.0].kind))
                    .unwrap_or_default();
                match &task.kind {
                    TaskKind::Operator { node, .. } => {
                        let label = self
                            .plan
                            .node(*node)
                            .map(|n| n.label().to_string())
                            .unwrap_or_default();
                        writeln!(
                            f,
                            "  {} for {label} [{}]{output}",
                            task.name(),
                            inputs.join(", ")
                        )?;
                    }
                    TaskKind::Conversion(_) => {
                        writeln!(f, "  {} [{}]{output}", task.name(), inputs.join(", "))?;
                    }
                }
            }
        }
        Ok(())
    }
}
