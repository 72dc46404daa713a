//! The document catalog as the console shows it: each document with its copies
//! per provider, and whether those copies still agree.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One document in a list.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentSummary {
    /// Its UUID.
    pub id: uuid::Uuid,
    /// Its title (the file name it was first seen with).
    pub title: String,
    /// A key one of its copies has.
    pub key: String,
    /// Copies catalogued.
    pub copies: i64,
    /// Bytes of its largest copy.
    pub size: i64,
    /// Its copies disagree (different SHA-256, or one marked as a conflict).
    pub drift: bool,
}

/// One page of documents.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentPage {
    /// The documents, in id order (oldest first).
    pub documents: Vec<DocumentSummary>,
    /// Whether more follow.
    pub more: bool,
    /// Documents in the whole catalog.
    pub total: i64,
}

/// One copy of a document.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyView {
    /// The provider holding it.
    pub provider_id: uuid::Uuid,
    /// Its name.
    pub provider: String,
    /// The key there.
    pub key: String,
    /// Recorded SHA-256.
    pub sha256: Option<String>,
    /// Bytes.
    pub size: i64,
    /// The provider's revision (version id, ETag or modification time).
    pub revision: Option<String>,
    /// `canonical`, `mirror`, `conflict` or `archived`.
    pub sync_status: String,
    /// When Ferry last saw it intact.
    pub last_seen_at: DateTime<Utc>,
}

/// One document with all its copies.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentDetail {
    /// Its UUID.
    pub id: uuid::Uuid,
    /// Its title.
    pub title: String,
    /// Its copies, by provider.
    pub copies: Vec<CopyView>,
    /// Its copies disagree.
    pub drift: bool,
    /// What the last re-check found, per copy, in words (after a re-check only).
    #[serde(default)]
    pub findings: Vec<String>,
}

/// Whether copies disagree: two different recorded hashes, or one marked a conflict.
#[must_use]
pub fn drifted(copies: &[CopyView]) -> bool {
    let mut hashes: Vec<&str> = copies.iter().filter_map(|c| c.sha256.as_deref()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes.len() > 1 || copies.iter().any(|c| c.sync_status == "conflict")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(sha: Option<&str>, status: &str) -> CopyView {
        CopyView {
            provider_id: uuid::Uuid::nil(),
            provider: "p".into(),
            key: "k".into(),
            sha256: sha.map(str::to_owned),
            size: 1,
            revision: None,
            sync_status: status.into(),
            last_seen_at: Utc::now(),
        }
    }

    #[test]
    fn drift_is_disagreement_or_a_conflict() {
        assert!(!drifted(&[copy(Some("a"), "canonical"), copy(Some("a"), "mirror")]));
        assert!(drifted(&[copy(Some("a"), "canonical"), copy(Some("b"), "mirror")]));
        assert!(drifted(&[copy(Some("a"), "conflict")]));
        assert!(
            !drifted(&[copy(None, "canonical"), copy(Some("a"), "mirror")]),
            "an unknown hash is not a disagreement"
        );
        assert!(!drifted(&[]));
    }
}
