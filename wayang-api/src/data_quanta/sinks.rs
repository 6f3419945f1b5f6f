//! Sinks: where a plan's records end up.

use std::fmt::Display;
use std::path::PathBuf;
use std::sync::Arc;

use wayang_core::operators::{
    Callback, CollectHandle, ForEachFn, LineFormatter, LocalCallbackSink, Operator, TextFileSink,
};
use wayang_core::{Data, DataType, Result};

use super::DataQuanta;

/// The records a `collect` sink received, available once its plan has run.
pub struct Collector<T> {
    handle: CollectHandle<T>,
    label: String,
}

impl<T: Data> Collector<T> {
    /// Takes the records of the last successful execution; an error if the
    /// plan has not run (or failed) since the last `take`.
    pub fn take(&self) -> Result<Vec<T>> {
        self.handle
            .take()
            .ok_or_else(|| LocalCallbackSink::not_executed(&self.label))
    }
}

impl<T: Data> DataQuanta<T> {
    /// Collects the records into the driver program: a sink whose
    /// [`Collector`] holds them after the plan ran.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// let plan = wayang_api::PlanBuilder::new();
    /// let out = plan.read_collection(vec![1, 2]).collect();
    /// assert!(out.take().is_err()); // not executed yet
    /// plan.execute(&ctx)?;
    /// assert_eq!(out.take()?, [1, 2]);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn collect(&self) -> Collector<T> {
        let handle = CollectHandle::new();
        let sink = self.then::<()>(
            Operator::LocalCallbackSink(LocalCallbackSink {
                callback: Callback::Collect(Arc::new(handle.clone())),
                input_type: DataType::of::<T>(),
            }),
            &[],
        );
        Collector {
            handle,
            label: format!("#{}", sink.node().0),
        }
    }

    /// Calls `f` on each record as it arrives (possibly from several threads
    /// on a parallel platform). Its effects happen even if the job fails
    /// later; use `collect` or a file sink for all-or-nothing output.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// let total = std::sync::Arc::new(AtomicU64::new(0));
    /// let plan = wayang_api::PlanBuilder::new();
    /// let sum = total.clone();
    /// plan.read_collection(vec![1u64, 2, 3]).for_each(move |x| { sum.fetch_add(x, Ordering::Relaxed); });
    /// plan.execute(&ctx)?;
    /// assert_eq!(total.load(Ordering::Relaxed), 6);
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn for_each(&self, f: impl Fn(T) + Send + Sync + 'static) {
        self.then::<()>(
            Operator::LocalCallbackSink(LocalCallbackSink {
                callback: Callback::ForEach(Arc::new(ForEachFn::new(f))),
                input_type: DataType::of::<T>(),
            }),
            &[],
        );
    }

    /// Writes each record as a line (via `format`) of a UTF-8 text file. The
    /// file appears, replacing any old one, only if the whole job succeeds.
    ///
    /// ```
    /// # let ctx = wayang_core::WayangContext::new().with(wayang_java::plugin());
    /// # let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("out.tsv");
    /// let plan = wayang_api::PlanBuilder::new();
    /// plan.read_collection(vec![("a", 1)]).write_text_file_with(&path, |(w, n)| format!("{w}\t{n}"));
    /// plan.execute(&ctx)?;
    /// assert_eq!(std::fs::read_to_string(&path).unwrap(), "a\t1\n");
    /// # Ok::<(), wayang_core::Error>(())
    /// ```
    pub fn write_text_file_with(
        &self,
        path: impl Into<PathBuf>,
        format: impl Fn(&T) -> String + Send + Sync + 'static,
    ) {
        self.then::<()>(
            Operator::TextFileSink(TextFileSink {
                path: path.into(),
                formatter: Arc::new(LineFormatter::new(format)),
                input_type: DataType::of::<T>(),
            }),
            &[],
        );
    }
}

impl<T: Data + Display> DataQuanta<T> {
    /// Writes each record's `Display` form as a line of a UTF-8 text file;
    /// see [`DataQuanta::write_text_file_with`].
    pub fn write_text_file(&self, path: impl Into<PathBuf>) {
        self.write_text_file_with(path, |record| record.to_string());
    }
}
