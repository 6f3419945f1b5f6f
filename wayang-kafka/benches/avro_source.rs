//! Avro decoding in the Kafka source next to a bare loop that decodes the
//! same payloads with the same crate (apache-avro), in memory.
//!
//! Four figures per round, interleaved: the bare loop (frame check, then
//! `GenericDatumReader::read_deser`, the crate's fastest path, with the
//! writer schema parsed once); the source's decoder (the `RecordDecoder`
//! that `avro::<Contribution>()` puts in the plan, with its registry
//! look-up and per-stream cache) over the same payloads in memory; and,
//! end to end, the java source reading the topic as raw bytes and as
//! `avro::<Contribution>()` through an embedded registry. Prints figures;
//! asserts nothing about speed.
//!
//! `cargo bench -p wayang-kafka --bench avro_source [-- RECORDS]`

use std::time::{Duration, Instant};

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::AvroSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use wayang_api::kafka::KafkaCluster;
use wayang_api::{PlanBuilder, WayangContext};

use wayang_core::formats::avro::Avro;
use wayang_core::formats::registry::{parse_frame, SchemaRegistry};
use wayang_core::kafka::RecordView;
use wayang_core::operators::{RawRecords, RecordDecoder, RegistryDecoder, RegistryShape};
use wayang_kafka::embedded::EmbeddedCluster;
use wayang_kafka::registry::embedded::EmbeddedRegistry;
use wayang_kafka::registry::registry_for;

const PARTITIONS: i32 = 16;
const ROUNDS: usize = 5;

#[derive(Clone, Debug, Serialize, Deserialize, AvroSchema)]
struct Contribution {
    partner: String,
    month: String,
    category: String,
    sum_cents: i64,
    customers: i64,
}

fn main() {
    let records: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(300_000);
    let registry = EmbeddedRegistry::start().expect("registry");
    let embedded = EmbeddedCluster::start("bench", 3).expect("embedded cluster");
    embedded.create_topic("avro", PARTITIONS).expect("topic");
    let cluster = registry.attach(embedded.cluster());
    fill(&cluster, records);
    let payloads: Vec<Vec<u8>> = embedded
        .read_all("avro")
        .expect("read back")
        .into_iter()
        .filter_map(|r| r.value)
        .collect();
    assert_eq!(payloads.len() as u64, records, "every record is stored");
    let bytes: usize = payloads.iter().map(Vec::len).sum();
    println!(
        "{records} Avro records ({} B on average) in {PARTITIONS} partitions of an embedded cluster, {ROUNDS} interleaved rounds",
        bytes / payloads.len()
    );

    let schema = Contribution::get_schema();
    let ctx = WayangContext::new().with(wayang_java::plugin());
    let registry_client = registry_for(&cluster).expect("registry").expect("named");
    let payloads = Arc::new(payloads);
    let (mut bare, mut decoder, mut raw, mut avro) = (vec![], vec![], vec![], vec![]);
    for _ in 0..ROUNDS {
        bare.push(timed(records, || bare_loop(&schema, &payloads)));
        decoder.push(timed(records, || {
            source_decoder(&registry_client, payloads.clone())
        }));
        raw.push(timed(records, || source_bytes(&cluster, &ctx)));
        avro.push(timed(records, || source_avro(&cluster, &ctx)));
    }
    for times in [&mut bare, &mut decoder, &mut raw, &mut avro] {
        times.sort();
    }
    let rate = |d: Duration| records as f64 / d.as_secs_f64() / 1e6;
    for (name, times) in [
        ("bare decode loop (memory)", &bare),
        ("source decoder (memory)", &decoder),
        ("java source, bytes", &raw),
        ("java source, avro", &avro),
    ] {
        let (best, median) = (times[0], times[ROUNDS / 2]);
        println!(
            "  {name:<27} best {:>7.1} ms ({:.3} M rec/s), median {:>7.1} ms ({:.3} M rec/s)",
            best.as_secs_f64() * 1e3,
            rate(best),
            median.as_secs_f64() * 1e3,
            rate(median)
        );
    }
    let per_record = |d: Duration| d.as_secs_f64() * 1e9 / records as f64;
    let median = ROUNDS / 2;
    println!(
        "  decode per record (median): bare {:.0} ns, source decoder {:.0} ns (ratio {:.2}); \
         end to end avro - bytes {:.0} ns",
        per_record(bare[median]),
        per_record(decoder[median]),
        per_record(decoder[median]) / per_record(bare[median]),
        per_record(avro[median]) - per_record(raw[median]),
    );
}

/// The payloads offered as a Kafka reader offers them.
struct InMemory {
    payloads: Arc<Vec<Vec<u8>>>,
    next: usize,
}

impl RawRecords for InMemory {
    fn next_record(
        &mut self,
        decode: &mut dyn FnMut(&RecordView<'_>) -> Result<(), String>,
    ) -> bool {
        let Some(payload) = self.payloads.get(self.next) else {
            return false;
        };
        let view = RecordView {
            topic: "avro",
            partition: 0,
            offset: self.next as i64,
            timestamp: None,
            key: None,
            payload: Some(payload),
            headers: &[],
        };
        decode(&view).expect("decodes");
        self.next += 1;
        true
    }
}

/// The decoder `avro::<Contribution>()` adds to a plan, over memory.
fn source_decoder(registry: &Arc<dyn SchemaRegistry>, payloads: Arc<Vec<Vec<u8>>>) -> u64 {
    let codec = Avro::<Contribution>::new().expect("codec");
    let decoder = RegistryDecoder::new(codec, RegistryShape::Values);
    let records = Box::new(InMemory { payloads, next: 0 });
    let rows = decoder
        .decode(records, Some(registry))
        .downcast::<Contribution>()
        .expect("type");
    std::hint::black_box(rows.map(|c| c.customers as u64).sum())
}

fn fill(cluster: &KafkaCluster, records: u64) {
    let plan = PlanBuilder::new();
    plan.read_collection(0..records)
        .map(|i| Contribution {
            partner: ["emea", "apac", "us-west"][(i % 3) as usize].into(),
            month: format!("2026-{:02}", i % 12 + 1),
            category: ["books", "electronics", "groceries", "travel"][(i % 4) as usize].into(),
            sum_cents: 1_000 + i as i64,
            customers: 3 + (i % 50) as i64,
        })
        .write_kafka_topic(cluster, "avro")
        .partition(|c: &Contribution| (c.sum_cents % PARTITIONS as i64) as i32)
        .avro();
    plan.execute(&WayangContext::new().with(wayang_java::plugin()))
        .expect("fill");
}

/// The least a decoder can do: check the framing, decode straight into the
/// type with the writer schema (resolved once), sum a field so nothing is
/// optimised away.
fn bare_loop(schema: &apache_avro::Schema, payloads: &[Vec<u8>]) -> u64 {
    let reader = GenericDatumReader::builder(schema).build().expect("reader");
    let mut sum = 0u64;
    for payload in payloads {
        let (_, mut body) = parse_frame(payload).expect("framed");
        let row: Contribution = reader.read_deser(&mut body).expect("decodes");
        sum += row.customers as u64;
    }
    std::hint::black_box(sum)
}

fn source_bytes(cluster: &KafkaCluster, ctx: &WayangContext) -> u64 {
    let plan = PlanBuilder::new();
    let n = plan
        .read_kafka_topic(cluster, "avro")
        .bytes()
        .count()
        .collect();
    plan.execute(ctx).expect("job");
    n.take().expect("count")[0]
}

fn source_avro(cluster: &KafkaCluster, ctx: &WayangContext) -> u64 {
    let plan = PlanBuilder::new();
    let sum = plan
        .read_kafka_topic(cluster, "avro")
        .avro::<Contribution>()
        .map(|c| c.customers as u64)
        .reduce(|a, b| a + b)
        .collect();
    plan.execute(ctx).expect("job");
    sum.take().expect("sum")[0]
}

fn timed(records: u64, work: impl FnOnce() -> u64) -> Duration {
    let start = Instant::now();
    let out = work();
    let elapsed = start.elapsed();
    assert!(out > 0 && records > 0);
    elapsed
}
