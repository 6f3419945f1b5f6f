//! Operators that work on each partition alone: transforms, union, sample.

use std::collections::HashSet;

use rayon::prelude::*;
use wayang_core::operators::SplitMix64;
use wayang_core::{Channel, Operator, Result, TaskContext};

use super::{inputs, mismatch};
use crate::rdd::{emit, materialize};

/// SparkMapOperator, SparkFlatMapOperator, SparkFilterOperator and
/// SparkMapPartitionsOperator: the kernel on every partition, fused and lazy.
pub(crate) fn transform(
    op: &Operator,
    channels: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let (Operator::Map(t)
    | Operator::FlatMap(t)
    | Operator::Filter(t)
    | Operator::MapPartitions(t)) = op
    else {
        return Err(mismatch(op, "transform"));
    };
    let [parts] = inputs(channels)?;
    let out = parts
        .into_iter()
        .map(|part| t.kernel.apply(part))
        .collect::<Result<Vec<_>>>()?;
    emit(ctx, out)
}

/// SparkUnionOperator: the partitions of both inputs (no shuffle).
pub(crate) fn union(
    op: &Operator,
    channels: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::Union(_) = op else {
        return Err(mismatch(op, "union"));
    };
    let [mut left, right] = inputs(channels)?;
    left.extend(right);
    emit(ctx, left)
}

/// SparkSampleOperator: an exactly uniform sample across partitions. The
/// partitions are counted, `size` global positions are drawn (Floyd's
/// algorithm), and each partition keeps a uniform sample of as many records
/// as positions fell into it.
pub(crate) fn sample(
    op: &Operator,
    channels: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::Sample(s) = op else {
        return Err(mismatch(op, "sample"));
    };
    let [parts] = inputs(channels)?;
    ctx.probe().mark_started();
    let parts = materialize(&s.data_type, parts)?;
    let mut rng = s
        .seed
        .map_or_else(SplitMix64::from_entropy, SplitMix64::new);
    let quotas = quotas(
        &parts.iter().map(|p| p.len() as u64).collect::<Vec<_>>(),
        s.size as u64,
        &mut rng,
    );
    let seeds: Vec<u64> = parts.iter().map(|_| rng.next_u64()).collect();
    let out = parts
        .into_par_iter()
        .zip(quotas)
        .zip(seeds)
        .map(|((part, quota), seed)| {
            s.data_type.sample(
                s.data_type.iter(part)?,
                quota as usize,
                SplitMix64::new(seed),
            )
        })
        .collect::<Result<Vec<_>>>()?;
    emit(ctx, out)
}

/// How many of `size` uniformly drawn positions fall into each partition.
fn quotas(lengths: &[u64], size: u64, rng: &mut SplitMix64) -> Vec<u64> {
    let total: u64 = lengths.iter().sum();
    if size >= total {
        return lengths.to_vec();
    }
    // Floyd: `size` distinct positions in 0..total with `size` draws.
    let mut chosen = HashSet::with_capacity(size as usize);
    for j in total - size..total {
        let t = rng.below(j + 1);
        if !chosen.insert(t) {
            chosen.insert(j);
        }
    }
    let mut ends = Vec::with_capacity(lengths.len());
    let mut end = 0;
    for length in lengths {
        end += length;
        ends.push(end);
    }
    let mut quotas = vec![0; lengths.len()];
    for position in chosen {
        quotas[ends.partition_point(|e| *e <= position)] += 1;
    }
    quotas
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_add_up_and_respect_lengths() {
        let mut rng = SplitMix64::new(3);
        let lengths = [5, 0, 100, 1];
        for size in [0, 1, 10, 105, 106, 500] {
            let q = quotas(&lengths, size, &mut rng);
            assert_eq!(q.iter().sum::<u64>(), size.min(106));
            assert!(q.iter().zip(&lengths).all(|(q, l)| q <= l), "{q:?}");
        }
    }

    #[test]
    fn quotas_are_proportional_on_average() {
        let mut rng = SplitMix64::new(11);
        let lengths = [300, 100];
        let mut first = 0;
        for _ in 0..1000 {
            first += quotas(&lengths, 40, &mut rng)[0];
        }
        assert!((29_000..31_000).contains(&first), "{first}");
    }
}
