//! KafkaTopicSource: a bounded read of one or more topics of one cluster.

use std::marker::PhantomData;
use std::sync::Arc;

use crate::data::{AnyIter, Data, DataType};
use crate::formats::registry::SchemaRegistry;
use crate::formats::Format;
use crate::kafka::{
    BadRecordPolicy, ChangelogEntry, ExactlyOnce, KafkaCluster, KafkaRecord, RecordView,
    StartOffsets, StopOffsets,
};

/// Raw records being read, offered one at a time to a decoder. Implemented
/// by `wayang-kafka`'s reader, which also applies the bad-record policy.
pub trait RawRecords: Send {
    /// Offers the next record to `decode`. If `decode` rejects it (with the
    /// reason), the reader applies the source's [`BadRecordPolicy`]. Returns
    /// `false` when the read is over (or has failed).
    fn next_record(
        &mut self,
        decode: &mut dyn FnMut(&RecordView<'_>) -> Result<(), String>,
    ) -> bool;
}

/// Turns raw records into typed ones, erased.
pub trait RecordDecoder: Send + Sync {
    /// The format's name, for messages.
    fn format(&self) -> &'static str;
    /// Whether the reader must supply headers in the record views.
    fn needs_headers(&self) -> bool;
    /// Whether decoding needs the cluster's Schema Registry.
    fn needs_registry(&self) -> bool {
        false
    }
    /// Decodes a stream of raw records lazily; `registry` is the cluster's
    /// Schema Registry, where it has one.
    fn decode(
        &self,
        records: Box<dyn RawRecords>,
        registry: Option<&Arc<dyn SchemaRegistry>>,
    ) -> AnyIter;
}

/// Reads topics of one cluster from start to stop offsets resolved when the
/// job starts; the output type depends on the decoder.
#[derive(Clone)]
pub struct KafkaTopicSource {
    /// The cluster.
    pub cluster: KafkaCluster,
    /// The topics.
    pub topics: Vec<String>,
    /// Where each partition starts.
    pub start: StartOffsets,
    /// Where each partition stops.
    pub stop: StopOffsets,
    /// The consumer group: its committed offsets may be the start, and the
    /// read offsets are committed to it once the whole job succeeded.
    pub group: Option<String>,
    /// What to do with records that do not decode.
    pub on_bad_record: BadRecordPolicy,
    /// Whether the topics are read as tables (changelogs): always from the
    /// earliest offset, every record keyed, tombstones kept for the
    /// decoder ([`ChangelogDecoder`]).
    pub table: bool,
    /// The exactly-once job this source belongs to: it resumes from the
    /// positions the job last committed, and the positions it reaches are
    /// committed with the job's output.
    pub exactly_once: Option<ExactlyOnce>,
    /// The typed decoder.
    pub decoder: Arc<dyn RecordDecoder>,
    /// The output record type.
    pub output_type: DataType,
}

/// Decodes each payload with a format: the output is the values.
pub struct ValueDecoder<F>(PhantomData<fn() -> F>);

impl<F> Default for ValueDecoder<F> {
    fn default() -> Self {
        ValueDecoder(PhantomData)
    }
}

impl<F: Format> RecordDecoder for ValueDecoder<F> {
    fn format(&self) -> &'static str {
        F::NAME
    }

    fn needs_headers(&self) -> bool {
        false
    }

    fn decode(
        &self,
        records: Box<dyn RawRecords>,
        _registry: Option<&Arc<dyn SchemaRegistry>>,
    ) -> AnyIter {
        AnyIter::new(Decoded {
            records,
            decode: |view: &RecordView<'_>| F::decode(payload(view)?),
            _type: PhantomData,
        })
    }
}

/// Decodes each payload with a format and keeps the record's metadata: the
/// output is [`KafkaRecord`]s.
pub struct RecordWithMetadataDecoder<F>(PhantomData<fn() -> F>);

impl<F> Default for RecordWithMetadataDecoder<F> {
    fn default() -> Self {
        RecordWithMetadataDecoder(PhantomData)
    }
}

impl<F: Format> RecordDecoder for RecordWithMetadataDecoder<F> {
    fn format(&self) -> &'static str {
        F::NAME
    }

    fn needs_headers(&self) -> bool {
        true
    }

    fn decode(
        &self,
        records: Box<dyn RawRecords>,
        _registry: Option<&Arc<dyn SchemaRegistry>>,
    ) -> AnyIter {
        AnyIter::new(Decoded {
            records,
            decode: |view: &RecordView<'_>| Ok(with_metadata(view, F::decode(payload(view)?)?)),
            _type: PhantomData,
        })
    }
}

/// Decodes a changelog: every record keyed, a record without a value is a
/// tombstone ([`ChangelogEntry::row`] `None`); the rows are the values
/// decoded with `F`, or (with `META`) [`KafkaRecord`]s.
pub struct ChangelogDecoder<F, const META: bool>(PhantomData<fn() -> F>);

impl<F, const META: bool> Default for ChangelogDecoder<F, META> {
    fn default() -> Self {
        ChangelogDecoder(PhantomData)
    }
}

impl<F: Format, const META: bool> RecordDecoder for ChangelogDecoder<F, META> {
    fn format(&self) -> &'static str {
        F::NAME
    }

    fn needs_headers(&self) -> bool {
        META
    }

    fn decode(
        &self,
        records: Box<dyn RawRecords>,
        _registry: Option<&Arc<dyn SchemaRegistry>>,
    ) -> AnyIter {
        if META {
            AnyIter::new(Decoded {
                records,
                decode: |view: &RecordView<'_>| {
                    changelog_entry(view, |payload| Ok(with_metadata(view, F::decode(payload)?)))
                },
                _type: PhantomData,
            })
        } else {
            AnyIter::new(Decoded {
                records,
                decode: |view: &RecordView<'_>| changelog_entry(view, |payload| F::decode(payload)),
                _type: PhantomData,
            })
        }
    }
}

/// A record's metadata around its decoded value.
pub(crate) fn with_metadata<T>(view: &RecordView<'_>, value: T) -> KafkaRecord<T> {
    KafkaRecord {
        topic: view.topic.to_string(),
        partition: view.partition,
        offset: view.offset,
        timestamp: view.timestamp,
        key: view.key.map(<[u8]>::to_vec),
        headers: view.headers.to_vec(),
        value,
    }
}

pub(crate) fn changelog_entry<R>(
    view: &RecordView<'_>,
    row: impl FnOnce(&[u8]) -> Result<R, String>,
) -> Result<ChangelogEntry<R>, String> {
    let key = view
        .key
        .ok_or_else(|| "the record has no key, and a table needs every record keyed".to_string())?;
    Ok(ChangelogEntry {
        topic: view.topic.to_string(),
        key: key.to_vec(),
        partition: view.partition,
        offset: view.offset,
        row: view.payload.map(row).transpose()?,
        also_in: None,
    })
}

pub(crate) fn payload<'a>(view: &RecordView<'a>) -> Result<&'a [u8], String> {
    view.payload
        .ok_or_else(|| "the record has no value (a tombstone)".to_string())
}

/// The typed stream over raw records.
pub(crate) struct Decoded<T, D> {
    pub(crate) records: Box<dyn RawRecords>,
    pub(crate) decode: D,
    pub(crate) _type: PhantomData<fn() -> T>,
}

impl<T: Data, D: FnMut(&RecordView<'_>) -> Result<T, String> + Send> Iterator for Decoded<T, D> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        loop {
            let mut decoded = None;
            let decode = &mut self.decode;
            let more = self.records.next_record(&mut |view| {
                decoded = Some(decode(view)?);
                Ok(())
            });
            match decoded {
                Some(record) => return Some(record),
                // A rejected record the policy skipped: read on.
                None if more => continue,
                None => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{Json, Utf8};

    /// Offers fixed payloads; rejected ones are counted, as a Skip policy would.
    struct Fixed {
        payloads: Vec<Option<&'static [u8]>>,
        next: usize,
        rejected: Vec<(i64, String)>,
        shared_rejects: std::sync::Arc<std::sync::Mutex<Vec<(i64, String)>>>,
    }

    impl RawRecords for Fixed {
        fn next_record(
            &mut self,
            decode: &mut dyn FnMut(&RecordView<'_>) -> Result<(), String>,
        ) -> bool {
            let Some(payload) = self.payloads.get(self.next).copied() else {
                return false;
            };
            let headers = [("h".to_string(), Some(b"v".to_vec()))];
            let view = RecordView {
                topic: "t",
                partition: 0,
                offset: self.next as i64,
                timestamp: Some(1000),
                key: Some(b"k"),
                payload,
                headers: &headers,
            };
            if let Err(reason) = decode(&view) {
                self.rejected.push((view.offset, reason.clone()));
                self.shared_rejects
                    .lock()
                    .unwrap()
                    .push((view.offset, reason));
            }
            self.next += 1;
            true
        }
    }

    type Rejects = Arc<std::sync::Mutex<Vec<(i64, String)>>>;

    fn fixed(payloads: Vec<Option<&'static [u8]>>) -> (Box<dyn RawRecords>, Rejects) {
        let rejects = Arc::new(std::sync::Mutex::new(Vec::new()));
        (
            Box::new(Fixed {
                payloads,
                next: 0,
                rejected: vec![],
                shared_rejects: rejects.clone(),
            }),
            rejects,
        )
    }

    #[test]
    fn values_decode_and_rejects_reach_the_reader() {
        let (records, rejects) = fixed(vec![Some(b"1"), Some(b"x"), None, Some(b"3")]);
        let out: Vec<u32> = ValueDecoder::<Json<u32>>::default()
            .decode(records, None)
            .downcast()
            .unwrap()
            .collect();
        assert_eq!(out, [1, 3]);
        let rejects = rejects.lock().unwrap();
        assert_eq!(rejects.len(), 2);
        assert_eq!(rejects[0].0, 1);
        assert!(rejects[1].1.contains("tombstone"));
    }

    #[test]
    fn changelogs_keep_tombstones_and_reject_keyless_records() {
        type Raw = (Option<&'static [u8]>, Option<&'static [u8]>);
        struct Keyed(Vec<Raw>, usize);
        impl RawRecords for Keyed {
            fn next_record(
                &mut self,
                decode: &mut dyn FnMut(&RecordView<'_>) -> Result<(), String>,
            ) -> bool {
                let Some((key, payload)) = self.0.get(self.1).copied() else {
                    return false;
                };
                let view = RecordView {
                    topic: "t",
                    partition: 1,
                    offset: self.1 as i64,
                    timestamp: None,
                    key,
                    payload,
                    headers: &[],
                };
                self.1 += 1;
                // Rejected records are skipped here (a Skip policy).
                let _ = decode(&view);
                true
            }
        }
        let records = Keyed(
            vec![
                (Some(b"a"), Some(b"1")),
                (None, Some(b"2")),
                (Some(b"a"), None),
                (Some(b"b"), Some(b"x")),
            ],
            0,
        );
        let out: Vec<ChangelogEntry<u32>> = ChangelogDecoder::<Json<u32>, false>::default()
            .decode(Box::new(records), None)
            .downcast()
            .unwrap()
            .collect();
        assert_eq!(
            out.len(),
            2,
            "the keyless and the undecodable record are rejected"
        );
        assert_eq!((out[0].row, out[0].offset), (Some(1), 0));
        assert_eq!((out[1].row, out[1].offset, out[1].partition), (None, 2, 1));
        assert_eq!(out[1].key, b"a");
    }

    #[test]
    fn records_keep_metadata() {
        let (records, _) = fixed(vec![Some("zürich".as_bytes())]);
        let decoder = RecordWithMetadataDecoder::<Utf8>::default();
        assert!(decoder.needs_headers());
        let out: Vec<KafkaRecord<String>> =
            decoder.decode(records, None).downcast().unwrap().collect();
        assert_eq!(out[0].value, "zürich");
        assert_eq!(
            (out[0].partition, out[0].offset, out[0].timestamp),
            (0, 0, Some(1000))
        );
        assert_eq!(out[0].key.as_deref(), Some(&b"k"[..]));
        assert_eq!(out[0].headers, [("h".to_string(), Some(b"v".to_vec()))]);
    }
}
