//! A segment: the part of a stage one remote task runs, named by plan node
//! numbers so that another process running the same program can run it.
//!
//! A stage on a remote engine becomes a chain of segments with the engine's
//! exchanges between them: narrow operators are applied in one pass; a wide
//! operator is split into its map side ([`Step::Combine`]: combine within the
//! task and assign every record a bucket, the exchange's key) and its reduce
//! side ([`Step::Merge`]: finish the operator on all records of its buckets).

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use crate::config::Configuration;
use crate::data::{AnyIter, DataType};
use crate::error::{Error, Result};
use crate::operators::Operator;
use crate::plan::{NodeId, WayangPlan};
use crate::remote::wire::require_codec;

/// Which input of a two-input operator a record belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The only input, or the left one.
    Left,
    /// The right input.
    Right,
}

impl Side {
    fn tag(self) -> u8 {
        match self {
            Side::Left => b'0',
            Side::Right => b'1',
        }
    }
}

/// One step of a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Runs a narrow operator.
    Apply(NodeId),
    /// The map side of a wide operator on one of its inputs.
    Combine(NodeId, Side),
    /// The reduce side of a wide operator.
    Merge(NodeId),
    /// A source read by the task itself, from the lines it was handed
    /// ([`crate::remote::connector`]); only first.
    Read(NodeId),
    /// A sink written by the task itself, which then writes one line: the
    /// records it sent and those delivered; only last.
    Write(NodeId),
}

impl Step {
    /// The plan node the step runs.
    pub fn node(self) -> NodeId {
        let (Step::Apply(id)
        | Step::Combine(id, _)
        | Step::Merge(id)
        | Step::Read(id)
        | Step::Write(id)) = self;
        id
    }
}

/// The steps one remote task runs, and the buckets map sides assign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Buckets of an exchange (the reduce side's partitions).
    pub buckets: usize,
    /// The steps, in order: a merge only first, a combine only last.
    pub steps: Vec<Step>,
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.buckets)?;
        for (i, step) in self.steps.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match step {
                Step::Apply(node) => write!(f, "a{}", node.0)?,
                Step::Combine(node, Side::Left) => write!(f, "l{}", node.0)?,
                Step::Combine(node, Side::Right) => write!(f, "r{}", node.0)?,
                Step::Merge(node) => write!(f, "m{}", node.0)?,
                Step::Read(node) => write!(f, "k{}", node.0)?,
                Step::Write(node) => write!(f, "w{}", node.0)?,
            }
        }
        Ok(())
    }
}

impl FromStr for Segment {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let bad = || Error::internal(format!("malformed segment {text:?}"));
        let (buckets, steps) = text.split_once(':').ok_or_else(bad)?;
        let buckets = buckets.parse().map_err(|_| bad())?;
        let steps = steps
            .split(',')
            .map(|step| {
                let (kind, node) = step.split_at_checked(1).ok_or_else(bad)?;
                let node = NodeId(node.parse().map_err(|_| bad())?);
                Ok(match kind {
                    "a" => Step::Apply(node),
                    "l" => Step::Combine(node, Side::Left),
                    "r" => Step::Combine(node, Side::Right),
                    "m" => Step::Merge(node),
                    "k" => Step::Read(node),
                    "w" => Step::Write(node),
                    _ => return Err(bad()),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if steps.is_empty() {
            return Err(bad());
        }
        Ok(Segment { buckets, steps })
    }
}

/// Whether a wide operator can be split into a map and a reduce side, and a
/// narrow one applied in a segment. Sources, sinks, unions and samples are
/// the remote engine's or the driver's business.
pub fn can_run(operator: &Operator) -> bool {
    matches!(
        operator,
        Operator::Map(_)
            | Operator::FlatMap(_)
            | Operator::Filter(_)
            | Operator::MapPartitions(_)
            | Operator::ReduceBy(_)
            | Operator::GroupBy(_)
            | Operator::Distinct(_)
            | Operator::Sort(_)
            | Operator::Count(_)
            | Operator::GlobalReduce(_)
            | Operator::Join(_)
            | Operator::CoGroup(_)
    )
}

/// The path of a text file as a task's line carries it (last, so spaces are
/// fine; a newline could not be carried).
fn text_path(source: &crate::operators::TextFileSource) -> Option<&str> {
    source.path.to_str().filter(|path| !path.contains('\n'))
}

/// The line that hands bytes `start..end` of a text file to a task (the
/// split's first partial line belongs to the previous split, as in process).
pub fn text_split_line(
    source: &crate::operators::TextFileSource,
    start: u64,
    end: u64,
) -> Option<String> {
    Some(format!("{start} {end} {}", text_path(source)?))
}

/// Reads the text splits named by `lines` (`start end path`): the driver's
/// path, which executors must see at the same place.
fn read_text(
    label: crate::job::OperatorLabel,
    numbered: bool,
    lines: Box<dyn Iterator<Item = Result<Vec<u8>>> + Send>,
) -> Result<crate::remote::connector::TaskRead> {
    let job = std::sync::Arc::new(crate::job::JobState::default());
    let probe = std::sync::Arc::new(crate::job::OperatorProbe::new(label, job.clone()));
    let mut parts = Vec::new();
    for line in lines {
        let line = line?;
        let text = String::from_utf8_lossy(&line);
        let bad = || Error::internal(format!("malformed text split line {text:?}"));
        let mut fields = text.splitn(3, ' ');
        let start: u64 = fields.next().and_then(|f| f.parse().ok()).ok_or_else(bad)?;
        let end: u64 = fields.next().and_then(|f| f.parse().ok()).ok_or_else(bad)?;
        let path = fields.next().ok_or_else(bad)?;
        let split = crate::operators::TextFileSource {
            path: path.into(),
            numbered,
        };
        parts.push(split.open(start, end, probe.clone())?);
    }
    let record_type = crate::operators::TextFileSource {
        path: Default::default(),
        numbered,
    }
    .output_type();
    Ok(crate::remote::connector::TaskRead::reported_to(
        record_type.chain(parts)?,
        job,
    ))
}

/// Whether a task can read the source itself ([`Step::Read`]): a text file
/// it reads by byte range, or a Kafka
/// source failing on bad records (skipped records would go uncounted and
/// dead letters unwritten by the job that owns them), not read as a table,
/// stopping at offsets the driver knows (tasks would not agree on where a
/// partition ends), with a reader installed.
pub fn can_read(operator: &Operator) -> bool {
    if let Operator::TextFileSource(source) = operator {
        // (A numbered split counts the newlines before it, as in process.)
        return text_path(source).is_some();
    }
    matches!(
        operator,
        Operator::KafkaTopicSource(source)
            if source.on_bad_record == crate::kafka::BadRecordPolicy::Fail
                && !source.table
                && source.stop != crate::kafka::StopOffsets::EndOfPartition
    ) && crate::remote::connector::has_reader()
}

/// Whether a task can write the sink itself ([`Step::Write`]): a Kafka sink
/// with no transaction (a transaction commits with the job, on the driver),
/// not a table (a table's deletions need every key the job wrote), with a
/// writer installed. Such a sink is at-least-once: a task Spark retries
/// sends its records again.
pub fn can_write(operator: &Operator) -> bool {
    matches!(
        operator,
        Operator::KafkaTopicSink(sink)
            if sink.transactional_id.is_none() && sink.exactly_once.is_none() && !sink.table
    ) && crate::remote::connector::has_writer()
}

/// Whether the wide operator's reduce side must see every record in one
/// task (no key to distribute by).
pub fn merges_in_one_task(operator: &Operator) -> bool {
    matches!(
        operator,
        Operator::Sort(_) | Operator::Count(_) | Operator::GlobalReduce(_)
    )
}

/// Whether the operator is wide (a segment step of it is a combine or merge).
pub fn is_wide(operator: &Operator) -> bool {
    can_run(operator)
        && !matches!(
            operator,
            Operator::Map(_)
                | Operator::FlatMap(_)
                | Operator::Filter(_)
                | Operator::MapPartitions(_)
        )
}

/// The input a segment reads: records of one type, or (a merge of a
/// two-input operator) records of two types tagged by side.
pub enum SegmentInput {
    /// One record type.
    Records(DataType),
    /// A left and a right record type.
    Tagged(DataType, DataType),
    /// Lines naming what a source reads ([`Step::Read`]).
    Lines,
}

/// What a segment writes: plain records, or bucketed records of a map side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentOutput {
    /// One column: the record.
    Records,
    /// Three columns: bucket, side, record.
    Bucketed(Side),
    /// One column, one line per task: `sent delivered` of a sink the task
    /// wrote ([`Step::Write`]).
    Delivered,
}

fn node(plan: &WayangPlan, id: NodeId) -> Result<&Operator> {
    plan.node(id)
        .map(|node| &node.operator)
        .ok_or_else(|| Error::internal(format!("the plan has no node {}", id.0)))
}

impl Segment {
    /// What the segment reads.
    pub fn input(&self, plan: &WayangPlan) -> Result<SegmentInput> {
        let first = self.steps[0];
        if let Step::Read(_) = first {
            return Ok(SegmentInput::Lines);
        }
        let operator = node(plan, first.node())?;
        let types = operator.input_types();
        Ok(match (first, operator) {
            (Step::Combine(_, Side::Right), _) => SegmentInput::Records(types[1].clone()),
            (Step::Merge(_), Operator::Join(_) | Operator::CoGroup(_)) => {
                SegmentInput::Tagged(types[0].clone(), types[1].clone())
            }
            (Step::Merge(_), Operator::Count(_)) => SegmentInput::Records(DataType::of::<u64>()),
            _ => SegmentInput::Records(types[0].clone()),
        })
    }

    /// What the segment writes.
    pub fn output(&self) -> SegmentOutput {
        match self.steps.last() {
            Some(Step::Combine(_, side)) => SegmentOutput::Bucketed(*side),
            Some(Step::Write(_)) => SegmentOutput::Delivered,
            _ => SegmentOutput::Records,
        }
    }

    /// The record type of the segment's output.
    pub fn output_type(&self, plan: &WayangPlan) -> Result<DataType> {
        let last = *self
            .steps
            .last()
            .ok_or_else(|| Error::internal("empty segment"))?;
        Ok(match last {
            Step::Combine(id, side) => match node(plan, id)? {
                Operator::Count(_) => DataType::of::<u64>(),
                operator => operator.input_types()[if side == Side::Left { 0 } else { 1 }].clone(),
            },
            Step::Write(_) => DataType::of::<String>(),
            Step::Apply(id) | Step::Merge(id) | Step::Read(id) => node(plan, id)?
                .output_type()
                .ok_or_else(|| Error::internal("a segment ends in a sink"))?,
        })
    }

    /// Checks that every record type the segment reads or writes has a wire
    /// codec and every step is one a segment can run.
    pub fn check(&self, plan: &WayangPlan) -> Result<()> {
        for (index, step) in self.steps.iter().enumerate() {
            let id = step.node();
            let label = plan
                .node(id)
                .map(|n| n.label().to_string())
                .unwrap_or_default();
            let runs = match step {
                Step::Read(_) => index == 0 && can_read(node(plan, id)?),
                Step::Write(_) => index + 1 == self.steps.len() && can_write(node(plan, id)?),
                _ => can_run(node(plan, id)?),
            };
            if !runs {
                return Err(Error::internal(format!("{label} cannot run in a segment")));
            }
        }
        match self.input(plan)? {
            SegmentInput::Lines => {}
            SegmentInput::Records(t) => drop(require_codec(&t, "segment input")?),
            SegmentInput::Tagged(l, r) => {
                require_codec(&l, "segment input")?;
                require_codec(&r, "segment input")?;
            }
        }
        require_codec(&self.output_type(plan)?, "segment output")?;
        Ok(())
    }

    /// Runs the segment on lines read from `input` (one record per line;
    /// a tagged input has `side\trecord`), writing lines to `out`. Returns
    /// the number of records written.
    ///
    /// `addresses` holds the driver's broker addresses for the nodes a task
    /// reads or writes itself.
    pub fn run(
        &self,
        config: &Configuration,
        plan: &WayangPlan,
        addresses: &[(NodeId, String)],
        input: Box<dyn Iterator<Item = Result<Vec<u8>>> + Send>,
        out: &mut dyn Write,
    ) -> Result<u64> {
        let mut check: Option<Box<dyn FnOnce() -> Result<()> + Send>> = None;
        let (mut stream, mut right) = match self.input(plan)? {
            SegmentInput::Lines => {
                let id = self.steps[0].node();
                let plan_node = plan
                    .node(id)
                    .ok_or_else(|| Error::internal(format!("the plan has no node {}", id.0)))?;
                let read = match &plan_node.operator {
                    Operator::TextFileSource(source) => {
                        read_text(plan_node.label(), source.numbered, input)?
                    }
                    operator => {
                        crate::remote::connector::read(config, operator, plan_node.label(), input)?
                    }
                };
                check = Some(read.check);
                (read.records, None)
            }
            SegmentInput::Records(t) => (require_codec(&t, "segment input")?.decode(input), None),
            SegmentInput::Tagged(l, r) => {
                let (left, right) = split_sides(input)?;
                let left = require_codec(&l, "segment input")?.decode(left);
                let right = require_codec(&r, "segment input")?.decode(right);
                (left, Some(right))
            }
        };
        for (index, step) in self.steps.iter().enumerate() {
            let last = index + 1 == self.steps.len();
            match *step {
                Step::Read(_) if index == 0 => {}
                Step::Read(_) => return Err(Error::internal("a read must start its segment")),
                Step::Write(id) => {
                    if !last {
                        return Err(Error::internal("a write must end its segment"));
                    }
                    let plan_node = plan
                        .node(id)
                        .ok_or_else(|| Error::internal(format!("the plan has no node {}", id.0)))?;
                    let address = addresses
                        .iter()
                        .find(|(node, _)| *node == id)
                        .map(|(_, address)| address.as_str());
                    let (sent, delivered) = crate::remote::connector::write(
                        config,
                        &plan_node.operator,
                        plan_node.label(),
                        address,
                        stream,
                    )?;
                    if let Some(check) = check {
                        check()?;
                    }
                    write_all(out, format!("{sent} {delivered}\n").as_bytes())?;
                    return Ok(1);
                }
                Step::Apply(id) => stream = apply(node(plan, id)?, stream)?,
                Step::Merge(id) => stream = merge(node(plan, id)?, stream, right.take())?,
                Step::Combine(id, side) => {
                    if !last {
                        return Err(Error::internal("a combine must end its segment"));
                    }
                    let operator = node(plan, id)?;
                    let record_type = self.output_type(plan)?;
                    let codec = require_codec(&record_type, "segment output")?;
                    let buckets = combine(operator, side, stream, self.buckets)?;
                    let mut written = 0;
                    for (bucket, records) in buckets.into_iter().enumerate() {
                        let prefix = format!("{bucket}\t{}\t", side.tag() as char);
                        let mut buffer = Vec::new();
                        codec.encode(record_type.iter(records)?, &mut buffer, b'\n')?;
                        for line in buffer.split_inclusive(|&c| c == b'\n') {
                            write_all(out, prefix.as_bytes())?;
                            write_all(out, line)?;
                            written += 1;
                        }
                    }
                    if let Some(check) = check {
                        check()?;
                    }
                    return Ok(written);
                }
            }
        }
        let record_type = self.output_type(plan)?;
        let written = require_codec(&record_type, "segment output")?.encode(stream, out, b'\n')?;
        if let Some(check) = check {
            check()?;
        }
        Ok(written)
    }
}

fn write_all(out: &mut dyn Write, bytes: &[u8]) -> Result<()> {
    out.write_all(bytes)
        .map_err(|e| Error::internal(format!("cannot write records to the next stage: {e}")))
}

type Tokens = Box<dyn Iterator<Item = Result<Vec<u8>>> + Send>;

/// Splits `side\trecord` lines into the two sides' tokens.
fn split_sides(input: Tokens) -> Result<(Tokens, Tokens)> {
    let (mut left, mut right) = (Vec::new(), Vec::new());
    for line in input {
        let line = line?;
        match line.split_first() {
            Some((b'0', rest)) => left.push(Ok(rest.get(1..).unwrap_or_default().to_vec())),
            Some((b'1', rest)) => right.push(Ok(rest.get(1..).unwrap_or_default().to_vec())),
            _ => return Err(Error::internal("a tagged record without its side")),
        }
    }
    Ok((Box::new(left.into_iter()), Box::new(right.into_iter())))
}

fn apply(operator: &Operator, input: AnyIter) -> Result<AnyIter> {
    match operator {
        Operator::Map(t)
        | Operator::FlatMap(t)
        | Operator::Filter(t)
        | Operator::MapPartitions(t) => t.kernel.apply(input),
        _ => Err(Error::internal(format!("{operator:?} is not narrow"))),
    }
}

fn combine(
    operator: &Operator,
    side: Side,
    input: AnyIter,
    buckets: usize,
) -> Result<Vec<crate::data::AnyVec>> {
    let everything = |data_type: &DataType, input: AnyIter| Ok(vec![data_type.collect(input)?]);
    match (operator, side) {
        (Operator::ReduceBy(r), _) => r.kernel.combine_and_partition(input, buckets),
        (Operator::GroupBy(g), _) => g.kernel.partition(input, buckets),
        (Operator::Distinct(d), _) => d.kernel.partition(d.kernel.distinct(input)?, buckets),
        (Operator::Count(c), _) => {
            let count = c.input_type.count(input)?;
            everything(&DataType::of::<u64>(), count)
        }
        (Operator::GlobalReduce(g), _) => everything(&g.data_type, g.kernel.reduce(input)?),
        (Operator::Sort(s), _) => everything(&s.data_type, input),
        (Operator::Join(j), Side::Left) => j.kernel.partition_left(input, buckets),
        (Operator::Join(j), Side::Right) => j.kernel.partition_right(input, buckets),
        (Operator::CoGroup(c), Side::Left) => c.kernel.partition_left(input, buckets),
        (Operator::CoGroup(c), Side::Right) => c.kernel.partition_right(input, buckets),
        _ => Err(Error::internal(format!("{operator:?} has no map side"))),
    }
}

fn merge(operator: &Operator, input: AnyIter, right: Option<AnyIter>) -> Result<AnyIter> {
    let right = || right.ok_or_else(|| Error::internal("a two-input merge without its right side"));
    match operator {
        Operator::ReduceBy(r) => r.kernel.reduce(input),
        Operator::GroupBy(g) => g.kernel.group(input),
        Operator::Distinct(d) => d.kernel.distinct(input),
        Operator::Count(_) => {
            let partial = input.downcast::<u64>()?;
            Ok(AnyIter::new(std::iter::once_with(move || {
                partial.sum::<u64>()
            })))
        }
        Operator::GlobalReduce(g) => g.kernel.reduce(input),
        Operator::Sort(s) => s.kernel.sort(input),
        Operator::Join(j) => j.kernel.join(input, right()?),
        Operator::CoGroup(c) => c.kernel.co_group(input, right()?),
        _ => Err(Error::internal(format!("{operator:?} has no reduce side"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_round_trip_through_text() {
        let segment = Segment {
            buckets: 4,
            steps: vec![
                Step::Merge(NodeId(3)),
                Step::Apply(NodeId(4)),
                Step::Combine(NodeId(6), Side::Right),
            ],
        };
        assert_eq!(segment.to_string(), "4:m3,a4,r6");
        let read: Segment = "2:k0,a1,w2".parse().unwrap();
        assert_eq!(
            read.steps,
            [
                Step::Read(NodeId(0)),
                Step::Apply(NodeId(1)),
                Step::Write(NodeId(2))
            ]
        );
        assert_eq!(read.to_string(), "2:k0,a1,w2");
        assert_eq!(segment.to_string().parse::<Segment>().unwrap(), segment);
        for bad in ["", "4", "4:", "x:a1", "4:q1", "4:a", "4:a1,"] {
            assert!(bad.parse::<Segment>().is_err(), "{bad:?}");
        }
    }
}
