//! Schema compatibility as the embedded registry checks it: Confluent's
//! levels, decided for Avro by Avro's own resolution rules.

use apache_avro::schema_compatibility::SchemaCompatibility;
use apache_avro::Schema;

/// A subject's compatibility level (Confluent's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compatibility {
    /// Any new version is accepted.
    None,
    /// A new version can read data written with the latest one (Confluent's default).
    Backward,
    /// ... with every earlier one.
    BackwardTransitive,
    /// The latest version can read data written with the new one.
    Forward,
    /// ... every earlier one can.
    ForwardTransitive,
    /// Both backward and forward against the latest.
    Full,
    /// Both, against every earlier one.
    FullTransitive,
}

impl Compatibility {
    /// Parses Confluent's name (`BACKWARD`, `FULL_TRANSITIVE`, ...).
    pub fn parse(name: &str) -> Option<Compatibility> {
        Some(match name {
            "NONE" => Compatibility::None,
            "BACKWARD" => Compatibility::Backward,
            "BACKWARD_TRANSITIVE" => Compatibility::BackwardTransitive,
            "FORWARD" => Compatibility::Forward,
            "FORWARD_TRANSITIVE" => Compatibility::ForwardTransitive,
            "FULL" => Compatibility::Full,
            "FULL_TRANSITIVE" => Compatibility::FullTransitive,
            _ => return None,
        })
    }

    /// Confluent's name.
    pub fn name(self) -> &'static str {
        match self {
            Compatibility::None => "NONE",
            Compatibility::Backward => "BACKWARD",
            Compatibility::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Compatibility::Forward => "FORWARD",
            Compatibility::ForwardTransitive => "FORWARD_TRANSITIVE",
            Compatibility::Full => "FULL",
            Compatibility::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    fn transitive(self) -> bool {
        matches!(
            self,
            Compatibility::BackwardTransitive
                | Compatibility::ForwardTransitive
                | Compatibility::FullTransitive
        )
    }

    /// Whether `new` may follow `earlier` (oldest first) under this level;
    /// the error says which version it conflicts with and why.
    pub fn check_avro(self, new: &Schema, earlier: &[(u32, Schema)]) -> Result<(), String> {
        let against: &[(u32, Schema)] = if self.transitive() {
            earlier
        } else {
            earlier.last().map(std::slice::from_ref).unwrap_or_default()
        };
        let backward = !matches!(
            self,
            Compatibility::None | Compatibility::Forward | Compatibility::ForwardTransitive
        );
        let forward = matches!(
            self,
            Compatibility::Forward
                | Compatibility::ForwardTransitive
                | Compatibility::Full
                | Compatibility::FullTransitive
        );
        for (version, old) in against {
            if backward {
                SchemaCompatibility::can_read(old, new).map_err(|e| {
                    format!(
                        "{}: the new schema cannot read data written with version {version}: {e}",
                        self.name()
                    )
                })?;
            }
            if forward {
                SchemaCompatibility::can_read(new, old).map_err(|e| {
                    format!(
                        "{}: version {version} cannot read data written with the new schema: {e}",
                        self.name()
                    )
                })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(fields: &str) -> Schema {
        Schema::parse_str(&format!(
            r#"{{"type":"record","name":"R","fields":[{fields}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn levels_follow_avro_resolution() {
        let v1 = schema(r#"{"name":"a","type":"string"}"#);
        let added_with_default =
            schema(r#"{"name":"a","type":"string"},{"name":"b","type":"long","default":0}"#);
        let added_without = schema(r#"{"name":"a","type":"string"},{"name":"b","type":"long"}"#);
        let removed = schema(r#"{"name":"c","type":"int","default":1}"#);
        let earlier = vec![(1, v1.clone())];
        assert!(Compatibility::Backward
            .check_avro(&added_with_default, &earlier)
            .is_ok());
        let error = Compatibility::Backward
            .check_avro(&added_without, &earlier)
            .unwrap_err();
        assert!(error.contains("version 1"), "{error}");
        assert!(Compatibility::Forward
            .check_avro(&added_without, &earlier)
            .is_ok());
        assert!(Compatibility::Full
            .check_avro(&added_with_default, &earlier)
            .is_ok());
        assert!(Compatibility::None
            .check_avro(&added_without, &earlier)
            .is_ok());
        // Transitive levels look past the latest version.
        let history = vec![(1, v1), (2, removed)];
        let back_to_a = added_without;
        assert!(Compatibility::Backward
            .check_avro(&back_to_a, &history)
            .is_err());
        assert!(Compatibility::BackwardTransitive
            .check_avro(&back_to_a, &history)
            .is_err());
        assert_eq!(
            Compatibility::parse("FULL_TRANSITIVE"),
            Some(Compatibility::FullTransitive)
        );
        assert_eq!(Compatibility::parse("full"), None);
    }
}
