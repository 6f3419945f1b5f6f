//! Per-operator measurements and per-job failure state, shared by every task.
//!
//! Operators are lazy: most of their work happens when a downstream operator
//! pulls records. So the framework cannot time or guard an operator by
//! wrapping one function call; instead each operator's output stream is
//! wrapped in an [`Instrumented`] iterator that counts records, notes when the
//! operator first ran and when it finished, turns a panic in user code or a
//! rejected record ([`RecordFailure`]) into a job failure attributed to that
//! operator, and stops once the job has failed anywhere. All of it happens
//! once per batch, not per record.
//!
//! That last rule is what keeps a failed job from publishing wrong results:
//! a failed stream ends, and an aggregation downstream of it cannot tell a
//! cut-off input from a finished one. So a record is handed downstream only
//! if the job has not failed by the time it was computed: whatever an
//! operator derives from a cut-off input is dropped before any sink sees it.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::data::{Batch, BoxBatches, RecordFailure};
use crate::error::Error;
use crate::operators::OperatorKind;
use crate::plan::NodeId;

/// How an operator is named in errors and reports: its kind, the name the
/// user gave it (if any) and its node number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorLabel {
    /// The abstract operator's kind.
    pub kind: OperatorKind,
    /// The name given with `named(..)`.
    pub name: Option<String>,
    /// The node in the plan.
    pub node: NodeId,
}

impl fmt::Display for OperatorLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{} {:?} (#{})", self.kind, name, self.node.0),
            None => write!(f, "{} #{}", self.kind, self.node.0),
        }
    }
}

/// The failure state of one job, shared by all its tasks and threads.
#[derive(Default)]
pub struct JobState {
    failed: AtomicBool,
    first_error: Mutex<Option<Error>>,
}

impl JobState {
    /// Records a failure; the first one wins, later ones are logged only.
    pub fn fail(&self, error: Error) {
        let mut slot = self
            .first_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            tracing::debug!(%error, "job failed");
            *slot = Some(error);
        } else {
            tracing::debug!(%error, "further failure after the job had failed");
        }
        self.failed.store(true, Ordering::Release);
    }

    /// Whether any task has failed.
    pub fn has_failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// Takes the first recorded failure.
    pub fn take_error(&self) -> Option<Error> {
        self.first_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// Measurements of one operator, updated from any thread.
pub struct OperatorProbe {
    label: OperatorLabel,
    job: Arc<JobState>,
    records_out: AtomicU64,
    span: Mutex<Span>,
    counters: Mutex<BTreeMap<&'static str, u64>>,
}

#[derive(Default, Clone, Copy)]
struct Span {
    first: Option<Instant>,
    last: Option<Instant>,
}

impl OperatorProbe {
    /// A probe for one operator of a job.
    pub fn new(label: OperatorLabel, job: Arc<JobState>) -> Self {
        OperatorProbe {
            label,
            job,
            records_out: AtomicU64::new(0),
            span: Mutex::new(Span::default()),
            counters: Mutex::new(BTreeMap::new()),
        }
    }

    /// The operator this probe measures.
    pub fn label(&self) -> &OperatorLabel {
        &self.label
    }

    /// The job's failure state.
    pub fn job(&self) -> &Arc<JobState> {
        &self.job
    }

    /// Fails the job with an error of this operator.
    pub fn fail(&self, error: Error) {
        self.job.fail(error);
    }

    /// Fails the job with an [`Error::Execution`] naming this operator.
    pub fn fail_with(&self, reason: impl Into<String>) {
        self.fail(Error::Execution {
            operator: self.label.to_string(),
            reason: reason.into(),
        });
    }

    /// Adds records this operator emitted (sinks: records they consumed).
    pub fn add_records(&self, records: u64) {
        self.records_out.fetch_add(records, Ordering::Relaxed);
    }

    /// Adds to a named counter shown in the job report (e.g. skipped records).
    pub fn add_counter(&self, name: &'static str, value: u64) {
        *self
            .counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(name)
            .or_default() += value;
    }

    /// Notes that the operator started working now (keeps the earliest).
    pub fn mark_started(&self) {
        let now = Instant::now();
        let mut span = self.span.lock().unwrap_or_else(PoisonError::into_inner);
        if span.first.is_none_or(|first| now < first) {
            span.first = Some(now);
        }
    }

    /// Notes that the operator finished a piece of work now (keeps the latest).
    pub fn mark_finished(&self) {
        let now = Instant::now();
        let mut span = self.span.lock().unwrap_or_else(PoisonError::into_inner);
        if span.last.is_none_or(|last| now > last) {
            span.last = Some(now);
        }
    }

    /// Records emitted so far.
    pub fn records(&self) -> u64 {
        self.records_out.load(Ordering::Relaxed)
    }

    /// Wall time from the first pull to the last completion (zero if it never ran).
    pub fn active(&self) -> Duration {
        let span = *self.span.lock().unwrap_or_else(PoisonError::into_inner);
        match (span.first, span.last) {
            (Some(first), Some(last)) => last.saturating_duration_since(first),
            _ => Duration::ZERO,
        }
    }

    /// The named counters.
    pub fn counters(&self) -> BTreeMap<&'static str, u64> {
        self.counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Runs `work`, turning a panic into a failure of this operator (and a
    /// [`fail_record`] into an [`Error::Execution`] with its reason).
    pub fn guard<R>(&self, work: impl FnOnce() -> R) -> Option<R> {
        match catch_unwind(AssertUnwindSafe(work)) {
            Ok(result) => Some(result),
            Err(payload) => {
                let error = match payload.downcast::<RecordFailure>() {
                    Ok(failure) => Error::Execution {
                        operator: self.label.to_string(),
                        reason: failure.0,
                    },
                    Err(payload) => Error::UdfPanicked {
                        operator: self.label.to_string(),
                        message: panic_message(payload.as_ref()),
                    },
                };
                self.fail(error);
                None
            }
        }
    }
}

/// Fails the running operator with `reason` from inside a user function:
/// the job fails with an [`Error::Execution`] naming the operator. It
/// unwinds (without running the panic hook, so nothing is printed): for
/// code that cannot return a [`RecordFailure`] in its stream, such as a
/// fallible reduce function deep inside an aggregation.
pub fn fail_record(reason: String) -> ! {
    std::panic::resume_unwind(Box::new(RecordFailure(reason)))
}

/// Extracts the message of a panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else if let Some(failure) = payload.downcast_ref::<RecordFailure>() {
        failure.0.clone()
    } else {
        "panic with a non-text payload".to_string()
    }
}

/// An operator's output stream, measured and guarded batch by batch (see
/// the module docs).
pub struct Instrumented<T> {
    inner: BoxBatches<T>,
    tally: Tally,
}

impl<T> Instrumented<T> {
    /// Wraps an operator's output.
    pub fn new(inner: BoxBatches<T>, probe: Arc<OperatorProbe>) -> Self {
        Instrumented {
            inner,
            tally: Tally::new(probe),
        }
    }
}

impl<T> Iterator for Instrumented<T> {
    type Item = Batch<T>;

    fn next(&mut self) -> Option<Batch<T>> {
        if self.tally.done {
            return None;
        }
        self.tally.start();
        let inner = &mut self.inner;
        let probe = &self.tally.probe;
        match probe.guard(|| inner.next()) {
            // Checked after the batch was computed: if the job failed
            // meanwhile, the batch may derive from a cut-off input.
            Some(Some(Ok(batch))) if !probe.job.has_failed() => {
                self.tally.add(batch.len() as u64);
                Some(Ok(batch))
            }
            Some(Some(Err(RecordFailure(reason)))) => {
                probe.fail_with(reason);
                self.tally.finish();
                None
            }
            Some(_) | None => {
                self.tally.finish();
                None
            }
        }
    }
}

/// An operator's output as its probe sees it: when it started, how many
/// records it handed on (added to the probe's shared counter once, at the
/// end), when it finished (at its end, or when dropped after starting).
pub struct Tally {
    probe: Arc<OperatorProbe>,
    pending: u64,
    started: bool,
    done: bool,
}

impl Tally {
    /// A tally for `probe`'s operator, not yet started.
    pub fn new(probe: Arc<OperatorProbe>) -> Self {
        Tally {
            probe,
            pending: 0,
            started: false,
            done: false,
        }
    }

    /// Marks the operator started, the first time.
    #[inline]
    pub fn start(&mut self) {
        if !self.started {
            self.started = true;
            self.probe.mark_started();
        }
    }

    /// Counts `records` handed on.
    #[inline]
    pub fn add(&mut self, records: u64) {
        self.pending += records;
    }

    /// Whether the job has failed anywhere.
    #[inline]
    pub fn job_failed(&self) -> bool {
        self.probe.job.has_failed()
    }

    /// Publishes the count and marks the operator finished, once.
    pub fn finish(&mut self) {
        if !self.done {
            self.done = true;
            self.probe.add_records(self.pending);
            self.pending = 0;
            self.probe.mark_finished();
        }
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        if self.started {
            self.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batches<T: Send + 'static>(
        records: impl Iterator<Item = T> + Send + 'static,
    ) -> BoxBatches<T> {
        Box::new(crate::data::chunked(records))
    }

    fn records<T>(stream: Instrumented<T>) -> Vec<T> {
        stream.flat_map(|batch| batch.unwrap()).collect()
    }

    fn probe() -> Arc<OperatorProbe> {
        let label = OperatorLabel {
            kind: OperatorKind::Map,
            name: Some("double".into()),
            node: NodeId(3),
        };
        Arc::new(OperatorProbe::new(label, Arc::new(JobState::default())))
    }

    #[test]
    fn counts_records_and_spans() {
        let probe = probe();
        let out = records(Instrumented::new(batches(0..5u32), probe.clone()));
        assert_eq!(out.len(), 5);
        assert_eq!(probe.records(), 5);
        assert!(!probe.job().has_failed());
    }

    #[test]
    fn panic_becomes_a_located_failure() {
        let probe = probe();
        let stream = (0..10u32).map(|x| if x == 3 { panic!("boom at {x}") } else { x });
        let out = records(Instrumented::new(batches(stream), probe.clone()));
        // The batch the panic cut short is dropped with it.
        assert!(out.is_empty(), "{out:?}");
        let error = probe
            .job()
            .take_error()
            .expect("failure recorded")
            .to_string();
        assert_eq!(
            error,
            "operator Map \"double\" (#3): user function panicked: boom at 3"
        );
    }

    #[test]
    fn a_record_failure_is_an_execution_error() {
        let probe = probe();
        let stream = (0..5u32).map(|x| {
            if x == 2 {
                fail_record(format!("bad record {x}"))
            } else {
                x
            }
        });
        let out = records(Instrumented::new(batches(stream), probe.clone()));
        assert!(out.is_empty(), "{out:?}");
        let error = probe.job().take_error().unwrap();
        assert!(matches!(error, Error::Execution { .. }), "{error:?}");
        assert_eq!(
            error.to_string(),
            "operator Map \"double\" (#3) failed: bad record 2"
        );
    }

    #[test]
    fn a_failure_value_ends_the_stream_after_the_batches_before_it() {
        let probe = probe();
        let stream: Vec<Batch<u32>> = vec![
            Ok(vec![1, 2]),
            Err(RecordFailure("bad record 3".into())),
            Ok(vec![4]),
        ];
        let out = records(Instrumented::new(
            Box::new(stream.into_iter()),
            probe.clone(),
        ));
        assert_eq!(out, [1, 2]);
        assert_eq!(probe.records(), 2);
        assert_eq!(
            probe.job().take_error().unwrap().to_string(),
            "operator Map \"double\" (#3) failed: bad record 3"
        );
    }

    #[test]
    fn stops_when_the_job_failed_elsewhere() {
        let probe = probe();
        probe.job().fail(Error::internal("elsewhere"));
        let out = records(Instrumented::new(batches(0..10u32), probe.clone()));
        assert!(out.is_empty());
    }

    #[test]
    fn nothing_computed_after_a_failure_is_handed_on() {
        // An aggregation over a stream that fails half-way: its result is
        // computed from a cut-off input and must not reach anyone.
        let probe = probe();
        let job = probe.job().clone();
        let source = Instrumented::new(
            batches((0..10u32).inspect(move |x| {
                if *x == 5 {
                    job.fail(Error::internal("source broke"));
                }
            })),
            probe.clone(),
        );
        let source = crate::data::Records::new(Box::new(source));
        let sum = std::iter::once_with(move || source.sum::<u32>());
        let out = records(Instrumented::new(batches(sum), probe.clone()));
        assert!(out.is_empty(), "a partial sum escaped: {out:?}");
        assert!(probe.job().has_failed());
    }

    #[test]
    fn first_failure_wins() {
        let job = JobState::default();
        job.fail(Error::plan("first"));
        job.fail(Error::plan("second"));
        assert_eq!(job.take_error().unwrap().to_string(), "invalid plan: first");
    }
}
