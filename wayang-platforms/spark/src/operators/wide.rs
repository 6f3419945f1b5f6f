//! Operators that need records of other partitions: the map side runs
//! eagerly and in parallel, the reduce side lazily per output partition.

use rayon::prelude::*;
use wayang_core::operators::SplitMix64;
use wayang_core::{AnyIter, Channel, Operator, Result, TaskContext};

use super::{gather, inputs, mismatch, shuffle, state};
use crate::rdd::{emit, materialize};

/// How many records per output partition the sort samples to pick its
/// range boundaries (Spark samples about 20 per partition too).
const SORT_SAMPLE_PER_PARTITION: usize = 20;

/// SparkReduceByOperator: combine within each partition, hash-partition the
/// partial results by key, combine each bucket.
pub(crate) fn reduce_by(
    op: &Operator,
    channels: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::ReduceBy(r) = op else {
        return Err(mismatch(op, "reduce-by"));
    };
    let [parts] = inputs(channels)?;
    let n = state(ctx)?.partitions;
    ctx.probe().mark_started();
    let buckets = shuffle(parts, n, |part| r.kernel.combine_and_partition(part, n))?;
    let out = buckets
        .into_iter()
        .map(|bucket| r.kernel.reduce(gather(&r.data_type, bucket)?))
        .collect::<Result<Vec<_>>>()?;
    emit(ctx, out)
}

/// SparkGroupByOperator: hash-partition by key, group each bucket.
pub(crate) fn group_by(
    op: &Operator,
    channels: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::GroupBy(g) = op else {
        return Err(mismatch(op, "group-by"));
    };
    let [parts] = inputs(channels)?;
    let n = state(ctx)?.partitions;
    ctx.probe().mark_started();
    let buckets = shuffle(parts, n, |part| g.kernel.partition(part, n))?;
    let out = buckets
        .into_iter()
        .map(|bucket| g.kernel.group(gather(&g.input_type, bucket)?))
        .collect::<Result<Vec<_>>>()?;
    emit(ctx, out)
}

/// SparkDistinctOperator: deduplicate within each partition, hash-partition,
/// deduplicate each bucket.
pub(crate) fn distinct(
    op: &Operator,
    channels: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::Distinct(d) = op else {
        return Err(mismatch(op, "distinct"));
    };
    let [parts] = inputs(channels)?;
    let n = state(ctx)?.partitions;
    ctx.probe().mark_started();
    let buckets = shuffle(parts, n, |part| {
        d.kernel.partition(d.kernel.distinct(part)?, n)
    })?;
    let out = buckets
        .into_iter()
        .map(|bucket| d.kernel.distinct(gather(&d.data_type, bucket)?))
        .collect::<Result<Vec<_>>>()?;
    emit(ctx, out)
}

/// SparkSortOperator: sample the keys, range-partition by the sampled
/// boundaries, sort each range. The output partitions are in key order, and
/// equal keys share a partition, so the sort is stable like java's.
pub(crate) fn sort(
    op: &Operator,
    channels: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::Sort(s) = op else {
        return Err(mismatch(op, "sort"));
    };
    let [parts] = inputs(channels)?;
    let n = state(ctx)?.partitions;
    ctx.probe().mark_started();
    let data_type = &s.data_type;
    let parts = materialize(data_type, parts)?;
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let wanted = SORT_SAMPLE_PER_PARTITION * n;
    let samples = parts
        .par_iter()
        .enumerate()
        .map(|(i, part)| {
            let share = (wanted * part.len()).div_ceil(total.max(1));
            // Seeded by position: the same input splits the same way.
            let sample = data_type.sample(
                data_type.iter(part.clone())?,
                share,
                SplitMix64::new(i as u64),
            )?;
            data_type.collect(sample)
        })
        .collect::<Result<Vec<_>>>()?;
    let bounds = s.kernel.bounds(data_type.concat(samples)?, n)?;
    let streams = parts
        .into_iter()
        .map(|p| data_type.iter(p))
        .collect::<Result<Vec<_>>>()?;
    let buckets = shuffle(streams, bounds.len() + 1, |part| {
        s.kernel.range_partition(part, &bounds)
    })?;
    let out = buckets
        .into_iter()
        .map(|bucket| s.kernel.sort(gather(data_type, bucket)?))
        .collect::<Result<Vec<_>>>()?;
    emit(ctx, out)
}

/// SparkCountOperator: counts every partition in parallel and adds them up.
pub(crate) fn count(
    op: &Operator,
    channels: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::Count(c) = op else {
        return Err(mismatch(op, "count"));
    };
    let [parts] = inputs(channels)?;
    ctx.probe().mark_started();
    let counts = parts
        .into_par_iter()
        .map(|part| Ok(c.input_type.count(part)?.downcast::<u64>()?.sum::<u64>()))
        .collect::<Result<Vec<u64>>>()?;
    let total: u64 = counts.into_iter().sum();
    emit(ctx, vec![AnyIter::new(std::iter::once(total))])
}

/// SparkGlobalReduceOperator: reduces every partition in parallel, then the
/// partial results.
pub(crate) fn global_reduce(
    op: &Operator,
    channels: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::GlobalReduce(g) = op else {
        return Err(mismatch(op, "global reduce"));
    };
    let [parts] = inputs(channels)?;
    ctx.probe().mark_started();
    let partial = parts
        .into_par_iter()
        .map(|part| g.data_type.collect(g.kernel.reduce(part)?))
        .collect::<Result<Vec<_>>>()?;
    emit(ctx, vec![g.kernel.reduce(gather(&g.data_type, partial)?)?])
}
