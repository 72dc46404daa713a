//! An in-memory provider for engine tests and demos. It can be told to keep
//! versions and to treat keys case-insensitively, like some real backends do.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::Utc;
use futures::StreamExt;
use futures::stream;

use crate::provider::{body_from_bytes, collect_body};
use crate::{
    ByteStream, Capabilities, DeleteOptions, ErrorKind, GetOptions, GetResult, HashKind, ListOptions,
    ListStream, ObjectKey, ObjectMeta, Provider, ProviderError, ProviderInfo, PutOptions, PutResult, Result,
};

/// How the in-memory provider behaves.
#[derive(Debug, Clone, Default)]
pub struct MemoryConfig {
    /// A name for logs.
    pub name: String,
    /// Keep every version, like a versioned S3 bucket.
    pub versioned: bool,
    /// `A.txt` and `a.txt` are the same object.
    pub case_insensitive: bool,
}

#[derive(Debug, Clone)]
struct Version {
    meta: ObjectMeta,
    tags: BTreeMap<String, String>,
    data: Bytes,
    /// A delete marker (versioned mode).
    deleted: bool,
}

/// Objects in a map, behind a mutex.
#[derive(Debug)]
pub struct MemoryProvider {
    config: MemoryConfig,
    objects: Mutex<BTreeMap<String, Vec<Version>>>,
    counter: AtomicU64,
}

impl MemoryProvider {
    /// An empty provider.
    #[must_use]
    pub fn new(config: MemoryConfig) -> Self {
        Self { config, objects: Mutex::new(BTreeMap::new()), counter: AtomicU64::new(0) }
    }

    fn slot(&self, key: &ObjectKey) -> String {
        if self.config.case_insensitive { key.as_str().to_lowercase() } else { key.as_str().to_owned() }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, BTreeMap<String, Vec<Version>>>> {
        self.objects
            .lock()
            .map_err(|_| ProviderError::new(ErrorKind::Unexpected, "lock", "the in-memory store is poisoned"))
    }

    fn current(&self, op: &'static str, key: &ObjectKey, version: Option<&str>) -> Result<Version> {
        let objects = self.lock()?;
        let versions = objects.get(&self.slot(key));
        let found = match version {
            Some(v) => versions.and_then(|vs| vs.iter().find(|x| x.meta.version.as_deref() == Some(v))),
            None => versions.and_then(|vs| vs.last()),
        };
        match found {
            Some(v) if !v.deleted => Ok(v.clone()),
            _ => Err(ProviderError::new(ErrorKind::NotFound, op, "no such object").with_key(key)),
        }
    }

    fn refuse_root(op: &'static str, key: &ObjectKey) -> Result<()> {
        if key.is_root() {
            return Err(ProviderError::new(ErrorKind::InvalidInput, op, "the empty key names no object"));
        }
        Ok(())
    }
}

#[async_trait]
impl Provider for MemoryProvider {
    fn info(&self) -> ProviderInfo {
        ProviderInfo { kind: "memory", root: self.config.name.clone() }
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            read_with_range: true,
            write_multipart: false,
            write_if_not_exists: true,
            copy_server_side: true,
            versions: self.config.versioned,
            user_metadata: true,
            tags: true,
            content_type: true,
            preserve_modified: true,
            case_insensitive: self.config.case_insensitive,
            max_key_bytes: Some(crate::key::MAX_KEY_BYTES),
            hashes: BTreeSet::from([HashKind::Sha256]),
        }
    }

    fn list<'a>(&'a self, prefix: &ObjectKey, options: ListOptions) -> ListStream<'a> {
        let prefix_slot = self.slot(prefix);
        let listed: Result<Vec<ObjectMeta>> = self.lock().map(|objects| {
            objects
                .range(prefix_slot.clone()..)
                .take_while(|(slot, _)| slot.starts_with(&prefix_slot))
                .filter(|(slot, _)| !options.shallow || !slot[prefix_slot.len()..].contains('/'))
                .filter_map(|(_, versions)| versions.last().filter(|v| !v.deleted).map(|v| v.meta.clone()))
                .collect()
        });
        match listed {
            Ok(items) => stream::iter(items.into_iter().map(Ok)).boxed(),
            Err(e) => stream::once(async { Err(e) }).boxed(),
        }
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        Ok(self.current("head", key, None)?.meta)
    }

    async fn get(&self, key: &ObjectKey, options: GetOptions) -> Result<GetResult> {
        let found = self.current("get", key, options.version.as_deref())?;
        let data = match options.range {
            Some(range) => {
                let len = found.data.len() as u64;
                if range.start > range.end || range.start > len {
                    return Err(ProviderError::new(
                        ErrorKind::InvalidInput,
                        "get",
                        "range outside the object",
                    )
                    .with_key(key));
                }
                let end = usize::try_from(range.end.min(len)).unwrap_or(usize::MAX);
                let start = usize::try_from(range.start).unwrap_or(usize::MAX);
                found.data.slice(start..end)
            }
            None => found.data.clone(),
        };
        Ok(GetResult { meta: found.meta, body: body_from_bytes(data) })
    }

    async fn put(&self, key: &ObjectKey, body: ByteStream, options: PutOptions) -> Result<PutResult> {
        Self::refuse_root("put", key)?;
        let data = Bytes::from(collect_body(body).await?);
        if let Some(expected) = options.size
            && expected != data.len() as u64
        {
            return Err(ProviderError::new(
                ErrorKind::InvalidInput,
                "put",
                format!("expected {expected} bytes, received {}", data.len()),
            )
            .with_key(key));
        }
        // Like S3 with full-object checksums, the memory provider knows each object's SHA-256.
        let digest = <sha2::Sha256 as sha2::Digest>::digest(&data);
        crate::check_sha256("put", key, options.sha256.as_deref(), &digest)?;
        let sha = hex::encode(digest);
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let meta = ObjectMeta {
            key: key.clone(),
            size: data.len() as u64,
            modified: Some(options.modified.unwrap_or_else(Utc::now)),
            etag: Some(format!("\"m{n:08x}\"")),
            version: self.config.versioned.then(|| format!("v{n:08}")),
            content_type: options.content_type,
            user_metadata: options.user_metadata.into_iter().map(|(k, v)| (k.to_lowercase(), v)).collect(),
            hashes: BTreeMap::from([(HashKind::Sha256, sha)]),
            tag_count: u32::try_from(options.tags.len()).ok(),
        };
        let mut objects = self.lock()?;
        let versions = objects.entry(self.slot(key)).or_default();
        if options.if_none_match && versions.last().is_some_and(|v| !v.deleted) {
            return Err(
                ProviderError::new(ErrorKind::AlreadyExists, "put", "the object exists").with_key(key)
            );
        }
        let result = PutResult {
            etag: meta.etag.clone(),
            version: meta.version.clone(),
            size: meta.size,
            hashes: meta.hashes.clone(),
            written_sha256: meta.sha256().map(str::to_owned),
        };
        let entry = Version { meta, tags: options.tags, data, deleted: false };
        if self.config.versioned {
            versions.push(entry);
        } else {
            *versions = vec![entry];
        }
        Ok(result)
    }

    async fn delete(&self, key: &ObjectKey, options: DeleteOptions) -> Result<()> {
        Self::refuse_root("delete", key)?;
        let slot = self.slot(key);
        let mut objects = self.lock()?;
        match (&options.version, self.config.versioned) {
            (Some(version), true) => {
                if let Some(versions) = objects.get_mut(&slot) {
                    versions.retain(|v| v.meta.version.as_deref() != Some(version.as_str()));
                    if versions.is_empty() {
                        objects.remove(&slot);
                    }
                }
            }
            (Some(_), false) => return Err(ProviderError::unsupported("delete of a version").with_key(key)),
            (None, true) => {
                if let Some(versions) = objects.get_mut(&slot)
                    && versions.last().is_some_and(|v| !v.deleted)
                {
                    let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
                    let mut marker = ObjectMeta::new(key.clone(), 0);
                    marker.version = Some(format!("v{n:08}"));
                    versions.push(Version {
                        meta: marker,
                        tags: BTreeMap::new(),
                        data: Bytes::new(),
                        deleted: true,
                    });
                }
            }
            (None, false) => {
                objects.remove(&slot);
            }
        }
        Ok(())
    }

    async fn get_tags(&self, key: &ObjectKey, version: Option<&str>) -> Result<BTreeMap<String, String>> {
        Ok(self.current("get_tags", key, version)?.tags)
    }

    async fn copy_within(&self, from: &ObjectKey, to: &ObjectKey) -> Result<PutResult> {
        let source = self.current("copy_within", from, None)?;
        let options = PutOptions {
            size: Some(source.meta.size),
            content_type: source.meta.content_type.clone(),
            user_metadata: source.meta.user_metadata.clone(),
            tags: source.tags.clone(),
            modified: source.meta.modified,
            ..PutOptions::default()
        };
        self.put(to, body_from_bytes(source.data), options).await
    }

    fn list_versions<'a>(&'a self, prefix: &ObjectKey) -> ListStream<'a> {
        if !self.config.versioned {
            return stream::once(async { Err(ProviderError::unsupported("list_versions")) }).boxed();
        }
        let prefix_slot = self.slot(prefix);
        let listed: Result<Vec<ObjectMeta>> = self.lock().map(|objects| {
            objects
                .range(prefix_slot.clone()..)
                .take_while(|(slot, _)| slot.starts_with(&prefix_slot))
                .flat_map(|(_, versions)| {
                    versions.iter().rev().filter(|v| !v.deleted).map(|v| v.meta.clone())
                })
                .collect()
        });
        match listed {
            Ok(items) => stream::iter(items.into_iter().map(Ok)).boxed(),
            Err(e) => stream::once(async { Err(e) }).boxed(),
        }
    }
}
