//! Deterministic transaction histories with realistic skew: a few
//! categories and customers account for most spending, amounts vary by
//! category, and months follow a seasonal curve.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::model::CSV_HEADER;

/// Product categories, most popular first (drawn with Zipf-like weights).
pub const CATEGORIES: &[(&str, f64)] = &[
    ("groceries", 35.0),
    ("fashion", 60.0),
    ("electronics", 240.0),
    ("home", 90.0),
    ("travel", 420.0),
    ("books", 25.0),
    ("health", 45.0),
    ("sports", 70.0),
];

/// Relative shopping activity per month (a December peak, a summer dip).
const SEASON: [f64; 12] = [
    0.8, 0.75, 0.9, 0.95, 1.0, 0.85, 0.8, 0.85, 1.0, 1.05, 1.3, 1.7,
];

/// What to generate.
#[derive(Clone, Debug)]
pub struct Generator {
    /// Seeds the whole history: the same seed gives the same file.
    pub seed: u64,
    /// Transactions to write.
    pub transactions: u64,
    /// Distinct customers to draw from.
    pub customers: u64,
    /// The year of the history.
    pub year: u16,
    /// Lines that do not parse, mixed in (for the bad-line policy).
    pub bad_lines: u64,
}

impl Generator {
    /// A history of `transactions` transactions for the partner `seed`.
    pub fn new(seed: u64, transactions: u64) -> Self {
        Generator {
            seed,
            transactions,
            customers: (transactions / 8).max(20),
            year: 2025,
            bad_lines: 0,
        }
    }

    /// Writes the CSV (with header) to `path`.
    pub fn write_csv(&self, path: &Path, mut progress: impl FnMut(u64)) -> std::io::Result<()> {
        let mut out = BufWriter::with_capacity(1 << 16, std::fs::File::create(path)?);
        writeln!(out, "{CSV_HEADER}")?;
        let mut rng = Rng(self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let season_total: f64 = SEASON.iter().sum();
        let bad_every = self
            .transactions
            .checked_div(self.bad_lines)
            .map_or(u64::MAX, |every| every.max(1));
        for tx in 0..self.transactions {
            if tx % bad_every == bad_every / 2 {
                writeln!(out, "{tx},not-a-date,{},books,1.00", tx % 7)?;
            }
            let month = pick(&mut rng, &SEASON, season_total) + 1;
            let day = 1 + rng.below(28);
            let (hour, minute) = (rng.below(24), rng.below(60));
            let category = zipf(&mut rng, CATEGORIES.len());
            let (name, typical) = CATEGORIES[category];
            // Zipf-like customers: a few regulars buy most.
            let customer = zipf(&mut rng, self.customers as usize) as u64;
            // Log-normal-ish amounts around the category's typical basket.
            let spread = (rng.unit() + rng.unit() + rng.unit() - 1.5) * 0.9;
            let cents = ((typical * spread.exp()) * 100.0).round().max(1.0) as u64;
            writeln!(
                out,
                "{tx},{:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:00Z,{customer},{name},{}.{:02}",
                self.year,
                cents / 100,
                cents % 100
            )?;
            if tx % 10_000 == 0 {
                progress(tx);
            }
        }
        out.flush()?;
        progress(self.transactions);
        Ok(())
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn pick(rng: &mut Rng, weights: &[f64], total: f64) -> usize {
    let mut target = rng.unit() * total;
    for (i, w) in weights.iter().enumerate() {
        if target < *w {
            return i;
        }
        target -= w;
    }
    weights.len() - 1
}

/// An index in `0..n`, small ones far more likely (the square of a uniform
/// fraction: about Zipf's law for the first few).
fn zipf(rng: &mut Rng, n: usize) -> usize {
    let u = rng.unit();
    ((u * u * n as f64) as usize).min(n - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::parse_transaction;

    #[test]
    fn histories_are_deterministic_parseable_and_skewed() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
        Generator::new(7, 5000).write_csv(&a, |_| {}).unwrap();
        Generator::new(7, 5000).write_csv(&b, |_| {}).unwrap();
        let text = std::fs::read_to_string(&a).unwrap();
        assert_eq!(text, std::fs::read_to_string(&b).unwrap());
        let transactions: Vec<_> = text
            .lines()
            .skip(1)
            .map(|l| parse_transaction(l).unwrap())
            .collect();
        assert_eq!(transactions.len(), 5000);
        let groceries = transactions
            .iter()
            .filter(|t| t.category == "groceries")
            .count();
        let sports = transactions
            .iter()
            .filter(|t| t.category == "sports")
            .count();
        assert!(
            groceries > 3 * sports,
            "skewed categories: {groceries} vs {sports}"
        );
        let december = transactions.iter().filter(|t| t.month == "2025-12").count();
        let february = transactions.iter().filter(|t| t.month == "2025-02").count();
        assert!(december > february, "seasonal: {december} vs {february}");
    }

    #[test]
    fn bad_lines_are_mixed_in_on_request() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.csv");
        let generator = Generator {
            bad_lines: 5,
            ..Generator::new(1, 1000)
        };
        generator.write_csv(&path, |_| {}).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let bad = text
            .lines()
            .skip(1)
            .filter(|l| parse_transaction(l).is_err())
            .count();
        assert_eq!(bad, 5);
    }
}
