//! Sources: an in-memory collection and a text file.

use wayang_core::{Channel, Operator, Result, TaskContext};

use super::{emit, mismatch};

/// JavaCollectionSource: streams the collection (without copying it when the
/// plan holds the only reference).
pub(crate) fn collection(
    op: &Operator,
    _: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::CollectionSource(source) = op else {
        return Err(mismatch(op, "collection source"));
    };
    emit(ctx, source.data_type.iter(source.records.clone())?)
}

/// JavaTextFileSource: streams the file's lines.
pub(crate) fn text_file(
    op: &Operator,
    _: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::TextFileSource(source) = op else {
        return Err(mismatch(op, "text file source"));
    };
    emit(ctx, source.open(0, u64::MAX, ctx.probe().clone())?)
}
