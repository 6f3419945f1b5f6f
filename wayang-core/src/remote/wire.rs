//! How records cross a process boundary: one line-safe text column per
//! record (bincode, then base64 without padding), so a record containing tabs,
//! newlines or anything else can travel through Spark's script transformation.
//!
//! A record type has a wire codec only if it is registered: the common
//! standard types are; a program registers its own with [`register`]. Rust
//! cannot ask at run time whether a type implements serde's traits, and a type
//! without a codec must still run in process, so registration is explicit.

use std::any::TypeId;
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::data::{AnyIter, Data, DataType};
use crate::error::{Error, Result};

/// Encodes and decodes the records of one type.
pub trait WireCodec: Send + Sync {
    /// The record type's name.
    fn type_name(&self) -> &'static str;

    /// Writes every record of `records` as one line-safe token followed by
    /// `end` (a newline or a tab), and returns how many it wrote.
    fn encode(&self, records: AnyIter, out: &mut dyn Write, end: u8) -> Result<u64>;

    /// Decodes tokens (as written by [`WireCodec::encode`]) into a stream.
    fn decode(&self, tokens: Box<dyn Iterator<Item = Result<Vec<u8>>> + Send>) -> AnyIter;

    /// Encodes every record of a stream into its own token (for the driver,
    /// which sends records to Spark as rows).
    fn encode_all(&self, records: AnyIter) -> Result<Vec<String>>;
}

struct Bincode<T>(std::marker::PhantomData<fn() -> T>);

impl<T: Data + Serialize + DeserializeOwned> WireCodec for Bincode<T> {
    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }

    fn encode(&self, records: AnyIter, out: &mut dyn Write, end: u8) -> Result<u64> {
        let mut bytes = Vec::new();
        let mut token = Vec::new();
        let mut written = 0;
        for record in records.downcast::<T>()? {
            bytes.clear();
            bincode::serialize_into(&mut bytes, &record).map_err(|e| encode_error::<T>(&e))?;
            token.clear();
            base64::encode_into(&bytes, &mut token);
            token.push(end);
            out.write_all(&token).map_err(|e| {
                Error::internal(format!("cannot write records to the next stage: {e}"))
            })?;
            written += 1;
        }
        Ok(written)
    }

    fn decode(&self, tokens: Box<dyn Iterator<Item = Result<Vec<u8>>> + Send>) -> AnyIter {
        AnyIter::new(tokens.map_while(move |token| {
            let decoded = token.and_then(|token| {
                let bytes =
                    base64::decode(&token).ok_or_else(|| decode_error::<T>("not base64"))?;
                bincode::deserialize::<T>(&bytes).map_err(|e| decode_error::<T>(&e.to_string()))
            });
            match decoded {
                Ok(record) => Some(record),
                Err(error) => crate::job::fail_record(error.to_string()),
            }
        }))
    }

    fn encode_all(&self, records: AnyIter) -> Result<Vec<String>> {
        let mut out = Vec::new();
        self.encode(records, &mut out, b'\n')?;
        String::from_utf8(out)
            .map(|text| text.lines().map(str::to_owned).collect())
            .map_err(|_| Error::internal("base64 produced non-UTF-8 text"))
    }
}

fn encode_error<T>(error: &bincode::Error) -> Error {
    Error::internal(format!(
        "a record of type {} cannot be encoded for another process: {error}",
        std::any::type_name::<T>()
    ))
}

fn decode_error<T>(reason: &str) -> Error {
    Error::internal(format!(
        "a record of type {} sent by another process does not decode ({reason}): the \
         processes do not run the same program",
        std::any::type_name::<T>()
    ))
}

type Registry = RwLock<HashMap<TypeId, Arc<dyn WireCodec>>>;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut codecs = HashMap::new();
        builtin(&mut codecs);
        RwLock::new(codecs)
    })
}

/// Makes records of type `T` able to cross process boundaries (run on a
/// Spark cluster, say). Registering a type twice is harmless.
pub fn register<T: Data + Serialize + DeserializeOwned>() {
    registry()
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(TypeId::of::<T>(), codec::<T>());
}

fn codec<T: Data + Serialize + DeserializeOwned>() -> Arc<dyn WireCodec> {
    Arc::new(Bincode::<T>(std::marker::PhantomData))
}

/// The wire codec of a record type, if it has one.
pub fn codec_for(data_type: &DataType) -> Option<Arc<dyn WireCodec>> {
    registry()
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&data_type.type_id())
        .cloned()
}

/// The wire codec of a record type, or an error that says how to get one.
pub fn require_codec(data_type: &DataType, whose: &str) -> Result<Arc<dyn WireCodec>> {
    codec_for(data_type).ok_or_else(|| Error::Unsupported {
        operator: whose.to_string(),
        reason: format!(
            "its records ({}) cannot leave this process: register the type with \
             wayang_core::remote::register::<{}>() (it must implement serde's Serialize and \
             Deserialize), or keep the operator in process",
            data_type.name(),
            data_type.name()
        ),
    })
}

macro_rules! singles_and_pairs {
    ($codecs:ident; $($t:ty),*) => {
        $( $codecs.insert(TypeId::of::<$t>(), codec::<$t>()); )*
        singles_and_pairs!(@pairs $codecs; [$($t),*]; $($t),*);
    };
    (@pairs $codecs:ident; $all:tt; $($first:ty),*) => {
        $( singles_and_pairs!(@row $codecs; $first; $all); )*
    };
    (@row $codecs:ident; $first:ty; [$($second:ty),*]) => {
        $(
            $codecs.insert(TypeId::of::<($first, $second)>(), codec::<($first, $second)>());
            $codecs.insert(
                TypeId::of::<($first, Vec<$second>)>(),
                codec::<($first, Vec<$second>)>(),
            );
        )*
    };
}

/// The standard types every program can send without registering: scalars,
/// strings, bytes, and pairs of them (the key-value records of keyed
/// operators), with vectors as second members (the groups of a group-by).
fn builtin(codecs: &mut HashMap<TypeId, Arc<dyn WireCodec>>) {
    singles_and_pairs!(codecs; bool, u8, u32, u64, i32, i64, f32, f64, usize, char, String);
    codecs.insert(TypeId::of::<Vec<u8>>(), codec::<Vec<u8>>());
    codecs.insert(TypeId::of::<Vec<String>>(), codec::<Vec<String>>());
    codecs.insert(TypeId::of::<()>(), codec::<()>());
}

/// Base64 (standard alphabet, no padding): line-safe and tab-free.
mod base64 {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub(super) fn encode_into(bytes: &[u8], out: &mut Vec<u8>) {
        out.reserve(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            let chars = chunk.len() + 1;
            for i in 0..chars {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]);
            }
        }
    }

    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }

    pub(super) fn decode(text: &[u8]) -> Option<Vec<u8>> {
        if text.len() % 4 == 1 {
            return None;
        }
        let mut out = Vec::with_capacity(text.len() * 3 / 4);
        for chunk in text.chunks(4) {
            let mut n = 0u32;
            for (i, &c) in chunk.iter().enumerate() {
                n |= value(c)? << (18 - 6 * i);
            }
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.extend_from_slice(&bytes[..chunk.len() - 1]);
        }
        Some(out)
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn round_trips_every_length() {
            for len in 0..40u8 {
                let bytes: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37) ^ 0xa5).collect();
                let mut text = Vec::new();
                super::encode_into(&bytes, &mut text);
                assert!(text.iter().all(|c| !b"\t\n\r=".contains(c)));
                assert_eq!(super::decode(&text).as_deref(), Some(&bytes[..]));
            }
            assert_eq!(super::decode(b"A"), None);
            assert_eq!(super::decode(b"AB\tC"), None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_pairs_round_trip_with_tabs_and_newlines() {
        let data_type = DataType::of::<(String, u64)>();
        let codec = codec_for(&data_type).expect("a builtin codec");
        let records = vec![("a\tb\nc".to_string(), 1u64), (String::new(), u64::MAX)];
        let mut out = Vec::new();
        let written = codec
            .encode(AnyIter::new(records.clone().into_iter()), &mut out, b'\n')
            .unwrap();
        assert_eq!(written, 2);
        let tokens: Vec<Result<Vec<u8>>> = out
            .split(|&c| c == b'\n')
            .filter(|line| !line.is_empty())
            .map(|line| Ok(line.to_vec()))
            .collect();
        let decoded: Vec<(String, u64)> = codec
            .decode(Box::new(tokens.into_iter()))
            .downcast()
            .unwrap()
            .collect();
        assert_eq!(decoded, records);
    }

    #[test]
    fn unregistered_types_have_no_codec_until_registered() {
        #[derive(Clone, serde::Serialize, serde::Deserialize)]
        struct Private(u8);
        let data_type = DataType::of::<Private>();
        let error = require_codec(&data_type, "map 'x'")
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("register"), "{error}");
        register::<Private>();
        assert!(codec_for(&data_type).is_some());
    }
}
