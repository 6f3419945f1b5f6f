//! Plugins: what a platform contributes to a context.

use std::sync::Arc;

use crate::channels::ChannelConversion;
use crate::config::Configuration;
use crate::error::Result;
use crate::mapping::Mapping;
use crate::optimizer::Estimate;
use crate::plan::OperatorNode;
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

    /// The number of records a source will emit, where only this platform
    /// can tell (a Kafka source's offset ranges need a client); `None` if it
    /// cannot. An error (an unreachable cluster) fails planning at once.
    fn estimate_source(
        &self,
        _node: &OperatorNode,
        _config: &Configuration,
    ) -> Result<Option<Estimate>> {
        Ok(None)
    }

    /// An executor for one job.
    fn create_executor(&self, config: &Configuration) -> Result<Box<dyn Executor>>;
}
