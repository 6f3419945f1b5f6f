//! Running a plan: choose execution operators, wire them with channels, run
//! the stages in dependency order, and commit sinks only if all succeeded.

mod execution_plan;
mod probe;
mod report;
mod task;

pub use execution_plan::{ChannelId, ChannelSlot, ExecutionPlan, Stage, Task, TaskKind};
pub use probe::{
    fail_record, panic_message, Instrumented, JobState, OperatorLabel, OperatorProbe, Tally,
};
pub use report::{JobReport, OperatorReport, StageReport};
pub use task::{Commit, CommitPhase, TaskContext};

use task::PendingCommit;

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::channels::Channel;
use crate::config::Configuration;
use crate::error::{Error, Result};
use crate::plugin::Plugin;

/// Runs an execution plan to completion.
pub(crate) fn run(
    plan: &ExecutionPlan,
    plugins: &[Arc<dyn Plugin>],
    config: &Configuration,
) -> Result<JobReport> {
    let started = Instant::now();
    let job = Arc::new(JobState::default());
    let probes: HashMap<_, _> = plan
        .plan
        .nodes()
        .iter()
        .map(|node| {
            (
                node.id,
                Arc::new(OperatorProbe::new(node.label(), job.clone())),
            )
        })
        .collect();
    let commits = Mutex::new(Vec::new());
    let mut jobrun = JobRun {
        plan,
        probes: &probes,
        commits: &commits,
        config,
        job: &job,
        store: ChannelStore::new(plan),
    };
    let mut executors: HashMap<&'static str, Box<dyn crate::platform::Executor>> = HashMap::new();
    let mut stage_reports = Vec::with_capacity(plan.stages.len());

    for stage in &plan.stages {
        let stage_started = Instant::now();
        match stage.platform {
            Some(platform) => {
                if !executors.contains_key(platform.name()) {
                    let plugin = plugins
                        .iter()
                        .find(|p| p.platform() == platform)
                        .ok_or_else(|| {
                            Error::internal(format!("no plugin for platform {platform}"))
                        })?;
                    executors.insert(platform.name(), plugin.create_executor(config)?);
                }
                let executor = executors
                    .get_mut(platform.name())
                    .ok_or_else(|| Error::internal("executor vanished"))?;
                let state = executor.state();
                let mut stage_run = StageRun {
                    stage,
                    state: state.as_ref(),
                    job: &mut jobrun,
                };
                executor.execute_stage(&mut stage_run)?;
            }
            None => StageRun {
                stage,
                state: &(),
                job: &mut jobrun,
            }
            .run_here()?,
        }
        stage_reports.push(StageReport {
            platform: stage.platform.map(|p| p.name()),
            tasks: stage.tasks.iter().map(|&i| plan.tasks[i].name()).collect(),
            elapsed: stage_started.elapsed(),
        });
    }

    if let Some(error) = job.take_error() {
        return Err(error);
    }
    let commits = std::mem::take(&mut *commits.lock().unwrap_or_else(PoisonError::into_inner));
    commit_all(commits)?;
    Ok(JobReport::new(
        plan,
        &probes,
        stage_reports,
        started.elapsed(),
    ))
}

/// What every stage of a running job shares: the plan, the operators'
/// probes, the pending commits and the channels between tasks.
struct JobRun<'a> {
    plan: &'a ExecutionPlan,
    probes: &'a HashMap<crate::plan::NodeId, Arc<OperatorProbe>>,
    commits: &'a Mutex<Vec<PendingCommit>>,
    config: &'a Configuration,
    job: &'a Arc<JobState>,
    store: ChannelStore,
}

/// One stage of a running job, handed to its platform's
/// [`crate::platform::Executor`]. An in-process platform runs it here
/// ([`StageRun::run_here`], inside whatever the tasks need: a thread pool);
/// a remote platform reads the stage's tasks and plan nodes, takes the
/// channels that enter the stage, runs the work elsewhere, and puts the
/// channels that leave it, running on the driver only the tasks that must
/// run there ([`StageRun::run_task`]: collecting sinks, say).
pub struct StageRun<'s, 'j> {
    stage: &'s Stage,
    state: &'s (dyn std::any::Any + Send + Sync),
    job: &'s mut JobRun<'j>,
}

impl StageRun<'_, '_> {
    /// The stage.
    pub fn stage(&self) -> &Stage {
        self.stage
    }

    /// The execution plan the stage belongs to.
    pub fn plan(&self) -> &ExecutionPlan {
        self.job.plan
    }

    /// The job's configuration.
    pub fn config(&self) -> &Configuration {
        self.job.config
    }

    /// Runs every task of the stage in this process, in order.
    pub fn run_here(&mut self) -> Result<()> {
        for &index in &self.stage.tasks {
            self.run_task(index)?;
        }
        Ok(())
    }

    /// Takes a channel that enters the stage (written by an earlier stage).
    pub fn take(&mut self, channel: ChannelId) -> Result<Channel> {
        self.job.store.take(channel)
    }

    /// Puts a channel that this stage writes.
    pub fn put(&mut self, channel: ChannelId, data: Channel) {
        self.job.store.put(channel, data);
    }

    /// The probe of a plan node (records in and out, failures), for
    /// platforms that measure remotely what in-process tasks measure here.
    pub fn probe(&self, node: crate::plan::NodeId) -> Option<&Arc<OperatorProbe>> {
        self.job.probes.get(&node)
    }

    /// Runs `work` with the context an operator task would run with, for a
    /// platform that does the task's work elsewhere but its bookkeeping here
    /// (a source read by remote tasks resolves its ranges and registers its
    /// offset commit on the driver). The task's output is the platform's to
    /// [`StageRun::put`].
    pub fn with_task_context<R>(
        &mut self,
        index: usize,
        work: impl FnOnce(&TaskContext<'_>) -> Result<R>,
    ) -> Result<R> {
        let job = &mut *self.job;
        let plan = job.plan;
        let TaskKind::Operator { node, .. } = &plan.tasks[index].kind else {
            return Err(Error::internal("a task context for a conversion"));
        };
        let probe = job.probes[node].clone();
        let ctx = TaskContext {
            probe: probe.clone(),
            config: job.config,
            output_type: plan.plan.node(*node).and_then(|n| n.operator.output_type()),
            commits: job.commits,
            prepared: plan.prepared.get(node),
            executor_state: self.state,
        };
        probe.guard(|| work(&ctx)).unwrap_or_else(|| {
            Err(job
                .job
                .take_error()
                .unwrap_or_else(|| Error::internal("panic not recorded")))
        })
    }

    /// Runs one task of the plan here: takes its input channels, executes
    /// it, and puts its output.
    pub fn run_task(&mut self, index: usize) -> Result<()> {
        let job = &mut *self.job;
        let (plan, config, state) = (job.plan, job.config, self.state);
        let task = &plan.tasks[index];
        let inputs = task
            .inputs
            .iter()
            .map(|&channel| job.store.take(channel))
            .collect::<Result<Vec<_>>>()?;
        let output = match &task.kind {
            TaskKind::Operator { node, operator } => {
                let probe = job.probes[node].clone();
                let ctx = TaskContext {
                    probe: probe.clone(),
                    config,
                    output_type: plan.plan.node(*node).and_then(|n| n.operator.output_type()),
                    commits: job.commits,
                    prepared: plan.prepared.get(node),
                    executor_state: state,
                };
                tracing::debug!(operator = operator.name(), node = %probe.label(), "executing");
                probe
                    .guard(|| operator.execute(inputs, &ctx))
                    .unwrap_or_else(|| {
                        Err(job
                            .job
                            .take_error()
                            .unwrap_or_else(|| Error::internal("panic not recorded")))
                    })?
            }
            TaskKind::Conversion(conversion) => {
                let mut inputs = inputs;
                let input = inputs
                    .pop()
                    .ok_or_else(|| Error::internal("conversion without input"))?;
                match catch_unwind(AssertUnwindSafe(|| conversion.apply(input, config))) {
                    Ok(result) => Some(result?),
                    Err(payload) => {
                        return Err(Error::internal(format!(
                            "conversion {} panicked: {}",
                            conversion.name,
                            panic_message(payload.as_ref())
                        )))
                    }
                }
            }
        };
        if job.job.has_failed() {
            return Err(job
                .job
                .take_error()
                .unwrap_or_else(|| Error::internal("failure not recorded")));
        }
        match (task.output, output) {
            (Some(channel), Some(data)) => job.store.put(channel, data),
            (None, None) => {}
            (expected, _) => {
                return Err(Error::internal(format!(
                    "{} produced {} output but {} was expected",
                    task.name(),
                    if expected.is_some() { "no" } else { "an" },
                    if expected.is_some() { "one" } else { "none" }
                )))
            }
        }
        Ok(())
    }
}

/// The job's two-phase commit: prepare every commit (in phase order), and
/// only if all prepared, commit them one after the other. A failure while
/// preparing aborts all: nothing is visible. A failure while committing
/// aborts the rest; if earlier commits had already made their effects
/// visible, the error says which ([`Error::PartialCommit`]).
fn commit_all(mut commits: Vec<PendingCommit>) -> Result<()> {
    // Stable: within a phase, commits keep their registration order.
    commits.sort_by_key(|pending| pending.phase);
    for index in 0..commits.len() {
        let pending = &mut commits[index];
        tracing::debug!(operator = %pending.label, phase = ?pending.phase, "preparing the commit");
        if let Err(error) = pending.commit.prepare() {
            for pending in commits {
                pending.commit.abort();
            }
            return Err(error);
        }
    }
    let mut committed = Vec::new();
    let mut commits = commits.into_iter();
    while let Some(pending) = commits.next() {
        tracing::debug!(operator = %pending.label, phase = ?pending.phase, "committing");
        if let Err(cause) = pending.commit.commit() {
            let not_committed: Vec<String> = commits
                .map(|rest| {
                    let label = rest.label.to_string();
                    rest.commit.abort();
                    label
                })
                .collect();
            if committed.is_empty() {
                return Err(cause);
            }
            return Err(Error::PartialCommit {
                failed: pending.label.to_string(),
                committed,
                not_committed,
                cause: Box::new(cause),
            });
        }
        committed.push(pending.label.to_string());
    }
    Ok(())
}

/// The channels of a running job: each is taken by its last reader and
/// duplicated for the others.
struct ChannelStore {
    data: Vec<Option<Channel>>,
    readers_left: Vec<usize>,
}

impl ChannelStore {
    fn new(plan: &ExecutionPlan) -> Self {
        ChannelStore {
            data: plan.channels.iter().map(|_| None).collect(),
            readers_left: plan.channels.iter().map(|c| c.readers).collect(),
        }
    }

    fn put(&mut self, id: ChannelId, channel: Channel) {
        self.data[id.0] = Some(channel);
    }

    fn take(&mut self, id: ChannelId) -> Result<Channel> {
        let left = &mut self.readers_left[id.0];
        *left = left.saturating_sub(1);
        let slot = &mut self.data[id.0];
        let channel = if *left == 0 {
            slot.take()
        } else {
            slot.as_ref().and_then(Channel::duplicate)
        };
        channel
            .ok_or_else(|| Error::internal(format!("channel c{} is missing or not reusable", id.0)))
    }
}
