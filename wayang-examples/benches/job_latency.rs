//! The fixed cost of small Kafka jobs, end to end: the scenario's partner job
//! and Job 4 as processes (from process start to exit, release build)
//! against four local tansu brokers, one per organisation, started here.
//! Prints figures; asserts nothing about speed (see docs/benchmarks.md).
//!
//! ```sh
//! bash scripts/real-broker.sh install      # fetches tansu into target/tools
//! cargo bench -p wayang-examples --bench job_latency [-- ROUNDS]
//! ```
//!
//! With `WAYANG_BENCH_HOLD=1` it fills the topics, prints the jobs' command
//! lines and keeps the brokers up until a line is read from stdin: for
//! profiling one job by hand.
//!
//! Each partner holds 2,000 transactions, so a partner job writes about 100
//! contributions and Job 4 reads about 300 of them from three clusters and
//! writes about 100 averages: a job whose work is a few milliseconds, so
//! what it measures is waiting.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wayang_kafka::KafkaSettings;

const PARTNERS: [&str; 3] = ["emea", "apac", "us-west"];
const TRANSACTIONS: u64 = 2_000;

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let tansu = std::env::var_os("WAYANG_BENCH_TANSU")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tools/tansu"));
    if !tansu.exists() {
        eprintln!(
            "no tansu at {}: run `bash scripts/real-broker.sh install` (or set WAYANG_BENCH_TANSU)",
            tansu.display()
        );
        std::process::exit(2);
    }
    let dir = tempfile::tempdir().expect("a scratch directory");
    let mut brokers = Brokers::default();
    let mut properties = Vec::new();
    for name in PARTNERS.iter().chain(&["zone-b"]) {
        let address = brokers.start(&tansu, dir.path(), name);
        let file = dir.path().join(format!("{name}.properties"));
        std::fs::write(&file, format!("bootstrap.servers={address}\n")).expect("properties");
        properties.push(file);
    }
    let settings = KafkaSettings::default();
    let cluster =
        |i: usize| wayang_kafka::load_cluster(name_of(i), &properties[i]).expect("cluster");
    for i in 0..3 {
        wayang_kafka::admin::create_topic(&cluster(i), "contributions", 3, &settings)
            .expect("contributions topic");
    }
    wayang_kafka::admin::create_topic(&cluster(3), "global-averages", 3, &settings)
        .expect("averages topic");
    wayang_kafka::admin::create_topic(&cluster(3), "wayang-positions", 1, &settings)
        .expect("positions topic");

    let partner_job = env!("CARGO_BIN_EXE_partner-job");
    let global_job = env!("CARGO_BIN_EXE_global-job");
    let partner_args = |i: usize| -> Vec<String> {
        let csv = dir.path().join(format!("{}.csv", name_of(i)));
        if !csv.exists() {
            let generator =
                wayang_examples::scenario::generate::Generator::new(7 + i as u64, TRANSACTIONS);
            generator.write_csv(&csv, |_| {}).expect("generate");
        }
        [
            "--partner",
            name_of(i),
            "--csv",
            &csv.display().to_string(),
            "--cluster",
            &properties[i].display().to_string(),
            "--local-out",
            &dir.path()
                .join(format!("{}-local.csv", name_of(i)))
                .display()
                .to_string(),
            "--bad-lines",
            "skip",
            "--platform",
            "java",
        ]
        .map(String::from)
        .to_vec()
    };
    let mut global_args: Vec<String> = Vec::new();
    for (i, file) in properties.iter().enumerate().take(3) {
        global_args.push("--source".into());
        global_args.push(format!("{}={}", name_of(i), file.display()));
    }
    global_args.extend(
        [
            "--sink",
            &properties[3].display().to_string(),
            "--platform",
            "java",
        ]
        .map(String::from),
    );
    let mut exactly_once_args = global_args.clone();
    exactly_once_args.extend(["--exactly-once".to_string(), "job4".to_string()]);

    // Fill the partners' topics once (and warm the page cache for the binaries).
    for i in 0..3 {
        run(partner_job, &partner_args(i));
    }
    run(global_job, &exactly_once_args);

    if std::env::var_os("WAYANG_BENCH_HOLD").is_some() {
        // To profile a job by hand (RUST_LOG=debug, perf) against the same brokers.
        println!("{partner_job} {}", partner_args(0).join(" "));
        println!("{global_job} {}", global_args.join(" "));
        println!("{global_job} {}", exactly_once_args.join(" "));
        println!("the brokers run until a line is read from stdin");
        let _ = std::io::stdin().read_line(&mut String::new());
        return;
    }
    println!(
        "tansu 4 brokers (memory), {TRANSACTIONS} transactions per partner; process start to exit, {rounds} rounds"
    );
    println!("{:<44} {:>10} {:>10}", "job", "best", "median");
    let jobs: [(&str, &str, Vec<String>); 3] = [
        ("partner job (emea), java", partner_job, partner_args(0)),
        ("Job 4, at least once, java", global_job, global_args),
        ("Job 4, exactly once, java", global_job, exactly_once_args),
    ];
    for (name, program, args) in &jobs {
        let mut times: Vec<Duration> = (0..rounds).map(|_| run(program, args)).collect();
        times.sort();
        println!(
            "{name:<44} {:>7.1} ms {:>7.1} ms",
            ms(times[0]),
            ms(times[times.len() / 2])
        );
    }
}

fn name_of(i: usize) -> &'static str {
    PARTNERS.get(i).copied().unwrap_or("zone-b")
}

/// Runs a job's binary to its end; its wall time. A failed job ends the bench.
fn run(program: &str, args: &[String]) -> Duration {
    let started = Instant::now();
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the job's binary starts");
    let elapsed = started.elapsed();
    // A panic, not an exit: the brokers are stopped on the way out.
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// tansu brokers started by the bench, stopped when it ends.
#[derive(Default)]
struct Brokers(Vec<Child>);

impl Brokers {
    fn start(&mut self, tansu: &Path, dir: &Path, name: &str) -> String {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let address = format!("127.0.0.1:{port}");
        let log = std::fs::File::create(dir.join(format!("tansu-{name}.log"))).expect("log");
        let child = Command::new(tansu)
            .args([
                "broker",
                "--listener-url",
                &format!("tcp://{address}"),
                "--advertised-listener-url",
                &format!("tcp://{address}"),
                "--storage-engine",
                &format!("memory://{name}/"),
            ])
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("tansu starts");
        self.0.push(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(&address).is_err() {
            assert!(Instant::now() < deadline, "tansu {name} did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        address
    }
}

impl Drop for Brokers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
