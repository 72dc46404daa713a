//! The conformance suite against the in-memory provider, plain, versioned and
//! case-insensitive.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use ferry_storage::conformance::{Suite, run_all};
use ferry_storage::memory::{MemoryConfig, MemoryProvider};
use ferry_storage::{ObjectKey, Provider, PutOptions, body_from_bytes};

#[tokio::test]
async fn memory_passes_conformance() {
    let provider = MemoryProvider::new(MemoryConfig::default());
    let report = run_all(&provider, &Suite::default()).await;
    eprintln!("memory: {}", report.summary());
    assert!(report.failed.is_empty(), "{}", report.summary());
    assert!(report.skipped.iter().any(|(name, _)| *name == "versions"), "unversioned skips versions");
}

#[tokio::test]
async fn versioned_memory_passes_conformance() {
    let provider = MemoryProvider::new(MemoryConfig { versioned: true, ..MemoryConfig::default() });
    let report = run_all(&provider, &Suite::default()).await;
    eprintln!("memory (versioned): {}", report.summary());
    assert!(report.failed.is_empty(), "{}", report.summary());
    assert!(report.passed.contains(&"versions"));
}

#[tokio::test]
async fn case_insensitive_memory_folds_keys() {
    let provider = MemoryProvider::new(MemoryConfig { case_insensitive: true, ..MemoryConfig::default() });
    let upper = ObjectKey::new("Docs/A.txt").unwrap();
    let lower = ObjectKey::new("docs/a.txt").unwrap();
    provider.put(&upper, body_from_bytes(&b"x"[..]), PutOptions::default()).await.unwrap();
    assert_eq!(provider.head(&lower).await.unwrap().size, 1);
    let report = run_all(&provider, &Suite::default()).await;
    assert!(report.failed.is_empty(), "{}", report.summary());
}
