//! A reader for Java-style `.properties` files, shared by the job
//! configuration and (in wayang-kafka) cluster connection files.
//!
//! Supported: `key=value` and `key: value` (spaces around the separator are
//! dropped), comment lines starting with `#` or `!`, blank lines, a trailing
//! `\` continuing a value on the next line, and the escapes `\\ \t \n \r \= \:
//! \# \! \ ` and `\uXXXX`. A line without a separator is an error rather than a
//! silently empty value, so typos are caught.

use std::path::Path;

use crate::error::{Error, Result};

/// One `key = value` entry, with the line it started on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Property {
    /// The key.
    pub key: String,
    /// The value, unescaped.
    pub value: String,
    /// The 1-based line the entry starts on.
    pub line: usize,
}

/// Reads and parses a properties file.
pub fn read_properties(path: &Path) -> Result<Vec<Property>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::File {
        action: "cannot read the configuration file",
        path: path.to_path_buf(),
        source,
    })?;
    parse_properties(&text, path)
}

/// Parses properties text; `origin` names the file in errors.
pub fn parse_properties(text: &str, origin: &Path) -> Result<Vec<Property>> {
    let error = |line: usize, reason: String| Error::ConfigurationFile {
        path: origin.to_path_buf(),
        line,
        reason,
    };
    let mut properties = Vec::new();
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    while let Some((start, raw)) = lines.next() {
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('!') {
            continue;
        }
        // Join continuation lines: an odd number of trailing backslashes.
        let mut logical = trimmed.to_string();
        while ends_with_continuation(&logical) {
            logical.pop();
            match lines.next() {
                Some((_, next)) => logical.push_str(next.trim_start()),
                None => break,
            }
        }
        let Some(split) = find_separator(&logical) else {
            // The line is not echoed: in a connection file it may hold a secret.
            return Err(error(
                start,
                "expected `key=value` but the line has no `=` or `:`".into(),
            ));
        };
        let key = unescape(logical[..split].trim_end()).map_err(|e| error(start, e))?;
        let value = unescape(logical[split + 1..].trim_start()).map_err(|e| error(start, e))?;
        if key.is_empty() {
            return Err(error(start, "empty key before the separator".into()));
        }
        properties.push(Property {
            key,
            value,
            line: start,
        });
    }
    Ok(properties)
}

fn ends_with_continuation(line: &str) -> bool {
    line.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 1
}

fn find_separator(line: &str) -> Option<usize> {
    let mut escaped = false;
    for (index, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '=' | ':' => return Some(index),
            _ => {}
        }
    }
    None
}

fn unescape(text: &str) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let code = u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 4)
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("invalid unicode escape \\u{hex}"))?;
                out.push(code);
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<(String, String, usize)>> {
        Ok(parse_properties(text, Path::new("test.properties"))?
            .into_iter()
            .map(|p| (p.key, p.value, p.line))
            .collect())
    }

    #[test]
    fn parses_the_confluent_shape() {
        let text =
            "# Required connection configs\nbootstrap.servers=pkc-1.aws.confluent.cloud:9092\n\
                    security.protocol = SASL_SSL\n! other comment\n\nsasl.username: ${KEY}\n";
        let props = parse(text).unwrap();
        assert_eq!(
            props[0],
            (
                "bootstrap.servers".into(),
                "pkc-1.aws.confluent.cloud:9092".into(),
                2
            )
        );
        assert_eq!(props[1], ("security.protocol".into(), "SASL_SSL".into(), 3));
        assert_eq!(props[2], ("sasl.username".into(), "${KEY}".into(), 6));
    }

    #[test]
    fn continuation_and_escapes() {
        let props = parse("a = one \\\n    two\nb\\=c = x\\ty\\u00e9\nempty=\n").unwrap();
        assert_eq!(props[0], ("a".into(), "one two".into(), 1));
        assert_eq!(props[1], ("b=c".into(), "x\tyé".into(), 3));
        assert_eq!(props[2], ("empty".into(), String::new(), 4));
    }

    #[test]
    fn malformed_line_names_file_and_line() {
        let error = parse("ok=1\njust some words\n").unwrap_err().to_string();
        assert_eq!(
            error,
            "configuration file test.properties:2: expected `key=value` but the line has no `=` or `:`"
        );
        let error = parse("=value").unwrap_err().to_string();
        assert!(error.contains(":1: empty key"), "{error}");
        let error = parse("k=\\u12").unwrap_err().to_string();
        assert!(error.contains("invalid unicode escape"), "{error}");
    }
}
