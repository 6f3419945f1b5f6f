//! Schema Registry formats end to end: embedded clusters and embedded
//! registries, read and written by jobs on java and spark.

mod common;

use apache_avro::AvroSchema;
use serde::{Deserialize, Serialize};
use wayang_api::kafka::{AvroValue, BadRecordPolicy, SubjectNameStrategy};
use wayang_api::{PlanBuilder, WayangContext};
use wayang_kafka::embedded::EmbeddedCluster;
use wayang_kafka::registry::embedded::EmbeddedRegistry;
use wayang_kafka::registry::Compatibility;
use wayang_kafka::KafkaCluster;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, AvroSchema)]
#[avro(namespace = "scenario")]
struct Contribution {
    partner: String,
    month: String,
    category: String,
    sum_cents: i64,
    customers: i64,
}

/// The same record, as a partner whose writer schema added a field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, AvroSchema)]
#[avro(namespace = "scenario")]
#[serde(rename = "Contribution")]
struct ContributionV2 {
    partner: String,
    month: String,
    category: String,
    sum_cents: i64,
    customers: i64,
    #[avro(default = r#""unknown""#)]
    region: String,
}

/// A reader that dropped `customers` and added `currency` with a default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, AvroSchema)]
#[avro(namespace = "scenario")]
#[serde(rename = "Contribution")]
struct Slim {
    partner: String,
    sum_cents: i64,
    #[avro(default = r#""EUR""#)]
    currency: String,
}

fn contributions(n: usize) -> Vec<Contribution> {
    (0..n)
        .map(|i| Contribution {
            partner: format!("p{}", i % 3),
            month: format!("2026-{:02}", i % 12 + 1),
            category: ["food", "travel"][i % 2].into(),
            sum_cents: 1000 + i as i64,
            customers: 1 + i as i64 % 5,
        })
        .collect()
}

fn contexts() -> Vec<(&'static str, WayangContext)> {
    vec![
        ("java", common::ctx()),
        (
            "spark",
            WayangContext::new()
                .with(wayang_spark::plugin())
                .with_config(wayang_kafka::TIMEOUT_KEY, 3000)
                .with_config(wayang_kafka::READ_IDLE_TIMEOUT_KEY, 5000),
        ),
    ]
}

fn stand(topic: &str, partitions: i32) -> (EmbeddedRegistry, EmbeddedCluster, KafkaCluster) {
    let registry = EmbeddedRegistry::start().unwrap();
    let kafka = common::cluster_with("emea", topic, partitions);
    let cluster = registry.attach(kafka.cluster());
    (registry, kafka, cluster)
}

fn write<T: wayang_api::Data>(
    cluster: &KafkaCluster,
    topic: &str,
    rows: Vec<T>,
    sink: impl FnOnce(wayang_api::kafka::KafkaSink<T>),
) -> wayang_api::Result<wayang_api::JobReport> {
    let plan = PlanBuilder::new();
    sink(plan.read_collection(rows).write_kafka_topic(cluster, topic));
    plan.execute(&common::ctx())
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

#[test]
fn avro_round_trips_on_every_platform_and_fetches_each_schema_once() {
    for (name, ctx) in contexts() {
        let (registry, _kafka, cluster) = stand("contributions", 3);
        let rows = contributions(500);
        write(&cluster, "contributions", rows.clone(), |s| {
            s.key(|c: &Contribution| c.partner.clone()).avro()
        })
        .unwrap();
        let plan = PlanBuilder::new();
        let out = plan
            .read_kafka_topic(&cluster, "contributions")
            .avro::<Contribution>()
            .map(|c| (c.partner, c.month, c.category, c.sum_cents, c.customers))
            .collect();
        plan.execute(&ctx).unwrap();
        let expected: Vec<_> = rows
            .into_iter()
            .map(|c| (c.partner, c.month, c.category, c.sum_cents, c.customers))
            .collect();
        assert_eq!(sorted(out.take().unwrap()), sorted(expected), "{name}");
        assert_eq!(registry.subjects()["contributions-value"], [1], "{name}");
        // One registration, and at most one look-up per process.
        assert!(
            registry.requests() <= 2,
            "{name}: {} requests",
            registry.requests()
        );
    }
}

#[test]
fn schema_evolution_resolves_with_older_and_newer_readers() {
    let (registry, _kafka, cluster) = stand("evolving", 1);
    write(&cluster, "evolving", contributions(2), |s| s.avro()).unwrap();
    let newer = ContributionV2 {
        partner: "p9".into(),
        month: "2026-12".into(),
        category: "food".into(),
        sum_cents: 7,
        customers: 1,
        region: "north".into(),
    };
    write(&cluster, "evolving", vec![newer], |s| s.avro()).unwrap();
    assert_eq!(registry.subjects()["evolving-value"], [1, 2]);

    // The old reader drops the new field; the new reader defaults it.
    let read = |plan: &PlanBuilder| plan.read_kafka_topic(&cluster, "evolving");
    let plan = PlanBuilder::new();
    let old = read(&plan)
        .avro::<Contribution>()
        .map(|c| c.partner)
        .collect();
    let new = read(&plan)
        .avro::<ContributionV2>()
        .map(|c| c.region)
        .collect();
    let slim = read(&plan)
        .avro::<Slim>()
        .map(|c| format!("{}:{}:{}", c.partner, c.sum_cents, c.currency))
        .collect();
    plan.execute(&common::ctx()).unwrap();
    assert_eq!(sorted(old.take().unwrap()), ["p0", "p1", "p9"]);
    assert_eq!(sorted(new.take().unwrap()), ["north", "unknown", "unknown"]);
    assert_eq!(
        sorted(slim.take().unwrap()),
        ["p0:1000:EUR", "p1:1001:EUR", "p9:7:EUR"]
    );
}

#[test]
fn generic_avro_reads_without_knowing_the_schema() {
    let (_registry, _kafka, cluster) = stand("any", 1);
    write(&cluster, "any", contributions(3), |s| s.avro()).unwrap();
    let plan = PlanBuilder::new();
    let out = plan
        .read_kafka_topic(&cluster, "any")
        .avro_generic()
        .map(|value| match value {
            AvroValue::Record(fields) => fields
                .into_iter()
                .find(|(name, _)| name == "sum_cents")
                .map(|(_, v)| v),
            _ => None,
        })
        .collect();
    plan.execute(&common::ctx()).unwrap();
    let sums = out.take().unwrap();
    assert!(sums.contains(&Some(AvroValue::Long(1002))), "{sums:?}");

    // Written back generically with an explicit schema.
    let schema = Contribution::get_schema().canonical_form();
    let copy = PlanBuilder::new();
    copy.read_kafka_topic(&cluster, "any")
        .avro_generic()
        .write_kafka_topic(&cluster, "any")
        .avro_generic(&schema);
    copy.execute(&common::ctx()).unwrap();
    let plan = PlanBuilder::new();
    let all = plan
        .read_kafka_topic(&cluster, "any")
        .avro::<Contribution>()
        .collect();
    plan.execute(&common::ctx()).unwrap();
    assert_eq!(all.take().unwrap().len(), 6);
}

#[derive(Clone, PartialEq, prost::Message)]
struct Order {
    #[prost(string, tag = "1")]
    id: String,
    #[prost(int64, tag = "2")]
    cents: i64,
}

const ORDER_PROTO: &str = "syntax = \"proto3\";\npackage shop;\nmessage Order {\n  string id = 1;\n  int64 cents = 2;\n}\n";

#[test]
fn json_schema_and_protobuf_round_trip() {
    let (registry, kafka, cluster) = stand("json", 1);
    kafka.create_topic("proto", 2).unwrap();
    let rows = vec![(String::from("a"), 1u32), ("b".into(), 2)];
    write(&cluster, "json", rows.clone(), |s| {
        s.json_schema(r#"{"title":"Pair","type":"array"}"#)
    })
    .unwrap();
    let orders = vec![
        Order {
            id: "o1".into(),
            cents: 250,
        },
        Order {
            id: "o2".into(),
            cents: -3,
        },
    ];
    write(&cluster, "proto", orders.clone(), |s| {
        s.protobuf(ORDER_PROTO)
    })
    .unwrap();
    let plan = PlanBuilder::new();
    let pairs = plan
        .read_kafka_topic(&cluster, "json")
        .json_schema::<(String, u32)>()
        .collect();
    let read = plan
        .read_kafka_topic(&cluster, "proto")
        .protobuf::<Order>()
        .map(|o| (o.id, o.cents))
        .collect();
    plan.execute(&common::ctx()).unwrap();
    assert_eq!(sorted(pairs.take().unwrap()), rows);
    assert_eq!(
        sorted(read.take().unwrap()),
        [("o1".to_string(), 250), ("o2".into(), -3)]
    );
    let stored = kafka.read_all("proto").unwrap();
    let payload = stored[0].value.as_deref().unwrap();
    assert_eq!(payload[0], 0, "magic byte");
    assert_eq!(payload[5], 0, "message index [0] as one byte");
    assert_eq!(registry.subjects().len(), 2);

    // A source of another format rejects the schema type, with the id.
    let plan = PlanBuilder::new();
    let _ = plan
        .read_kafka_topic(&cluster, "proto")
        .json_schema::<u32>()
        .collect();
    let error = plan.execute(&common::ctx()).unwrap_err().to_string();
    assert!(
        error.contains("schema id 2 is a PROTOBUF schema"),
        "{error}"
    );
}

#[test]
fn subject_strategies_and_lookup_only_sinks() {
    let (registry, _kafka, cluster) = stand("t", 1);
    write(&cluster, "t", contributions(1), |s| {
        s.subject_name_strategy(SubjectNameStrategy::RecordName)
            .avro()
    })
    .unwrap();
    write(&cluster, "t", contributions(1), |s| {
        s.subject_name_strategy(SubjectNameStrategy::TopicRecordName)
            .avro()
    })
    .unwrap();
    let subjects = registry.subjects();
    assert!(
        subjects.contains_key("scenario.Contribution"),
        "{subjects:?}"
    );
    assert!(
        subjects.contains_key("t-scenario.Contribution"),
        "{subjects:?}"
    );
    // Same schema, same id, under both subjects.
    assert_eq!(
        subjects["scenario.Contribution"],
        subjects["t-scenario.Contribution"]
    );

    // Without auto-registration, an unregistered subject fails the job
    // before anything is written; a registered one is looked up.
    let error = write(&cluster, "t", contributions(1), |s| {
        s.auto_register_schemas(false).avro()
    })
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("\"t-value\"") && error.contains("register it first"),
        "{error}"
    );
    write(&cluster, "t", contributions(1), |s| {
        s.subject_name_strategy(SubjectNameStrategy::RecordName)
            .auto_register_schemas(false)
            .avro()
    })
    .unwrap();
}

#[test]
fn an_incompatible_schema_is_refused_and_nothing_is_written() {
    let (registry, kafka, cluster) = stand("strict", 1);
    write(&cluster, "strict", contributions(1), |s| s.avro()).unwrap();
    #[derive(Clone, Debug, Serialize, Deserialize, AvroSchema)]
    #[avro(namespace = "scenario")]
    #[serde(rename = "Contribution")]
    struct Renamed {
        owner: String,
    }
    let error = write(
        &cluster,
        "strict",
        vec![Renamed { owner: "x".into() }],
        |s| s.avro(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("incompatible") && error.contains("\"strict-value\""),
        "{error}"
    );
    assert_eq!(kafka.read_all("strict").unwrap().len(), 1);
    registry.set_compatibility(Some("strict-value"), Compatibility::None);
    write(
        &cluster,
        "strict",
        vec![Renamed { owner: "x".into() }],
        |s| s.avro(),
    )
    .unwrap();
}

/// A topic holding, in order: a good record, one without the magic byte,
/// one naming an unknown schema id, one whose writer schema does not
/// resolve against the reader's, and a good one.
fn bad_topic() -> (EmbeddedRegistry, EmbeddedCluster, KafkaCluster) {
    let (registry, kafka, cluster) = stand("mixed", 1);
    kafka.create_topic("dead", 1).unwrap();
    write(&cluster, "mixed", contributions(1), |s| s.avro()).unwrap();
    kafka
        .produce("mixed", [(Some("k"), &b"{\"json\":1}"[..])])
        .unwrap();
    kafka
        .produce("mixed", [(Some("k"), &[0u8, 0, 0, 0, 99, 2, 0][..])])
        .unwrap();
    #[derive(Clone, Debug, Serialize, Deserialize, AvroSchema)]
    struct Unrelated {
        other: i32,
    }
    let other = registry.attach(kafka.cluster());
    write(&other, "mixed", vec![Unrelated { other: 1 }], |s| {
        s.subject_name_strategy(SubjectNameStrategy::RecordName)
            .avro()
    })
    .unwrap();
    write(&cluster, "mixed", contributions(2)[1..].to_vec(), |s| {
        s.avro()
    })
    .unwrap();
    (registry, kafka, cluster)
}

/// Stops `registry` and gives `kafka`'s cluster pointing at it, under
/// another address string: a client that has not cached its schemas.
fn stopped(
    kafka: &EmbeddedCluster,
    registry: &mut EmbeddedRegistry,
    timeout_ms: u32,
) -> KafkaCluster {
    let url = registry.url().to_string();
    registry.stop();
    kafka
        .cluster()
        .with("schema.registry.url", format!("{url}/"))
        .with("schema.registry.request.timeout.ms", timeout_ms.to_string())
}

/// Why a dead-lettered record was rejected (its error header).
fn dead_letter_reason(record: &wayang_kafka::embedded::StoredRecord) -> String {
    record
        .headers
        .iter()
        .find(|(k, _)| k.contains("error"))
        .and_then(|(_, v)| v.clone())
        .map(|v| String::from_utf8(v).unwrap())
        .unwrap_or_default()
}

fn read_mixed(
    cluster: &KafkaCluster,
    policy: BadRecordPolicy,
) -> (
    wayang_api::Result<wayang_api::JobReport>,
    wayang_api::Collector<Contribution>,
) {
    let plan = PlanBuilder::new();
    let out = plan
        .read_kafka_topic(cluster, "mixed")
        .on_bad_record(policy)
        .avro::<Contribution>()
        .named("contributions")
        .collect();
    (plan.execute(&common::ctx()), out)
}

#[test]
fn bad_records_fail_with_their_location_by_default() {
    let (_registry, _kafka, cluster) = bad_topic();
    let (result, out) = read_mixed(&cluster, BadRecordPolicy::Fail);
    let error = result.unwrap_err().to_string();
    assert!(
        error.contains(
            "cluster \"emea\": topic \"mixed\" partition 0 offset 1: value is not valid avro"
        ) && error.contains("magic byte"),
        "{error}"
    );
    assert!(out.take().is_err());
}

#[test]
fn bad_records_are_skipped_or_dead_lettered_with_reasons() {
    let (_registry, kafka, cluster) = bad_topic();
    let (result, out) = read_mixed(&cluster, BadRecordPolicy::Skip);
    let report = result.unwrap();
    assert_eq!(out.take().unwrap().len(), 2);
    assert_eq!(
        report
            .operator("contributions")
            .unwrap()
            .counters
            .get("skipped"),
        Some(&3)
    );

    let (result, out) = read_mixed(&cluster, BadRecordPolicy::DeadLetter("dead".into()));
    result.unwrap();
    assert_eq!(out.take().unwrap().len(), 2);
    let dead = kafka.read_all("dead").unwrap();
    assert_eq!(dead.len(), 3);
    let reasons: Vec<String> = dead.iter().map(dead_letter_reason).collect();
    assert!(reasons[0].contains("magic byte"), "{reasons:?}");
    assert!(
        reasons[1].contains("schema id 99 is unknown"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].contains("schema id 2") && reasons[2].contains("resolve"),
        "{reasons:?}"
    );
}

#[test]
fn a_registry_that_is_down_or_refuses_fails_within_its_deadline() {
    let (mut registry, kafka, cluster) = stand("orders", 1);
    write(&cluster, "orders", contributions(3), |s| s.avro()).unwrap();
    let url = registry.url().to_string();
    let down = stopped(&kafka, &mut registry, 2000);
    let started = std::time::Instant::now();
    let (result, _) = common::within_a_minute(move || {
        let plan = PlanBuilder::new();
        let out = plan
            .read_kafka_topic(&down, "orders")
            .avro::<Contribution>()
            .collect();
        (
            plan.execute(&common::ctx())
                .map(drop)
                .map_err(|e| e.to_string()),
            out.take().is_ok(),
        )
    });
    let error = result.unwrap_err();
    assert!(
        error.contains("unavailable") && error.contains(&url),
        "{error}"
    );
    assert!(
        error.contains("offset 0") && error.contains("schema id 1"),
        "{error}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));

    // Wrong credentials: refused, and the secret appears nowhere.
    let guarded = EmbeddedRegistry::start_with(1, Some(("SRKEY", "sr-Secret-9f"))).unwrap();
    let wrong = kafka
        .cluster()
        .with("schema.registry.url", guarded.url())
        .with("basic.auth.credentials.source", "USER_INFO")
        .with("basic.auth.user.info", "SRKEY:wrong-Secret-1a");
    let error = write(&wrong, "orders", contributions(1), |s| s.avro())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("refused the credentials (HTTP 401)"),
        "{error}"
    );
    assert!(
        !error.contains("wrong-Secret") && !error.contains("SRKEY:"),
        "{error}"
    );
    assert!(!format!("{wrong:?} {wrong}").contains("wrong-Secret"));
    let right = guarded.attach(kafka.cluster());
    write(&right, "orders", contributions(1), |s| s.avro()).unwrap();
}

#[test]
fn a_cluster_without_registry_is_told_what_to_set() {
    let kafka = common::cluster_with("plain", "t", 1);
    let error = write(&kafka.cluster(), "t", contributions(1), |s| s.avro())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("cluster \"plain\"") && error.contains("schema.registry.url"),
        "{error}"
    );
    kafka
        .produce("t", [(Some("k"), &[0u8, 0, 0, 0, 1, 0][..])])
        .unwrap();
    let plan = PlanBuilder::new();
    let _ = plan
        .read_kafka_topic(&kafka.cluster(), "t")
        .avro::<Contribution>()
        .collect();
    let error = plan.execute(&common::ctx()).unwrap_err().to_string();
    assert!(error.contains("schema.registry.url"), "{error}");
}

#[test]
fn tables_read_avro_changelogs() {
    let (_registry, _kafka, cluster) = stand("table", 2);
    let rows = contributions(6);
    let plan = PlanBuilder::new();
    plan.read_collection(rows.clone())
        .write_kafka_topic(&cluster, "table")
        .key(|c: &Contribution| format!("{}|{}", c.partner, c.month))
        .as_table()
        .avro();
    plan.execute(&common::ctx()).unwrap();
    let plan = PlanBuilder::new();
    plan.read_collection(rows[..2].to_vec())
        .write_kafka_topic(&cluster, "table")
        .key(|c: &Contribution| format!("{}|{}", c.partner, c.month))
        .as_table()
        .avro();
    plan.execute(&common::ctx()).unwrap();
    let plan = PlanBuilder::new();
    let live = plan
        .read_kafka_topic(&cluster, "table")
        .as_table()
        .avro::<Contribution>()
        .collect();
    plan.execute(&common::ctx()).unwrap();
    assert_eq!(live.take().unwrap().len(), 2);
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, AvroSchema)]
#[avro(namespace = "scenario")]
struct CellKey {
    partner: String,
    month: String,
}

#[test]
fn keys_are_encoded_under_their_own_subject() {
    let (registry, kafka, cluster) = stand("keyed", 1);
    let plan = PlanBuilder::new();
    plan.read_collection(contributions(4))
        .write_kafka_topic(&cluster, "keyed")
        .key_avro(|c: &Contribution| CellKey {
            partner: c.partner.clone(),
            month: c.month.clone(),
        })
        .as_table()
        .avro();
    plan.execute(&common::ctx()).unwrap();
    let subjects = registry.subjects();
    assert_eq!(subjects["keyed-value"], [1], "{subjects:?}");
    assert_eq!(subjects["keyed-key"], [2], "{subjects:?}");
    let stored = kafka.read_all("keyed").unwrap();
    assert_eq!(stored.len(), 4);
    let key = stored[0].key.as_deref().unwrap();
    assert_eq!(
        &key[..5],
        &[0, 0, 0, 0, 2],
        "framed with the key schema's id"
    );

    // A table keyed this way reads back; a second run replaces it.
    let plan = PlanBuilder::new();
    let live = plan
        .read_kafka_topic(&cluster, "keyed")
        .as_table()
        .avro::<Contribution>()
        .collect();
    plan.execute(&common::ctx()).unwrap();
    assert_eq!(live.take().unwrap().len(), 4);
}

/// Every bad-input case under every policy: the records a case makes bad
/// fail the job with their location, or are skipped and counted, or go to
/// the dead-letter topic with the reason.
#[test]
fn every_bad_input_follows_every_policy() {
    #[derive(Clone, Debug, Serialize, Deserialize, AvroSchema)]
    struct Unrelated {
        other: i32,
    }
    let registry = EmbeddedRegistry::start().unwrap();
    let mut to_stop = EmbeddedRegistry::start().unwrap();
    let guarded = EmbeddedRegistry::start_with(1, Some(("key", "right-secret"))).unwrap();
    let kafka = EmbeddedCluster::start("orgs", 1).unwrap();
    let good = registry.attach(kafka.cluster());
    // Each case: its topic, the cluster the job reads it through, how many
    // of its records are bad, and what the reason says.
    let mut cases: Vec<(&str, KafkaCluster, u64, &str)> = Vec::new();

    kafka.create_topic("no-magic", 1).unwrap();
    write(&good, "no-magic", contributions(1), |s| s.avro()).unwrap();
    kafka
        .produce("no-magic", [(Some("k"), &b"plain text"[..])])
        .unwrap();
    cases.push(("no-magic", good.clone(), 1, "magic byte"));

    kafka.create_topic("unknown-id", 1).unwrap();
    write(&good, "unknown-id", contributions(1), |s| s.avro()).unwrap();
    kafka
        .produce("unknown-id", [(Some("k"), &[0u8, 0, 0, 1, 0, 2][..])])
        .unwrap();
    cases.push(("unknown-id", good.clone(), 1, "schema id 256 is unknown"));

    kafka.create_topic("unresolvable", 1).unwrap();
    write(&good, "unresolvable", contributions(1), |s| s.avro()).unwrap();
    write(&good, "unresolvable", vec![Unrelated { other: 1 }], |s| {
        s.subject_name_strategy(SubjectNameStrategy::RecordName)
            .avro()
    })
    .unwrap();
    cases.push(("unresolvable", good.clone(), 1, "does not resolve"));

    kafka.create_topic("down", 1).unwrap();
    let before_stop = to_stop.attach(kafka.cluster());
    write(&before_stop, "down", contributions(2), |s| s.avro()).unwrap();
    let down = stopped(&kafka, &mut to_stop, 1000);
    cases.push(("down", down, 2, "unavailable"));

    kafka.create_topic("refused", 1).unwrap();
    write(
        &guarded.attach(kafka.cluster()),
        "refused",
        contributions(2),
        |s| s.avro(),
    )
    .unwrap();
    let refused = kafka
        .cluster()
        .with("schema.registry.url", format!("{}/", guarded.url()))
        .with("basic.auth.user.info", "key:wrong-secret");
    cases.push(("refused", refused, 2, "refused the credentials"));

    kafka.create_topic("dead", 1).unwrap();
    let mut dead_so_far = 0;
    for (topic, cluster, bad, reason) in cases {
        let total = kafka.read_all(topic).unwrap().len() as u64;
        let read = |policy: BadRecordPolicy| {
            let plan = PlanBuilder::new();
            let out = plan
                .read_kafka_topic(&cluster, topic)
                .on_bad_record(policy)
                .avro::<Contribution>()
                .named("rows")
                .collect();
            (plan.execute(&common::ctx()), out)
        };
        let (result, out) = read(BadRecordPolicy::Fail);
        let error = result.unwrap_err().to_string();
        assert!(
            error.contains(&format!(
                "cluster \"orgs\": topic \"{topic}\" partition 0 offset"
            )) && error.contains(reason),
            "{topic}: {error}"
        );
        assert!(out.take().is_err(), "{topic}: nothing delivered");

        let (result, out) = read(BadRecordPolicy::Skip);
        let report = result.unwrap();
        assert_eq!(out.take().unwrap().len() as u64, total - bad, "{topic}");
        assert_eq!(
            report.operator("rows").unwrap().counters.get("skipped"),
            Some(&bad),
            "{topic}"
        );

        let (result, out) = read(BadRecordPolicy::DeadLetter("dead".into()));
        result.unwrap();
        assert_eq!(out.take().unwrap().len() as u64, total - bad, "{topic}");
        let dead = kafka.read_all("dead").unwrap();
        assert_eq!(dead.len() as u64, dead_so_far + bad, "{topic}");
        let why = dead_letter_reason(dead.last().unwrap());
        assert!(why.contains(reason), "{topic}: {why}");
        assert!(!why.contains("wrong-secret"), "{topic}: {why}");
        dead_so_far += bad;
    }
}
