//! The kinds of abstract operators, as plain data.

use std::fmt;

/// The kind of an abstract operator: what mappings match on and what the
/// cost model distinguishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum OperatorKind {
    /// See [`super::Operator::CollectionSource`].
    CollectionSource,
    /// See [`super::Operator::TextFileSource`].
    TextFileSource,
    /// See [`super::Operator::KafkaTopicSource`].
    KafkaTopicSource,
    /// See [`super::Operator::Map`].
    Map,
    /// See [`super::Operator::FlatMap`].
    FlatMap,
    /// See [`super::Operator::Filter`].
    Filter,
    /// See [`super::Operator::MapPartitions`].
    MapPartitions,
    /// See [`super::Operator::Sample`].
    Sample,
    /// See [`super::Operator::ReduceBy`].
    ReduceBy,
    /// See [`super::Operator::GroupBy`].
    GroupBy,
    /// See [`super::Operator::Distinct`].
    Distinct,
    /// See [`super::Operator::Sort`].
    Sort,
    /// See [`super::Operator::Count`].
    Count,
    /// See [`super::Operator::GlobalReduce`].
    GlobalReduce,
    /// See [`super::Operator::Join`].
    Join,
    /// See [`super::Operator::Union`].
    Union,
    /// See [`super::Operator::Cartesian`].
    Cartesian,
    /// See [`super::Operator::CoGroup`].
    CoGroup,
    /// See [`super::Operator::LocalCallbackSink`].
    LocalCallbackSink,
    /// See [`super::Operator::TextFileSink`].
    TextFileSink,
    /// See [`super::Operator::KafkaTopicSink`].
    KafkaTopicSink,
}

impl OperatorKind {
    /// Every kind, so that registers of mappings can be checked for gaps.
    pub const ALL: &'static [OperatorKind] = &[
        OperatorKind::CollectionSource,
        OperatorKind::TextFileSource,
        OperatorKind::KafkaTopicSource,
        OperatorKind::Map,
        OperatorKind::FlatMap,
        OperatorKind::Filter,
        OperatorKind::MapPartitions,
        OperatorKind::Sample,
        OperatorKind::ReduceBy,
        OperatorKind::GroupBy,
        OperatorKind::Distinct,
        OperatorKind::Sort,
        OperatorKind::Count,
        OperatorKind::GlobalReduce,
        OperatorKind::Join,
        OperatorKind::Union,
        OperatorKind::Cartesian,
        OperatorKind::CoGroup,
        OperatorKind::LocalCallbackSink,
        OperatorKind::TextFileSink,
        OperatorKind::KafkaTopicSink,
    ];

    /// The number of input slots.
    pub fn arity(self) -> usize {
        match self {
            OperatorKind::CollectionSource
            | OperatorKind::TextFileSource
            | OperatorKind::KafkaTopicSource => 0,
            OperatorKind::Join
            | OperatorKind::Union
            | OperatorKind::Cartesian
            | OperatorKind::CoGroup => 2,
            _ => 1,
        }
    }

    /// Whether the operator ends a plan (has no output).
    pub fn is_sink(self) -> bool {
        matches!(
            self,
            OperatorKind::LocalCallbackSink
                | OperatorKind::TextFileSink
                | OperatorKind::KafkaTopicSink
        )
    }

    /// Wayang's name for the kind (`ReduceBy`, `TextFileSource`, ...).
    pub fn name(self) -> &'static str {
        match self {
            OperatorKind::CollectionSource => "CollectionSource",
            OperatorKind::TextFileSource => "TextFileSource",
            OperatorKind::KafkaTopicSource => "KafkaTopicSource",
            OperatorKind::Map => "Map",
            OperatorKind::FlatMap => "FlatMap",
            OperatorKind::Filter => "Filter",
            OperatorKind::MapPartitions => "MapPartitions",
            OperatorKind::Sample => "Sample",
            OperatorKind::ReduceBy => "ReduceBy",
            OperatorKind::GroupBy => "GroupBy",
            OperatorKind::Distinct => "Distinct",
            OperatorKind::Sort => "Sort",
            OperatorKind::Count => "Count",
            OperatorKind::GlobalReduce => "GlobalReduce",
            OperatorKind::Join => "Join",
            OperatorKind::Union => "Union",
            OperatorKind::Cartesian => "Cartesian",
            OperatorKind::CoGroup => "CoGroup",
            OperatorKind::LocalCallbackSink => "LocalCallbackSink",
            OperatorKind::TextFileSink => "TextFileSink",
            OperatorKind::KafkaTopicSink => "KafkaTopicSink",
        }
    }
}

impl fmt::Display for OperatorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
