//! TextFileSink: write each record as a line of a text file.

use std::io::{self, Write};
use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::Arc;

use crate::data::{AnyIter, Data, DataType};
use crate::error::Result;

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
