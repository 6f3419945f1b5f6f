//! The spark platform's execution operators, as functions run by core's
//! `FnOperator`, grouped by family. Each works on a list of partitions:
//! narrow operators transform each lazily; wide operators shuffle, with the
//! map side run eagerly and in parallel and the reduce side left lazy, so the
//! consumer pulls every output partition in parallel.

pub(crate) mod binary;
pub(crate) mod kafka;
pub(crate) mod narrow;
pub(crate) mod sinks;
pub(crate) mod sources;
pub(crate) mod wide;

use rayon::prelude::*;
use wayang_core::{AnyIter, AnyVec, Channel, DataType, Error, Operator, Result, TaskContext};

use crate::executor::SparkState;
use crate::rdd::partitions;

/// The executor's state: parallelism and partition count.
pub(crate) fn state<'a>(ctx: &TaskContext<'a>) -> Result<&'a SparkState> {
    ctx.executor_state::<SparkState>()
}

/// The partitions of each input.
pub(crate) fn inputs<const N: usize>(inputs: Vec<Channel>) -> Result<[Vec<AnyIter>; N]> {
    let all = inputs
        .into_iter()
        .map(partitions)
        .collect::<Result<Vec<_>>>()?;
    all.try_into()
        .map_err(|_| Error::internal("wrong number of inputs"))
}

/// The error for an operator handed to the wrong run function (a bug in the
/// mappings register).
pub(crate) fn mismatch(operator: &Operator, expected: &str) -> Error {
    Error::internal(format!(
        "{operator:?} was mapped to the spark {expected} operator"
    ))
}

/// The map side of a shuffle: splits every input partition into `buckets`
/// buckets, in parallel, and returns the buckets by index: `result[b]` holds
/// bucket `b` of every input partition, in input order.
pub(crate) fn shuffle(
    parts: Vec<AnyIter>,
    buckets: usize,
    split: impl Fn(AnyIter) -> Result<Vec<AnyVec>> + Sync + Send,
) -> Result<Vec<Vec<AnyVec>>> {
    let split_parts: Vec<Vec<AnyVec>> = parts.into_par_iter().map(split).collect::<Result<_>>()?;
    let mut by_bucket: Vec<Vec<AnyVec>> = (0..buckets)
        .map(|_| Vec::with_capacity(split_parts.len()))
        .collect();
    for part in split_parts {
        if part.len() != buckets {
            return Err(Error::internal(format!(
                "a partitioner made {} buckets, not {buckets}",
                part.len()
            )));
        }
        for (bucket, records) in part.into_iter().enumerate() {
            by_bucket[bucket].push(records);
        }
    }
    Ok(by_bucket)
}

/// The reduce side's input for one bucket: its pieces from every map task.
pub(crate) fn gather(data_type: &DataType, pieces: Vec<AnyVec>) -> Result<AnyIter> {
    let streams = pieces
        .into_iter()
        .map(|piece| data_type.iter(piece))
        .collect::<Result<Vec<_>>>()?;
    data_type.chain(streams)
}
