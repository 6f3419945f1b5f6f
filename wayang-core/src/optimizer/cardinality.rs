//! Cardinality estimates: how many records each operator will emit.
//!
//! As in Wayang, an estimate is an interval with the probability that the
//! true value lies in it. Estimates are exact where the data is known before
//! running (collections; Kafka offset ranges resolved before planning), come
//! from file sizes for text files, and otherwise from selectivity hints
//! (`with_selectivity`) or defaults per operator kind.

use std::fmt;
use std::io::Read;

use serde::Serialize;

use crate::operators::{Operator, OperatorKind};
use crate::plan::{OperatorNode, WayangPlan};

/// A cardinality estimate: `[low, high]` records, right with `confidence`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    /// The least likely number of records.
    pub low: f64,
    /// The most likely upper bound.
    pub high: f64,
    /// The probability that the true value lies in `[low, high]`.
    pub confidence: f64,
}

impl Estimate {
    /// An exact count.
    pub fn exact(records: f64) -> Self {
        Estimate {
            low: records,
            high: records,
            confidence: 1.0,
        }
    }

    /// An interval.
    pub fn new(low: f64, high: f64, confidence: f64) -> Self {
        Estimate {
            low: low.max(0.0),
            high: high.max(low.max(0.0)),
            confidence: confidence.clamp(0.0, 1.0),
        }
    }

    /// The value the cost model uses: the middle of the interval. (A
    /// geometric mean collapses towards the lower bound when it is 0, as it
    /// is for joins and filters, and made large joins look cheap.)
    pub fn expected(&self) -> f64 {
        (self.low + self.high) / 2.0
    }

    /// This estimate scaled by `factor` (a selectivity).
    pub fn times(&self, factor: f64, confidence: f64) -> Self {
        Estimate::new(
            self.low * factor,
            self.high * factor,
            self.confidence.min(confidence),
        )
    }

    fn sum(estimates: &[Estimate]) -> Self {
        Estimate::new(
            estimates.iter().map(|e| e.low).sum(),
            estimates.iter().map(|e| e.high).sum(),
            estimates.iter().map(|e| e.confidence).fold(1.0, f64::min),
        )
    }
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.low == self.high && self.confidence >= 1.0 {
            write!(f, "{}", self.low.round())
        } else if self.low == self.high {
            write!(f, "{} ({:.0}%)", self.low.round(), self.confidence * 100.0)
        } else {
            write!(
                f,
                "{}..{} ({:.0}%)",
                self.low.round(),
                self.high.round(),
                self.confidence * 100.0
            )
        }
    }
}

/// Estimates of source records that only a platform can make (a Kafka
/// source's offset ranges need a client): `None` where it has none.
pub type SourceEstimator<'a> = dyn Fn(&OperatorNode) -> Option<Estimate> + 'a;

/// Estimates every node's output (indexed like `plan.nodes()`).
pub fn estimate(plan: &WayangPlan, sources: &SourceEstimator<'_>) -> Vec<Estimate> {
    let mut estimates: Vec<Estimate> = Vec::with_capacity(plan.nodes().len());
    let position = |id: crate::plan::NodeId| plan.nodes().iter().position(|n| n.id == id);
    for node in plan.nodes() {
        let inputs: Vec<Estimate> = node
            .inputs
            .iter()
            .filter_map(|input| position(input.node).map(|i| estimates[i]))
            .collect();
        estimates.push(node_estimate(node, &inputs, sources));
    }
    estimates
}

/// Records a user's selectivity hint makes exact enough to trust.
const HINT_CONFIDENCE: f64 = 0.9;
/// What an estimate made from a default per kind is worth.
const DEFAULT_CONFIDENCE: f64 = 0.5;

fn node_estimate(
    node: &OperatorNode,
    inputs: &[Estimate],
    sources: &SourceEstimator<'_>,
) -> Estimate {
    let input = inputs.first().copied().unwrap_or(Estimate::exact(0.0));
    let hinted = |default: Estimate| match node.hints.selectivity {
        Some(s) => input.times(s, HINT_CONFIDENCE),
        None => default,
    };
    match &node.operator {
        Operator::CollectionSource(source) => Estimate::exact(source.len() as f64),
        Operator::TextFileSource(source) => {
            text_file_lines(&source.path).unwrap_or(Estimate::new(0.0, 1e6, 0.1))
        }
        Operator::KafkaTopicSource(_) => sources(node).unwrap_or(Estimate::new(0.0, 1e6, 0.1)),
        Operator::Map(_) | Operator::Sort(_) => input,
        Operator::MapPartitions(_) => hinted(input.times(1.0, DEFAULT_CONFIDENCE)),
        Operator::Filter(_) => hinted(Estimate::new(
            0.0,
            input.high,
            input.confidence.min(DEFAULT_CONFIDENCE),
        )),
        Operator::FlatMap(_) => hinted(Estimate::new(
            input.low * 0.5,
            input.high * 4.0,
            DEFAULT_CONFIDENCE,
        )),
        Operator::Sample(sample) => Estimate::new(
            input.low.min(sample.size as f64),
            input.high.min(sample.size as f64),
            input.confidence,
        ),
        Operator::ReduceBy(_) | Operator::GroupBy(_) | Operator::Distinct(_) => hinted(
            Estimate::new(input.low.min(1.0), input.high, DEFAULT_CONFIDENCE),
        ),
        Operator::Count(_) => Estimate::exact(1.0),
        Operator::GlobalReduce(_) => Estimate::new(input.low.min(1.0), 1.0, 1.0),
        Operator::Union(_) => Estimate::sum(inputs),
        Operator::Cartesian(_) => {
            let right = inputs.get(1).copied().unwrap_or(Estimate::exact(0.0));
            Estimate::new(
                input.low * right.low,
                input.high * right.high,
                input.confidence.min(right.confidence),
            )
        }
        Operator::Join(_) | Operator::CoGroup(_) => {
            let right = inputs.get(1).copied().unwrap_or(Estimate::exact(0.0));
            let product = Estimate::new(
                input.low * right.low,
                input.high * right.high,
                HINT_CONFIDENCE,
            );
            match node.hints.selectivity {
                Some(s) => product.times(s, HINT_CONFIDENCE),
                // A key join of distinct-ish keys: about the larger input.
                None if node.kind() == OperatorKind::Join => {
                    Estimate::new(0.0, input.high.max(right.high), DEFAULT_CONFIDENCE)
                }
                None => Estimate::new(
                    input.low.min(1.0).max(right.low.min(1.0)),
                    input.high + right.high,
                    DEFAULT_CONFIDENCE,
                ),
            }
        }
        Operator::LocalCallbackSink(_)
        | Operator::TextFileSink(_)
        | Operator::KafkaTopicSink(_) => input,
    }
}

/// Lines of a text file: its size over the mean line length of its first
/// 64 KiB.
fn text_file_lines(path: &std::path::Path) -> Option<Estimate> {
    let size = std::fs::metadata(path).ok()?.len() as f64;
    let mut sample = Vec::with_capacity(1 << 16);
    std::fs::File::open(path)
        .ok()?
        .take(1 << 16)
        .read_to_end(&mut sample)
        .ok()?;
    if sample.is_empty() {
        return Some(Estimate::exact(0.0));
    }
    let lines = sample.iter().filter(|b| **b == b'\n').count().max(1) as f64;
    let mean = sample.len() as f64 / lines;
    let expected = size / mean;
    if sample.len() as f64 >= size {
        // The sample is the whole file: the count is exact (give or take a
        // last line without a newline).
        return Some(Estimate::new(expected.floor(), expected.ceil() + 1.0, 1.0));
    }
    Some(Estimate::new(expected * 0.8, expected * 1.25, 0.8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_is_the_middle() {
        assert_eq!(Estimate::exact(100.0).expected(), 100.0);
        assert_eq!(Estimate::new(0.0, 10_000.0, 0.5).expected(), 5000.0);
        assert_eq!(Estimate::exact(42.0).to_string(), "42");
        assert_eq!(Estimate::new(10.0, 20.0, 0.5).to_string(), "10..20 (50%)");
    }

    #[test]
    fn text_files_are_estimated_from_their_size() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small.txt");
        std::fs::write(&small, "a\nbb\nccc\n").unwrap();
        let estimate = text_file_lines(&small).unwrap();
        assert!(estimate.low <= 3.0 && estimate.high >= 3.0, "{estimate:?}");
        let large = dir.path().join("large.txt");
        std::fs::write(&large, "0123456789\n".repeat(100_000)).unwrap();
        let estimate = text_file_lines(&large).unwrap();
        assert!(
            estimate.low <= 100_000.0 && estimate.high >= 100_000.0,
            "{estimate:?}"
        );
        assert!(text_file_lines(&dir.path().join("missing")).is_none());
    }
}
