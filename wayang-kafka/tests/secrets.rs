//! A configured secret appears in no error, Debug output or log line. One
//! test in this file: it installs a global log subscriber.

use std::io::Write;
use std::sync::{Arc, Mutex};

use wayang_api::{PlanBuilder, WayangContext};

const SECRET: &str = "Pa55-Sup3r-Secret";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn secrets_never_leak() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    )
    .unwrap();

    let dir = std::env::temp_dir().join(format!("wayang-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("partner.properties");
    std::fs::write(
        &file,
        "bootstrap.servers=127.0.0.1:1\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanisms=PLAIN\n\
         sasl.username=api-key\nsasl.password=${PARTNER_SECRET}\ndebug=broker,security\n",
    )
    .unwrap();
    std::env::set_var("PARTNER_SECRET", SECRET);
    let cluster = wayang_kafka::load_cluster("partner", &file).unwrap();
    assert_eq!(cluster.get("sasl.password"), Some(SECRET));

    let ctx = WayangContext::new()
        .with(wayang_java::plugin())
        .with_config(wayang_kafka::TIMEOUT_KEY, 1500);
    let plan = PlanBuilder::new();
    let _ = plan
        .read_kafka_topic(&cluster, "t")
        .string()
        .named("partner input")
        .collect();
    let read_error = plan.execute(&ctx).unwrap_err();

    let plan = PlanBuilder::new();
    plan.read_collection(vec!["x".to_string()])
        .write_kafka_topic(&cluster, "t")
        .string();
    let write_error = plan.execute(&ctx).unwrap_err();

    let bad = cluster.clone().with("sasl.oauthbearer.method", SECRET);
    let validation_error = wayang_kafka::validate(&bad).unwrap_err();
    // A mistyped key is unknown, and unknown keys are secrets until known
    // otherwise: redaction fails closed.
    let typo = wayang_api::kafka::KafkaCluster::new("typo")
        .with("bootstrap.servers", "127.0.0.1:1")
        .with("sasl.pasword", SECRET);
    let typo_error = wayang_kafka::validate(&typo).unwrap_err();

    let mut seen = vec![
        read_error.to_string(),
        format!("{read_error:?}"),
        write_error.to_string(),
        format!("{write_error:?}"),
        validation_error.to_string(),
        format!("{validation_error:?}"),
        format!("{cluster:?}"),
        format!("{cluster}"),
        format!("{bad:?}"),
        format!("{typo:?}"),
        format!("{typo}"),
        typo_error.to_string(),
        format!("{typo_error:?}"),
        plan.execution_plan(&ctx)
            .map(|p| p.to_string())
            .unwrap_or_default(),
    ];
    seen.extend(registry_secrets_stay_hidden(&dir));
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(!logs.is_empty(), "the log capture works");
    // `debug=...` in the properties file: librdkafka's own lines reach
    // tracing (redacted like everything else).
    assert!(
        logs.contains(" librdkafka: ") && logs.contains("facility="),
        "no librdkafka line in:\n{logs}"
    );
    seen.push(logs);
    for text in &seen {
        for secret in [SECRET, REGISTRY_SECRET, WRONG_SECRET] {
            assert!(!text.contains(secret), "secret leaked in: {text}");
        }
    }
    assert!(
        seen.iter().any(|t| t.contains("schema id of a subject")),
        "the registry client logged at debug level"
    );
    assert!(seen[0].contains("cluster \"partner\""), "{}", seen[0]);
    assert!(seen[6].contains("[redacted]"), "{}", seen[6]);
    std::fs::remove_dir_all(dir).ok();
}

const REGISTRY_SECRET: &str = "Sr-9Secret-Zq";
const WRONG_SECRET: &str = "Wr0ng-Sr-Secret";

/// A job reading and writing Avro through a registry that requires
/// credentials, from a properties file with `${VAR}` credentials, with
/// wrong credentials in `basic.auth.user.info` and embedded in the URL:
/// what it shows, for the caller to search for secrets.
fn registry_secrets_stay_hidden(dir: &std::path::Path) -> Vec<String> {
    use wayang_kafka::registry::embedded::EmbeddedRegistry;
    #[derive(Clone, serde::Serialize, serde::Deserialize, apache_avro::AvroSchema)]
    struct Row {
        n: i64,
    }
    let registry = EmbeddedRegistry::start_with(1, Some(("sr-key", REGISTRY_SECRET))).unwrap();
    let kafka = wayang_kafka::embedded::EmbeddedCluster::start("orgs", 1).unwrap();
    kafka.create_topic("rows", 1).unwrap();
    let file = dir.join("orgs.properties");
    std::fs::write(
        &file,
        format!(
            "bootstrap.servers={}\nschema.registry.url={}\nbasic.auth.credentials.source=USER_INFO\n\
             basic.auth.user.info=sr-key:${{SR_SECRET}}\n",
            kafka.bootstrap_servers(),
            registry.url()
        ),
    )
    .unwrap();
    std::env::set_var("SR_SECRET", REGISTRY_SECRET);
    let cluster = wayang_kafka::load_cluster("orgs", &file).unwrap();
    let ctx = WayangContext::new().with(wayang_java::plugin());
    let plan = PlanBuilder::new();
    plan.read_collection(vec![Row { n: 1 }, Row { n: 2 }])
        .write_kafka_topic(&cluster, "rows")
        .avro();
    plan.execute(&ctx).unwrap();
    let plan = PlanBuilder::new();
    let rows = plan
        .read_kafka_topic(&cluster, "rows")
        .avro::<Row>()
        .collect();
    plan.execute(&ctx).unwrap();
    assert_eq!(rows.take().unwrap().len(), 2);

    let wrong = cluster
        .clone()
        .with("basic.auth.user.info", format!("sr-key:{WRONG_SECRET}"));
    let in_url = kafka.cluster().with(
        "schema.registry.url",
        registry
            .url()
            .replace("http://", &format!("http://sr-key:{WRONG_SECRET}@")),
    );
    let mut seen = vec![
        format!("{cluster:?}"),
        format!("{cluster}"),
        format!("{in_url:?}"),
    ];
    for bad in [&wrong, &in_url] {
        let plan = PlanBuilder::new();
        plan.read_collection(vec![Row { n: 3 }])
            .write_kafka_topic(bad, "rows")
            .avro();
        let error = plan.execute(&ctx).unwrap_err();
        assert!(
            error.to_string().contains("refused the credentials"),
            "{error}"
        );
        seen.push(error.to_string());
        seen.push(format!("{error:?}"));
        let plan = PlanBuilder::new();
        let _ = plan.read_kafka_topic(bad, "rows").avro::<Row>().collect();
        seen.push(plan.execute(&ctx).unwrap_err().to_string());
    }
    let malformed = cluster.clone().with("basic.auth.user.info", WRONG_SECRET);
    seen.push(wayang_kafka::validate(&malformed).unwrap_err().to_string());
    seen
}
