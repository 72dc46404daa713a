//! A local folder as a provider. Keys map to paths inside the root and never
//! outside it: keys are validated (`ObjectKey`), and symbolic links that lead out of
//! the root are refused. Writes are atomic: a temporary file in the same folder,
//! fsync, rename, fsync of the folder; a failed or cancelled write leaves nothing.
//!
//! Content type and user metadata are kept in extended attributes
//! (`user.ferry.content_type`, `user.ferry.meta.<name>`), so the folder holds only
//! the documents themselves. Where the file system has no user xattrs, the provider
//! says so in its capabilities and refuses writes that carry metadata.

use std::collections::{BTreeMap, BTreeSet};
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::BytesMut;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use futures::stream::{self, StreamExt};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::{
    ByteStream, Capabilities, DeleteOptions, ErrorKind, GetOptions, GetResult, ListOptions, ListStream,
    ObjectKey, ObjectMeta, Provider, ProviderError, ProviderInfo, PutOptions, PutResult, Result,
};

/// Names starting with this are Ferry's temporary files: never listed, never keys.
pub const TEMP_PREFIX: &str = ".ferry-tmp-";
const XATTR_CONTENT_TYPE: &str = "user.ferry.content_type";
const XATTR_META_PREFIX: &str = "user.ferry.meta.";
const CHUNK: usize = 64 * 1024;

/// A folder on this machine.
#[derive(Debug, Clone)]
pub struct LocalProvider {
    root: PathBuf,
    xattrs: bool,
}

fn invalid(op: &'static str, key: &ObjectKey, message: &str) -> ProviderError {
    ProviderError::new(ErrorKind::InvalidInput, op, message).with_key(key)
}

fn io<'a>(op: &'static str, key: &'a ObjectKey) -> impl Fn(std::io::Error) -> ProviderError + 'a {
    move |e| ProviderError::from_io(op, e).with_key(key)
}

impl LocalProvider {
    /// A provider rooted at `root`, which must be an existing folder.
    ///
    /// # Errors
    /// `InvalidConfig` when the root is missing or not a folder.
    pub fn new(root: impl AsRef<Path>) -> Result<Self> {
        let root = root.as_ref();
        let invalid_config = |m: String| ProviderError::new(ErrorKind::InvalidConfig, "open", m);
        let canonical = std::fs::canonicalize(root)
            .map_err(|e| invalid_config(format!("folder {} cannot be opened: {e}", root.display())))?;
        if !canonical.is_dir() {
            return Err(invalid_config(format!("{} is not a folder", root.display())));
        }
        let xattrs = xattr::SUPPORTED_PLATFORM && xattr::list(&canonical).is_ok();
        Ok(Self { root: canonical, xattrs })
    }

    /// The resolved root folder.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, op: &'static str, key: &ObjectKey) -> Result<PathBuf> {
        if key.is_root() {
            return Err(invalid(op, key, "the empty key names no file"));
        }
        if key.is_dir_like() {
            return Err(invalid(op, key, "a key ending in `/` names a folder, not a file"));
        }
        let mut path = self.root.clone();
        for segment in key.segments() {
            if segment.starts_with(TEMP_PREFIX) {
                return Err(invalid(op, key, "names starting with `.ferry-tmp-` are reserved"));
            }
            path.push(segment);
        }
        Ok(path)
    }

    /// The deepest existing ancestor of `path` (itself included), resolved through
    /// symbolic links, must lie inside the root.
    fn check_inside(&self, op: &'static str, key: &ObjectKey, path: &Path) -> Result<()> {
        let mut probe = path.to_path_buf();
        loop {
            match std::fs::canonicalize(&probe) {
                Ok(real) if real.starts_with(&self.root) => return Ok(()),
                Ok(_) => {
                    return Err(invalid(op, key, "the path leads out of the root through a symbolic link"));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    if !probe.pop() || !probe.starts_with(&self.root) {
                        return Err(invalid(op, key, "the path is outside the root"));
                    }
                }
                Err(e) => return Err(io(op, key)(e)),
            }
        }
    }

    fn meta_of(&self, key: ObjectKey, md: &std::fs::Metadata, path: Option<&Path>) -> ObjectMeta {
        let modified = md.modified().ok().map(DateTime::<Utc>::from);
        let nanos = md
            .modified()
            .ok()
            .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let mut meta = ObjectMeta::new(key, md.len());
        meta.modified = modified;
        meta.etag = Some(format!("\"{nanos:x}-{:x}\"", md.len()));
        if let (Some(path), true) = (path, self.xattrs) {
            if let Ok(Some(value)) = xattr::get(path, XATTR_CONTENT_TYPE) {
                meta.content_type = String::from_utf8(value).ok();
            }
            if let Ok(names) = xattr::list(path) {
                for name in names {
                    let Some(name) = name.to_str() else { continue };
                    let Some(short) = name.strip_prefix(XATTR_META_PREFIX) else { continue };
                    if let Ok(Some(value)) = xattr::get(path, name)
                        && let Ok(value) = String::from_utf8(value)
                    {
                        meta.user_metadata.insert(short.to_owned(), value);
                    }
                }
            }
        }
        meta
    }

    /// Removes empty folders from `dir` up to (not including) the root: like a
    /// bucket, the tree keeps no empty folders behind.
    async fn prune_empty_dirs(&self, dir: Option<&Path>) {
        let mut dir = dir.map(Path::to_path_buf);
        while let Some(d) = dir {
            if d == self.root || !d.starts_with(&self.root) || tokio::fs::remove_dir(&d).await.is_err() {
                break;
            }
            dir = d.parent().map(Path::to_path_buf);
        }
    }

    async fn stat_file(&self, op: &'static str, key: &ObjectKey) -> Result<(PathBuf, std::fs::Metadata)> {
        let path = self.path_of(op, key)?;
        self.check_inside(op, key, &path)?;
        let md = tokio::fs::metadata(&path).await.map_err(io(op, key))?;
        if md.is_dir() {
            return Err(ProviderError::new(ErrorKind::NotFound, op, "a folder, not a file").with_key(key));
        }
        Ok((path, md))
    }
}

/// Removes the temporary file unless the write completed, also when the future is dropped.
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// One folder level of a listing walk: its entries, sorted so that the walk
/// yields keys in byte order (a folder `a` sorts as `a/`).
struct Level {
    prefix: String,
    dir: PathBuf,
    entries: std::vec::IntoIter<(String, bool)>,
}

/// Deletes `.ferry-tmp-*` files older than `older_than` anywhere under `root`.
fn sweep_temp_files(root: &Path, older_than: std::time::Duration) -> std::io::Result<u64> {
    let mut removed = 0;
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let file_type = entry.file_type()?;
            if file_type.is_dir() {
                dirs.push(entry.path());
            } else if file_type.is_file() && entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                let age = entry.metadata()?.modified()?.elapsed().unwrap_or_default();
                if age >= older_than {
                    std::fs::remove_file(entry.path())?;
                    removed += 1;
                }
            }
        }
    }
    Ok(removed)
}

fn read_level(root: &Path, dir: &Path, prefix: String) -> std::io::Result<(Level, Vec<ProviderError>)> {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            problems.push(ProviderError::new(
                ErrorKind::InvalidInput,
                "list",
                format!("a file name in {} is not UTF-8 and cannot be a key", dir.display()),
            ));
            continue;
        };
        if name.starts_with(TEMP_PREFIX) {
            continue;
        }
        let file_type = entry.file_type()?;
        // Links are followed only to files inside the root; a linked folder is not
        // walked (no loops, no escape).
        let is_dir = file_type.is_dir();
        let is_file = file_type.is_file()
            || (file_type.is_symlink()
                && entry.path().is_file()
                && std::fs::canonicalize(entry.path()).is_ok_and(|real| real.starts_with(root)));
        if is_dir || is_file {
            entries.push((name, is_dir));
        }
    }
    entries.sort_by(|(a, a_dir), (b, b_dir)| {
        let a = if *a_dir { format!("{a}/") } else { a.clone() };
        let b = if *b_dir { format!("{b}/") } else { b.clone() };
        a.cmp(&b)
    });
    Ok((Level { prefix, dir: dir.to_path_buf(), entries: entries.into_iter() }, problems))
}

impl LocalProvider {
    /// When a file stands where `parent` needs a folder, an error that names it.
    fn blocked_folder(&self, key: &ObjectKey, parent: &Path) -> Option<ProviderError> {
        let file = parent
            .ancestors()
            .take_while(|p| p.starts_with(&self.root) && *p != self.root)
            .find(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_file()))?;
        let shown = file.strip_prefix(&self.root).unwrap_or(file).display().to_string();
        Some(
            ProviderError::new(
                ErrorKind::AlreadyExists,
                "put",
                format!(
                    "a file named `{shown}` is where a folder must go; move or rename that file, then retry"
                ),
            )
            .with_key(key),
        )
    }

    async fn write(&self, key: &ObjectKey, body: ByteStream, options: PutOptions) -> Result<PutResult> {
        let path = self.path_of("put", key)?;
        let parent = path.parent().map(Path::to_path_buf).unwrap_or_else(|| self.root.clone());
        if !self.xattrs && (options.content_type.is_some() || !options.user_metadata.is_empty()) {
            return Err(ProviderError::new(
                ErrorKind::Unsupported,
                "put",
                "this file system keeps no extended attributes, so metadata cannot be stored",
            )
            .with_key(key));
        }
        // A file where a folder must go shows up here (not a directory) or below.
        // Only a regular file counts: a link leading out of the root stays a refusal.
        self.check_inside("put", key, &parent).map_err(|e| self.blocked_folder(key, &parent).unwrap_or(e))?;
        if let Err(e) = tokio::fs::create_dir_all(&parent).await {
            return Err(self.blocked_folder(key, &parent).unwrap_or_else(|| io("put", key)(e)));
        }
        self.check_inside("put", key, &parent)?;
        if tokio::fs::symlink_metadata(&path).await.is_ok_and(|m| m.is_dir()) {
            return Err(invalid("put", key, "a folder with this name exists"));
        }

        let mut temp = TempFile {
            path: parent.join(format!("{TEMP_PREFIX}{}", uuid::Uuid::now_v7().simple())),
            armed: true,
        };
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp.path)
            .await
            .map_err(io("put", key))?;
        let mut written = 0u64;
        let mut body = body;
        let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
        while let Some(chunk) = body.try_next().await? {
            file.write_all(&chunk).await.map_err(io("put", key))?;
            sha2::Digest::update(&mut hasher, &chunk);
            written += chunk.len() as u64;
        }
        if let Some(expected) = options.size
            && expected != written
        {
            return Err(invalid("put", key, &format!("expected {expected} bytes, received {written}")));
        }
        let digest = sha2::Digest::finalize(hasher);
        crate::check_sha256("put", key, options.sha256.as_deref(), &digest)?;
        file.flush().await.map_err(io("put", key))?;
        let std_file = file.into_std().await;
        let temp_path = temp.path.clone();
        let content_type = options.content_type.clone();
        let user_metadata = options.user_metadata.clone();
        let modified = options.modified;
        let xattrs = self.xattrs;
        let finished = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::Metadata> {
            if let Some(when) = modified {
                std_file.set_modified(SystemTime::from(when))?;
            }
            std_file.sync_all()?;
            if xattrs {
                if let Some(ct) = &content_type {
                    xattr::set(&temp_path, XATTR_CONTENT_TYPE, ct.as_bytes())?;
                }
                for (name, value) in &user_metadata {
                    xattr::set(
                        &temp_path,
                        format!("{XATTR_META_PREFIX}{}", name.to_lowercase()),
                        value.as_bytes(),
                    )?;
                }
            }
            std_file.metadata()
        })
        .await
        .map_err(|e| ProviderError::new(ErrorKind::Unexpected, "put", e.to_string()).with_key(key))?
        .map_err(io("put", key))?;

        if options.if_none_match {
            // A hard link never replaces an existing name: create-if-absent, atomically.
            tokio::fs::hard_link(&temp.path, &path).await.map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    ProviderError::new(ErrorKind::AlreadyExists, "put", "the object exists").with_key(key)
                } else {
                    io("put", key)(e)
                }
            })?;
            let _ = tokio::fs::remove_file(&temp.path).await;
        } else {
            tokio::fs::rename(&temp.path, &path).await.map_err(io("put", key))?;
        }
        temp.armed = false;
        if let Ok(dir) = tokio::fs::File::open(&parent).await {
            dir.sync_all().await.map_err(io("put", key))?;
        }
        let meta = self.meta_of(key.clone(), &finished, None);
        Ok(PutResult {
            etag: meta.etag,
            version: None,
            size: written,
            hashes: BTreeMap::new(),
            written_sha256: Some(hex::encode(digest)),
        })
    }
}

#[async_trait]
impl Provider for LocalProvider {
    fn info(&self) -> ProviderInfo {
        ProviderInfo { kind: "local", root: self.root.display().to_string() }
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            read_with_range: true,
            write_multipart: false,
            write_if_not_exists: true,
            copy_server_side: false,
            versions: false,
            user_metadata: self.xattrs,
            tags: false,
            content_type: self.xattrs,
            preserve_modified: true,
            case_insensitive: false,
            // Linux limits one file name to 255 bytes, not the path.
            max_key_bytes: Some(crate::key::MAX_KEY_BYTES),
            hashes: BTreeSet::new(),
        }
    }

    fn list<'a>(&'a self, prefix: &ObjectKey, options: ListOptions) -> ListStream<'a> {
        // Start in the deepest folder the prefix names completely.
        let prefix = prefix.as_str().to_owned();
        let dir_part = prefix.rfind('/').map_or("", |i| &prefix[..=i]).to_owned();
        let mut start = self.root.clone();
        for segment in dir_part.split('/').filter(|s| !s.is_empty()) {
            start.push(segment);
        }
        let outside = self.check_inside("list", &ObjectKey::root(), &start).is_err();
        let initial: Vec<Level> = match (outside, start.is_dir()) {
            (false, true) => match read_level(&self.root, &start, dir_part) {
                Ok((level, _)) => vec![level],
                Err(e) => return stream::once(async move { Err(ProviderError::from_io("list", e)) }).boxed(),
            },
            _ => Vec::new(),
        };
        let shallow = options.shallow;
        let walk = stream::try_unfold(initial, move |mut stack| {
            let prefix = prefix.clone();
            async move {
                loop {
                    let Some(level) = stack.last_mut() else { return Ok(None) };
                    let Some((name, is_dir)) = level.entries.next() else {
                        stack.pop();
                        continue;
                    };
                    let key_text = format!("{}{name}", level.prefix);
                    let path = level.dir.join(&name);
                    if is_dir {
                        let as_prefix = format!("{key_text}/");
                        // Descend only where the prefix can still match.
                        if !shallow && (as_prefix.starts_with(&prefix) || prefix.starts_with(&as_prefix)) {
                            let (next, problems) = read_level(&self.root, &path, as_prefix)
                                .map_err(|e| ProviderError::from_io("list", e))?;
                            stack.push(next);
                            if let Some(problem) = problems.into_iter().next() {
                                return Err(problem);
                            }
                        }
                        continue;
                    }
                    if !key_text.starts_with(&prefix) {
                        continue;
                    }
                    let key = ObjectKey::new(key_text.clone()).map_err(|e| {
                        ProviderError::new(ErrorKind::InvalidInput, "list", e.to_string()).with_key(&key_text)
                    })?;
                    let md = std::fs::metadata(&path).map_err(|e| ProviderError::from_io("list", e))?;
                    return Ok(Some((self.meta_of(key, &md, None), stack)));
                }
            }
        });
        walk.boxed()
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        let (path, md) = self.stat_file("head", key).await?;
        Ok(self.meta_of(key.clone(), &md, Some(&path)))
    }

    async fn get(&self, key: &ObjectKey, options: GetOptions) -> Result<GetResult> {
        if options.version.is_some() {
            return Err(ProviderError::unsupported("get of a version").with_key(key));
        }
        let (path, md) = self.stat_file("get", key).await?;
        let meta = self.meta_of(key.clone(), &md, Some(&path));
        let mut file = tokio::fs::File::open(&path).await.map_err(io("get", key))?;
        let (start, end) = match options.range {
            Some(range) if range.start > range.end || range.start > md.len() => {
                return Err(invalid("get", key, "range outside the object"));
            }
            Some(range) => (range.start, range.end.min(md.len())),
            None => (0, md.len()),
        };
        if start > 0 {
            file.seek(SeekFrom::Start(start)).await.map_err(io("get", key))?;
        }
        let owned_key = key.clone();
        let body = stream::try_unfold((file, end - start), move |(mut file, left)| {
            let key = owned_key.clone();
            async move {
                if left == 0 {
                    return Ok(None);
                }
                let want = usize::try_from(left).unwrap_or(CHUNK).min(CHUNK);
                let mut buf = BytesMut::zeroed(want);
                let n =
                    file.read(&mut buf).await.map_err(|e| ProviderError::from_io("get", e).with_key(&key))?;
                if n == 0 {
                    // The file shrank while being read: a short body, never silently.
                    return Err(ProviderError::new(
                        ErrorKind::Unexpected,
                        "get",
                        "the file was truncated while read",
                    )
                    .with_key(&key));
                }
                buf.truncate(n);
                Ok(Some((buf.freeze(), (file, left - n as u64))))
            }
        });
        Ok(GetResult { meta, body: body.boxed() })
    }

    async fn clean_interrupted(&self, older_than: std::time::Duration) -> Result<u64> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || sweep_temp_files(&root, older_than))
            .await
            .map_err(|e| ProviderError::new(ErrorKind::Unexpected, "clean", e.to_string()))?
            .map_err(|e| ProviderError::from_io("clean", e))
    }

    async fn put(&self, key: &ObjectKey, body: ByteStream, options: PutOptions) -> Result<PutResult> {
        if !options.tags.is_empty() {
            return Err(ProviderError::unsupported("put with tags").with_key(key));
        }
        let result = self.write(key, body, options).await;
        if result.is_err()
            && let Ok(path) = self.path_of("put", key)
        {
            self.prune_empty_dirs(path.parent()).await;
        }
        result
    }

    async fn delete(&self, key: &ObjectKey, options: DeleteOptions) -> Result<()> {
        if options.version.is_some() {
            return Err(ProviderError::unsupported("delete of a version").with_key(key));
        }
        let path = self.path_of("delete", key)?;
        if let Some(parent) = path.parent() {
            self.check_inside("delete", key, parent)?;
        }
        match tokio::fs::symlink_metadata(&path).await {
            Ok(md) if md.is_dir() => return Err(invalid("delete", key, "a folder, not a file")),
            Ok(_) => tokio::fs::remove_file(&path).await.map_err(io("delete", key))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io("delete", key)(e)),
        }
        self.prune_empty_dirs(path.parent()).await;
        Ok(())
    }
}
