//! Operators with two inputs.

use wayang_core::{Channel, Error, Operator, Result, TaskContext};

use super::{emit, mismatch, streams};

/// JavaJoinOperator: hash join, building on the right input.
pub(crate) fn join(
    op: &Operator,
    inputs: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::Join(j) = op else {
        return Err(mismatch(op, "join"));
    };
    let [left, right] = streams(inputs)?;
    emit(ctx, j.kernel.join(left, right)?)
}

/// JavaUnionOperator: the left stream, then the right.
pub(crate) fn union(
    op: &Operator,
    inputs: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::Union(u) = op else {
        return Err(mismatch(op, "union"));
    };
    let [left, right] = streams(inputs)?;
    emit(ctx, u.data_type.chain(vec![left, right])?)
}

/// JavaCartesianOperator: streams the left input against the materialised right.
pub(crate) fn cartesian(
    op: &Operator,
    inputs: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::Cartesian(c) = op else {
        return Err(mismatch(op, "cartesian"));
    };
    let mut inputs = inputs.into_iter();
    let (Some(left), Some(right)) = (inputs.next(), inputs.next()) else {
        return Err(Error::internal("cartesian needs two inputs"));
    };
    emit(
        ctx,
        c.kernel
            .cross(left.into_stream()?, right.into_collection()?)?,
    )
}

/// JavaCoGroupOperator: groups both inputs by key.
pub(crate) fn co_group(
    op: &Operator,
    inputs: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::CoGroup(c) = op else {
        return Err(mismatch(op, "co-group"));
    };
    let [left, right] = streams(inputs)?;
    emit(ctx, c.kernel.co_group(left, right)?)
}
