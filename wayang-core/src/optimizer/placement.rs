//! Candidates and the chooser trait.
//!
//! Planning has two steps: [`candidates`] asks every registered plugin's
//! mappings which execution operators could run each node (honouring
//! `on(..)`), then a [`PlatformChooser`] picks one candidate per node: the
//! cost-based one by default, or [`FollowInputs`].

use std::sync::Arc;

use super::Planning;
use crate::config::Configuration;
use crate::error::{Error, Result};
use crate::plan::WayangPlan;
use crate::platform::{ExecutionOperator, Platform};
use crate::plugin::Plugin;

/// An execution operator that could run a node.
#[derive(Clone)]
pub struct Candidate {
    /// Its platform.
    pub platform: Platform,
    /// The operator.
    pub operator: Arc<dyn ExecutionOperator>,
}

/// The candidates of every node (indexed like `plan.nodes()`), in plugin
/// registration order. A node without candidates is an error that names it.
pub fn candidates(
    plan: &WayangPlan,
    plugins: &[Arc<dyn Plugin>],
    config: &Configuration,
) -> Result<Vec<Vec<Candidate>>> {
    let registered: Vec<&str> = plugins.iter().map(|p| p.platform().name()).collect();
    let mut all = Vec::with_capacity(plan.nodes().len());
    for node in plan.nodes() {
        if let Some(pinned) = &node.platform {
            if !registered.contains(&pinned.as_str()) {
                return Err(Error::Unsupported {
                    operator: node.label().to_string(),
                    reason: format!(
                        "it is pinned to platform {pinned:?}, which is not registered \
                         (registered: {}); add its plugin with WayangContext::with",
                        registered.join(", ")
                    ),
                });
            }
        }
        let mut refusals = Vec::new();
        let found: Vec<Candidate> = plugins
            .iter()
            .filter(|plugin| {
                node.platform
                    .as_deref()
                    .is_none_or(|p| p == plugin.platform().name())
            })
            .filter(|plugin| match plugin.refuses(config, node) {
                Some(reason) => {
                    refusals.push(format!("{}: {reason}", plugin.platform().name()));
                    false
                }
                None => true,
            })
            .flat_map(|plugin| plugin.mappings())
            .filter(|mapping| mapping.kind() == node.kind())
            .filter_map(|mapping| {
                mapping.map(&node.operator).map(|operator| Candidate {
                    platform: mapping.platform(),
                    operator,
                })
            })
            .collect();
        if found.is_empty() && !refusals.is_empty() {
            return Err(Error::Unsupported {
                operator: node.label().to_string(),
                reason: refusals.join("; "),
            });
        }
        if found.is_empty() {
            let scope = match &node.platform {
                Some(pinned) => format!("platform {pinned:?} has no mapping for it"),
                None if registered.is_empty() => {
                    "no platform is registered: use WayangContext::new().with(wayang_java::plugin())".into()
                }
                None => format!("no registered platform ({}) has a mapping for it", registered.join(", ")),
            };
            return Err(Error::Unsupported {
                operator: node.label().to_string(),
                reason: scope,
            });
        }
        all.push(found);
    }
    Ok(all)
}

/// Picks one candidate per node.
pub trait PlatformChooser: Send + Sync {
    /// The index of the chosen candidate for each node.
    fn choose(
        &self,
        plan: &WayangPlan,
        candidates: &[Vec<Candidate>],
        planning: &Planning<'_>,
    ) -> Result<Vec<usize>>;
}

/// Runs each operator where its first input runs if that platform can,
/// otherwise on the first registered platform that can: no conversions
/// unless needed, and a single-plugin context always stays on its platform.
#[derive(Clone, Copy, Debug, Default)]
pub struct FollowInputs;

impl PlatformChooser for FollowInputs {
    fn choose(
        &self,
        plan: &WayangPlan,
        candidates: &[Vec<Candidate>],
        _: &Planning<'_>,
    ) -> Result<Vec<usize>> {
        let mut chosen: Vec<usize> = Vec::with_capacity(candidates.len());
        let mut platform_of = std::collections::HashMap::new();
        for (node, options) in plan.nodes().iter().zip(candidates) {
            let upstream = node
                .inputs
                .first()
                .and_then(|input| platform_of.get(&input.node));
            let pick = upstream
                .and_then(|platform| options.iter().position(|c| c.platform == *platform))
                .unwrap_or(0);
            platform_of.insert(node.id, options[pick].platform);
            chosen.push(pick);
        }
        Ok(chosen)
    }
}
