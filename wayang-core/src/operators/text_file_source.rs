//! TextFileSource: the lines of a UTF-8 text file.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::sync::Arc;

use crate::data::BoxIter;
use crate::error::{Error, Result};
use crate::job::OperatorProbe;

/// Emits each line of a text file (without its `\n` or `\r\n`) as a `String`.
#[derive(Clone, Debug)]
pub struct TextFileSource {
    /// The file to read.
    pub path: PathBuf,
}

impl TextFileSource {
    /// A source reading `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        TextFileSource { path: path.into() }
    }

    /// Opens the file and streams its lines. A file that cannot be opened is
    /// an error now; a read error or a line that is not UTF-8 fails the job
    /// through `probe`, naming the file and line, and ends the stream.
    pub fn open_lines(&self, probe: Arc<OperatorProbe>) -> Result<BoxIter<String>> {
        let file = File::open(&self.path).map_err(|source| Error::Io {
            operator: probe.label().to_string(),
            action: "cannot open",
            path: self.path.clone(),
            source,
        })?;
        Ok(Box::new(Lines {
            reader: BufReader::with_capacity(1 << 16, file),
            path: self.path.clone(),
            line: 0,
            buffer: Vec::new(),
            probe,
            done: false,
        }))
    }
}

struct Lines {
    reader: BufReader<File>,
    path: PathBuf,
    line: usize,
    buffer: Vec<u8>,
    probe: Arc<OperatorProbe>,
    done: bool,
}

impl Lines {
    fn fail(&mut self, reason: String) -> Option<String> {
        self.done = true;
        self.probe
            .fail_with(format!("{}:{}: {reason}", self.path.display(), self.line));
        None
    }
}

impl Iterator for Lines {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        if self.done {
            return None;
        }
        self.buffer.clear();
        self.line += 1;
        match self.reader.read_until(b'\n', &mut self.buffer) {
            Ok(0) => {
                self.done = true;
                None
            }
            Ok(_) => {
                if self.buffer.last() == Some(&b'\n') {
                    self.buffer.pop();
                    if self.buffer.last() == Some(&b'\r') {
                        self.buffer.pop();
                    }
                }
                match String::from_utf8(std::mem::take(&mut self.buffer)) {
                    Ok(text) => Some(text),
                    Err(error) => self.fail(format!(
                        "line is not valid UTF-8 (at byte {} of the line)",
                        error.utf8_error().valid_up_to()
                    )),
                }
            }
            Err(error) => self.fail(format!("read error: {error}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{JobState, OperatorLabel};
    use crate::operators::OperatorKind;
    use crate::plan::NodeId;
    use std::io::Write;

    fn probe() -> Arc<OperatorProbe> {
        let label = OperatorLabel {
            kind: OperatorKind::TextFileSource,
            name: Some("input".into()),
            node: NodeId(0),
        };
        Arc::new(OperatorProbe::new(label, Arc::new(JobState::default())))
    }

    #[test]
    fn reads_lines_with_any_line_ending_and_unicode() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all("ä b\r\n\nsecond 日本\nlast".as_bytes())
            .unwrap();
        let lines: Vec<String> = TextFileSource::new(file.path())
            .open_lines(probe())
            .unwrap()
            .collect();
        assert_eq!(lines, ["ä b", "", "second 日本", "last"]);
    }

    #[test]
    fn missing_file_names_operator_and_path() {
        let error = TextFileSource::new("/no/such/file.txt")
            .open_lines(probe())
            .err()
            .unwrap();
        assert_eq!(
            error.to_string(),
            "operator TextFileSource \"input\" (#0): cannot open /no/such/file.txt"
        );
        assert!(std::error::Error::source(&error).is_some());
    }

    #[test]
    fn invalid_utf8_fails_the_job_with_file_and_line() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"ok\nbad \xff here\nnever read\n").unwrap();
        let probe = probe();
        let lines: Vec<String> = TextFileSource::new(file.path())
            .open_lines(probe.clone())
            .unwrap()
            .collect();
        assert_eq!(lines, ["ok"]);
        let error = probe.job().take_error().unwrap().to_string();
        assert!(
            error.contains(&format!(
                "{}:2: line is not valid UTF-8",
                file.path().display()
            )),
            "{error}"
        );
    }
}
