//! Avro in Confluent's wire format: [`Avro<T>`] for serde types with a
//! reader schema (schema evolution resolves as Avro specifies), and
//! [`AvroGeneric`] for jobs that do not know the schema in advance.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::types::Value;
use apache_avro::writer::datum::GenericDatumWriter;
use apache_avro::AvroSchema;
use apache_avro::Schema;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::data::Data;
use crate::formats::registry::{RegisteredSchema, RegistryCodec, SchemaDefinition, SchemaType};

/// A parsed schema for `text`, one per distinct text for the life of the
/// process. apache-avro's readers and writers borrow their schemas, and
/// keeping them borrowable saves re-resolving a schema on every record; a
/// process meets a handful of distinct schemas, however many jobs it runs,
/// so the memory is bounded by that.
fn interned(
    text: &str,
    parse: impl FnOnce() -> Result<Schema, String>,
) -> Result<&'static Schema, String> {
    static SCHEMAS: OnceLock<Mutex<HashMap<String, &'static Schema>>> = OnceLock::new();
    let mut known = SCHEMAS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(parsed) = known.get(text) {
        return Ok(parsed);
    }
    let parsed: &'static Schema = Box::leak(Box::new(parse()?));
    known.insert(text.to_string(), parsed);
    Ok(parsed)
}

/// The writer's schema of a registered Avro schema.
fn writer_schema(schema: &RegisteredSchema) -> Result<&'static Schema, String> {
    interned(&schema.text, || {
        Schema::parse_str(&schema.text)
            .map_err(|e| format!("schema id {} is not a valid Avro schema: {e}", schema.id))
    })
}

/// An Avro error, cut short: apache-avro's messages can print whole
/// schemas, and one record's error should fit on a screen.
fn short(error: apache_avro::Error) -> String {
    let text = error.to_string();
    match text.char_indices().nth(400) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text,
    }
}

/// Avro values of a serde type `T` whose reader schema is `T`'s
/// [`AvroSchema`] (derive it, or implement `AvroSchemaComponent`).
/// Records written with another schema are resolved against it as Avro
/// specifies: fields the reader lacks are dropped, fields the writer lacks
/// take the reader's default, numbers widen.
pub struct Avro<T> {
    reader: &'static Schema,
    /// The parsing canonical form: what decides whether a writer's schema
    /// is the reader's (defaults and docs do not matter for that).
    canonical: String,
    /// The full schema text registered for writing: the canonical form
    /// drops defaults, which compatibility checks need.
    text: String,
    writer: GenericDatumWriter<'static>,
    /// Whether serialising straight to bytes works for `T` (see
    /// [`AvroReader`]'s `direct`).
    direct: AtomicBool,
    _type: PhantomData<fn() -> T>,
}

impl<T: AvroSchema> Avro<T> {
    /// The codec with `T`'s schema as reader and writer schema.
    pub fn new() -> Result<Self, String> {
        Self::with_schema(T::get_schema())
    }
}

impl<T> Avro<T> {
    /// The codec with an explicit reader (and writer) schema for `T`.
    pub fn with_schema(schema: Schema) -> Result<Self, String> {
        // The full text, defaults included: two schemas of one canonical
        // form may differ in defaults, which registration needs.
        let text = serde_json::to_string(&schema)
            .map_err(|e| format!("the Avro schema does not serialise: {e}"))?;
        let reader = interned(&text, || Ok(schema))?;
        let writer = GenericDatumWriter::builder(reader)
            .build()
            .map_err(|e| format!("the Avro schema does not resolve: {e}"))?;
        Ok(Avro {
            canonical: reader.canonical_form(),
            text,
            reader,
            writer,
            direct: AtomicBool::new(true),
            _type: PhantomData,
        })
    }

    /// The reader schema.
    pub fn schema(&self) -> &Schema {
        self.reader
    }
}

/// How one writer schema's bodies are read.
pub struct AvroReader {
    reader: GenericDatumReader<'static>,
    /// Whether deserialising straight from the bytes works for the reader's
    /// type: the schema-aware path is the fastest, but it does not take
    /// every serde shape (`try_from`, renamed structs, unsigned numbers);
    /// after its first failure on a record that the generic path decodes,
    /// the generic path is used for this schema. A writer's schema that
    /// differs from the reader's always takes the generic path, which
    /// resolves.
    direct: AtomicBool,
    id: u32,
}

impl<T: Data + Serialize + DeserializeOwned> RegistryCodec for Avro<T> {
    type Value = T;
    type Writer = AvroReader;

    fn name(&self) -> &'static str {
        "avro"
    }

    fn schema_type(&self) -> SchemaType {
        SchemaType::Avro
    }

    fn writer(&self, schema: &RegisteredSchema) -> Result<AvroReader, String> {
        let written = writer_schema(schema)?;
        let resolves = written.canonical_form() != self.canonical;
        if resolves {
            apache_avro::schema_compatibility::SchemaCompatibility::can_read(written, self.reader)
                .map_err(|e| {
                    format!(
                        "schema id {} (the writer's) does not resolve against the reader's schema: {e}",
                        schema.id
                    )
                })?;
        }
        let builder = GenericDatumReader::builder(written);
        let reader = if resolves {
            builder.reader_schema(self.reader).build()
        } else {
            builder.build()
        }
        .map_err(|e| format!("schema id {} does not resolve: {e}", schema.id))?;
        Ok(AvroReader {
            reader,
            direct: AtomicBool::new(!resolves),
            id: schema.id,
        })
    }

    fn decode(&self, writer: &AvroReader, body: &[u8]) -> Result<T, String> {
        let invalid = |e: apache_avro::Error| {
            format!(
                "the body does not decode with schema id {} as the reader's type: {}",
                writer.id,
                short(e)
            )
        };
        if writer.direct.load(Ordering::Relaxed) {
            if let Ok(value) = writer.reader.read_deser::<T>(&mut &body[..]) {
                return Ok(value);
            }
        }
        let value = writer.reader.read_value(&mut &body[..]).map_err(invalid)?;
        let value = apache_avro::from_value::<T>(&value).map_err(invalid)?;
        // The record is fine: the direct path does not suit this type.
        writer.direct.store(false, Ordering::Relaxed);
        Ok(value)
    }

    fn write_schema(&self) -> Result<SchemaDefinition, String> {
        Ok(SchemaDefinition {
            schema_type: SchemaType::Avro,
            text: self.text.clone(),
        })
    }

    fn record_name(&self) -> Option<String> {
        self.reader.name().map(|name| name.fullname(None))
    }

    fn encode(&self, value: &T, out: &mut Vec<u8>) -> Result<(), String> {
        let start = out.len();
        if self.direct.load(Ordering::Relaxed) && self.writer.write_ser(out, value).is_ok() {
            return Ok(());
        }
        out.truncate(start);
        let unfit =
            |e: apache_avro::Error| format!("the value does not fit the Avro schema: {}", short(e));
        // Through a generic value, resolved against the schema: slower, but
        // it takes every serde shape (unsigned numbers, narrower ints).
        let generic = apache_avro::to_value(value).map_err(unfit)?;
        let resolved = generic.resolve(self.reader).map_err(unfit)?;
        self.writer.write_value_ref(out, &resolved).map_err(unfit)?;
        self.direct.store(false, Ordering::Relaxed);
        Ok(())
    }
}

/// Avro values decoded with whatever schema they were written with, as
/// generic [`Value`]s (records are `Value::Record` with field names). To
/// write, give the schema: [`AvroGeneric::writing`].
#[derive(Default)]
pub struct AvroGeneric {
    writing: Option<(&'static Schema, GenericDatumWriter<'static>, String)>,
}

impl AvroGeneric {
    /// A codec that reads with every writer's schema (and cannot write).
    pub fn new() -> Self {
        AvroGeneric::default()
    }

    /// A codec that also writes values with `schema` (Avro JSON).
    pub fn writing(text: &str) -> Result<Self, String> {
        let schema = interned(text, || {
            Schema::parse_str(text).map_err(|e| format!("not a valid Avro schema: {e}"))
        })?;
        let writer = GenericDatumWriter::builder(schema)
            .build()
            .map_err(|e| format!("the Avro schema does not resolve: {e}"))?;
        Ok(AvroGeneric {
            writing: Some((schema, writer, text.to_string())),
        })
    }
}

/// How one writer schema's bodies are read generically.
pub struct AvroGenericReader {
    reader: GenericDatumReader<'static>,
    id: u32,
}

impl RegistryCodec for AvroGeneric {
    type Value = Value;
    type Writer = AvroGenericReader;

    fn name(&self) -> &'static str {
        "avro (generic)"
    }

    fn schema_type(&self) -> SchemaType {
        SchemaType::Avro
    }

    fn writer(&self, schema: &RegisteredSchema) -> Result<AvroGenericReader, String> {
        let written = writer_schema(schema)?;
        let reader = GenericDatumReader::builder(written)
            .build()
            .map_err(|e| format!("schema id {} does not resolve: {e}", schema.id))?;
        Ok(AvroGenericReader {
            reader,
            id: schema.id,
        })
    }

    fn decode(&self, writer: &AvroGenericReader, mut body: &[u8]) -> Result<Value, String> {
        writer.reader.read_value(&mut body).map_err(|e| {
            format!(
                "the body does not decode with schema id {}: {}",
                writer.id,
                short(e)
            )
        })
    }

    fn write_schema(&self) -> Result<SchemaDefinition, String> {
        let (_, _, text) = self
            .writing
            .as_ref()
            .ok_or("a generic Avro sink needs its schema: use AvroGeneric::writing(schema)")?;
        Ok(SchemaDefinition {
            schema_type: SchemaType::Avro,
            text: text.clone(),
        })
    }

    fn record_name(&self) -> Option<String> {
        let (schema, _, _) = self.writing.as_ref()?;
        schema.name().map(|name| name.fullname(None))
    }

    fn encode(&self, value: &Value, out: &mut Vec<u8>) -> Result<(), String> {
        let (_, writer, _) = self
            .writing
            .as_ref()
            .ok_or("a generic Avro sink needs its schema: use AvroGeneric::writing(schema)")?;
        writer
            .write_value_ref(out, value)
            .map(drop)
            .map_err(|e| format!("the value does not fit the Avro schema: {}", short(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    struct Old {
        name: String,
        count: i64,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    struct New {
        name: String,
        count: i64,
        region: String,
    }

    const OLD: &str = r#"{"type":"record","name":"Item","namespace":"t","fields":[
        {"name":"name","type":"string"},{"name":"count","type":"long"}]}"#;
    const NEW: &str = r#"{"type":"record","name":"Item","namespace":"t","fields":[
        {"name":"name","type":"string"},{"name":"count","type":"long"},
        {"name":"region","type":"string","default":"none"}]}"#;

    fn codec<T>(text: &str) -> Avro<T> {
        Avro::with_schema(Schema::parse_str(text).unwrap()).unwrap()
    }

    fn registered(id: u32, text: &str) -> RegisteredSchema {
        RegisteredSchema {
            id,
            schema_type: SchemaType::Avro,
            text: text.into(),
        }
    }

    #[test]
    fn evolves_both_ways_and_rejects_unresolvable_writers() {
        let old = codec::<Old>(OLD);
        let new = codec::<New>(NEW);
        let mut body = Vec::new();
        old.encode(
            &Old {
                name: "a".into(),
                count: 3,
            },
            &mut body,
        )
        .unwrap();
        let read = new
            .decode(&new.writer(&registered(1, OLD)).unwrap(), &body)
            .unwrap();
        assert_eq!(read.region, "none");
        body.clear();
        let value = New {
            name: "b".into(),
            count: 4,
            region: "x".into(),
        };
        new.encode(&value, &mut body).unwrap();
        let read = old
            .decode(&old.writer(&registered(2, NEW)).unwrap(), &body)
            .unwrap();
        assert_eq!(
            read,
            Old {
                name: "b".into(),
                count: 4
            }
        );
        let same = old.decode(&old.writer(&registered(1, OLD)).unwrap(), &body[..2]);
        assert!(same.unwrap_err().contains("schema id 1"));
        let unrelated = r#"{"type":"record","name":"Item","namespace":"t","fields":[{"name":"other","type":"int"}]}"#;
        let error = old.writer(&registered(3, unrelated)).err().unwrap();
        assert!(
            error.contains("schema id 3") && error.contains("resolve"),
            "{error}"
        );
        assert_eq!(old.record_name().as_deref(), Some("t.Item"));
    }

    #[test]
    fn generic_values_keep_field_names() {
        let writer = AvroGeneric::writing(OLD).unwrap();
        let value = Value::Record(vec![
            ("name".into(), Value::String("a".into())),
            ("count".into(), Value::Long(7)),
        ]);
        let mut body = Vec::new();
        writer.encode(&value, &mut body).unwrap();
        let reader = AvroGeneric::new();
        let read = reader
            .decode(&reader.writer(&registered(9, OLD)).unwrap(), &body)
            .unwrap();
        assert_eq!(read, value);
        assert!(reader.write_schema().is_err());
        assert!(writer.encode(&Value::Long(1), &mut body).is_err());
    }
}
