//! Channels: how data moves from one execution operator to the next.
//!
//! A channel kind is a name plus whether it may be read more than once. Core
//! defines the two in-memory kinds every platform can use; platforms add their
//! own kinds (a partitioned dataset, say) together with conversions to and from
//! these. The payload of a channel is erased; each kind fixes its payload type.

mod conversion;

pub(crate) use conversion::find_path;
pub use conversion::{builtin_conversions, ChannelConversion, ConvertFn};

use std::any::Any;
use std::fmt;

use crate::data::{AnyIter, AnyVec, DataType};
use crate::error::{Error, Result};

/// A kind of channel.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChannelKind {
    name: &'static str,
    reusable: bool,
}

impl ChannelKind {
    /// A one-shot, lazily pulled stream of records; payload [`AnyIter`].
    pub const STREAM: ChannelKind = ChannelKind::new("stream", false);
    /// A materialised collection that may be read any number of times;
    /// payload [`AnyVec`].
    pub const COLLECTION: ChannelKind = ChannelKind::new("collection", true);

    /// A new kind. Names must be unique across all plugins.
    pub const fn new(name: &'static str, reusable: bool) -> Self {
        ChannelKind { name, reusable }
    }

    /// The kind's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether a channel of this kind can be read by several consumers.
    pub fn is_reusable(&self) -> bool {
        self.reusable
    }
}

impl fmt::Debug for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// The contents of a channel. Reusable kinds hand out copies (cheap handles).
pub trait ChannelPayload: Send + 'static {
    /// Another handle to the same data, if this payload can be read twice.
    fn duplicate(&self) -> Option<Box<dyn ChannelPayload>>;
    /// The payload as `Any`, to recover its concrete type.
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

impl ChannelPayload for AnyIter {
    fn duplicate(&self) -> Option<Box<dyn ChannelPayload>> {
        None
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

impl ChannelPayload for AnyVec {
    fn duplicate(&self) -> Option<Box<dyn ChannelPayload>> {
        Some(Box::new(self.clone()))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// Data in transit between two execution operators.
pub struct Channel {
    kind: ChannelKind,
    data_type: DataType,
    payload: Box<dyn ChannelPayload>,
}

impl Channel {
    /// A channel of any kind.
    pub fn new(kind: ChannelKind, data_type: DataType, payload: impl ChannelPayload) -> Self {
        Channel {
            kind,
            data_type,
            payload: Box::new(payload),
        }
    }

    /// A stream channel.
    pub fn stream(data_type: DataType, records: AnyIter) -> Self {
        Self::new(ChannelKind::STREAM, data_type, records)
    }

    /// A collection channel.
    pub fn collection(data_type: DataType, records: AnyVec) -> Self {
        Self::new(ChannelKind::COLLECTION, data_type, records)
    }

    /// The channel's kind.
    pub fn kind(&self) -> ChannelKind {
        self.kind
    }

    /// The type of its records.
    pub fn data_type(&self) -> &DataType {
        &self.data_type
    }

    /// Another handle to the same data, for reusable kinds.
    pub fn duplicate(&self) -> Option<Channel> {
        Some(Channel {
            kind: self.kind,
            data_type: self.data_type.clone(),
            payload: self.payload.duplicate()?,
        })
    }

    /// The payload, which must be of type `P` (as the kind promises).
    pub fn into_payload<P: 'static>(self) -> Result<P> {
        let kind = self.kind;
        self.payload
            .into_any()
            .downcast::<P>()
            .map(|p| *p)
            .map_err(|_| {
                Error::internal(format!(
                    "a {kind} channel does not hold a {}",
                    std::any::type_name::<P>()
                ))
            })
    }

    /// The records of a stream channel.
    pub fn into_stream(self) -> Result<AnyIter> {
        self.expect(ChannelKind::STREAM)?.into_payload()
    }

    /// The records of a collection channel.
    pub fn into_collection(self) -> Result<AnyVec> {
        self.expect(ChannelKind::COLLECTION)?.into_payload()
    }

    fn expect(self, kind: ChannelKind) -> Result<Self> {
        if self.kind == kind {
            Ok(self)
        } else {
            Err(Error::internal(format!(
                "expected a {kind} channel, got a {} channel",
                self.kind
            )))
        }
    }
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} channel of {}", self.kind, self.data_type.name())
    }
}
