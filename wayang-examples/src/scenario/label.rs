//! Short text fields of a record (a month `YYYY-MM`, a category name) held
//! inline, so that parsing a CSV line allocates nothing for them.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How many bytes a [`Label`] holds without allocating.
const INLINE: usize = 23;

/// A piece of text that is usually short: up to 23 bytes it lives in the
/// value itself (a `Label` is 32 bytes, 8 more than a `String`; cloning
/// copies them, dropping frees nothing); longer text is boxed. It compares,
/// orders and hashes as its text, whichever way it is stored.
#[derive(Clone)]
pub struct Label(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl Label {
    /// A label of `text`.
    pub fn new(text: &str) -> Self {
        if text.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            Label(Repr::Inline {
                len: text.len() as u8,
                bytes,
            })
        } else {
            Label(Repr::Heap(text.into()))
        }
    }

    /// The text's bytes: what comparing and ordering look at, without
    /// checking them again for UTF-8 (UTF-8 orders as its bytes do).
    fn bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Repr::Heap(text) => text.as_bytes(),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline { len, bytes } => {
                // Built from a `&str` cut at its length: valid UTF-8.
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Repr::Heap(text) => text,
        }
    }
}

impl std::ops::Deref for Label {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Label {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Label {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for Label {}

impl PartialEq<str> for Label {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Label {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Label {
    fn cmp(&self, other: &Self) -> Ordering {
        self.bytes().cmp(other.bytes())
    }
}

impl Hash for Label {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Exactly as its `str` (hashers may hash strings their own way), so
        // that a map keyed by labels finds a `&str` (`Borrow<str>`).
        self.as_str().hash(state);
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for Label {
    fn from(text: &str) -> Self {
        Label::new(text)
    }
}

impl From<Label> for String {
    fn from(label: Label) -> Self {
        label.as_str().to_owned()
    }
}

impl Serialize for Label {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(LabelVisitor)
    }
}

/// Builds a label from the text a deserializer hands over, without an
/// intermediate `String` when it lends the text.
struct LabelVisitor;

impl serde::de::Visitor<'_> for LabelVisitor {
    type Value = Label;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Label, E> {
        Ok(Label::new(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;
    use std::collections::HashMap;

    fn hash(value: &impl Hash) -> u64 {
        let mut hasher = DefaultHasher::new();
        value.hash(&mut hasher);
        hasher.finish()
    }

    #[test]
    fn labels_behave_as_their_text_inline_or_boxed() {
        let long = "a category name longer than twenty-three bytes";
        for text in ["", "2025-03", "électronique", "x".repeat(23).as_str(), long] {
            let label = Label::new(text);
            assert_eq!(label.as_str(), text);
            assert_eq!(label, text);
            assert_eq!(hash(&label), hash(&text));
            assert_eq!(label.to_string(), text);
            assert_eq!(format!("{label:?}"), format!("{text:?}"));
            let json = serde_json::to_string(&label).unwrap();
            assert_eq!(json, serde_json::to_string(text).unwrap());
            assert_eq!(serde_json::from_str::<Label>(&json).unwrap(), label);
        }
        assert!(matches!(Label::new(&"x".repeat(23)).0, Repr::Inline { .. }));
        assert_eq!(std::mem::size_of::<Label>(), 32, "as documented");
        // Found by its text in a map with the hasher the framework uses.
        let mut map: HashMap<Label, u32, foldhash::fast::RandomState> = HashMap::default();
        map.insert(Label::new("books"), 1);
        map.insert(Label::new(long), 2);
        assert_eq!(map.get("books"), Some(&1));
        assert_eq!(map.get(long), Some(&2));

        assert!(matches!(Label::new(long).0, Repr::Heap(_)));
        let mut sorted = [Label::new("b"), Label::new(long), Label::new("a")];
        sorted.sort();
        let texts: Vec<&str> = sorted.iter().map(|l| l.as_str()).collect();
        assert_eq!(texts, ["a", long, "b"]);
    }
}
