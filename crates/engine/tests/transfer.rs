//! One object copied between real provider implementations (memory and a local
//! folder), with faults injected on either side.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly, with the value shown")]

use std::collections::BTreeMap;

use ferry_engine::{TransferOptions, VerifiedBy, copy_object};
use ferry_storage::layer::faulty::{Fault, Faulty, Op};
use ferry_storage::local::LocalProvider;
use ferry_storage::memory::{MemoryConfig, MemoryProvider};
use ferry_storage::{ErrorKind, GetOptions, ObjectKey, Provider, PutOptions, body_from_bytes, collect_body};
use sha2::{Digest, Sha256};

fn key(k: &str) -> ObjectKey {
    ObjectKey::new(k).unwrap()
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect()
}

async fn seeded(bytes: &[u8]) -> MemoryProvider {
    let p = MemoryProvider::new(MemoryConfig::default());
    let options = PutOptions {
        size: Some(bytes.len() as u64),
        content_type: Some("application/pdf".into()),
        user_metadata: BTreeMap::from([("owner".into(), "finance".into())]),
        tags: BTreeMap::from([("class".into(), "invoice".into())]),
        ..PutOptions::default()
    };
    p.put(&key("in/doc.pdf"), body_from_bytes(bytes.to_vec()), options).await.unwrap();
    p
}

fn verify() -> TransferOptions {
    TransferOptions {
        extra_metadata: BTreeMap::from([(
            "ferry-uuid".into(),
            "0190d1c2-0000-7000-8000-000000000001".into(),
        )]),
        copy_tags: true,
        verify: true,
        ..TransferOptions::default()
    }
}

#[tokio::test]
async fn a_copy_keeps_bytes_metadata_and_tags_and_is_proven() {
    let bytes = data(300_000);
    let source = seeded(&bytes).await;
    let dir = tempfile::tempdir().unwrap();
    let local = LocalProvider::new(dir.path()).unwrap();
    let memory = MemoryProvider::new(MemoryConfig::default());

    // A destination that reports no checksum is read back.
    let mut options = verify();
    options.copy_tags = false; // the local folder keeps no tags
    let done = copy_object(&source, &key("in/doc.pdf"), &local, &key("out/doc.pdf"), &options).await.unwrap();
    assert_eq!(done.sha256, hex::encode(Sha256::digest(&bytes)));
    assert_eq!(done.size, bytes.len() as u64);
    assert_eq!(done.verified_by, VerifiedBy::ReadBack);
    let got = local.get(&key("out/doc.pdf"), GetOptions::default()).await.unwrap();
    assert_eq!(got.meta.content_type.as_deref(), Some("application/pdf"));
    assert_eq!(got.meta.user_metadata.get("owner").map(String::as_str), Some("finance"));
    assert!(got.meta.user_metadata.contains_key("ferry-uuid"));
    assert_eq!(collect_body(got.body).await.unwrap(), bytes);

    // Into memory: tags travel too.
    let done = copy_object(&source, &key("in/doc.pdf"), &memory, &key("doc.pdf"), &verify()).await.unwrap();
    assert!(matches!(done.verified_by, VerifiedBy::ReadBack | VerifiedBy::DestinationChecksum));
    let tags = memory.get_tags(&key("doc.pdf"), None).await.unwrap();
    assert_eq!(tags.get("class").map(String::as_str), Some("invoice"));
}

#[tokio::test]
async fn a_short_download_fails_and_stores_nothing() {
    let bytes = data(200_000);
    let source = Faulty::new(seeded(&bytes).await).on_nth(Op::Get, 1, Fault::TruncateBody);
    let dir = tempfile::tempdir().unwrap();
    let dest = LocalProvider::new(dir.path()).unwrap();
    let err = copy_object(&source, &key("in/doc.pdf"), &dest, &key("doc.pdf"), &TransferOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ChecksumMismatch, "{err}");
    assert!(err.is_temporary(), "reading again may help");
    assert!(dest.head(&key("doc.pdf")).await.unwrap_err().is_not_found(), "no partial object");
    // The second read is whole: the retry succeeds.
    let done = copy_object(&source, &key("in/doc.pdf"), &dest, &key("doc.pdf"), &verify()).await.unwrap();
    assert_eq!(done.size, bytes.len() as u64);
}

#[tokio::test]
async fn a_destination_that_stores_other_bytes_is_caught() {
    let bytes = data(50_000);
    // A source that knows its SHA-256: the destination itself refuses the damaged body.
    let source = seeded(&bytes).await;
    let dir = tempfile::tempdir().unwrap();
    let dest = Faulty::new(LocalProvider::new(dir.path()).unwrap()).on_nth(Op::Put, 1, Fault::CorruptBody);
    let err = copy_object(&source, &key("in/doc.pdf"), &dest, &key("doc.pdf"), &verify()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ChecksumMismatch, "{err}");
    assert!(dest.head(&key("doc.pdf")).await.unwrap_err().is_not_found(), "refused, not stored");

    // A source that knows no hash (a local folder): the destination's own checksum
    // of what it stored gives the damage away.
    let src_dir = tempfile::tempdir().unwrap();
    let plain = LocalProvider::new(src_dir.path()).unwrap();
    plain.put(&key("doc.pdf"), body_from_bytes(bytes.clone()), PutOptions::default()).await.unwrap();
    let dest =
        Faulty::new(MemoryProvider::new(MemoryConfig::default())).on_nth(Op::Put, 1, Fault::CorruptBody);
    let err = copy_object(&plain, &key("doc.pdf"), &dest, &key("doc.pdf"), &verify()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ChecksumMismatch, "{err}");
    assert!(err.to_string().contains("destination stored"), "{err}");

    // And one that reports nothing is read back.
    let dir = tempfile::tempdir().unwrap();
    let dest = Faulty::new(LocalProvider::new(dir.path()).unwrap()).on_nth(Op::Put, 1, Fault::CorruptBody);
    let err = copy_object(&plain, &key("doc.pdf"), &dest, &key("doc.pdf"), &verify()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ChecksumMismatch, "{err}");
    assert!(err.to_string().contains("destination holds"), "{err}");
    let done = copy_object(&plain, &key("doc.pdf"), &dest, &key("doc.pdf"), &verify()).await.unwrap();
    assert_eq!(done.verified_by, VerifiedBy::ReadBack, "the retry overwrites the damaged copy");
}

#[tokio::test]
async fn a_corrupted_download_of_a_hashed_source_is_refused() {
    // A source that reports each object's SHA-256 (as S3 does with checksums).
    let bytes = data(80_000);
    let inner = seeded(&bytes).await;
    let meta = inner.head(&key("in/doc.pdf")).await.unwrap();
    assert_eq!(meta.sha256(), Some(hex::encode(Sha256::digest(&bytes)).as_str()));
    let source = Faulty::new(inner).on_nth(Op::Get, 1, Fault::CorruptBody);
    let dest = MemoryProvider::new(MemoryConfig::default());
    let err = copy_object(&source, &key("in/doc.pdf"), &dest, &key("doc.pdf"), &verify()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ChecksumMismatch, "{err}");
    assert!(dest.head(&key("doc.pdf")).await.unwrap_err().is_not_found(), "nothing stored");
}

#[tokio::test]
async fn a_missing_source_is_not_found_and_permanent() {
    let source = MemoryProvider::new(MemoryConfig::default());
    let dest = MemoryProvider::new(MemoryConfig::default());
    let err = copy_object(&source, &key("nope"), &dest, &key("nope"), &verify()).await.unwrap_err();
    assert!(err.is_not_found());
    assert!(!err.is_temporary());
}

#[tokio::test(start_paused = true)]
async fn a_bandwidth_limit_paces_the_copy() {
    let bytes = data(5_000);
    let source = seeded(&bytes).await;
    let dest = MemoryProvider::new(MemoryConfig::default());
    let throttle = ferry_engine::Throttle::new(Some(1_000));
    let options = TransferOptions { throttle: Some(throttle), ..verify() };
    let started = tokio::time::Instant::now();
    copy_object(&source, &key("in/doc.pdf"), &dest, &key("doc.pdf"), &options).await.unwrap();
    // One second of burst, then 1,000 bytes a second: at least four seconds (virtual time).
    assert!(started.elapsed() >= std::time::Duration::from_secs(4), "{:?}", started.elapsed());
}
