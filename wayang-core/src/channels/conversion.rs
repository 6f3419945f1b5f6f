//! Conversions between channel kinds, and the search for a chain of them.

use std::fmt;
use std::sync::Arc;

use super::{Channel, ChannelKind};
use crate::config::Configuration;
use crate::error::Result;
use crate::platform::Platform;

/// The function that converts one channel into another kind.
pub type ConvertFn = dyn Fn(Channel, &Configuration) -> Result<Channel> + Send + Sync;

/// Converts channels of one kind into another.
#[derive(Clone)]
pub struct ChannelConversion {
    /// A name for plans and reports, e.g. `"CollectStream"`.
    pub name: &'static str,
    /// The kind it reads.
    pub from: ChannelKind,
    /// The kind it produces.
    pub to: ChannelKind,
    /// The platform whose executor runs it (a thread pool, say); `None`:
    /// whichever stage it falls in.
    pub platform: Option<Platform>,
    convert: Arc<ConvertFn>,
}

impl ChannelConversion {
    /// A conversion.
    pub fn new(
        name: &'static str,
        from: ChannelKind,
        to: ChannelKind,
        convert: impl Fn(Channel, &Configuration) -> Result<Channel> + Send + Sync + 'static,
    ) -> Self {
        ChannelConversion {
            name,
            from,
            to,
            platform: None,
            convert: Arc::new(convert),
        }
    }

    /// Runs the conversion on `platform`'s executor.
    pub fn on(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }

    /// Converts a channel.
    pub fn apply(&self, channel: Channel, config: &Configuration) -> Result<Channel> {
        (self.convert)(channel, config)
    }
}

impl fmt::Debug for ChannelConversion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} -> {})", self.name, self.from, self.to)
    }
}

/// The conversions between core's own kinds, available on every context.
pub fn builtin_conversions() -> Vec<ChannelConversion> {
    vec![
        ChannelConversion::new(
            "CollectStream",
            ChannelKind::STREAM,
            ChannelKind::COLLECTION,
            |channel, _| {
                let data_type = channel.data_type().clone();
                let records = data_type.collect(channel.into_stream()?)?;
                Ok(Channel::collection(data_type, records))
            },
        ),
        ChannelConversion::new(
            "StreamCollection",
            ChannelKind::COLLECTION,
            ChannelKind::STREAM,
            |channel, _| {
                let data_type = channel.data_type().clone();
                let records = data_type.iter(channel.into_collection()?)?;
                Ok(Channel::stream(data_type, records))
            },
        ),
    ]
}

/// The shortest chain of conversions from `from` to any kind `accept` allows
/// (earlier conversions win ties); empty if `from` is accepted as is.
pub(crate) fn find_path(
    conversions: &[ChannelConversion],
    from: ChannelKind,
    accept: impl Fn(ChannelKind) -> bool,
) -> Option<Vec<ChannelConversion>> {
    // Breadth-first over kinds, remembering the conversion that reached each.
    let mut reached: Vec<(ChannelKind, Option<(usize, usize)>)> = vec![(from, None)];
    let mut next = 0;
    while next < reached.len() {
        let (kind, _) = reached[next];
        if accept(kind) {
            let mut path = Vec::new();
            let mut at = next;
            while let (_, Some((parent, conversion))) = reached[at] {
                path.push(conversions[conversion].clone());
                at = parent;
            }
            path.reverse();
            return Some(path);
        }
        for (index, conversion) in conversions.iter().enumerate() {
            if conversion.from == kind && !reached.iter().any(|(k, _)| *k == conversion.to) {
                reached.push((conversion.to, Some((next, index))));
            }
        }
        next += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{AnyIter, DataType};

    #[test]
    fn builtin_round_trip() {
        let config = Configuration::default();
        let [collect, stream] = <[ChannelConversion; 2]>::try_from(builtin_conversions()).unwrap();
        let channel = Channel::stream(DataType::of::<u8>(), AnyIter::new(1..4u8));
        let collected = collect.apply(channel, &config).unwrap();
        assert_eq!(collected.kind(), ChannelKind::COLLECTION);
        let copy = collected.duplicate().unwrap();
        let streamed = stream.apply(copy, &config).unwrap().into_stream().unwrap();
        assert_eq!(
            streamed.downcast::<u8>().unwrap().collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert_eq!(collected.into_collection().unwrap().len(), 3);
    }

    #[test]
    fn finds_shortest_paths() {
        let other = ChannelKind::new("other", true);
        let mut all = builtin_conversions();
        all.push(ChannelConversion::new(
            "ToOther",
            ChannelKind::COLLECTION,
            other,
            |c, _| Ok(c),
        ));
        let path = find_path(&all, ChannelKind::STREAM, |k| k == other).unwrap();
        let names: Vec<_> = path.iter().map(|c| c.name).collect();
        assert_eq!(names, ["CollectStream", "ToOther"]);
        assert!(
            find_path(&all, ChannelKind::STREAM, |k| k == ChannelKind::STREAM)
                .unwrap()
                .is_empty()
        );
        assert!(find_path(&all, other, |k| k == ChannelKind::STREAM).is_none());
    }
}
