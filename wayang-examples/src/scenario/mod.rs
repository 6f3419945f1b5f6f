//! The federated-analytics scenario: three partners compute monthly average
//! spending per category on their own data, publish only aggregates (with
//! small groups suppressed) to topics on their own Kafka clusters, and one
//! Wayang job combines them into global averages on a fourth cluster, which
//! every partner compares with its own. See docs/scenario.md.
//!
//! - [`model`]: transactions, contributions, averages, and their text forms;
//! - [`generate`]: deterministic, skewed transaction histories (CSV);
//! - [`partner`]: Jobs 1-3, run by each partner;
//! - [`global`]: Job 4, the cross-cluster job;
//! - [`compare`]: each partner's comparison with the global averages;
//! - [`reference`]: the same results computed in plain Rust, for tests;
//! - [`wire`]: the topics' record formats (JSON, or Avro with a Schema
//!   Registry per organisation);
//! - [`demo`]: the whole scenario on embedded clusters.

pub mod compare;
pub mod demo;
pub mod generate;
pub mod global;
pub mod label;
pub mod model;
pub mod partner;
pub mod reference;
pub mod wire;

use wayang_api::WayangContext;

use label::Label;
use model::{CellTotals, Contribution, Customers, GlobalAverage, LocalAverage, Transaction};

/// Gives the scenario's record types a wire codec, so that the operators
/// between them can run on a Spark cluster (docs/spark.md): the jobs call it
/// when they build their plans, in the driver and in every worker alike.
pub fn register_wire_types() {
    use wayang_core::remote::register;
    register::<Transaction>();
    register::<Result<Transaction, String>>();
    register::<((Label, Label), (i64, Customers))>();
    register::<((Label, Label), (i64, u64))>();
    register::<((String, String), CellTotals)>();
    register::<LocalAverage>();
    register::<Contribution>();
    // Job 4 reads the contributions as tables (Avro ones too).
    register::<wayang_core::kafka::ChangelogEntry<Contribution>>();
    register::<GlobalAverage>();
    register::<wayang_core::kafka::ChangelogEntry<GlobalAverage>>();
    // The comparisons.
    register::<(LocalAverage, GlobalAverage)>();
    register::<compare::Comparison>();
}

/// Which platforms a job may use: one flag, no platform-specific code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PlatformChoice {
    /// One thread, streaming.
    Java,
    /// All cores, partitions and shuffles.
    Spark,
    /// Both registered; the optimizer chooses per operator.
    Auto,
}

impl PlatformChoice {
    /// The context for this choice, in process.
    pub fn context(self) -> WayangContext {
        self.context_on(None)
    }

    /// The context for this choice, with the stages placed on `spark` sent
    /// to the Spark cluster behind `remote` (a Spark Connect URL,
    /// `sc://HOST:PORT`) when one is given; see docs/spark.md.
    pub fn context_on(self, remote: Option<&str>) -> WayangContext {
        let mut ctx = WayangContext::new();
        if let Some(remote) = remote {
            ctx = ctx.with_config(wayang_spark::REMOTE_KEY, remote);
        }
        match self {
            PlatformChoice::Java => ctx.with(wayang_java::plugin()),
            PlatformChoice::Spark => ctx.with(wayang_spark::plugin()),
            PlatformChoice::Auto => ctx.with(wayang_java::plugin()).with(wayang_spark::plugin()),
        }
    }
}

impl std::fmt::Display for PlatformChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PlatformChoice::Java => "java",
            PlatformChoice::Spark => "spark",
            PlatformChoice::Auto => "auto",
        })
    }
}
