//! The cost model: estimated milliseconds of running an operator on a
//! platform, of converting a channel, and of starting a platform.
//!
//! The model is a trait so that it can be replaced. The default,
//! [`ConfiguredCostModel`], reads its parameters from the job configuration
//! (plugins supply defaults for this class of machine; the `calibrate` bench
//! binary measures them on the machine at hand and writes a file to load):
//!
//! | key | meaning |
//! |---|---|
//! | `wayang.<platform>.cost.startup.ms` | once per job that uses the platform |
//! | `wayang.<platform>.cost.operator.ms` | fixed cost of each operator (task dispatch) |
//! | `wayang.<platform>.cost.<kind>.ms` | a further fixed cost of operators of one kind (Kafka clients to set up) |
//! | `wayang.<platform>.cost.record.ns` | nanoseconds per record handled by a trivial operator |
//! | `wayang.<platform>.cost.parallelism` | effective parallelism (records are divided by it) |
//! | `wayang.cost.<kind>.factor` | relative per-record work of an operator kind (`map` = 1) |
//! | `wayang.<platform>.cost.<kind>.factor` | the same for one platform (spark's shuffles cost more than a hash table) |
//! | `wayang.cost.conversion.record.ns` | nanoseconds per record a conversion moves |
//! | `wayang.cost.conversion.ms` | fixed cost of a conversion |
//!
//! An operator's records are its input records plus its output records (a
//! source: its output). A user's `with_udf_cost` multiplies its per-record
//! cost.

use crate::channels::ChannelConversion;
use crate::config::Configuration;
use crate::operators::OperatorKind;
use crate::optimizer::Estimate;
use crate::plan::OperatorNode;
use crate::platform::Platform;

/// Estimates costs in milliseconds.
pub trait CostModel: Send + Sync {
    /// The cost of using `platform` at all in a job.
    fn startup(&self, platform: Platform) -> f64;

    /// The cost of running `node` on `platform`.
    fn operator(
        &self,
        platform: Platform,
        node: &OperatorNode,
        inputs: &[Estimate],
        output: Estimate,
    ) -> f64;

    /// The cost of `conversion` moving `records` records.
    fn conversion(&self, conversion: &ChannelConversion, records: f64) -> f64;
}

/// The default cost model, parameterised by the configuration.
#[derive(Clone, Debug)]
pub struct ConfiguredCostModel {
    config: Configuration,
}

/// The relative per-record work of each operator kind against a map with a
/// trivial function (sort, distinct and group-by as `calibrate` measured
/// them on java; the others estimated; `calibrate` refines them).
pub fn default_factor(kind: OperatorKind) -> f64 {
    use OperatorKind as K;
    match kind {
        K::CollectionSource => 0.5,
        K::TextFileSource => 4.0,
        K::KafkaTopicSource => 60.0,
        K::Map
        | K::Filter
        | K::MapPartitions
        | K::GlobalReduce
        | K::Cartesian
        | K::LocalCallbackSink => 1.0,
        K::FlatMap => 1.5,
        K::Sample => 2.0,
        K::ReduceBy => 4.0,
        K::GroupBy => 2.6,
        K::Distinct => 2.3,
        K::Sort => 15.0,
        K::Count | K::Union => 0.3,
        K::Join | K::CoGroup => 6.0,
        K::TextFileSink => 3.0,
        K::KafkaTopicSink => 20.0,
    }
}

impl ConfiguredCostModel {
    /// A model reading `config`.
    pub fn new(config: Configuration) -> Self {
        ConfiguredCostModel { config }
    }

    fn number(&self, key: &str, default: f64) -> f64 {
        self.config.get_or(key, default).unwrap_or(default)
    }

    fn platform_number(&self, platform: Platform, what: &str, default: f64) -> f64 {
        self.number(&format!("wayang.{}.cost.{what}", platform.name()), default)
    }

    /// The per-record factor of an operator kind on a platform.
    pub fn factor(&self, platform: Platform, kind: OperatorKind) -> f64 {
        let general = self.number(
            &format!("wayang.cost.{}.factor", snake(kind.name())),
            default_factor(kind),
        );
        self.platform_number(platform, &format!("{}.factor", snake(kind.name())), general)
    }

    fn parallelism(&self, platform: Option<Platform>) -> f64 {
        platform.map_or(1.0, |p| {
            self.platform_number(p, "parallelism", 1.0).max(1.0)
        })
    }
}

impl CostModel for ConfiguredCostModel {
    fn startup(&self, platform: Platform) -> f64 {
        self.platform_number(platform, "startup.ms", 0.0)
    }

    fn operator(
        &self,
        platform: Platform,
        node: &OperatorNode,
        inputs: &[Estimate],
        output: Estimate,
    ) -> f64 {
        let records: f64 = if node.kind().is_sink() {
            inputs.iter().map(Estimate::expected).sum()
        } else {
            inputs.iter().map(Estimate::expected).sum::<f64>() + output.expected()
        };
        let per_record = self.platform_number(platform, "record.ns", 20.0)
            * self.factor(platform, node.kind())
            * node.hints.udf_cost.unwrap_or(1.0);
        let fixed = self.platform_number(platform, "operator.ms", 0.0)
            + self.platform_number(platform, &format!("{}.ms", snake(node.kind().name())), 0.0);
        fixed + records * per_record / 1e6 / self.parallelism(Some(platform))
    }

    fn conversion(&self, conversion: &ChannelConversion, records: f64) -> f64 {
        let per_record = self.number(
            &format!("wayang.cost.conversion.{}.record.ns", conversion.name),
            {
                // calibrate measured about 2.75 ns on this machine class.
                self.number("wayang.cost.conversion.record.ns", 3.0)
            },
        );
        self.number("wayang.cost.conversion.ms", 0.01)
            + records * per_record / 1e6 / self.parallelism(conversion.platform)
    }
}

/// `ReduceBy` -> `reduce_by`, for configuration keys.
pub fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::{CollectionSource, Operator};
    use crate::plan::NodeId;

    #[test]
    fn keys_are_snake_case() {
        assert_eq!(snake("ReduceBy"), "reduce_by");
        assert_eq!(snake("KafkaTopicSource"), "kafka_topic_source");
    }

    #[test]
    fn costs_follow_the_configuration() {
        let mut config = Configuration::new();
        config
            .set("wayang.fast.cost.record.ns", 10)
            .set("wayang.fast.cost.parallelism", 2)
            .set("wayang.fast.cost.operator.ms", 1)
            .set("wayang.cost.collection_source.factor", 1);
        let model = ConfiguredCostModel::new(config);
        let node = OperatorNode::new(
            NodeId(0),
            Operator::CollectionSource(CollectionSource::new(vec![0u8; 3])),
            vec![],
        );
        // 1 ms fixed + 1e6 records * 10 ns / 2 = 6 ms.
        let cost = model.operator(Platform::new("fast"), &node, &[], Estimate::exact(1e6));
        assert!((cost - 6.0).abs() < 1e-6, "{cost}");
        assert_eq!(model.startup(Platform::new("fast")), 0.0);
    }
}
