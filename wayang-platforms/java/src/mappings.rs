//! The one register of the java platform's mappings: every abstract operator
//! kind it can run, and the execution operator it runs it with.

use std::sync::Arc;

use wayang_core::channels::ChannelKind;
use wayang_core::mapping::FnOperator;
use wayang_core::{ExecutionOperator, Mapping, Operator, OperatorKind, Platform};

use wayang_core::mapping::{fn_mapping, RunFn};

use crate::operators::{binary, kafka, sinks, sources, unary};
use crate::JAVA;

const NONE: &[&[ChannelKind]] = &[];
const STREAM: &[&[ChannelKind]] = &[&[ChannelKind::STREAM]];
const TWO_STREAMS: &[&[ChannelKind]] = &[&[ChannelKind::STREAM], &[ChannelKind::STREAM]];
const STREAM_AND_COLLECTION: &[&[ChannelKind]] =
    &[&[ChannelKind::STREAM], &[ChannelKind::COLLECTION]];

/// Every mapping of the java platform.
pub fn mappings() -> Vec<Arc<dyn Mapping>> {
    use OperatorKind as K;
    // One line per operator kind: easier to audit as a table.
    #[rustfmt::skip]
    let table: [(OperatorKind, &'static str, &'static [&'static [ChannelKind]], RunFn); 19] = [
        (K::CollectionSource, "JavaCollectionSource", NONE, sources::collection),
        (K::TextFileSource, "JavaTextFileSource", NONE, sources::text_file),
        (K::Map, "JavaMapOperator", STREAM, unary::transform),
        (K::FlatMap, "JavaFlatMapOperator", STREAM, unary::transform),
        (K::Filter, "JavaFilterOperator", STREAM, unary::transform),
        (K::MapPartitions, "JavaMapPartitionsOperator", STREAM, unary::transform),
        (K::Sample, "JavaSampleOperator", STREAM, unary::sample),
        (K::ReduceBy, "JavaReduceByOperator", STREAM, unary::reduce_by),
        (K::GroupBy, "JavaGroupByOperator", STREAM, unary::group_by),
        (K::Distinct, "JavaDistinctOperator", STREAM, unary::distinct),
        (K::Sort, "JavaSortOperator", STREAM, unary::sort),
        (K::Count, "JavaCountOperator", STREAM, unary::count),
        (K::GlobalReduce, "JavaGlobalReduceOperator", STREAM, unary::global_reduce),
        (K::Join, "JavaJoinOperator", TWO_STREAMS, binary::join),
        (K::Union, "JavaUnionOperator", TWO_STREAMS, binary::union),
        (K::Cartesian, "JavaCartesianOperator", STREAM_AND_COLLECTION, binary::cartesian),
        (K::CoGroup, "JavaCoGroupOperator", TWO_STREAMS, binary::co_group),
        (K::LocalCallbackSink, "JavaLocalCallbackSink", STREAM, sinks::local_callback),
        (K::TextFileSink, "JavaTextFileSink", STREAM, sinks::text_file),
    ];
    let mut all: Vec<Arc<dyn Mapping>> = table
        .into_iter()
        .map(|(kind, name, inputs, run)| mapping(kind, name, inputs, run))
        .collect();
    all.push(Arc::new(KafkaTopicSourceMapping));
    all.push(Arc::new(KafkaTopicSinkMapping));
    all
}

fn mapping(
    kind: OperatorKind,
    name: &'static str,
    inputs: &'static [&'static [ChannelKind]],
    run: RunFn,
) -> Arc<dyn Mapping> {
    fn_mapping(kind, JAVA, name, inputs, ChannelKind::STREAM, run)
}

/// Wayang's `KafkaTopicSourceMapping`: maps `KafkaTopicSource` onto
/// `JavaKafkaTopicSource`, which reads its offset ranges with one consumer per topic, streaming.
#[derive(Clone, Copy, Debug, Default)]
pub struct KafkaTopicSourceMapping;

impl Mapping for KafkaTopicSourceMapping {
    fn kind(&self) -> OperatorKind {
        OperatorKind::KafkaTopicSource
    }

    fn platform(&self) -> Platform {
        JAVA
    }

    fn map(&self, operator: &Operator) -> Option<Arc<dyn ExecutionOperator>> {
        let Operator::KafkaTopicSource(_) = operator else {
            return None;
        };
        let run = FnOperator::new(
            "JavaKafkaTopicSource",
            JAVA,
            operator.clone(),
            NONE,
            ChannelKind::STREAM,
            kafka::source,
        );
        Some(Arc::new(run))
    }
}

/// Wayang's `KafkaTopicSinkMapping`: maps `KafkaTopicSink` onto
/// `JavaKafkaTopicSink`, which produces every record from the calling thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct KafkaTopicSinkMapping;

impl Mapping for KafkaTopicSinkMapping {
    fn kind(&self) -> OperatorKind {
        OperatorKind::KafkaTopicSink
    }

    fn platform(&self) -> Platform {
        JAVA
    }

    fn map(&self, operator: &Operator) -> Option<Arc<dyn ExecutionOperator>> {
        let Operator::KafkaTopicSink(_) = operator else {
            return None;
        };
        let run = FnOperator::new(
            "JavaKafkaTopicSink",
            JAVA,
            operator.clone(),
            STREAM,
            ChannelKind::STREAM,
            kafka::sink,
        );
        Some(Arc::new(run))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operator_kind_has_exactly_one_mapping() {
        let all = mappings();
        for kind in OperatorKind::ALL {
            let count = all.iter().filter(|m| m.kind() == *kind).count();
            assert_eq!(count, 1, "{kind} has {count} mappings");
        }
        assert_eq!(all.len(), OperatorKind::ALL.len());
        assert!(all.iter().all(|m| m.platform() == JAVA));
    }

    #[test]
    fn the_kafka_mappings_are_named_and_registered() {
        use wayang_core::formats::Utf8;
        use wayang_core::operators::Operator;
        use wayang_core::operators::{
            KafkaTopicSink, KafkaTopicSource, RecordEncoderFns, RecordFunctions, ValueDecoder,
        };
        let cluster = wayang_core::kafka::KafkaCluster::new("c");
        let source = Operator::KafkaTopicSource(KafkaTopicSource {
            cluster: cluster.clone(),
            topics: vec!["t".into()],
            start: Default::default(),
            stop: Default::default(),
            group: None,
            on_bad_record: Default::default(),
            table: false,
            exactly_once: None,
            decoder: Arc::new(ValueDecoder::<Utf8>::default()),
            output_type: wayang_core::DataType::of::<String>(),
        });
        let sink = Operator::KafkaTopicSink(KafkaTopicSink {
            cluster,
            topic: "t".into(),
            encoder: Arc::new(RecordEncoderFns::<String, Utf8>::new(
                RecordFunctions::default(),
            )),
            transactional_id: None,
            exactly_once: None,
            table: false,
            input_type: wayang_core::DataType::of::<String>(),
        });
        for (operator, expected) in [
            (source, "JavaKafkaTopicSource"),
            (sink, "JavaKafkaTopicSink"),
        ] {
            let mapped: Vec<_> = mappings().iter().filter_map(|m| m.map(&operator)).collect();
            assert_eq!(mapped.len(), 1, "{expected}");
            assert_eq!(mapped[0].name(), expected);
        }
        assert!(KafkaTopicSourceMapping
            .map(&Operator::Count(wayang_core::operators::Count {
                input_type: wayang_core::DataType::of::<u8>()
            }))
            .is_none());
    }
}
