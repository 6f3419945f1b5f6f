//! The Schema Registry REST client: schemas by id and subject
//! registration, cached per registry for the life of the process, every
//! request bounded by the registry's deadline.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use serde::Deserialize;
use ureq::tls::{RootCerts, TlsConfig, TlsProvider};
use wayang_core::formats::registry::{
    RegisteredSchema, RegistryError, SchemaDefinition, SchemaRegistry, SchemaType,
};
use wayang_core::kafka::KafkaCluster;

use crate::error::KafkaError;
use crate::registry::config::RegistryConfig;

/// The media type registry clients send and accept.
const MEDIA_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// How often a request that met a server error (5xx) or a dropped
/// connection is tried, within the deadline.
const ATTEMPTS: u32 = 3;

/// A Schema Registry reached over HTTP(S).
pub(crate) struct HttpRegistry {
    config: RegistryConfig,
    agent: ureq::Agent,
    authorization: Option<String>,
    by_id: Mutex<HashMap<u32, Arc<RegisteredSchema>>>,
    by_subject: Mutex<HashMap<(String, SchemaType, String, bool), u32>>,
}

impl fmt::Debug for HttpRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRegistry")
            .field("address", &self.config.address)
            .field("authenticated", &self.config.credentials.is_some())
            .finish()
    }
}

/// The registry of `cluster`, if its properties name one: one client per
/// registry (address and credentials) per process, so its caches serve
/// every job and task.
pub fn registry_for(cluster: &KafkaCluster) -> Result<Option<Arc<dyn SchemaRegistry>>, KafkaError> {
    static CLIENTS: OnceLock<Mutex<HashMap<RegistryConfig, Arc<HttpRegistry>>>> = OnceLock::new();
    let Some(config) = RegistryConfig::of(cluster)? else {
        return Ok(None);
    };
    let mut clients = CLIENTS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(client) = clients.get(&config) {
        return Ok(Some(client.clone()));
    }
    let client =
        Arc::new(
            HttpRegistry::new(config.clone()).map_err(|reason| KafkaError::Registry {
                alias: cluster.alias().to_string(),
                reason,
            })?,
        );
    clients.insert(config, client.clone());
    Ok(Some(client))
}

#[derive(Deserialize)]
struct SchemaAnswer {
    schema: String,
    #[serde(rename = "schemaType")]
    schema_type: Option<String>,
}

#[derive(Deserialize)]
struct IdAnswer {
    id: u32,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error_code: Option<i64>,
    message: Option<String>,
}

/// One HTTP answer: status and body.
struct Answer {
    status: u16,
    body: String,
}

impl Answer {
    fn error_code(&self) -> Option<i64> {
        serde_json::from_str::<ErrorAnswer>(&self.body)
            .ok()
            .and_then(|e| e.error_code)
    }

    /// The registry's message, cut short: enough to act on, never a dump.
    fn message(&self) -> String {
        let message = serde_json::from_str::<ErrorAnswer>(&self.body)
            .ok()
            .and_then(|e| e.message)
            .unwrap_or_else(|| self.body.clone());
        message.chars().take(300).collect()
    }
}

impl HttpRegistry {
    fn new(config: RegistryConfig) -> Result<Self, String> {
        let mut tls = TlsConfig::builder()
            .provider(TlsProvider::NativeTls)
            .root_certs(RootCerts::PlatformVerifier);
        if let Some(path) = &config.ca_location {
            let pem = std::fs::read(path).map_err(|e| {
                format!("schema.registry.ssl.ca.location: cannot read {path:?}: {e}")
            })?;
            let certificates: Vec<_> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certificates.is_empty() {
                return Err(format!(
                    "schema.registry.ssl.ca.location: {path:?} holds no PEM certificate"
                ));
            }
            tls = tls.root_certs(RootCerts::new_with_certs(&certificates));
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .tls_config(tls.build())
            .user_agent("wayang-rs")
            .build()
            .new_agent();
        let authorization = config.credentials.as_ref().map(|c| {
            format!(
                "Basic {}",
                base64(format!("{}:{}", c.user, c.password).as_bytes())
            )
        });
        Ok(HttpRegistry {
            config,
            agent,
            authorization,
            by_id: Mutex::default(),
            by_subject: Mutex::default(),
        })
    }

    fn unavailable(&self, reason: impl Into<String>) -> RegistryError {
        RegistryError::Unavailable {
            registry: self.config.address.clone(),
            reason: reason.into(),
        }
    }

    /// The headers every request carries: what it accepts, and the
    /// credentials where the registry has them.
    fn headers<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        let request = request.header("Accept", MEDIA_TYPE);
        match &self.authorization {
            Some(authorization) => request.header("Authorization", authorization),
            None => request,
        }
    }

    /// Sends a request, retrying server errors and dropped connections
    /// while the deadline allows.
    fn request(&self, path: &str, body: Option<&str>) -> Result<Answer, RegistryError> {
        let url = format!("{}{path}", self.config.address);
        let deadline = Instant::now() + self.config.timeout;
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                let pause = Duration::from_millis(50 << attempt);
                if Instant::now() + pause >= deadline {
                    break;
                }
                std::thread::sleep(pause);
            }
            let answer = match body {
                Some(body) => self
                    .headers(self.agent.post(&url))
                    .header("Content-Type", MEDIA_TYPE)
                    .send(body),
                None => self.headers(self.agent.get(&url)).call(),
            };
            match answer {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    let body = response
                        .body_mut()
                        .read_to_string()
                        .map_err(|e| self.unavailable(format!("unreadable answer: {e}")))?;
                    if status >= 500 && attempt + 1 < ATTEMPTS {
                        last = format!("HTTP {status}");
                        continue;
                    }
                    return Ok(Answer { status, body });
                }
                Err(ureq::Error::Timeout(_)) => {
                    return Err(self.unavailable(format!(
                        "no answer within {} ms (schema.registry.request.timeout.ms)",
                        self.config.timeout.as_millis()
                    )))
                }
                Err(error) => last = error.to_string(),
            }
        }
        Err(self.unavailable(last))
    }

    fn refusal(&self, answer: &Answer) -> RegistryError {
        match answer.status {
            401 | 403 => RegistryError::Unauthorized {
                registry: self.config.address.clone(),
                status: answer.status,
            },
            status if status >= 500 => {
                self.unavailable(format!("HTTP {status}: {}", answer.message()))
            }
            status => RegistryError::Rejected {
                registry: self.config.address.clone(),
                status,
                reason: answer.message(),
            },
        }
    }

    fn remember(&self, schema: RegisteredSchema) -> Arc<RegisteredSchema> {
        let schema = Arc::new(schema);
        self.by_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(schema.id, schema.clone());
        schema
    }
}

impl SchemaRegistry for HttpRegistry {
    fn address(&self) -> &str {
        &self.config.address
    }

    fn schema(&self, id: u32) -> Result<Arc<RegisteredSchema>, RegistryError> {
        if let Some(known) = self
            .by_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
        {
            return Ok(known.clone());
        }
        let answer = self.request(&format!("/schemas/ids/{id}"), None)?;
        match answer.status {
            200 => {}
            404 => {
                return Err(RegistryError::UnknownId {
                    registry: self.config.address.clone(),
                    id,
                })
            }
            _ => return Err(self.refusal(&answer)),
        }
        let parsed: SchemaAnswer =
            serde_json::from_str(&answer.body).map_err(|e| RegistryError::Rejected {
                registry: self.config.address.clone(),
                status: 200,
                reason: format!("schema id {id}: unreadable answer: {e}"),
            })?;
        let schema_type = SchemaType::from_registry_name(parsed.schema_type.as_deref())
            .ok_or_else(|| RegistryError::Rejected {
                registry: self.config.address.clone(),
                status: 200,
                reason: format!("schema id {id} has an unknown schemaType"),
            })?;
        tracing::debug!(registry = %self.config.address, id, %schema_type, "fetched a schema");
        Ok(self.remember(RegisteredSchema {
            id,
            schema_type,
            text: parsed.schema,
        }))
    }

    fn id_for(
        &self,
        subject: &str,
        schema: &SchemaDefinition,
        register: bool,
    ) -> Result<u32, RegistryError> {
        let key = (
            subject.to_string(),
            schema.schema_type,
            schema.text.clone(),
            register,
        );
        if let Some(id) = self
            .by_subject
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(*id);
        }
        let mut body = serde_json::json!({ "schema": schema.text });
        if schema.schema_type != SchemaType::Avro {
            body["schemaType"] = schema.schema_type.registry_name().into();
        }
        let path = if register {
            format!("/subjects/{}/versions", encode_path_segment(subject))
        } else {
            format!("/subjects/{}", encode_path_segment(subject))
        };
        let answer = self.request(&path, Some(&body.to_string()))?;
        let id = match answer.status {
            200 => {
                serde_json::from_str::<IdAnswer>(&answer.body)
                    .map_err(|e| RegistryError::Rejected {
                        registry: self.config.address.clone(),
                        status: 200,
                        reason: format!("subject {subject:?}: unreadable answer: {e}"),
                    })?
                    .id
            }
            404 if !register => {
                return Err(RegistryError::NotRegistered {
                    registry: self.config.address.clone(),
                    subject: subject.to_string(),
                })
            }
            409 => {
                return Err(RegistryError::Incompatible {
                    registry: self.config.address.clone(),
                    subject: subject.to_string(),
                    reason: answer.message(),
                })
            }
            _ => {
                let code = answer.error_code();
                return Err(match self.refusal(&answer) {
                    RegistryError::Rejected {
                        registry,
                        status,
                        reason,
                    } => RegistryError::Rejected {
                        registry,
                        status,
                        reason: format!(
                            "subject {subject:?}{}: {reason}",
                            code.map(|c| format!(" (error code {c})"))
                                .unwrap_or_default()
                        ),
                    },
                    other => other,
                });
            }
        };
        tracing::debug!(registry = %self.config.address, subject, id, register, "schema id of a subject");
        self.by_subject
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, id);
        self.remember(RegisteredSchema {
            id,
            schema_type: schema.schema_type,
            text: schema.text.clone(),
        });
        Ok(id)
    }
}

/// Percent-encodes a URL path segment (subjects may hold `/`, spaces, ...).
fn encode_path_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Standard base64 with padding (for the Basic authorization header).
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[test]
    fn subjects_are_percent_encoded() {
        assert_eq!(encode_path_segment("orders-value"), "orders-value");
        assert_eq!(encode_path_segment("a/b c"), "a%2Fb%20c");
    }
}
