//! How good are the optimizer's choices? Every plan of a suite runs at
//! several input sizes on every forced platform assignment (each of its
//! source and two steps pinned to java or spark: 8 runs; the sink follows)
//! and on the optimizer's own choice; the bench prints how often the choice was the fastest and by how
//! much it lost otherwise, and the time to plan a 50-operator plan. Prints
//! figures; asserts nothing about speed (see docs/benchmarks.md).
//!
//! `cargo bench -p wayang-examples --bench optimizer`

use std::time::{Duration, Instant};

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
            let heavy = source
                .map(|x| {
                    (0..40).fold(x, |y, _| {
                        y.wrapping_mul(6364136223846793005).wrapping_add(1)
                    })
                })
                .with_udf_cost(40.0);
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

fn run(
    plan_name: &str,
    size: u64,
    text: &std::path::Path,
    pins: Pins<'_>,
    ctx: &WayangContext,
) -> Duration {
    let plan = PlanBuilder::new();
    build(plan_name, &plan, size, text, pins);
    (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            plan.execute(ctx).expect("job");
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let ctx = WayangContext::new()
        .with(wayang_java::plugin())
        .with(wayang_spark::plugin());
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut cases = 0;
    let mut fastest = 0;
    let mut losses = Vec::new();
    println!("plan / size: optimizer's choice, its time, the fastest forced assignment (of 8)");
    for size in [1_000u64, 100_000, 1_000_000] {
        let text = dir.path().join(format!("text-{size}.txt"));
        wayang_examples::generate_text(&text, size as usize * 10).expect("text");
        for plan_name in [
            "narrow",
            "heavy aggregation",
            "expand and distinct",
            "wordcount",
        ] {
            let mut forced = Vec::new();
            for mask in 0..8u32 {
                let pins: [&'static str; 3] =
                    std::array::from_fn(|i| if mask >> i & 1 == 1 { "spark" } else { "java" });
                forced.push((pins, run(plan_name, size, &text, Some(&pins), &ctx)));
            }
            // The choice is judged by running it like every other assignment:
            // planning time is reported on its own below.
            let plan = PlanBuilder::new();
            build(plan_name, &plan, size, &text, None);
            let explanation = plan.explain(&ctx).expect("explain");
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
            cases += 1;
            if ratio <= TOLERANCE {
                fastest += 1;
            } else {
                losses.push(ratio);
            }
            println!(
                "  {plan_name} / {size}: {:?} {:.2} ms; fastest {:?} {:.2} ms; ratio {ratio:.2}",
                choice,
                chosen.as_secs_f64() * 1e3,
                best_pins,
                best.as_secs_f64() * 1e3
            );
        }
    }
    println!(
        "\noptimizer's choice fastest (within {:.0}%) in {fastest} of {cases} cases ({:.0}%)",
        (TOLERANCE - 1.0) * 100.0,
        100.0 * fastest as f64 / cases as f64
    );
    if !losses.is_empty() {
        let worst = losses.iter().copied().fold(1.0, f64::max);
        let mean = losses.iter().sum::<f64>() / losses.len() as f64;
        println!(
            "otherwise slower than the fastest by {mean:.2}x on average, {worst:.2}x at worst"
        );
    }

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
