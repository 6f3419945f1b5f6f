//! Where the cost model's defaults come from: the parameters `calibrate`
//! measured on the project's machine class, checked in as
//! `wayang-core/calibration.properties`, and, for what `calibrate` does not
//! measure, guesses, each named as a guess with the reason for its value.
//!
//! A job's configuration overrides both: run `calibrate` on the machine at
//! hand and load its file with `WayangContext::with_config_file`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::config::parse_properties;

/// The checked-in output of `calibrate` (2 cores, this project's machine
/// class): the defaults of every parameter it measures.
pub const CALIBRATION: &str = include_str!("../../calibration.properties");

/// The key under which `calibrate` records the cores it measured on, so
/// that spark's measured parallelism can be scaled to other machines.
pub const CORES_KEY: &str = "wayang.calibration.cores";

/// Cost parameters `calibrate` does not measure: (key, value, why this
/// value). Guesses, to be replaced by measurements. Factors here are
/// relative to a map because the kind's work is a map's kind of work (it
/// moves or counts records it already holds); kinds with work of their own
/// are guessed in nanoseconds instead, see [`GUESSED_RECORD_NS`].
pub const GUESSES: &[(&str, f64, &str)] = &[
    (
        "wayang.cost.collection_source.factor",
        0.5,
        "guess: hands out records it already holds",
    ),
    (
        "wayang.cost.map.factor",
        1.0,
        "the unit: every factor is relative to a map",
    ),
    ("wayang.cost.map_partitions.factor", 1.0, "guess: as a map"),
    (
        "wayang.cost.global_reduce.factor",
        1.0,
        "guess: one fold step per record",
    ),
    (
        "wayang.cost.count.factor",
        0.3,
        "guess: a batch's length, less than a map",
    ),
    ("wayang.cost.union.factor", 0.3, "guess: hands batches on"),
    (
        "wayang.cost.cartesian.factor",
        1.0,
        "guess: one pair per output record",
    ),
    (
        "wayang.cost.local_callback_sink.factor",
        1.0,
        "guess: one hand-over per record",
    ),
    (
        "wayang.java.cost.kafka_topic_source.ms",
        2.0,
        "guess: one consumer set up on loopback",
    ),
    (
        "wayang.java.cost.kafka_topic_sink.ms",
        2.0,
        "guess: one producer set up on loopback",
    ),
    (
        "wayang.spark.cost.kafka_topic_source.ms",
        4.0,
        "guess: one consumer per task, 2 tasks",
    ),
    (
        "wayang.spark.cost.kafka_topic_sink.ms",
        2.0,
        "guess: one shared producer",
    ),
    (
        "wayang.cost.conversion.ms",
        0.01,
        "guess: a conversion's fixed cost",
    ),
];

/// Per-record factors guessed as nanoseconds of work per record: (factor
/// key, nanoseconds, why). The cost model divides the nanoseconds by the
/// cost of a map on the platform it prices (the job's configured
/// `record.ns`, else the calibrated one), so a re-calibration, which moves
/// the cost of a map (batches between operators made it about a tenth of
/// what it was), leaves what these guesses say about the work unchanged.
pub const GUESSED_RECORD_NS: &[(&str, f64, &str)] = &[
    (
        "wayang.cost.text_file_source.factor",
        8.0,
        "guess: reads, splits and checks UTF-8 per line",
    ),
    (
        "wayang.cost.kafka_topic_source.factor",
        120.0,
        "guess: a fetched, decoded record",
    ),
    (
        "wayang.cost.sample.factor",
        4.0,
        "guess: a reservoir draw per record",
    ),
    (
        "wayang.cost.text_file_sink.factor",
        6.0,
        "guess: formats and writes a line",
    ),
    (
        "wayang.cost.kafka_topic_sink.factor",
        40.0,
        "guess: encodes and queues a record",
    ),
];

/// Factors guessed to be another, measured one: (factor key, the key whose
/// value it takes, why).
pub const GUESSED_AS: &[(&str, &str, &str)] = &[
    (
        "wayang.cost.co_group.factor",
        "wayang.cost.join.factor",
        "guess: a hash build and a probe per record, as the measured join",
    ),
    (
        "wayang.spark.cost.co_group.factor",
        "wayang.spark.cost.join.factor",
        "guess: as spark's measured join",
    ),
];

/// The nanoseconds per record a factor is guessed at, if it is guessed that
/// way and not measured (see [`GUESSED_RECORD_NS`]).
pub fn guessed_record_ns(key: &str) -> Option<f64> {
    if is_measured(key) {
        return None;
    }
    GUESSED_RECORD_NS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, ns, _)| *ns)
}

/// The key whose value a factor is guessed to take, if it is guessed that
/// way and not measured (see [`GUESSED_AS`]).
pub fn guessed_as(key: &str) -> Option<&'static str> {
    if is_measured(key) {
        return None;
    }
    GUESSED_AS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, other, _)| *other)
}

fn calibrated_values() -> &'static BTreeMap<String, f64> {
    static VALUES: OnceLock<BTreeMap<String, f64>> = OnceLock::new();
    VALUES.get_or_init(|| {
        parse_properties(CALIBRATION, std::path::Path::new("calibration.properties"))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| p.value.trim().parse().ok().map(|v| (p.key, v)))
            .collect()
    })
}

/// A parameter's default: measured if `calibrate` measured it, else the
/// guess, else `None`.
pub fn default_value(key: &str) -> Option<f64> {
    calibrated_values()
        .get(key)
        .copied()
        .or_else(|| {
            GUESSES
                .iter()
                .find(|(k, _, _)| *k == key)
                .map(|(_, v, _)| *v)
        })
        .or_else(|| guessed_factor(key))
}

/// A factor guessed in nanoseconds, over the calibrated cost of a map on
/// the key's platform (java's for the general `wayang.cost.` keys), or as
/// another factor; the cost model prices these against the job's own
/// configuration instead, see `ConfiguredCostModel::factor`.
fn guessed_factor(key: &str) -> Option<f64> {
    if let Some(other) = guessed_as(key) {
        return default_value(other);
    }
    let ns = guessed_record_ns(key)?;
    let platform = key
        .strip_prefix("wayang.")
        .and_then(|rest| rest.split_once(".cost."))
        .map_or("java", |(platform, _)| platform);
    let map_ns = calibrated_values()
        .get(&format!("wayang.{platform}.cost.record.ns"))
        .copied()
        .filter(|ns| *ns > 0.0)?;
    Some(ns / map_ns)
}

/// Whether a parameter's default was measured (not guessed).
pub fn is_measured(key: &str) -> bool {
    calibrated_values().contains_key(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_in_calibration_parses_and_guesses_do_not_shadow_it() {
        assert!(is_measured("wayang.java.cost.record.ns"));
        assert!(is_measured("wayang.cost.reduce_by.factor"));
        assert!(default_value(CORES_KEY).is_some_and(|cores| cores >= 1.0));
        for (key, value, why) in GUESSES.iter().chain(GUESSED_RECORD_NS) {
            assert!(!is_measured(key), "{key} is measured: drop its guess");
            assert!(value.is_finite() && *value >= 0.0, "{key}");
            assert!(!why.is_empty());
        }
        for (key, other, why) in GUESSED_AS {
            assert!(!is_measured(key), "{key} is measured: drop its guess");
            assert!(
                is_measured(other),
                "{key} follows {other}, which is not measured"
            );
            assert!(!why.is_empty());
        }
        let lines = CALIBRATION
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
        assert_eq!(
            lines.count(),
            calibrated_values().len(),
            "every line is a number"
        );
    }

    #[test]
    fn a_guess_in_nanoseconds_is_over_the_cost_of_a_map_on_its_platform() {
        let java_map = default_value("wayang.java.cost.record.ns").unwrap();
        let source = default_value("wayang.cost.kafka_topic_source.factor").unwrap();
        assert!((source * java_map - 120.0).abs() < 1e-9, "{source}");
        assert_eq!(
            default_value("wayang.spark.cost.co_group.factor"),
            default_value("wayang.spark.cost.join.factor"),
            "a co-group is guessed as the measured join"
        );
        assert_eq!(default_value("wayang.cost.no_such.factor"), None);
    }
}
