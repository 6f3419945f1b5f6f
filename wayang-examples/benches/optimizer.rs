//! How good are the optimizer's choices? Every plan of a suite runs at
//! several input sizes on every forced platform assignment (each of its
//! source and two steps pinned to java or spark: 8 runs; the sink follows)
//! and on the optimizer's own choice; the bench prints how often the choice
//! was the fastest and by how much it lost otherwise, and the time to plan a
//! 50-operator plan. Prints figures; asserts nothing about speed (see
//! docs/benchmarks.md).
//!
//! Two suites: the four hand-written plans the cost model's spark factors
//! were once tuned against (in-sample), and plans generated from a fixed
//! seed that no parameter was ever tuned on (held-out).
//!
//! `cargo bench -p wayang-examples --bench optimizer`

use std::time::Instant;

use wayang_api::{DataQuanta, PlanBuilder, WayangContext};

const ROUNDS: usize = 5;
/// Runs within this factor of the fastest count as equally fast (noise).
const TOLERANCE: f64 = 1.10;

type Pins<'a> = Option<&'a [&'static str; 3]>;

fn pin<T: wayang_api::Data>(data: DataQuanta<T>, pins: Pins<'_>, index: usize) -> DataQuanta<T> {
    match pins {
        Some(pins) => data.on(pins[index]),
        None => data,
    }
}

/// The plans: a source, two steps and a sink (which cannot be pinned: it
/// returns no data quanta).
fn build(plan_name: &str, plan: &PlanBuilder, size: u64, text: &std::path::Path, pins: Pins<'_>) {
    match plan_name {
        "narrow" => {
            let source = pin(plan.read_collection(0..size), pins, 0);
            let mapped = pin(source.map(|x| x.wrapping_mul(7)), pins, 1);
            let kept = pin(
                mapped.filter(|x| x % 3 == 0).with_selectivity(0.33),
                pins,
                2,
            );
            kept.for_each(|_| {});
        }
        "heavy aggregation" => {
            let source = pin(plan.read_collection(0..size), pins, 0);
            let heavy = source.map(|x| work(x, 40)).with_udf_cost(udf_cost(40));
            let heavy = pin(heavy, pins, 1);
            let reduced = pin(
                heavy
                    .reduce_by_key(|x| x % 1000, |a, b| a.max(b))
                    .with_selectivity(0.001),
                pins,
                2,
            );
            reduced.for_each(|_| {});
        }
        "expand and distinct" => {
            let source = pin(plan.read_collection(0..size / 10), pins, 0);
            let expanded = pin(
                source
                    .flat_map(|x| (0..10).map(move |i| (x * 10 + i) % 50_000))
                    .with_selectivity(10.0),
                pins,
                1,
            );
            let distinct = pin(expanded.distinct(), pins, 2);
            distinct.for_each(|_| {});
        }
        _ => {
            let lines = pin(plan.read_text_file(text), pins, 0);
            let words = pin(
                lines
                    .flat_map(|l| wayang_examples::tokenize(&l))
                    .with_selectivity(12.0),
                pins,
                1,
            );
            let counts = words
                .map(|w| (w, 1u64))
                .reduce_by_key(|(w, _)| w.clone(), |(w, a), (_, b)| (w, a + b));
            let counts = pin(counts, pins, 2);
            counts.for_each(|_| {});
        }
    }
}

/// `rounds` rounds of a mixing step: CPU work the compiler cannot fold.
/// (Until 2026-12-04 the bench used rounds of a multiply-add, which the
/// compiler folds into one: its "CPU-heavy" maps cost about as much as a
/// trivial one while their hints said 40 and 60 times that.)
fn work(x: u64, rounds: u32) -> u64 {
    let mut y = x;
    for _ in 0..rounds {
        y = (y ^ (y >> 31)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    y
}

/// The honest `with_udf_cost` hint for `rounds` rounds of [`work`], as a
/// user who timed the function would give it: the model charges a trivial
/// map twice the calibrated `record.ns` per input record (its input and its
/// output), so a map whose function adds `W` ns costs `1 + W / (2 x
/// record.ns)` trivial ones.
fn udf_cost(rounds: u32) -> f64 {
    static ROUND_NS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let round_ns = *ROUND_NS.get_or_init(|| {
        let (records, rounds) = (1_000_000u64, 32);
        let started = Instant::now();
        let sum = (0..records).fold(0u64, |s, x| {
            s.wrapping_add(work(x, std::hint::black_box(rounds)))
        });
        std::hint::black_box(sum);
        started.elapsed().as_secs_f64() * 1e9 / (records * u64::from(rounds)) as f64
    });
    let map_ns = wayang_core::optimizer::calibration::default_value("wayang.java.cost.record.ns")
        .unwrap_or(1.0);
    1.0 + f64::from(rounds) * round_ns / (2.0 * map_ns)
}

/// A step of a generated plan over `u64` records.
#[derive(Clone, Copy, Debug)]
enum Generated {
    /// A map whose function costs `rounds` rounds of [`work`] per record.
    Map(u32),
    Filter,
    Expand,
    ReduceBy(u64),
    Distinct,
    GroupBy(u64),
    Sort,
}

/// A small xorshift generator: the held-out suite is fixed by its seed.
struct Seeded(u64);

impl Seeded {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn step(&mut self) -> Generated {
        match self.below(7) {
            0 => Generated::Map([1, 10, 60][self.below(3) as usize]),
            1 => Generated::Filter,
            2 => Generated::Expand,
            3 => Generated::ReduceBy([10, 1000, 100_000][self.below(3) as usize]),
            4 => Generated::Distinct,
            5 => Generated::GroupBy([10, 1000][self.below(2) as usize]),
            _ => Generated::Sort,
        }
    }
}

fn apply(data: DataQuanta<u64>, step: Generated) -> DataQuanta<u64> {
    match step {
        Generated::Map(rounds) => data
            .map(move |x| work(x, rounds))
            .with_udf_cost(udf_cost(rounds)),
        Generated::Filter => data.filter(|x| x % 4 != 0).with_selectivity(0.75),
        Generated::Expand => data
            .flat_map(|x| [x, x.wrapping_add(1)])
            .with_selectivity(2.0),
        Generated::ReduceBy(keys) => data
            .reduce_by_key(move |x| x % keys, |a, b| a.max(b))
            .with_selectivity(0.1),
        Generated::Distinct => data.map(|x| x % 50_000).distinct(),
        Generated::GroupBy(keys) => data
            .group_by_key(move |x| x % keys)
            .map(|(k, group)| k + group.len() as u64),
        Generated::Sort => data.sort_by(|x| x.wrapping_mul(0x9E37_79B9)),
    }
}

fn build_generated(plan: &PlanBuilder, size: u64, steps: &[Generated; 2], pins: Pins<'_>) {
    let source = pin(plan.read_collection(0..size), pins, 0);
    let first = pin(apply(source, steps[0]), pins, 1);
    let second = pin(apply(first, steps[1]), pins, 2);
    second.for_each(|_| {});
}

/// How one suite did: cases, cases where the choice was the fastest, and
/// the ratios of the others.
#[derive(Default)]
struct Score {
    cases: usize,
    fastest: usize,
    losses: Vec<f64>,
}

impl Score {
    /// Runs `build` on every forced assignment and judges the optimizer's
    /// choice by running it like every other assignment (planning time is
    /// reported on its own).
    fn judge(
        &mut self,
        label: &str,
        ctx: &WayangContext,
        rounds: usize,
        build: &dyn Fn(&PlanBuilder, Pins<'_>),
    ) {
        let time = |pins: Pins<'_>| {
            let plan = PlanBuilder::new();
            build(&plan, pins);
            (0..rounds)
                .map(|_| {
                    let started = Instant::now();
                    plan.execute(ctx).expect("job");
                    started.elapsed()
                })
                .min()
                .unwrap_or_default()
        };
        let mut forced = Vec::new();
        for mask in 0..8u32 {
            let pins: [&'static str; 3] =
                std::array::from_fn(|i| if mask >> i & 1 == 1 { "spark" } else { "java" });
            forced.push((pins, time(Some(&pins))));
        }
        let plan = PlanBuilder::new();
        build(&plan, None);
        let explanation = plan.explain(ctx).expect("explain");
        let choice: Vec<&str> = explanation.operators.iter().map(|o| o.platform).collect();
        let chosen_pins = [choice[0], choice[1], choice[2]];
        let chosen = forced
            .iter()
            .find(|(pins, _)| *pins == chosen_pins)
            .map(|(_, time)| *time)
            .expect("the choice is one of the forced assignments");
        let (best_pins, best) = forced
            .iter()
            .min_by_key(|(_, t)| *t)
            .copied()
            .expect("runs");
        let ratio = chosen.as_secs_f64() / best.as_secs_f64();
        self.cases += 1;
        if ratio <= TOLERANCE {
            self.fastest += 1;
        } else {
            self.losses.push(ratio);
        }
        println!(
            "  {label}: {:?} {:.2} ms; fastest {:?} {:.2} ms; ratio {ratio:.2}",
            &choice[..3],
            chosen.as_secs_f64() * 1e3,
            best_pins,
            best.as_secs_f64() * 1e3
        );
    }

    fn print(&self, suite: &str) {
        println!(
            "{suite}: optimizer's choice fastest (within {:.0}%) in {} of {} cases ({:.0}%)",
            (TOLERANCE - 1.0) * 100.0,
            self.fastest,
            self.cases,
            100.0 * self.fastest as f64 / self.cases.max(1) as f64
        );
        if !self.losses.is_empty() {
            let worst = self.losses.iter().copied().fold(1.0, f64::max);
            let mean = self.losses.iter().sum::<f64>() / self.losses.len() as f64;
            println!("  otherwise slower than the fastest by {mean:.2}x on average, {worst:.2}x at worst");
        }
    }
}

fn main() {
    let ctx = WayangContext::new()
        .with(wayang_java::plugin())
        .with(wayang_spark::plugin());
    let dir = tempfile::tempdir().expect("temporary directory");
    println!("plan / size: optimizer's choice, its time, the fastest forced assignment (of 8)");
    println!("in-sample suite (the plans spark's factors were once tuned on):");
    let mut in_sample = Score::default();
    for size in [1_000u64, 100_000, 1_000_000] {
        let text = dir.path().join(format!("text-{size}.txt"));
        wayang_examples::generate_text(&text, size as usize * 10).expect("text");
        for plan_name in [
            "narrow",
            "heavy aggregation",
            "expand and distinct",
            "wordcount",
        ] {
            in_sample.judge(
                &format!("{plan_name} / {size}"),
                &ctx,
                ROUNDS,
                &|plan, pins| build(plan_name, plan, size, &text, pins),
            );
        }
    }
    println!("held-out suite (generated from seed 0x5EED, never used to tune a parameter):");
    let mut held_out = Score::default();
    let mut rng = Seeded(0x5EED);
    let mut seen = Vec::new();
    while seen.len() < 12 {
        let steps = [rng.step(), rng.step()];
        let size = [20_000u64, 300_000][rng.below(2) as usize];
        let case = format!("{steps:?} / {size}");
        if seen.contains(&case) {
            continue;
        }
        seen.push(case);
        held_out.judge(&format!("{steps:?} / {size}"), &ctx, 3, &|plan, pins| {
            build_generated(plan, size, &steps, pins)
        });
    }
    println!();
    in_sample.print("in-sample");
    held_out.print("held-out");

    // Planning time of a small plan and of a 50-operator plan (estimates,
    // enumeration, wiring).
    let small = PlanBuilder::new();
    build("narrow", &small, 1000, &dir.path().join("unused"), None);
    let small = small.build().expect("plan");
    let started = Instant::now();
    for _ in 0..1000 {
        ctx.execution_plan(&small).expect("planning");
    }
    println!(
        "planning the 4-operator narrow plan: {:.3} ms (mean of 1000)",
        started.elapsed().as_secs_f64()
    );
    let plan = PlanBuilder::new();
    let mut data = plan.read_collection(0..1000u64);
    let side = plan.read_collection(0..100u64);
    for i in 0..48u64 {
        data = match i % 4 {
            0 => data.map(move |x| x.wrapping_add(i)),
            1 => data.filter(|x| x % 7 != 0),
            2 => data.union(&side),
            _ => data.reduce_by_key(|x| x % 97, |a, b| a.max(b)),
        };
    }
    data.for_each(|_| {});
    let built = plan.build().expect("plan");
    let operators = built.nodes().len();
    let repeats = 200;
    let started = Instant::now();
    for _ in 0..repeats {
        ctx.execution_plan(&built).expect("planning");
    }
    let each = started.elapsed() / repeats;
    println!(
        "planning a {operators}-operator plan: {:.3} ms (mean of {repeats})",
        each.as_secs_f64() * 1e3
    );
}
