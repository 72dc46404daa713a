//! The overwrite decision: given the source object and what the destination holds
//! at its key, copy, overwrite or skip — and say why. Content is never judged equal
//! by size alone: equal sizes need a hash both sides know.

use ferry_model::job::OverwritePolicy;
use ferry_storage::{HashKind, ObjectMeta};

/// Why an object is not copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// The destination has the key and the policy keeps it.
    Exists,
    /// The destination's copy is as new as the source or newer.
    NotNewer,
    /// The destination has the same content (same size and hash).
    Same,
}

impl SkipReason {
    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Exists => "exists",
            SkipReason::NotNewer => "not_newer",
            SkipReason::Same => "same_content",
        }
    }

    /// A sentence for reports.
    #[must_use]
    pub fn sentence(self) -> &'static str {
        match self {
            SkipReason::Exists => {
                "the destination already has this key and the migration keeps existing objects"
            }
            SkipReason::NotNewer => "the destination's copy is at least as new as the source",
            SkipReason::Same => "the destination already holds the same content (size and SHA-256 match)",
        }
    }
}

/// What to do with one source object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The destination does not have it: copy.
    Copy,
    /// The destination has something else there: replace it (keeping the prior object).
    Overwrite,
    /// Leave it.
    Skip(SkipReason),
}

/// SHA-256 values Ferry knows besides what the providers report: the catalog's
/// record of each side, when the object has not changed since it was recorded.
#[derive(Debug, Clone, Copy, Default)]
pub struct KnownHashes<'a> {
    /// The source object's SHA-256.
    pub source: Option<&'a str>,
    /// The destination object's SHA-256.
    pub destination: Option<&'a str>,
}

fn sha256<'a>(meta: &'a ObjectMeta, recorded: Option<&'a str>) -> Option<&'a str> {
    meta.hashes.get(&HashKind::Sha256).map(String::as_str).or(recorded)
}

/// Decides for one object under `policy`.
#[must_use]
pub fn decide(
    policy: OverwritePolicy,
    source: &ObjectMeta,
    destination: Option<&ObjectMeta>,
    known: KnownHashes<'_>,
) -> Decision {
    let Some(dest) = destination else { return Decision::Copy };
    match policy {
        OverwritePolicy::SkipExisting => Decision::Skip(SkipReason::Exists),
        OverwritePolicy::Overwrite => Decision::Overwrite,
        OverwritePolicy::IfNewer => match (source.modified, dest.modified) {
            (Some(s), Some(d)) if s <= d => Decision::Skip(SkipReason::NotNewer),
            // Unknown times cannot prove the destination is newer.
            _ => Decision::Overwrite,
        },
        OverwritePolicy::IfDifferent => {
            if source.size != dest.size {
                return Decision::Overwrite;
            }
            // A hash both providers report in the same kind (not an S3 multipart ETag).
            let common = source.hashes.iter().find_map(|(kind, value)| {
                dest.hashes.get(kind).map(|other| value.eq_ignore_ascii_case(other))
            });
            let same = common.or_else(|| {
                let (s, d) = (sha256(source, known.source)?, sha256(dest, known.destination)?);
                Some(s.eq_ignore_ascii_case(d))
            });
            match same {
                Some(true) => Decision::Skip(SkipReason::Same),
                // Different, or equal sizes with no hash to compare: copy to be sure.
                Some(false) | None => Decision::Overwrite,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};
    use ferry_storage::ObjectKey;

    use super::*;

    fn meta(size: u64, sha: Option<&str>, age_days: i64) -> ObjectMeta {
        let mut m = ObjectMeta::new(ObjectKey::new("k").unwrap(), size);
        m.modified = Some(Utc::now() - Duration::days(age_days));
        if let Some(sha) = sha {
            m.hashes.insert(HashKind::Sha256, sha.to_owned());
        }
        m
    }

    #[test]
    fn a_missing_destination_is_always_copied() {
        for policy in OverwritePolicy::ALL {
            assert_eq!(decide(*policy, &meta(1, None, 0), None, KnownHashes::default()), Decision::Copy);
        }
    }

    #[test]
    fn skip_existing_and_overwrite_do_what_they_say() {
        let (s, d) = (meta(1, None, 0), meta(2, None, 0));
        assert_eq!(
            decide(OverwritePolicy::SkipExisting, &s, Some(&d), KnownHashes::default()),
            Decision::Skip(SkipReason::Exists)
        );
        assert_eq!(
            decide(OverwritePolicy::Overwrite, &s, Some(&d), KnownHashes::default()),
            Decision::Overwrite
        );
    }

    #[test]
    fn if_newer_compares_modification_times() {
        let newer = meta(1, None, 1);
        let older = meta(1, None, 5);
        assert_eq!(
            decide(OverwritePolicy::IfNewer, &newer, Some(&older), KnownHashes::default()),
            Decision::Overwrite
        );
        assert_eq!(
            decide(OverwritePolicy::IfNewer, &older, Some(&newer), KnownHashes::default()),
            Decision::Skip(SkipReason::NotNewer)
        );
        let mut undated = meta(1, None, 0);
        undated.modified = None;
        assert_eq!(
            decide(OverwritePolicy::IfNewer, &undated, Some(&older), KnownHashes::default()),
            Decision::Overwrite
        );
    }

    #[test]
    fn if_different_never_trusts_size_alone() {
        let p = OverwritePolicy::IfDifferent;
        let none = KnownHashes::default();
        assert_eq!(
            decide(p, &meta(5, None, 0), Some(&meta(6, None, 0)), none),
            Decision::Overwrite,
            "sizes differ"
        );
        assert_eq!(
            decide(p, &meta(5, None, 0), Some(&meta(5, None, 0)), none),
            Decision::Overwrite,
            "same size, no hash"
        );
        assert_eq!(
            decide(p, &meta(5, Some("AA"), 0), Some(&meta(5, Some("aa"), 0)), none),
            Decision::Skip(SkipReason::Same)
        );
        assert_eq!(
            decide(p, &meta(5, Some("aa"), 0), Some(&meta(5, Some("bb"), 0)), none),
            Decision::Overwrite
        );
        // The catalog's record fills in what a provider does not report.
        let known = KnownHashes { source: None, destination: Some("aa") };
        assert_eq!(
            decide(p, &meta(5, Some("aa"), 0), Some(&meta(5, None, 0)), known),
            Decision::Skip(SkipReason::Same)
        );
        let known = KnownHashes { source: Some("aa"), destination: Some("bb") };
        assert_eq!(decide(p, &meta(5, None, 0), Some(&meta(5, None, 0)), known), Decision::Overwrite);
    }
}
