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
        assert!(!text.contains(SECRET), "secret leaked in: {text}");
    }
    assert!(seen[0].contains("cluster \"partner\""), "{}", seen[0]);
    assert!(seen[6].contains("[redacted]"), "{}", seen[6]);
    std::fs::remove_dir_all(dir).ok();
}
