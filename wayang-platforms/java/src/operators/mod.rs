//! The java platform's execution operators.
//!
//! Every java operator has the same shape: it accepts streams (a cartesian's
//! right side: a collection), returns a lazily evaluated stream, and calls the
//! abstract operator's kernel once on its one stream. So each is core's
//! `FnOperator` with a Wayang name (`JavaMapOperator`, ...), a channel
//! signature and one of the functions here, grouped by family.

pub(crate) mod binary;
pub(crate) mod kafka;
pub(crate) mod sinks;
pub(crate) mod sources;
pub(crate) mod unary;

use wayang_core::{AnyIter, Channel, Error, Operator, Result, TaskContext};

/// Instruments a stream and makes it the operator's output.
pub(crate) fn emit(ctx: &TaskContext<'_>, records: AnyIter) -> Result<Option<Channel>> {
    let data_type = ctx.output_type()?.clone();
    Ok(Some(Channel::stream(data_type, ctx.instrument(records)?)))
}

/// Splits the input channels into streams.
pub(crate) fn streams<const N: usize>(inputs: Vec<Channel>) -> Result<[AnyIter; N]> {
    let streams = inputs
        .into_iter()
        .map(Channel::into_stream)
        .collect::<Result<Vec<_>>>()?;
    streams
        .try_into()
        .map_err(|_| Error::internal("wrong number of input streams"))
}

/// The error for an operator handed to the wrong run function (a bug in the
/// mappings register).
pub(crate) fn mismatch(operator: &Operator, expected: &str) -> Error {
    Error::internal(format!(
        "{operator:?} was mapped to the java {expected} operator"
    ))
}
