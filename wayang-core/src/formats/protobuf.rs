//! Protobuf in Confluent's wire format: after the schema id, the path of
//! message indexes naming the message within its `.proto` file (zig-zag
//! varints: a count, then the indexes; the first message, `[0]`, is the
//! single byte `0`), then the message.

use std::marker::PhantomData;

use crate::data::Data;
use crate::formats::registry::{RegisteredSchema, RegistryCodec, SchemaDefinition, SchemaType};

/// Protobuf messages of a `prost` type `M`. `M` is, by default, the first
/// message of its schema (index path `[0]`); name another with
/// [`Protobuf::message_index`]. Records whose index path differs are bad
/// records: they hold another message type.
pub struct Protobuf<M> {
    schema: Option<String>,
    path: Vec<i32>,
    _type: PhantomData<fn() -> M>,
}

impl<M> Default for Protobuf<M> {
    fn default() -> Self {
        Protobuf {
            schema: None,
            path: vec![0],
            _type: PhantomData,
        }
    }
}

impl<M> Protobuf<M> {
    /// A codec that reads (and cannot write: writing needs the schema).
    pub fn new() -> Self {
        Protobuf::default()
    }

    /// A codec that also writes, registering `schema` (the `.proto` file's
    /// text; `package` and the message name make the record name).
    pub fn writing(schema: &str) -> Result<Self, String> {
        if !schema.contains("message ") {
            return Err("the Protobuf schema declares no message".into());
        }
        Ok(Protobuf {
            schema: Some(schema.to_string()),
            ..Protobuf::default()
        })
    }

    /// Names the message by its index path within the schema (`[0]`: the
    /// first top-level message; `[1, 0]`: the first message nested in the
    /// second).
    pub fn message_index(mut self, path: Vec<i32>) -> Self {
        self.path = path;
        self
    }

    fn qualified_name(&self) -> Option<String> {
        let text = self.schema.as_ref()?;
        let package = text
            .lines()
            .map(str::trim)
            .find_map(|line| line.strip_prefix("package "))
            .map(|p| p.trim_end_matches(';').trim().to_string());
        let top = self.path.first().copied().unwrap_or(0);
        let message = top_level_messages(text)
            .into_iter()
            .nth(usize::try_from(top).ok()?)?;
        Some(match package {
            Some(package) => format!("{package}.{message}"),
            None => message,
        })
    }
}

/// The names of the top-level messages of a `.proto` text, in order.
fn top_level_messages(text: &str) -> Vec<String> {
    let mut depth = 0usize;
    let mut names = Vec::new();
    // A `message` word outside every brace names a top-level message.
    let mut rest = text;
    while let Some(at) = rest.find(|c: char| c == '{' || c == '}' || c.is_alphabetic()) {
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix('{') {
            depth += 1;
            rest = after;
        } else if let Some(after) = rest.strip_prefix('}') {
            depth = depth.saturating_sub(1);
            rest = after;
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(rest.len());
            let word = &rest[..end];
            rest = &rest[end..];
            if word == "message" && depth == 0 {
                let trimmed = rest.trim_start();
                let end = trimmed
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(trimmed.len());
                names.push(trimmed[..end].to_string());
            }
        }
    }
    names
}

fn zigzag(value: i32) -> u32 {
    ((value << 1) ^ (value >> 31)) as u32
}

fn unzigzag(value: u32) -> i32 {
    ((value >> 1) as i32) ^ -((value & 1) as i32)
}

fn write_varint(mut value: u32, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn read_varint(bytes: &mut &[u8]) -> Result<u32, String> {
    let mut value = 0u32;
    for shift in (0..35).step_by(7) {
        let (&byte, rest) = bytes
            .split_first()
            .ok_or("the message-index list is cut short")?;
        *bytes = rest;
        value |= u32::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("a message index is not a valid varint".into())
}

/// Reads the message-index path at the start of `body`.
pub fn read_message_path(body: &mut &[u8]) -> Result<Vec<i32>, String> {
    let count = unzigzag(read_varint(body)?);
    if count == 0 {
        return Ok(vec![0]);
    }
    if !(1..=64).contains(&count) {
        return Err(format!("the message-index list claims {count} entries"));
    }
    (0..count)
        .map(|_| read_varint(body).map(unzigzag))
        .collect()
}

/// Appends a message-index path (`[0]` as the single byte 0).
pub fn write_message_path(path: &[i32], out: &mut Vec<u8>) {
    if path == [0] {
        out.push(0);
        return;
    }
    write_varint(zigzag(path.len() as i32), out);
    for index in path {
        write_varint(zigzag(*index), out);
    }
}

impl<M: prost::Message + Default + Data> RegistryCodec for Protobuf<M> {
    type Value = M;
    type Writer = u32;

    fn name(&self) -> &'static str {
        "protobuf"
    }

    fn schema_type(&self) -> SchemaType {
        SchemaType::Protobuf
    }

    fn writer(&self, schema: &RegisteredSchema) -> Result<u32, String> {
        Ok(schema.id)
    }

    fn decode(&self, id: &u32, mut body: &[u8]) -> Result<M, String> {
        let path = read_message_path(&mut body).map_err(|e| format!("schema id {id}: {e}"))?;
        if path != self.path {
            return Err(format!(
                "the record holds message {path:?} of schema id {id}, and this source reads message {:?}",
                self.path
            ));
        }
        M::decode(body)
            .map_err(|e| format!("the body (schema id {id}) is not a valid message: {e}"))
    }

    fn write_schema(&self) -> Result<SchemaDefinition, String> {
        let text = self
            .schema
            .as_ref()
            .ok_or("a Protobuf sink needs its schema: use Protobuf::writing(proto)")?;
        Ok(SchemaDefinition {
            schema_type: SchemaType::Protobuf,
            text: text.clone(),
        })
    }

    fn record_name(&self) -> Option<String> {
        self.qualified_name()
    }

    fn encode(&self, value: &M, out: &mut Vec<u8>) -> Result<(), String> {
        write_message_path(&self.path, out);
        value.encode(out).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_paths_round_trip_in_confluent_encoding() {
        for path in [vec![0], vec![1], vec![0, 2], vec![3, 0, 1]] {
            let mut out = Vec::new();
            write_message_path(&path, &mut out);
            let mut body = &out[..];
            assert_eq!(read_message_path(&mut body).unwrap(), path);
            assert!(body.is_empty());
        }
        let mut first = Vec::new();
        write_message_path(&[0], &mut first);
        assert_eq!(first, [0]);
        let mut second = Vec::new();
        write_message_path(&[1], &mut second);
        assert_eq!(second, [2, 2]);
        assert!(read_message_path(&mut &[0x80][..]).is_err());
    }

    #[test]
    fn names_the_record_from_package_and_message() {
        let proto = "syntax = \"proto3\";\npackage shop.v1;\nmessage Order { message Line { int32 n = 1; } }\nmessage Refund { int64 cents = 1; }\n";
        let codec = Protobuf::<()>::writing(proto).unwrap();
        assert_eq!(codec.qualified_name().as_deref(), Some("shop.v1.Order"));
        let second = Protobuf::<()>::writing(proto)
            .unwrap()
            .message_index(vec![1]);
        assert_eq!(second.qualified_name().as_deref(), Some("shop.v1.Refund"));
    }
}
