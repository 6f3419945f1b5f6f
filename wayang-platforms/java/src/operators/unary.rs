//! Operators with one input: narrow transforms, sampling and aggregations.
//! Each calls its kernel once on the whole input stream.

use wayang_core::operators::SplitMix64;
use wayang_core::{Channel, Operator, Result, TaskContext};

use super::{emit, mismatch, streams};

/// JavaMapOperator, JavaFlatMapOperator, JavaFilterOperator and
/// JavaMapPartitionsOperator: the transform, streamed.
pub(crate) fn transform(
    op: &Operator,
    inputs: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let (Operator::Map(t)
    | Operator::FlatMap(t)
    | Operator::Filter(t)
    | Operator::MapPartitions(t)) = op
    else {
        return Err(mismatch(op, "transform"));
    };
    let [input] = streams(inputs)?;
    emit(ctx, t.kernel.apply(input)?)
}

/// JavaSampleOperator: reservoir sampling over the stream.
pub(crate) fn sample(
    op: &Operator,
    inputs: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::Sample(s) = op else {
        return Err(mismatch(op, "sample"));
    };
    let [input] = streams(inputs)?;
    let rng = s
        .seed
        .map_or_else(SplitMix64::from_entropy, SplitMix64::new);
    emit(ctx, s.data_type.sample(input, s.size, rng)?)
}

/// JavaReduceByOperator: one hash aggregation over the stream.
pub(crate) fn reduce_by(
    op: &Operator,
    inputs: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::ReduceBy(r) = op else {
        return Err(mismatch(op, "reduce-by"));
    };
    let [input] = streams(inputs)?;
    emit(ctx, r.kernel.reduce(input)?)
}

/// JavaGroupByOperator: one hash grouping over the stream.
pub(crate) fn group_by(
    op: &Operator,
    inputs: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::GroupBy(g) = op else {
        return Err(mismatch(op, "group-by"));
    };
    let [input] = streams(inputs)?;
    emit(ctx, g.kernel.group(input)?)
}

/// JavaDistinctOperator: streams first occurrences.
pub(crate) fn distinct(
    op: &Operator,
    inputs: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::Distinct(d) = op else {
        return Err(mismatch(op, "distinct"));
    };
    let [input] = streams(inputs)?;
    emit(ctx, d.kernel.distinct(input)?)
}

/// JavaSortOperator: one stable sort of the whole input.
pub(crate) fn sort(
    op: &Operator,
    inputs: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::Sort(s) = op else {
        return Err(mismatch(op, "sort"));
    };
    let [input] = streams(inputs)?;
    emit(ctx, s.kernel.sort(input)?)
}

/// JavaCountOperator: counts the stream.
pub(crate) fn count(
    op: &Operator,
    inputs: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::Count(c) = op else {
        return Err(mismatch(op, "count"));
    };
    let [input] = streams(inputs)?;
    emit(ctx, c.input_type.count(input)?)
}

/// JavaGlobalReduceOperator: folds the stream into one record.
pub(crate) fn global_reduce(
    op: &Operator,
    inputs: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::GlobalReduce(g) = op else {
        return Err(mismatch(op, "global reduce"));
    };
    let [input] = streams(inputs)?;
    emit(ctx, g.kernel.reduce(input)?)
}
