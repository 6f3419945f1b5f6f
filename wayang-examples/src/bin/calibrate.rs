//! Measures the cost model's parameters on this machine and writes them as a
//! configuration file: `WayangContext::new()...with_config_file(FILE)`.
//!
//! `cargo run --release -p wayang-examples --bin calibrate -- --out calibration.properties`

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;
use wayang_api::{DataQuanta, PlanBuilder, WayangContext};
use wayang_core::optimizer::cost::{default_factor, snake};
use wayang_core::{AnyIter, Channel, ChannelConversion, Configuration, DataType, OperatorKind};

/// Measure the cost model's parameters on this machine.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Where to write the parameters (a .properties file).
    #[arg(long, default_value = "calibration.properties")]
    out: PathBuf,
    /// Records of the large measurement runs.
    #[arg(long, default_value_t = 2_000_000)]
    records: u64,
}

const ROUNDS: usize = 5;

/// Each figure is the fastest over this many freshly built plans (each run
/// `ROUNDS` times). Since records move in batches a map costs a fraction
/// of a nanosecond, and the runs of one plan on this machine class can sit
/// in a slow mode (about 2x) throughout; the fastest of several plans keeps
/// one such plan from setting the figure. Runs of `calibrate` still vary
/// (docs/benchmarks.md gives the spread).
const FRESH_PLANS: usize = 4;

/// Adds the operator being measured after a source.
type AddOperator = fn(&DataQuanta<u64>) -> DataQuanta<u64>;

fn best(mut run: impl FnMut()) -> Duration {
    (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// A chain of `maps` trivial maps over `records` records, counted.
fn chain_time(ctx: &WayangContext, records: u64, maps: usize) -> Duration {
    fastest_plan(ctx, |plan| {
        let mut data: DataQuanta<u64> = plan.read_collection(0..records);
        for _ in 0..maps {
            data = data.map(|x| x.wrapping_add(1));
        }
        let _ = data.count().collect();
    })
}

/// The fastest run of [`FRESH_PLANS`] plans built by `build`, each run
/// [`ROUNDS`] times.
fn fastest_plan(ctx: &WayangContext, build: impl Fn(&PlanBuilder)) -> Duration {
    (0..FRESH_PLANS)
        .map(|_| {
            let plan = PlanBuilder::new();
            build(&plan);
            best(|| {
                plan.execute(ctx).expect("calibration job");
            })
        })
        .min()
        .unwrap_or_default()
}

/// Records the model counts for the chain: every map handles its input and
/// its output; the source its output; count its input.
fn chain_records(records: u64, maps: usize) -> f64 {
    let r = records as f64;
    r * default_factor(OperatorKind::CollectionSource)
        + 2.0 * r * maps as f64
        + r * default_factor(OperatorKind::Count)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let n = args.records;
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let java = WayangContext::new().with(wayang_java::plugin());
    let spark = WayangContext::new().with(wayang_spark::plugin());
    let spark_one = WayangContext::new()
        .with(wayang_spark::plugin())
        .with_config(wayang_spark::PARALLELISM_KEY, 1)
        .with_config(wayang_spark::PARTITIONS_KEY, 1);
    let mut values: Vec<(String, String)> = Vec::new();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;

    for (name, ctx) in [("java", &java), ("spark", &spark)] {
        // Fixed costs: tiny inputs, 1 and 9 operators.
        let (short, long) = (chain_time(ctx, 1, 1), chain_time(ctx, 1, 9));
        let per_operator = ((ms(long) - ms(short)) / 8.0).max(0.0);
        let startup = (ms(short) - 3.0 * per_operator).max(0.0);
        values.push((
            format!("wayang.{name}.cost.operator.ms"),
            format!("{per_operator:.4}"),
        ));
        values.push((
            format!("wayang.{name}.cost.startup.ms"),
            format!("{startup:.4}"),
        ));
        println!("{name}: start-up {startup:.3} ms, {per_operator:.4} ms per operator");
    }

    // Per-record cost: the slope between a large and a tiny run.
    let slope = |ctx: &WayangContext| {
        let (large, tiny) = (chain_time(ctx, n, 4), chain_time(ctx, 1, 4));
        (ms(large) - ms(tiny)).max(0.0) * 1e6 / chain_records(n, 4)
    };
    let java_ns = slope(&java);
    let spark_one_ns = slope(&spark_one);
    // Parallelism: spark on all cores against spark on one, over work that
    // keeps a core busy. A trivial map chain is a fraction of a nanosecond
    // per record and measured 1.00-2.00 from run to run: it times memory
    // traffic and noise rather than how far spark's partitions spread the
    // work that dominates a plan's cost (keyed, sorting, user functions).
    let busy = |ctx: &WayangContext| {
        let time = |records: u64| {
            fastest_plan(ctx, |plan| {
                let _ = plan
                    .read_collection(0..records)
                    .map(busy_work)
                    .count()
                    .collect();
            })
        };
        (ms(time(n)) - ms(time(1))).max(1e-6)
    };
    let parallelism = (busy(&spark_one) / busy(&spark)).clamp(1.0, cores as f64);
    values.push(("wayang.java.cost.record.ns".into(), format!("{java_ns:.2}")));
    values.push(("wayang.java.cost.parallelism".into(), "1".into()));
    values.push((
        "wayang.spark.cost.record.ns".into(),
        format!("{spark_one_ns:.2}"),
    ));
    values.push((
        "wayang.spark.cost.parallelism".into(),
        format!("{parallelism:.2}"),
    ));
    println!("java: {java_ns:.2} ns per record; spark: {spark_one_ns:.2} ns per record on one core, effective parallelism {parallelism:.2} of {cores}");

    // Conversions: collecting a stream, per record.
    let conversion = wayang_core::channels::builtin_conversions()
        .into_iter()
        .find(|c: &ChannelConversion| c.name == "CollectStream")
        .context("the CollectStream conversion")?;
    let config = Configuration::new();
    let convert = (0..FRESH_PLANS)
        .map(|_| {
            best(|| {
                let channel = Channel::stream(DataType::of::<u64>(), AnyIter::new(0..n));
                conversion.apply(channel, &config).expect("conversion");
            })
        })
        .min()
        .unwrap_or_default();
    let conversion_ns = ms(convert) * 1e6 / n as f64;
    values.push((
        "wayang.cost.conversion.record.ns".into(),
        format!("{conversion_ns:.2}"),
    ));
    println!("conversions: {conversion_ns:.2} ns per record");

    // Operator kinds, relative to a map: on java (the general factors) and
    // on spark with one core (its shuffles make wide operators dearer).
    for (prefix, ctx, ns) in [
        ("wayang.cost", &java, java_ns),
        ("wayang.spark.cost", &spark_one, spark_one_ns),
    ] {
        for (key, factor) in kind_factors(ctx, n, ns) {
            values.push((format!("{prefix}.{key}.factor"), format!("{factor:.2}")));
            println!("{prefix}.{key}: factor {factor:.2}");
        }
    }

    values.push((
        wayang_core::optimizer::calibration::CORES_KEY.into(),
        cores.to_string(),
    ));
    let mut text = String::from(
        "# Cost model parameters measured by `calibrate` on this machine:\n\
         #   cargo run --release -p wayang-examples --bin calibrate -- --out FILE\n",
    );
    text.push_str(&format!("# on {}", today()));
    if let Some(commit) = commit() {
        text.push_str(&format!(", at commit {commit}"));
    }
    text.push_str(&format!(", {cores} cores, {n} records per large run.\n"));
    for (key, value) in &values {
        text.push_str(&format!("{key} = {value}\n"));
    }
    std::fs::write(&args.out, text).with_context(|| format!("writing {}", args.out.display()))?;
    println!("wrote {}", args.out.display());
    Ok(())
}

/// About 30 ns of arithmetic a record, no memory traffic: what calibrate
/// times spark's parallelism on.
fn busy_work(mut x: u64) -> u64 {
    for _ in 0..24 {
        x = (x ^ (x >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    }
    x
}

/// Today's date (UTC), `YYYY-MM-DD`.
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The checked-out commit, if this runs in a git work tree.
fn commit() -> Option<String> {
    let output = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Each measured kind's work per record relative to a map, on `ctx`: the
/// narrow and keyed kinds, and the join.
fn kind_factors(ctx: &WayangContext, n: u64, record_ns: f64) -> Vec<(String, f64)> {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let map_time = chain_time(ctx, n, 1);
    let kinds: [(OperatorKind, AddOperator); 6] = [
        (OperatorKind::Filter, |d| d.filter(|x| x % 3 != 0)),
        (OperatorKind::FlatMap, |d| d.flat_map(|x| [x])),
        (OperatorKind::ReduceBy, |d| {
            d.reduce_by_key(|x| x % 1024, |a, b| a.max(b))
        }),
        (OperatorKind::Distinct, |d| {
            d.map(|x| x % 100_000).distinct()
        }),
        (OperatorKind::Sort, |d| {
            d.sort_by(|x| x.wrapping_mul(0x9E37_79B9) % 1_000_003)
        }),
        (OperatorKind::GroupBy, |d| {
            d.group_by_key(|x| x % 1024)
                .map(|(k, g)| k + g.len() as u64)
        }),
    ];
    let mut factors: Vec<(String, f64)> = kinds
        .into_iter()
        .map(|(kind, add)| {
            let time = fastest_plan(ctx, |plan| {
                let _ = add(&plan.read_collection(0..n)).count().collect();
            });
            let extra = (ms(time) - ms(map_time)).max(0.0) * 1e6;
            // Beyond the map run, the operator handled n records in and about n out.
            (
                snake(kind.name()),
                (1.0 + extra / (2.0 * n as f64 * record_ns)).max(0.1),
            )
        })
        .collect();
    factors.push((
        snake(OperatorKind::Join.name()),
        join_factor(ctx, n, record_ns),
    ));
    factors
}

/// A join's work per record relative to a map: `n` records, each matching
/// one of a table of `n / 4` keys, against the same two sources counted
/// without the join.
fn join_factor(ctx: &WayangContext, n: u64, record_ns: f64) -> f64 {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let keys = (n / 4).max(1);
    let without = fastest_plan(ctx, |plan| {
        let _ = plan
            .read_collection(0..n)
            .map(move |x| x % keys)
            .count()
            .collect();
        let _ = plan.read_collection(0..keys).count().collect();
    });
    let with = fastest_plan(ctx, |plan| {
        let left = plan.read_collection(0..n).map(move |x| x % keys);
        let table = plan.read_collection(0..keys);
        let _ = left.join(|x| *x, &table, |k| *k).count().collect();
    });
    let extra = (ms(with) - ms(without)).max(0.0) * 1e6;
    // The join handles n + n/4 records in and n out.
    let handled = (2 * n + keys) as f64;
    (extra / (handled * record_ns)).max(0.1)
}
