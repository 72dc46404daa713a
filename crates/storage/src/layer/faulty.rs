//! A provider wrapper that misbehaves on purpose, for engine tests: fail the Nth
//! call of an operation with a chosen error, answer "slow down" with a
//! Retry-After, corrupt or truncate a body, or add latency.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;

use crate::{
    ByteStream, Capabilities, DeleteOptions, ErrorKind, GetOptions, GetResult, ListOptions, ListStream,
    ObjectKey, ObjectMeta, Provider, ProviderError, ProviderInfo, PutOptions, PutResult, Result,
};

/// The operations a fault can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `list`
    List,
    /// `head`
    Head,
    /// `get`
    Get,
    /// `put`
    Put,
    /// `delete`
    Delete,
    /// `copy_within`
    Copy,
}

/// What goes wrong.
#[derive(Debug, Clone)]
pub enum Fault {
    /// The call fails with this kind (retry class from the kind).
    Fail(ErrorKind),
    /// HTTP 429: `RateLimited`, temporary, with a Retry-After.
    TooManyRequests(Duration),
    /// HTTP 503: `Unexpected`, temporary, with a Retry-After.
    Unavailable(Duration),
    /// One byte of the body is flipped (get: what is read; put: what is stored).
    CorruptBody,
    /// The body silently stops after half of it (get: what is read; put: what is sent).
    TruncateBody,
    /// The call waits this long first.
    Latency(Duration),
}

#[derive(Debug, Clone)]
struct Rule {
    op: Op,
    /// The 1-based call number it fires on; `None` fires on every call.
    nth: Option<u64>,
    fault: Fault,
}

/// Wraps a provider and injects faults by rule.
#[derive(Debug)]
pub struct Faulty<P> {
    inner: P,
    rules: Mutex<Vec<Rule>>,
    calls: Mutex<HashMap<Op, u64>>,
}

impl<P: Provider> Faulty<P> {
    /// No faults until rules are added.
    pub fn new(inner: P) -> Self {
        Self { inner, rules: Mutex::new(Vec::new()), calls: Mutex::new(HashMap::new()) }
    }

    /// Injects `fault` into the `nth` call (1-based) of `op`.
    #[must_use]
    pub fn on_nth(self, op: Op, nth: u64, fault: Fault) -> Self {
        self.add(Rule { op, nth: Some(nth), fault });
        self
    }

    /// Injects `fault` into every call of `op`.
    #[must_use]
    pub fn on_every(self, op: Op, fault: Fault) -> Self {
        self.add(Rule { op, nth: None, fault });
        self
    }

    /// Removes every rule (the provider behaves from now on).
    pub fn heal(&self) {
        if let Ok(mut rules) = self.rules.lock() {
            rules.clear();
        }
    }

    /// How many times `op` was called.
    pub fn calls(&self, op: Op) -> u64 {
        self.calls.lock().map(|c| c.get(&op).copied().unwrap_or(0)).unwrap_or(0)
    }

    /// The wrapped provider.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    fn add(&self, rule: Rule) {
        if let Ok(mut rules) = self.rules.lock() {
            rules.push(rule);
        }
    }

    /// Counts the call and returns the faults that fire on it.
    fn faults(&self, op: Op) -> Vec<Fault> {
        let n = match self.calls.lock() {
            Ok(mut calls) => {
                let n = calls.entry(op).or_insert(0);
                *n += 1;
                *n
            }
            Err(_) => return Vec::new(),
        };
        self.rules
            .lock()
            .map(|rules| {
                rules
                    .iter()
                    .filter(|r| r.op == op && r.nth.is_none_or(|k| k == n))
                    .map(|r| r.fault.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Applies latency and errors; returns the body faults for the caller to apply.
    async fn before(&self, op: Op, op_name: &'static str, key: Option<&ObjectKey>) -> Result<Vec<Fault>> {
        let mut body_faults = Vec::new();
        for fault in self.faults(op) {
            let named = |e: ProviderError| match key {
                Some(k) => e.with_key(k),
                None => e,
            };
            match fault {
                Fault::Latency(d) => tokio::time::sleep(d).await,
                Fault::Fail(kind) => {
                    return Err(named(ProviderError::new(kind, op_name, "injected fault")));
                }
                Fault::TooManyRequests(after) => {
                    return Err(named(
                        ProviderError::new(
                            ErrorKind::RateLimited,
                            op_name,
                            "429 Too Many Requests (injected)",
                        )
                        .with_retry_after(after),
                    ));
                }
                Fault::Unavailable(after) => {
                    return Err(named(
                        ProviderError::new(
                            ErrorKind::Unexpected,
                            op_name,
                            "503 Service Unavailable (injected)",
                        )
                        .with_retry_after(after),
                    ));
                }
                Fault::CorruptBody | Fault::TruncateBody => body_faults.push(fault),
            }
        }
        Ok(body_faults)
    }
}

/// Applies body faults to a stream (needs the size to truncate at half).
fn damage(body: ByteStream, faults: &[Fault], size: Option<u64>) -> ByteStream {
    let mut body = body;
    for fault in faults {
        body = match fault {
            Fault::CorruptBody => {
                let mut done = false;
                body.map(move |chunk| {
                    let chunk = chunk?;
                    if done || chunk.is_empty() {
                        return Ok(chunk);
                    }
                    done = true;
                    let mut bytes = BytesMut::from(&chunk[..]);
                    bytes[0] ^= 0xff;
                    Ok(bytes.freeze())
                })
                .boxed()
            }
            Fault::TruncateBody => {
                let mut left = size.map_or(0, |s| s / 2);
                body.map(move |chunk| {
                    let chunk = chunk?;
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(chunk.len());
                    left -= take as u64;
                    Ok(chunk.slice(..take))
                })
                .filter(|c| futures::future::ready(c.as_ref().map_or(true, |b: &Bytes| !b.is_empty())))
                .boxed()
            }
            _ => body,
        };
    }
    body
}

#[async_trait]
impl<P: Provider> Provider for Faulty<P> {
    fn info(&self) -> ProviderInfo {
        self.inner.info()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    fn list<'a>(&'a self, prefix: &ObjectKey, options: ListOptions) -> ListStream<'a> {
        let prefix = prefix.clone();
        futures::stream::once(async move {
            match self.before(Op::List, "list", None).await {
                Ok(_) => self.inner.list(&prefix, options),
                Err(e) => futures::stream::once(async { Err(e) }).boxed(),
            }
        })
        .flatten()
        .boxed()
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        self.before(Op::Head, "head", Some(key)).await?;
        self.inner.head(key).await
    }

    async fn get(&self, key: &ObjectKey, options: GetOptions) -> Result<GetResult> {
        let faults = self.before(Op::Get, "get", Some(key)).await?;
        let got = self.inner.get(key, options).await?;
        let size = Some(got.meta.size);
        Ok(GetResult { meta: got.meta, body: damage(got.body, &faults, size) })
    }

    async fn put(&self, key: &ObjectKey, body: ByteStream, options: PutOptions) -> Result<PutResult> {
        let faults = self.before(Op::Put, "put", Some(key)).await?;
        if faults.is_empty() {
            return self.inner.put(key, body, options).await;
        }
        // The damage happens on the way, after the writer hashed what it sent: the
        // result names the bytes sent, not the damaged ones that arrived.
        let sent = std::sync::Arc::new(Mutex::new(<sha2::Sha256 as sha2::Digest>::new()));
        let seen = sent.clone();
        let body = body
            .inspect(move |chunk| {
                if let Ok(chunk) = chunk {
                    sha2::Digest::update(
                        &mut *seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
                        chunk,
                    );
                }
            })
            .boxed();
        let body = damage(body, &faults, options.size);
        let mut result = self.inner.put(key, body, options).await?;
        let digest = sent.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        result.written_sha256 = Some(hex::encode(sha2::Digest::finalize(digest)));
        Ok(result)
    }

    async fn delete(&self, key: &ObjectKey, options: DeleteOptions) -> Result<()> {
        self.before(Op::Delete, "delete", Some(key)).await?;
        self.inner.delete(key, options).await
    }

    async fn copy_within(&self, from: &ObjectKey, to: &ObjectKey) -> Result<PutResult> {
        self.before(Op::Copy, "copy_within", Some(from)).await?;
        self.inner.copy_within(from, to).await
    }

    async fn clean_interrupted(&self, older_than: Duration) -> Result<u64> {
        self.inner.clean_interrupted(older_than).await
    }

    async fn get_tags(
        &self,
        key: &ObjectKey,
        version: Option<&str>,
    ) -> Result<std::collections::BTreeMap<String, String>> {
        self.before(Op::Head, "get_tags", Some(key)).await?;
        self.inner.get_tags(key, version).await
    }

    fn list_versions<'a>(&'a self, prefix: &ObjectKey) -> ListStream<'a> {
        self.inner.list_versions(prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{MemoryConfig, MemoryProvider};
    use crate::{body_from_bytes, collect_body};

    fn key(k: &str) -> ObjectKey {
        ObjectKey::new(k).unwrap()
    }

    #[tokio::test]
    async fn fails_only_the_nth_call() {
        let p = Faulty::new(MemoryProvider::new(MemoryConfig::default())).on_nth(
            Op::Put,
            2,
            Fault::Fail(ErrorKind::PermissionDenied),
        );
        let (a, b, c) = (key("a"), key("b"), key("c"));
        let body = || body_from_bytes(&b"x"[..]);
        assert!(p.put(&a, body(), PutOptions::default()).await.is_ok());
        let err = p.put(&b, body(), PutOptions::default()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert!(!err.is_temporary());
        assert!(p.put(&c, body(), PutOptions::default()).await.is_ok());
        assert_eq!(p.calls(Op::Put), 3);
    }

    #[tokio::test]
    async fn rate_limits_carry_retry_after() {
        let p = Faulty::new(MemoryProvider::new(MemoryConfig::default()))
            .on_every(Op::Head, Fault::TooManyRequests(Duration::from_secs(2)));
        let err = p.head(&key("a")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        assert!(err.is_temporary());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
        p.heal();
        assert!(p.head(&key("a")).await.unwrap_err().is_not_found());
    }

    #[tokio::test]
    async fn corrupts_and_truncates_bodies() {
        let inner = MemoryProvider::new(MemoryConfig::default());
        inner.put(&key("doc"), body_from_bytes(&b"0123456789"[..]), PutOptions::default()).await.unwrap();
        let p =
            Faulty::new(inner).on_nth(Op::Get, 1, Fault::CorruptBody).on_nth(Op::Get, 2, Fault::TruncateBody);
        let doc = key("doc");
        let mut reads = Vec::new();
        for _ in 0..3 {
            reads.push(collect_body(p.get(&doc, GetOptions::default()).await.unwrap().body).await.unwrap());
        }
        assert_eq!(reads[0].len(), 10);
        assert_ne!(reads[0], b"0123456789");
        assert_eq!(reads[1], b"01234");
        assert_eq!(reads[2], b"0123456789");
    }

    #[tokio::test]
    async fn a_truncated_upload_is_refused_by_a_size_check() {
        let p =
            Faulty::new(MemoryProvider::new(MemoryConfig::default())).on_nth(Op::Put, 1, Fault::TruncateBody);
        let options = PutOptions { size: Some(10), ..PutOptions::default() };
        assert!(p.put(&key("doc"), body_from_bytes(&b"0123456789"[..]), options).await.is_err());
        assert!(p.inner().head(&key("doc")).await.unwrap_err().is_not_found());
    }
}
