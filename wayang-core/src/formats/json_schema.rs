//! JSON Schema in Confluent's wire format: the body is JSON text.
//!
//! Like Confluent's serializers by default (`json.fail.invalid.schema=false`),
//! values are not validated against the schema: on reading, the serde type
//! is the check (a body that does not deserialise is a bad record); on
//! writing, the schema is registered and the value serialised.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::data::Data;
use crate::formats::registry::{RegisteredSchema, RegistryCodec, SchemaDefinition, SchemaType};

/// JSON values of a serde type `T`, framed for a Schema Registry.
pub struct JsonSchema<T> {
    schema: Option<(String, Option<String>)>,
    _type: PhantomData<fn() -> T>,
}

impl<T> Default for JsonSchema<T> {
    fn default() -> Self {
        JsonSchema {
            schema: None,
            _type: PhantomData,
        }
    }
}

impl<T> JsonSchema<T> {
    /// A codec that reads (and cannot write: writing needs the schema).
    pub fn new() -> Self {
        JsonSchema::default()
    }

    /// A codec that also writes, registering `schema` (a JSON Schema
    /// document; its `title` is the record name for the record-name
    /// subject strategies).
    pub fn writing(schema: &str) -> Result<Self, String> {
        let document: serde_json::Value = serde_json::from_str(schema)
            .map_err(|e| format!("the JSON Schema is not valid JSON: {e}"))?;
        if !(document.is_object() || document.is_boolean()) {
            return Err("a JSON Schema is an object (or a boolean)".into());
        }
        let title = document
            .get("title")
            .and_then(|t| t.as_str())
            .map(str::to_string);
        Ok(JsonSchema {
            schema: Some((document.to_string(), title)),
            _type: PhantomData,
        })
    }
}

impl<T: Data + Serialize + DeserializeOwned> RegistryCodec for JsonSchema<T> {
    type Value = T;
    type Writer = u32;

    fn name(&self) -> &'static str {
        "json-schema"
    }

    fn schema_type(&self) -> SchemaType {
        SchemaType::Json
    }

    fn writer(&self, schema: &RegisteredSchema) -> Result<u32, String> {
        Ok(schema.id)
    }

    fn decode(&self, id: &u32, body: &[u8]) -> Result<T, String> {
        serde_json::from_slice(body).map_err(|e| {
            format!("the body (schema id {id}) does not decode as the reader's type: {e}")
        })
    }

    fn write_schema(&self) -> Result<SchemaDefinition, String> {
        let (text, _) = self
            .schema
            .as_ref()
            .ok_or("a JSON Schema sink needs its schema: use JsonSchema::writing(schema)")?;
        Ok(SchemaDefinition {
            schema_type: SchemaType::Json,
            text: text.clone(),
        })
    }

    fn record_name(&self) -> Option<String> {
        self.schema.as_ref()?.1.clone()
    }

    fn encode(&self, value: &T, out: &mut Vec<u8>) -> Result<(), String> {
        serde_json::to_writer(out, value).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_writes_and_names_the_record() {
        let codec =
            JsonSchema::<Vec<u32>>::writing(r#"{"title":"Counts","type":"array"}"#).unwrap();
        let mut body = Vec::new();
        codec.encode(&vec![1, 2], &mut body).unwrap();
        assert_eq!(codec.decode(&4, &body).unwrap(), [1, 2]);
        assert!(codec.decode(&4, b"{").unwrap_err().contains("schema id 4"));
        assert_eq!(codec.record_name().as_deref(), Some("Counts"));
        assert!(JsonSchema::<u32>::writing("[1]").is_err());
        assert!(JsonSchema::<u32>::new().write_schema().is_err());
    }
}
