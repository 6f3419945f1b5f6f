//! Interoperability with Confluent's own client: its AvroSerializer writes
//! through the embedded registry into an embedded cluster, a wayang job
//! reads those records and writes results with its own Avro sink, and
//! Confluent's AvroDeserializer reads them back.
//!
//! Ignored in a plain `cargo test` (it needs Confluent's Python client);
//! `scripts/test-all.sh` installs it (scripts/registry-interop.sh) and runs
//! this tier with `WAYANG_TEST_PYTHON` set, failing under `CI=true` if it
//! cannot.

mod common;

use std::path::Path;
use std::process::Command;

use apache_avro::AvroSchema;
use serde::{Deserialize, Serialize};
use wayang_api::PlanBuilder;
use wayang_kafka::embedded::EmbeddedCluster;
use wayang_kafka::registry::embedded::EmbeddedRegistry;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, AvroSchema)]
#[avro(namespace = "scenario")]
struct Contribution {
    partner: String,
    month: String,
    category: String,
    sum_cents: i64,
    customers: i64,
}

fn python(command: &str, bootstrap: &str, registry: &str, topic: &str, count: usize) -> String {
    let python = std::env::var("WAYANG_TEST_PYTHON")
        .expect("WAYANG_TEST_PYTHON names the python of scripts/registry-interop.sh install");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/registry_interop.py");
    let output = common::within_a_minute({
        let (bootstrap, registry, topic) = (
            bootstrap.to_string(),
            registry.to_string(),
            topic.to_string(),
        );
        let command = command.to_string();
        move || {
            Command::new(python)
                .arg(script)
                .args([&command, &bootstrap, &registry, &topic, &count.to_string()])
                .output()
                .expect("run the Python peer")
        }
    });
    assert!(
        output.status.success(),
        "python {command} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

#[test]
#[ignore = "needs Confluent's Python client: scripts/test-all.sh runs this tier"]
fn confluent_serializers_and_wayang_read_each_other() {
    let registry = EmbeddedRegistry::start_with(41, None).unwrap();
    let kafka = EmbeddedCluster::start("partners", 1).unwrap();
    kafka.create_topic("from-python", 3).unwrap();
    kafka.create_topic("from-wayang", 2).unwrap();
    let cluster = registry.attach(kafka.cluster());
    let bootstrap = kafka.bootstrap_servers();

    python("produce", &bootstrap, registry.url(), "from-python", 300);
    assert_eq!(registry.subjects()["from-python-value"], [41]);

    // Read Confluent's records, double the sums, write them with our sink.
    let plan = PlanBuilder::new();
    let read = plan
        .read_kafka_topic(&cluster, "from-python")
        .avro::<Contribution>();
    let seen = read.clone().count().collect();
    read.map(|c| Contribution {
        partner: "wayang".into(),
        sum_cents: c.sum_cents * 2,
        ..c
    })
    .write_kafka_topic(&cluster, "from-wayang")
    .key(|c: &Contribution| format!("{}|{}|{}", c.month, c.category, c.sum_cents))
    .avro();
    plan.execute(&common::ctx()).unwrap();
    assert_eq!(seen.take().unwrap(), [300]);

    let lines = python("consume", &bootstrap, registry.url(), "from-wayang", 300);
    let rows: Vec<serde_json::Value> = lines
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(rows.len(), 300);
    let mut sums: Vec<i64> = rows
        .iter()
        .map(|r| r["value"]["sum_cents"].as_i64().unwrap())
        .collect();
    sums.sort();
    let expected: Vec<i64> = (0..300).map(|i| (1000 + i) * 2).collect();
    assert_eq!(sums, expected);
    assert!(rows.iter().all(|r| r["value"]["partner"] == "wayang"));
    // Our sink registered the same schema: same id, same subject content.
    assert_eq!(registry.subjects()["from-wayang-value"], [41]);
}
