//! The Kafka decoder and encoder for Schema Registry formats: framing,
//! schema look-ups cached per id, subject registration before the first
//! record.

use std::marker::PhantomData;
use std::sync::Arc;

use crate::data::{AnyIter, Data};
use crate::error::Result;
use crate::formats::registry::{
    parse_frame, write_frame, RegistryCodec, RegistryError, SchemaRegistry, SubjectOptions,
};
use crate::kafka::{OutgoingRecord, RecordView};
use crate::operators::kafka_topic_sink::{
    encode_records, EncodeTarget, RecordEncoder, RecordFunctions, RegistryKeyEncoder,
};
use crate::operators::kafka_topic_source::{
    changelog_entry, payload, with_metadata, Decoded, RawRecords, RecordDecoder,
};

/// What a registry-format source yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistryShape {
    /// The decoded values.
    Values,
    /// [`crate::kafka::KafkaRecord`]s around the decoded values.
    Records,
    /// [`crate::kafka::ChangelogEntry`]s of values (a table read).
    Changelog,
    /// [`crate::kafka::ChangelogEntry`]s of records.
    ChangelogRecords,
}

/// Decodes registry-framed payloads with a [`RegistryCodec`].
pub struct RegistryDecoder<C> {
    codec: Arc<C>,
    shape: RegistryShape,
}

impl<C> RegistryDecoder<C> {
    /// A decoder yielding `shape` with `codec`.
    pub fn new(codec: C, shape: RegistryShape) -> Self {
        RegistryDecoder {
            codec: Arc::new(codec),
            shape,
        }
    }
}

/// One stream's writer schemas: looked up once per id (a failed look-up is
/// remembered too, so a registry that is down costs one deadline per id,
/// not one per record). Topics carry a handful of ids: a short list beats a
/// map.
struct Writers<C: RegistryCodec> {
    codec: Arc<C>,
    registry: Option<Arc<dyn SchemaRegistry>>,
    known: Vec<(u32, std::result::Result<C::Writer, String>)>,
}

impl<C: RegistryCodec> Writers<C> {
    fn decode(&mut self, payload: &[u8]) -> std::result::Result<C::Value, String> {
        let (id, body) = parse_frame(payload)?;
        let at = match self.known.iter().position(|(known, _)| *known == id) {
            Some(at) => at,
            None => {
                let writer = self.look_up(id);
                self.known.push((id, writer));
                self.known.len() - 1
            }
        };
        match &self.known[at].1 {
            Ok(writer) => self.codec.decode(writer, body),
            Err(reason) => Err(reason.clone()),
        }
    }

    fn look_up(&self, id: u32) -> std::result::Result<C::Writer, String> {
        let registry = self.registry.as_ref().ok_or_else(|| {
            format!(
                "the record is framed for a Schema Registry (schema id {id}), and the cluster has \
                 none: set schema.registry.url in its properties"
            )
        })?;
        let schema = registry.schema(id).map_err(|e| match e {
            RegistryError::UnknownId { .. } => e.to_string(),
            other => format!("schema id {id}: {other}"),
        })?;
        if schema.schema_type != self.codec.schema_type() {
            return Err(format!(
                "schema id {id} is a {} schema, and this source reads {}",
                schema.schema_type,
                self.codec.name()
            ));
        }
        self.codec.writer(&schema)
    }
}

impl<C: RegistryCodec> RecordDecoder for RegistryDecoder<C> {
    fn format(&self) -> &'static str {
        self.codec.name()
    }

    fn needs_headers(&self) -> bool {
        matches!(
            self.shape,
            RegistryShape::Records | RegistryShape::ChangelogRecords
        )
    }

    fn needs_registry(&self) -> bool {
        true
    }

    fn decode(
        &self,
        records: Box<dyn RawRecords>,
        registry: Option<&Arc<dyn SchemaRegistry>>,
    ) -> AnyIter {
        let mut writers = Writers {
            codec: self.codec.clone(),
            registry: registry.cloned(),
            known: Vec::new(),
        };
        match self.shape {
            RegistryShape::Values => AnyIter::new(Decoded {
                records,
                decode: move |view: &RecordView<'_>| writers.decode(payload(view)?),
                _type: PhantomData,
            }),
            RegistryShape::Records => AnyIter::new(Decoded {
                records,
                decode: move |view: &RecordView<'_>| {
                    Ok(with_metadata(view, writers.decode(payload(view)?)?))
                },
                _type: PhantomData,
            }),
            RegistryShape::Changelog => AnyIter::new(Decoded {
                records,
                decode: move |view: &RecordView<'_>| {
                    changelog_entry(view, |payload| writers.decode(payload))
                },
                _type: PhantomData,
            }),
            RegistryShape::ChangelogRecords => AnyIter::new(Decoded {
                records,
                decode: move |view: &RecordView<'_>| {
                    changelog_entry(view, |payload| {
                        Ok(with_metadata(view, writers.decode(payload)?))
                    })
                },
                _type: PhantomData,
            }),
        }
    }
}

/// Encodes values with a [`RegistryCodec`] under the subject its options
/// name, registering (or looking up) the schema before the first record.
pub struct RegistryEncoderFns<T, C> {
    codec: Arc<C>,
    subject: SubjectOptions,
    functions: RecordFunctions<T>,
}

impl<T, C> RegistryEncoderFns<T, C> {
    /// An encoder with `codec`, subject options and per-record functions.
    pub fn new(codec: C, subject: SubjectOptions, functions: RecordFunctions<T>) -> Self {
        RegistryEncoderFns {
            codec: Arc::new(codec),
            subject,
            functions,
        }
    }
}

/// The id of `codec`'s schema under its key or value subject of
/// `target`'s topic.
fn schema_id_of<C: RegistryCodec>(
    codec: &C,
    subject: SubjectOptions,
    is_key: bool,
    target: &EncodeTarget<'_>,
) -> std::result::Result<u32, String> {
    let registry = target.registry.ok_or(
        "the sink writes a Schema Registry format, and the cluster has none: set \
         schema.registry.url in its properties",
    )?;
    let name = subject
        .strategy
        .subject(target.topic, is_key, codec.record_name().as_deref())?;
    let schema = codec.write_schema()?;
    registry
        .id_for(&name, &schema, subject.auto_register)
        .map_err(|e| e.to_string())
}

impl<T: Data, C: RegistryCodec<Value = T>> RegistryEncoderFns<T, C> {
    /// The schema id values are framed with.
    fn schema_id(&self, target: &EncodeTarget<'_>) -> std::result::Result<u32, String> {
        schema_id_of(self.codec.as_ref(), self.subject, false, target)
    }
}

/// Computes a record's key value.
type KeyValueFn<T, K> = Arc<dyn Fn(&T) -> K + Send + Sync>;

/// Encodes keys computed from records with a [`RegistryCodec`].
pub struct RegistryKey<T, C: RegistryCodec> {
    codec: C,
    subject: SubjectOptions,
    key: KeyValueFn<T, C::Value>,
}

impl<T, C: RegistryCodec> RegistryKey<T, C> {
    /// Keys `key(record)` encoded with `codec` under the key subject.
    pub fn new(
        codec: C,
        subject: SubjectOptions,
        key: impl Fn(&T) -> C::Value + Send + Sync + 'static,
    ) -> Self {
        RegistryKey {
            codec,
            subject,
            key: Arc::new(key),
        }
    }
}

impl<T, C: RegistryCodec> RegistryKeyEncoder<T> for RegistryKey<T, C> {
    fn schema_id(&self, target: &EncodeTarget<'_>) -> std::result::Result<u32, String> {
        schema_id_of(&self.codec, self.subject, true, target)
    }

    fn encode(&self, id: u32, record: &T, out: &mut Vec<u8>) -> std::result::Result<(), String> {
        write_frame(id, out);
        self.codec.encode(&(self.key)(record), out)
    }
}

impl<T: Data, C: RegistryCodec<Value = T>> RecordEncoder for RegistryEncoderFns<T, C> {
    fn format(&self) -> &'static str {
        self.codec.name()
    }

    fn needs_registry(&self) -> bool {
        true
    }

    fn encode(
        &self,
        input: AnyIter,
        target: &EncodeTarget<'_>,
        produce: &mut dyn FnMut(OutgoingRecord<'_>) -> std::result::Result<(), String>,
    ) -> Result<std::result::Result<u64, String>> {
        let mut id = None;
        encode_records(
            input,
            &self.functions,
            target,
            produce,
            |count, record, payload| {
                let id = match id {
                    Some(id) => id,
                    None => *id.insert(self.schema_id(target)?),
                };
                write_frame(id, payload);
                self.codec.encode(record, payload).map_err(|reason| {
                    format!(
                        "record {count} does not encode as {} (schema id {id}): {reason}",
                        self.codec.name()
                    )
                })
            },
        )
    }
}
