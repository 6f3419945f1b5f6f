//! Records/s of the Kafka sink's delivery modes, side by side: the same
//! copy job (read a topic, write every record to another topic of the same
//! cluster) at least once, in one transaction, and exactly once (output
//! and source positions in one transaction). Prints figures; asserts
//! nothing about speed (see docs/benchmarks.md).
//!
//! `cargo bench -p wayang-kafka --bench kafka_sink [-- RECORDS]`
//! With `WAYANG_BENCH_BROKERS=host:port` it also measures that broker
//! (e.g. tansu: `bash scripts/real-broker.sh start`).

mod common;

use std::time::{Duration, Instant};

use wayang_api::kafka::{ExactlyOnce, KafkaCluster, StopOffsets};
use wayang_api::{PlanBuilder, WayangContext};
use wayang_kafka::embedded::EmbeddedCluster;
use wayang_kafka::{admin, KafkaSettings};

const PARTITIONS: i32 = 16;
const PAYLOAD: usize = 100;
const ROUNDS: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    AtLeastOnce,
    Transactional,
    ExactlyOnce,
}

fn main() {
    let records: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200_000);
    let embedded = EmbeddedCluster::start("bench", 1).expect("embedded cluster");
    let create_embedded = |topic: &str, partitions: i32| {
        embedded.create_topic(topic, partitions).expect("topic");
    };
    create_embedded("input", PARTITIONS);
    create_embedded("wayang-positions", 1);
    common::fill(&embedded.cluster(), "input", records, PAYLOAD, PARTITIONS);
    measure(
        "embedded mock cluster",
        &embedded.cluster(),
        "input",
        records,
        StopOffsets::HighWatermark,
        &create_embedded,
    );

    if let Ok(servers) = std::env::var("WAYANG_BENCH_BROKERS") {
        let real = KafkaCluster::new("real").with("bootstrap.servers", servers.as_str());
        let create_real = |topic: &str, partitions: i32| {
            admin::create_topic(&real, topic, partitions, &KafkaSettings::default())
                .expect("topic");
        };
        let input = format!("sink-bench-in-{}", std::process::id());
        create_real(&input, PARTITIONS);
        create_real("wayang-positions", 1);
        common::fill(&real, &input, records, PAYLOAD, PARTITIONS);
        // tansu's memory storage reports a wrong high watermark: read to the end.
        measure(
            &format!("real broker at {servers}"),
            &real,
            &input,
            records,
            StopOffsets::EndOfPartition,
            &create_real,
        );
    }
}

fn measure(
    broker: &str,
    cluster: &KafkaCluster,
    input: &str,
    records: u64,
    stop: StopOffsets,
    create: &dyn Fn(&str, i32),
) {
    println!("{broker}: copy {records} records of {PAYLOAD} B, {PARTITIONS} partitions, {ROUNDS} interleaved rounds");
    let ctx = WayangContext::new().with(wayang_java::plugin());
    let modes = [Mode::AtLeastOnce, Mode::Transactional, Mode::ExactlyOnce];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); modes.len()];
    for round in 0..ROUNDS {
        for (index, mode) in modes.iter().enumerate() {
            let output = format!("out-{mode:?}-{round}-{}", std::process::id()).to_lowercase();
            create(&output, PARTITIONS);
            let job = format!("bench-{mode:?}-{round}-{}", std::process::id());
            let eos = ExactlyOnce::new(job.clone(), cluster);
            let plan = PlanBuilder::new();
            let mut source = plan
                .read_kafka_topic(cluster, input)
                .ending_offsets(stop.clone());
            if *mode == Mode::ExactlyOnce {
                source = source.exactly_once(&eos);
            }
            let mut sink = source.bytes().write_kafka_topic(cluster, &output);
            sink = match mode {
                Mode::AtLeastOnce => sink,
                Mode::Transactional => sink.transactional(job),
                Mode::ExactlyOnce => sink.exactly_once(&eos),
            };
            sink.bytes();
            let started = Instant::now();
            let report = plan.execute(&ctx).expect("job");
            times[index].push(started.elapsed());
            let written = report
                .operators
                .iter()
                .find(|o| o.kind.is_sink())
                .map_or(0, |o| o.records_out);
            assert_eq!(written, records, "{mode:?}: every record written");
        }
    }
    let rate = |d: Duration| records as f64 / d.as_secs_f64() / 1e6;
    let mut medians = Vec::new();
    for (mode, times) in modes.iter().zip(&mut times) {
        times.sort();
        let (best, median) = (times[0], times[times.len() / 2]);
        medians.push(median);
        println!(
            "  {:<16} best {:>7.1} ms ({:.3} M rec/s), median {:>7.1} ms ({:.3} M rec/s)",
            format!("{mode:?}"),
            best.as_secs_f64() * 1e3,
            rate(best),
            median.as_secs_f64() * 1e3,
            rate(median)
        );
    }
    for (index, mode) in modes.iter().enumerate().skip(1) {
        println!(
            "  {mode:?} / AtLeastOnce throughput (median): {:.2}",
            medians[0].as_secs_f64() / medians[index].as_secs_f64()
        );
    }
}
