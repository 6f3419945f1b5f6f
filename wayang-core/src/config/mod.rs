//! Layered configuration: defaults, then plugin defaults, then a user file,
//! then values set in code; a later layer overrides an earlier one.
//!
//! Keys are dotted (`wayang.java.text_file.buffer_bytes`); each is documented
//! where it is read, and `docs/configuration.md` lists them all.

mod properties;

pub use properties::{parse_properties, read_properties, Property};

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{Error, Result};

/// Where a configuration value came from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    /// wayang-core's own defaults.
    Defaults,
    /// A plugin's defaults.
    Plugin(&'static str),
    /// A file loaded with [`Configuration::load_file`].
    File(PathBuf),
    /// Set in code with [`Configuration::set`].
    Code,
}

impl Layer {
    fn rank(&self) -> u8 {
        match self {
            Layer::Defaults => 0,
            Layer::Plugin(_) => 1,
            Layer::File(_) => 2,
            Layer::Code => 3,
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Layer::Defaults => f.write_str("defaults"),
            Layer::Plugin(name) => write!(f, "{name} plugin defaults"),
            Layer::File(path) => write!(f, "{}", path.display()),
            Layer::Code => f.write_str("code"),
        }
    }
}

/// A set of configuration values in layers.
#[derive(Clone, Debug, Default)]
pub struct Configuration {
    // Kept sorted by rank, then by insertion; lookups scan from the back.
    layers: Vec<(Layer, BTreeMap<String, String>)>,
}

impl Configuration {
    /// An empty configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a value in the code layer (the highest).
    pub fn set(&mut self, key: impl Into<String>, value: impl ToString) -> &mut Self {
        self.layer_mut(Layer::Code)
            .insert(key.into(), value.to_string());
        self
    }

    /// Adds a plugin's defaults (below files and code).
    pub fn add_plugin_defaults(
        &mut self,
        plugin: &'static str,
        values: Vec<(&'static str, String)>,
    ) {
        let layer = self.layer_mut(Layer::Plugin(plugin));
        for (key, value) in values {
            layer.insert(key.to_string(), value);
        }
    }

    /// Loads a `.properties` file as a layer above plugin defaults and
    /// below values set in code.
    pub fn load_file(&mut self, path: impl AsRef<Path>) -> Result<&mut Self> {
        let path = path.as_ref();
        let properties = read_properties(path)?;
        let layer = self.layer_mut(Layer::File(path.to_path_buf()));
        for property in properties {
            layer.insert(property.key, property.value);
        }
        Ok(self)
    }

    /// The value of `key`, from the highest layer that has it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.lookup(key).map(|(_, value)| value)
    }

    /// The value of `key` parsed as `T`, or `default` if unset. A value that
    /// does not parse is an error naming the key, value and layer.
    pub fn get_or<T: FromStr>(&self, key: &str, default: T) -> Result<T> {
        match self.lookup(key) {
            None => Ok(default),
            Some((layer, value)) => value.trim().parse().map_err(|_| {
                Error::Configuration(format!(
                    "{key} = {value:?} (from {layer}) is not a valid {}",
                    std::any::type_name::<T>()
                ))
            }),
        }
    }

    /// Every key set in any layer.
    pub fn keys(&self) -> std::collections::BTreeSet<&str> {
        self.layers
            .iter()
            .flat_map(|(_, values)| values.keys().map(String::as_str))
            .collect()
    }

    /// The layer `key`'s value comes from.
    pub fn source_of(&self, key: &str) -> Option<&Layer> {
        self.lookup(key).map(|(layer, _)| layer)
    }

    fn lookup(&self, key: &str) -> Option<(&Layer, &str)> {
        self.layers
            .iter()
            .rev()
            .find_map(|(layer, values)| values.get(key).map(|v| (layer, v.as_str())))
    }

    fn layer_mut(&mut self, layer: Layer) -> &mut BTreeMap<String, String> {
        let position = match self.layers.iter().position(|(l, _)| *l == layer) {
            Some(position) => position,
            None => {
                let at = self
                    .layers
                    .iter()
                    .position(|(l, _)| l.rank() > layer.rank())
                    .unwrap_or(self.layers.len());
                self.layers.insert(at, (layer, BTreeMap::new()));
                at
            }
        };
        &mut self.layers[position].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn later_layers_override_earlier_ones_whatever_the_call_order() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "a = file\nb = file").unwrap();
        let mut config = Configuration::new();
        config.set("a", "code");
        config.load_file(file.path()).unwrap();
        config.add_plugin_defaults(
            "java",
            vec![
                ("a", "plugin".into()),
                ("b", "plugin".into()),
                ("c", "plugin".into()),
            ],
        );
        assert_eq!(config.get("a"), Some("code"));
        assert_eq!(config.get("b"), Some("file"));
        assert_eq!(config.get("c"), Some("plugin"));
        assert_eq!(config.source_of("c"), Some(&Layer::Plugin("java")));
        assert_eq!(config.get("d"), None);
    }

    #[test]
    fn typed_values_and_errors() {
        let mut config = Configuration::new();
        config.set("n", " 42 ").set("bad", "lots");
        assert_eq!(config.get_or("n", 0usize).unwrap(), 42);
        assert_eq!(config.get_or("missing", 7usize).unwrap(), 7);
        let error = config.get_or("bad", 0usize).unwrap_err().to_string();
        assert_eq!(
            error,
            "configuration: bad = \"lots\" (from code) is not a valid usize"
        );
    }

    #[test]
    fn missing_file_is_an_error() {
        let error = Configuration::new()
            .load_file("/no/such.properties")
            .unwrap_err();
        // A file that cannot be read has no line to blame.
        assert_eq!(
            error.to_string(),
            "cannot read the configuration file /no/such.properties"
        );
        assert!(matches!(error, Error::File { .. }), "{error:?}");
    }
}
