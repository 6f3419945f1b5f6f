//! Round trips through a topic, per format, and records with metadata.

mod common;

use serde::{Deserialize, Serialize};
use wayang_api::formats::{Bincode, Bytes, Json, Utf8};
use wayang_api::kafka::KafkaRecord;
use wayang_api::{Data, PlanBuilder};
use wayang_core::formats::Format;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Order {
    id: u64,
    item: String,
    price: f64,
    tags: Vec<String>,
}

fn orders() -> Vec<Order> {
    (0..50)
        .map(|i| Order {
            id: i,
            item: ["café", "東京 tea", "", "naïve\n\"quoted\""][i as usize % 4].to_string(),
            price: i as f64 * 1.25,
            tags: (0..i % 3).map(|t| format!("t{t}")).collect(),
        })
        .collect()
}

/// Writes `input` with format `F` through a sink, reads it back with a source
/// of the same format, and returns what came back.
fn round_trip<F: Format>(input: Vec<F::Value>) -> Vec<F::Value> {
    let cluster = common::cluster_with("fmt", "t", 3);
    let write = PlanBuilder::new();
    write
        .read_collection(input)
        .write_kafka_topic(&cluster.cluster(), "t")
        .format::<F>();
    write.execute(&common::ctx()).unwrap();
    let read = PlanBuilder::new();
    let out = read
        .read_kafka_topic(&cluster.cluster(), "t")
        .values::<F>()
        .collect();
    read.execute(&common::ctx()).unwrap();
    out.take().unwrap()
}

fn sorted<T: Data>(mut records: Vec<T>, key: impl Fn(&T) -> String) -> Vec<T> {
    records.sort_by_key(|r| key(r));
    records
}

#[test]
fn json_round_trip() {
    let back = sorted(round_trip::<Json<Order>>(orders()), |o| {
        format!("{:05}", o.id)
    });
    assert_eq!(back, orders());
}

#[test]
fn bincode_round_trip() {
    let back = sorted(round_trip::<Bincode<Order>>(orders()), |o| {
        format!("{:05}", o.id)
    });
    assert_eq!(back, orders());
}

#[test]
fn string_round_trip() {
    let input: Vec<String> = ["zürich", "", "東京", "line\nbreak"]
        .map(String::from)
        .to_vec();
    assert_eq!(
        sorted(round_trip::<Utf8>(input.clone()), Clone::clone),
        sorted(input, Clone::clone)
    );
}

#[test]
fn bytes_round_trip() {
    let input: Vec<Vec<u8>> = vec![vec![], vec![0, 255, 10], vec![0xc3, 0x28]];
    assert_eq!(
        sorted(round_trip::<Bytes>(input.clone()), |b| format!("{b:?}")),
        sorted(input, |b| format!("{b:?}"))
    );
}

#[test]
fn records_expose_key_partition_offset_timestamp_and_headers() {
    let cluster = common::cluster_with("meta", "t", 2);
    let write = PlanBuilder::new();
    write
        .read_collection(vec!["a".to_string(), "b".into(), "c".into()])
        .write_kafka_topic(&cluster.cluster(), "t")
        .key(|v| format!("key-{v}"))
        .partition(|v| if v == "a" { 0 } else { 1 })
        .timestamp(|_| 1_700_000_000_000)
        .headers(|v| vec![("origin".to_string(), v.as_bytes().to_vec())])
        .string();
    write.execute(&common::ctx()).unwrap();

    let read = PlanBuilder::new();
    let out = read
        .read_kafka_topic(&cluster.cluster(), "t")
        .records::<Utf8>()
        .collect();
    read.execute(&common::ctx()).unwrap();
    let mut records: Vec<KafkaRecord<String>> = out.take().unwrap();
    records.sort_by_key(|r| r.value.clone());
    assert_eq!(records.len(), 3);
    let a = &records[0];
    assert_eq!((a.topic.as_str(), a.partition, a.offset), ("t", 0, 0));
    assert_eq!(a.key.as_deref(), Some(&b"key-a"[..]));
    assert_eq!(a.timestamp, Some(1_700_000_000_000));
    assert_eq!(a.headers, [("origin".to_string(), Some(b"a".to_vec()))]);
    assert_eq!((records[1].partition, records[1].offset), (1, 0));
    assert_eq!((records[2].partition, records[2].offset), (1, 1));
}
