//! Confluent Schema Registry formats: the wire framing, the registry seen
//! from a codec, subject naming, and the codec contract that Avro, JSON
//! Schema and Protobuf implement.
//!
//! A framed payload is byte `0x00`, the schema id (big-endian `u32`), then
//! the format's body. The registry itself (HTTP, credentials, caching) is
//! `wayang-kafka`'s: this crate only sees it through [`SchemaRegistry`].

use std::fmt;
use std::sync::Arc;

use crate::data::Data;

/// The first byte of every registry-framed payload.
pub const MAGIC_BYTE: u8 = 0;

/// The kinds of schema a registry holds (its `schemaType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SchemaType {
    /// Apache Avro (the registry's default when `schemaType` is absent).
    Avro,
    /// JSON Schema.
    Json,
    /// Protocol Buffers.
    Protobuf,
}

impl SchemaType {
    /// The registry's name for it (`AVRO`, `JSON`, `PROTOBUF`).
    pub fn registry_name(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Json => "JSON",
            SchemaType::Protobuf => "PROTOBUF",
        }
    }

    /// Parses the registry's name; an absent `schemaType` means Avro.
    pub fn from_registry_name(name: Option<&str>) -> Option<SchemaType> {
        match name {
            None | Some("AVRO") => Some(SchemaType::Avro),
            Some("JSON") => Some(SchemaType::Json),
            Some("PROTOBUF") => Some(SchemaType::Protobuf),
            Some(_) => None,
        }
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.registry_name())
    }
}

/// A schema as the registry stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredSchema {
    /// Its id (what framed payloads carry).
    pub id: u32,
    /// Its kind.
    pub schema_type: SchemaType,
    /// Its text (Avro JSON, JSON Schema, or a `.proto` file).
    pub text: String,
}

/// A schema to register or look up under a subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaDefinition {
    /// Its kind.
    pub schema_type: SchemaType,
    /// Its text.
    pub text: String,
}

/// Why the registry did not answer as asked. Messages name the registry by
/// its address without credentials, and never quote a credential.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// No schema has this id (HTTP 404, error code 40403).
    #[error("schema id {id} is unknown to the registry at {registry}")]
    UnknownId {
        /// The registry's address.
        registry: String,
        /// The id.
        id: u32,
    },
    /// The subject does not hold the schema (lookup without registration).
    #[error("subject {subject:?} of the registry at {registry} does not hold the schema (auto-registration is off: register it first)")]
    NotRegistered {
        /// The registry's address.
        registry: String,
        /// The subject.
        subject: String,
    },
    /// The registry refused the credentials (HTTP 401 or 403).
    #[error("the registry at {registry} refused the credentials (HTTP {status}): check basic.auth.user.info in the cluster's properties")]
    Unauthorized {
        /// The registry's address.
        registry: String,
        /// The HTTP status.
        status: u16,
    },
    /// The schema is not compatible with the subject's earlier versions (HTTP 409).
    #[error("the registry at {registry} rejects the schema for subject {subject:?} as incompatible: {reason}")]
    Incompatible {
        /// The registry's address.
        registry: String,
        /// The subject.
        subject: String,
        /// The registry's message.
        reason: String,
    },
    /// The registry could not be reached or did not answer in time.
    #[error("the registry at {registry} is unavailable: {reason}")]
    Unavailable {
        /// The registry's address.
        registry: String,
        /// What happened.
        reason: String,
    },
    /// Any other refusal or malformed answer.
    #[error("the registry at {registry} answered HTTP {status}: {reason}")]
    Rejected {
        /// The registry's address.
        registry: String,
        /// The HTTP status (0 for an unreadable answer).
        status: u16,
        /// The registry's message.
        reason: String,
    },
}

/// A Schema Registry as codecs see it: schemas by id, and registration.
/// Implementations cache: a codec may ask for the same id many times.
pub trait SchemaRegistry: Send + Sync + fmt::Debug {
    /// The registry's address, without credentials (for messages).
    fn address(&self) -> &str;
    /// The schema with this id.
    fn schema(&self, id: u32) -> Result<Arc<RegisteredSchema>, RegistryError>;
    /// The id of `schema` under `subject`: registered there if `register`
    /// (the registry checks compatibility), looked up otherwise.
    fn id_for(
        &self,
        subject: &str,
        schema: &SchemaDefinition,
        register: bool,
    ) -> Result<u32, RegistryError>;
}

/// How a sink names the subject its schema goes under (Confluent's
/// `*SubjectNameStrategy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SubjectNameStrategy {
    /// `<topic>-value` / `<topic>-key` (the default).
    #[default]
    TopicName,
    /// The record's fully qualified name (one schema per record type,
    /// across topics).
    RecordName,
    /// `<topic>-<record name>`.
    TopicRecordName,
}

impl SubjectNameStrategy {
    /// The subject for `topic`'s values (or keys), with the codec's record
    /// name where the strategy needs one.
    pub fn subject(
        self,
        topic: &str,
        is_key: bool,
        record_name: Option<&str>,
    ) -> Result<String, String> {
        let record = || {
            record_name.ok_or_else(|| {
                format!("{self:?} needs a named record schema, and this schema has no name")
            })
        };
        Ok(match self {
            SubjectNameStrategy::TopicName => {
                format!("{topic}-{}", if is_key { "key" } else { "value" })
            }
            SubjectNameStrategy::RecordName => record()?.to_string(),
            SubjectNameStrategy::TopicRecordName => format!("{topic}-{}", record()?),
        })
    }
}

/// Splits a framed payload into its schema id and body.
pub fn parse_frame(payload: &[u8]) -> Result<(u32, &[u8]), String> {
    match payload {
        [MAGIC_BYTE, a, b, c, d, body @ ..] => Ok((u32::from_be_bytes([*a, *b, *c, *d]), body)),
        [MAGIC_BYTE, ..] => Err(format!(
            "the payload is {} bytes long, shorter than the registry framing (5 bytes)",
            payload.len()
        )),
        [] => Err("the payload is empty: no Schema Registry framing".to_string()),
        [first, ..] => Err(format!(
            "the payload does not start with the Schema Registry magic byte 0 (it starts with \
             0x{first:02x}): it was not written by a registry serializer"
        )),
    }
}

/// Appends the framing of schema `id` to `out`.
pub fn write_frame(id: u32, out: &mut Vec<u8>) {
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&id.to_be_bytes());
}

/// A registry format: how values decode from a framed body given the
/// writer's schema, and encode under the codec's own schema.
pub trait RegistryCodec: Send + Sync + 'static {
    /// The value type.
    type Value: Data;
    /// What decoding needs of one writer schema (parsed once per id).
    type Writer: Send + Sync + 'static;
    /// The format's name in messages.
    fn name(&self) -> &'static str;
    /// The kind of schema it reads and writes.
    fn schema_type(&self) -> SchemaType;
    /// Prepares to decode bodies written with `schema` (already checked to
    /// be of [`RegistryCodec::schema_type`]).
    fn writer(&self, schema: &RegisteredSchema) -> Result<Self::Writer, String>;
    /// Decodes one body (the bytes after the 5-byte framing).
    fn decode(&self, writer: &Self::Writer, body: &[u8]) -> Result<Self::Value, String>;
    /// The schema values are written with, if this codec can write.
    fn write_schema(&self) -> Result<SchemaDefinition, String>;
    /// The fully qualified name of the written record, for the record-name
    /// subject strategies.
    fn record_name(&self) -> Option<String>;
    /// Appends one value's body (without the framing) to `out`.
    fn encode(&self, value: &Self::Value, out: &mut Vec<u8>) -> Result<(), String>;
}

/// Where a registry codec writes: its subject strategy and whether it may
/// register its schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubjectOptions {
    /// How the subject is named.
    pub strategy: SubjectNameStrategy,
    /// Registers the schema (the registry checks compatibility) when true,
    /// only looks it up when false (Confluent's `auto.register.schemas`).
    pub auto_register: bool,
}

impl Default for SubjectOptions {
    fn default() -> Self {
        SubjectOptions {
            strategy: SubjectNameStrategy::TopicName,
            auto_register: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_bad_frames_say_why() {
        let mut out = Vec::new();
        write_frame(258, &mut out);
        out.extend_from_slice(b"body");
        assert_eq!(parse_frame(&out), Ok((258, &b"body"[..])));
        assert!(parse_frame(b"{\"a\":1}").unwrap_err().contains("0x7b"));
        assert!(parse_frame(&[0, 0, 1]).unwrap_err().contains("shorter"));
        assert!(parse_frame(&[]).unwrap_err().contains("empty"));
    }

    #[test]
    fn subjects_follow_the_strategies() {
        let s = SubjectNameStrategy::TopicName;
        assert_eq!(s.subject("t", false, None).unwrap(), "t-value");
        assert_eq!(s.subject("t", true, None).unwrap(), "t-key");
        let r = SubjectNameStrategy::RecordName;
        assert_eq!(r.subject("t", false, Some("a.B")).unwrap(), "a.B");
        assert!(r.subject("t", false, None).is_err());
        let tr = SubjectNameStrategy::TopicRecordName;
        assert_eq!(tr.subject("t", false, Some("a.B")).unwrap(), "t-a.B");
    }
}
