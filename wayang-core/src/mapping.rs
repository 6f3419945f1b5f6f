//! Mappings: which execution operator runs an abstract operator on a platform.

use std::fmt;
use std::sync::Arc;

use crate::operators::{Operator, OperatorKind};
use crate::platform::{ExecutionOperator, Platform};

/// Turns abstract operators of one kind into execution operators of one
/// platform.
pub trait Mapping: Send + Sync {
    /// The kind of abstract operator it matches.
    fn kind(&self) -> OperatorKind;

    /// The platform of the execution operators it creates.
    fn platform(&self) -> Platform;

    /// The execution operator for `operator`, or `None` if this mapping does
    /// not apply to it (another mapping may).
    fn map(&self, operator: &Operator) -> Option<Arc<dyn ExecutionOperator>>;
}

/// The factory of a [`KindMapping`].
pub type MappingFactory = dyn Fn(&Operator) -> Option<Arc<dyn ExecutionOperator>> + Send + Sync;

/// A mapping that is a pattern (an operator kind) plus a factory, which is
/// what nearly every mapping is.
pub struct KindMapping {
    kind: OperatorKind,
    platform: Platform,
    factory: Box<MappingFactory>,
}

impl KindMapping {
    /// A mapping of `kind` onto `platform`.
    pub fn new(
        kind: OperatorKind,
        platform: Platform,
        factory: impl Fn(&Operator) -> Option<Arc<dyn ExecutionOperator>> + Send + Sync + 'static,
    ) -> Self {
        KindMapping {
            kind,
            platform,
            factory: Box::new(factory),
        }
    }
}

impl Mapping for KindMapping {
    fn kind(&self) -> OperatorKind {
        self.kind
    }

    fn platform(&self) -> Platform {
        self.platform
    }

    fn map(&self, operator: &Operator) -> Option<Arc<dyn ExecutionOperator>> {
        if operator.kind() == self.kind {
            (self.factory)(operator)
        } else {
            None
        }
    }
}

impl fmt::Debug for KindMapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Mapping on {}", self.kind, self.platform)
    }
}

/// How an [`FnOperator`] runs: the abstract operator, its input channels and
/// its context in, its output channel out.
pub type RunFn = fn(
    &Operator,
    Vec<crate::Channel>,
    &crate::TaskContext<'_>,
) -> crate::Result<Option<crate::Channel>>;

/// An execution operator whose behaviour is a function: most execution
/// operators only differ in their name, channel signature and what they call
/// on the abstract operator's kernels, so one struct serves a whole platform.
pub struct FnOperator {
    name: &'static str,
    platform: Platform,
    operator: Operator,
    inputs: &'static [&'static [crate::ChannelKind]],
    output: crate::ChannelKind,
    run: RunFn,
}

impl FnOperator {
    /// An execution operator named `name` on `platform` for `operator`,
    /// accepting `inputs` (kinds per slot), producing `output` and running
    /// `run`.
    pub fn new(
        name: &'static str,
        platform: Platform,
        operator: Operator,
        inputs: &'static [&'static [crate::ChannelKind]],
        output: crate::ChannelKind,
        run: RunFn,
    ) -> Self {
        FnOperator {
            name,
            platform,
            operator,
            inputs,
            output,
            run,
        }
    }
}

impl ExecutionOperator for FnOperator {
    fn name(&self) -> &'static str {
        self.name
    }

    fn platform(&self) -> Platform {
        self.platform
    }

    fn input_channels(&self, slot: usize) -> &[crate::ChannelKind] {
        self.inputs.get(slot).copied().unwrap_or(&[])
    }

    fn output_channel(&self) -> Option<crate::ChannelKind> {
        self.operator.output_type().map(|_| self.output)
    }

    fn execute(
        &self,
        inputs: Vec<crate::Channel>,
        ctx: &crate::TaskContext<'_>,
    ) -> crate::Result<Option<crate::Channel>> {
        if inputs.len() != self.inputs.len() {
            return Err(crate::Error::internal(format!(
                "{} got {} inputs, expects {}",
                self.name,
                inputs.len(),
                self.inputs.len()
            )));
        }
        (self.run)(&self.operator, inputs, ctx)
    }
}

impl fmt::Debug for FnOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} for {:?}", self.name, self.operator)
    }
}

/// A mapping of `kind` onto `platform` whose execution operator is an
/// [`FnOperator`] named `name` that accepts `inputs` (kinds per slot),
/// produces `output` and runs `run`.
pub fn fn_mapping(
    kind: OperatorKind,
    platform: Platform,
    name: &'static str,
    inputs: &'static [&'static [crate::ChannelKind]],
    output: crate::ChannelKind,
    run: RunFn,
) -> Arc<dyn Mapping> {
    Arc::new(KindMapping::new(kind, platform, move |operator| {
        let operator = FnOperator::new(name, platform, operator.clone(), inputs, output, run);
        Some(Arc::new(operator) as Arc<dyn ExecutionOperator>)
    }))
}
