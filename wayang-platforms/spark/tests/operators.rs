//! Every operator on spark, with 1, 2 and 7 partitions, gives what java gives.

use std::fmt::Debug;

use wayang_api::{Collector, Data, PlanBuilder, WayangContext};

fn java() -> WayangContext {
    WayangContext::new().with(wayang_java::plugin())
}

fn spark(partitions: usize) -> WayangContext {
    WayangContext::new()
        .with(wayang_spark::plugin())
        .with_config(wayang_spark::PARTITIONS_KEY, partitions)
}

/// Runs the plan `build` makes on java and on spark with several partition
/// counts; with `ordered`, results must be equal as sequences, otherwise as
/// multisets.
fn same_everywhere<T: Data + Ord + Debug>(
    ordered: bool,
    build: impl Fn(&PlanBuilder) -> Collector<T>,
) -> Vec<T> {
    let run = |ctx: &WayangContext| {
        let plan = PlanBuilder::new();
        let out = build(&plan);
        plan.execute(ctx).expect("plan runs");
        let mut records = out.take().expect("collected");
        if !ordered {
            records.sort();
        }
        records
    };
    let expected = run(&java());
    for partitions in [1, 2, 7] {
        assert_eq!(
            run(&spark(partitions)),
            expected,
            "spark with {partitions} partitions"
        );
    }
    expected
}

fn words() -> Vec<String> {
    (0..200)
        .map(|i| ["köln", "東京", "a", "", "zürich", "b"][i % 6].repeat(1 + i % 3))
        .collect()
}

#[test]
fn narrow_operators() {
    same_everywhere(false, |p| {
        p.read_collection(words()).map(|w| w.len()).collect()
    });
    same_everywhere(false, |p| {
        p.read_collection(words())
            .flat_map(|w| w.chars().collect::<Vec<_>>())
            .collect()
    });
    same_everywhere(false, |p| {
        p.read_collection(words())
            .filter(|w| w.starts_with('k'))
            .collect()
    });
    same_everywhere(false, |p| {
        p.read_collection(Vec::<u32>::new())
            .map(|x| x + 1)
            .collect()
    });
}

#[test]
fn map_partitions_sees_whole_partitions() {
    // The sum of per-partition sums is the same however the data is split.
    let total = |ctx: &WayangContext| {
        let plan = PlanBuilder::new();
        let out = plan
            .read_collection(0..1000u64)
            .map_partitions(|it| std::iter::once(it.sum::<u64>()))
            .collect();
        plan.execute(ctx).unwrap();
        out.take().unwrap()
    };
    assert_eq!(total(&java()), [499_500]);
    let parts = total(&spark(7));
    assert_eq!(parts.len(), 7, "one result per partition");
    assert_eq!(parts.iter().sum::<u64>(), 499_500);
}

#[test]
fn keyed_operators() {
    same_everywhere(false, |p| {
        p.read_collection(words())
            .map(|w| (w, 1u32))
            .reduce_by_key(|(w, _)| w.clone(), |(w, a), (_, b)| (w, a + b))
            .collect()
    });
    same_everywhere(false, |p| {
        p.read_collection(words())
            .group_by_key(|w| w.chars().count())
            .map(|(k, mut g)| {
                g.sort();
                (k, g)
            })
            .collect()
    });
    same_everywhere(false, |p| p.read_collection(words()).distinct().collect());
    same_everywhere(false, |p| {
        p.read_collection(Vec::<(u8, u8)>::new())
            .reduce_by_key(|x| x.0, |a, _| a)
            .collect()
    });
}

#[test]
fn sort_is_total_and_stable() {
    let sorted = same_everywhere(true, |p| {
        p.read_collection((0..500u32).map(|i| (i * 7919 % 13, i)))
            .sort_by(|(key, _)| *key)
            .collect()
    });
    assert!(sorted
        .windows(2)
        .all(|w| w[0].0 < w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1)));
    same_everywhere(true, |p| {
        p.read_collection(Vec::<u8>::new())
            .sort_by(|x| *x)
            .collect()
    });
    same_everywhere(true, |p| {
        p.read_collection(vec![5u8; 50]).sort_by(|x| *x).collect()
    });
}

#[test]
fn whole_input_operators() {
    same_everywhere(true, |p| p.read_collection(words()).count().collect());
    same_everywhere(true, |p| {
        p.read_collection(Vec::<u8>::new()).count().collect()
    });
    same_everywhere(true, |p| {
        p.read_collection(0..1000u64).reduce(|a, b| a + b).collect()
    });
    same_everywhere(true, |p| {
        p.read_collection(Vec::<u64>::new())
            .reduce(|a, b| a + b)
            .collect()
    });
}

#[test]
fn sample_is_uniform_without_replacement_on_any_partitioning() {
    for partitions in [1, 2, 7] {
        let plan = PlanBuilder::new();
        let out = plan
            .read_collection(0..1000u32)
            .sample_seeded(25, 9)
            .collect();
        plan.execute(&spark(partitions)).unwrap();
        let mut sample = out.take().unwrap();
        sample.sort();
        sample.dedup();
        assert_eq!(sample.len(), 25, "{partitions} partitions");
        assert!(sample.iter().all(|x| *x < 1000));
    }
    let plan = PlanBuilder::new();
    let out = plan.read_collection(0..3u32).sample(10).collect();
    plan.execute(&spark(7)).unwrap();
    assert_eq!(out.take().unwrap().len(), 3);
}

#[test]
fn binary_operators() {
    same_everywhere(false, |p| {
        let left = p.read_collection((0..100u32).map(|i| (i % 10, i)));
        let right = p.read_collection((0..30u32).map(|i| (i % 15, format!("r{i}"))));
        left.join(|l| l.0, &right, |r| r.0).collect()
    });
    same_everywhere(false, |p| {
        let left = p.read_collection(words());
        left.union(&p.read_collection(vec!["x".to_string()]))
            .collect()
    });
    same_everywhere(false, |p| {
        let left = p.read_collection(0..20u8);
        left.cartesian(&p.read_collection(vec!['a', 'b', 'c']))
            .collect()
    });
    same_everywhere(false, |p| {
        let left = p.read_collection((0..50u32).map(|i| (i % 7, i)));
        let right = p.read_collection((0..20u32).map(|i| (i % 9, i)));
        left.co_group(|l| l.0, &right, |r| r.0)
            .map(|(k, mut l, mut r)| {
                l.sort();
                r.sort();
                (k, l, r)
            })
            .collect()
    });
}

#[test]
fn text_files_in_and_out() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let text: String = (0..1000)
        .map(|i| format!("line {i} wörd{}\n", i % 17))
        .collect();
    std::fs::write(&input, &text).unwrap();
    let lines = same_everywhere(false, |p| p.read_text_file(&input).collect());
    assert_eq!(lines.len(), 1000);

    for partitions in [1, 3] {
        let output = dir.path().join(format!("out-{partitions}.txt"));
        let plan = PlanBuilder::new();
        plan.read_text_file(&input)
            .map(|l| l.to_uppercase())
            .write_text_file(&output);
        plan.execute(&spark(partitions)).unwrap();
        assert_eq!(
            std::fs::read_to_string(&output).unwrap(),
            text.to_uppercase(),
            "order is kept"
        );
    }
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 3, "no part files are left behind");
}

#[test]
fn a_plan_can_mix_platforms() {
    let ctx = WayangContext::new()
        .with(wayang_java::plugin())
        .with(wayang_spark::plugin());
    let plan = PlanBuilder::new();
    let out = plan
        .read_collection(words())
        .on("java")
        .map(|w| (w, 1u32))
        .on("spark")
        .reduce_by_key(|(w, _)| w.clone(), |(w, a), (_, b)| (w, a + b))
        .on("spark")
        .filter(|(_, n)| *n > 1)
        .on("java")
        .collect();
    let execution = plan.execution_plan(&ctx).unwrap().to_string();
    assert!(
        execution.contains("SparkReduceByOperator") && execution.contains("JavaFilterOperator"),
        "{execution}"
    );
    assert!(
        execution.contains("ParallelizeCollection") && execution.contains("CollectRdd"),
        "{execution}"
    );
    plan.execute(&ctx).unwrap();
    let mut mixed = out.take().unwrap();
    mixed.sort();
    let plan = PlanBuilder::new();
    let reference = plan
        .read_collection(words())
        .map(|w| (w, 1u32))
        .reduce_by_key(|(w, _)| w.clone(), |(w, a), (_, b)| (w, a + b))
        .filter(|(_, n)| *n > 1)
        .collect();
    plan.execute(&java()).unwrap();
    let mut reference = reference.take().unwrap();
    reference.sort();
    assert_eq!(mixed, reference);
}

#[test]
fn a_shared_dataset_is_cached_once() {
    let plan = PlanBuilder::new();
    let doubled = plan.read_collection(0..100u32).map(|x| x * 2);
    let all = doubled.collect();
    let total = doubled.reduce(|a, b| a + b).collect();
    let ctx = spark(3);
    let execution = plan.execution_plan(&ctx).unwrap().to_string();
    assert_eq!(execution.matches("CacheRdd").count(), 1, "{execution}");
    plan.execute(&ctx).unwrap();
    assert_eq!(all.take().unwrap().len(), 100);
    assert_eq!(total.take().unwrap(), [9900]);
}
