//! One conformance suite for every provider. Each behaviour is a function over
//! `&dyn Provider`, gated by the provider's capabilities (a skip says why);
//! [`run_all`] runs them all under a fresh prefix and reports.
//!
//! The suite writes only under its own prefix and deletes what it wrote.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use futures::TryStreamExt;
use sha2::{Digest, Sha256};

use crate::{
    DeleteOptions, ErrorKind, GetOptions, ListOptions, ObjectKey, ObjectMeta, Provider, PutOptions,
    PutResult, body_from_bytes, collect_body,
};

/// A failed expectation, with what was expected.
pub type Outcome = Result<(), String>;

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Where a run writes, and how big its "large" object is.
#[derive(Debug, Clone)]
pub struct Suite {
    /// Every key the suite writes starts with this (ends with `/`).
    pub base: ObjectKey,
    /// Size of the object that must cross the provider's multipart threshold.
    pub large_size: usize,
    /// Objects written for the pagination case (more than one page of 1,000).
    pub many: usize,
}

impl Default for Suite {
    fn default() -> Self {
        let base = format!("conformance-{}/", uuid::Uuid::now_v7().simple());
        Self {
            base: ObjectKey::new(base).unwrap_or_default(),
            large_size: 6 * 1024 * 1024 + 123,
            many: 1_050,
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Deterministic, incompressible-looking content.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    let mut state = u32::from(seed).wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect()
}

impl Suite {
    fn key(&self, tail: &str) -> Result<ObjectKey, String> {
        self.base.join(tail).map_err(|e| format!("bad test key {tail:?}: {e}"))
    }

    async fn put(&self, p: &dyn Provider, key: &ObjectKey, data: &[u8]) -> Result<PutResult, String> {
        let options = PutOptions { size: Some(data.len() as u64), ..PutOptions::default() };
        let put = p
            .put(key, body_from_bytes(data.to_vec()), options)
            .await
            .map_err(|e| format!("put {key}: {e}"))?;
        // Every write names the SHA-256 of what it took, so a copy hashes once.
        let written = put.written_sha256.as_deref();
        ensure!(written == Some(sha256_hex(data).as_str()), "put {key} reported SHA-256 {written:?}");
        Ok(put)
    }

    async fn read(&self, p: &dyn Provider, key: &ObjectKey) -> Result<Vec<u8>, String> {
        let got = p.get(key, GetOptions::default()).await.map_err(|e| format!("get {key}: {e}"))?;
        collect_body(got.body).await.map_err(|e| format!("read {key}: {e}"))
    }

    async fn list(
        &self,
        p: &dyn Provider,
        prefix: &ObjectKey,
        shallow: bool,
    ) -> Result<Vec<ObjectMeta>, String> {
        p.list(prefix, ListOptions { shallow }).try_collect().await.map_err(|e| format!("list {prefix}: {e}"))
    }

    async fn remove(&self, p: &dyn Provider, key: &ObjectKey) -> Outcome {
        p.delete(key, DeleteOptions::default()).await.map_err(|e| format!("delete {key}: {e}"))
    }

    /// A prefix nothing was written under lists nothing.
    pub async fn empty_listing(&self, p: &dyn Provider) -> Outcome {
        let listed = self.list(p, &self.key("empty/")?, false).await?;
        ensure!(listed.is_empty(), "expected an empty listing, got {} objects", listed.len());
        Ok(())
    }

    /// A 0-byte object round-trips.
    pub async fn zero_byte_object(&self, p: &dyn Provider) -> Outcome {
        let key = self.key("zero/empty.txt")?;
        self.put(p, &key, b"").await?;
        let meta = p.head(&key).await.map_err(|e| e.to_string())?;
        ensure!(meta.size == 0, "size {} instead of 0", meta.size);
        ensure!(self.read(p, &key).await?.is_empty(), "non-empty body");
        self.remove(p, &key).await
    }

    /// Keys with spaces, unicode in both normal forms, `+ % # ? & =` and deep prefixes
    /// round-trip, and list back exactly as written.
    pub async fn awkward_keys(&self, p: &dyn Provider) -> Outcome {
        let tails = [
            "odd/with space.txt",
            "odd/plus+sign.txt",
            "odd/percent%20literal.txt",
            "odd/hash#tag.txt",
            "odd/question?mark.txt",
            "odd/amp&equals=.txt",
            "odd/caf\u{e9}-nfc.txt",
            "odd/cafe\u{301}-nfd.txt",
            "odd/\u{65e5}\u{672c}\u{8a9e}/\u{1f600}.md",
            "odd/a/b/c/d/e/f/g/h/i/j/deep.txt",
        ];
        let mut keys = Vec::new();
        for (i, tail) in tails.iter().enumerate() {
            let key = self.key(tail)?;
            let data = format!("content of {tail} #{i}");
            self.put(p, &key, data.as_bytes()).await?;
            ensure!(self.read(p, &key).await? == data.as_bytes(), "{tail}: body differs");
            keys.push(key);
        }
        let listed: Vec<String> =
            self.list(p, &self.key("odd/")?, false).await?.into_iter().map(|m| m.key.to_string()).collect();
        let mut expected: Vec<String> = keys.iter().map(ToString::to_string).collect();
        expected.sort();
        ensure!(listed == expected, "listing {listed:?} != written {expected:?}");
        for key in &keys {
            self.remove(p, key).await?;
        }
        Ok(())
    }

    /// A key of about 1,000 bytes round-trips (skipped above the provider's limit).
    pub async fn long_key(&self, p: &dyn Provider) -> Outcome {
        let limit = p.capabilities().max_key_bytes.unwrap_or(1024);
        let segment = "s".repeat(199);
        let mut tail = String::from("long/");
        while self.base.as_str().len() + tail.len() + segment.len() < 1000 {
            tail.push_str(&segment);
            tail.push('/');
        }
        tail.push_str(&"k".repeat(1000 - self.base.as_str().len() - tail.len()));
        let key = self.key(&tail)?;
        if key.as_str().len() > limit {
            return Err(skip(format!("the provider stores keys up to {limit} bytes")));
        }
        self.put(p, &key, b"long").await?;
        ensure!(self.read(p, &key).await? == b"long", "body differs");
        self.remove(p, &key).await
    }

    /// More than one page of keys lists completely, in ascending order.
    pub async fn pagination(&self, p: &dyn Provider) -> Outcome {
        let prefix = self.key("many/")?;
        for i in 0..self.many {
            self.put(p, &prefix.join(&format!("{i:05}")).map_err(|e| e.to_string())?, b"x").await?;
        }
        let listed = self.list(p, &prefix, false).await?;
        ensure!(listed.len() == self.many, "listed {} of {}", listed.len(), self.many);
        ensure!(listed.windows(2).all(|w| w[0].key < w[1].key), "listing not in ascending key order");
        for m in listed {
            self.remove(p, &m.key).await?;
        }
        Ok(())
    }

    /// An object above the multipart threshold round-trips with the same SHA-256.
    pub async fn large_object(&self, p: &dyn Provider) -> Outcome {
        let key = self.key("large/blob.bin")?;
        let data = pattern(self.large_size, 7);
        let put = self.put(p, &key, &data).await?;
        ensure!(put.size == data.len() as u64, "put reported {} bytes", put.size);
        let back = self.read(p, &key).await?;
        ensure!(back.len() == data.len(), "read {} of {} bytes", back.len(), data.len());
        ensure!(sha256_hex(&back) == sha256_hex(&data), "SHA-256 differs after the round trip");
        self.remove(p, &key).await
    }

    /// Writing a key again replaces its content and size.
    pub async fn overwrite(&self, p: &dyn Provider) -> Outcome {
        let key = self.key("over/doc.txt")?;
        self.put(p, &key, b"first version, longer").await?;
        let first = p.head(&key).await.map_err(|e| e.to_string())?;
        self.put(p, &key, b"second").await?;
        let second = p.head(&key).await.map_err(|e| e.to_string())?;
        ensure!(self.read(p, &key).await? == b"second", "old content survived the overwrite");
        ensure!(second.size == 6, "size {} after overwrite", second.size);
        ensure!(first.etag != second.etag || first.etag.is_none(), "etag did not change with the content");
        self.remove(p, &key).await
    }

    /// Deleting a missing key succeeds; a deleted key is gone.
    pub async fn delete_semantics(&self, p: &dyn Provider) -> Outcome {
        let key = self.key("del/doc.txt")?;
        self.remove(p, &key).await?;
        self.put(p, &key, b"bye").await?;
        self.remove(p, &key).await?;
        let err = p.head(&key).await.err().ok_or("head found a deleted object")?;
        ensure!(err.is_not_found(), "head of a deleted key: {err} instead of not found");
        let err = p.get(&key, GetOptions::default()).await.err().ok_or("get found a deleted object")?;
        ensure!(err.kind() == ErrorKind::NotFound, "get of a deleted key: {err}");
        ensure!(self.list(p, &self.key("del/")?, false).await?.is_empty(), "a deleted key is still listed");
        Ok(())
    }

    /// Prefixes match as plain strings; a shallow listing stays at one level.
    pub async fn prefix_semantics(&self, p: &dyn Provider) -> Outcome {
        for tail in ["pre/report.pdf", "pre/re/inner.txt", "pre/zebra.txt", "pre/re-sub.txt"] {
            self.put(p, &self.key(tail)?, b"p").await?;
        }
        let tails = |v: Vec<ObjectMeta>| -> Vec<String> {
            v.into_iter().map(|m| m.key.strip_prefix(&self.base).unwrap_or_default().to_owned()).collect()
        };
        let partial = tails(self.list(p, &self.key("pre/re")?, false).await?);
        ensure!(
            partial == ["pre/re-sub.txt", "pre/re/inner.txt", "pre/report.pdf"],
            "prefix `pre/re` listed {partial:?}"
        );
        let shallow = tails(self.list(p, &self.key("pre/")?, true).await?);
        ensure!(
            shallow == ["pre/re-sub.txt", "pre/report.pdf", "pre/zebra.txt"],
            "shallow listing gave {shallow:?}"
        );
        for tail in ["pre/report.pdf", "pre/re/inner.txt", "pre/zebra.txt", "pre/re-sub.txt"] {
            self.remove(p, &self.key(tail)?).await?;
        }
        Ok(())
    }

    /// Content type and user metadata round-trip (keys lowercased).
    pub async fn metadata_round_trip(&self, p: &dyn Provider) -> Outcome {
        let caps = p.capabilities();
        if !caps.user_metadata || !caps.content_type {
            return Err(skip("the provider keeps no user metadata"));
        }
        let key = self.key("meta/doc.md")?;
        let user_metadata = BTreeMap::from([
            ("Ferry-Uuid".to_owned(), "0190d1c2-0000-7000-8000-000000000001".to_owned()),
            ("note".to_owned(), "caf\u{e9} & more".to_owned()),
        ]);
        let options = PutOptions {
            size: Some(5),
            content_type: Some("text/markdown".into()),
            user_metadata,
            ..PutOptions::default()
        };
        p.put(&key, body_from_bytes(&b"# hi\n"[..]), options).await.map_err(|e| e.to_string())?;
        let meta = p.head(&key).await.map_err(|e| e.to_string())?;
        ensure!(
            meta.content_type.as_deref() == Some("text/markdown"),
            "content type {:?}",
            meta.content_type
        );
        ensure!(
            meta.user_metadata.get("ferry-uuid").map(String::as_str)
                == Some("0190d1c2-0000-7000-8000-000000000001"),
            "user metadata {:?}",
            meta.user_metadata
        );
        ensure!(
            meta.user_metadata.get("note").map(String::as_str) == Some("caf\u{e9} & more"),
            "{:?}",
            meta.user_metadata
        );
        self.remove(p, &key).await
    }

    /// Tags round-trip where the provider keeps them; where it does not, a put with
    /// tags is refused as unsupported rather than storing the object without them.
    pub async fn tags_round_trip(&self, p: &dyn Provider) -> Outcome {
        let key = self.key("tags/doc.txt")?;
        let tags = BTreeMap::from([
            ("project".to_owned(), "ferry migration".to_owned()),
            ("class/level".to_owned(), "a+b=c @x:y".to_owned()),
        ]);
        let options = PutOptions { size: Some(4), tags: tags.clone(), ..PutOptions::default() };
        let put = p.put(&key, body_from_bytes(&b"tags"[..]), options).await;
        if !p.capabilities().tags {
            ensure!(
                put.as_ref().is_err_and(crate::ProviderError::is_unsupported),
                "put with tags gave {put:?}"
            );
            ensure!(
                p.head(&key).await.is_err_and(|e| e.is_not_found()),
                "the object was stored without its tags"
            );
            return Err(skip("the provider keeps no tags (a put with tags is refused, as it should be)"));
        }
        put.map_err(|e| e.to_string())?;
        let got = p.get_tags(&key, None).await.map_err(|e| e.to_string())?;
        ensure!(got == tags, "tags {got:?}");
        // A read may tell how many tags there are, never that a tagged object has none.
        let read = p.get(&key, GetOptions::default()).await.map_err(|e| e.to_string())?;
        ensure!(
            matches!(read.meta.tag_count, None | Some(2)),
            "a read counted {:?} tags",
            read.meta.tag_count
        );
        self.remove(p, &key).await
    }

    /// A byte range reads just those bytes.
    pub async fn range_read(&self, p: &dyn Provider) -> Outcome {
        if !p.capabilities().read_with_range {
            return Err(skip("the provider has no range reads"));
        }
        let key = self.key("range/digits.txt")?;
        self.put(p, &key, b"0123456789").await?;
        let got = p
            .get(&key, GetOptions { range: Some(3..7), ..GetOptions::default() })
            .await
            .map_err(|e| e.to_string())?;
        ensure!(got.meta.size == 10, "meta size {} for a range read", got.meta.size);
        let body = collect_body(got.body).await.map_err(|e| e.to_string())?;
        ensure!(body == b"3456", "range 3..7 gave {:?}", String::from_utf8_lossy(&body));
        self.remove(p, &key).await
    }

    /// A conditional create refuses to replace an existing object.
    pub async fn create_if_absent(&self, p: &dyn Provider) -> Outcome {
        if !p.capabilities().write_if_not_exists {
            return Err(skip("the provider has no conditional create"));
        }
        let key = self.key("cond/once.txt")?;
        let once = PutOptions { if_none_match: true, ..PutOptions::default() };
        p.put(&key, body_from_bytes(&b"first"[..]), once.clone()).await.map_err(|e| e.to_string())?;
        let err = p
            .put(&key, body_from_bytes(&b"second"[..]), once)
            .await
            .err()
            .ok_or("second create succeeded")?;
        ensure!(err.kind() == ErrorKind::AlreadyExists, "second create failed with {err}");
        ensure!(self.read(p, &key).await? == b"first", "the conditional create replaced the object");
        self.remove(p, &key).await
    }

    /// A body shorter than the declared size is refused, and nothing is left behind.
    pub async fn short_body_refused(&self, p: &dyn Provider) -> Outcome {
        let key = self.key("short/doc.txt")?;
        let options = PutOptions { size: Some(100), ..PutOptions::default() };
        let result = p.put(&key, body_from_bytes(&b"only a few bytes"[..]), options).await;
        ensure!(result.is_err(), "a short body was accepted");
        ensure!(p.head(&key).await.is_err_and(|e| e.is_not_found()), "a short body left an object");
        ensure!(
            self.list(p, &self.key("short/")?, false).await?.is_empty(),
            "a short body left something listed"
        );
        Ok(())
    }

    /// A body that does not match its declared SHA-256 is refused and nothing is
    /// stored; the right SHA-256 is accepted.
    pub async fn corrupt_body_refused(&self, p: &dyn Provider) -> Outcome {
        let key = self.key("corrupt/doc.txt")?;
        let good = b"the real content";
        let declared = sha256_hex(b"the real c0ntent");
        let options =
            PutOptions { size: Some(good.len() as u64), sha256: Some(declared), ..PutOptions::default() };
        let err = p
            .put(&key, body_from_bytes(&good[..]), options)
            .await
            .err()
            .ok_or("a corrupt body was accepted")?;
        ensure!(err.kind() == ErrorKind::ChecksumMismatch, "a corrupt body failed with {err}");
        ensure!(p.head(&key).await.is_err_and(|e| e.is_not_found()), "a corrupt body left an object");
        let options = PutOptions { sha256: Some(sha256_hex(good)), ..PutOptions::default() };
        p.put(&key, body_from_bytes(&good[..]), options)
            .await
            .map_err(|e| format!("the right SHA-256: {e}"))?;
        ensure!(self.read(p, &key).await? == good, "body differs");
        self.remove(p, &key).await
    }

    /// Modification times given at write are kept (to the second).
    pub async fn preserves_modified(&self, p: &dyn Provider) -> Outcome {
        if !p.capabilities().preserve_modified {
            return Err(skip("the provider sets its own modification times"));
        }
        let key = self.key("mtime/old.txt")?;
        let when =
            chrono::DateTime::parse_from_rfc3339("2001-02-03T04:05:06Z").map_err(|e| e.to_string())?.to_utc();
        let options = PutOptions { modified: Some(when), ..PutOptions::default() };
        p.put(&key, body_from_bytes(&b"old"[..]), options).await.map_err(|e| e.to_string())?;
        let meta = p.head(&key).await.map_err(|e| e.to_string())?;
        ensure!(
            meta.modified.map(|m| m.timestamp()) == Some(when.timestamp()),
            "modified {:?}",
            meta.modified
        );
        self.remove(p, &key).await
    }

    /// Versions: an overwrite keeps the old version, readable by id.
    pub async fn versions(&self, p: &dyn Provider) -> Outcome {
        if !p.capabilities().versions {
            return Err(skip("the provider keeps no versions"));
        }
        let key = self.key("ver/doc.txt")?;
        let v1 = self.put(p, &key, b"one").await?.version.ok_or("no version id from put")?;
        let v2 = self.put(p, &key, b"two").await?.version.ok_or("no version id from put")?;
        ensure!(v1 != v2, "both writes got version {v1}");
        let old = p
            .get(&key, GetOptions { version: Some(v1.clone()), ..GetOptions::default() })
            .await
            .map_err(|e| e.to_string())?;
        ensure!(
            collect_body(old.body).await.map_err(|e| e.to_string())? == b"one",
            "old version's bytes differ"
        );
        let listed: Vec<ObjectMeta> =
            p.list_versions(&self.key("ver/")?).try_collect().await.map_err(|e| e.to_string())?;
        let ids: Vec<_> = listed.iter().filter_map(|m| m.version.clone()).collect();
        ensure!(ids == [v2.clone(), v1.clone()], "versions listed {ids:?}, expected [{v2}, {v1}]");
        for v in [v1, v2] {
            p.delete(&key, DeleteOptions { version: Some(v) }).await.map_err(|e| e.to_string())?;
        }
        ensure!(p.head(&key).await.is_err(), "object survives deleting all its versions");
        Ok(())
    }
}

const SKIP: &str = "SKIP: ";

fn skip(reason: impl std::fmt::Display) -> String {
    format!("{SKIP}{reason}")
}

/// What a run found.
#[derive(Debug, Default)]
pub struct Report {
    /// Cases that passed.
    pub passed: Vec<&'static str>,
    /// Cases skipped, with the reason.
    pub skipped: Vec<(&'static str, String)>,
    /// Cases that failed, with the reason.
    pub failed: Vec<(&'static str, String)>,
}

impl Report {
    /// A readable summary.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut out = format!(
            "{} passed, {} failed, {} skipped",
            self.passed.len(),
            self.failed.len(),
            self.skipped.len()
        );
        for (name, why) in &self.skipped {
            let _ = write!(out, "\n  skipped {name}: {why}");
        }
        for (name, why) in &self.failed {
            let _ = write!(out, "\n  FAILED {name}: {why}");
        }
        out
    }
}

/// Runs every case against `provider`.
pub async fn run_all(provider: &dyn Provider, suite: &Suite) -> Report {
    let mut report = Report::default();
    macro_rules! case {
        ($name:ident) => {
            match suite.$name(provider).await {
                Ok(()) => report.passed.push(stringify!($name)),
                Err(why) if why.starts_with(SKIP) => {
                    report.skipped.push((stringify!($name), why[SKIP.len()..].to_owned()))
                }
                Err(why) => report.failed.push((stringify!($name), why)),
            }
        };
    }
    case!(empty_listing);
    case!(zero_byte_object);
    case!(awkward_keys);
    case!(long_key);
    case!(pagination);
    case!(large_object);
    case!(overwrite);
    case!(delete_semantics);
    case!(prefix_semantics);
    case!(metadata_round_trip);
    case!(tags_round_trip);
    case!(range_read);
    case!(create_if_absent);
    case!(short_body_refused);
    case!(corrupt_body_refused);
    case!(preserves_modified);
    case!(versions);
    report
}
