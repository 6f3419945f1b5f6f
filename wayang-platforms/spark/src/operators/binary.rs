//! Operators over two inputs.

use wayang_core::{Channel, Error, Operator, Result, TaskContext};

use super::{gather, inputs, mismatch, shuffle, state};
use crate::rdd::{emit, partitions};

/// SparkJoinOperator: hash-partitions both sides by key (equal keys meet in
/// the same bucket), then hash-joins every bucket.
pub(crate) fn join(
    op: &Operator,
    channels: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::Join(j) = op else {
        return Err(mismatch(op, "join"));
    };
    let [left, right] = inputs(channels)?;
    let n = state(ctx)?.partitions;
    ctx.probe().mark_started();
    let left = shuffle(left, n, |part| j.kernel.partition_left(part, n))?;
    let right = shuffle(right, n, |part| j.kernel.partition_right(part, n))?;
    let out = left
        .into_iter()
        .zip(right)
        .map(|(l, r)| {
            j.kernel
                .join(gather(&j.left_type, l)?, gather(&j.right_type, r)?)
        })
        .collect::<Result<Vec<_>>>()?;
    emit(ctx, out)
}

/// SparkCoGroupOperator: hash-partitions both sides by key, then groups
/// every bucket.
pub(crate) fn co_group(
    op: &Operator,
    channels: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::CoGroup(c) = op else {
        return Err(mismatch(op, "co-group"));
    };
    let [left, right] = inputs(channels)?;
    let n = state(ctx)?.partitions;
    ctx.probe().mark_started();
    let left = shuffle(left, n, |part| c.kernel.partition_left(part, n))?;
    let right = shuffle(right, n, |part| c.kernel.partition_right(part, n))?;
    let out = left
        .into_iter()
        .zip(right)
        .map(|(l, r)| {
            c.kernel
                .co_group(gather(&c.left_type, l)?, gather(&c.right_type, r)?)
        })
        .collect::<Result<Vec<_>>>()?;
    emit(ctx, out)
}

/// SparkCartesianOperator: every left partition against the right input,
/// broadcast as one shared collection.
pub(crate) fn cartesian(
    op: &Operator,
    channels: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::Cartesian(c) = op else {
        return Err(mismatch(op, "cartesian"));
    };
    let mut channels = channels.into_iter();
    let (Some(left), Some(right)) = (channels.next(), channels.next()) else {
        return Err(Error::internal("cartesian needs two inputs"));
    };
    let right = right.into_collection()?;
    let out = partitions(left)?
        .into_iter()
        .map(|part| c.kernel.cross(part, right.clone()))
        .collect::<Result<Vec<_>>>()?;
    emit(ctx, out)
}
