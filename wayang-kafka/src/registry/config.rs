//! A cluster's Schema Registry settings, read from its properties with
//! Confluent's names.

use std::time::Duration;

use wayang_core::kafka::KafkaCluster;

use crate::error::KafkaError;

/// How long one registry request may take, unless
/// `schema.registry.request.timeout.ms` says otherwise. Confluent's clients
/// default to 30 s; a bounded job should fail sooner on a registry that
/// does not answer, and a look-up on loopback or in-region takes
/// milliseconds.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Basic-auth credentials (never shown).
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Credentials {
    pub(crate) user: String,
    pub(crate) password: String,
}

/// Where a cluster's registry is and how to talk to it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct RegistryConfig {
    /// The base address without credentials and without a trailing `/`:
    /// safe to show.
    pub(crate) address: String,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) timeout: Duration,
    pub(crate) ca_location: Option<String>,
}

impl RegistryConfig {
    /// The registry `cluster` names, if it names one.
    pub(crate) fn of(cluster: &KafkaCluster) -> Result<Option<RegistryConfig>, KafkaError> {
        let Some(url) = cluster.get("schema.registry.url") else {
            return Ok(None);
        };
        let fail = |key: &str, reason: String| KafkaError::Registry {
            alias: cluster.alias().to_string(),
            reason: format!(
                "{key}{}: {reason}",
                cluster
                    .origin_of(key)
                    .map(|at| format!(" at {at}"))
                    .unwrap_or_default()
            ),
        };
        // Confluent accepts a comma-separated list; the first is used.
        let url = url.split(',').next().unwrap_or_default().trim();
        let (scheme, rest) = url
            .split_once("://")
            .filter(|(scheme, _)| *scheme == "http" || *scheme == "https")
            .ok_or_else(|| {
                fail(
                    "schema.registry.url",
                    "must start with http:// or https:// (value not shown)".into(),
                )
            })?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, host) = match authority.rsplit_once('@') {
            Some((userinfo, host)) => (Some(userinfo), host),
            None => (None, authority),
        };
        if host.is_empty() {
            return Err(fail("schema.registry.url", "has no host".into()));
        }
        let path = path.trim_end_matches('/');
        let address = if path.is_empty() {
            format!("{scheme}://{host}")
        } else {
            format!("{scheme}://{host}/{path}")
        };
        let source = cluster
            .get("basic.auth.credentials.source")
            .or_else(|| cluster.get("schema.registry.basic.auth.credentials.source"));
        let user_info = cluster
            .get("basic.auth.user.info")
            .or_else(|| cluster.get("schema.registry.basic.auth.user.info"));
        let split = |key: &str, info: &str| {
            info.split_once(':')
                .map(|(user, password)| Credentials {
                    user: user.to_string(),
                    password: password.to_string(),
                })
                .ok_or_else(|| fail(key, "must be KEY:SECRET (value not shown)".into()))
        };
        let credentials = match (source, user_info, userinfo) {
            (Some("URL"), _, Some(info)) => Some(split("schema.registry.url", info)?),
            (Some("URL"), _, None) => {
                return Err(fail(
                    "basic.auth.credentials.source",
                    "is URL, and schema.registry.url has no user info".into(),
                ))
            }
            (Some("SASL_INHERIT"), _, _) => {
                match (cluster.get("sasl.username"), cluster.get("sasl.password")) {
                    (Some(user), Some(password)) => Some(Credentials {
                        user: user.into(),
                        password: password.into(),
                    }),
                    _ => return Err(fail(
                        "basic.auth.credentials.source",
                        "is SASL_INHERIT, and the cluster has no sasl.username and sasl.password"
                            .into(),
                    )),
                }
            }
            (Some("USER_INFO") | None, Some(info), _) => Some(split("basic.auth.user.info", info)?),
            (Some("USER_INFO"), None, _) => {
                return Err(fail(
                    "basic.auth.credentials.source",
                    "is USER_INFO, and basic.auth.user.info is not set".into(),
                ))
            }
            (None, None, Some(info)) => Some(split("schema.registry.url", info)?),
            (None, None, None) => None,
            (Some(other), _, _) => {
                return Err(fail(
                    "basic.auth.credentials.source",
                    format!("{other:?} is not one of USER_INFO, URL, SASL_INHERIT"),
                ))
            }
        };
        let timeout = match cluster.get("schema.registry.request.timeout.ms") {
            None => DEFAULT_REQUEST_TIMEOUT,
            Some(ms) => ms
                .parse::<u64>()
                .ok()
                .filter(|ms| *ms > 0)
                .map(Duration::from_millis)
                .ok_or_else(|| {
                    fail(
                        "schema.registry.request.timeout.ms",
                        format!("{ms:?} is not a positive number of milliseconds"),
                    )
                })?,
        };
        Ok(Some(RegistryConfig {
            address,
            credentials,
            timeout,
            ca_location: cluster
                .get("schema.registry.ssl.ca.location")
                .map(str::to_string),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(properties: &[(&str, &str)]) -> Result<Option<RegistryConfig>, KafkaError> {
        let mut cluster = KafkaCluster::new("emea");
        for (key, value) in properties {
            cluster.set(*key, *value);
        }
        RegistryConfig::of(&cluster)
    }

    #[test]
    fn reads_confluent_settings_and_keeps_credentials_out_of_the_address() {
        assert!(of(&[]).unwrap().is_none());
        let config = of(&[
            ("schema.registry.url", "https://psrc-1.example.com/"),
            ("basic.auth.credentials.source", "USER_INFO"),
            ("basic.auth.user.info", "SRKEY:sr-Secret:with-colon"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(config.address, "https://psrc-1.example.com");
        let credentials = config.credentials.unwrap();
        assert_eq!(
            (credentials.user.as_str(), credentials.password.as_str()),
            ("SRKEY", "sr-Secret:with-colon")
        );
        let config = of(&[("schema.registry.url", "http://u:p4ss@localhost:8081/sr")])
            .unwrap()
            .unwrap();
        assert_eq!(config.address, "http://localhost:8081/sr");
        assert_eq!(config.credentials.unwrap().password, "p4ss");
        let inherited = of(&[
            ("schema.registry.url", "http://h:1"),
            ("basic.auth.credentials.source", "SASL_INHERIT"),
            ("sasl.username", "k"),
            ("sasl.password", "s"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(inherited.credentials.unwrap().user, "k");
    }

    #[test]
    fn bad_settings_say_which_key_and_never_the_value() {
        for (properties, expected) in [
            (vec![("schema.registry.url", "ftp://secret@h")], "http://"),
            (
                vec![
                    ("schema.registry.url", "http://h"),
                    ("basic.auth.user.info", "nocolonsecret"),
                ],
                "KEY:SECRET",
            ),
            (
                vec![
                    ("schema.registry.url", "http://h"),
                    ("basic.auth.credentials.source", "USER_INFO"),
                ],
                "not set",
            ),
            (
                vec![
                    ("schema.registry.url", "http://h"),
                    ("schema.registry.request.timeout.ms", "0"),
                ],
                "positive",
            ),
        ] {
            let error = of(&properties).err().unwrap().to_string();
            assert!(error.contains(expected), "{error}");
            assert!(!error.contains("secret"), "{error}");
        }
    }
}
