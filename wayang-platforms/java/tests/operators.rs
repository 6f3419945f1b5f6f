//! One plan per operator on the java platform, through the public API, with
//! empty inputs, duplicates and unicode text.

use wayang_api::{Data, DataQuanta, PlanBuilder, WayangContext};

fn ctx() -> WayangContext {
    WayangContext::new().with(wayang_java::plugin())
}

/// Builds a plan from `input` with `build`, runs it on java and returns the
/// collected output.
fn run<T: Data, U: Data>(
    input: Vec<T>,
    build: impl FnOnce(&DataQuanta<T>) -> DataQuanta<U>,
) -> Vec<U> {
    let plan = PlanBuilder::new();
    let out = build(&plan.read_collection(input)).collect();
    plan.execute(&ctx()).expect("plan runs");
    out.take().expect("collected")
}

fn words() -> Vec<String> {
    ["köln", "東京", "a", "köln", "", "zürich", "a", "köln"]
        .map(String::from)
        .to_vec()
}

#[test]
fn map() {
    assert_eq!(
        run(words(), |d| d.map(|w| w.chars().count())),
        [4, 2, 1, 4, 0, 6, 1, 4]
    );
    assert!(run(Vec::<String>::new(), |d| d.map(|w| w.len())).is_empty());
}

#[test]
fn flat_map() {
    let chars = run(vec!["ab".to_string(), String::new(), "東".into()], |d| {
        d.flat_map(|w| w.chars().collect::<Vec<_>>())
    });
    assert_eq!(chars, ['a', 'b', '東']);
    assert!(run(Vec::<u8>::new(), |d| d.flat_map(|x| vec![x, x])).is_empty());
}

#[test]
fn filter() {
    assert_eq!(
        run(words(), |d| d.filter(|w| w.starts_with('k'))),
        ["köln"; 3]
    );
    assert!(run(words(), |d| d.filter(|_| false)).is_empty());
}

#[test]
fn map_partitions() {
    let total = run(words(), |d| {
        d.map_partitions(|it| std::iter::once(it.map(|w| w.len()).sum::<usize>()))
    });
    assert_eq!(total, [words().iter().map(String::len).sum::<usize>()]);
    assert_eq!(
        run(Vec::<u8>::new(), |d| d
            .map_partitions(|it| std::iter::once(it.count()))),
        [0]
    );
}

#[test]
fn sample() {
    let sample = run((0..1000).collect(), |d| d.sample(10));
    assert_eq!(sample.len(), 10);
    let mut unique = sample.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 10, "a sample draws without replacement");
    assert_eq!(run(vec![1, 2], |d| d.sample(5)), [1, 2]);
    assert!(run(Vec::<u8>::new(), |d| d.sample(5)).is_empty());
    let seeded = |seed| run((0..1000).collect(), move |d| d.sample_seeded(10, seed));
    assert_eq!(seeded(7), seeded(7));
    assert_ne!(seeded(7), seeded(8));
}

#[test]
fn reduce_by_key() {
    let counts = run(words(), |d| {
        d.map(|w| (w, 1u32))
            .reduce_by_key(|(w, _)| w.clone(), |(w, a), (_, b)| (w, a + b))
    });
    assert_eq!(
        counts,
        [
            ("köln".to_string(), 3),
            ("東京".into(), 1),
            ("a".into(), 2),
            ("".into(), 1),
            ("zürich".into(), 1)
        ]
    );
    assert!(run(Vec::<(u8, u8)>::new(), |d| d
        .reduce_by_key(|p| p.0, |a, _| a))
    .is_empty());
}

#[test]
fn group_by_key() {
    let groups = run(words(), |d| d.group_by_key(|w| w.chars().count()));
    assert_eq!(groups[0], (4, vec!["köln".to_string(); 3]));
    assert_eq!(groups.len(), 5);
    assert_eq!(
        groups.iter().map(|g| g.1.len()).sum::<usize>(),
        words().len()
    );
    assert!(run(Vec::<u8>::new(), |d| d.group_by_key(|x| *x)).is_empty());
}

#[test]
fn distinct() {
    assert_eq!(
        run(words(), |d| d.distinct()),
        ["köln", "東京", "a", "", "zürich"]
    );
    assert!(run(Vec::<u8>::new(), |d| d.distinct()).is_empty());
}

#[test]
fn sort_by() {
    let sorted = run(words(), |d| d.sort_by(|w| w.clone()));
    let mut expected = words();
    expected.sort();
    assert_eq!(sorted, expected);
    let descending = run(vec![(1, 'a'), (3, 'b'), (1, 'c')], |d| {
        d.sort_by(|p| std::cmp::Reverse(p.0))
    });
    assert_eq!(
        descending,
        [(3, 'b'), (1, 'a'), (1, 'c')],
        "stable for equal keys"
    );
    assert!(run(Vec::<u8>::new(), |d| d.sort_by(|x| *x)).is_empty());
}

#[test]
fn count() {
    assert_eq!(run(words(), |d| d.count()), [8]);
    assert_eq!(run(Vec::<u8>::new(), |d| d.count()), [0]);
}

#[test]
fn global_reduce() {
    let bytes: usize = words().iter().map(String::len).sum();
    assert_eq!(
        run(words(), |d| d.map(|w| w.len()).reduce(|a, b| a + b)),
        [bytes]
    );
    assert!(run(Vec::<u32>::new(), |d| d.reduce(|a, b| a + b)).is_empty());
}

#[test]
fn join() {
    let plan = PlanBuilder::new();
    let cities = plan.read_collection(vec![
        ("de", "köln"),
        ("jp", "東京"),
        ("de", "bonn"),
        ("ch", "zürich"),
    ]);
    let names = plan.read_collection(vec![
        ("de", "Deutschland"),
        ("jp", "日本"),
        ("fr", "France"),
        ("de", "Germany"),
    ]);
    let joined = cities
        .join(|c| c.0, &names, |n| n.0)
        .map(|(c, n)| (c.1, n.1))
        .collect();
    let empty = cities
        .join(
            |c| c.0,
            &plan.read_collection(Vec::<(&str, &str)>::new()),
            |n| n.0,
        )
        .collect();
    plan.execute(&ctx()).unwrap();
    assert_eq!(
        joined.take().unwrap(),
        [
            ("köln", "Deutschland"),
            ("köln", "Germany"),
            ("東京", "日本"),
            ("bonn", "Deutschland"),
            ("bonn", "Germany")
        ]
    );
    assert!(empty.take().unwrap().is_empty());
}

#[test]
fn union() {
    let plan = PlanBuilder::new();
    let a = plan.read_collection(vec!["x", "y"]);
    let both = a.union(&plan.read_collection(vec!["y", "ü"])).collect();
    let with_itself = a.union(&a).collect();
    let with_empty = a.union(&plan.read_collection(Vec::<&str>::new())).collect();
    plan.execute(&ctx()).unwrap();
    assert_eq!(both.take().unwrap(), ["x", "y", "y", "ü"]);
    assert_eq!(with_itself.take().unwrap(), ["x", "y", "x", "y"]);
    assert_eq!(with_empty.take().unwrap(), ["x", "y"]);
}

#[test]
fn cartesian() {
    let plan = PlanBuilder::new();
    let a = plan.read_collection(vec![1, 2, 2]);
    let pairs = a.cartesian(&plan.read_collection(vec!["ä", "b"])).collect();
    let squared = a.cartesian(&a).count().collect();
    let empty = a
        .cartesian(&plan.read_collection(Vec::<u8>::new()))
        .collect();
    plan.execute(&ctx()).unwrap();
    assert_eq!(
        pairs.take().unwrap(),
        [(1, "ä"), (1, "b"), (2, "ä"), (2, "b"), (2, "ä"), (2, "b")]
    );
    assert_eq!(squared.take().unwrap(), [9]);
    assert!(empty.take().unwrap().is_empty());
}

#[test]
fn co_group() {
    let plan = PlanBuilder::new();
    let left = plan.read_collection(vec![("a", 1), ("b", 2), ("a", 3)]);
    let right = plan.read_collection(vec![("c", 'x'), ("a", 'y')]);
    let groups = left.co_group(|l| l.0, &right, |r| r.0).collect();
    plan.execute(&ctx()).unwrap();
    assert_eq!(
        groups.take().unwrap(),
        [
            ("a", vec![("a", 1), ("a", 3)], vec![("a", 'y')]),
            ("b", vec![("b", 2)], vec![]),
            ("c", vec![], vec![("c", 'x')]),
        ]
    );
}

#[test]
fn text_file_round_trip_with_unicode() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in.txt"), dir.path().join("out.txt"));
    std::fs::write(&input, "zürich\r\n東京\n\nköln").unwrap();
    let plan = PlanBuilder::new();
    plan.read_text_file(&input)
        .map(|l| l.to_uppercase())
        .write_text_file(&output);
    plan.execute(&ctx()).unwrap();
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "ZÜRICH\n東京\n\nKÖLN\n"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 2, "no temporary file is left behind");
}
