//! Record formats: how values become bytes and back (Kafka payloads).
//!
//! A format is a type, so the API knows the record type it yields:
//! `read_kafka_topic(..).values::<Json<Order>>()` is a `DataQuanta<Order>`.
//!
//! [`Format`]s need nothing but the bytes. The Schema Registry formats
//! ([`avro`], [`json_schema`], [`protobuf`]) are [`registry::RegistryCodec`]s
//! instead: they decode with the writer's schema, which `wayang-kafka`
//! fetches from the cluster's registry by the id each payload carries.

pub mod avro;
pub mod json_schema;
pub mod protobuf;
pub mod registry;

/// The Avro crate the Avro formats use: its `AvroSchema` derive, `Schema`
/// and generic `types::Value`.
pub use apache_avro;
/// The Protobuf crate the Protobuf format uses (`prost::Message`).
pub use prost;

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::data::Data;

/// A way of turning values into bytes and back.
pub trait Format: Send + Sync + 'static {
    /// The value type.
    type Value: Data;
    /// The format's name in messages (`json`, `utf-8`, ...).
    const NAME: &'static str;
    /// Decodes one payload; the error says what is wrong, never the bytes.
    fn decode(bytes: &[u8]) -> Result<Self::Value, String>;
    /// Appends the encoding of `value` to `out`.
    fn encode(value: &Self::Value, out: &mut Vec<u8>) -> Result<(), String>;
}

/// Raw bytes, as they are.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bytes;

impl Format for Bytes {
    type Value = Vec<u8>;
    const NAME: &'static str = "bytes";

    fn decode(bytes: &[u8]) -> Result<Vec<u8>, String> {
        Ok(bytes.to_vec())
    }

    fn encode(value: &Vec<u8>, out: &mut Vec<u8>) -> Result<(), String> {
        out.extend_from_slice(value);
        Ok(())
    }
}

/// UTF-8 text.
#[derive(Clone, Copy, Debug, Default)]
pub struct Utf8;

impl Format for Utf8 {
    type Value = String;
    const NAME: &'static str = "utf-8";

    fn decode(bytes: &[u8]) -> Result<String, String> {
        std::str::from_utf8(bytes)
            .map(str::to_string)
            .map_err(|e| format!("not valid UTF-8 (at byte {})", e.valid_up_to()))
    }

    fn encode(value: &String, out: &mut Vec<u8>) -> Result<(), String> {
        out.extend_from_slice(value.as_bytes());
        Ok(())
    }
}

/// JSON through serde.
pub struct Json<T>(PhantomData<fn() -> T>);

impl<T: Data + Serialize + DeserializeOwned> Format for Json<T> {
    type Value = T;
    const NAME: &'static str = "json";

    fn decode(bytes: &[u8]) -> Result<T, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }

    fn encode(value: &T, out: &mut Vec<u8>) -> Result<(), String> {
        serde_json::to_writer(out, value).map_err(|e| e.to_string())
    }
}

/// bincode 1.x (its wire format is frozen; the crate is no longer developed).
pub struct Bincode<T>(PhantomData<fn() -> T>);

impl<T: Data + Serialize + DeserializeOwned> Format for Bincode<T> {
    type Value = T;
    const NAME: &'static str = "bincode";

    fn decode(bytes: &[u8]) -> Result<T, String> {
        bincode::deserialize(bytes).map_err(|e| e.to_string())
    }

    fn encode(value: &T, out: &mut Vec<u8>) -> Result<(), String> {
        bincode::serialize_into(out, value).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    struct Order {
        id: u64,
        item: String,
        price: f64,
    }

    fn round_trip<F: Format>(value: F::Value) -> F::Value {
        let mut bytes = Vec::new();
        F::encode(&value, &mut bytes).unwrap();
        F::decode(&bytes).unwrap()
    }

    #[test]
    fn every_format_round_trips() {
        let order = Order {
            id: 7,
            item: "café ☕".into(),
            price: 2.5,
        };
        assert_eq!(round_trip::<Json<Order>>(order.clone()), order);
        assert_eq!(round_trip::<Bincode<Order>>(order.clone()), order);
        assert_eq!(round_trip::<Utf8>("東京".into()), "東京");
        assert_eq!(round_trip::<Bytes>(vec![0, 255, 1]), [0, 255, 1]);
    }

    #[test]
    fn decode_errors_describe_the_problem() {
        assert!(Json::<Order>::decode(b"{\"id\": 1}")
            .unwrap_err()
            .contains("missing field"));
        assert!(Utf8::decode(b"ab\xff").unwrap_err().contains("at byte 2"));
        assert!(Bincode::<Order>::decode(b"\x01").is_err());
    }
}
