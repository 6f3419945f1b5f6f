//! The context a job runs in: registered platforms and configuration.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::channels::{builtin_conversions, ChannelConversion};
use crate::config::Configuration;
use crate::error::Result;
use crate::job::{self, ExecutionPlan, JobReport};
use crate::optimizer::cardinality::estimate;
use crate::optimizer::{
    candidates, ConfiguredCostModel, CostBasedChooser, CostModel, Estimate, Explanation, Planning,
    PlatformChooser,
};
use crate::plan::{NodeId, WayangPlan};
use crate::platform::Platform;
use crate::plugin::{Plugin, Prepared, Purpose};

/// The platforms a job may use and its configuration. Cheap to clone.
///
/// ```text
/// let ctx = WayangContext::new().with(wayang_java::plugin());
/// ```
#[derive(Clone)]
pub struct WayangContext {
    plugins: Vec<Arc<dyn Plugin>>,
    config: Configuration,
    // `None`: the cost-based chooser with `cost_model`.
    chooser: Option<Arc<dyn PlatformChooser>>,
    // `None`: the configured cost model.
    cost_model: Option<Arc<dyn CostModel>>,
}

impl Default for WayangContext {
    fn default() -> Self {
        Self::new()
    }
}

impl WayangContext {
    /// A context with no platforms yet.
    pub fn new() -> Self {
        WayangContext {
            plugins: Vec::new(),
            config: Configuration::new(),
            chooser: None,
            cost_model: None,
        }
    }

    /// Registers a platform's plugin (replacing one of the same platform).
    pub fn with(mut self, plugin: impl Plugin + 'static) -> Self {
        let platform = plugin.platform();
        self.config
            .add_plugin_defaults(platform.name(), plugin.default_configuration());
        self.plugins.retain(|p| p.platform() != platform);
        self.plugins.push(Arc::new(plugin));
        self
    }

    /// Sets a configuration value (the code layer, which overrides all others).
    pub fn with_config(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.config.set(key, value);
        self
    }

    /// Loads a `.properties` configuration file (above plugin defaults, below
    /// values set in code).
    pub fn with_config_file(mut self, path: impl AsRef<Path>) -> Result<Self> {
        self.config.load_file(path)?;
        Ok(self)
    }

    /// Replaces the strategy that picks a platform per operator (default:
    /// the cost-based optimizer).
    pub fn with_chooser(mut self, chooser: impl PlatformChooser + 'static) -> Self {
        self.chooser = Some(Arc::new(chooser));
        self
    }

    /// Replaces the cost model of the cost-based optimizer (default: the
    /// configured one, see [`ConfiguredCostModel`]).
    pub fn with_cost_model(mut self, model: impl CostModel + 'static) -> Self {
        self.cost_model = Some(Arc::new(model));
        self
    }

    /// The cost model in use; a malformed cost parameter in the
    /// configuration is an error.
    pub fn cost_model(&self) -> Result<Arc<dyn CostModel>> {
        match &self.cost_model {
            Some(model) => Ok(model.clone()),
            None => Ok(Arc::new(ConfiguredCostModel::new(self.config.clone())?)),
        }
    }

    /// The `wayang.*` keys of the configuration that nothing registered
    /// reads: a mistyped key would otherwise be ignored without a word.
    /// Planning logs a warning for each.
    pub fn unknown_configuration_keys(&self) -> Vec<String> {
        let platforms = self.platforms();
        let mut known: Vec<&str> = self
            .plugins
            .iter()
            .flat_map(|p| p.configuration_keys())
            .collect();
        known.extend(
            self.plugins
                .iter()
                .flat_map(|p| p.preparers())
                .flat_map(|p| p.configuration_keys().iter().copied()),
        );
        known.push(crate::optimizer::calibration::CORES_KEY);
        self.config
            .keys()
            .into_iter()
            .filter(|key| key.starts_with("wayang."))
            .filter(|key| {
                !known.contains(key) && !crate::optimizer::cost::is_cost_key(key, &platforms)
            })
            .map(str::to_string)
            .collect()
    }

    /// The cardinality estimate of every node of `plan` (looking at its
    /// sources, taking nothing).
    pub fn estimates(&self, plan: &WayangPlan) -> Result<Vec<Estimate>> {
        let prepared = self.prepare_sources(plan, Purpose::Explain)?;
        Ok(self.estimate_with(plan, &prepared))
    }

    fn estimate_with(&self, plan: &WayangPlan, prepared: &[Prepared]) -> Vec<Estimate> {
        let known: HashMap<NodeId, Estimate> = prepared
            .iter()
            .filter_map(|p| p.estimate.map(|e| (p.node, e)))
            .collect();
        estimate(plan, &|node| known.get(&node.id).copied())
    }

    /// Runs every distinct preparer of the registered plugins once.
    fn prepare_sources(&self, plan: &WayangPlan, purpose: Purpose) -> Result<Vec<Prepared>> {
        let mut seen = Vec::new();
        let mut all = Vec::new();
        for preparer in self.plugins.iter().flat_map(|p| p.preparers()) {
            if seen.contains(&preparer.name()) {
                continue;
            }
            seen.push(preparer.name());
            all.extend(preparer.prepare(plan, &self.config, purpose)?);
        }
        Ok(all)
    }

    /// The chosen execution plan with estimates and costs, as text
    /// (`Display`) or JSON (`to_json`).
    pub fn explain(&self, plan: &WayangPlan) -> Result<Explanation> {
        self.explain_plan(&self.execution_plan(plan)?)
    }

    /// The explanation of an execution plan made earlier (by
    /// [`WayangContext::prepare`]: what it shows is exactly what
    /// [`WayangContext::run`] then reads).
    pub fn explain_plan(&self, execution_plan: &ExecutionPlan) -> Result<Explanation> {
        let mut explanation = Explanation::new(execution_plan, self.cost_model()?.as_ref());
        for (index, stage) in execution_plan.stages().iter().enumerate() {
            let plugin = self
                .plugins
                .iter()
                .find(|p| Some(p.platform()) == stage.platform);
            if let Some(detail) =
                plugin.and_then(|p| p.describe_stage(&self.config, execution_plan, index))
            {
                explanation.stage_details.push((index, detail));
            }
        }
        Ok(explanation)
    }

    /// The configuration.
    pub fn configuration(&self) -> &Configuration {
        &self.config
    }

    /// The registered platforms, in registration order.
    pub fn platforms(&self) -> Vec<Platform> {
        self.plugins.iter().map(|p| p.platform()).collect()
    }

    /// Plans a job without running it: the chosen execution operators, the
    /// channels and conversions between them, and the stages. Sources are
    /// looked at, not taken: the result can be shown, not run.
    pub fn execution_plan(&self, plan: &WayangPlan) -> Result<ExecutionPlan> {
        self.plan_for(plan, Purpose::Explain)
    }

    /// Plans a job to run it with [`WayangContext::run`]: sources are
    /// resolved once (a Kafka source's offset ranges), so what
    /// [`WayangContext::explain_plan`] shows is exactly what the job reads.
    pub fn prepare(&self, plan: &WayangPlan) -> Result<ExecutionPlan> {
        self.plan_for(plan, Purpose::Execute)
    }

    fn plan_for(&self, plan: &WayangPlan, purpose: Purpose) -> Result<ExecutionPlan> {
        for key in self.unknown_configuration_keys() {
            tracing::warn!(
                key,
                "configuration key read by no registered platform or connector (a typo?)"
            );
        }
        let model = self.cost_model()?;
        let options = candidates(plan, &self.plugins, &self.config)?;
        let prepared = self.prepare_sources(plan, purpose)?;
        let estimates = self.estimate_with(plan, &prepared);
        let conversions = self.conversions();
        let planning = Planning {
            conversions: &conversions,
            estimates: &estimates,
        };
        let picks = match &self.chooser {
            Some(chooser) => chooser.choose(plan, &options, &planning)?,
            None => CostBasedChooser::new(model).choose(plan, &options, &planning)?,
        };
        let operators = options
            .into_iter()
            .zip(picks)
            .map(|(mut options, pick)| options.swap_remove(pick).operator)
            .collect();
        let states = prepared.into_iter().map(|p| (p.node, p.state)).collect();
        Ok(ExecutionPlan::build(plan.clone(), operators, &conversions)?
            .with_estimates(estimates)
            .with_prepared(states, purpose))
    }

    /// Runs a plan as one job: all its sinks, each operator once. On success,
    /// every sink's output has been delivered; on failure, none has been
    /// committed, and the error names the operator and the cause.
    ///
    /// In a process started as a remote worker (see [`crate::remote::worker`])
    /// it runs only the part of the plan the worker was asked for.
    pub fn execute(&self, plan: &WayangPlan) -> Result<JobReport> {
        if let Some(request) = crate::remote::worker::request() {
            return crate::remote::worker::serve(&self.config, plan, request);
        }
        self.run(self.prepare(plan)?)
    }

    /// Runs a plan made by [`WayangContext::prepare`] (once: what it
    /// prepared, it consumes).
    pub fn run(&self, execution_plan: ExecutionPlan) -> Result<JobReport> {
        if execution_plan.purpose() != Purpose::Execute {
            return Err(crate::Error::plan(
                "this execution plan was made to be shown (execution_plan or explain); \
                 make one to run with WayangContext::prepare",
            ));
        }
        tracing::debug!(plan = %execution_plan, "executing");
        job::run(&execution_plan, &self.plugins, &self.config)
    }

    fn conversions(&self) -> Vec<ChannelConversion> {
        let mut all = builtin_conversions();
        all.extend(self.plugins.iter().flat_map(|p| p.conversions()));
        all
    }
}
