//! Partners re-publish: the same history again, a corrected row, a
//! withdrawn cell. Job 4 reads each partner's contributions as a table, so
//! its output table equals the plain-Rust expectation from the partners'
//! current histories after every step, and running it again changes
//! nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wayang_api::kafka::{BadRecordPolicy, ExactlyOnce, DEFAULT_POSITIONS_TOPIC};
use wayang_api::PlanBuilder;
use wayang_examples::scenario::demo::{table, CONTRIBUTIONS, GLOBAL, JOB4};
use wayang_examples::scenario::generate::Generator;
use wayang_examples::scenario::global::{self, GlobalJob};
use wayang_examples::scenario::model::{parse_transaction, GlobalAverage, CSV_HEADER};
use wayang_examples::scenario::partner::{self, BadLines, PartnerJob};
use wayang_examples::scenario::wire::RecordFormat;
use wayang_examples::scenario::{compare, reference, PlatformChoice};
use wayang_kafka::embedded::EmbeddedCluster;

const K: u64 = 3;

struct Federation {
    partners: Vec<EmbeddedCluster>,
    shared: EmbeddedCluster,
    dir: tempfile::TempDir,
}

impl Federation {
    fn new() -> Self {
        let partners: Vec<EmbeddedCluster> = ["emea", "apac", "us-west"]
            .iter()
            .map(|alias| {
                let cluster = EmbeddedCluster::start(*alias, 1).unwrap();
                cluster.create_topic(CONTRIBUTIONS, 3).unwrap();
                cluster
            })
            .collect();
        let shared = EmbeddedCluster::start("zone-b", 1).unwrap();
        shared.create_topic(GLOBAL, 3).unwrap();
        shared.create_topic(DEFAULT_POSITIONS_TOPIC, 1).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let federation = Federation {
            partners,
            shared,
            dir,
        };
        for index in 0..3 {
            Generator::new(40 + index as u64, 1500)
                .write_csv(&federation.csv(index), |_| {})
                .unwrap();
        }
        federation
    }

    fn csv(&self, partner: usize) -> PathBuf {
        self.dir.path().join(format!("partner-{partner}.csv"))
    }

    fn publish(&self, partner: usize, platform: PlatformChoice) {
        let cluster = &self.partners[partner];
        let job = PartnerJob {
            format: RecordFormat::Json,
            partner: cluster.alias().to_string(),
            csv: self.csv(partner),
            local_out: self.dir.path().join(format!("local-{partner}.csv")),
            cluster: cluster.cluster(),
            topic: CONTRIBUTIONS.into(),
            k: K,
            bad_lines: BadLines::Fail,
        };
        let plan = PlanBuilder::new();
        partner::build(&plan, &job);
        plan.execute(&platform.context()).unwrap();
    }

    fn job4(&self, platform: PlatformChoice) {
        let job = GlobalJob {
            format: RecordFormat::Json,
            sources: self
                .partners
                .iter()
                .map(|c| (c.cluster(), CONTRIBUTIONS.to_string()))
                .collect(),
            sink: self.shared.cluster(),
            sink_topic: GLOBAL.into(),
            exactly_once: Some(ExactlyOnce::new(JOB4, &self.shared.cluster())),
            on_bad_record: BadRecordPolicy::Fail,
        };
        let plan = PlanBuilder::new();
        global::build(&plan, &job).unwrap();
        plan.execute(&platform.context()).unwrap();
    }

    /// Job 4's output, read as a table in plain Rust.
    fn global(&self) -> BTreeMap<(String, String), (i64, u64, u32)> {
        table(&self.shared.read_all(GLOBAL).unwrap())
            .into_values()
            .map(|value| {
                let g: GlobalAverage = serde_json::from_slice(&value).unwrap();
                let average = g.sum_cents as f64 / 100.0 / g.customers as f64;
                assert!(((g.average - average) / average).abs() < 1e-12, "{g:?}");
                (
                    (g.month, g.category),
                    (g.sum_cents, g.customers, g.partners),
                )
            })
            .collect()
    }

    fn expected(&self) -> BTreeMap<(String, String), (i64, u64, u32)> {
        let files: Vec<PathBuf> = (0..3).map(|i| self.csv(i)).collect();
        let files: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        reference::global_sums(&files, K).unwrap()
    }

    fn contributions(&self, partner: usize) -> BTreeMap<Vec<u8>, Vec<u8>> {
        table(&self.partners[partner].read_all(CONTRIBUTIONS).unwrap())
    }

    /// Rewrites a partner's history, line by line.
    fn edit(&self, partner: usize, mut change: impl FnMut(&str) -> Option<String>) {
        let text = std::fs::read_to_string(self.csv(partner)).unwrap();
        let edited: Vec<String> = text
            .lines()
            .filter_map(|line| {
                if line == CSV_HEADER {
                    Some(line.to_string())
                } else {
                    change(line)
                }
            })
            .collect();
        std::fs::write(self.csv(partner), edited.join("\n") + "\n").unwrap();
    }
}

fn cell_of(line: &str) -> (String, String) {
    let t = parse_transaction(line).unwrap();
    (t.month.into(), t.category.into())
}

#[test]
fn job4_stays_right_when_partners_republish() {
    let federation = Federation::new();
    for partner in 0..3 {
        federation.publish(partner, PlatformChoice::Spark);
    }
    federation.job4(PlatformChoice::Java);
    let first = federation.global();
    assert!(first.len() > 40, "many cells");
    assert_eq!(first, federation.expected(), "first run");

    // A partner runs again with the same history: nothing changes.
    let before = federation.contributions(0);
    federation.publish(0, PlatformChoice::Java);
    assert_eq!(
        federation.contributions(0),
        before,
        "the same contributions table"
    );
    federation.job4(PlatformChoice::Auto);
    assert_eq!(
        federation.global(),
        first,
        "a re-published partner is not counted twice"
    );
    // Job 4 again on the same contributions: the same averages.
    federation.job4(PlatformChoice::Spark);
    assert_eq!(federation.global(), first, "Job 4 is idempotent");

    // A corrected row: one amount goes up by 100.00.
    let mut corrected = None;
    federation.edit(1, |line| {
        if corrected.is_none() {
            let t = parse_transaction(line).unwrap();
            corrected = Some((String::from(t.month), String::from(t.category)));
            let cents = t.amount_cents + 10_000;
            let fields: Vec<&str> = line.split(',').collect();
            return Some(format!(
                "{},{},{},{},{}.{:02}",
                fields[0],
                fields[1],
                fields[2],
                fields[3],
                cents / 100,
                cents % 100
            ));
        }
        Some(line.to_string())
    });
    federation.publish(1, PlatformChoice::Auto);
    federation.job4(PlatformChoice::Java);
    let updated = federation.global();
    assert_eq!(updated, federation.expected(), "after a corrected row");
    let cell = corrected.unwrap();
    assert_ne!(
        updated.get(&cell),
        first.get(&cell),
        "the corrected cell moved"
    );

    // A withdrawn cell: partner 2 no longer has any transaction in it.
    let withdrawn = first.keys().next().unwrap().clone();
    federation.edit(2, |line| {
        (cell_of(line) != withdrawn).then(|| line.to_string())
    });
    federation.publish(2, PlatformChoice::Spark);
    let key = format!("us-west|{}|{}", withdrawn.0, withdrawn.1).into_bytes();
    assert!(
        !federation.contributions(2).contains_key(&key),
        "partner 2 withdrew the cell"
    );
    federation.job4(PlatformChoice::Auto);
    let after = federation.global();
    assert_eq!(after, federation.expected(), "after a withdrawn cell");
    assert_eq!(
        after[&withdrawn].2,
        first[&withdrawn].2 - 1,
        "one partner fewer"
    );

    // Every partner withdraws it: the global table deletes the cell.
    for partner in 0..2 {
        federation.edit(partner, |line| {
            (cell_of(line) != withdrawn).then(|| line.to_string())
        });
        federation.publish(partner, PlatformChoice::Java);
    }
    federation.job4(PlatformChoice::Spark);
    let last = federation.global();
    assert_eq!(
        last,
        federation.expected(),
        "after every partner withdrew the cell"
    );
    assert!(!last.contains_key(&withdrawn));
    let records = federation.shared.read_all(GLOBAL).unwrap();
    let cell_key = format!("{}|{}", withdrawn.0, withdrawn.1).into_bytes();
    let tombstoned = records
        .iter()
        .rev()
        .find(|r| r.key.as_deref() == Some(&cell_key[..]))
        .is_some_and(|r| r.value.is_none());
    assert!(tombstoned, "Job 4 wrote a tombstone for the vanished cell");

    // The comparison reads the global table: each cell once.
    let plan = PlanBuilder::new();
    let rows = compare::build(
        &plan,
        &federation.shared.cluster(),
        GLOBAL,
        &federation.dir.path().join("local-0.csv"),
        RecordFormat::Json,
    );
    plan.execute(&PlatformChoice::Auto.context()).unwrap();
    let rows = rows.take().unwrap();
    let mut cells: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.month.clone(), r.category.clone()))
        .collect();
    let all = cells.len();
    cells.dedup();
    assert_eq!(cells.len(), all, "no cell twice");
    assert!(all > 30, "{all} rows");
}
