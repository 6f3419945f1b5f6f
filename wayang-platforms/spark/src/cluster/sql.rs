//! Renders a [`Relation`] as Spark SQL: segments as script transformations
//! (`SELECT TRANSFORM (..) USING '<worker>'`), exchanges as `DISTRIBUTE BY`
//! (or `REPARTITION(1)`), driver inputs as temporary views.
//!
//! Nothing secret is ever written here: Spark shows the text of a query in
//! its UI, event logs and the Connect server's log.

use wayang_core::remote::{Segment, SegmentOutput, Step, WorkerRequest};

use super::relation::Relation;

/// How a relation's rows look.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `r`: a record.
    Records,
    /// `s, r`: a record tagged by side.
    Tagged,
    /// `b, s, r`: a map side's bucketed record.
    Bucketed,
}

/// What the renderer needs from its caller.
pub struct Renderer<'a> {
    /// The plan's fingerprint, sent with every segment.
    pub fingerprint: u64,
    /// The shell command that starts the worker, given the request; see
    /// [`worker_command`].
    pub command: &'a dyn Fn(&WorkerRequest) -> String,
    /// The name of the temporary view holding a driver input.
    pub view: &'a dyn Fn(wayang_core::plan::NodeId) -> String,
    /// How many partitions a driver input is spread over (one per offset
    /// range for the lines of a source the tasks read; 0: as the view is).
    pub partitions: &'a dyn Fn(wayang_core::plan::NodeId) -> usize,
    /// The broker addresses of a source or sink the tasks read or write.
    pub address: &'a dyn Fn(wayang_core::plan::NodeId) -> Option<String>,
}

impl Renderer<'_> {
    /// The query computing `relation` as rows of one column `r`.
    pub fn query(&self, relation: &Relation) -> String {
        self.render(relation).0
    }

    fn render(&self, relation: &Relation) -> (String, Shape) {
        match relation {
            // 0 partitions: read the view as it is partitioned (a cached one).
            Relation::Input(node) => (
                match (self.partitions)(*node) {
                    0 => format!("SELECT r FROM {}", (self.view)(*node)),
                    n => format!(
                        "SELECT /*+ REPARTITION({n}) */ r FROM {}",
                        (self.view)(*node)
                    ),
                },
                Shape::Records,
            ),
            Relation::Union(children) => {
                let parts: Vec<String> = children
                    .iter()
                    .map(|child| format!("SELECT r FROM ({})", self.render(child).0))
                    .collect();
                (parts.join(" UNION ALL "), Shape::Records)
            }
            Relation::Exchange {
                inputs,
                single,
                tagged,
            } => {
                let columns = if *tagged { "s, r" } else { "r" };
                let union: Vec<String> = inputs
                    .iter()
                    .map(|child| format!("SELECT b, s, r FROM ({})", self.render(child).0))
                    .collect();
                let query = if *single {
                    format!(
                        "SELECT /*+ REPARTITION(1) */ {columns} FROM ({})",
                        union.join(" UNION ALL ")
                    )
                } else {
                    format!(
                        "SELECT {columns} FROM ({}) DISTRIBUTE BY b",
                        union.join(" UNION ALL ")
                    )
                };
                (
                    query,
                    if *tagged {
                        Shape::Tagged
                    } else {
                        Shape::Records
                    },
                )
            }
            Relation::Transform { input, segment } => {
                let (from, shape) = self.render(input);
                let inputs = if shape == Shape::Tagged { "s, r" } else { "r" };
                let (outputs, out_shape) = match segment.output() {
                    SegmentOutput::Records | SegmentOutput::Delivered => {
                        ("r STRING", Shape::Records)
                    }
                    SegmentOutput::Bucketed(_) => ("b INT, s STRING, r STRING", Shape::Bucketed),
                };
                (self.transform(&from, inputs, outputs, segment), out_shape)
            }
        }
    }

    fn transform(&self, from: &str, inputs: &str, outputs: &str, segment: &Segment) -> String {
        let addresses = segment
            .steps
            .iter()
            .filter(|step| matches!(step, Step::Read(_) | Step::Write(_)))
            .filter_map(|step| Some((step.node(), (self.address)(step.node())?)))
            .collect();
        let request = WorkerRequest {
            fingerprint: self.fingerprint,
            segment: segment.clone(),
            addresses,
        };
        let delimited = "ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t'";
        format!(
            "SELECT TRANSFORM ({inputs}) {delimited} USING '{}' AS ({outputs}) {delimited} FROM ({from})",
            (self.command)(&request)
        )
    }
}

/// The shell command an executor runs for a segment: find the uploaded
/// program (`add_artifacts` puts it under a directory named after the
/// server's session), point its records at the pipe (file descriptor 3)
/// and its own stdout at stderr, and fail the task if the program ended
/// without serving the request (it did not build the same plan, or failed
/// before it reached it), whatever its exit status.
///
/// `artifact` and `args` must not contain single quotes or backslashes (the
/// command is a SQL string literal); the caller checks.
pub fn worker_command(artifact: &str, args: &[String], request: &WorkerRequest) -> String {
    let args: String = args.iter().map(|a| format!(" \"{a}\"")).collect();
    format!(
        "set -- ./*/{artifact}; d=$(mktemp); \
         {worker}={req} {done}=\"$d\" \"$1\"{args} 3>&1 1>&2; rc=$?; \
         if [ $rc -ne {status} ] && [ ! -s \"$d\" ]; then \
         echo \"{marker}the worker program: it ended (exit status $rc) without running its part of the plan \
         (fingerprint {fp:016x}): it must build the same plan on every run, see docs/spark.md\" >&2; rc={status}; fi; \
         rm -f \"$d\"; exit $rc",
        worker = wayang_core::remote::worker::WORKER_ENV,
        done = wayang_core::remote::worker::DONE_ENV,
        req = request.encode(),
        marker = wayang_core::remote::worker::ERROR_MARKER,
        fp = request.fingerprint,
        status = wayang_core::remote::worker::FAILED_STATUS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use wayang_core::plan::NodeId;
    use wayang_core::remote::Side;

    #[test]
    fn word_count_renders_as_transform_exchange_transform() {
        let relation = Relation::Transform {
            input: Box::new(Relation::Exchange {
                inputs: vec![Relation::Transform {
                    input: Box::new(Relation::Input(NodeId(0))),
                    segment: Segment {
                        buckets: 2,
                        steps: vec![Step::Apply(NodeId(1)), Step::Combine(NodeId(2), Side::Left)],
                    },
                }],
                single: false,
                tagged: false,
            }),
            segment: Segment {
                buckets: 2,
                steps: vec![Step::Merge(NodeId(2))],
            },
        };
        let command = |request: &WorkerRequest| format!("run {}", request.encode());
        let view = |node: NodeId| format!("input_{}", node.0);
        let renderer = Renderer {
            fingerprint: 0xab,
            command: &command,
            view: &view,
            partitions: &|_| 3,
            address: &|_| None,
        };
        let sql = renderer.query(&relation);
        assert_eq!(
            sql,
            "SELECT TRANSFORM (r) ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t' USING \
             'run 00000000000000ab/2:m2' AS (r STRING) ROW FORMAT DELIMITED FIELDS TERMINATED BY \
             '\\t' FROM (SELECT r FROM (SELECT b, s, r FROM (SELECT TRANSFORM (r) ROW FORMAT \
             DELIMITED FIELDS TERMINATED BY '\\t' USING 'run 00000000000000ab/2:a1,l2' AS (b INT, \
             s STRING, r STRING) ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t' FROM (SELECT /*+ \
             REPARTITION(3) */ r FROM input_0))) DISTRIBUTE BY b)"
        );
    }

    #[test]
    fn the_worker_command_has_no_single_quote() {
        let request = WorkerRequest {
            fingerprint: 1,
            segment: "2:a1".parse().unwrap(),
            addresses: Vec::new(),
        };
        let command = worker_command("wayang-worker-00ff", &["--exact".into()], &request);
        assert!(
            !command.contains('\'') && !command.contains('\\'),
            "{command}"
        );
        assert!(command.contains("./*/wayang-worker-00ff"));
    }
}
