//! A Kafka cluster's connection settings: an alias and client properties.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::parse_properties;
use crate::error::{Error, Result};

/// What secrets are shown as.
pub const REDACTED: &str = "[redacted]";

/// Properties known to hold no secret, whose values may be shown. Redaction
/// fails closed: every other key (an unknown one, a mistyped `sasl.pasword`,
/// anything under `sasl.oauthbearer.`) is treated as a secret.
const SHOWN_KEYS: &[&str] = &[
    "acks",
    "allow.auto.create.topics",
    "api.version.fallback.ms",
    "api.version.request",
    "auto.commit.interval.ms",
    "auto.offset.reset",
    "basic.auth.credentials.source",
    "batch.num.messages",
    "batch.size",
    "bootstrap.servers",
    "broker.address.family",
    "broker.version.fallback",
    "check.crcs",
    "client.id",
    "client.rack",
    "client.software.name",
    "client.software.version",
    "compression.codec",
    "compression.level",
    "compression.type",
    "connections.max.idle.ms",
    "debug",
    "delivery.timeout.ms",
    "enable.auto.commit",
    "enable.auto.offset.store",
    "enable.gapless.guarantee",
    "enable.idempotence",
    "enable.partition.eof",
    "enable.ssl.certificate.verification",
    "fetch.error.backoff.ms",
    "fetch.max.bytes",
    "fetch.message.max.bytes",
    "fetch.min.bytes",
    "fetch.wait.max.ms",
    "group.id",
    "group.instance.id",
    "heartbeat.interval.ms",
    "isolation.level",
    "linger.ms",
    "log.connection.close",
    "log_level",
    "max.in.flight",
    "max.in.flight.requests.per.connection",
    "max.partition.fetch.bytes",
    "max.poll.interval.ms",
    "message.max.bytes",
    "message.send.max.retries",
    "message.timeout.ms",
    "metadata.broker.list",
    "metadata.max.age.ms",
    "partition.assignment.strategy",
    "partitioner",
    "queue.buffering.max.kbytes",
    "queue.buffering.max.messages",
    "queue.buffering.max.ms",
    "queued.max.messages.kbytes",
    "queued.min.messages",
    "receive.message.max.bytes",
    "reconnect.backoff.max.ms",
    "reconnect.backoff.ms",
    "request.required.acks",
    "request.timeout.ms",
    "retries",
    "retry.backoff.max.ms",
    "retry.backoff.ms",
    "sasl.kerberos.service.name",
    "sasl.mechanism",
    "sasl.mechanisms",
    "sasl.username",
    "schema.registry.basic.auth.credentials.source",
    "schema.registry.request.timeout.ms",
    "schema.registry.ssl.ca.location",
    "security.protocol",
    "session.timeout.ms",
    "socket.connection.setup.timeout.ms",
    "socket.keepalive.enable",
    "socket.timeout.ms",
    "ssl.ca.location",
    "ssl.certificate.location",
    "ssl.endpoint.identification.algorithm",
    "ssl.key.location",
    "statistics.interval.ms",
    "sticky.partitioning.linger.ms",
    "topic.metadata.refresh.interval.ms",
    "transaction.timeout.ms",
    "transactional.id",
];

/// Whether a property's value may be shown: only keys known to hold no
/// secret (see [`is_secret_key`]).
pub fn is_shown_key(key: &str) -> bool {
    SHOWN_KEYS.binary_search(&key).is_ok()
}

/// Whether a property's value must never be shown: every key not known to
/// be harmless, so that unknown and mistyped keys are redacted too.
pub fn is_secret_key(key: &str) -> bool {
    !is_shown_key(key)
}

/// One client property and where it was set.
#[derive(Clone, PartialEq, Eq)]
pub struct ClusterProperty {
    /// The librdkafka property name.
    pub key: String,
    /// Its value, with `${VAR}` already substituted.
    pub value: String,
    /// The file and 1-based line it came from, if it came from a file.
    pub origin: Option<(PathBuf, usize)>,
}

/// The connection settings of one Kafka cluster: an alias that names it in
/// messages (`emea`, `zone-b`) and librdkafka client properties
/// (`bootstrap.servers`, `security.protocol`, `sasl.username`, ...).
///
/// Debug and Display show every property but redact secrets (see
/// [`is_secret_key`]), so a cluster can be logged safely.
///
/// ```
/// use wayang_core::kafka::KafkaCluster;
///
/// let cluster = KafkaCluster::new("emea")
///     .with("bootstrap.servers", "broker-1:9092")
///     .with("sasl.password", "hunter2");
/// assert_eq!(cluster.get("bootstrap.servers"), Some("broker-1:9092"));
/// assert!(!format!("{cluster:?} {cluster}").contains("hunter2"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct KafkaCluster {
    alias: String,
    properties: Vec<ClusterProperty>,
    source: Option<PathBuf>,
}

/// Keys of Java clients that librdkafka does not know and that carry no
/// meaning for it; Confluent's Java-style `client.properties` contain them.
const JAVA_ONLY_KEYS: &[&str] = &[
    "key.serializer",
    "value.serializer",
    "key.deserializer",
    "value.deserializer",
    "client.dns.lookup",
];

/// Properties of the cluster's Schema Registry (Confluent's names): kept
/// with the cluster, so that each organisation's registry and credentials
/// go with its cluster, but never handed to librdkafka.
/// `schema.registry.url` may embed credentials (`https://key:secret@host`)
/// and `basic.auth.user.info` is `KEY:SECRET`: both are redacted like every
/// key not known to be harmless.
pub const REGISTRY_KEYS: &[&str] = &[
    "basic.auth.credentials.source",
    "basic.auth.user.info",
    "schema.registry.basic.auth.credentials.source",
    "schema.registry.basic.auth.user.info",
    "schema.registry.request.timeout.ms",
    "schema.registry.ssl.ca.location",
    "schema.registry.url",
];

/// Whether `key` configures the cluster's Schema Registry (and is not a
/// librdkafka property).
pub fn is_registry_key(key: &str) -> bool {
    REGISTRY_KEYS.contains(&key)
}

impl KafkaCluster {
    /// A cluster with no properties yet.
    pub fn new(alias: impl Into<String>) -> Self {
        KafkaCluster {
            alias: alias.into(),
            properties: Vec::new(),
            source: None,
        }
    }

    /// Sets a property (replacing an earlier value).
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.set(key, value);
        self
    }

    /// Sets a property (replacing an earlier value).
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        let (key, value) = (key.into(), value.into());
        self.properties.retain(|p| p.key != key);
        self.properties.push(ClusterProperty {
            key,
            value,
            origin: None,
        });
        self
    }

    /// Loads a Java-style `.properties` file (the shape Confluent Cloud hands
    /// out), substituting `${VAR}` in values from the environment.
    pub fn from_properties_file(alias: impl Into<String>, path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::File {
            action: "cannot read the cluster properties file",
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_properties_text(alias, &text, path, &|name| std::env::var(name).ok())
    }

    /// Parses properties text; `origin` names the file in errors and `env`
    /// looks up `${VAR}` values. `${VAR:-default}` falls back to `default`;
    /// `$${` is a literal `${`. An unset variable without a default is an error
    /// naming the file, line and variable. Keys only Java clients know
    /// (serializers, `client.dns.lookup`) are dropped; Schema Registry
    /// settings ([`REGISTRY_KEYS`]) are kept for the registry; a `sasl.jaas.config` with a PLAIN or SCRAM login module
    /// becomes `sasl.username` and `sasl.password`.
    pub fn from_properties_text(
        alias: impl Into<String>,
        text: &str,
        origin: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let mut cluster = KafkaCluster::new(alias);
        cluster.source = Some(origin.to_path_buf());
        for property in parse_properties(text, origin)? {
            let at = |reason: String| Error::ConfigurationFile {
                path: origin.to_path_buf(),
                line: property.line,
                reason,
            };
            let value = substitute(&property.value, env).map_err(at)?;
            let located = |key: &str, value: String| ClusterProperty {
                key: key.to_string(),
                value,
                origin: Some((origin.to_path_buf(), property.line)),
            };
            if JAVA_ONLY_KEYS.contains(&property.key.as_str()) {
                tracing::debug!(key = %property.key, "ignoring a Java-client-only property");
                continue;
            }
            if property.key == "sasl.jaas.config" {
                let (username, password) = parse_jaas(&value).map_err(at)?;
                cluster.replace(located("sasl.username", username));
                cluster.replace(located("sasl.password", password));
                continue;
            }
            cluster.replace(located(&property.key, value));
        }
        Ok(cluster)
    }

    fn replace(&mut self, property: ClusterProperty) {
        self.properties.retain(|p| p.key != property.key);
        self.properties.push(property);
    }

    /// The alias.
    pub fn alias(&self) -> &str {
        &self.alias
    }

    /// The file the properties came from, if any.
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// A property's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|p| p.key == key)
            .map(|p| p.value.as_str())
    }

    /// All properties, in the order they were set.
    pub fn properties(&self) -> &[ClusterProperty] {
        &self.properties
    }

    /// Where a property was set, as `file:line`, for error messages.
    pub fn origin_of(&self, key: &str) -> Option<String> {
        let property = self.properties.iter().find(|p| p.key == key)?;
        let (path, line) = property.origin.as_ref()?;
        Some(format!("{}:{line}", path.display()))
    }

    /// The properties with secrets redacted, for display.
    pub fn redacted(&self) -> BTreeMap<&str, &str> {
        self.properties
            .iter()
            .map(|p| {
                let shown = if is_secret_key(&p.key) {
                    REDACTED
                } else {
                    p.value.as_str()
                };
                (p.key.as_str(), shown)
            })
            .collect()
    }
}

impl fmt::Debug for KafkaCluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaCluster")
            .field("alias", &self.alias)
            .field("properties", &self.redacted())
            .finish()
    }
}

impl fmt::Display for KafkaCluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.alias)?;
        if let Some(servers) = self.get("bootstrap.servers") {
            write!(f, " ({servers})")?;
        }
        Ok(())
    }
}

/// Replaces `${VAR}` and `${VAR:-default}` in a value.
fn substitute(
    value: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        if rest[..start].ends_with('$') {
            out.push_str(&rest[..start - 1]);
            out.push_str("${");
            rest = &rest[start + 2..];
            continue;
        }
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .ok_or_else(|| "`${` without a closing `}`".to_string())?;
        let expression = &rest[start + 2..start + end];
        let (name, default) = match expression.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (expression, None),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            // The text between the braces is not quoted: it may be a
            // secret pasted where a variable name belongs.
            return Err(
                "a `${...}` reference does not hold a valid environment variable name \
                 (letters, digits and _ only)"
                    .to_string(),
            );
        }
        match (env(name), default) {
            (Some(found), _) => out.push_str(&found),
            (None, Some(default)) => out.push_str(default),
            (None, None) => {
                return Err(format!(
                    "environment variable {name} is not set (set it, or write ${{{name}:-default}})"
                ))
            }
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Extracts the user name and password of a PLAIN or SCRAM JAAS line:
/// `org.apache...PlainLoginModule required username='KEY' password='SECRET';`
fn parse_jaas(value: &str) -> std::result::Result<(String, String), String> {
    if !(value.contains("PlainLoginModule") || value.contains("ScramLoginModule")) {
        return Err(
            "sasl.jaas.config: only PLAIN and SCRAM login modules can be translated; \
                    set sasl.mechanisms, sasl.username and sasl.password instead"
                .into(),
        );
    }
    let field = |name: &str| -> Option<String> {
        let at = value.find(&format!("{name}="))? + name.len() + 1;
        let rest = &value[at..];
        let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let end = rest[1..].find(quote)?;
        Some(rest[1..1 + end].to_string())
    };
    match (field("username"), field("password")) {
        (Some(username), Some(password)) => Ok((username, password)),
        // Never echo the value: it holds the password.
        _ => Err("sasl.jaas.config: expected username='...' and password='...'".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "CLUSTER_API_KEY" => Some("ABCKEY".into()),
            "CLUSTER_API_SECRET" => Some("s3cr3t-Value".into()),
            _ => None,
        }
    }

    const CONFLUENT: &str = "\
# Required connection configs for Kafka producer, consumer, and admin
bootstrap.servers=pkc-abc12.eu-west-1.aws.confluent.cloud:9092
security.protocol=SASL_SSL
sasl.mechanisms=PLAIN
sasl.username=${CLUSTER_API_KEY}
sasl.password=${CLUSTER_API_SECRET}
# Best practice for higher availability in librdkafka clients prior to 1.7
session.timeout.ms=45000
client.id=${CLIENT_ID:-wayang}
";

    #[test]
    fn loads_the_confluent_shape_with_env_substitution() {
        let cluster = KafkaCluster::from_properties_text(
            "emea",
            CONFLUENT,
            Path::new("emea.properties"),
            &env,
        )
        .unwrap();
        assert_eq!(cluster.alias(), "emea");
        assert_eq!(cluster.get("sasl.username"), Some("ABCKEY"));
        assert_eq!(cluster.get("sasl.password"), Some("s3cr3t-Value"));
        assert_eq!(cluster.get("client.id"), Some("wayang"));
        assert_eq!(
            cluster.origin_of("sasl.password").as_deref(),
            Some("emea.properties:6")
        );
        let shown = format!("{cluster:?} {cluster} {:?}", cluster.redacted());
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(
            shown.contains("[redacted]") && shown.contains("ABCKEY"),
            "{shown}"
        );
    }

    #[test]
    fn unset_variable_names_file_line_and_variable() {
        let text = "bootstrap.servers=x:9092\nsasl.password=${MISSING_SECRET}\n";
        let error =
            KafkaCluster::from_properties_text("apac", text, Path::new("apac.properties"), &env)
                .unwrap_err()
                .to_string();
        assert_eq!(
            error,
            "configuration file apac.properties:2: environment variable MISSING_SECRET is not set \
             (set it, or write ${MISSING_SECRET:-default})"
        );
    }

    #[test]
    fn translates_java_jaas_and_drops_java_only_keys() {
        let text = "bootstrap.servers=b:9092\n\
                    sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \
                    username='${CLUSTER_API_KEY}' password='${CLUSTER_API_SECRET}';\n\
                    key.serializer=org.apache.kafka.common.serialization.StringSerializer\n\
                    client.dns.lookup=use_all_dns_ips\n";
        let cluster =
            KafkaCluster::from_properties_text("us", text, Path::new("us.properties"), &env)
                .unwrap();
        let keys: Vec<&str> = cluster
            .properties()
            .iter()
            .map(|p| p.key.as_str())
            .collect();
        assert_eq!(
            keys,
            ["bootstrap.servers", "sasl.username", "sasl.password"]
        );
        assert_eq!(cluster.get("sasl.password"), Some("s3cr3t-Value"));

        let bad = "sasl.jaas.config=com.example.Kerberos required secret='s3cr3t-Value';";
        let error = KafkaCluster::from_properties_text("us", bad, Path::new("us.properties"), &env)
            .unwrap_err();
        assert!(!error.to_string().contains("s3cr3t"), "{error}");
    }

    #[test]
    fn substitution_edge_cases() {
        assert_eq!(substitute("a$${b}c", &env).unwrap(), "a${b}c");
        assert_eq!(
            substitute("${CLUSTER_API_KEY}-${CLUSTER_API_KEY}", &env).unwrap(),
            "ABCKEY-ABCKEY"
        );
        assert!(substitute("${unclosed", &env)
            .unwrap_err()
            .contains("closing"));
        let error = substitute("${hunter2 pass}", &env).unwrap_err();
        assert!(error.contains("valid environment variable name"), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
    }

    #[test]
    fn redaction_fails_closed() {
        for key in [
            "sasl.password",
            "ssl.key.password",
            "sasl.oauthbearer.client.secret",
            "sasl.oauthbearer.config",
            "sasl.oauthbearer.method",
            "my.SECRET.thing",
            "sasl.jaas.config",
            // Mistyped and unknown keys are secrets until known otherwise.
            "sasl.pasword",
            "sasl.passw0rd",
            "Bootstrap.Servers",
            "x",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in ["bootstrap.servers", "sasl.username", "security.protocol"] {
            assert!(!is_secret_key(key), "{key}");
        }
        let sorted = SHOWN_KEYS.windows(2).all(|pair| pair[0] < pair[1]);
        assert!(sorted, "SHOWN_KEYS must stay sorted for binary_search");
        let typo = KafkaCluster::new("emea")
            .with("bootstrap.servers", "b:9092")
            .with("sasl.pasword", "hunter2-typo");
        let shown = format!("{typo:?} {typo} {:?}", typo.redacted());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("b:9092"), "{shown}");
    }

    #[test]
    fn malformed_line_does_not_echo_a_secret() {
        let text = "sasl.password s3cr3t-Value\n";
        let error = KafkaCluster::from_properties_text("x", text, Path::new("x.properties"), &env)
            .unwrap_err()
            .to_string();
        assert!(error.contains("x.properties:1"), "{error}");
        assert!(!error.contains("s3cr3t"), "{error}");
    }
}
