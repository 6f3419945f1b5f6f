//! Creating librdkafka clients from a [`KafkaCluster`], with the cluster's
//! properties checked by librdkafka itself and errors mapped back to the line
//! of the properties file (without ever showing a secret).

use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, FromClientConfigAndContext};
use rdkafka::error::KafkaError as RdError;
use wayang_core::kafka::{is_secret_key, KafkaCluster};

use crate::error::KafkaError;

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
    config(cluster, &[])
        .create_native_config()
        .map(drop)
        .map_err(|error| config_error(cluster, error))
}

/// A client configuration: the cluster's properties, then `overrides`
/// (wayang's own settings for the client's role), unless the user set them.
pub(crate) fn config(cluster: &KafkaCluster, defaults: &[(&str, &str)]) -> ClientConfig {
    let mut config = ClientConfig::new();
    for (key, value) in defaults {
        config.set(*key, *value);
    }
    for property in cluster.properties() {
        config.set(&property.key, &property.value);
    }
    config
}

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

/// Maps a client-creation error; librdkafka's own text may quote the value,
/// so it is only shown for properties that are not secret.
pub(crate) fn config_error(cluster: &KafkaCluster, error: RdError) -> KafkaError {
    match error {
        RdError::ClientConfig(_, description, key, _value) => {
            let at = cluster
                .origin_of(&key)
                .map(|origin| format!(" at {origin}"))
                .unwrap_or_default();
            let alias = cluster.alias().to_string();
            if description.contains("No such configuration property") {
                KafkaError::UnknownProperty { alias, key, at }
            } else {
                let reason = if is_secret_key(&key) {
                    "invalid value (not shown: the property is secret)".to_string()
                } else {
                    description
                };
                KafkaError::InvalidProperty {
                    alias,
                    key,
                    at,
                    reason,
                }
            }
        }
        other => KafkaError::Client {
            alias: cluster.alias().to_string(),
            reason: format!("cannot create a client: {other}"),
        },
    }
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
    fn invalid_values_are_explained_but_secret_ones_not_shown() {
        let plain = KafkaCluster::new("x").with("socket.timeout.ms", "soon");
        let error = validate(&plain).unwrap_err().to_string();
        assert!(
            error.starts_with("cluster \"x\": property \"socket.timeout.ms\": "),
            "{error}"
        );
        assert!(
            error.contains("Invalid value"),
            "librdkafka's reason is kept: {error}"
        );

        // An enum-valued property under sasl.oauthbearer.*, which counts as secret.
        let secret = KafkaCluster::new("y").with("sasl.oauthbearer.method", "s3cr3t-method");
        let error = validate(&secret).unwrap_err().to_string();
        assert!(
            error.contains("not shown: the property is secret"),
            "{error}"
        );
        assert!(!error.contains("s3cr3t"), "{error}");
    }
}
