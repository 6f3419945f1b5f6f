//! How the scenario's records travel: JSON (the default) or Avro in
//! Confluent's wire format, each organisation registering its schemas in
//! its own Schema Registry (named by its cluster's properties).

use serde::Serialize;
use wayang_api::kafka::avro::Schema;
use wayang_api::kafka::Avro;

use super::model::{Contribution, GlobalAverage};

/// The record format of the scenario's topics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum RecordFormat {
    /// JSON values.
    #[default]
    Json,
    /// Avro, framed for the cluster's Schema Registry.
    Avro,
    /// Avro with version 2 of the contribution schema (adds `currency`,
    /// default `"EUR"`): a partner that moved on, whose records Job 4 still
    /// reads with version 1 (Avro schema resolution drops the field). For
    /// partner jobs; elsewhere it means `avro`.
    AvroV2,
}

impl RecordFormat {
    /// Whether the format needs the cluster's Schema Registry.
    pub fn is_avro(self) -> bool {
        self != RecordFormat::Json
    }
}

impl std::fmt::Display for RecordFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RecordFormat::Json => "json",
            RecordFormat::Avro => "avro",
            RecordFormat::AvroV2 => "avro-v2",
        })
    }
}

/// A partner's contribution (subject `<topic>-value`, record
/// `scenario.Contribution`).
pub const CONTRIBUTION_SCHEMA: &str = r#"{
  "type": "record", "name": "Contribution", "namespace": "scenario",
  "doc": "One partner's spending in one month and category: aggregates only.",
  "fields": [
    {"name": "partner", "type": "string"},
    {"name": "month", "type": "string", "doc": "YYYY-MM"},
    {"name": "category", "type": "string"},
    {"name": "sum_cents", "type": "long", "doc": "total spending, in cents"},
    {"name": "customers", "type": "long", "doc": "distinct customers (at least k)"}
  ]
}"#;

/// Version 2 of the contribution: adds `currency` with a default, so
/// readers of either version read records of both (BACKWARD compatible).
pub const CONTRIBUTION_SCHEMA_V2: &str = r#"{
  "type": "record", "name": "Contribution", "namespace": "scenario",
  "doc": "One partner's spending in one month and category: aggregates only.",
  "fields": [
    {"name": "partner", "type": "string"},
    {"name": "month", "type": "string", "doc": "YYYY-MM"},
    {"name": "category", "type": "string"},
    {"name": "sum_cents", "type": "long", "doc": "total spending, in cents"},
    {"name": "customers", "type": "long", "doc": "distinct customers (at least k)"},
    {"name": "currency", "type": "string", "default": "EUR"}
  ]
}"#;

/// A global average (zone B's registry, record `scenario.GlobalAverage`).
pub const GLOBAL_AVERAGE_SCHEMA: &str = r#"{
  "type": "record", "name": "GlobalAverage", "namespace": "scenario",
  "fields": [
    {"name": "month", "type": "string"},
    {"name": "category", "type": "string"},
    {"name": "sum_cents", "type": "long"},
    {"name": "customers", "type": "long"},
    {"name": "partners", "type": "int"},
    {"name": "average", "type": "double"}
  ]
}"#;

/// A contribution as version 2 writes it.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct ContributionV2 {
    /// The partner's id.
    pub partner: String,
    /// `YYYY-MM`.
    pub month: String,
    /// The category.
    pub category: String,
    /// Total spending, in cents.
    pub sum_cents: i64,
    /// Distinct customers.
    pub customers: i64,
    /// The currency of the sums.
    pub currency: String,
}

impl TryFrom<Contribution> for ContributionV2 {
    type Error = String;

    fn try_from(c: Contribution) -> Result<Self, String> {
        Ok(ContributionV2 {
            partner: c.partner,
            month: c.month,
            category: c.category,
            sum_cents: c.sum_cents,
            customers: i64::try_from(c.customers)
                .map_err(|_| format!("{} customers do not fit in an Avro long", c.customers))?,
            currency: "EUR".into(),
        })
    }
}

fn codec<T>(schema: &str) -> Avro<T> {
    // The schemas are constants, parsed by this module's tests.
    let schema = Schema::parse_str(schema).expect("the scenario's Avro schemas parse");
    Avro::with_schema(schema).expect("the scenario's Avro schemas resolve")
}

/// The Avro codec of contributions (version 1).
pub fn contributions() -> Avro<Contribution> {
    codec(CONTRIBUTION_SCHEMA)
}

/// The Avro codec of contributions, version 2.
pub fn contributions_v2() -> Avro<ContributionV2> {
    codec(CONTRIBUTION_SCHEMA_V2)
}

/// The Avro codec of global averages.
pub fn global_averages() -> Avro<GlobalAverage> {
    codec(GLOBAL_AVERAGE_SCHEMA)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schemas_parse_and_version_2_is_backward_compatible() {
        let (v1, v2) = (contributions(), contributions_v2());
        let _ = global_averages();
        wayang_api::kafka::avro::schema_compatibility::SchemaCompatibility::can_read(
            v1.schema(),
            v2.schema(),
        )
        .unwrap();
        wayang_api::kafka::avro::schema_compatibility::SchemaCompatibility::can_read(
            v2.schema(),
            v1.schema(),
        )
        .unwrap();
    }
}
