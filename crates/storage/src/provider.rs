//! The `Provider` trait and the options and results of its operations.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use crate::{Capabilities, HashKind, ObjectKey, ObjectMeta, ProviderError, Result};

/// An object's bytes, as a stream of chunks.
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

/// A listing, one object at a time (pagination happens inside).
pub type ListStream<'a> = BoxStream<'a, Result<ObjectMeta>>;

/// Who a provider is, for logs and the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderInfo {
    /// `memory`, `local`, `s3`, …
    pub kind: &'static str,
    /// Where it points, without secrets: a folder, `bucket/prefix`, …
    pub root: String,
}

/// How to list.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// Only the objects directly under the prefix, not those in deeper "folders".
    pub shallow: bool,
}

/// How to read.
#[derive(Debug, Clone, Default)]
pub struct GetOptions {
    /// Only these bytes (needs `read_with_range`).
    pub range: Option<Range<u64>>,
    /// This version (needs `versions`).
    pub version: Option<String>,
}

/// An object being read.
pub struct GetResult {
    /// Its metadata (`size` is the whole object's, even for a range).
    pub meta: ObjectMeta,
    /// Its bytes.
    pub body: ByteStream,
}

impl fmt::Debug for GetResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetResult").field("meta", &self.meta).finish_non_exhaustive()
    }
}

/// How to write.
#[derive(Debug, Clone, Default)]
pub struct PutOptions {
    /// The size, when known (unknown sizes are legal).
    pub size: Option<u64>,
    /// The MIME type.
    pub content_type: Option<String>,
    /// User metadata (keys are lowercased by providers that do so).
    pub user_metadata: BTreeMap<String, String>,
    /// Object tags (needs `tags` when not empty: a provider without them refuses
    /// rather than dropping them).
    pub tags: BTreeMap<String, String>,
    /// The modification time to keep, where the provider can.
    pub modified: Option<DateTime<Utc>>,
    /// Refuse with `AlreadyExists` when the key exists (needs `write_if_not_exists`).
    pub if_none_match: bool,
    /// The content's SHA-256 (lowercase hex), when the caller already knows it. Every
    /// provider refuses a body that does not match it (`ChecksumMismatch`) and stores
    /// nothing.
    pub sha256: Option<String>,
}

/// What a write produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutResult {
    /// The new etag.
    pub etag: Option<String>,
    /// The new version id.
    pub version: Option<String>,
    /// Bytes written.
    pub size: u64,
    /// Content hashes the provider confirmed.
    pub hashes: BTreeMap<HashKind, String>,
    /// The SHA-256 (lowercase hex) of the bytes this write took from its body,
    /// computed while sending them: every `put` reports it, so a copy hashes its
    /// bytes once. `None` where no body passed through Ferry (a server-side copy).
    pub written_sha256: Option<String>,
}

/// How to delete.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    /// Remove this version (needs `versions`); without it, a versioned provider
    /// keeps the older versions.
    pub version: Option<String>,
}

/// A storage backend. Keys are relative to the provider's root.
#[async_trait]
pub trait Provider: Send + Sync + fmt::Debug + 'static {
    /// Who this is.
    fn info(&self) -> ProviderInfo;

    /// What it can do.
    fn capabilities(&self) -> Capabilities;

    /// Every object whose key starts with `prefix`, in ascending key order.
    fn list<'a>(&'a self, prefix: &ObjectKey, options: ListOptions) -> ListStream<'a>;

    /// One object's metadata.
    async fn head(&self, key: &ObjectKey) -> Result<ObjectMeta>;

    /// One object's metadata and bytes.
    async fn get(&self, key: &ObjectKey, options: GetOptions) -> Result<GetResult>;

    /// Writes an object, replacing what was there (or keeping it as an older
    /// version on a versioned provider).
    async fn put(&self, key: &ObjectKey, body: ByteStream, options: PutOptions) -> Result<PutResult>;

    /// Deletes an object; deleting a missing object succeeds.
    async fn delete(&self, key: &ObjectKey, options: DeleteOptions) -> Result<()>;

    /// Copies within the provider (needs `copy_server_side`).
    async fn copy_within(&self, from: &ObjectKey, to: &ObjectKey) -> Result<PutResult> {
        let _ = (from, to);
        Err(ProviderError::unsupported("copy_within"))
    }

    /// Removes what interrupted writes left behind (temporary files, unfinished
    /// multipart uploads) that is older than `older_than`; returns how many. Run
    /// after a crash, before work resumes.
    async fn clean_interrupted(&self, older_than: std::time::Duration) -> Result<u64> {
        let _ = older_than;
        Ok(0)
    }

    /// An object's tags (needs `tags`); `version` reads an older version's.
    async fn get_tags(&self, key: &ObjectKey, version: Option<&str>) -> Result<BTreeMap<String, String>> {
        let _ = (key, version);
        Err(ProviderError::unsupported("get_tags"))
    }

    /// Every version of every object under `prefix`, newest first per key (needs `versions`).
    fn list_versions<'a>(&'a self, prefix: &ObjectKey) -> ListStream<'a> {
        let _ = prefix;
        stream::once(async { Err(ProviderError::unsupported("list_versions")) }).boxed()
    }
}

/// A body from bytes in memory, in chunks of at most 64 KiB.
#[must_use]
pub fn body_from_bytes(bytes: impl Into<Bytes>) -> ByteStream {
    const CHUNK: usize = 64 * 1024;
    let bytes: Bytes = bytes.into();
    let chunks: Vec<Bytes> = (0..bytes.len())
        .step_by(CHUNK)
        .map(|start| bytes.slice(start..(start + CHUNK).min(bytes.len())))
        .collect();
    stream::iter(chunks.into_iter().map(Ok)).boxed()
}

/// Compares a computed SHA-256 with the one the caller declared.
///
/// # Errors
/// `ChecksumMismatch` naming both values.
pub fn check_sha256(op: &'static str, key: &ObjectKey, declared: Option<&str>, actual: &[u8]) -> Result<()> {
    match declared {
        Some(expected) if !expected.eq_ignore_ascii_case(&hex::encode(actual)) => Err(ProviderError::new(
            crate::ErrorKind::ChecksumMismatch,
            op,
            format!("the body's SHA-256 is {}, not the declared {expected}", hex::encode(actual)),
        )
        .with_key(key)),
        _ => Ok(()),
    }
}

/// Reads a whole body into memory (tests and small objects only).
///
/// # Errors
/// The first error the stream yields.
pub async fn collect_body(body: ByteStream) -> Result<Vec<u8>> {
    body.try_fold(Vec::new(), |mut all, chunk| async move {
        all.extend_from_slice(&chunk);
        Ok(all)
    })
    .await
}
