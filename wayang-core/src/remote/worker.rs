//! The worker side of remote execution: the user's own program, started by a
//! remote engine's task with a request in its environment, rebuilds its plan
//! and runs only the segment it was asked for.
//!
//! [`crate::WayangContext::execute`] checks for a request first. A plan whose
//! fingerprint matches the request's is served: records are read from stdin
//! and written to file descriptor 3 (the command the engine runs points it at
//! the engine's pipe and the program's own stdout at stderr, so anything else
//! the program prints cannot corrupt the records), then the process exits. A
//! plan that does not match is not run (it returns an empty report and its
//! collectors hold no records), so a program that builds several plans
//! reaches the one asked for. A program
//! that ends without serving its request is caught by the command's wrapper.

use std::io::{BufRead, BufWriter, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;
use std::time::Duration;

use crate::config::Configuration;
use crate::error::{Error, Result};
use crate::job::{panic_message, JobReport};
use crate::plan::{NodeId, WayangPlan};
use crate::remote::segment::Segment;

/// The environment variable carrying a worker request:
/// `<plan fingerprint, hex>/<segment>`.
pub const WORKER_ENV: &str = "WAYANG_WORKER";
/// The environment variable naming the file a worker writes once it has
/// served its request (the wrapper fails the task if it stays empty).
pub const DONE_ENV: &str = "WAYANG_WORKER_DONE";
/// How a worker's failure starts on stderr, so the driver can find the
/// worker's own message in the engine's error.
pub const ERROR_MARKER: &str = "wayang-worker-error: ";
/// The exit status of a worker that failed.
pub const FAILED_STATUS: i32 = 70;

/// What a worker was asked to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerRequest {
    /// The fingerprint of the plan the driver runs.
    pub fingerprint: u64,
    /// The part of it to run.
    pub segment: Segment,
    /// The driver's broker addresses for the nodes the task reads or writes
    /// itself (the worker's own plan may name other brokers, or none).
    pub addresses: Vec<(NodeId, String)>,
}

impl WorkerRequest {
    /// The request as the environment variable's value:
    /// `fingerprint/segment[/node=servers+node=servers]` (broker lists hold
    /// no `/`, `=` or `+`).
    pub fn encode(&self) -> String {
        let mut text = format!("{:016x}/{}", self.fingerprint, self.segment);
        for (i, (node, servers)) in self.addresses.iter().enumerate() {
            text.push(if i == 0 { '/' } else { '+' });
            text.push_str(&format!("{}={servers}", node.0));
        }
        text
    }

    /// Parses [`WorkerRequest::encode`]'s text.
    pub fn decode(text: &str) -> Result<Self> {
        let bad = || Error::internal(format!("malformed worker request {text:?}"));
        let mut parts = text.splitn(3, '/');
        let fingerprint = parts.next().ok_or_else(bad)?;
        let segment = parts.next().ok_or_else(bad)?;
        let addresses = match parts.next() {
            None => Vec::new(),
            Some(list) => list
                .split('+')
                .map(|entry| {
                    let (node, servers) = entry.split_once('=').ok_or_else(bad)?;
                    Ok((
                        NodeId(node.parse().map_err(|_| bad())?),
                        servers.to_string(),
                    ))
                })
                .collect::<Result<_>>()?,
        };
        Ok(WorkerRequest {
            fingerprint: u64::from_str_radix(fingerprint, 16).map_err(|_| bad())?,
            segment: segment.parse()?,
            addresses,
        })
    }
}

/// The request of this process, if it was started as a worker.
pub fn request() -> Option<&'static WorkerRequest> {
    static REQUEST: OnceLock<Option<WorkerRequest>> = OnceLock::new();
    REQUEST
        .get_or_init(|| {
            let text = std::env::var(WORKER_ENV).ok()?;
            match WorkerRequest::decode(&text) {
                Ok(request) => Some(request),
                Err(error) => fail(&error.to_string()),
            }
        })
        .as_ref()
}

/// Whether this process is a worker (programs may skip work a worker does not
/// need, such as generating input data, with it).
pub fn is_worker() -> bool {
    std::env::var_os(WORKER_ENV).is_some()
}

/// Serves `request` if `plan` is the plan it names (and then ends the
/// process); otherwise returns the empty report of a plan not run here.
pub(crate) fn serve(
    config: &Configuration,
    plan: &WayangPlan,
    request: &WorkerRequest,
) -> Result<JobReport> {
    if plan.fingerprint() != request.fingerprint {
        tracing::debug!("worker: skipping a plan that is not the requested one");
        // The program may read a skipped plan's results before it builds the
        // plan it was asked for (a test comparing platforms does): they are
        // empty, never an error, and nothing of them leaves this process.
        for node in plan.nodes() {
            if let crate::operators::Operator::LocalCallbackSink(sink) = &node.operator {
                if let crate::operators::Callback::Collect(kernel) = &sink.callback {
                    kernel.deliver(Vec::new())?;
                }
            }
        }
        return Ok(JobReport {
            operators: Vec::new(),
            stages: Vec::new(),
            elapsed: Duration::ZERO,
        });
    }
    let labels: Vec<String> = request
        .segment
        .steps
        .iter()
        .filter_map(|step| plan.node(step.node()).map(|n| n.label().to_string()))
        .collect();
    let outcome = catch_unwind(AssertUnwindSafe(|| run(config, plan, request)));
    let message = match outcome {
        Ok(Ok(())) => std::process::exit(0),
        Ok(Err(error)) => error.to_string(),
        Err(payload) => panic_message(payload.as_ref()),
    };
    fail(&format!("{}: {message}", labels.join(" -> ")))
}

fn run(config: &Configuration, plan: &WayangPlan, request: &WorkerRequest) -> Result<()> {
    let records = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/fd/3")
        .map_err(|e| {
            Error::internal(format!(
                "a worker writes its records to file descriptor 3, which is not open: {e}"
            ))
        })?;
    let mut out = BufWriter::with_capacity(1 << 16, records);
    // The stdin lock is not Send and the segment's decoders want a Send
    // iterator: the lines come through a bounded channel from a reader thread.
    let (sender, receiver) = std::sync::mpsc::sync_channel(4096);
    let reader = std::thread::spawn(move || {
        let lines = std::io::stdin().lock().split(b'\n').map(|line| {
            line.map_err(|e| Error::internal(format!("cannot read the stage's input: {e}")))
        });
        for line in lines {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    drop(reader);
    request.segment.run(
        config,
        plan,
        &request.addresses,
        Box::new(receiver.into_iter()),
        &mut out,
    )?;
    out.flush()
        .map_err(|e| Error::internal(format!("cannot write the stage's output: {e}")))?;
    if let Some(done) = std::env::var_os(DONE_ENV) {
        std::fs::write(&done, b"done\n")
            .map_err(|e| Error::internal(format!("cannot record that the stage ran: {e}")))?;
    }
    Ok(())
}

fn fail(message: &str) -> ! {
    let mut stderr = std::io::stderr().lock();
    // One line, so the driver can find it in the engine's error text.
    let _ = writeln!(stderr, "{ERROR_MARKER}{}", message.replace('\n', " "));
    let _ = stderr.flush();
    std::process::exit(FAILED_STATUS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip() {
        let mut request = WorkerRequest {
            fingerprint: 0xdead_beef,
            segment: "2:a1,l3".parse().unwrap(),
            addresses: Vec::new(),
        };
        assert_eq!(request.encode(), "00000000deadbeef/2:a1,l3");
        assert_eq!(WorkerRequest::decode(&request.encode()).unwrap(), request);
        request.addresses = vec![
            (NodeId(0), "127.0.0.1:9092,[::1]:9093".into()),
            (NodeId(4), "b:1".into()),
        ];
        assert_eq!(
            request.encode(),
            "00000000deadbeef/2:a1,l3/0=127.0.0.1:9092,[::1]:9093+4=b:1"
        );
        assert_eq!(WorkerRequest::decode(&request.encode()).unwrap(), request);
        assert!(WorkerRequest::decode("nothex/2:a1").is_err());
    }
}
