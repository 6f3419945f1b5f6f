//! The spark executor: runs its stages inside its own rayon thread pool.

use std::any::Any;
use std::sync::Arc;

use wayang_core::config::Configuration;
use wayang_core::job::StageRun;
use wayang_core::{Error, Executor, Result};

use crate::plugin::{cores, PARALLELISM_KEY, PARTITIONS_KEY};

/// What spark operators read from their executor.
pub struct SparkState {
    /// Worker threads.
    pub parallelism: usize,
    /// Partitions of new datasets and shuffles.
    pub partitions: usize,
    pub(crate) pool: rayon::ThreadPool,
}

pub(crate) struct SparkExecutor {
    pub(crate) state: Arc<SparkState>,
}

impl SparkExecutor {
    pub(crate) fn new(config: &Configuration) -> Result<Self> {
        let parallelism = config.get_or(PARALLELISM_KEY, cores())?.max(1);
        let partitions = config.get_or(PARTITIONS_KEY, parallelism)?.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(parallelism)
            .thread_name(|i| format!("wayang-spark-{i}"))
            .build()
            .map_err(|e| {
                Error::Configuration(format!(
                    "cannot start {parallelism} spark worker threads: {e}"
                ))
            })?;
        Ok(SparkExecutor {
            state: Arc::new(SparkState {
                parallelism,
                partitions,
                pool,
            }),
        })
    }
}

impl Executor for SparkExecutor {
    fn execute_stage(&mut self, stage: &mut StageRun<'_, '_>) -> Result<()> {
        // Parallel iterators inside the stage's tasks use this pool.
        self.state.pool.install(|| stage.run_here())
    }

    fn state(&self) -> Arc<dyn Any + Send + Sync> {
        self.state.clone()
    }
}
