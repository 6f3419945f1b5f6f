//! SparkCollectionSource and SparkTextFileSource.

use wayang_core::operators::TextFileSource;
use wayang_core::{Channel, Operator, Result, TaskContext};

use super::{mismatch, state};
use crate::rdd::{emit, slices};

/// SparkCollectionSource: the collection in `wayang.spark.partitions` slices
/// (shared, not copied).
pub(crate) fn collection(
    op: &Operator,
    _: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::CollectionSource(source) = op else {
        return Err(mismatch(op, "collection source"));
    };
    emit(
        ctx,
        slices(&source.data_type, &source.records, state(ctx)?.partitions)?,
    )
}

/// SparkTextFileSource: one byte-range split of the file per partition, each
/// reading the lines that start in it (Hadoop's line splits).
pub(crate) fn text_file(
    op: &Operator,
    _: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::TextFileSource(source) = op else {
        return Err(mismatch(op, "text file source"));
    };
    let size = source.size(ctx.probe())?;
    let splits = state(ctx)?.partitions as u64;
    let parts = TextFileSource::splits(size, splits)
        .map(|(start, end)| source.open(start, end, ctx.probe().clone()))
        .collect::<Result<Vec<_>>>()?;
    emit(ctx, parts)
}
