//! The one register of the spark platform's mappings.

use std::sync::Arc;

use wayang_core::channels::ChannelKind;
use wayang_core::mapping::FnOperator;
use wayang_core::mapping::{fn_mapping, RunFn};
use wayang_core::{ExecutionOperator, Mapping, Operator, OperatorKind, Platform};

use crate::operators::{binary, kafka, narrow, sinks, sources, wide};
use crate::rdd::{EITHER, RDD};
use crate::SPARK;

const NONE: &[&[ChannelKind]] = &[];
const ONE: &[&[ChannelKind]] = &[EITHER];
const TWO: &[&[ChannelKind]] = &[EITHER, EITHER];
// A cartesian's right side is broadcast to every task, as a collection.
const BROADCAST: &[&[ChannelKind]] = &[EITHER, &[ChannelKind::COLLECTION]];

/// Every mapping of the spark platform.
pub fn mappings() -> Vec<Arc<dyn Mapping>> {
    use OperatorKind as K;
    // One line per operator kind: easier to audit as a table.
    #[rustfmt::skip]
    let table: [(OperatorKind, &'static str, &'static [&'static [ChannelKind]], RunFn); 19] = [
        (K::CollectionSource, "SparkCollectionSource", NONE, sources::collection),
        (K::TextFileSource, "SparkTextFileSource", NONE, sources::text_file),
        (K::Map, "SparkMapOperator", ONE, narrow::transform),
        (K::FlatMap, "SparkFlatMapOperator", ONE, narrow::transform),
        (K::Filter, "SparkFilterOperator", ONE, narrow::transform),
        (K::MapPartitions, "SparkMapPartitionsOperator", ONE, narrow::transform),
        (K::Sample, "SparkSampleOperator", ONE, narrow::sample),
        (K::ReduceBy, "SparkReduceByOperator", ONE, wide::reduce_by),
        (K::GroupBy, "SparkGroupByOperator", ONE, wide::group_by),
        (K::Distinct, "SparkDistinctOperator", ONE, wide::distinct),
        (K::Sort, "SparkSortOperator", ONE, wide::sort),
        (K::Count, "SparkCountOperator", ONE, wide::count),
        (K::GlobalReduce, "SparkGlobalReduceOperator", ONE, wide::global_reduce),
        (K::Join, "SparkJoinOperator", TWO, binary::join),
        (K::Union, "SparkUnionOperator", TWO, narrow::union),
        (K::Cartesian, "SparkCartesianOperator", BROADCAST, binary::cartesian),
        (K::CoGroup, "SparkCoGroupOperator", TWO, binary::co_group),
        (K::LocalCallbackSink, "SparkLocalCallbackSink", ONE, sinks::local_callback),
        (K::TextFileSink, "SparkTextFileSink", ONE, sinks::text_file),
    ];
    let mut all: Vec<Arc<dyn Mapping>> = table
        .into_iter()
        .map(|(kind, name, inputs, run)| fn_mapping(kind, SPARK, name, inputs, RDD, run))
        .collect();
    all.push(Arc::new(KafkaTopicSourceMapping));
    all.push(Arc::new(KafkaTopicSinkMapping));
    all
}

/// Wayang's `KafkaTopicSourceMapping`: maps `KafkaTopicSource` onto
/// `SparkKafkaTopicSource`, which reads one offset range per task, in parallel.
#[derive(Clone, Copy, Debug, Default)]
pub struct KafkaTopicSourceMapping;

impl Mapping for KafkaTopicSourceMapping {
    fn kind(&self) -> OperatorKind {
        OperatorKind::KafkaTopicSource
    }

    fn platform(&self) -> Platform {
        SPARK
    }

    fn map(&self, operator: &Operator) -> Option<Arc<dyn ExecutionOperator>> {
        let Operator::KafkaTopicSource(_) = operator else {
            return None;
        };
        let run = FnOperator::new(
            "SparkKafkaTopicSource",
            SPARK,
            operator.clone(),
            NONE,
            RDD,
            kafka::source,
        );
        Some(Arc::new(run))
    }
}

/// Wayang's `KafkaTopicSinkMapping`: maps `KafkaTopicSink` onto
/// `SparkKafkaTopicSink`, which produces from every task through one shared producer.
#[derive(Clone, Copy, Debug, Default)]
pub struct KafkaTopicSinkMapping;

impl Mapping for KafkaTopicSinkMapping {
    fn kind(&self) -> OperatorKind {
        OperatorKind::KafkaTopicSink
    }

    fn platform(&self) -> Platform {
        SPARK
    }

    fn map(&self, operator: &Operator) -> Option<Arc<dyn ExecutionOperator>> {
        let Operator::KafkaTopicSink(_) = operator else {
            return None;
        };
        let run = FnOperator::new(
            "SparkKafkaTopicSink",
            SPARK,
            operator.clone(),
            ONE,
            RDD,
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
        assert!(all.iter().all(|m| m.platform() == SPARK));
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
            (source, "SparkKafkaTopicSource"),
            (sink, "SparkKafkaTopicSink"),
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
