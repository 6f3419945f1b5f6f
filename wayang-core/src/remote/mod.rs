//! Remote execution: what a platform needs to hand a stage's work to another
//! process, such as the tasks of an Apache Spark cluster.
//!
//! Closures are not shipped. Every process runs the user's own program: the
//! driver names a part of its plan by node numbers ([`Segment`]) and the
//! plan's [`crate::WayangPlan::fingerprint`]; the worker
//! ([`worker`]) rebuilds the plan, checks the fingerprint and runs that part;
//! records cross in a line-safe encoding ([`wire`]).

pub mod connector;
pub mod segment;
pub mod wire;
pub mod worker;

pub use segment::{Segment, SegmentInput, SegmentOutput, Side, Step};
pub use wire::{codec_for, register, require_codec, WireCodec};
pub use worker::{is_worker, WorkerRequest};
