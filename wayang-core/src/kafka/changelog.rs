//! Reading a keyed topic as a table: the latest record per key, in
//! partition order, with tombstones (records without a value) deleting.
//!
//! A table read decodes every record of the topic into a
//! [`ChangelogEntry`], keeps the latest entry per (topic, key) with
//! [`ChangelogEntry::later`] (an ordinary reduce-by-key, so it runs on any
//! platform) and then keeps the live rows ([`ChangelogEntry::live`]).

/// One record of a changelog: its key and position, and its row (`None`
/// for a tombstone).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChangelogEntry<R> {
    /// The topic.
    pub topic: String,
    /// The record key.
    pub key: Vec<u8>,
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
    /// The decoded row; `None`: the key was deleted.
    pub row: Option<R>,
    /// Another partition that also holds this key, if any (a table needs
    /// each key in one partition; see [`ChangelogEntry::live`]).
    pub also_in: Option<i32>,
}

impl<R> ChangelogEntry<R> {
    /// The later of two entries of one key: the higher offset of their
    /// partition. Associative and commutative, so partial results may be
    /// combined in any order; entries of one key found in two partitions
    /// have no order, which is remembered in [`ChangelogEntry::also_in`].
    pub fn later(a: Self, b: Self) -> Self {
        let (mut kept, other) = if (a.partition, a.offset) >= (b.partition, b.offset) {
            (a, b)
        } else {
            (b, a)
        };
        // Invariant: `also_in` is never the entry's own partition.
        kept.also_in = kept
            .also_in
            .or_else(|| (other.partition != kept.partition).then_some(other.partition))
            .or(other.also_in.filter(|p| *p != kept.partition));
        kept
    }

    /// The live row of the key: `None` if its latest record is a
    /// tombstone; an error (without the key's bytes beyond a short,
    /// printable prefix) if the key is in two partitions.
    pub fn live(self) -> Result<Option<R>, String> {
        match self.also_in {
            Some(other) => Err(format!(
                "topic {:?}: key {} is in partitions {} and {}, so which record is the latest \
                 is undefined; a table needs each key in one partition (key every record the \
                 same way and keep the partition count)",
                self.topic,
                shown_key(&self.key),
                other.min(self.partition),
                other.max(self.partition),
            )),
            None => Ok(self.row),
        }
    }
}

/// A key for messages: its first 40 characters if it is UTF-8, else its
/// length.
pub fn shown_key(key: &[u8]) -> String {
    match std::str::from_utf8(key) {
        Ok(text) if text.chars().count() <= 40 => format!("{text:?}"),
        Ok(text) => format!("{:?}…", text.chars().take(40).collect::<String>()),
        Err(_) => format!("<{} bytes>", key.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(partition: i32, offset: i64, row: Option<u32>) -> ChangelogEntry<u32> {
        ChangelogEntry {
            topic: "t".into(),
            key: b"k".to_vec(),
            partition,
            offset,
            row,
            also_in: None,
        }
    }

    #[test]
    fn the_highest_offset_wins_in_any_order() {
        let entries = [
            entry(0, 3, Some(3)),
            entry(0, 7, Some(7)),
            entry(0, 5, None),
        ];
        for order in [[0, 1, 2], [2, 1, 0], [1, 0, 2], [2, 0, 1]] {
            let [a, b, c] = order.map(|i| entries[i].clone());
            let latest = ChangelogEntry::later(ChangelogEntry::later(a, b), c);
            assert_eq!(latest.live(), Ok(Some(7)));
        }
        let deleted = ChangelogEntry::later(entry(0, 7, Some(7)), entry(0, 9, None));
        assert_eq!(deleted.live(), Ok(None));
    }

    #[test]
    fn a_key_in_two_partitions_is_an_error_in_any_order() {
        let entries = [
            entry(0, 3, Some(3)),
            entry(2, 1, Some(1)),
            entry(0, 9, Some(9)),
        ];
        for order in [[0, 1, 2], [2, 1, 0], [1, 0, 2]] {
            let [a, b, c] = order.map(|i| entries[i].clone());
            let error = ChangelogEntry::later(a, ChangelogEntry::later(b, c))
                .live()
                .unwrap_err();
            assert!(error.contains("partitions 0 and 2"), "{error}");
            assert!(error.contains("key \"k\""), "{error}");
        }
    }

    #[test]
    fn keys_are_shown_short_and_never_as_raw_bytes() {
        assert_eq!(shown_key(b"emea|2025-01|food"), "\"emea|2025-01|food\"");
        assert_eq!(shown_key(&[0xff, 0, 1]), "<3 bytes>");
        assert!(shown_key("x".repeat(100).as_bytes()).ends_with('…'));
    }
}
