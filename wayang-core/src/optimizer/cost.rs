//! The cost model: estimated milliseconds of running an operator on a
//! platform, of converting a channel, and of starting a platform.
//!
//! The model is a trait so that it can be replaced. The default,
//! [`ConfiguredCostModel`], reads its parameters from the job configuration;
//! unset ones default to what `calibrate` measured on the project's machine
//! class (the checked-in file, see [`super::calibration`]), and what it does
//! not measure to named guesses. A parameter that is not a non-negative
//! number is a configuration error, not a silent default.
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

use super::calibration::{default_value, guessed_as, guessed_record_ns};
use crate::channels::ChannelConversion;
use crate::config::Configuration;
use crate::error::{Error, Result};
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

/// The relative per-record work of an operator kind against a map with a
/// trivial function, by default: measured by `calibrate` (filter, flat_map,
/// reduce_by, distinct, sort, group_by, join) or guessed (see
/// [`super::calibration::GUESSES`], [`super::calibration::GUESSED_RECORD_NS`]
/// and [`super::calibration::GUESSED_AS`]).
pub fn default_factor(kind: OperatorKind) -> f64 {
    default_value(&format!("wayang.cost.{}.factor", snake(kind.name()))).unwrap_or(1.0)
}

/// The parameters of a platform's cost, as keys end after
/// `wayang.<platform>.cost.`.
const PLATFORM_PARAMETERS: &[&str] = &["startup.ms", "operator.ms", "record.ns", "parallelism"];

/// Whether `key` is a parameter of the cost model for one of `platforms`.
pub fn is_cost_key(key: &str, platforms: &[Platform]) -> bool {
    let kind_parameter = |rest: &str, suffix: &str| {
        rest.strip_suffix(suffix)
            .is_some_and(|kind| OperatorKind::ALL.iter().any(|k| snake(k.name()) == kind))
    };
    if let Some(rest) = key.strip_prefix("wayang.cost.") {
        return kind_parameter(rest, ".factor")
            || rest == "conversion.ms"
            || rest == "conversion.record.ns"
            || rest
                .strip_prefix("conversion.")
                .is_some_and(|r| r.ends_with(".record.ns"));
    }
    platforms.iter().any(|platform| {
        key.strip_prefix(&format!("wayang.{}.cost.", platform.name()))
            .is_some_and(|rest| {
                PLATFORM_PARAMETERS.contains(&rest)
                    || kind_parameter(rest, ".factor")
                    || kind_parameter(rest, ".ms")
            })
    })
}

impl ConfiguredCostModel {
    /// A model reading `config`; every cost parameter set in it must be a
    /// non-negative number.
    pub fn new(config: Configuration) -> Result<Self> {
        for key in config.keys() {
            if key.starts_with("wayang.") && key.contains(".cost.") {
                let value: f64 = config.get_or(key, 0.0)?;
                if !value.is_finite() || value < 0.0 {
                    return Err(Error::Configuration(format!(
                        "{key} = {value} (from {}) is not a non-negative number",
                        config
                            .source_of(key)
                            .map_or("?".to_string(), |l| l.to_string())
                    )));
                }
            }
        }
        Ok(ConfiguredCostModel { config })
    }

    /// A parameter: the configuration's value (checked when the model was
    /// made), else its calibrated or guessed default, else `fallback` (for
    /// platforms nobody calibrated).
    fn number(&self, key: &str, fallback: f64) -> f64 {
        self.config
            .get(key)
            .and_then(|v| v.trim().parse().ok())
            .or_else(|| default_value(key))
            .unwrap_or(fallback)
    }

    fn platform_number(&self, platform: Platform, what: &str, fallback: f64) -> f64 {
        self.number(&format!("wayang.{}.cost.{what}", platform.name()), fallback)
    }

    /// The per-record factor of an operator kind on a platform: the
    /// platform's own factor, else the general one, else 1.
    pub fn factor(&self, platform: Platform, kind: OperatorKind) -> f64 {
        let kind = snake(kind.name());
        self.factor_parameter(
            &format!("wayang.{}.cost.{kind}.factor", platform.name()),
            platform,
        )
        .or_else(|| self.factor_parameter(&format!("wayang.cost.{kind}.factor"), platform))
        .unwrap_or(1.0)
    }

    /// One factor key: configured, measured, or guessed. A factor guessed
    /// in nanoseconds is priced against the cost of a map on `platform` as
    /// this job configures it, so a job that loads its own calibration
    /// keeps the guess's nanoseconds.
    fn factor_parameter(&self, key: &str, platform: Platform) -> Option<f64> {
        if let Some(value) = self.config.get(key).and_then(|v| v.trim().parse().ok()) {
            return Some(value);
        }
        if let Some(other) = guessed_as(key) {
            return self.factor_parameter(other, platform);
        }
        if let Some(ns) = guessed_record_ns(key) {
            let map_ns = self.platform_number(platform, "record.ns", 20.0);
            return Some(ns / map_ns.max(1e-6));
        }
        default_value(key)
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
            self.number("wayang.cost.conversion.record.ns", 3.0),
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
        let model = ConfiguredCostModel::new(config).unwrap();
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

    #[test]
    fn a_malformed_parameter_is_an_error_not_a_default() {
        let mut config = Configuration::new();
        config.set("wayang.java.cost.record.ns", "fast");
        let error = ConfiguredCostModel::new(config).unwrap_err().to_string();
        assert!(
            error.contains("wayang.java.cost.record.ns = \"fast\""),
            "{error}"
        );
        let mut config = Configuration::new();
        config.set("wayang.cost.sort.factor", -2);
        let error = ConfiguredCostModel::new(config).unwrap_err().to_string();
        assert!(error.contains("not a non-negative number"), "{error}");
    }

    #[test]
    fn cost_keys_are_recognised() {
        let java = [Platform::new("java")];
        for key in [
            "wayang.cost.reduce_by.factor",
            "wayang.cost.conversion.ms",
            "wayang.cost.conversion.CollectStream.record.ns",
            "wayang.java.cost.record.ns",
            "wayang.java.cost.kafka_topic_source.ms",
            "wayang.java.cost.sort.factor",
        ] {
            assert!(is_cost_key(key, &java), "{key}");
        }
        for key in [
            "wayang.cost.reduce.factor",
            "wayang.java.cost.records.ns",
            "wayang.spark.cost.record.ns",
        ] {
            assert!(!is_cost_key(key, &java), "{key}");
        }
    }

    #[test]
    fn defaults_come_from_the_calibration() {
        let model = ConfiguredCostModel::new(Configuration::new()).unwrap();
        let measured = default_value("wayang.cost.reduce_by.factor").unwrap();
        assert_eq!(
            model.factor(Platform::new("java"), OperatorKind::ReduceBy),
            measured
        );
        assert_eq!(default_factor(OperatorKind::Count), 0.3, "a named guess");
        let java_map = default_value("wayang.java.cost.record.ns").unwrap();
        let sink_ns = default_factor(OperatorKind::KafkaTopicSink) * java_map;
        assert!((sink_ns - 40.0).abs() < 1e-9, "a guess of 40 ns: {sink_ns}");
    }

    #[test]
    fn a_guess_in_nanoseconds_follows_the_jobs_own_cost_of_a_map() {
        let mut config = Configuration::new();
        config
            .set("wayang.java.cost.record.ns", 2.0)
            .set("wayang.spark.cost.record.ns", 4.0);
        let model = ConfiguredCostModel::new(config).unwrap();
        let java = Platform::new("java");
        let spark = Platform::new("spark");
        let source = model.factor(java, OperatorKind::KafkaTopicSource);
        assert!((source * 2.0 - 120.0).abs() < 1e-9, "{source}");
        // spark has no factor of its own for the source: the general guess,
        // priced against spark's map.
        let source = model.factor(spark, OperatorKind::KafkaTopicSource);
        assert!((source * 4.0 - 120.0).abs() < 1e-9, "{source}");
        assert_eq!(
            model.factor(spark, OperatorKind::CoGroup),
            model.factor(spark, OperatorKind::Join),
            "a co-group is priced as the join"
        );
        let mut config = Configuration::new();
        config.set("wayang.cost.kafka_topic_source.factor", 7);
        let model = ConfiguredCostModel::new(config).unwrap();
        assert_eq!(model.factor(java, OperatorKind::KafkaTopicSource), 7.0);
    }
}
