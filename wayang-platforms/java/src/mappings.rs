//! The one register of the java platform's mappings: every abstract operator
//! kind it can run, and the execution operator it runs it with.

use std::sync::Arc;

use wayang_core::channels::ChannelKind;
use wayang_core::{Mapping, OperatorKind};

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
    let table: [(OperatorKind, &'static str, &'static [&'static [ChannelKind]], RunFn); 21] = [
        (K::CollectionSource, "JavaCollectionSource", NONE, sources::collection),
        (K::TextFileSource, "JavaTextFileSource", NONE, sources::text_file),
        (K::KafkaTopicSource, "JavaKafkaTopicSource", NONE, kafka::source),
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
        (K::KafkaTopicSink, "JavaKafkaTopicSink", STREAM, kafka::sink),
    ];
    table
        .into_iter()
        .map(|(kind, name, inputs, run)| mapping(kind, name, inputs, run))
        .collect()
}

fn mapping(
    kind: OperatorKind,
    name: &'static str,
    inputs: &'static [&'static [ChannelKind]],
    run: RunFn,
) -> Arc<dyn Mapping> {
    fn_mapping(kind, JAVA, name, inputs, ChannelKind::STREAM, run)
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
}
