//! The sample cluster files shipped with the examples load and validate.

use std::path::PathBuf;

use wayang_api::kafka::KafkaCluster;

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../wayang-examples/config")
        .join(name)
}

#[test]
fn confluent_cloud_sample_loads_validates_and_redacts() {
    let path = sample("confluent-cloud.properties");
    let text = std::fs::read_to_string(&path).unwrap();
    let env = |name: &str| match name {
        "PARTNER_API_KEY" => Some("KEY123".to_string()),
        "PARTNER_API_SECRET" => Some("s3cret/Value+".to_string()),
        _ => None,
    };
    let cluster = KafkaCluster::from_properties_text("emea", &text, &path, &env).unwrap();
    wayang_kafka::validate(&cluster).unwrap();
    assert_eq!(cluster.get("security.protocol"), Some("SASL_SSL"));
    assert_eq!(cluster.get("client.id"), Some("wayang-rs"));
    assert!(!format!("{cluster:?}").contains("s3cret"));

    let missing = KafkaCluster::from_properties_text("emea", &text, &path, &|_| None)
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains(
            "confluent-cloud.properties:6: environment variable PARTNER_API_KEY is not set"
        ),
        "{missing}"
    );
}

#[test]
fn local_sample_loads() {
    let cluster = wayang_kafka::load_cluster("local", sample("local.properties")).unwrap();
    assert!(cluster.get("bootstrap.servers").is_some());
}

#[test]
fn a_missing_file_is_named_without_a_line() {
    let error = wayang_kafka::load_cluster("emea", "/no/such/emea.properties").unwrap_err();
    let text = error.to_string();
    assert_eq!(
        text,
        "cannot read the cluster properties file /no/such/emea.properties"
    );
    assert!(!text.contains(":0"), "{text}");
    let cause = std::error::Error::source(&error).map(ToString::to_string);
    assert!(
        cause.is_some_and(|c| c.contains("No such file")),
        "the OS error is the source"
    );
}
