//! The context a job runs in: registered platforms and configuration.

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
use crate::plan::WayangPlan;
use crate::platform::Platform;
use crate::plugin::Plugin;

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

    /// The cost model in use.
    pub fn cost_model(&self) -> Arc<dyn CostModel> {
        self.cost_model
            .clone()
            .unwrap_or_else(|| Arc::new(ConfiguredCostModel::new(self.config.clone())))
    }

    /// The cardinality estimate of every node of `plan`.
    pub fn estimates(&self, plan: &WayangPlan) -> Result<Vec<Estimate>> {
        let mut from_platforms = std::collections::HashMap::new();
        for node in plan.nodes().iter().filter(|n| n.inputs.is_empty()) {
            for plugin in &self.plugins {
                if let Some(found) = plugin.estimate_source(node, &self.config)? {
                    from_platforms.insert(node.id, found);
                    break;
                }
            }
        }
        Ok(estimate(plan, &|node| {
            from_platforms.get(&node.id).copied()
        }))
    }

    /// The chosen execution plan with estimates and costs, as text
    /// (`Display`) or JSON (`to_json`).
    pub fn explain(&self, plan: &WayangPlan) -> Result<Explanation> {
        let execution_plan = self.execution_plan(plan)?;
        Ok(Explanation::new(
            &execution_plan,
            self.cost_model().as_ref(),
        ))
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
    /// channels and conversions between them, and the stages.
    pub fn execution_plan(&self, plan: &WayangPlan) -> Result<ExecutionPlan> {
        let options = candidates(plan, &self.plugins)?;
        let estimates = self.estimates(plan)?;
        let conversions = self.conversions();
        let planning = Planning {
            conversions: &conversions,
            estimates: &estimates,
        };
        let picks = match &self.chooser {
            Some(chooser) => chooser.choose(plan, &options, &planning)?,
            None => CostBasedChooser::new(self.cost_model()).choose(plan, &options, &planning)?,
        };
        let operators = options
            .into_iter()
            .zip(picks)
            .map(|(mut options, pick)| options.swap_remove(pick).operator)
            .collect();
        Ok(ExecutionPlan::build(plan.clone(), operators, &conversions)?.with_estimates(estimates))
    }

    /// Runs a plan as one job: all its sinks, each operator once. On success,
    /// every sink's output has been delivered; on failure, none has been
    /// committed, and the error names the operator and the cause.
    pub fn execute(&self, plan: &WayangPlan) -> Result<JobReport> {
        let execution_plan = self.execution_plan(plan)?;
        tracing::debug!(plan = %execution_plan, "executing");
        job::run(&execution_plan, &self.plugins, &self.config)
    }

    fn conversions(&self) -> Vec<ChannelConversion> {
        let mut all = builtin_conversions();
        all.extend(self.plugins.iter().flat_map(|p| p.conversions()));
        all
    }
}
