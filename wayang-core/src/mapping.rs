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
