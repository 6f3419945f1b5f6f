//! One plan reads topics from two clusters with different properties and
//! writes to a third: the point of wayang-kafka.

mod common;

use serde::{Deserialize, Serialize};
use wayang_api::PlanBuilder;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Contribution {
    partner: String,
    category: String,
    sum: f64,
    count: u64,
}

fn contribution(partner: &str, category: &str, sum: f64, count: u64) -> String {
    serde_json::to_string(&Contribution {
        partner: partner.into(),
        category: category.into(),
        sum,
        count,
    })
    .unwrap()
}

#[test]
fn two_clusters_in_one_cluster_out() {
    let emea = common::cluster_with("emea", "contributions", 3);
    let apac = common::cluster_with("apac", "contributions", 2);
    let zone_b = common::cluster_with("zone-b", "global", 4);
    emea.produce(
        "contributions",
        [
            (Some("food"), contribution("emea", "food", 100.0, 4)),
            (Some("travel"), contribution("emea", "travel", 900.0, 3)),
        ],
    )
    .unwrap();
    apac.produce(
        "contributions",
        [
            (Some("food"), contribution("apac", "food", 60.0, 2)),
            (Some("books"), contribution("apac", "books", 30.0, 3)),
        ],
    )
    .unwrap();
    // Each organisation's connection has its own properties.
    let emea_cluster = emea
        .cluster()
        .with("client.id", "emea-analytics")
        .with("fetch.min.bytes", "1");
    let apac_cluster = apac
        .cluster()
        .with("client.id", "apac-analytics")
        .with("socket.keepalive.enable", "true");
    let zone_b_cluster = zone_b
        .cluster()
        .with("client.id", "zone-b-publisher")
        .with("compression.type", "lz4");
    for cluster in [&emea_cluster, &apac_cluster, &zone_b_cluster] {
        wayang_kafka::validate(cluster).unwrap();
    }

    let plan = PlanBuilder::new();
    let from_emea = plan
        .read_kafka_topic(&emea_cluster, "contributions")
        .json::<Contribution>()
        .named("emea");
    let from_apac = plan
        .read_kafka_topic(&apac_cluster, "contributions")
        .json::<Contribution>()
        .named("apac");
    from_emea
        .union(&from_apac)
        .map(|c| (c.category, c.sum, c.count))
        .reduce_by_key(
            |(category, _, _)| category.clone(),
            |(c, s1, n1), (_, s2, n2)| (c, s1 + s2, n1 + n2),
        )
        .map(|(category, sum, count)| (category, sum / count as f64))
        .write_kafka_topic(&zone_b_cluster, "global")
        .key(|(category, _)| category.clone())
        .json();
    let report = plan.execute(&common::ctx()).unwrap();

    let mut stored: Vec<(String, String)> = zone_b
        .read_all("global")
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                String::from_utf8(r.key.unwrap()).unwrap(),
                String::from_utf8(r.value.unwrap()).unwrap(),
            )
        })
        .collect();
    stored.sort();
    assert_eq!(
        stored,
        [
            ("books".to_string(), "[\"books\",10.0]".to_string()),
            ("food".into(), "[\"food\",26.666666666666668]".into()),
            ("travel".into(), "[\"travel\",300.0]".into()),
        ]
    );
    assert_eq!(report.operator("emea").unwrap().records_out, 2);
    assert_eq!(report.operator("apac").unwrap().records_out, 2);
    let sink = report
        .operators
        .iter()
        .find(|o| o.execution_operator == "JavaKafkaTopicSink")
        .unwrap();
    assert_eq!(sink.records_out, 3);
}

#[test]
fn records_with_equal_keys_land_in_one_partition() {
    let source = common::cluster_with("in", "words", 1);
    let sink = common::cluster_with("out", "keyed", 8);
    source
        .produce(
            "words",
            (0..200).map(|i| (None::<&str>, format!("w{}", i % 5))),
        )
        .unwrap();
    let plan = PlanBuilder::new();
    plan.read_kafka_topic(&source.cluster(), "words")
        .string()
        .write_kafka_topic(&sink.cluster(), "keyed")
        .key(|w| w.clone())
        .string();
    plan.execute(&common::ctx()).unwrap();
    let stored = sink.read_all("keyed").unwrap();
    assert_eq!(stored.len(), 200);
    let mut partition_of = std::collections::HashMap::new();
    for record in &stored {
        let key = record.key.clone().unwrap();
        assert_eq!(
            *partition_of.entry(key).or_insert(record.partition),
            record.partition
        );
    }
    let used: std::collections::HashSet<_> = partition_of.values().collect();
    assert!(
        used.len() > 1,
        "keys spread over partitions (not all on one, as Wayang's sink did)"
    );
}
