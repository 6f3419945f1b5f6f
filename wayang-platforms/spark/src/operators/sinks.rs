//! SparkLocalCallbackSink and SparkTextFileSink: every partition in parallel;
//! output becomes visible only once the whole job succeeded.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use tempfile::NamedTempFile;
use wayang_core::operators::{Callback, FileCommit};
use wayang_core::{Channel, Error, Operator, Result, TaskContext};

use super::{inputs, mismatch};
use crate::rdd::materialize;

/// SparkLocalCallbackSink: collects the partitions in parallel and delivers
/// them in order on success, or calls the user's function from every task.
pub(crate) fn local_callback(
    op: &Operator,
    channels: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::LocalCallbackSink(sink) = op else {
        return Err(mismatch(op, "local callback sink"));
    };
    let [parts] = inputs(channels)?;
    let probe = ctx.probe();
    probe.mark_started();
    match &sink.callback {
        Callback::Collect(target) => {
            let parts = materialize(&sink.input_type, parts)?;
            probe.add_records(parts.iter().map(|p| p.len() as u64).sum());
            let target = target.clone();
            ctx.on_success(Box::new(move || target.deliver(parts)));
        }
        Callback::ForEach(f) => {
            let seen = parts
                .into_par_iter()
                .map(|part| f.consume(part))
                .collect::<Result<Vec<u64>>>()?;
            probe.add_records(seen.into_iter().sum());
        }
    }
    probe.mark_finished();
    Ok(None)
}

/// SparkTextFileSink: every task writes its partition to a part file next to
/// the target; the parts are joined in order into one temporary file, which
/// replaces the target when the job succeeds.
pub(crate) fn text_file(
    op: &Operator,
    channels: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::TextFileSink(sink) = op else {
        return Err(mismatch(op, "text file sink"));
    };
    let [parts] = inputs(channels)?;
    let label = ctx.label().to_string();
    let io_error = |action: &'static str, path: &Path, source: std::io::Error| Error::Io {
        operator: label.clone(),
        action,
        path: path.to_path_buf(),
        source,
    };
    let directory = match sink.path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let temporary = |directory: &Path| {
        tempfile::Builder::new()
            .prefix(".wayang-")
            .suffix(".tmp")
            .tempfile_in(directory)
            .map_err(|e| io_error("cannot create a temporary file next to", &sink.path, e))
    };
    ctx.probe().mark_started();
    let written = parts
        .into_par_iter()
        .map(|part| -> Result<(NamedTempFile, u64)> {
            let file = temporary(&directory)?;
            let mut out = BufWriter::with_capacity(1 << 16, file.as_file());
            let count = sink
                .formatter
                .write_lines(part, &mut out)?
                .map_err(|e| io_error("cannot write", &sink.path, e))?;
            out.flush()
                .map_err(|e| io_error("cannot write", &sink.path, e))?;
            drop(out);
            Ok((file, count))
        })
        .collect::<Result<Vec<_>>>()?;
    let joined = temporary(&directory)?;
    let mut records = 0;
    for (part, count) in written {
        let mut source: &File = part.as_file();
        source
            .seek(SeekFrom::Start(0))
            .map_err(|e| io_error("cannot read back", part.path(), e))?;
        std::io::copy(&mut source, &mut joined.as_file())
            .map_err(|e| io_error("cannot write", &sink.path, e))?;
        records += count;
    }
    ctx.probe().add_records(records);
    ctx.probe().mark_finished();
    ctx.on_success(Box::new(FileCommit::new(
        joined,
        sink.path.clone(),
        ctx.label().to_string(),
    )));
    Ok(None)
}
