//! The conformance suite against a real folder, and the local provider's own
//! guarantees: no escape from the root, atomic writes, no temporary files left.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::os::unix::fs::symlink;

use ferry_storage::conformance::{Suite, run_all};
use ferry_storage::local::{LocalProvider, TEMP_PREFIX};
use ferry_storage::{
    ByteStream, ErrorKind, GetOptions, ObjectKey, Provider, ProviderError, PutOptions, body_from_bytes,
};
use futures::StreamExt;

fn key(k: &str) -> ObjectKey {
    ObjectKey::new(k).unwrap()
}

fn leftovers(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else if e.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                found.push(e.path().display().to_string());
            }
        }
    }
    found
}

#[tokio::test]
async fn local_passes_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let provider = LocalProvider::new(dir.path()).unwrap();
    let report = run_all(&provider, &Suite::default()).await;
    eprintln!("local: {}", report.summary());
    assert!(report.failed.is_empty(), "{}", report.summary());
    assert!(report.passed.contains(&"metadata_round_trip"), "ext4 and tmpfs keep user xattrs");
    assert!(leftovers(dir.path()).is_empty());
    // The suite cleans up: no files, and no empty folders either.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn symlinks_out_of_the_root_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), b"top secret").unwrap();
    let dir = tempfile::tempdir().unwrap();
    symlink(outside.path(), dir.path().join("escape")).unwrap();
    symlink(outside.path().join("secret.txt"), dir.path().join("link.txt")).unwrap();
    std::fs::write(dir.path().join("inside.txt"), b"fine").unwrap();
    symlink(dir.path().join("inside.txt"), dir.path().join("alias.txt")).unwrap();
    let provider = LocalProvider::new(dir.path()).unwrap();

    for k in ["escape/secret.txt", "link.txt"] {
        let err = provider.get(&key(k), GetOptions::default()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{k}: {err}");
    }
    let body = || body_from_bytes(&b"x"[..]);
    let err = provider.put(&key("escape/new.txt"), body(), PutOptions::default()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(!outside.path().join("new.txt").exists(), "nothing was written outside");
    let err = provider.put(&key("escape/deeper/new.txt"), body(), PutOptions::default()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(!outside.path().join("deeper").exists(), "no folder was created outside");

    // A link inside the root is an ordinary file; listing never walks out.
    assert_eq!(provider.head(&key("alias.txt")).await.unwrap().size, 4);
    let listed: Vec<String> = provider
        .list(&ObjectKey::root(), Default::default())
        .map(|m| m.unwrap().key.to_string())
        .collect()
        .await;
    assert_eq!(listed, ["alias.txt", "inside.txt"]);
}

#[tokio::test]
async fn reserved_and_folder_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let provider = LocalProvider::new(dir.path()).unwrap();
    for k in ["", "folder/", &format!("{TEMP_PREFIX}x")] {
        let err = provider.put(&key(k), body_from_bytes(&b"x"[..]), PutOptions::default()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{k:?}: {err}");
    }
    assert!(ObjectKey::new("../etc/passwd").is_err(), "traversal never becomes a key");
    let missing = LocalProvider::new(dir.path().join("nope")).unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::InvalidConfig);
}

#[tokio::test]
async fn a_failed_write_leaves_nothing_and_keeps_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let provider = LocalProvider::new(dir.path()).unwrap();
    let k = key("docs/keep.txt");
    provider.put(&k, body_from_bytes(&b"original"[..]), PutOptions::default()).await.unwrap();

    // The body breaks half-way.
    let broken: ByteStream = futures::stream::iter(vec![
        Ok(bytes::Bytes::from_static(b"partial ")),
        Err(ProviderError::new(ErrorKind::Unexpected, "read", "connection reset")),
    ])
    .boxed();
    assert!(provider.put(&k, broken, PutOptions::default()).await.is_err());
    let got = provider.get(&k, GetOptions::default()).await.unwrap();
    assert_eq!(ferry_storage::collect_body(got.body).await.unwrap(), b"original");
    assert!(leftovers(dir.path()).is_empty(), "{:?}", leftovers(dir.path()));

    // A write abandoned mid-stream (its future dropped) leaves nothing either.
    let (tx, rx) = futures::channel::mpsc::unbounded::<ferry_storage::Result<bytes::Bytes>>();
    tx.unbounded_send(Ok(bytes::Bytes::from_static(b"never finished"))).unwrap();
    let abandoned = key("docs/abandoned.txt");
    let pending = provider.put(&abandoned, rx.boxed(), PutOptions::default());
    let timed_out = tokio::time::timeout(std::time::Duration::from_millis(200), pending).await;
    assert!(timed_out.is_err(), "the write was still waiting for its body");
    assert!(leftovers(dir.path()).is_empty(), "{:?}", leftovers(dir.path()));
    assert!(!dir.path().join("docs/abandoned.txt").exists());
    drop(tx);
}

#[tokio::test]
async fn what_a_crash_left_behind_is_swept() {
    // A process killed mid-write leaves its temporary file; the sweep after the
    // restart removes it, and nothing else.
    let dir = tempfile::tempdir().unwrap();
    let provider = LocalProvider::new(dir.path()).unwrap();
    provider.put(&key("docs/kept.txt"), body_from_bytes(&b"kept"[..]), PutOptions::default()).await.unwrap();
    let orphan = dir.path().join(format!("docs/{TEMP_PREFIX}crashed"));
    std::fs::write(&orphan, b"half a document").unwrap();
    let young = provider.clean_interrupted(std::time::Duration::from_secs(3600)).await.unwrap();
    assert_eq!(young, 0, "a temporary file younger than the limit may still be in use");
    assert!(orphan.exists());
    assert_eq!(provider.clean_interrupted(std::time::Duration::ZERO).await.unwrap(), 1);
    assert!(!orphan.exists());
    assert!(dir.path().join("docs/kept.txt").exists());
    assert!(leftovers(dir.path()).is_empty());
}
