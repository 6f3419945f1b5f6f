//! Kafka read and written inside remote tasks (a Spark cluster's executors).
//! For a read, the driver resolves and splits the offset ranges and hands
//! each task lines naming its ranges; the task reads them with its own
//! consumer. For a write, every task produces its records with its own
//! producer and reports what was sent and delivered, which the driver
//! checks. Both are configured from the operators of the worker's own plan
//! (credentials included), so that only broker addresses, topics, offsets
//! and counts pass through the remote engine. The driver commits what was
//! read once every sink delivered.

use std::sync::Arc;

use wayang_core::config::Configuration;
use wayang_core::job::{JobState, OperatorLabel, OperatorProbe};
use wayang_core::operators::Operator;
use wayang_core::remote::connector::{TaskLines, TaskRead};
use wayang_core::{Error, Result};

use wayang_core::operators::EncodeTarget;
use wayang_core::AnyIter;

use crate::error::KafkaError;
use crate::offsets::OffsetRange;
use crate::operator::registry_of;
use crate::reader::{RangeReader, ReadOptions, ReadProgress};
use crate::settings::KafkaSettings;
use crate::writer::{TopicWriter, WriterOptions};
use crate::KafkaCluster;

/// Installs the reader remote tasks use for Kafka sources
/// ([`wayang_core::remote::connector`]); platform plugins call it.
pub fn install() {
    wayang_core::remote::connector::install_reader(read);
    wayang_core::remote::connector::install_writer(write);
}

/// The line that hands `range` of the cluster at `bootstrap` to a task:
/// `partition from until bootstrap topic` (topic names and broker addresses
/// hold no spaces).
pub fn range_line(bootstrap: &str, range: &OffsetRange) -> Result<String> {
    let until = range.until.ok_or_else(|| {
        Error::internal("a range read to the end of its partition cannot be read remotely")
    })?;
    Ok(format!(
        "{} {} {until} {bootstrap} {}",
        range.partition, range.from, range.topic
    ))
}

fn parse_line(line: &[u8]) -> Result<(String, OffsetRange)> {
    let bad = || {
        Error::internal(format!(
            "malformed offset range line {:?}",
            String::from_utf8_lossy(line)
        ))
    };
    let text = std::str::from_utf8(line).map_err(|_| bad())?;
    let fields: Vec<&str> = text.split(' ').collect();
    let [partition, from, until, bootstrap, topic] = fields[..] else {
        return Err(bad());
    };
    Ok((
        bootstrap.to_string(),
        OffsetRange {
            topic: topic.to_string(),
            partition: partition.parse().map_err(|_| bad())?,
            from: from.parse().map_err(|_| bad())?,
            until: Some(until.parse().map_err(|_| bad())?),
        },
    ))
}

fn read(
    config: &Configuration,
    operator: &Operator,
    label: OperatorLabel,
    lines: TaskLines,
) -> Result<TaskRead> {
    let Operator::KafkaTopicSource(source) = operator else {
        return Err(Error::internal(format!(
            "{label} is not a Kafka source a task can read"
        )));
    };
    let mut bootstrap = None;
    let mut ranges = Vec::new();
    for line in lines {
        let (servers, range) = parse_line(&line?)?;
        bootstrap = Some(servers);
        ranges.push(range);
    }
    // The driver's addresses: the worker's plan may name others (a test's
    // embedded cluster, started again in the worker). Everything else, the
    // credentials included, is the worker's own configuration.
    let cluster = at_address(&source.cluster, bootstrap.as_deref());
    let registry = registry_of(&cluster, source.decoder.needs_registry())
        .map_err(|e| e.in_operator(&label))?;
    let job = Arc::new(JobState::default());
    let options = ReadOptions::for_source(
        source,
        KafkaSettings::from_config(config)?,
        Arc::new(OperatorProbe::new(label, job.clone())),
        Arc::new(ReadProgress::default()),
    );
    let reader = RangeReader::new(cluster, ranges, options);
    Ok(TaskRead::reported_to(
        source.decoder.decode(Box::new(reader), registry.as_ref()),
        job,
    ))
}

/// `cluster` at the driver's bootstrap servers, where the driver sent them.
fn at_address(cluster: &KafkaCluster, servers: Option<&str>) -> KafkaCluster {
    match servers {
        Some(servers) => cluster.clone().with("bootstrap.servers", servers),
        None => cluster.clone(),
    }
}

fn write(
    config: &Configuration,
    operator: &Operator,
    label: OperatorLabel,
    address: Option<&str>,
    records: AnyIter,
) -> Result<(u64, u64)> {
    let Operator::KafkaTopicSink(sink) = operator else {
        return Err(Error::internal(format!(
            "{label} is not a Kafka sink a task can write"
        )));
    };
    let cluster = at_address(&sink.cluster, address);
    let fail = |e: KafkaError| e.in_operator(&label);
    let settings = KafkaSettings::from_config(config)?;
    let registry = registry_of(&cluster, sink.encoder.needs_registry()).map_err(fail)?;
    let options = WriterOptions {
        transactional_id: None,
        track_offsets: false,
    };
    let writer = TopicWriter::open(&cluster, &sink.topic, &options, &settings).map_err(fail)?;
    let target = EncodeTarget {
        topic: &sink.topic,
        registry: registry.as_ref(),
    };
    let produce_failure = |reason: String| {
        fail(KafkaError::Produce {
            alias: cluster.alias().to_string(),
            topic: sink.topic.clone(),
            reason,
            code: None,
        })
    };
    sink.encoder
        .encode(records, &target, &mut |record| writer.send(record))?
        .map_err(produce_failure)?;
    let delivered = writer.flush().map_err(fail)?;
    Ok((writer.sent(), delivered))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_lines_round_trip() {
        let range = OffsetRange {
            topic: "contri.butions-1".into(),
            partition: 3,
            from: 10,
            until: Some(20),
        };
        let line = range_line("127.0.0.1:9092,b:1", &range).unwrap();
        assert_eq!(line, "3 10 20 127.0.0.1:9092,b:1 contri.butions-1");
        let (bootstrap, parsed) = parse_line(line.as_bytes()).unwrap();
        assert_eq!(
            (bootstrap.as_str(), parsed),
            ("127.0.0.1:9092,b:1", range.clone())
        );
        assert!(parse_line(b"3 10 x b t").is_err());
        let open_ended = OffsetRange {
            until: None,
            ..range
        };
        assert!(range_line("b", &open_ended).is_err());
    }
}
