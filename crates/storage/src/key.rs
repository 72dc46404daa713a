//! `ObjectKey`: a validated, `/`-separated path relative to a provider's root.

use std::fmt;

/// Longest key accepted, in bytes (the S3 limit).
pub const MAX_KEY_BYTES: usize = 1024;

/// Why a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Longer than [`MAX_KEY_BYTES`].
    #[error("the key is {0} bytes long; the limit is 1024")]
    TooLong(usize),
    /// Starts with `/`: keys are relative to the provider's root.
    #[error("the key starts with `/`; keys are relative to the provider's root")]
    Absolute,
    /// Contains NUL or another control character.
    #[error("the key contains a control character (U+{0:04X})")]
    ControlCharacter(u32),
    /// Has a `.` or `..` segment, or an empty one (`a//b`).
    #[error("the key has a `{0}` path segment, which no provider can store safely")]
    BadSegment(String),
}

/// A key relative to a provider's root: `/`-separated, at most 1024 bytes, no control
/// characters, no leading `/`, no `.`, `..` or empty segments. A trailing `/` is
/// allowed (S3 "folder" markers and listing prefixes end with one). The empty key is
/// the root: valid as a listing prefix, refused by providers as an object key.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// Validates `key`.
    ///
    /// # Errors
    /// [`KeyError`] saying what is wrong with it.
    pub fn new(key: impl Into<String>) -> Result<Self, KeyError> {
        let key = key.into();
        if key.len() > MAX_KEY_BYTES {
            return Err(KeyError::TooLong(key.len()));
        }
        if key.starts_with('/') {
            return Err(KeyError::Absolute);
        }
        if let Some(c) = key.chars().find(|c| c.is_control()) {
            return Err(KeyError::ControlCharacter(u32::from(c)));
        }
        let body = key.strip_suffix('/').unwrap_or(&key);
        if !body.is_empty() {
            for segment in body.split('/') {
                if segment.is_empty() || segment == "." || segment == ".." {
                    return Err(KeyError::BadSegment(segment.to_owned()));
                }
            }
        }
        Ok(Self(key))
    }

    /// The root: the empty key.
    #[must_use]
    pub fn root() -> Self {
        Self(String::new())
    }

    /// The key as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the root.
    #[must_use]
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the key ends with `/` (a folder marker or a prefix).
    #[must_use]
    pub fn is_dir_like(&self) -> bool {
        self.0.ends_with('/')
    }

    /// Whether this key lies under `prefix`, compared as plain strings (S3 semantics).
    #[must_use]
    pub fn starts_with(&self, prefix: &ObjectKey) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// The part after `prefix`, if the key starts with it.
    #[must_use]
    pub fn strip_prefix(&self, prefix: &ObjectKey) -> Option<&str> {
        self.0.strip_prefix(&prefix.0)
    }

    /// `self` followed by `tail`, validated.
    ///
    /// # Errors
    /// [`KeyError`] when the result is not a valid key.
    pub fn join(&self, tail: &str) -> Result<Self, KeyError> {
        Self::new(format!("{}{tail}", self.0))
    }

    /// The key's segments (the trailing `/` of a dir-like key yields no segment).
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.strip_suffix('/').unwrap_or(&self.0).split('/').filter(|s| !s.is_empty())
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl TryFrom<&str> for ObjectKey {
    type Error = KeyError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<String> for ObjectKey {
    type Error = KeyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

/// The rules every accepted key keeps, checked on arbitrary text: refused, or
/// relative, free of control characters and of `.`/`..`/empty segments, within
/// the length limit, unchanged by validation, and only joined into keys that keep
/// the same rules. The fuzz target (`fuzz/`) and a stable test both call this.
///
/// # Panics
/// When a rule is broken: that is the bug the fuzzer looks for.
#[doc(hidden)]
pub fn check_key_properties(text: &str) {
    let Ok(key) = ObjectKey::new(text) else { return };
    let s = key.as_str();
    assert_eq!(s, text, "validation never rewrites a key");
    assert!(s.len() <= MAX_KEY_BYTES && !s.starts_with('/') && !s.chars().any(char::is_control));
    assert!(key.segments().all(|seg| !seg.is_empty() && seg != "." && seg != ".."), "{s:?}");
    assert_eq!(ObjectKey::new(s).as_ref(), Ok(&key), "validation is stable");
    for tail in ["x", "../x", "/x", "./x", "a/b"] {
        if let Ok(joined) = key.join(tail) {
            assert!(joined.segments().all(|seg| seg != ".." && seg != "."), "{joined:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_text_never_breaks_the_key_rules() {
        // The fuzz target's property over 200,000 strings from an alphabet rich in
        // the characters that matter, with a fixed seed so a failure repeats.
        const PIECES: [&str; 14] =
            ["/", ".", "..", "a", "é", "\u{0}", "\n", "\\", " ", "%2e", "日", "\u{7f}", "\u{202e}", "x"];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut accepted = 0;
        for _ in 0..200_000 {
            let len = usize::try_from(next() % 12).unwrap_or(0);
            let text: String = (0..len).map(|_| PIECES[usize::try_from(next() % 14).unwrap_or(0)]).collect();
            check_key_properties(&text);
            accepted += usize::from(ObjectKey::new(text).is_ok());
        }
        assert!(accepted > 1_000, "the generator reaches valid keys too ({accepted})");
        check_key_properties(&"k".repeat(2_000));
    }

    #[test]
    fn ordinary_keys_pass() {
        for k in ["a", "a/b/c.txt", "dir/", "with space/+%#?&=.md", "ü/日本語", "a..b/.hidden", ""] {
            assert_eq!(ObjectKey::new(k).unwrap().as_str(), k);
        }
        assert!(ObjectKey::new("x".repeat(1024)).is_ok());
    }

    #[test]
    fn hostile_keys_are_refused() {
        assert_eq!(ObjectKey::new("/etc/passwd"), Err(KeyError::Absolute));
        assert_eq!(ObjectKey::new("a/../b"), Err(KeyError::BadSegment("..".into())));
        assert_eq!(ObjectKey::new(".."), Err(KeyError::BadSegment("..".into())));
        assert_eq!(ObjectKey::new("a/./b"), Err(KeyError::BadSegment(".".into())));
        assert_eq!(ObjectKey::new("a//b"), Err(KeyError::BadSegment(String::new())));
        assert_eq!(ObjectKey::new("a\0b"), Err(KeyError::ControlCharacter(0)));
        assert_eq!(ObjectKey::new("a\nb"), Err(KeyError::ControlCharacter(10)));
        assert_eq!(ObjectKey::new("x".repeat(1025)), Err(KeyError::TooLong(1025)));
        assert!(ObjectKey::new("/").is_err());
    }

    #[test]
    fn prefixes_and_segments() {
        let key = ObjectKey::new("docs/2024/report.pdf").unwrap();
        let prefix = ObjectKey::new("docs/").unwrap();
        assert!(key.starts_with(&prefix));
        assert_eq!(key.strip_prefix(&prefix), Some("2024/report.pdf"));
        assert_eq!(key.segments().collect::<Vec<_>>(), ["docs", "2024", "report.pdf"]);
        assert_eq!(prefix.join("a.txt").unwrap().as_str(), "docs/a.txt");
        assert!(prefix.join("../x").is_err());
        assert!(ObjectKey::root().is_root());
        assert!(prefix.is_dir_like());
    }
}
