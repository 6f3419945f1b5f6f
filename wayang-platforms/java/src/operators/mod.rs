//! The java platform's execution operators.
//!
//! Every java operator has the same shape: it accepts streams (a cartesian's
//! right side: a collection), returns a lazily evaluated stream, and calls the
//! abstract operator's kernel once on its one stream. So one struct,
//! [`JavaOperator`], carries the Wayang name (`JavaMapOperator`, ...), the
//! channel signature and the function that runs it; the functions are grouped
//! by family in this module's files.

pub(crate) mod binary;
pub(crate) mod kafka;
pub(crate) mod sinks;
pub(crate) mod sources;
pub(crate) mod unary;

use std::fmt;

use wayang_core::channels::ChannelKind;
use wayang_core::{
    AnyIter, Channel, Error, ExecutionOperator, Operator, Platform, Result, TaskContext,
};

use crate::JAVA;

/// How a java operator runs: the abstract operator, its input channels and
/// its context in, its output channel out.
pub(crate) type RunFn = fn(&Operator, Vec<Channel>, &TaskContext<'_>) -> Result<Option<Channel>>;

/// An abstract operator as the java platform executes it.
pub struct JavaOperator {
    name: &'static str,
    operator: Operator,
    inputs: &'static [&'static [ChannelKind]],
    run: RunFn,
}

impl JavaOperator {
    pub(crate) fn new(
        name: &'static str,
        operator: Operator,
        inputs: &'static [&'static [ChannelKind]],
        run: RunFn,
    ) -> Self {
        JavaOperator {
            name,
            operator,
            inputs,
            run,
        }
    }
}

impl ExecutionOperator for JavaOperator {
    fn name(&self) -> &'static str {
        self.name
    }

    fn platform(&self) -> Platform {
        JAVA
    }

    fn input_channels(&self, slot: usize) -> &[ChannelKind] {
        self.inputs.get(slot).copied().unwrap_or(&[])
    }

    fn output_channel(&self) -> Option<ChannelKind> {
        self.operator.output_type().map(|_| ChannelKind::STREAM)
    }

    fn execute(&self, inputs: Vec<Channel>, ctx: &TaskContext<'_>) -> Result<Option<Channel>> {
        if inputs.len() != self.inputs.len() {
            return Err(Error::internal(format!(
                "{} got {} inputs, expects {}",
                self.name,
                inputs.len(),
                self.inputs.len()
            )));
        }
        (self.run)(&self.operator, inputs, ctx)
    }
}

impl fmt::Debug for JavaOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} for {:?}", self.name, self.operator)
    }
}

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
