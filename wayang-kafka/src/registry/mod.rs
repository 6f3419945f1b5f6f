//! Confluent Schema Registry support: each cluster's registry (named by its
//! properties, with its own credentials), a REST client that caches
//! schemas per id and subjects per schema, and an embedded registry for
//! tests and demos.
//!
//! The formats themselves (Avro, JSON Schema, Protobuf) live in
//! `wayang_core::formats`; they reach the registry through
//! [`wayang_core::formats::registry::SchemaRegistry`], which
//! [`registry_for`] provides for a cluster.

mod client;
mod compatibility;
mod config;
pub mod embedded;

pub use client::registry_for;
pub use compatibility::Compatibility;
pub use config::DEFAULT_REQUEST_TIMEOUT;

/// Checks `cluster`'s Schema Registry settings (if it names a registry):
/// the address's scheme, the credentials' source and shape, the timeout.
pub(crate) fn validate(
    cluster: &wayang_core::kafka::KafkaCluster,
) -> Result<(), crate::KafkaError> {
    config::RegistryConfig::of(cluster).map(drop)
}
