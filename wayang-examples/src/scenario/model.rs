//! The scenario's records. Amounts are integer cents, so sums are exact on
//! every platform whatever order partial sums are combined in.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::label::Label;

/// One line of a partner's transaction history:
/// `tx_id,timestamp,customer_id,category,amount`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Transaction {
    /// The transaction id.
    pub tx_id: u64,
    /// The month, `YYYY-MM`, of its ISO-8601 timestamp.
    pub month: Label,
    /// The customer (within this partner).
    pub customer: u64,
    /// The product category.
    pub category: Label,
    /// The amount in cents.
    pub amount_cents: i64,
}

/// The distinct customers of a cell (a month and category), built by
/// merging: a single customer needs no allocation, more are a hash set. A
/// partner counts its cells' customers with it on the map side of the
/// aggregation, as a hand-written program would, instead of reducing by
/// customer first (a table with an entry per customer and cell).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Customers {
    /// One customer.
    One(u64),
    /// Several.
    Many(HashSet<u64, foldhash::fast::RandomState>),
}

impl Customers {
    /// The union of two sets of customers.
    pub fn merge(self, other: Customers) -> Customers {
        match (self, other) {
            (Customers::One(a), Customers::One(b)) if a == b => Customers::One(a),
            (Customers::One(a), Customers::One(b)) => Customers::Many([a, b].into_iter().collect()),
            (Customers::Many(mut set), Customers::One(one))
            | (Customers::One(one), Customers::Many(mut set)) => {
                set.insert(one);
                Customers::Many(set)
            }
            (Customers::Many(a), Customers::Many(b)) => {
                let (mut larger, smaller) = if a.len() >= b.len() { (a, b) } else { (b, a) };
                larger.extend(smaller);
                Customers::Many(larger)
            }
        }
    }

    /// How many customers.
    pub fn len(&self) -> u64 {
        match self {
            Customers::One(_) => 1,
            Customers::Many(set) => set.len() as u64,
        }
    }

    /// Never: a cell has at least one customer.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The CSV header of a transaction history.
pub const CSV_HEADER: &str = "tx_id,timestamp,customer_id,category,amount";

/// Parses a CSV line; the error says which field is wrong and why.
pub fn parse_transaction(line: &str) -> Result<Transaction, String> {
    // The fields are cut out of the line in place, and the month and a
    // category of up to 23 bytes are held inline: parsing allocates nothing.
    let mut fields = line.split(',');
    let mut next = || fields.next();
    let (Some(tx_id), Some(timestamp), Some(customer), Some(category), Some(amount), None) =
        (next(), next(), next(), next(), next(), next())
    else {
        return Err(format!(
            "expected 5 fields ({CSV_HEADER}), found {}",
            line.split(',').count()
        ));
    };
    let tx_id = tx_id
        .trim()
        .parse()
        .map_err(|_| format!("tx_id {tx_id:?} is not a number"))?;
    let timestamp = timestamp.trim();
    // Bytes, not string slices: a slice through a multi-byte character
    // would panic, and such a line is a bad line like any other.
    let valid_month = match timestamp.as_bytes() {
        [y0, y1, y2, y3, b'-', m0, m1, ..] => {
            [y0, y1, y2, y3, m0, m1].iter().all(|b| b.is_ascii_digit())
                && (1..=12).contains(&((m0 - b'0') * 10 + (m1 - b'0')))
        }
        _ => false,
    };
    if !valid_month {
        return Err(format!(
            "timestamp {timestamp:?} is not ISO-8601 (YYYY-MM-DDThh:mm:ssZ)"
        ));
    }
    let customer = customer
        .trim()
        .parse()
        .map_err(|_| format!("customer_id {customer:?} is not a number"))?;
    let category = category.trim();
    if category.is_empty() {
        return Err("the category is empty".into());
    }
    Ok(Transaction {
        tx_id,
        month: Label::new(&timestamp[..7]),
        customer,
        category: Label::new(category),
        amount_cents: parse_cents(amount.trim())
            .ok_or_else(|| format!("amount {amount:?} is not a decimal like 12.34"))?,
    })
}

/// `"12.34"` -> 1234 cents (at most two decimals; no sign: amounts are spending).
pub fn parse_cents(text: &str) -> Option<i64> {
    let (units, cents) = match text.split_once('.') {
        Some((units, cents)) if (1..=2).contains(&cents.len()) => (units, cents),
        Some(_) => return None,
        None => (text, "0"),
    };
    if units.is_empty()
        || !units.bytes().all(|b| b.is_ascii_digit())
        || !cents.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let cents: i64 = if cents.len() == 1 {
        cents.parse::<i64>().ok()? * 10
    } else {
        cents.parse().ok()?
    };
    units
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)
}

/// What a partner publishes per month and category: aggregates only.
///
/// Decoding checks what Job 4 relies on: a contribution counts at least one
/// customer (an average over none does not exist) and spends no negative
/// amount; one that does not is a bad record under the source's policy,
/// located by cluster, topic, partition and offset.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "ContributionFields")]
pub struct Contribution {
    /// The partner's id.
    pub partner: String,
    /// `YYYY-MM`.
    pub month: String,
    /// The category.
    pub category: String,
    /// Total spending, in cents.
    pub sum_cents: i64,
    /// Distinct customers who spent in this month and category.
    #[serde(serialize_with = "as_long")]
    pub customers: u64,
}

/// Writes a count as a signed 64-bit number: Avro has no unsigned type
/// (its `long` is signed), and JSON's text is the same either way. A count
/// above `i64::MAX` is an error, not a wrapped number.
fn as_long<S: serde::Serializer>(count: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    let count = i64::try_from(*count)
        .map_err(|_| serde::ser::Error::custom("a count does not fit in a signed 64-bit long"))?;
    serializer.serialize_i64(count)
}

impl Contribution {
    /// The record key, `partner|month|category`: the contributions topic is
    /// a table of each partner's current cells, so a re-run replaces a
    /// cell's contribution instead of adding another.
    pub fn key(&self) -> String {
        format!("{}|{}|{}", self.partner, self.month, self.category)
    }
}

/// A contribution as it arrives, before its checks.
#[derive(Deserialize)]
struct ContributionFields {
    partner: String,
    month: String,
    category: String,
    sum_cents: i64,
    customers: u64,
}

impl TryFrom<ContributionFields> for Contribution {
    type Error = String;

    fn try_from(fields: ContributionFields) -> Result<Self, String> {
        if fields.customers == 0 {
            return Err(format!(
                "contribution of {:?} for {} {}: customers is 0, but an average needs at least one customer",
                fields.partner, fields.month, fields.category
            ));
        }
        if fields.sum_cents < 0 {
            return Err(format!(
                "contribution of {:?} for {} {}: sum_cents is negative ({})",
                fields.partner, fields.month, fields.category, fields.sum_cents
            ));
        }
        if fields.partner.is_empty() || fields.month.is_empty() || fields.category.is_empty() {
            return Err("a contribution needs a partner, a month and a category".into());
        }
        Ok(Contribution {
            partner: fields.partner,
            month: fields.month,
            category: fields.category,
            sum_cents: fields.sum_cents,
            customers: fields.customers,
        })
    }
}

/// The running totals of one month and category across partners, added
/// with overflow checks: a total that does not fit is an error, never a
/// wrapped number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellTotals {
    /// Spending, in cents.
    pub sum_cents: i64,
    /// Customers.
    pub customers: u64,
    /// Contributing partners.
    pub partners: u32,
}

impl CellTotals {
    /// One partner's contribution.
    pub fn of(contribution: &Contribution) -> Self {
        CellTotals {
            sum_cents: contribution.sum_cents,
            customers: contribution.customers,
            partners: 1,
        }
    }

    /// Both totals added; the error names what overflowed.
    pub fn plus(self, other: CellTotals) -> Result<CellTotals, &'static str> {
        Ok(CellTotals {
            sum_cents: self
                .sum_cents
                .checked_add(other.sum_cents)
                .ok_or("the sum of cents does not fit in 64 bits")?,
            customers: self
                .customers
                .checked_add(other.customers)
                .ok_or("the customer count does not fit in 64 bits")?,
            partners: self
                .partners
                .checked_add(other.partners)
                .ok_or("the partner count does not fit in 32 bits")?,
        })
    }
}

/// A partner's own monthly average per category (kept locally).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocalAverage {
    /// `YYYY-MM`.
    pub month: String,
    /// The category.
    pub category: String,
    /// Total spending, in cents.
    pub sum_cents: i64,
    /// Distinct customers.
    pub customers: u64,
}

impl LocalAverage {
    /// Spending per active customer, in currency units.
    pub fn average(&self) -> f64 {
        self.sum_cents as f64 / 100.0 / self.customers as f64
    }

    /// The line of the local averages file:
    /// `month,category,sum_cents,customers,average`.
    pub fn to_line(&self) -> String {
        format!(
            "{},{},{},{},{:.4}",
            self.month,
            self.category,
            self.sum_cents,
            self.customers,
            self.average()
        )
    }

    /// Parses a line written by [`LocalAverage::to_line`].
    pub fn parse(line: &str) -> Result<Self, String> {
        let fields: Vec<&str> = line.split(',').collect();
        let [month, category, sum, customers, _average] = fields[..] else {
            return Err(format!(
                "expected 5 fields (month,category,sum_cents,customers,average), found {}",
                fields.len()
            ));
        };
        Ok(LocalAverage {
            month: month.to_string(),
            category: category.to_string(),
            sum_cents: sum
                .parse()
                .map_err(|_| format!("sum_cents {sum:?} is not a number"))?,
            customers: customers
                .parse()
                .map_err(|_| format!("customers {customers:?} is not a number"))?,
        })
    }
}

/// The global average of one month and category, published to zone B.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GlobalAverage {
    /// `YYYY-MM`.
    pub month: String,
    /// The category.
    pub category: String,
    /// The sum of the partners' sums, in cents.
    pub sum_cents: i64,
    /// The sum of the partners' customer counts.
    #[serde(serialize_with = "as_long")]
    pub customers: u64,
    /// How many partners contributed.
    pub partners: u32,
    /// `sum_cents / 100 / customers`.
    pub average: f64,
}

impl GlobalAverage {
    /// The record key, `month|category`: the global averages topic is a
    /// table with one record per cell.
    pub fn key(&self) -> String {
        format!("{}|{}", self.month, self.category)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timestamp_with_a_multibyte_character_is_a_bad_line_not_a_panic() {
        for stamp in [
            "2025-0é-01T00:00:00Z",
            "202é-03-01",
            "2025-é",
            "2025-13-01",
            "2025-00-01",
        ] {
            let line = format!("1,{stamp},2,books,1.00");
            assert!(parse_transaction(&line).is_err(), "{line}");
        }
        assert!(parse_transaction("1,2025-12-31T23:59:59Z,2,books,1.00").is_ok());
    }

    #[test]
    fn customer_sets_merge_to_their_union_in_any_order() {
        let one = |c| Customers::One(c);
        assert_eq!(one(1).merge(one(1)), one(1));
        let pairs = one(1).merge(one(2));
        assert_eq!(pairs.len(), 2);
        let left = one(3).merge(pairs.clone()).merge(one(1));
        let right = one(4).merge(one(3)).merge(one(1).merge(pairs));
        assert_eq!(left.len(), 3);
        assert_eq!(right.len(), 4);
        assert_eq!(left.clone().merge(right.clone()), right.merge(left));
        assert!(!one(7).is_empty());
    }

    #[test]
    fn parses_a_line() {
        let t = parse_transaction("17,2025-03-14T10:22:01Z,42,books,12.5").unwrap();
        assert_eq!(
            (
                t.tx_id,
                t.month.as_str(),
                t.customer,
                t.category.as_str(),
                t.amount_cents
            ),
            (17, "2025-03", 42, "books", 1250)
        );
    }

    #[test]
    fn says_what_is_wrong() {
        assert!(parse_transaction("1,2,3")
            .unwrap_err()
            .contains("expected 5 fields"));
        assert!(parse_transaction("x,2025-01-01T00:00:00Z,1,a,1.00")
            .unwrap_err()
            .contains("tx_id \"x\""));
        assert!(parse_transaction("1,2025-13-01T00:00:00Z,1,a,1.00")
            .unwrap_err()
            .contains("timestamp"));
        assert!(parse_transaction("1,2025-01-01T00:00:00Z,1,a,1.234")
            .unwrap_err()
            .contains("amount"));
        assert!(parse_transaction("1,2025-01-01T00:00:00Z,1, ,1.00")
            .unwrap_err()
            .contains("category"));
    }

    #[test]
    fn cents_are_exact() {
        assert_eq!(parse_cents("0.07"), Some(7));
        assert_eq!(parse_cents("12"), Some(1200));
        assert_eq!(parse_cents("3.5"), Some(350));
        assert_eq!(parse_cents("-1.00"), None);
        assert_eq!(parse_cents("1e3"), None);
    }

    #[test]
    fn contributions_that_cannot_be_averaged_do_not_decode() {
        let ok: Contribution = serde_json::from_str(
            r#"{"partner":"emea","month":"2025-01","category":"books","sum_cents":5,"customers":3}"#,
        )
        .unwrap();
        assert_eq!(ok.key(), "emea|2025-01|books");
        let error = serde_json::from_str::<Contribution>(
            r#"{"partner":"emea","month":"2025-01","category":"books","sum_cents":5,"customers":0}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("customers is 0"), "{error}");
        let error = serde_json::from_str::<Contribution>(
            r#"{"partner":"emea","month":"2025-01","category":"books","sum_cents":-5,"customers":2}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("negative"), "{error}");
    }

    #[test]
    fn totals_overflow_is_an_error() {
        let big = CellTotals {
            sum_cents: 4_000_000_000_000_000_000,
            customers: 1,
            partners: 1,
        };
        let two = big.plus(big).unwrap();
        assert_eq!(two.partners, 2);
        assert_eq!(
            two.plus(big),
            Err("the sum of cents does not fit in 64 bits")
        );
    }

    #[test]
    fn local_lines_round_trip() {
        let local = LocalAverage {
            month: "2025-01".into(),
            category: "books".into(),
            sum_cents: 1001,
            customers: 3,
        };
        assert_eq!(local.to_line(), "2025-01,books,1001,3,3.3367");
        assert_eq!(LocalAverage::parse(&local.to_line()).unwrap(), local);
    }
}
