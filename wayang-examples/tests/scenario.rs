//! The federated-analytics scenario end to end on embedded clusters, on both
//! platforms, against a plain-Rust computation from the generated CSVs; and
//! its bad-input paths.

use std::path::Path;
use std::process::Command;

use wayang_api::kafka::BadRecordPolicy;
use wayang_api::PlanBuilder;
use wayang_examples::scenario::demo::{self, DemoOptions};
use wayang_examples::scenario::generate::Generator;
use wayang_examples::scenario::global::{self, GlobalJob};
use wayang_examples::scenario::partner::{self, BadLines, PartnerJob};
use wayang_examples::scenario::wire::RecordFormat;
use wayang_examples::scenario::{reference, PlatformChoice};
use wayang_kafka::embedded::EmbeddedCluster;

fn run_scenario(platform: PlatformChoice) {
    run_scenario_as(platform, RecordFormat::Json);
}

fn run_scenario_as(platform: PlatformChoice, format: RecordFormat) {
    let dir = tempfile::tempdir().unwrap();
    let options = DemoOptions {
        transactions: 4000,
        platform,
        remote: None,
        k: 3,
        seed: 11,
        bad_lines: 2,
        dir: dir.path().to_path_buf(),
        format,
    };
    let outcome = demo::run(&options, &|_| {}).unwrap();
    let files: Vec<&Path> = outcome.histories.iter().map(|p| p.as_path()).collect();
    let expected = reference::global_sums(&files, options.k).unwrap();
    assert!(
        expected.len() > 50,
        "the scenario covers many months and categories"
    );
    assert_eq!(
        outcome.global.len(),
        expected.len(),
        "{platform}: one global average per month and category"
    );
    for global in &outcome.global {
        let (sum, customers, partners) = expected[&(global.month.clone(), global.category.clone())];
        assert_eq!(
            (global.sum_cents, global.customers, global.partners),
            (sum, customers, partners),
            "{platform} {global:?}"
        );
        let average = sum as f64 / 100.0 / customers as f64;
        assert!(
            ((global.average - average) / average).abs() < 1e-9,
            "{platform} {global:?} vs {average}"
        );
    }
    assert_eq!(
        outcome.skipped_lines, 6,
        "two bad lines per partner, skipped and counted"
    );
    for (partner, rows) in &outcome.comparisons {
        assert!(!rows.is_empty(), "{partner} has a comparison");
        assert!(rows
            .windows(2)
            .all(|w| (&w[0].month, &w[0].category) < (&w[1].month, &w[1].category)));
    }
    assert!(outcome.topics.iter().all(|(_, _, records)| *records > 0));
}

#[test]
fn the_scenario_matches_a_plain_rust_computation_on_java() {
    run_scenario(PlatformChoice::Java);
}

#[test]
fn the_scenario_matches_a_plain_rust_computation_on_spark() {
    run_scenario(PlatformChoice::Spark);
}

/// Avro through four registries (ids differ between them, zone B's needs
/// credentials) and one partner on version 2 of the contribution schema:
/// the same averages as JSON.
#[test]
fn the_scenario_in_avro_matches_a_plain_rust_computation() {
    run_scenario_as(PlatformChoice::Java, RecordFormat::Avro);
    run_scenario_as(PlatformChoice::Spark, RecordFormat::Avro);
}

#[test]
fn a_bad_csv_line_fails_the_partner_job_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("transactions.csv");
    Generator {
        bad_lines: 1,
        ..Generator::new(3, 100)
    }
    .write_csv(&csv, |_| {})
    .unwrap();
    let cluster = EmbeddedCluster::start("emea", 1).unwrap();
    cluster.create_topic("contributions", 1).unwrap();
    let job = PartnerJob {
        format: RecordFormat::Json,
        partner: "emea".into(),
        csv: csv.clone(),
        local_out: dir.path().join("local.csv"),
        cluster: cluster.cluster(),
        topic: "contributions".into(),
        k: 3,
        bad_lines: BadLines::Fail,
    };
    let plan = PlanBuilder::new();
    partner::build(&plan, &job);
    let error = plan
        .execute(&PlatformChoice::Java.context())
        .unwrap_err()
        .to_string();
    // The generator puts the bad line in the middle: after the header and 50 lines.
    assert!(
        error.contains(&format!(
            "{}:52: timestamp \"not-a-date\" is not ISO-8601",
            csv.display()
        )),
        "{error}"
    );
    assert!(
        cluster.read_all("contributions").unwrap().is_empty(),
        "nothing was published"
    );
}

#[test]
fn an_undecodable_contribution_follows_the_sources_policy() {
    let emea = EmbeddedCluster::start("emea", 1).unwrap();
    emea.create_topic("contributions", 1).unwrap();
    emea.produce(
        "contributions",
        [
            (Some("emea|2025-01|books"), r#"{"partner":"emea","month":"2025-01","category":"books","sum_cents":1000,"customers":4}"#),
            (Some("garbage"), "not json"),
        ],
    )
    .unwrap();
    let shared = EmbeddedCluster::start("zone-b", 1).unwrap();
    shared.create_topic("global-averages", 1).unwrap();
    let job = |policy| GlobalJob {
        format: RecordFormat::Json,
        sources: vec![(emea.cluster(), "contributions".into())],
        sink: shared.cluster(),
        sink_topic: "global-averages".into(),
        exactly_once: None,
        on_bad_record: policy,
    };
    let plan = PlanBuilder::new();
    global::build(&plan, &job(BadRecordPolicy::Fail)).unwrap();
    let error = plan
        .execute(&PlatformChoice::Auto.context())
        .unwrap_err()
        .to_string();
    assert!(error.contains("cluster \"emea\": topic \"contributions\" partition 0 offset 1: value is not valid json"), "{error}");

    let plan = PlanBuilder::new();
    global::build(&plan, &job(BadRecordPolicy::Skip)).unwrap();
    plan.execute(&PlatformChoice::Auto.context()).unwrap();
    assert_eq!(shared.read_all("global-averages").unwrap().len(), 1);
}

#[test]
fn the_binaries_name_the_partner_of_a_bad_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    Generator::new(1, 10).write_csv(&csv, |_| {}).unwrap();
    let run = |cluster: &Path| {
        Command::new(env!("CARGO_BIN_EXE_partner-job"))
            .args(["--partner", "apac", "--csv"])
            .arg(&csv)
            .arg("--cluster")
            .arg(cluster)
            .arg("--local-out")
            .arg(dir.path().join("local.csv"))
            .output()
            .unwrap()
    };
    let missing = run(&dir.path().join("no-such.properties"));
    assert!(!missing.status.success());
    let stderr = String::from_utf8(missing.stderr).unwrap();
    assert!(
        stderr.contains("loading the cluster of partner \"apac\"")
            && stderr.contains("no-such.properties"),
        "{stderr}"
    );

    let unreachable = dir.path().join("unreachable.properties");
    std::fs::write(&unreachable, "bootstrap.servers=127.0.0.1:1\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_partner-job"))
        .args(["--partner", "apac", "--platform", "java", "--csv"])
        .arg(&csv)
        .arg("--cluster")
        .arg(&unreachable)
        .arg("--local-out")
        .arg(dir.path().join("local.csv"))
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("cluster \"apac\" (127.0.0.1:1)"),
        "{stderr}"
    );
}

#[test]
fn every_binary_has_help() {
    for (binary, opening) in [
        (
            env!("CARGO_BIN_EXE_federated-demo"),
            "Run the federated-analytics scenario",
        ),
        (
            env!("CARGO_BIN_EXE_partner-job"),
            "Compute a partner's monthly averages",
        ),
        (
            env!("CARGO_BIN_EXE_global-job"),
            "Read the partners' contributions",
        ),
        (
            env!("CARGO_BIN_EXE_compare"),
            "Print a partner's monthly averages",
        ),
    ] {
        let output = Command::new(binary).arg("--help").output().unwrap();
        assert!(output.status.success(), "{binary}");
        let help = String::from_utf8(output.stdout).unwrap();
        assert!(help.contains("--platform"), "{binary}");
        // Each binary says what it does, not what the crate is.
        assert!(help.starts_with(opening), "{binary}: {help}");
    }
}

#[test]
fn the_readme_command_runs_the_whole_scenario() {
    let output = Command::new(env!("CARGO_BIN_EXE_federated-demo"))
        .args(["--transactions", "1500", "--platform", "auto"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "zone-b/global-averages",
        "Job 4 (global)",
        "Comparison: us-west against the global average",
        "2025-12",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

#[test]
fn numbers_job4_cannot_compute_exactly_are_located_errors() {
    let contribution = |partner: &str, sum_cents: i64, customers: u64| {
        (
            Some(format!("{partner}|2025-03|books")),
            format!(
                r#"{{"partner":"{partner}","month":"2025-03","category":"books","sum_cents":{sum_cents},"customers":{customers}}}"#
            ),
        )
    };
    let shared = EmbeddedCluster::start("zone-b", 1).unwrap();
    shared.create_topic("global-averages", 1).unwrap();
    let run = |partners: &[EmbeddedCluster]| {
        let job = GlobalJob {
            format: RecordFormat::Json,
            sources: partners
                .iter()
                .map(|c| (c.cluster(), "contributions".into()))
                .collect(),
            sink: shared.cluster(),
            sink_topic: "global-averages".into(),
            exactly_once: None,
            on_bad_record: BadRecordPolicy::Fail,
        };
        let plan = PlanBuilder::new();
        global::build(&plan, &job).unwrap();
        plan.execute(&PlatformChoice::Auto.context())
            .unwrap_err()
            .to_string()
    };
    // Three contributions of 4e18 cents: their sum does not fit in 64 bits.
    let partners: Vec<EmbeddedCluster> = ["emea", "apac", "us-west"]
        .iter()
        .map(|alias| {
            let cluster = EmbeddedCluster::start(*alias, 1).unwrap();
            cluster.create_topic("contributions", 1).unwrap();
            cluster
                .produce(
                    "contributions",
                    [contribution(alias, 4_000_000_000_000_000_000, 3)],
                )
                .unwrap();
            cluster
        })
        .collect();
    let error = run(&partners);
    assert!(
        error.contains("month 2025-03 category books: the sum of cents does not fit in 64 bits"),
        "{error}"
    );
    assert!(
        shared.read_all("global-averages").unwrap().is_empty(),
        "no wrapped sum published"
    );

    // A contribution of no customers has no average: a bad record, located.
    let empty = EmbeddedCluster::start("emea", 1).unwrap();
    empty.create_topic("contributions", 1).unwrap();
    empty
        .produce("contributions", [contribution("emea", 500, 0)])
        .unwrap();
    let error = run(&[empty]);
    assert!(
        error.contains("cluster \"emea\": topic \"contributions\" partition 0 offset 0: value is not valid json")
            && error.contains("customers is 0"),
        "{error}"
    );
    assert!(
        shared.read_all("global-averages").unwrap().is_empty(),
        "no null average published"
    );
}
