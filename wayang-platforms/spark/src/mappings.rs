//! The one register of the spark platform's mappings.

use std::sync::Arc;

use wayang_core::channels::ChannelKind;
use wayang_core::mapping::{fn_mapping, RunFn};
use wayang_core::{Mapping, OperatorKind};

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
    let table: [(OperatorKind, &'static str, &'static [&'static [ChannelKind]], RunFn); 21] = [
        (K::CollectionSource, "SparkCollectionSource", NONE, sources::collection),
        (K::TextFileSource, "SparkTextFileSource", NONE, sources::text_file),
        (K::KafkaTopicSource, "SparkKafkaTopicSource", NONE, kafka::source),
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
        (K::KafkaTopicSink, "SparkKafkaTopicSink", ONE, kafka::sink),
    ];
    table
        .into_iter()
        .map(|(kind, name, inputs, run)| fn_mapping(kind, SPARK, name, inputs, RDD, run))
        .collect()
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
}
