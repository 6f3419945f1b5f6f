//! The abstract operators a plan is made of.
//!
//! An abstract operator says *what* to compute, not how or where: it holds the
//! user's functions as type-erased kernels ([`StreamTransform`],
//! [`ReduceByKernel`], ...) and plain parameters. Platforms execute operators by
//! calling the kernels on the containers they move data in: the `java` platform
//! on its one stream, a partitioned platform on each partition. Kernels
//! downcast a container once and then run typed code over all its records.

mod cartesian;
mod co_group;
mod collection_source;
mod count;
mod distinct;
mod global_reduce;
mod group_by;
mod join;
mod kafka_topic_sink;
mod kafka_topic_source;
mod keyed;
mod kind;
mod local_callback_sink;
mod reduce_by;
mod registry_codec;
pub(crate) mod sample;
mod sort;
mod text_file_sink;
mod text_file_source;
mod transform;
mod union;

pub use cartesian::{Cartesian, CartesianFn, CartesianKernel};
pub use co_group::{CoGroup, CoGroupFns, CoGroupKernel};
pub use collection_source::CollectionSource;
pub use count::Count;
pub use distinct::{Distinct, DistinctFns, DistinctKernel};
pub use global_reduce::{GlobalReduce, GlobalReduceFn, GlobalReduceKernel};
pub use group_by::{GroupBy, GroupByFns, GroupByKernel};
pub use join::{Join, JoinFns, JoinKernel};
pub use kafka_topic_sink::{
    EncodeTarget, HeadersFn, KafkaTopicSink, KeyFn, PartitionFn, RecordEncoder, RecordEncoderFns,
    RecordFunctions, RegistryKeyEncoder, TimestampFn,
};
pub use kafka_topic_source::{
    ChangelogDecoder, KafkaTopicSource, RawRecords, RecordDecoder, RecordWithMetadataDecoder,
    ValueDecoder,
};
pub use keyed::{key_hash, TwoSidedKeys};
pub use kind::OperatorKind;
pub use local_callback_sink::{
    Callback, CollectHandle, CollectKernel, ForEachFn, ForEachKernel, LocalCallbackSink,
};
pub use reduce_by::{
    CombineValues, ReduceBy, ReduceByFns, ReduceByKernel, ReduceValuesFns, WithKey, COMBINE_PROBE,
};
pub use registry_codec::{RegistryDecoder, RegistryEncoderFns, RegistryKey, RegistryShape};
pub use sample::{Sample, SplitMix64};
pub use sort::{Sort, SortFns, SortKernel};
pub use text_file_sink::{FileCommit, LineFormatKernel, LineFormatter, TextFileSink};
pub use text_file_source::TextFileSource;
pub use transform::{
    FilterFn, FlatMapFn, MapFn, MapPartitionsFn, StreamTransform, Transform, TryFlatMapFn, TryMapFn,
};
pub use union::Union;

use crate::data::DataType;

/// An abstract operator: one variant per kind, each wrapping its own struct.
#[derive(Clone)]
#[non_exhaustive]
pub enum Operator {
    /// Emits the records of an in-memory collection.
    CollectionSource(CollectionSource),
    /// Emits the lines of a text file.
    TextFileSource(TextFileSource),
    /// Emits the records of Kafka topics between resolved offsets.
    KafkaTopicSource(KafkaTopicSource),
    /// One record in, one record out.
    Map(Transform),
    /// One record in, any number out.
    FlatMap(Transform),
    /// Keeps the records a predicate accepts.
    Filter(Transform),
    /// A function over a whole partition's stream.
    MapPartitions(Transform),
    /// A uniform random sample of a fixed size.
    Sample(Sample),
    /// Combines all records with equal keys into one.
    ReduceBy(ReduceBy),
    /// Collects all records with equal keys into a group.
    GroupBy(GroupBy),
    /// Removes duplicate records.
    Distinct(Distinct),
    /// Orders records by a key.
    Sort(Sort),
    /// Counts records.
    Count(Count),
    /// Combines all records into one.
    GlobalReduce(GlobalReduce),
    /// Pairs records of two inputs with equal keys.
    Join(Join),
    /// All records of both inputs.
    Union(Union),
    /// Every pair of records of two inputs.
    Cartesian(Cartesian),
    /// Groups of both inputs per key.
    CoGroup(CoGroup),
    /// Hands the records to the driver program (collect or for-each).
    LocalCallbackSink(LocalCallbackSink),
    /// Writes records as lines of a text file.
    TextFileSink(TextFileSink),
    /// Writes records to a Kafka topic.
    KafkaTopicSink(KafkaTopicSink),
}

impl Operator {
    /// The operator's kind.
    pub fn kind(&self) -> OperatorKind {
        match self {
            Operator::CollectionSource(_) => OperatorKind::CollectionSource,
            Operator::TextFileSource(_) => OperatorKind::TextFileSource,
            Operator::KafkaTopicSource(_) => OperatorKind::KafkaTopicSource,
            Operator::Map(_) => OperatorKind::Map,
            Operator::FlatMap(_) => OperatorKind::FlatMap,
            Operator::Filter(_) => OperatorKind::Filter,
            Operator::MapPartitions(_) => OperatorKind::MapPartitions,
            Operator::Sample(_) => OperatorKind::Sample,
            Operator::ReduceBy(_) => OperatorKind::ReduceBy,
            Operator::GroupBy(_) => OperatorKind::GroupBy,
            Operator::Distinct(_) => OperatorKind::Distinct,
            Operator::Sort(_) => OperatorKind::Sort,
            Operator::Count(_) => OperatorKind::Count,
            Operator::GlobalReduce(_) => OperatorKind::GlobalReduce,
            Operator::Join(_) => OperatorKind::Join,
            Operator::Union(_) => OperatorKind::Union,
            Operator::Cartesian(_) => OperatorKind::Cartesian,
            Operator::CoGroup(_) => OperatorKind::CoGroup,
            Operator::LocalCallbackSink(_) => OperatorKind::LocalCallbackSink,
            Operator::TextFileSink(_) => OperatorKind::TextFileSink,
            Operator::KafkaTopicSink(_) => OperatorKind::KafkaTopicSink,
        }
    }

    /// The record types the operator expects on its input slots, in order.
    pub fn input_types(&self) -> Vec<DataType> {
        match self {
            Operator::CollectionSource(_)
            | Operator::TextFileSource(_)
            | Operator::KafkaTopicSource(_) => vec![],
            Operator::Map(op)
            | Operator::FlatMap(op)
            | Operator::Filter(op)
            | Operator::MapPartitions(op) => vec![op.input_type.clone()],
            Operator::Sample(op) => vec![op.data_type.clone()],
            Operator::ReduceBy(op) => vec![op.data_type.clone()],
            Operator::GroupBy(op) => vec![op.input_type.clone()],
            Operator::Distinct(op) => vec![op.data_type.clone()],
            Operator::Sort(op) => vec![op.data_type.clone()],
            Operator::Count(op) => vec![op.input_type.clone()],
            Operator::GlobalReduce(op) => vec![op.data_type.clone()],
            Operator::Join(op) => vec![op.left_type.clone(), op.right_type.clone()],
            Operator::Union(op) => vec![op.data_type.clone(), op.data_type.clone()],
            Operator::Cartesian(op) => vec![op.left_type.clone(), op.right_type.clone()],
            Operator::CoGroup(op) => vec![op.left_type.clone(), op.right_type.clone()],
            Operator::LocalCallbackSink(op) => vec![op.input_type.clone()],
            Operator::TextFileSink(op) => vec![op.input_type.clone()],
            Operator::KafkaTopicSink(op) => vec![op.input_type.clone()],
        }
    }

    /// The record type of the operator's output; `None` for sinks.
    pub fn output_type(&self) -> Option<DataType> {
        Some(match self {
            Operator::CollectionSource(op) => op.data_type.clone(),
            Operator::TextFileSource(source) => source.output_type(),
            Operator::KafkaTopicSource(op) => op.output_type.clone(),
            Operator::Map(op)
            | Operator::FlatMap(op)
            | Operator::Filter(op)
            | Operator::MapPartitions(op) => op.output_type.clone(),
            Operator::Sample(op) => op.data_type.clone(),
            Operator::ReduceBy(op) => op.data_type.clone(),
            Operator::GroupBy(op) => op.output_type.clone(),
            Operator::Distinct(op) => op.data_type.clone(),
            Operator::Sort(op) => op.data_type.clone(),
            Operator::Count(_) => DataType::of::<u64>(),
            Operator::GlobalReduce(op) => op.data_type.clone(),
            Operator::Join(op) => op.output_type.clone(),
            Operator::Union(op) => op.data_type.clone(),
            Operator::Cartesian(op) => op.output_type.clone(),
            Operator::CoGroup(op) => op.output_type.clone(),
            Operator::LocalCallbackSink(_)
            | Operator::TextFileSink(_)
            | Operator::KafkaTopicSink(_) => return None,
        })
    }

    /// The number of input slots.
    pub fn arity(&self) -> usize {
        self.kind().arity()
    }
}

impl std::fmt::Debug for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.kind())?;
        if let Some(output) = self.output_type() {
            write!(f, " -> {}", output.name())?;
        }
        Ok(())
    }
}
