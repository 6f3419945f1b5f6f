//! Spark's datasets as channels: a list of partitions, lazy (`rdd`, read
//! once, Spark's RDD before an action) or materialised (`cached-rdd`,
//! reusable, Spark's cached RDD), and their conversions to core's channels.

use rayon::prelude::*;
use wayang_core::channels::{ChannelConversion, ChannelKind, ChannelPayload};
use wayang_core::{AnyIter, AnyVec, Channel, DataType, Error, Result, TaskContext};

use crate::plugin::{PARTITIONS_KEY, SPARK};

/// Lazy partitions: each is pulled (in parallel) by whoever consumes it.
pub const RDD: ChannelKind = ChannelKind::new("rdd", false);
/// Materialised partitions, which any number of consumers may read.
pub const CACHED_RDD: ChannelKind = ChannelKind::new("cached-rdd", true);

/// Both kinds, as every spark operator accepts either.
pub(crate) const EITHER: &[ChannelKind] = &[RDD, CACHED_RDD];

/// The payload of an `rdd` channel.
pub(crate) struct Partitions(pub Vec<AnyIter>);

impl ChannelPayload for Partitions {
    fn duplicate(&self) -> Option<Box<dyn ChannelPayload>> {
        None
    }

    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any + Send> {
        self
    }
}

/// The payload of a `cached-rdd` channel.
#[derive(Clone)]
pub(crate) struct CachedPartitions(pub Vec<AnyVec>);

impl ChannelPayload for CachedPartitions {
    fn duplicate(&self) -> Option<Box<dyn ChannelPayload>> {
        Some(Box::new(self.clone()))
    }

    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any + Send> {
        self
    }
}

/// The partitions of an `rdd` or `cached-rdd` channel, as streams.
pub(crate) fn partitions(channel: Channel) -> Result<Vec<AnyIter>> {
    let data_type = channel.data_type().clone();
    match channel.kind() {
        kind if kind == RDD => Ok(channel.into_payload::<Partitions>()?.0),
        kind if kind == CACHED_RDD => channel
            .into_payload::<CachedPartitions>()?
            .0
            .into_iter()
            .map(|part| data_type.iter(part))
            .collect(),
        other => Err(Error::internal(format!(
            "a spark operator got a {other} channel"
        ))),
    }
}

/// Pulls every partition, in parallel (on the pool the caller runs in).
pub(crate) fn materialize(data_type: &DataType, parts: Vec<AnyIter>) -> Result<Vec<AnyVec>> {
    parts
        .into_par_iter()
        .map(|part| data_type.collect(part))
        .collect()
}

/// Instruments every partition and makes them the operator's output.
pub(crate) fn emit(ctx: &TaskContext<'_>, parts: Vec<AnyIter>) -> Result<Option<Channel>> {
    let data_type = ctx.output_type()?.clone();
    let parts = parts
        .into_iter()
        .map(|part| ctx.instrument(part))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(Channel::new(RDD, data_type, Partitions(parts))))
}

/// The partitions of a collection: `partitions` slices of nearly equal size,
/// in order, sharing the collection's records.
pub(crate) fn slices(
    data_type: &DataType,
    records: &AnyVec,
    partitions: usize,
) -> Result<Vec<AnyIter>> {
    let (len, parts) = (records.len(), partitions.max(1));
    (0..parts)
        .map(|i| data_type.iter_range(records.clone(), len * i / parts, len * (i + 1) / parts))
        .collect()
}

/// Spark's conversions. Order matters where two paths are equally short:
/// an `rdd` read by several consumers is cached, not collected.
pub(crate) fn conversions() -> Vec<ChannelConversion> {
    vec![
        ChannelConversion::new("CacheRdd", RDD, CACHED_RDD, |channel, _| {
            let data_type = channel.data_type().clone();
            let parts = materialize(&data_type, partitions(channel)?)?;
            Ok(Channel::new(CACHED_RDD, data_type, CachedPartitions(parts)))
        })
        .on(SPARK),
        ChannelConversion::new("CollectRdd", RDD, ChannelKind::COLLECTION, |channel, _| {
            let data_type = channel.data_type().clone();
            let parts = materialize(&data_type, partitions(channel)?)?;
            Ok(Channel::collection(
                data_type.clone(),
                data_type.concat(parts)?,
            ))
        })
        .on(SPARK),
        ChannelConversion::new(
            "CollectCachedRdd",
            CACHED_RDD,
            ChannelKind::COLLECTION,
            |channel, _| {
                let data_type = channel.data_type().clone();
                let parts = channel.into_payload::<CachedPartitions>()?.0;
                Ok(Channel::collection(
                    data_type.clone(),
                    data_type.concat(parts)?,
                ))
            },
        ),
        ChannelConversion::new(
            "ParallelizeCollection",
            ChannelKind::COLLECTION,
            RDD,
            |channel, config| {
                let data_type = channel.data_type().clone();
                let partitions = config
                    .get_or(PARTITIONS_KEY, crate::plugin::cores())?
                    .max(1);
                let parts = slices(&data_type, &channel.into_collection()?, partitions)?;
                Ok(Channel::new(RDD, data_type, Partitions(parts)))
            },
        ),
    ]
}
