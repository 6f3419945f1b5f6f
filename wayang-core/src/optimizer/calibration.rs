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
/// key, nanoseconds, why). The factor is the nanoseconds over the
/// calibrated cost of a map on the key's platform (java's for the general
/// `wayang.cost.` keys), so a re-calibration, which moves the cost of a map
/// (batches between operators made it fifteen times cheaper), leaves what
/// these guesses say about the work itself unchanged.
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
        "wayang.cost.co_group.factor",
        12.0,
        "guess: a hash build and a probe per record, as a join",
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
    (
        "wayang.spark.cost.co_group.factor",
        24.0,
        "guess: java's co-group through a shuffle",
    ),
];

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
/// the key's platform.
fn guessed_factor(key: &str) -> Option<f64> {
    let (_, ns, _) = GUESSED_RECORD_NS.iter().find(|(k, _, _)| *k == key)?;
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
        let spark_map = default_value("wayang.spark.cost.record.ns").unwrap();
        let co_group = default_value("wayang.cost.co_group.factor").unwrap();
        assert!((co_group * java_map - 12.0).abs() < 1e-9, "{co_group}");
        let spark_co_group = default_value("wayang.spark.cost.co_group.factor").unwrap();
        assert!(
            (spark_co_group * spark_map - 24.0).abs() < 1e-9,
            "{spark_co_group}"
        );
        assert_eq!(default_value("wayang.cost.no_such.factor"), None);
    }
}
