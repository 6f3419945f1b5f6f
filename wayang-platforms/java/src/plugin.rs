//! The java platform's plugin: its mappings, defaults and executor.

use std::sync::Arc;

use wayang_core::config::Configuration;
use wayang_core::plugin::JobPreparer;
use wayang_core::{Executor, Mapping, Platform, Plugin, Result};

use crate::executor::JavaExecutor;

/// The java platform.
pub const JAVA: Platform = Platform::new("java");

/// Configuration key: buffer size of text file writers, in bytes.
pub const TEXT_FILE_BUFFER_KEY: &str = "wayang.java.text_file.buffer_bytes";

/// The java platform's plugin.
#[derive(Clone, Copy, Debug, Default)]
pub struct JavaPlugin;

/// The plugin to register: `WayangContext::new().with(wayang_java::plugin())`.
pub fn plugin() -> JavaPlugin {
    // A worker process of a remote platform reads Kafka with the plan's own
    // source operators: any program running a Kafka plan makes a plugin.
    wayang_kafka::remote::install();
    JavaPlugin
}

impl Plugin for JavaPlugin {
    fn platform(&self) -> Platform {
        JAVA
    }

    fn mappings(&self) -> Vec<Arc<dyn Mapping>> {
        crate::mappings::mappings()
    }

    fn default_configuration(&self) -> Vec<(&'static str, String)> {
        vec![(TEXT_FILE_BUFFER_KEY, (1usize << 16).to_string())]
    }

    fn preparers(&self) -> Vec<Arc<dyn JobPreparer>> {
        vec![wayang_kafka::preparer()]
    }

    fn create_executor(&self, _config: &Configuration) -> Result<Box<dyn Executor>> {
        Ok(Box::new(JavaExecutor))
    }
}
