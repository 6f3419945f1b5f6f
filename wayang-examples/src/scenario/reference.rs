//! The scenario's results computed directly from the CSV files in plain
//! Rust, without wayang: what the end-to-end test compares Job 4 against.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use super::label::Label;
use super::model::{parse_transaction, CSV_HEADER};

/// Per (month, category): sum of cents, customers, contributing partners.
pub type Globals = BTreeMap<(String, String), (i64, u64, u32)>;

/// The global sums and counts of the partners' files, with each partner's
/// cells of fewer than `k` customers suppressed and bad lines skipped.
pub fn global_sums(partner_files: &[&Path], k: u64) -> std::io::Result<Globals> {
    let mut globals = Globals::new();
    for file in partner_files {
        let mut cells: BTreeMap<(Label, Label), (i64, HashSet<u64>)> = BTreeMap::new();
        for line in std::fs::read_to_string(file)?.lines() {
            if line.trim() == CSV_HEADER {
                continue;
            }
            let Ok(t) = parse_transaction(line) else {
                continue;
            };
            let cell = cells.entry((t.month, t.category)).or_default();
            cell.0 += t.amount_cents;
            cell.1.insert(t.customer);
        }
        for (key, (sum, customers)) in cells {
            if customers.len() as u64 >= k {
                let (month, category) = key;
                let global = globals.entry((month.into(), category.into())).or_default();
                global.0 += sum;
                global.1 += customers.len() as u64;
                global.2 += 1;
            }
        }
    }
    Ok(globals)
}
