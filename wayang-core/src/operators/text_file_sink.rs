//! TextFileSink: write each record as a line of a text file.

use std::io::{self, Write};
use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::Arc;

use crate::data::{AnyIter, Data, DataType};
use crate::error::{Error, Result};
use crate::job::Commit;

/// Formats records as text lines, erased.
pub trait LineFormatKernel: Send + Sync {
    /// Writes each record of `input` followed by `\n`; returns how many.
    /// The outer result is the framework's (a type mismatch), the inner one
    /// the writer's.
    fn write_lines(&self, input: AnyIter, out: &mut dyn Write) -> Result<io::Result<u64>>;
}

/// Writes records as lines of a UTF-8 text file. The file appears (atomically
/// replacing any old one) only when the whole job succeeded.
#[derive(Clone)]
pub struct TextFileSink {
    /// The file to write.
    pub path: PathBuf,
    /// How a record becomes a line.
    pub formatter: Arc<dyn LineFormatKernel>,
    /// The record type.
    pub input_type: DataType,
}

/// The typed [`LineFormatKernel`]: a function from a record to its line.
pub struct LineFormatter<T, F>(Arc<F>, PhantomData<fn(T)>);

impl<T, F> LineFormatter<T, F> {
    /// Wraps the formatting function.
    pub fn new(f: F) -> Self {
        LineFormatter(Arc::new(f), PhantomData)
    }
}

impl<T: Data, F: Fn(&T) -> String + Send + Sync + 'static> LineFormatKernel
    for LineFormatter<T, F>
{
    fn write_lines(&self, input: AnyIter, out: &mut dyn Write) -> Result<io::Result<u64>> {
        let input = input.downcast::<T>()?;
        let mut written = 0u64;
        for record in input {
            let line = (self.0)(&record);
            if let Err(error) = out
                .write_all(line.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
            {
                return Ok(Err(error));
            }
            written += 1;
        }
        Ok(Ok(written))
    }
}

/// The commit of a text file sink: the lines were written to a temporary
/// file next to the target; preparing syncs it to disk, committing renames
/// it over the target (atomically), aborting or dropping deletes it. A
/// failed job so leaves any old file untouched and no partial file behind.
pub struct FileCommit {
    temporary: tempfile::NamedTempFile,
    target: PathBuf,
    operator: String,
}

impl FileCommit {
    /// The commit of `temporary` to `target`, for the sink `operator`.
    pub fn new(temporary: tempfile::NamedTempFile, target: PathBuf, operator: String) -> Self {
        FileCommit {
            temporary,
            target,
            operator,
        }
    }

    fn error(&self, action: &'static str, source: io::Error) -> Error {
        Error::Io {
            operator: self.operator.clone(),
            action,
            path: self.target.clone(),
            source,
        }
    }
}

impl Commit for FileCommit {
    fn prepare(&mut self) -> Result<()> {
        self.temporary
            .as_file()
            .sync_all()
            .map_err(|e| self.error("cannot flush", e))
    }

    fn commit(self: Box<Self>) -> Result<()> {
        let FileCommit {
            temporary,
            target,
            operator,
        } = *self;
        temporary.persist(&target).map_err(|e| Error::Io {
            operator,
            action: "cannot move the finished file to",
            path: target.clone(),
            source: e.error,
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_one_line_per_record() {
        let mut out = Vec::new();
        let formatter = LineFormatter::new(|(w, n): &(String, u32)| format!("{w}\t{n}"));
        let input = vec![("ä".to_string(), 1u32), ("b".into(), 22)];
        let written = formatter
            .write_lines(AnyIter::new(input.into_iter()), &mut out)
            .unwrap()
            .unwrap();
        assert_eq!(written, 2);
        assert_eq!(String::from_utf8(out).unwrap(), "ä\t1\nb\t22\n");
    }
}
