//! wayang-api: the typed, fluent API of wayang-rs.
//!
//! A [`PlanBuilder`] starts a plan from sources; each [`DataQuanta<T>`] is a
//! typed handle on an operator's output, and its methods (`map`, `filter`,
//! `reduce_by_key`, `join`, ...) add operators. Sinks (`collect`, `for_each`,
//! `write_text_file`) end the plan; [`PlanBuilder::execute`] runs every sink as
//! one job on the platforms registered in a [`WayangContext`]. The API depends
//! on `wayang-core` only: which platforms run the job is the context's choice.
//!
//! ```
//! use wayang_api::PlanBuilder;
//! use wayang_core::WayangContext;
//!
//! let plan = PlanBuilder::new();
//! let counts = plan
//!     .read_collection(vec!["a b", "b c b"])
//!     .flat_map(|line| line.split(' ').map(str::to_string).collect::<Vec<_>>())
//!     .map(|word| (word, 1u32))
//!     .reduce_by_key(|(word, _)| word.clone(), |(w, a), (_, b)| (w, a + b))
//!     .collect();
//! plan.execute(&WayangContext::new().with(wayang_java::plugin()))?;
//! assert_eq!(counts.take()?, [("a".into(), 1), ("b".into(), 3), ("c".into(), 1)]);
//! # Ok::<(), wayang_core::Error>(())
//! ```

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod data_quanta;
pub mod kafka;
mod plan_builder;

pub use data_quanta::{Collector, DataQuanta};
pub use plan_builder::{PlanBuilder, PreparedJob};
pub use wayang_core::formats;
pub use wayang_core::{Data, Error, JobReport, Result, WayangContext};
