//! WordCount on a generated file, checked against a plain-Rust count, and the
//! binary run as a user runs it.

use std::collections::HashMap;
use std::io::Write;
use std::process::Command;

use wayang_api::{PlanBuilder, WayangContext};
use wayang_examples::{tokenize, word_count};

/// A deterministic text of `lines` lines drawn from a skewed vocabulary that
/// mixes scripts, punctuation and case.
fn generate(lines: usize, seed: u64) -> String {
    let vocabulary = [
        "data",
        "Plan",
        "operator",
        "café",
        "Zürich",
        "東京",
        "서울",
        "Москва",
        "wayang",
        "kafka",
        "spark",
        "java",
        "partner",
        "average",
        "naïve",
        "x",
        "Ωmega",
        "42",
    ];
    let separators = [" ", ", ", " - ", "; ", "  ", "! ", "\t"];
    let mut state = seed;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    let mut text = String::new();
    for _ in 0..lines {
        for _ in 0..next(12) {
            // Skew: low indices are drawn far more often.
            let word = vocabulary[next(vocabulary.len()).min(next(vocabulary.len()))];
            text.push_str(word);
            text.push_str(separators[next(separators.len())]);
        }
        text.push('\n');
    }
    text
}

#[test]
fn word_count_matches_a_plain_rust_count() {
    let text = generate(5_000, 0x5eed);
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();

    let plan = PlanBuilder::new();
    let counts = word_count(&plan, file.path());
    let report = plan
        .execute(&WayangContext::new().with(wayang_java::plugin()))
        .unwrap();
    let counted: HashMap<String, u64> = counts.take().unwrap().into_iter().collect();

    let mut expected: HashMap<String, u64> = HashMap::new();
    for word in text.lines().flat_map(tokenize) {
        *expected.entry(word).or_default() += 1;
    }
    assert_eq!(counted, expected);
    assert!(
        expected.len() > 10,
        "the generated text exercises many words"
    );
    assert_eq!(report.operator("lines").unwrap().records_out, 5_000);
    let words: u64 = expected.values().sum();
    assert_eq!(report.operator("split words").unwrap().records_out, words);
    assert_eq!(
        report.operator("count per word").unwrap().records_out,
        expected.len() as u64
    );
}

#[test]
fn wordcount_binary_prints_the_sample_counts() {
    let output = Command::new(env!("CARGO_BIN_EXE_wordcount"))
        .args(["--top", "3"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["13", "its"],
        "{stdout}"
    );
    assert!(lines[3].contains("distinct"), "{stdout}");
}

#[test]
fn wordcount_binary_reports_a_missing_file() {
    let output = Command::new(env!("CARGO_BIN_EXE_wordcount"))
        .arg("/no/such/file.txt")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("cannot open /no/such/file.txt"), "{stderr}");
    assert!(stderr.contains("No such file"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
