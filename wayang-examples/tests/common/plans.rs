//! The random plans of the equivalence suites (`equivalence.rs`, and
//! `cluster.rs` on a Spark cluster): a small plan language, its strategies,
//! how a plan is built with the API, and an oracle that gives each step its
//! meaning in plain Rust, sharing no code with the engine.

use proptest::prelude::*;
use wayang_api::{DataQuanta, PlanBuilder};

pub type Record = (u8, String);

/// One step of a random plan. Every step maps records of type `Record` to
/// records of type `Record`, so any sequence of steps is a valid plan.
#[derive(Clone, Debug)]
pub enum Step {
    Map,
    Filter(u8),
    FlatMap,
    Distinct,
    ReduceByKey,
    ReduceValuesByKey,
    GroupByKey,
    Sort,
    Union,
    Join,
    CoGroup,
    Count,
    Reduce,
}

pub fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Map),
        (2u8..5).prop_map(Step::Filter),
        Just(Step::FlatMap),
        Just(Step::Distinct),
        Just(Step::ReduceByKey),
        Just(Step::ReduceValuesByKey),
        Just(Step::GroupByKey),
        Just(Step::Sort),
        Just(Step::Union),
        Just(Step::Join),
        Just(Step::CoGroup),
        Just(Step::Count),
        Just(Step::Reduce),
    ]
}

/// Records with skewed keys (most land on a few keys) and unicode values.
pub fn records() -> impl Strategy<Value = Vec<Record>> {
    let key = prop_oneof![4 => 0u8..3, 1 => any::<u8>()];
    let value = prop_oneof![Just(String::new()), "[a-z]{1,4}", "[äöüß東京서울Ωé]{1,3}",];
    prop::collection::vec((key, value), 0..40)
}

/// Adds `step` after `input`; `other` is the second input of binary steps.
pub fn apply(
    input: &DataQuanta<Record>,
    step: &Step,
    other: &DataQuanta<Record>,
) -> DataQuanta<Record> {
    match step {
        Step::Map => input.map(|(k, v)| (k.wrapping_mul(7) % 11, v.to_uppercase())),
        Step::Filter(m) => {
            let m = *m;
            input.filter(move |(k, _)| k % m != 0)
        }
        Step::FlatMap => input.flat_map(|(k, v)| {
            if k % 2 == 0 {
                vec![(k, v.clone()), (k / 2, v)]
            } else {
                vec![]
            }
        }),
        Step::Distinct => input.distinct(),
        // Associative and commutative: the larger value per key.
        Step::ReduceByKey => {
            input.reduce_by_key(|(k, _)| *k, |a, b| if a.1 >= b.1 { a } else { b })
        }
        Step::ReduceValuesByKey => input.reduce_values_by_key(|a, b| if a >= b { a } else { b }),
        Step::GroupByKey => input
            .group_by_key(|(k, _)| *k)
            .map(|(k, group)| (k, group.len().to_string())),
        Step::Sort => input.sort_by(|record| record.clone()),
        Step::Union => input.union(other),
        Step::Join => input
            .join(|(k, _)| *k, other, |(k, _)| *k)
            .map(|((k, a), (_, b))| (k, format!("{a}|{b}"))),
        Step::CoGroup => input
            .co_group(|(k, _)| *k, other, |(k, _)| *k)
            .map(|(k, left, right)| (k, format!("{}:{}", left.len(), right.len()))),
        Step::Count => input.count().map(|n| (0, n.to_string())),
        Step::Reduce => input.reduce(|a, b| if a >= b { a } else { b }),
    }
}

/// The meaning of a plan, computed without wayang: the test's oracle.
pub mod oracle {
    use std::collections::{BTreeMap, BTreeSet};

    use super::{Record, Step};

    /// The records `steps` make of `input` (with `other` as every binary
    /// step's second input), in the order a sort would give them where the
    /// plan sorts, and in any order otherwise.
    pub fn run(input: &[Record], other: &[Record], steps: &[Step]) -> Vec<Record> {
        let mut records = input.to_vec();
        for step in steps {
            records = apply(records, step, other);
        }
        records
    }

    fn apply(records: Vec<Record>, step: &Step, other: &[Record]) -> Vec<Record> {
        match step {
            Step::Map => records
                .into_iter()
                .map(|(k, v)| (k.wrapping_mul(7) % 11, v.to_uppercase()))
                .collect(),
            Step::Filter(m) => records.into_iter().filter(|(k, _)| k % m != 0).collect(),
            Step::FlatMap => {
                let mut out = Vec::new();
                for (k, v) in records {
                    if k % 2 == 0 {
                        out.push((k, v.clone()));
                        out.push((k / 2, v));
                    }
                }
                out
            }
            Step::Distinct => records
                .into_iter()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            Step::ReduceByKey | Step::ReduceValuesByKey => {
                let mut largest: BTreeMap<u8, String> = BTreeMap::new();
                for (k, v) in records {
                    let entry = largest.entry(k).or_insert_with(|| v.clone());
                    if v > *entry {
                        *entry = v;
                    }
                }
                largest.into_iter().collect()
            }
            Step::GroupByKey => {
                let mut sizes: BTreeMap<u8, usize> = BTreeMap::new();
                for (k, _) in records {
                    *sizes.entry(k).or_default() += 1;
                }
                sizes.into_iter().map(|(k, n)| (k, n.to_string())).collect()
            }
            Step::Sort => {
                let mut sorted = records;
                sorted.sort();
                sorted
            }
            Step::Union => {
                let mut all = records;
                all.extend(other.iter().cloned());
                all
            }
            Step::Join => {
                let mut out = Vec::new();
                for (k, a) in &records {
                    for (j, b) in other {
                        if k == j {
                            out.push((*k, format!("{a}|{b}")));
                        }
                    }
                }
                out
            }
            Step::CoGroup => {
                let mut counts: BTreeMap<u8, (usize, usize)> = BTreeMap::new();
                for (k, _) in &records {
                    counts.entry(*k).or_default().0 += 1;
                }
                for (k, _) in other {
                    counts.entry(*k).or_default().1 += 1;
                }
                counts
                    .into_iter()
                    .map(|(k, (left, right))| (k, format!("{left}:{right}")))
                    .collect()
            }
            Step::Count => vec![(0, records.len().to_string())],
            Step::Reduce => records.into_iter().max().into_iter().collect(),
        }
    }
}

/// The platform to pin each step to, for mixed runs.
pub fn pins() -> impl Strategy<Value = Vec<bool>> {
    prop::collection::vec(any::<bool>(), 6)
}

pub fn build(
    plan: &PlanBuilder,
    input: &[Record],
    other: &[Record],
    steps: &[Step],
    pins: Option<&[bool]>,
) -> DataQuanta<Record> {
    let second = plan.read_collection(other.to_vec());
    let mut current = plan.read_collection(input.to_vec());
    for (index, step) in steps.iter().enumerate() {
        current = apply(&current, step, &second);
        if let Some(pins) = pins {
            current = current.on(if pins[index % pins.len()] {
                "spark"
            } else {
                "java"
            });
        }
    }
    current
}

/// A sort as the last step fixes the order; otherwise results are multisets.
pub fn normalise(mut records: Vec<Record>, steps: &[Step]) -> Vec<Record> {
    if !matches!(steps.last(), Some(Step::Sort)) {
        records.sort();
    }
    records
}
