//! Plugins: what a platform contributes to a context.

use std::any::Any;
use std::sync::Arc;

use crate::channels::ChannelConversion;
use crate::config::Configuration;
use crate::error::Result;
use crate::mapping::Mapping;
use crate::optimizer::Estimate;
use crate::plan::{NodeId, WayangPlan};
use crate::platform::{Executor, Platform};

/// A platform's contribution: its mappings, its channel conversions, its
/// configuration defaults and its executor. Registered with
/// `WayangContext::new().with(plugin)`.
pub trait Plugin: Send + Sync {
    /// The platform.
    fn platform(&self) -> Platform;

    /// Every mapping the platform supports (its one register).
    fn mappings(&self) -> Vec<Arc<dyn Mapping>>;

    /// Conversions between this platform's channel kinds and core's.
    fn conversions(&self) -> Vec<ChannelConversion> {
        Vec::new()
    }

    /// Defaults for the platform's configuration keys (the plugin layer).
    fn default_configuration(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// Every `wayang.*` configuration key the platform reads, so that a
    /// mistyped one can be reported (default: those it has defaults for;
    /// cost-model keys are known to core).
    fn configuration_keys(&self) -> Vec<&'static str> {
        self.default_configuration()
            .into_iter()
            .map(|(key, _)| key)
            .collect()
    }

    /// The connectors' preparers this platform brings (the Kafka one, for
    /// platforms that run Kafka operators). A context runs each preparer
    /// once per job, however many plugins bring it (by name).
    fn preparers(&self) -> Vec<Arc<dyn JobPreparer>> {
        Vec::new()
    }

    /// An executor for one job.
    fn create_executor(&self, config: &Configuration) -> Result<Box<dyn Executor>>;

    /// Why the platform cannot run `node` under `config`, where it cannot
    /// although it has a mapping for the node's kind (a remote engine that
    /// cannot receive the node's record types, say): the optimizer then does
    /// not choose the platform for it, and a node pinned to it is a plan
    /// error with this reason. `None`: no objection.
    fn refuses(&self, config: &Configuration, node: &crate::plan::OperatorNode) -> Option<String> {
        let _ = (config, node);
        None
    }

    /// How the platform will run stage `stage` of `plan`, where that is more
    /// than its tasks in this process (a remote engine's queries), for
    /// [`crate::WayangContext::explain`]; `None` otherwise.
    fn describe_stage(
        &self,
        config: &Configuration,
        plan: &crate::job::ExecutionPlan,
        stage: usize,
    ) -> Option<String> {
        let _ = (config, plan, stage);
        None
    }
}

/// What a preparer made for one node: the state its execution operator will
/// find in [`crate::TaskContext::prepared`].
pub type PreparedState = Arc<dyn Any + Send + Sync>;

/// Why a plan is being prepared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// To show it (`explain`, `execution_plan`): look, change nothing.
    Explain,
    /// To run it: a preparer may take what the run needs (fence an earlier
    /// instance of an exactly-once job, say).
    Execute,
}

/// What a preparer found out about a node before the job ran.
pub struct Prepared {
    /// The node.
    pub node: NodeId,
    /// Its exact or estimated output, for the optimizer; `None` to leave
    /// the estimate to the optimizer.
    pub estimate: Option<Estimate>,
    /// State for its execution operator.
    pub state: PreparedState,
}

/// Work a connector does once per job, before planning: resolving what its
/// sources will read, so the optimizer's estimates are exactly what the job
/// reads (a Kafka source's offset ranges are resolved once and carried to
/// execution), and whatever else must happen before any operator runs.
pub trait JobPreparer: Send + Sync {
    /// A unique name (`wayang-kafka`): plugins that bring the same preparer
    /// share one run of it.
    fn name(&self) -> &'static str;

    /// Every `wayang.*` configuration key the connector reads.
    fn configuration_keys(&self) -> &'static [&'static str] {
        &[]
    }

    /// Prepares the nodes of `plan` this connector is responsible for; an
    /// error (an unreachable cluster) fails planning at once.
    fn prepare(
        &self,
        plan: &WayangPlan,
        config: &Configuration,
        purpose: Purpose,
    ) -> Result<Vec<Prepared>>;
}
