//! TextFileSource: the lines of a UTF-8 text file.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::data::{AnyIter, BoxIter, DataType};
use crate::error::{Error, Result};
use crate::job::OperatorProbe;

/// Emits each line of a text file (without its `\n` or `\r\n`) as a
/// `String`, or numbered as `(line number, String)`.
#[derive(Clone, Debug)]
pub struct TextFileSource {
    /// The file to read.
    pub path: PathBuf,
    /// Whether records carry their 1-based line number.
    pub numbered: bool,
}

impl TextFileSource {
    /// A source reading `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        TextFileSource {
            path: path.into(),
            numbered: false,
        }
    }

    /// A source reading `path` as `(line number, line)`.
    pub fn numbered(path: impl Into<PathBuf>) -> Self {
        TextFileSource {
            path: path.into(),
            numbered: true,
        }
    }

    /// The record type: `String`, or `(u64, String)` when numbered.
    pub fn output_type(&self) -> DataType {
        if self.numbered {
            DataType::of::<(u64, String)>()
        } else {
            DataType::of::<String>()
        }
    }

    /// The lines starting in bytes `[start, end)` (see [`Self::open_split`]),
    /// as this source's record type.
    pub fn open(&self, start: u64, end: u64, probe: Arc<OperatorProbe>) -> Result<AnyIter> {
        let lines = self.lines(start, end, probe)?;
        Ok(if self.numbered {
            AnyIter::new(Numbered(lines))
        } else {
            AnyIter::new(lines)
        })
    }

    /// Opens the file and streams its lines. A file that cannot be opened is
    /// an error now; a read error or a line that is not UTF-8 fails the job
    /// through `probe`, naming the file and line, and ends the stream.
    pub fn open_lines(&self, probe: Arc<OperatorProbe>) -> Result<BoxIter<String>> {
        self.open_split(0, u64::MAX, probe)
    }

    /// `count` byte ranges that tile a file of `size` bytes, the last one
    /// open-ended (a file that grew since is read to its end), for
    /// [`Self::open_split`].
    pub fn splits(size: u64, count: u64) -> impl Iterator<Item = (u64, u64)> {
        (0..count).map(move |i| {
            let start = size * i / count;
            let end = if i + 1 == count {
                u64::MAX
            } else {
                size * (i + 1) / count
            };
            (start, end)
        })
    }

    /// The file's size in bytes (to plan splits).
    pub fn size(&self, probe: &OperatorProbe) -> Result<u64> {
        std::fs::metadata(&self.path)
            .map(|m| m.len())
            .map_err(|source| self.io_error(probe, "cannot open", source))
    }

    /// Streams the lines that *start* in bytes `[start, end)` of the file, as
    /// Hadoop's line splits do: a split that does not begin at 0 skips the
    /// (partial) line it begins in, and every split reads past its end to
    /// finish its last line. Splits that tile the file read every line once.
    pub fn open_split(
        &self,
        start: u64,
        end: u64,
        probe: Arc<OperatorProbe>,
    ) -> Result<BoxIter<String>> {
        Ok(Box::new(self.lines(start, end, probe)?))
    }

    fn lines(&self, start: u64, end: u64, probe: Arc<OperatorProbe>) -> Result<Lines> {
        let file = File::open(&self.path)
            .map_err(|source| self.io_error(&probe, "cannot open", source))?;
        let mut reader = BufReader::with_capacity(1 << 16, file);
        let mut position = 0;
        if start > 0 {
            // Skip to just after the first newline at or after `start - 1`: a
            // line starting exactly at `start` belongs to this split.
            reader
                .seek(SeekFrom::Start(start - 1))
                .map_err(|source| self.io_error(&probe, "cannot read", source))?;
            let mut skipped = Vec::new();
            let read = reader
                .read_until(b'\n', &mut skipped)
                .map_err(|source| self.io_error(&probe, "cannot read", source))?;
            position = start - 1 + read as u64;
        }
        // Numbering a later split costs a count of the newlines before it.
        let line = match (self.numbered, position) {
            (false, _) | (true, 0) => 1,
            (true, _) => line_number(&self.path, position).unwrap_or(0),
        };
        Ok(Lines {
            reader,
            path: self.path.clone(),
            position,
            end,
            line,
            buffer: Vec::new(),
            probe,
            done: false,
        })
    }

    fn io_error(
        &self,
        probe: &OperatorProbe,
        action: &'static str,
        source: std::io::Error,
    ) -> Error {
        Error::Io {
            operator: probe.label().to_string(),
            action,
            path: self.path.clone(),
            source,
        }
    }
}

/// The 1-based number of the line starting at byte `offset`: counted only
/// when an error needs it, so splits need not know their first line number.
fn line_number(path: &Path, offset: u64) -> Option<u64> {
    let file = File::open(path).ok()?;
    let mut reader = BufReader::with_capacity(1 << 16, file.take(offset));
    let mut count = 1u64;
    loop {
        let buffer = reader.fill_buf().ok()?;
        if buffer.is_empty() {
            return Some(count);
        }
        count += buffer.iter().filter(|b| **b == b'\n').count() as u64;
        let consumed = buffer.len();
        reader.consume(consumed);
    }
}

struct Lines {
    reader: BufReader<File>,
    path: PathBuf,
    /// The byte offset where the next line starts.
    position: u64,
    /// Lines starting at or after this belong to the next split.
    end: u64,
    /// The number of the next line (if the source is numbered).
    line: u64,
    buffer: Vec<u8>,
    probe: Arc<OperatorProbe>,
    done: bool,
}

impl Lines {
    fn fail(&mut self, line_start: u64, reason: String) -> Option<String> {
        self.done = true;
        let line = line_number(&self.path, line_start)
            .map_or_else(|| format!("byte {line_start}"), |n| n.to_string());
        self.probe
            .fail_with(format!("{}:{line}: {reason}", self.path.display()));
        None
    }
}

/// Lines with their numbers.
struct Numbered(Lines);

impl Iterator for Numbered {
    type Item = (u64, String);

    fn next(&mut self) -> Option<(u64, String)> {
        let number = self.0.line;
        self.0.next().map(|line| (number, line))
    }
}

/// A line buffer above this capacity is freed after its line.
const LARGE_LINE: usize = 1 << 20;

impl Iterator for Lines {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        if self.done || self.position >= self.end {
            self.done = true;
            return None;
        }
        self.buffer.clear();
        let line_start = self.position;
        match self.reader.read_until(b'\n', &mut self.buffer) {
            Ok(0) => {
                self.done = true;
                None
            }
            Ok(read) => {
                self.position += read as u64;
                self.line += 1;
                if self.buffer.last() == Some(&b'\n') {
                    self.buffer.pop();
                    if self.buffer.last() == Some(&b'\r') {
                        self.buffer.pop();
                    }
                }
                // Validated in place and copied out, so the buffer keeps its
                // capacity; std's validation is the fallback that locates
                // the bad byte.
                let line = match simdutf8::basic::from_utf8(&self.buffer) {
                    Ok(text) => Some(text.to_owned()),
                    Err(_) => {
                        let at = std::str::from_utf8(&self.buffer)
                            .err()
                            .map_or(0, |error| error.valid_up_to());
                        self.fail(
                            line_start,
                            format!("line is not valid UTF-8 (at byte {at} of the line)"),
                        )
                    }
                };
                // One very long line must not keep its memory for the rest
                // of the split.
                if self.buffer.capacity() > LARGE_LINE {
                    self.buffer = Vec::new();
                }
                line
            }
            Err(error) => self.fail(line_start, format!("read error: {error}")),
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
    fn splits_tile_the_file_whatever_the_boundaries() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        let text = "first\nsecond line\n\nfourth ü\nfifth\nno newline at end";
        file.write_all(text.as_bytes()).unwrap();
        let expected: Vec<&str> = text.lines().collect();
        let source = TextFileSource::new(file.path());
        let size = text.len() as u64;
        for parts in 1..=size + 1 {
            let mut all = Vec::new();
            for i in 0..parts {
                let (start, end) = (size * i / parts, size * (i + 1) / parts);
                let end = if i + 1 == parts { u64::MAX } else { end };
                all.extend(source.open_split(start, end, probe()).unwrap());
            }
            assert_eq!(all, expected, "{parts} splits");
        }
    }

    #[test]
    fn numbered_splits_know_their_line_numbers() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"a\nbb\nccc\ndddd\neeeee\n").unwrap();
        let source = TextFileSource::numbered(file.path());
        let mut all = Vec::new();
        for (start, end) in [(0, 5), (5, 11), (11, u64::MAX)] {
            let part = source
                .open(start, end, probe())
                .unwrap()
                .downcast::<(u64, String)>()
                .unwrap();
            all.extend(part);
        }
        let numbers: Vec<u64> = all.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5]);
        assert_eq!(all[3], (4, "dddd".to_string()));
    }

    #[test]
    fn an_error_in_a_later_split_still_names_the_line() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"one\ntwo\nthree\nbad \xff\n").unwrap();
        let probe = probe();
        let lines: Vec<String> = TextFileSource::new(file.path())
            .open_split(6, u64::MAX, probe.clone())
            .unwrap()
            .collect();
        assert_eq!(lines, ["three"]);
        let error = probe.job().take_error().unwrap().to_string();
        assert!(
            error.contains(&format!(
                "{}:4: line is not valid UTF-8",
                file.path().display()
            )),
            "{error}"
        );
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
