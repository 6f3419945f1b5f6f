//! Runs a [`Relation`] in this process the way a Spark cluster runs its SQL
//! rendering: partitions of encoded lines, every segment through the worker's
//! own code path ([`Segment::run`]), exchanges by bucket. It checks the
//! decomposition of stages into segments without a cluster.

use wayang_core::config::Configuration;
use wayang_core::plan::{NodeId, WayangPlan};
use wayang_core::remote::require_codec;
use wayang_core::{AnyIter, Result};

use super::relation::Relation;

/// Lines of encoded records, per task.
type Partitions = Vec<Vec<Vec<u8>>>;

/// Runs `relation` over `tasks` partitions; `input` encodes a driver input.
pub(crate) fn run(
    plan: &WayangPlan,
    relation: &Relation,
    tasks: usize,
    input: &dyn Fn(NodeId) -> Result<Vec<Vec<u8>>>,
) -> Result<Partitions> {
    Ok(match relation {
        Relation::Input(node) => {
            let mut parts: Partitions = vec![Vec::new(); tasks];
            for (i, line) in input(*node)?.into_iter().enumerate() {
                parts[i % tasks].push(line);
            }
            parts
        }
        Relation::Transform {
            input: child,
            segment,
        } => run(plan, child, tasks, input)?
            .into_iter()
            .map(|lines| {
                let mut out = Vec::new();
                segment.run(
                    &Configuration::default(),
                    plan,
                    &[],
                    Box::new(lines.into_iter().map(Ok)),
                    &mut out,
                )?;
                Ok(split_lines(&out))
            })
            .collect::<Result<_>>()?,
        Relation::Exchange {
            inputs,
            single,
            tagged,
        } => {
            let mut parts: Partitions = vec![Vec::new(); if *single { 1 } else { tasks }];
            for child in inputs {
                for line in run(plan, child, tasks, input)?.into_iter().flatten() {
                    let mut columns = line.splitn(3, |&c| c == b'\t');
                    let bucket: usize = std::str::from_utf8(columns.next().unwrap_or_default())
                        .ok()
                        .and_then(|b| b.parse().ok())
                        .unwrap_or(0);
                    let side = columns.next().unwrap_or_default().to_vec();
                    let record = columns.next().unwrap_or_default().to_vec();
                    let target = if *single { 0 } else { bucket % tasks };
                    parts[target].push(if *tagged {
                        [side, b"\t".to_vec(), record].concat()
                    } else {
                        record
                    });
                }
            }
            parts
        }
        Relation::Union(children) => {
            let mut parts = Vec::new();
            for child in children {
                parts.extend(run(plan, child, tasks, input)?);
            }
            parts
        }
    })
}

fn split_lines(out: &[u8]) -> Vec<Vec<u8>> {
    out.split(|&c| c == b'\n')
        .filter(|line| !line.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// Decodes a relation's result into records of `node`'s output type.
pub(crate) fn decode(plan: &WayangPlan, node: NodeId, parts: Partitions) -> Result<AnyIter> {
    let data_type = plan
        .node(node)
        .and_then(|n| n.operator.output_type())
        .ok_or_else(|| wayang_core::Error::internal("no output type"))?;
    let codec = require_codec(&data_type, "result")?;
    Ok(codec.decode(Box::new(parts.into_iter().flatten().map(Ok))))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::fmt::Debug;

    use wayang_api::{Collector, Data, PlanBuilder, WayangContext};
    use wayang_core::operators::Operator;
    use wayang_core::plan::WayangPlan;

    use super::*;
    use crate::cluster::relation::relation_of;

    /// Runs the plan's last operator before its collecting sink "on the
    /// cluster" (every node but sources and sinks) with 1, 2 and 5 tasks and
    /// 1 and 3 buckets, and compares with java.
    fn same_as_java<T: Data + Ord + Debug>(build: impl Fn(&PlanBuilder) -> Collector<T>) {
        let builder = PlanBuilder::new();
        let out = build(&builder);
        builder
            .execute(&WayangContext::new().with(wayang_java::plugin()))
            .expect("java runs");
        let mut expected = out.take().expect("collected");
        expected.sort();

        let builder = PlanBuilder::new();
        let _ = build(&builder);
        let plan: WayangPlan = builder.build().expect("plan");
        let sink = plan.sinks()[0];
        let last = plan.node(sink).unwrap().inputs[0].node;
        let remote: HashSet<_> = plan
            .nodes()
            .iter()
            .filter(|n| !n.inputs.is_empty() && n.operator.output_type().is_some())
            .map(|n| n.id)
            .collect();
        let input = |node: NodeId| {
            let Operator::CollectionSource(source) = &plan.node(node).unwrap().operator else {
                panic!("inputs are collections here");
            };
            let codec = require_codec(&source.data_type, "input")?;
            let mut lines = Vec::new();
            codec.encode(
                source.data_type.iter(source.records.clone())?,
                &mut lines,
                b'\n',
            )?;
            Ok(split_lines(&lines))
        };
        for buckets in [1, 3] {
            let relation = relation_of(&plan, last, &remote, buckets).expect("relation");
            for tasks in [1, 2, 5] {
                let parts = run(&plan, &relation, tasks, &input).expect("runs");
                let mut got: Vec<T> = decode(&plan, last, parts)
                    .unwrap()
                    .downcast::<T>()
                    .unwrap()
                    .collect();
                got.sort();
                assert_eq!(
                    got, expected,
                    "{tasks} tasks, {buckets} buckets: {relation:?}"
                );
            }
        }
    }

    fn lines() -> Vec<String> {
        (0..60)
            .map(|i| format!("w{} x\ty{}\nz {}", i % 7, i % 3, i % 5))
            .collect()
    }

    #[test]
    fn word_count_fuses_and_shuffles_once() {
        same_as_java(|p| {
            p.read_collection(lines())
                .flat_map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
                .map(|w| (w, 1u64))
                .reduce_by_key(|(w, _)| w.clone(), |(w, a), (_, b)| (w, a + b))
                .collect()
        });
    }

    #[test]
    fn wide_operators_split_into_map_and_reduce_sides() {
        same_as_java(|p| p.read_collection(lines()).distinct().collect());
        same_as_java(|p| {
            p.read_collection(lines())
                .map(|l| l.len() as u64)
                .sort_by(|n| *n)
                .collect()
        });
        same_as_java(|p| p.read_collection(lines()).count().collect());
        same_as_java(|p| {
            p.read_collection((0..100u64).collect::<Vec<_>>())
                .reduce(|a, b| a.max(b))
                .collect()
        });
        wayang_core::remote::register::<(u64, Vec<(u64, u64)>)>();
        same_as_java(|p| {
            p.read_collection((0..100u64).collect::<Vec<_>>())
                .map(|n| (n % 7, n))
                .group_by_key(|(k, _)| *k)
                .map(|(k, group)| (k, group.len() as u64))
                .collect()
        });
    }

    #[test]
    fn two_input_operators_exchange_tagged_sides() {
        // A join's pairs of pairs are not a builtin wire type.
        wayang_core::remote::register::<((u64, u64), (u64, u64))>();
        same_as_java(|p| {
            let left = p.read_collection((0..50u64).map(|n| (n % 6, n)).collect::<Vec<_>>());
            let right = p.read_collection((0..20u64).map(|n| (n % 9, n * 10)).collect::<Vec<_>>());
            left.join(|(k, _)| *k, &right, |(k, _)| *k)
                .map(|((k, a), (_, b))| (k, a + b))
                .collect()
        });
        same_as_java(|p| {
            let left = p.read_collection((0..30u64).collect::<Vec<_>>());
            let right = p.read_collection((10..40u64).collect::<Vec<_>>());
            left.union(&right).map(|n| n * 2).distinct().collect()
        });
    }
}
