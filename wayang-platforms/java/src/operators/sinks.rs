//! Sinks: deliver to the driver program, or write a text file. Both make
//! their output visible only once the whole job has succeeded.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use wayang_core::operators::{Callback, FileCommit};
use wayang_core::{Channel, Error, Operator, Result, TaskContext};

use super::{mismatch, streams};
use crate::plugin::TEXT_FILE_BUFFER_KEY;

/// JavaLocalCallbackSink: collects the stream (delivered on success) or
/// calls the user's function on each record.
pub(crate) fn local_callback(
    op: &Operator,
    inputs: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::LocalCallbackSink(sink) = op else {
        return Err(mismatch(op, "local callback sink"));
    };
    let [input] = streams(inputs)?;
    ctx.probe().mark_started();
    match &sink.callback {
        Callback::Collect(target) => {
            let records = sink.input_type.collect(input)?;
            ctx.probe().add_records(records.len() as u64);
            let target = target.clone();
            ctx.on_success(Box::new(move || target.deliver(vec![records])));
        }
        Callback::ForEach(f) => {
            let probe = ctx.probe().clone();
            let seen = probe.guard(|| f.consume(input)).transpose()?.unwrap_or(0);
            ctx.probe().add_records(seen);
        }
    }
    ctx.probe().mark_finished();
    Ok(None)
}

/// JavaTextFileSink: writes the lines to a temporary file next to the target
/// and renames it over the target when the job succeeds (a failed job leaves
/// any old file untouched and no partial file behind).
pub(crate) fn text_file(
    op: &Operator,
    inputs: Vec<Channel>,
    ctx: &TaskContext<'_>,
) -> Result<Option<Channel>> {
    let Operator::TextFileSink(sink) = op else {
        return Err(mismatch(op, "text file sink"));
    };
    let [input] = streams(inputs)?;
    let label = ctx.label().to_string();
    let path = sink.path.clone();
    let io_error = move |action: &'static str, source: std::io::Error| Error::Io {
        operator: label.clone(),
        action,
        path: path.clone(),
        source,
    };
    let directory = match sink.path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let temporary = tempfile::Builder::new()
        .prefix(".wayang-")
        .suffix(".tmp")
        .tempfile_in(directory)
        .map_err(|e| io_error("cannot create a temporary file next to", e))?;
    let buffer = ctx.config().get_or(TEXT_FILE_BUFFER_KEY, 1usize << 16)?;
    ctx.probe().mark_started();
    let written = {
        let file: &File = temporary.as_file();
        let mut out = BufWriter::with_capacity(buffer, file);
        let probe = ctx.probe().clone();
        let written = probe.guard(|| sink.formatter.write_lines(input, &mut out));
        match written {
            None => 0, // the panic is recorded; the job fails
            Some(result) => {
                let count = result?.map_err(|e| io_error("cannot write", e))?;
                out.flush().map_err(|e| io_error("cannot write", e))?;
                count
            }
        }
    };
    ctx.probe().add_records(written);
    ctx.probe().mark_finished();
    ctx.on_success(Box::new(FileCommit::new(
        temporary,
        sink.path.clone(),
        ctx.label().to_string(),
    )));
    Ok(None)
}
