//! WordCount's tokenizer: lowercase words, split on anything that is not a
//! letter or digit, in any script.
//!
//! It is the hot loop of WordCount (a third of a job's time with the obvious
//! `split(..).map(str::to_lowercase)`), so it decodes only the bytes that
//! are not ASCII and copies a word as it is unless lowercasing changes it.
//! The result is exactly the obvious version's (a property test holds the
//! two together).

/// Splits a line into lowercase words: maximal runs of alphanumeric
/// characters in any script ("São Paulo" is two words, "東京" one).
pub fn tokenize(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let bytes = line.as_bytes();
    // Where the current word started, and whether lowercasing changes it.
    let mut word: Option<(usize, bool)> = None;
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        let (width, in_word, changes) = if byte.is_ascii() {
            (1, byte.is_ascii_alphanumeric(), byte.is_ascii_uppercase())
        } else {
            let c = line[at..].chars().next().unwrap_or_default();
            let kind = classify(c);
            (
                c.len_utf8(),
                kind.is_some(),
                kind == Some(Lowering::Changes),
            )
        };
        match (&mut word, in_word) {
            (Some((_, lowered)), true) => *lowered |= changes,
            (None, true) => word = Some((at, changes)),
            (Some((start, lowered)), false) => {
                words.push(lowercase(&line[*start..at], *lowered));
                word = None;
            }
            (None, false) => {}
        }
        at += width;
    }
    if let Some((start, lowered)) = word {
        words.push(lowercase(&line[start..], lowered));
    }
    words
}

/// What lowercasing does to an alphanumeric character.
#[derive(PartialEq, Eq)]
enum Lowering {
    Keeps,
    Changes,
}

/// `None` for a separator; for a letter or digit, whether lowercasing
/// changes it.
fn classify(c: char) -> Option<Lowering> {
    // Lowercase letters are alphabetic and lowercase to themselves (Unicode's
    // Lowercase property is part of Alphabetic): the common case, one lookup.
    if c.is_lowercase() {
        return Some(Lowering::Keeps);
    }
    if !c.is_alphanumeric() {
        return None;
    }
    let mut lowered = c.to_lowercase();
    let keeps = lowered.next() == Some(c) && lowered.next().is_none();
    Some(if keeps {
        Lowering::Keeps
    } else {
        Lowering::Changes
    })
}

fn lowercase(word: &str, changes: bool) -> String {
    if changes {
        // The whole word, not char by char: Greek final sigma depends on
        // where in the word a Σ stands.
        word.to_lowercase()
    } else {
        word.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The obvious tokenizer, the definition the fast one must match.
    fn reference(line: &str) -> Vec<String> {
        line.split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(str::to_lowercase)
            .collect()
    }

    #[test]
    fn splits_on_non_alphanumerics_in_any_script() {
        assert_eq!(
            tokenize("São Paulo, Köln; 東京!"),
            ["são", "paulo", "köln", "東京"]
        );
        assert_eq!(
            tokenize("cross-platform data"),
            ["cross", "platform", "data"]
        );
        assert!(tokenize("  ... ").is_empty());
        assert!(tokenize("").is_empty());
    }

    #[test]
    fn lowercases_what_needs_it_as_str_to_lowercase_does() {
        for line in [
            "ÖL und Öl",
            "ΟΔΟΣ Σ ΣΑΣ",
            "İstanbul",
            "ǅemal ǈ",
            "Ⅻ roman ⅻ",
            "x²³ ½ ٣٤",
            "ﬁne Straße STRASSE",
            "wörd1 wörd22",
        ] {
            assert_eq!(tokenize(line), reference(line), "{line:?}");
        }
    }

    #[test]
    fn the_lowercase_shortcut_holds_for_every_char() {
        for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
            if c.is_lowercase() {
                assert!(c.is_alphanumeric(), "{c:?}");
                assert_eq!(c.to_lowercase().collect::<String>(), c.to_string(), "{c:?}");
            }
        }
    }

    proptest! {
        #[test]
        fn matches_the_obvious_tokenizer(line in any::<String>()) {
            prop_assert_eq!(tokenize(&line), reference(&line));
        }

        #[test]
        fn matches_it_on_mixed_scripts(line in "[a-zA-Z0-9 ,.;:öÖßΣσςİıǅ東京٣Ⅻ\t-]{0,40}") {
            prop_assert_eq!(tokenize(&line), reference(&line));
        }
    }
}
