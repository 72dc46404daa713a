//! What a provider knows about an object.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::ObjectKey;

/// A content hash algorithm. Values are lowercase hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HashKind {
    /// SHA-256, Ferry's own verification hash.
    Sha256,
    /// MD5 (a single-part S3 ETag is one; a multipart ETag is not).
    Md5,
    /// CRC32C.
    Crc32c,
}

/// An object's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectMeta {
    /// The key, relative to the provider's root.
    pub key: ObjectKey,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time, as the provider reports it.
    pub modified: Option<DateTime<Utc>>,
    /// An opaque token that changes when the content changes; never a hash.
    pub etag: Option<String>,
    /// The version id, on providers that keep versions.
    pub version: Option<String>,
    /// The MIME type, if known.
    pub content_type: Option<String>,
    /// User metadata; keys lowercase.
    pub user_metadata: BTreeMap<String, String>,
    /// Content hashes the provider really knows.
    pub hashes: BTreeMap<HashKind, String>,
    /// How many tags the object carries, when the read said so (S3 sends the count
    /// with every download); `None` when unknown, so the tags must be asked for.
    pub tag_count: Option<u32>,
}

impl ObjectMeta {
    /// A minimal record: key and size.
    #[must_use]
    pub fn new(key: ObjectKey, size: u64) -> Self {
        Self { key, size, ..Self::default() }
    }

    /// The SHA-256 the provider reports, if any.
    #[must_use]
    pub fn sha256(&self) -> Option<&str> {
        self.hashes.get(&HashKind::Sha256).map(String::as_str)
    }
}
