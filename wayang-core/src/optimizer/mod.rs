//! The optimizer: estimate every operator's cardinality, cost every way of
//! running the plan on the registered platforms, and choose the cheapest.
//!
//! - [`cardinality`]: interval estimates with a confidence, exact where the
//!   data is known before running;
//! - [`cost`]: the [`CostModel`] trait and its configured default;
//! - [`calibration`]: the cost model's measured defaults and named guesses;
//! - [`placement`]: the candidates per operator (mappings, `on(..)`) and the
//!   [`PlatformChooser`] trait;
//! - [`enumerate`]: the cost-based chooser;
//! - [`explain`]: the chosen plan with its estimates and costs.

pub mod calibration;
pub mod cardinality;
pub mod cost;
pub mod enumerate;
pub mod explain;
pub mod placement;

pub use cardinality::Estimate;
pub use cost::{ConfiguredCostModel, CostModel};
pub use enumerate::{CostBasedChooser, Planning};
pub use explain::Explanation;
pub use placement::{candidates, Candidate, FollowInputs, PlatformChooser};
