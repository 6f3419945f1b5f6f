//! wayang-java: the `java` platform of wayang-rs.
//!
//! Named after Apache Wayang's Java platform, it executes every operator on
//! the calling thread with pull-based iterators: narrow operators (map,
//! filter, ...) stream record by record, so their memory does not grow with
//! the input; operators that must see all their input (reduce, sort, ...) hold
//! only what they aggregate. Start-up costs nothing, which makes it the right
//! platform for small and medium inputs.
//!
//! Depends on `wayang-core`, and on `wayang-kafka` for the Kafka operators'
//! job side. Register it with:
//!
//! ```
//! use wayang_core::WayangContext;
//!
//! let ctx = WayangContext::new().with(wayang_java::plugin());
//! assert_eq!(ctx.platforms(), [wayang_java::JAVA]);
//! ```

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod executor;
pub mod mappings;
mod operators;
mod plugin;

pub use plugin::{plugin, JavaPlugin, JAVA};
