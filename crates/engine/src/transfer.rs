//! Copies one object and proves the copy: the bytes stream from the source to the
//! destination, never held whole in memory, and are hashed (SHA-256) once, by the
//! writer as it sends them; a short or corrupted download fails before the
//! destination completes the write; the result is checked against the checksum
//! the destination reports, or by reading the destination back.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use ferry_storage::{
    ErrorKind, GetOptions, HashKind, ObjectKey, Provider, ProviderError, PutOptions, Result, Retry,
};
use futures::{StreamExt, TryStreamExt, stream};
use sha2::{Digest, Sha256};

/// How to copy.
#[derive(Debug, Clone, Default)]
pub struct TransferOptions {
    /// Metadata for keys the source's metadata lacks, such as a new `ferry-uuid`
    /// (a document keeps the id it already has).
    pub extra_metadata: BTreeMap<String, String>,
    /// Copy the source's tags when both sides keep tags.
    pub copy_tags: bool,
    /// Read the destination back when it reports no SHA-256 of its own.
    pub verify: bool,
    /// Refuse to replace an existing destination object (needs `write_if_not_exists`).
    pub if_none_match: bool,
    /// The job's bandwidth limit, shared with its other transfers.
    pub throttle: Option<crate::Throttle>,
}

/// How the copy was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifiedBy {
    /// The destination computed the SHA-256 of what it stored, and it matches.
    DestinationChecksum,
    /// Ferry read the destination back and its SHA-256 matches.
    ReadBack,
    /// Verification was turned off.
    NotVerified,
}

/// What a copy produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transferred {
    /// SHA-256 (lowercase hex) of the bytes read from the source.
    pub sha256: String,
    /// Bytes copied.
    pub size: u64,
    /// The source's etag and version at the time of reading.
    pub source_etag: Option<String>,
    /// The source version read.
    pub source_version: Option<String>,
    /// The destination's new etag.
    pub dest_etag: Option<String>,
    /// The destination's new version id.
    pub dest_version: Option<String>,
    /// How the copy was proven.
    pub verified_by: VerifiedBy,
    /// The `ferry-uuid` the copy carries: the source's, or the one given.
    pub ferry_uuid: Option<String>,
}

fn damaged(key: &ObjectKey, message: String) -> ProviderError {
    ProviderError::new(ErrorKind::ChecksumMismatch, "copy", message)
        .with_key(key)
        .with_retry(Retry::Temporary)
}

/// Copies `from` on `source` to `to` on `dest` and verifies the copy.
///
/// # Errors
/// The providers' errors; `ChecksumMismatch` (temporary: reading again may help)
/// for a short or corrupted download or a destination that stored other bytes.
pub async fn copy_object(
    source: &dyn Provider,
    from: &ObjectKey,
    dest: &dyn Provider,
    to: &ObjectKey,
    options: &TransferOptions,
) -> Result<Transferred> {
    let got = source.get(from, GetOptions::default()).await?;
    let meta = got.meta;
    let declared_size = meta.size;
    let declared_sha = meta.sha256().map(str::to_ascii_lowercase);
    // A read that says the object has no tags saves asking for them.
    let tagged = meta.tag_count != Some(0);
    let tags = if tagged && options.copy_tags && source.capabilities().tags && dest.capabilities().tags {
        match source.get_tags(from, meta.version.as_deref()).await {
            Ok(tags) => tags,
            // A server without tagging (many S3-compatible ones) has no tags to copy.
            Err(e) if e.kind() == ErrorKind::Unsupported => BTreeMap::new(),
            Err(e) => return Err(e),
        }
    } else {
        BTreeMap::new()
    };

    // The bytes are counted on the way; the writer hashes them as it sends them,
    // so each byte is hashed once.
    let read = Arc::new(AtomicU64::new(0));
    let counting = {
        let read = read.clone();
        let throttle = options.throttle.clone();
        got.body.and_then(move |chunk: Bytes| {
            read.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            let throttle = throttle.clone();
            async move {
                if let Some(throttle) = throttle {
                    throttle.take(chunk.len()).await;
                }
                Ok(chunk)
            }
        })
    };
    // After the last chunk: a short download ends the body with an error, so the
    // destination never completes the write. (A body that does not match the
    // source's declared SHA-256 is refused by the destination itself.)
    let end_check = {
        let read = read.clone();
        let key = from.clone();
        stream::once(async move {
            let bytes = read.load(Ordering::Relaxed);
            (bytes != declared_size)
                .then(|| Err(damaged(&key, format!("read {bytes} of {declared_size} bytes from the source"))))
        })
        .filter_map(|r| async move { r })
    };
    let body = counting.chain(end_check).boxed();

    let mut user_metadata = meta.user_metadata.clone();
    for (k, v) in &options.extra_metadata {
        user_metadata.entry(k.to_lowercase()).or_insert_with(|| v.clone());
    }
    let ferry_uuid = user_metadata.get("ferry-uuid").cloned();
    let put = dest
        .put(
            to,
            body,
            PutOptions {
                size: Some(declared_size),
                content_type: meta.content_type.clone(),
                user_metadata,
                tags,
                modified: meta.modified,
                if_none_match: options.if_none_match,
                sha256: declared_sha,
            },
        )
        .await
        .map_err(|e| {
            // Damaged on the way in or out: reading and writing again may help.
            if e.kind() == ErrorKind::ChecksumMismatch { e.with_retry(Retry::Temporary) } else { e }
        })?;
    let Some(sha256) = put.written_sha256.map(|s| s.to_ascii_lowercase()) else {
        return Err(ProviderError::new(
            ErrorKind::Unexpected,
            "copy",
            "the destination did not report the SHA-256 of what it wrote",
        )
        .with_key(to));
    };
    if put.size != declared_size {
        return Err(damaged(to, format!("the destination stored {} of {declared_size} bytes", put.size)));
    }

    let verified_by = if let Some(reported) = put.hashes.get(&HashKind::Sha256) {
        if !reported.eq_ignore_ascii_case(&sha256) {
            return Err(damaged(
                to,
                format!("the destination stored bytes with SHA-256 {reported}, not {sha256}"),
            ));
        }
        VerifiedBy::DestinationChecksum
    } else if options.verify {
        let back = dest.get(to, GetOptions { version: put.version.clone(), ..GetOptions::default() }).await?;
        let mut hasher = Sha256::new();
        let mut bytes = 0_u64;
        let mut body = back.body;
        while let Some(chunk) = body.try_next().await? {
            hasher.update(&chunk);
            bytes += chunk.len() as u64;
        }
        let read_back = hex::encode(hasher.finalize());
        if bytes != declared_size || read_back != sha256 {
            return Err(damaged(
                to,
                format!(
                    "the destination holds {bytes} bytes with SHA-256 {read_back}, not {declared_size} with {sha256}"
                ),
            ));
        }
        VerifiedBy::ReadBack
    } else {
        VerifiedBy::NotVerified
    };

    Ok(Transferred {
        sha256,
        size: declared_size,
        source_etag: meta.etag,
        source_version: meta.version,
        dest_etag: put.etag,
        dest_version: put.version,
        verified_by,
        ferry_uuid,
    })
}
