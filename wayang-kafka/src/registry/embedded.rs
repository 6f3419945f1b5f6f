//! An in-process Schema Registry for tests and the zero-setup demo.
//!
//! It serves the REST subset that serializers and deserializers use:
//! `POST /subjects/{s}/versions` (register; the same schema gets the same
//! id), `POST /subjects/{s}` (look up), `GET /schemas/ids/{id}`,
//! `GET /subjects`, `GET /subjects/{s}/versions`,
//! `GET /subjects/{s}/versions/{v|latest}`,
//! `POST /compatibility/subjects/{s}/versions/{v|latest}`, and
//! `GET|PUT /config[/{s}]`. Compatibility levels are enforced for Avro
//! (Avro's resolution rules); JSON Schema and Protobuf versions are
//! accepted as they come. Schema references, deletion, modes, contexts and
//! GUID ids are not served. State lives in memory and ends with the value.
//! It is not a production registry: point real jobs at Confluent's (or a
//! compatible) server through `schema.registry.url`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use apache_avro::Schema;
use serde_json::{json, Value};
use tiny_http::{Header, Method, Request, Response, Server};
use wayang_core::formats::registry::SchemaType;
use wayang_core::kafka::KafkaCluster;

use crate::error::KafkaError;
use crate::registry::client::base64;
use crate::registry::compatibility::Compatibility;

/// A running embedded registry; stops when dropped.
pub struct EmbeddedRegistry {
    address: String,
    credentials: Option<(String, String)>,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

struct Stored {
    id: u32,
    schema_type: SchemaType,
    text: String,
    /// What makes two registrations the same schema.
    canonical: String,
}

struct State {
    schemas: Vec<Stored>,
    next_id: u32,
    /// Each subject's versions (1-based), as schema ids.
    subjects: BTreeMap<String, Vec<u32>>,
    default_level: Compatibility,
    levels: BTreeMap<String, Compatibility>,
    requests: u64,
}

impl EmbeddedRegistry {
    /// Starts a registry on a free loopback port; ids start at 1.
    pub fn start() -> Result<Self, KafkaError> {
        Self::start_with(1, None)
    }

    /// Starts a registry whose ids start at `first_id` (registries of
    /// different organisations give one schema different ids), requiring
    /// HTTP basic auth with `credentials` if given.
    pub fn start_with(
        first_id: u32,
        credentials: Option<(&str, &str)>,
    ) -> Result<Self, KafkaError> {
        let server = Server::http("127.0.0.1:0").map_err(|e| KafkaError::Registry {
            alias: "embedded".into(),
            reason: format!("cannot start the embedded registry: {e}"),
        })?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .ok_or_else(|| KafkaError::Registry {
                alias: "embedded".into(),
                reason: "the embedded registry has no TCP address".into(),
            })?;
        let state = Arc::new(Mutex::new(State {
            schemas: Vec::new(),
            next_id: first_id.max(1),
            subjects: BTreeMap::new(),
            default_level: Compatibility::Backward,
            levels: BTreeMap::new(),
            requests: 0,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let credentials = credentials.map(|(u, p)| (u.to_string(), p.to_string()));
        let expected = credentials
            .as_ref()
            .map(|(u, p)| format!("Basic {}", base64(format!("{u}:{p}").as_bytes())));
        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::Builder::new()
                .name("embedded-registry".into())
                .spawn(move || serve(server, &state, &stop, expected.as_deref()))
                .map_err(|e| KafkaError::Registry {
                    alias: "embedded".into(),
                    reason: format!("cannot start the embedded registry's thread: {e}"),
                })?
        };
        Ok(EmbeddedRegistry {
            address: format!("http://127.0.0.1:{port}"),
            credentials,
            state,
            stop,
            thread: Some(thread),
        })
    }

    /// The registry's address (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> &str {
        &self.address
    }

    /// `cluster` with this registry's `schema.registry.url` and, if it
    /// requires them, its credentials (`basic.auth.user.info`).
    pub fn attach(&self, cluster: KafkaCluster) -> KafkaCluster {
        let cluster = cluster.with("schema.registry.url", self.address.as_str());
        match &self.credentials {
            Some((user, password)) => cluster
                .with("basic.auth.credentials.source", "USER_INFO")
                .with("basic.auth.user.info", format!("{user}:{password}")),
            None => cluster,
        }
    }

    /// Sets the compatibility level of `subject` (or, with `None`, the
    /// default level).
    pub fn set_compatibility(&self, subject: Option<&str>, level: Compatibility) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match subject {
            Some(subject) => {
                state.levels.insert(subject.to_string(), level);
            }
            None => state.default_level = level,
        }
    }

    /// The subjects and their versions' schema ids.
    pub fn subjects(&self) -> BTreeMap<String, Vec<u32>> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .subjects
            .clone()
    }

    /// How many requests the registry has answered (to check caching).
    pub fn requests(&self) -> u64 {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .requests
    }

    /// Stops serving (the port is closed: clients see a registry that is
    /// down).
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for EmbeddedRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(server: Server, state: &Mutex<State>, stop: &AtomicBool, expected: Option<&str>) {
    while !stop.load(Ordering::Relaxed) {
        match server.recv_timeout(Duration::from_millis(50)) {
            Ok(Some(request)) => answer(request, state, expected),
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(%error, "the embedded registry stops");
                return;
            }
        }
    }
}

fn answer(mut request: Request, state: &Mutex<State>, expected: Option<&str>) {
    let authorized = expected.is_none_or(|expected| {
        request
            .headers()
            .iter()
            .any(|h| h.field.equiv("Authorization") && h.value.as_str() == expected)
    });
    let (status, body) = if authorized {
        let mut text = String::new();
        if request.as_reader().read_to_string(&mut text).is_err() {
            (400, error_body(400, "the request body is not UTF-8"))
        } else {
            let path = request
                .url()
                .split('?')
                .next()
                .unwrap_or_default()
                .to_string();
            let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
            state.requests += 1;
            route(&mut state, request.method(), &path, &text)
        }
    } else {
        (401, error_body(401, "Unauthorized"))
    };
    let mut response = Response::from_string(body.to_string()).with_status_code(status);
    if let Ok(header) = Header::from_bytes(
        &b"Content-Type"[..],
        &b"application/vnd.schemaregistry.v1+json"[..],
    ) {
        response.add_header(header);
    }
    let _ = request.respond(response);
}

fn error_body(code: i64, message: &str) -> Value {
    json!({ "error_code": code, "message": message })
}

type Answer = (u16, Value);

fn route(state: &mut State, method: &Method, path: &str, body: &str) -> Answer {
    let parts: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    match (method, parts.as_slice()) {
        (Method::Get, ["schemas", "ids", id]) => by_id(state, id),
        (Method::Get, ["schemas", "ids", id, "schema"]) => match by_id(state, id) {
            (200, found) => (200, found["schema"].clone()),
            other => other,
        },
        (Method::Get, ["subjects"]) => (200, json!(state.subjects.keys().collect::<Vec<_>>())),
        (Method::Get, ["subjects", subject, "versions"]) => match state.subjects.get(*subject) {
            Some(ids) => (200, json!((1..=ids.len()).collect::<Vec<_>>())),
            None => (
                404,
                error_body(40401, &format!("Subject '{subject}' not found.")),
            ),
        },
        (Method::Get, ["subjects", subject, "versions", version]) => {
            match version_of(state, subject, version) {
                Ok((version, id)) => (200, version_body(state, subject, version, id)),
                Err(answer) => answer,
            }
        }
        (Method::Post, ["subjects", subject, "versions"]) => register(state, subject, body),
        (Method::Post, ["subjects", subject]) => look_up(state, subject, body),
        (Method::Post, ["compatibility", "subjects", subject, "versions", version]) => {
            compatibility(state, subject, version, body)
        }
        (Method::Get, ["config"]) => (
            200,
            json!({ "compatibilityLevel": state.default_level.name() }),
        ),
        (Method::Get, ["config", subject]) => match state.levels.get(*subject) {
            Some(level) => (200, json!({ "compatibilityLevel": level.name() })),
            None => (
                404,
                error_body(
                    40408,
                    &format!(
                        "Subject '{subject}' does not have subject-level compatibility configured"
                    ),
                ),
            ),
        },
        (Method::Put, ["config"]) => set_level(state, None, body),
        (Method::Put, ["config", subject]) => set_level(state, Some(subject), body),
        _ => (404, error_body(404, "HTTP 404 Not Found")),
    }
}

fn by_id(state: &State, id: &str) -> Answer {
    let found = id
        .parse::<u32>()
        .ok()
        .and_then(|id| state.schemas.iter().find(|s| s.id == id));
    match found {
        Some(stored) => (200, schema_body(stored)),
        None => (404, error_body(40403, "Schema not found")),
    }
}

fn schema_body(stored: &Stored) -> Value {
    let mut body = json!({ "schema": stored.text });
    if stored.schema_type != SchemaType::Avro {
        body["schemaType"] = stored.schema_type.registry_name().into();
    }
    body
}

fn version_body(state: &State, subject: &str, version: usize, id: u32) -> Value {
    let mut body = state
        .schemas
        .iter()
        .find(|s| s.id == id)
        .map(schema_body)
        .unwrap_or_else(|| json!({}));
    body["subject"] = subject.into();
    body["version"] = version.into();
    body["id"] = id.into();
    body
}

fn version_of(state: &State, subject: &str, version: &str) -> Result<(usize, u32), Answer> {
    let ids = state.subjects.get(subject).ok_or_else(|| {
        (
            404,
            error_body(40401, &format!("Subject '{subject}' not found.")),
        )
    })?;
    let version = if version == "latest" || version == "-1" {
        ids.len()
    } else {
        version.parse::<usize>().map_err(|_| {
            (
                422,
                error_body(42202, "The specified version is not a valid version id"),
            )
        })?
    };
    match version.checked_sub(1).and_then(|at| ids.get(at)) {
        Some(id) => Ok((version, *id)),
        None => Err((404, error_body(40402, "Version not found."))),
    }
}

/// A request's schema: its type, text and canonical form.
fn parse_request(body: &str) -> Result<(SchemaType, String, String, Option<Schema>), Answer> {
    let request: Value = serde_json::from_str(body)
        .map_err(|_| (422, error_body(422, "the request body is not JSON")))?;
    let text = request["schema"]
        .as_str()
        .ok_or_else(|| {
            (
                422,
                error_body(42201, "Invalid schema: no \"schema\" field"),
            )
        })?
        .to_string();
    if request["references"]
        .as_array()
        .is_some_and(|r| !r.is_empty())
    {
        return Err((
            422,
            error_body(
                42201,
                "schema references are not supported by the embedded registry",
            ),
        ));
    }
    let schema_type = SchemaType::from_registry_name(request["schemaType"].as_str())
        .ok_or_else(|| (422, error_body(42201, "Invalid schema: unknown schemaType")))?;
    match schema_type {
        SchemaType::Avro => {
            let parsed = Schema::parse_str(&text)
                .map_err(|e| (422, error_body(42201, &format!("Invalid schema: {e}"))))?;
            Ok((schema_type, text, parsed.canonical_form(), Some(parsed)))
        }
        SchemaType::Json => {
            let parsed: Value = serde_json::from_str(&text)
                .map_err(|e| (422, error_body(42201, &format!("Invalid schema: {e}"))))?;
            Ok((schema_type, text, parsed.to_string(), None))
        }
        SchemaType::Protobuf => {
            let canonical = text.split_whitespace().collect::<Vec<_>>().join(" ");
            Ok((schema_type, text, canonical, None))
        }
    }
}

fn level_of(state: &State, subject: &str) -> Compatibility {
    state
        .levels
        .get(subject)
        .copied()
        .unwrap_or(state.default_level)
}

/// Whether the parsed request may follow the subject's versions.
fn check(
    state: &State,
    subject: &str,
    against: &[u32],
    avro: Option<&Schema>,
) -> Result<(), String> {
    let Some(new) = avro else {
        return Ok(());
    };
    let earlier: Vec<(u32, Schema)> = against
        .iter()
        .enumerate()
        .filter_map(|(at, id)| {
            let stored = state.schemas.iter().find(|s| s.id == *id)?;
            let schema = Schema::parse_str(&stored.text).ok()?;
            Some((at as u32 + 1, schema))
        })
        .collect();
    level_of(state, subject).check_avro(new, &earlier)
}

fn register(state: &mut State, subject: &str, body: &str) -> Answer {
    let (schema_type, text, canonical, avro) = match parse_request(body) {
        Ok(parsed) => parsed,
        Err(answer) => return answer,
    };
    let existing = state
        .schemas
        .iter()
        .find(|s| s.schema_type == schema_type && s.canonical == canonical)
        .map(|s| s.id);
    let versions = state.subjects.get(subject).cloned().unwrap_or_default();
    if let Some(id) = existing.filter(|id| versions.contains(id)) {
        return (200, json!({ "id": id }));
    }
    if let Some(first) = versions.first() {
        let first_type = state
            .schemas
            .iter()
            .find(|s| s.id == *first)
            .map(|s| s.schema_type);
        if first_type.is_some_and(|t| t != schema_type) {
            return (409, error_body(409, "Schema being registered is incompatible with an earlier schema: another schema type"));
        }
    }
    if let Err(reason) = check(state, subject, &versions, avro.as_ref()) {
        return (409, error_body(409, &format!("Schema being registered is incompatible with an earlier schema for subject \"{subject}\": {reason}")));
    }
    let id = match existing {
        Some(id) => id,
        None => {
            let id = state.next_id;
            state.next_id += 1;
            state.schemas.push(Stored {
                id,
                schema_type,
                text,
                canonical,
            });
            id
        }
    };
    state
        .subjects
        .entry(subject.to_string())
        .or_default()
        .push(id);
    (200, json!({ "id": id }))
}

fn look_up(state: &State, subject: &str, body: &str) -> Answer {
    let (schema_type, _, canonical, _) = match parse_request(body) {
        Ok(parsed) => parsed,
        Err(answer) => return answer,
    };
    let Some(ids) = state.subjects.get(subject) else {
        return (
            404,
            error_body(40401, &format!("Subject '{subject}' not found.")),
        );
    };
    let found = ids.iter().enumerate().find(|(_, id)| {
        state
            .schemas
            .iter()
            .any(|s| s.id == **id && s.schema_type == schema_type && s.canonical == canonical)
    });
    match found {
        Some((at, id)) => (200, version_body(state, subject, at + 1, *id)),
        None => (404, error_body(40403, "Schema not found")),
    }
}

fn compatibility(state: &State, subject: &str, version: &str, body: &str) -> Answer {
    let (_, _, _, avro) = match parse_request(body) {
        Ok(parsed) => parsed,
        Err(answer) => return answer,
    };
    let against = match version_of(state, subject, version) {
        Ok((version, _)) => state.subjects[subject][..version].to_vec(),
        Err((404, _)) if !state.subjects.contains_key(subject) => Vec::new(),
        Err(answer) => return answer,
    };
    let verdict = check(state, subject, &against, avro.as_ref());
    (200, json!({ "is_compatible": verdict.is_ok() }))
}

fn set_level(state: &mut State, subject: Option<&str>, body: &str) -> Answer {
    let level = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["compatibility"].as_str().and_then(Compatibility::parse));
    let Some(level) = level else {
        return (422, error_body(42203, "Invalid compatibility level"));
    };
    match subject {
        Some(subject) => {
            state.levels.insert(subject.to_string(), level);
        }
        None => state.default_level = level,
    }
    (200, json!({ "compatibility": level.name() }))
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[at] == b'%' && at + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[at + 1]), hex(bytes[at + 2])) {
                out.push((h * 16 + l) as u8);
                at += 3;
                continue;
            }
        }
        out.push(bytes[at]);
        at += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
