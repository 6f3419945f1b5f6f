//! Creating librdkafka clients from a [`KafkaCluster`], with the cluster's
//! properties checked by librdkafka itself and errors mapped back to the line
//! of the properties file (without ever showing a secret), and what every
//! client reports besides results: librdkafka's log lines go to `tracing`
//! (target `librdkafka`) with secrets redacted, and authentication failures
//! are kept so that a waiting call can report them at once.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, FromClientConfigAndContext, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, Consumer as _, ConsumerContext};
use rdkafka::error::KafkaError as RdError;
use wayang_core::kafka::{is_registry_key, is_secret_key, KafkaCluster, REDACTED};

use crate::error::{ErrorCode, KafkaError};
use crate::settings::KafkaSettings;

/// Checks every property of `cluster` with librdkafka; the first unknown or
/// invalid one is an error naming the cluster, the key and its file:line.
///
/// ```
/// use wayang_core::kafka::KafkaCluster;
///
/// let ok = KafkaCluster::new("a").with("bootstrap.servers", "localhost:9092");
/// assert!(wayang_kafka::validate(&ok).is_ok());
/// let typo = ok.with("bootstrap.server", "localhost:9092");
/// let error = wayang_kafka::validate(&typo).unwrap_err().to_string();
/// assert!(error.contains("unknown property \"bootstrap.server\""), "{error}");
/// ```
pub fn validate(cluster: &KafkaCluster) -> Result<(), KafkaError> {
    crate::registry::validate(cluster)?;
    config(cluster, &[])
        .create_native_config()
        .map(drop)
        .map_err(|error| config_error(cluster, error))
}

/// A client configuration: wayang's `defaults` for the client's role, then
/// the cluster's properties (which override them).
pub(crate) fn config(cluster: &KafkaCluster, defaults: &[(&str, &str)]) -> ClientConfig {
    let mut config = ClientConfig::new();
    for (key, value) in LATENCY_DEFAULTS.iter().chain(defaults) {
        config.set(*key, *value);
    }
    for property in cluster.properties() {
        if !is_registry_key(&property.key) {
            config.set(&property.key, &property.value);
        }
    }
    // Someone who sets `debug` wants librdkafka's debug lines: let them
    // through to `tracing` whatever the global log level was at start-up.
    if cluster.get("debug").is_some() {
        config.set_log_level(RDKafkaLogLevel::Debug);
    }
    config
}

/// Client defaults for bounded jobs, where a client lives for one job and
/// its set-up is on the job's critical path; a cluster's properties file
/// overrides them.
///
/// `reconnect.backoff.ms`: librdkafka also derives from it how long it
/// holds back a second connection attempt to the cluster (half of it, at
/// least 11 ms), and every new client's first request waited out that
/// hold: 50 ms per client with the default of 100 ms, several times per
/// job (measured against tansu: a metadata request took 53 ms, 11-14 ms
/// with 10). Retries after real failures still back off exponentially up
/// to `reconnect.backoff.max.ms`.
const LATENCY_DEFAULTS: &[(&str, &str)] = &[("reconnect.backoff.ms", "10")];

/// Settings that wayang needs and the user must not change.
pub(crate) fn force(config: &mut ClientConfig, forced: &[(&str, &str)]) {
    for (key, value) in forced {
        config.set(*key, *value);
    }
}

/// Creates a client, mapping configuration errors to the cluster's lines.
pub(crate) fn create<T, C>(
    cluster: &KafkaCluster,
    config: &ClientConfig,
    context: C,
) -> Result<T, KafkaError>
where
    T: FromClientConfigAndContext<C>,
    C: ClientContext,
{
    T::from_config_and_context(config, context).map_err(|error| config_error(cluster, error))
}

/// A consumer of `cluster` with wayang's event handling.
/// A consumer that, when it has a group id, closes without the wait of
/// rdkafka's drop: that polls in whole 100 ms steps until librdkafka says
/// the close is done, so each reader of a job added 100 ms at its end.
pub(crate) struct Consumer {
    inner: BaseConsumer<ClientEvents>,
    in_group: bool,
}

impl std::ops::Deref for Consumer {
    type Target = BaseConsumer<ClientEvents>;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        if !self.in_group || self.inner.close_queue().is_err() {
            return;
        }
        // These consumers are assigned, never subscribed, and commit
        // explicitly: closing has no rebalance to wait for and takes a
        // round of librdkafka's threads, about a millisecond. Bounded, so
        // an unreachable coordinator cannot hold the job; rdkafka's drop
        // then sees the consumer closed and returns at once.
        let deadline = Instant::now() + Duration::from_secs(2);
        while !self.inner.closed() && Instant::now() < deadline {
            let _ = self.inner.poll(Duration::ZERO);
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Creates a consumer from `config`.
pub(crate) fn consumer(
    cluster: &KafkaCluster,
    config: &ClientConfig,
) -> Result<Consumer, KafkaError> {
    Ok(Consumer {
        inner: create(cluster, config, ClientEvents::new(cluster))?,
        in_group: config.get("group.id").is_some(),
    })
}

/// Maps a client-creation error. librdkafka's text may quote the value, so
/// the value is cut out of it, and for secret properties nothing of the
/// text is shown.
pub(crate) fn config_error(cluster: &KafkaCluster, error: RdError) -> KafkaError {
    match error {
        RdError::ClientConfig(_, description, key, value) => {
            let at = cluster
                .origin_of(&key)
                .map(|origin| format!(" at {origin}"))
                .unwrap_or_default();
            let alias = cluster.alias().to_string();
            if description.contains("No such configuration property") {
                KafkaError::UnknownProperty { alias, key, at }
            } else {
                let reason = if is_secret_key(&key) {
                    "invalid value (not shown: the property may hold a secret)".to_string()
                } else {
                    without_value(&description, &value)
                };
                KafkaError::InvalidProperty {
                    alias,
                    key,
                    at,
                    reason,
                }
            }
        }
        other => KafkaError::client(
            cluster.alias(),
            format!(
                "cannot create a client: {}",
                redact(cluster, &other.to_string())
            ),
            ErrorCode::of(&other),
        ),
    }
}

/// `text` with every occurrence of `value` replaced by `<value>`.
fn without_value(text: &str, value: &str) -> String {
    if value.is_empty() {
        return text.to_string();
    }
    text.replace(value, "<value>")
}

/// The values of `cluster`'s properties that must never be shown.
fn secret_values(cluster: &KafkaCluster) -> Vec<String> {
    let mut values: Vec<String> = cluster
        .properties()
        .iter()
        .filter(|p| is_secret_key(&p.key) && !p.value.is_empty())
        .map(|p| p.value.clone())
        .collect();
    // Longest first, so a value containing another is redacted whole.
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values
}

/// `text` with every secret value of `cluster` redacted: for anything
/// librdkafka says, which wayang passes on.
pub(crate) fn redact(cluster: &KafkaCluster, text: &str) -> String {
    redact_values(&secret_values(cluster), text)
}

fn redact_values(values: &[String], text: &str) -> String {
    let mut out = text.to_string();
    for value in values {
        if !out.contains(value.as_str()) {
            continue;
        }
        out = if value.chars().count() >= 4 {
            out.replace(value.as_str(), REDACTED)
        } else {
            // A short value (an unknown setting's `1`) is only redacted as a
            // whole token, or every digit of every log line would be.
            replace_tokens(&out, value)
        };
    }
    out
}

/// `text` with every occurrence of `value` that is not part of a longer
/// alphanumeric run replaced by [`REDACTED`].
fn replace_tokens(text: &str, value: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(value) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + value.len()..].chars().next();
        let alone =
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric);
        out.push_str(&rest[..at]);
        out.push_str(if alone { REDACTED } else { value });
        rest = &rest[at + value.len()..];
    }
    out.push_str(rest);
    out
}

/// What librdkafka reports about a client besides the results of calls.
pub(crate) struct ClientEvents {
    alias: String,
    secrets: Vec<String>,
    auth_failure: Mutex<Option<(Option<ErrorCode>, String)>>,
}

impl ClientEvents {
    pub(crate) fn new(cluster: &KafkaCluster) -> Self {
        ClientEvents {
            alias: cluster.alias().to_string(),
            secrets: secret_values(cluster),
            auth_failure: Mutex::new(None),
        }
    }

    /// The first authentication failure librdkafka reported, if any.
    pub(crate) fn auth_failure(&self) -> Option<(Option<ErrorCode>, String)> {
        self.auth_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn record_auth_failure(&self, code: Option<ErrorCode>, reason: &str) {
        let mut slot = self
            .auth_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some((code, reason.to_string()));
        }
    }

    fn log_line(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        let message = redact_values(&self.secrets, message);
        let cluster = self.alias.as_str();
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error => {
                tracing::error!(target: "librdkafka", cluster, facility, "{message}")
            }
            RDKafkaLogLevel::Warning => {
                tracing::warn!(target: "librdkafka", cluster, facility, "{message}")
            }
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::info!(target: "librdkafka", cluster, facility, "{message}")
            }
            RDKafkaLogLevel::Debug => {
                tracing::debug!(target: "librdkafka", cluster, facility, "{message}")
            }
        }
        // librdkafka logs a failed SASL handshake or TLS set-up as it
        // happens; the error event that follows can come a second later.
        let failing = matches!(
            level,
            RDKafkaLogLevel::Emerg
                | RDKafkaLogLevel::Alert
                | RDKafkaLogLevel::Critical
                | RDKafkaLogLevel::Error
        );
        if failing && facility == "FAIL" && is_auth_message(&message) {
            self.record_auth_failure(Some(ErrorCode::AUTHENTICATION), &message);
        }
    }
}

/// Whether a librdkafka failure line is about authentication (SASL), not
/// a dropped connection: TLS failures are left to the error codes, since a
/// broker restarting mid-handshake logs them too.
fn is_auth_message(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    ["sasl", "authentication"]
        .iter()
        .any(|word| lower.contains(word))
}

impl ClientContext for ClientEvents {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        self.log_line(level, facility, message);
    }

    fn error(&self, error: RdError, reason: &str) {
        let reason = redact_values(&self.secrets, reason);
        let code = ErrorCode::of(&error);
        if code.is_some_and(ErrorCode::is_authentication) {
            tracing::warn!(cluster = %self.alias, %reason, "authentication failed");
            self.record_auth_failure(code, &reason);
        } else {
            tracing::debug!(cluster = %self.alias, %reason, ?code, "client error");
        }
    }
}

impl ConsumerContext for ClientEvents {}

/// Runs a blocking request of `consumer` in slices until it succeeds, fails
/// for good, or `settings.timeout` passes; between slices it serves the
/// client's events, so an authentication failure ends the wait as soon as
/// librdkafka reports it. Slices start at 100 ms and double, so a cluster
/// whose round trip is longer than a slice (another region, TLS set-up)
/// still answers in time.
pub(crate) fn within<T>(
    consumer: &Consumer,
    cluster: &KafkaCluster,
    settings: &KafkaSettings,
    action: &'static str,
    mut request: impl FnMut(Duration) -> Result<T, RdError>,
) -> Result<T, KafkaError> {
    let deadline = Instant::now() + settings.timeout;
    let mut slice = Duration::from_millis(100);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let this_slice = left.min(slice).max(Duration::from_millis(1));
        slice = slice.saturating_mul(2);
        let error = match request(this_slice) {
            Ok(answer) => return Ok(answer),
            Err(error) => error,
        };
        let code = ErrorCode::of(&error);
        // Serve queued events (error events reach a consumer through its
        // queue); an unassigned consumer has no messages to lose here.
        let _ = consumer.poll(Duration::ZERO);
        if let Some((auth_code, reason)) = consumer.context().auth_failure() {
            return Err(authentication(cluster, auth_code, &reason));
        }
        if code.is_some_and(ErrorCode::is_authentication) {
            return Err(authentication(cluster, code, &error.to_string()));
        }
        let transient = code.is_none_or(ErrorCode::is_retriable);
        if !transient {
            return Err(KafkaError::client(
                cluster.alias(),
                format!("{action}: {}", redact(cluster, &error.to_string())),
                code,
            ));
        }
        if Instant::now() >= deadline {
            return Err(unreachable(cluster, settings, action, &error));
        }
    }
}

/// The error for a cluster that did not answer within the timeout.
pub(crate) fn unreachable(
    cluster: &KafkaCluster,
    settings: &KafkaSettings,
    action: &'static str,
    error: &RdError,
) -> KafkaError {
    KafkaError::Unreachable {
        alias: cluster.alias().to_string(),
        servers: servers(cluster),
        action,
        timeout_ms: settings.timeout.as_millis() as u64,
        reason: redact(cluster, &error.to_string()),
        code: ErrorCode::of(error),
    }
}

/// The error for refused credentials.
pub(crate) fn authentication(
    cluster: &KafkaCluster,
    code: Option<ErrorCode>,
    reason: &str,
) -> KafkaError {
    KafkaError::Authentication {
        alias: cluster.alias().to_string(),
        servers: servers(cluster),
        reason: redact(cluster, reason),
        code,
    }
}

fn servers(cluster: &KafkaCluster) -> String {
    cluster
        .get("bootstrap.servers")
        .unwrap_or("no bootstrap.servers set")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn unknown_key_names_file_and_line() {
        let text = "bootstrap.servers=localhost:9092\nsasl.pasword=s3cr3t\n";
        let cluster =
            KafkaCluster::from_properties_text("emea", text, Path::new("emea.properties"), &|_| {
                None
            })
            .unwrap();
        let error = validate(&cluster).unwrap_err().to_string();
        assert_eq!(
            error,
            "cluster \"emea\": unknown property \"sasl.pasword\" at emea.properties:2: not a librdkafka \
             client property (see docs/kafka.md)"
        );
    }

    #[test]
    fn invalid_values_are_explained_without_the_value() {
        let plain = KafkaCluster::new("x").with("socket.timeout.ms", "soonish");
        let error = validate(&plain).unwrap_err().to_string();
        assert!(
            error.starts_with("cluster \"x\": property \"socket.timeout.ms\": "),
            "{error}"
        );
        assert!(
            error.contains("Invalid value"),
            "librdkafka's reason is kept: {error}"
        );
        assert!(!error.contains("soonish"), "{error}");

        // An enum-valued property under sasl.oauthbearer.*, which counts as secret.
        let secret = KafkaCluster::new("y").with("sasl.oauthbearer.method", "s3cr3t-method");
        let error = validate(&secret).unwrap_err().to_string();
        assert!(error.contains("not shown"), "{error}");
        assert!(!error.contains("s3cr3t"), "{error}");
    }

    #[test]
    fn log_lines_are_redacted() {
        let cluster = KafkaCluster::new("z")
            .with("bootstrap.servers", "h:1")
            .with("sasl.password", "hunter2")
            .with("sasl.pasword", "typo-secret");
        let values = secret_values(&cluster);
        let line = "conf: sasl.password=hunter2 sasl.pasword=typo-secret servers h:1";
        let shown = redact_values(&values, line);
        assert_eq!(
            shown,
            "conf: sasl.password=[redacted] sasl.pasword=[redacted] servers h:1"
        );
        // A short value is redacted where it stands alone, not inside words.
        let short = vec!["42".to_string()];
        assert_eq!(
            redact_values(&short, "x=42 at offset 1423, id 42"),
            "x=[redacted] at offset 1423, id [redacted]"
        );
    }
}
