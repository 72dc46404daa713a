//! The S3-compatible provider (AWS S3, MinIO, Cloudflare R2, Backblaze B2, Ceph,
//! Garage, …) on `aws-sdk-s3`.
//!
//! Writes are buffered one part at a time: a body up to the multipart threshold is
//! sent as one PutObject, a larger one as a multipart upload with a bounded number
//! of parts in flight, so memory stays at part size × (concurrency + 1). A single
//! PutObject carries the body's SHA-256 (`x-amz-checksum-sha256`) and every part of
//! a multipart upload its CRC32C (`x-amz-checksum-crc32c`: the whole object's
//! SHA-256 is computed once, beside it), so the server can refuse damaged bytes; a
//! declared whole-object SHA-256 is checked before anything becomes visible, and a
//! failed or abandoned multipart upload is aborted.
//!
//! The SDK's own request checksums default to `when_required`: with its newer
//! defaults some servers store the aws-chunked framing as data, and others refuse
//! the upload.

mod config;
mod dialer;
mod errors;
mod metadata;
mod upload;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::types::{BucketVersioningStatus, ChecksumMode};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use futures::stream::{self, StreamExt};

pub use config::{AddressGuard, ChecksumBehaviour, S3Config};
use errors::map_sdk_error;

use crate::{
    ByteStream, Capabilities, DeleteOptions, ErrorKind, GetOptions, GetResult, HashKind, ListOptions,
    ListStream, ObjectKey, ObjectMeta, Provider, ProviderError, ProviderInfo, PutOptions, PutResult, Result,
};

/// A bucket (and optional prefix) on an S3-compatible service.
#[derive(Debug, Clone)]
pub struct S3Provider {
    client: Client,
    config: S3Config,
    versioned: bool,
    /// What the server has said about tags: [`TAGS_UNKNOWN`] until it answers a
    /// tag request, then [`TAGS_KEPT`] or [`TAGS_REFUSED`] (not asked again).
    tag_support: Arc<AtomicU8>,
    /// While unknown, one tag request at a time asks: the many copies that start
    /// together learn the answer from the first.
    tags_probe: Arc<tokio::sync::Mutex<()>>,
}

const TAGS_UNKNOWN: u8 = 0;
const TAGS_KEPT: u8 = 1;
const TAGS_REFUSED: u8 = 2;

fn to_chrono(t: Option<&aws_sdk_s3::primitives::DateTime>) -> Option<DateTime<Utc>> {
    t.and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
}

/// A full-object SHA-256 from a base64 checksum header; composite multipart
/// checksums (`…-N`) are not content hashes and are ignored.
fn sha256_from_b64(value: Option<&str>) -> Option<String> {
    let value = value?;
    if value.contains('-') {
        return None;
    }
    base64::engine::general_purpose::STANDARD.decode(value).ok().filter(|b| b.len() == 32).map(hex::encode)
}

impl S3Provider {
    /// Builds the client and asks the bucket whether it keeps versions.
    ///
    /// # Errors
    /// `InvalidConfig` for an unusable configuration; the bucket itself is only
    /// checked by [`S3Provider::check_bucket`] and by the first operation.
    pub async fn connect(config: S3Config) -> Result<Self> {
        config.validate()?;
        let client = Client::from_conf(config.sdk_config()?);
        let mut provider = Self {
            client,
            config,
            versioned: false,
            tag_support: Arc::default(),
            tags_probe: Arc::default(),
        };
        provider.versioned = provider.detect_versioning().await;
        Ok(provider)
    }

    async fn detect_versioning(&self) -> bool {
        match self.client.get_bucket_versioning().bucket(&self.config.bucket).send().await {
            Ok(out) => out.status() == Some(&BucketVersioningStatus::Enabled),
            // Some servers answer 200 with a differently named XML root, which the SDK
            // refuses to parse; the status inside is still what counts.
            Err(aws_sdk_s3::error::SdkError::ServiceError(e)) if e.raw().status().as_u16() == 200 => e
                .raw()
                .body()
                .bytes()
                .is_some_and(|b| String::from_utf8_lossy(b).contains("<Status>Enabled</Status>")),
            Err(_) => false,
        }
    }

    /// Whether objects may carry tags here: configured so, and not refused yet.
    fn keeps_tags(&self) -> bool {
        self.config.tags && self.tag_support.load(Ordering::Relaxed) != TAGS_REFUSED
    }

    /// Checks that the bucket exists and the credentials reach it.
    ///
    /// # Errors
    /// `InvalidConfig` when the bucket is missing, `PermissionDenied` for bad credentials.
    pub async fn check_bucket(&self) -> Result<()> {
        self.client
            .head_bucket()
            .bucket(&self.config.bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| map_sdk_error("check bucket", None, e))
    }

    /// Creates the bucket when it does not exist (tests and first installs).
    ///
    /// # Errors
    /// The service's refusal, mapped.
    pub async fn ensure_bucket(&self) -> Result<()> {
        if self.check_bucket().await.is_ok() {
            return Ok(());
        }
        self.client
            .create_bucket()
            .bucket(&self.config.bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| map_sdk_error("create bucket", None, e))
    }

    /// Turns versioning on for the bucket (tests), then re-detects it.
    ///
    /// # Errors
    /// The service's refusal, mapped.
    pub async fn enable_versioning(&mut self) -> Result<()> {
        let conf = aws_sdk_s3::types::VersioningConfiguration::builder()
            .status(BucketVersioningStatus::Enabled)
            .build();
        self.client
            .put_bucket_versioning()
            .bucket(&self.config.bucket)
            .versioning_configuration(conf)
            .send()
            .await
            .map_err(|e| map_sdk_error("enable versioning", None, e))?;
        self.versioned = self.detect_versioning().await;
        Ok(())
    }

    /// Multipart uploads started under this provider's prefix and never completed
    /// or aborted, as `(key, upload id)`.
    ///
    /// # Errors
    /// The service's refusal, mapped.
    pub async fn unfinished_uploads(&self) -> Result<Vec<(String, String)>> {
        Ok(self
            .open_uploads()
            .await?
            .iter()
            .map(|u| (u.key().unwrap_or_default().to_owned(), u.upload_id().unwrap_or_default().to_owned()))
            .collect())
    }

    /// The multipart uploads open under this provider's prefix.
    async fn open_uploads(&self) -> Result<Vec<aws_sdk_s3::types::MultipartUpload>> {
        let out = self
            .client
            .list_multipart_uploads()
            .bucket(&self.config.bucket)
            .prefix(&self.config.prefix)
            .send()
            .await
            .map_err(|e| map_sdk_error("list uploads", None, e))?;
        Ok(out.uploads().to_vec())
    }

    /// The full key in the bucket.
    fn full_key(&self, key: &ObjectKey) -> String {
        format!("{}{}", self.config.prefix, key.as_str())
    }

    /// The provider-relative key for a key from the bucket.
    fn relative_key(&self, full: &str) -> Result<ObjectKey> {
        let tail = full.strip_prefix(&self.config.prefix).unwrap_or(full);
        ObjectKey::new(tail).map_err(|e| {
            ProviderError::new(
                ErrorKind::InvalidInput,
                "list",
                format!("the bucket holds a key Ferry cannot use: {e}"),
            )
            .with_key(full)
        })
    }

    fn refuse_root(op: &'static str, key: &ObjectKey) -> Result<()> {
        if key.is_root() {
            return Err(ProviderError::new(ErrorKind::InvalidInput, op, "the empty key names no object"));
        }
        Ok(())
    }

    fn list_page_stream<'a>(&'a self, prefix: String, delimiter: Option<&'static str>) -> ListStream<'a> {
        let pages = stream::try_unfold((Some(None::<String>), self), move |(token, me)| {
            let prefix = prefix.clone();
            async move {
                let Some(token) = token else { return Ok(None) };
                let out = me
                    .client
                    .list_objects_v2()
                    .bucket(&me.config.bucket)
                    .prefix(&prefix)
                    .set_delimiter(delimiter.map(str::to_owned))
                    .set_continuation_token(token)
                    .send()
                    .await
                    .map_err(|e| map_sdk_error("list", None, e))?;
                let items: Vec<Result<ObjectMeta>> = out
                    .contents()
                    .iter()
                    .map(|o| {
                        let key = me.relative_key(o.key().unwrap_or_default())?;
                        let mut meta =
                            ObjectMeta::new(key, u64::try_from(o.size().unwrap_or(0)).unwrap_or(0));
                        meta.modified = to_chrono(o.last_modified());
                        meta.etag = o.e_tag().map(str::to_owned);
                        Ok(meta)
                    })
                    .collect();
                let next = match (out.is_truncated(), out.next_continuation_token()) {
                    (Some(true), Some(t)) => Some(Some(t.to_owned())),
                    _ => None,
                };
                Ok(Some((stream::iter(items), (next, me))))
            }
        });
        pages.try_flatten().boxed()
    }
}

#[async_trait]
impl Provider for S3Provider {
    fn info(&self) -> ProviderInfo {
        ProviderInfo { kind: "s3", root: format!("{}/{}", self.config.bucket, self.config.prefix) }
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            read_with_range: true,
            write_multipart: true,
            write_if_not_exists: self.config.conditional_writes,
            copy_server_side: true,
            versions: self.versioned,
            user_metadata: true,
            tags: self.keeps_tags(),
            content_type: true,
            preserve_modified: false,
            case_insensitive: false,
            max_key_bytes: Some(self.config.max_key_bytes.saturating_sub(self.config.prefix.len())),
            hashes: if self.config.send_checksums {
                BTreeSet::from([HashKind::Sha256])
            } else {
                BTreeSet::new()
            },
        }
    }

    fn list<'a>(&'a self, prefix: &ObjectKey, options: ListOptions) -> ListStream<'a> {
        let full = self.full_key(prefix);
        self.list_page_stream(full, options.shallow.then_some("/"))
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        Self::refuse_root("head", key)?;
        let out = self
            .client
            .head_object()
            .bucket(&self.config.bucket)
            .key(self.full_key(key))
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .map_err(|e| map_sdk_error("head", Some(key), e))?;
        let mut meta =
            ObjectMeta::new(key.clone(), u64::try_from(out.content_length().unwrap_or(0)).unwrap_or(0));
        meta.modified = to_chrono(out.last_modified());
        meta.etag = out.e_tag().map(str::to_owned);
        meta.version = out.version_id().map(str::to_owned);
        meta.content_type = out.content_type().map(str::to_owned);
        meta.user_metadata = lowercase(out.metadata());
        // A multipart object's checksum is a hash of its parts' hashes, not of its
        // bytes; some servers send it without the `-N` that marks it. The
        // multipart ETag (`…-N"`) gives it away.
        let composite = out.checksum_type() == Some(&aws_sdk_s3::types::ChecksumType::Composite)
            || meta.etag.as_deref().is_some_and(|e| e.trim_matches('"').contains('-'));
        if !composite && let Some(sha) = sha256_from_b64(out.checksum_sha256()) {
            meta.hashes.insert(HashKind::Sha256, sha);
        }
        Ok(meta)
    }

    async fn get(&self, key: &ObjectKey, options: GetOptions) -> Result<GetResult> {
        Self::refuse_root("get", key)?;
        let range = match &options.range {
            Some(r) if r.start >= r.end => {
                return Err(ProviderError::new(ErrorKind::InvalidInput, "get", "empty range").with_key(key));
            }
            Some(r) => Some(format!("bytes={}-{}", r.start, r.end - 1)),
            None => None,
        };
        let out = self
            .client
            .get_object()
            .bucket(&self.config.bucket)
            .key(self.full_key(key))
            .set_range(range.clone())
            .set_version_id(options.version.clone())
            .send()
            .await
            .map_err(|e| map_sdk_error("get", Some(key), e))?;
        let length = u64::try_from(out.content_length().unwrap_or(0)).unwrap_or(0);
        let total = match (&range, out.content_range()) {
            (Some(_), Some(cr)) => cr.rsplit('/').next().and_then(|t| t.parse().ok()).unwrap_or(length),
            _ => length,
        };
        let mut meta = ObjectMeta::new(key.clone(), total);
        meta.modified = to_chrono(out.last_modified());
        meta.etag = out.e_tag().map(str::to_owned);
        meta.version = out.version_id().map(str::to_owned);
        meta.content_type = out.content_type().map(str::to_owned);
        meta.user_metadata = lowercase(out.metadata());
        // Sent by servers that keep tags, and only when the object has some.
        meta.tag_count = match out.tag_count() {
            Some(n) => u32::try_from(n).ok(),
            None if self.keeps_tags() => None,
            None => Some(0),
        };
        let body = download_stream(out.body, length, key.clone());
        Ok(GetResult { meta, body })
    }

    async fn put(&self, key: &ObjectKey, body: ByteStream, options: PutOptions) -> Result<PutResult> {
        Self::refuse_root("put", key)?;
        upload::put(self, key, body, options).await
    }

    async fn delete(&self, key: &ObjectKey, options: DeleteOptions) -> Result<()> {
        Self::refuse_root("delete", key)?;
        self.client
            .delete_object()
            .bucket(&self.config.bucket)
            .key(self.full_key(key))
            .set_version_id(options.version)
            .send()
            .await
            .map(|_| ())
            .or_else(|e| {
                let mapped = map_sdk_error("delete", Some(key), e);
                if mapped.is_not_found() { Ok(()) } else { Err(mapped) }
            })
    }

    async fn copy_within(&self, from: &ObjectKey, to: &ObjectKey) -> Result<PutResult> {
        Self::refuse_root("copy_within", to)?;
        let source = format!("{}/{}", self.config.bucket, errors::encode_copy_source(&self.full_key(from)));
        let out = self
            .client
            .copy_object()
            .bucket(&self.config.bucket)
            .key(self.full_key(to))
            .copy_source(source)
            .send()
            .await
            .map_err(|e| map_sdk_error("copy_within", Some(from), e))?;
        let size = self.head(to).await.map(|m| m.size).unwrap_or(0);
        Ok(PutResult {
            etag: out.copy_object_result().and_then(|r| r.e_tag()).map(str::to_owned),
            version: out.version_id().map(str::to_owned),
            size,
            hashes: BTreeMap::new(),
            written_sha256: None,
        })
    }

    async fn clean_interrupted(&self, older_than: std::time::Duration) -> Result<u64> {
        let uploads = match self.open_uploads().await {
            Ok(uploads) => uploads,
            // Servers without the listing (s3s-fs) leave nothing Ferry could clean.
            Err(err) if err.is_unsupported() => return Ok(0),
            Err(err) => return Err(err),
        };
        let cutoff = Utc::now() - chrono::Duration::from_std(older_than).unwrap_or_default();
        let mut aborted = 0;
        for upload in &uploads {
            // An upload of unknown age is only taken when any age will do.
            let young = to_chrono(upload.initiated()).map_or(!older_than.is_zero(), |t| t > cutoff);
            if young {
                continue;
            }
            let (Some(key), Some(id)) = (upload.key(), upload.upload_id()) else { continue };
            self.client
                .abort_multipart_upload()
                .bucket(&self.config.bucket)
                .key(key)
                .upload_id(id)
                .send()
                .await
                .map_err(|e| map_sdk_error("abort upload", None, e))?;
            aborted += 1;
        }
        Ok(aborted)
    }

    async fn get_tags(&self, key: &ObjectKey, version: Option<&str>) -> Result<BTreeMap<String, String>> {
        if !self.keeps_tags() {
            return Err(ProviderError::unsupported("get_tags").with_key(key));
        }
        let _probing = if self.tag_support.load(Ordering::Relaxed) != TAGS_UNKNOWN {
            None
        } else {
            let probing = self.tags_probe.lock().await;
            if !self.keeps_tags() {
                return Err(ProviderError::unsupported("get_tags").with_key(key));
            }
            Some(probing)
        };
        let out = self
            .client
            .get_object_tagging()
            .bucket(&self.config.bucket)
            .key(self.full_key(key))
            .set_version_id(version.map(str::to_owned))
            .send()
            .await
            .map_err(|e| {
                let err = map_sdk_error("get tags", Some(key), e);
                if err.kind() == ErrorKind::Unsupported {
                    self.tag_support.store(TAGS_REFUSED, Ordering::Relaxed);
                } else if !err.is_temporary() {
                    // An answer from the server (a missing object, say), not a failure to reach it.
                    self.tag_support.store(TAGS_KEPT, Ordering::Relaxed);
                }
                err
            })?;
        self.tag_support.store(TAGS_KEPT, Ordering::Relaxed);
        Ok(out.tag_set().iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect())
    }

    fn list_versions<'a>(&'a self, prefix: &ObjectKey) -> ListStream<'a> {
        if !self.versioned {
            return stream::once(async { Err(ProviderError::unsupported("list_versions")) }).boxed();
        }
        let prefix = self.full_key(prefix);
        let pages =
            stream::try_unfold((Some((None::<String>, None::<String>)), self), move |(marker, me)| {
                let prefix = prefix.clone();
                async move {
                    let Some((key_marker, version_marker)) = marker else { return Ok(None) };
                    let out = me
                        .client
                        .list_object_versions()
                        .bucket(&me.config.bucket)
                        .prefix(&prefix)
                        .set_key_marker(key_marker)
                        .set_version_id_marker(version_marker)
                        .send()
                        .await
                        .map_err(|e| map_sdk_error("list_versions", None, e))?;
                    let items: Vec<Result<ObjectMeta>> = out
                        .versions()
                        .iter()
                        .map(|v| {
                            let key = me.relative_key(v.key().unwrap_or_default())?;
                            let mut meta =
                                ObjectMeta::new(key, u64::try_from(v.size().unwrap_or(0)).unwrap_or(0));
                            meta.modified = to_chrono(v.last_modified());
                            meta.etag = v.e_tag().map(str::to_owned);
                            meta.version = v.version_id().map(str::to_owned);
                            Ok(meta)
                        })
                        .collect();
                    let next = match out.is_truncated() {
                        Some(true) => Some((
                            out.next_key_marker().map(str::to_owned),
                            out.next_version_id_marker().map(str::to_owned),
                        )),
                        _ => None,
                    };
                    Ok(Some((stream::iter(items), (next, me))))
                }
            });
        pages.try_flatten().boxed()
    }
}

fn lowercase(map: Option<&std::collections::HashMap<String, String>>) -> BTreeMap<String, String> {
    map.map(|m| m.iter().map(|(k, v)| (k.to_lowercase(), metadata::decode_value(v))).collect())
        .unwrap_or_default()
}

/// The SDK's body as Ferry's stream, refusing a download that ends short.
fn download_stream(body: aws_sdk_s3::primitives::ByteStream, expected: u64, key: ObjectKey) -> ByteStream {
    stream::try_unfold((body, 0u64, key), move |(mut body, seen, key)| async move {
        match body.try_next().await {
            Ok(Some(chunk)) => {
                let seen = seen + chunk.len() as u64;
                Ok(Some((chunk, (body, seen, key))))
            }
            Ok(None) if seen == expected => Ok(None),
            Ok(None) => Err(ProviderError::new(
                ErrorKind::Unexpected,
                "get",
                format!("the download ended after {seen} of {expected} bytes"),
            )
            .with_key(&key)),
            Err(e) => {
                Err(ProviderError::new(ErrorKind::Unexpected, "get", format!("the download broke off: {e}"))
                    .with_key(&key))
            }
        }
    })
    .boxed()
}
