//! The conformance suite against the S3 provider on real S3-compatible servers
//! (moto and s3s-fs, started by scripts/s3-servers.sh; their addresses arrive in
//! FERRY_TEST_S3_MOTO and FERRY_TEST_S3_S3SFS), plus what only S3 can show: bad
//! credentials, versioned buckets, and multipart uploads that leave nothing behind.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use ferry_storage::conformance::{Suite, run_all};
use ferry_storage::s3::{S3Config, S3Provider};
use ferry_storage::{ByteStream, ErrorKind, GetOptions, ObjectKey, Provider, ProviderError, PutOptions};
use futures::StreamExt;
use sha2::Digest as _;

const MIB: u64 = 1024 * 1024;

fn server(var: &str) -> Option<(String, String, String)> {
    let endpoint = std::env::var(var).ok()?;
    let key = std::env::var("FERRY_TEST_S3_ACCESS_KEY").unwrap_or_else(|_| "ferrytestkey".into());
    let secret =
        std::env::var("FERRY_TEST_S3_SECRET_KEY").unwrap_or_else(|_| "ferrytestsecret0123456789".into());
    Some((endpoint, key, secret))
}

fn skipped(var: &str) {
    eprintln!("SKIPPED: {var} is not set (scripts/test.sh starts the S3 test servers and sets it)");
}

/// A fresh bucket and a provider with a small multipart threshold.
async fn provider(var: &str, tweak: impl FnOnce(&mut S3Config)) -> Option<S3Provider> {
    let (endpoint, key, secret) = server(var)?;
    let bucket = format!("ferry-{}", &uuid::Uuid::now_v7().simple().to_string()[16..]);
    let mut config = S3Config::new(Some(endpoint), &bucket, &key, &secret);
    config.multipart_threshold = 5 * MIB;
    config.part_size = 5 * MIB;
    config.part_concurrency = 2;
    tweak(&mut config);
    let provider = S3Provider::connect(config).await.unwrap();
    provider.ensure_bucket().await.unwrap();
    Some(provider)
}

fn suite() -> Suite {
    // Above the 5 MiB threshold: three parts of at most 5 MiB.
    Suite { large_size: usize::try_from(11 * MIB + 123).unwrap(), ..Suite::default() }
}

#[tokio::test]
async fn moto_passes_conformance() {
    let Some(p) = provider("FERRY_TEST_S3_MOTO", |_| {}).await else { return skipped("FERRY_TEST_S3_MOTO") };
    let report = run_all(&p, &suite()).await;
    eprintln!("s3 on moto: {}", report.summary());
    assert!(report.failed.is_empty(), "{}", report.summary());
    assert!(p.unfinished_uploads().await.unwrap().is_empty(), "no multipart upload left open");
}

#[tokio::test]
async fn moto_versioned_bucket_keeps_versions() {
    let Some(mut p) = provider("FERRY_TEST_S3_MOTO", |_| {}).await else {
        return skipped("FERRY_TEST_S3_MOTO");
    };
    assert!(!p.capabilities().versions);
    p.enable_versioning().await.unwrap();
    assert!(p.capabilities().versions, "versioning is detected");
    let suite = suite();
    suite.versions(&p).await.unwrap();
    suite.overwrite(&p).await.unwrap();
}

#[tokio::test]
async fn s3s_fs_passes_conformance() {
    // s3s-fs keeps keys as file paths: long keys fail there, so the suite skips them.
    let Some(p) = provider("FERRY_TEST_S3_S3SFS", |c| {
        c.max_key_bytes = 160;
        c.tags = false;
    })
    .await
    else {
        return skipped("FERRY_TEST_S3_S3SFS");
    };
    let report = run_all(&p, &suite()).await;
    eprintln!("s3 on s3s-fs: {}", report.summary());
    assert!(report.failed.is_empty(), "{}", report.summary());
    assert!(report.skipped.iter().any(|(name, _)| *name == "long_key"), "{}", report.summary());
}

#[tokio::test]
async fn a_wrong_secret_is_permission_denied_and_never_printed() {
    let Some((endpoint, key, _)) = server("FERRY_TEST_S3_S3SFS") else {
        return skipped("FERRY_TEST_S3_S3SFS");
    };
    let config = S3Config::new(Some(endpoint), "ferry-wrong-secret", &key, "not-the-secret-0000");
    let p = S3Provider::connect(config).await.unwrap();
    let err = p.check_bucket().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    let shown = format!("{err} {err:?} {p:?}");
    assert!(!shown.contains("not-the-secret-0000"), "{shown}");
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_temporary_failure() {
    let config = S3Config::new(Some("http://127.0.0.1:1".into()), "bucket", "key", "secret");
    let p = S3Provider::connect(config).await.unwrap();
    let err = p.head(&ObjectKey::new("x").unwrap()).await.unwrap_err();
    assert!(err.is_temporary(), "{err}");
    assert!(err.to_string().contains("reach"), "{err}");
}

#[tokio::test]
async fn a_multipart_put_confirmed_part_by_part_reports_the_whole_sha256() {
    for var in ["FERRY_TEST_S3_MOTO", "FERRY_TEST_S3_S3SFS"] {
        let Some(p) = provider(var, |_| {}).await else { return skipped(var) };
        let key = ObjectKey::new("parts/big.bin").unwrap();
        let data: Vec<u8> = (0..11 * MIB + 7).map(|i| (i % 251) as u8).collect();
        let whole = hex::encode(sha2::Sha256::digest(&data));
        let put =
            p.put(&key, ferry_storage::body_from_bytes(data.clone()), PutOptions::default()).await.unwrap();
        // Reported only when the server echoed the composite of the parts' digests;
        // when it does, it must be the SHA-256 of exactly these bytes.
        match put.hashes.get(&ferry_storage::HashKind::Sha256) {
            Some(reported) => assert_eq!(reported, &whole, "{var}"),
            None => eprintln!("{var}: no composite checksum echoed; the engine reads such copies back"),
        }
        let back = ferry_storage::collect_body(p.get(&key, GetOptions::default()).await.unwrap().body)
            .await
            .unwrap();
        assert!(back == data, "{var}: the bytes round-trip");
        // Without checksums sent, nothing is claimed.
        let Some(plain) = provider(var, |c| c.send_checksums = false).await else { return };
        let put = plain.put(&key, ferry_storage::body_from_bytes(data), PutOptions::default()).await.unwrap();
        assert!(put.hashes.is_empty(), "{var}: {put:?}");
    }
}

#[tokio::test]
async fn a_broken_multipart_upload_is_aborted() {
    for var in ["FERRY_TEST_S3_MOTO", "FERRY_TEST_S3_S3SFS"] {
        let Some(p) = provider(var, |_| {}).await else { return skipped(var) };
        let key = ObjectKey::new("broken/big.bin").unwrap();
        // Two full parts, then the source fails.
        let chunks: Vec<ferry_storage::Result<bytes::Bytes>> = vec![
            Ok(bytes::Bytes::from(vec![1u8; 6 * 1024 * 1024])),
            Ok(bytes::Bytes::from(vec![2u8; 6 * 1024 * 1024])),
            Err(ProviderError::new(ErrorKind::Unexpected, "read", "source connection reset")),
        ];
        let body: ByteStream = futures::stream::iter(chunks).boxed();
        let err = p.put(&key, body, PutOptions::default()).await.unwrap_err();
        assert_eq!(err.message(), "source connection reset");
        assert!(p.head(&key).await.unwrap_err().is_not_found(), "{var}: nothing visible");
        match p.unfinished_uploads().await {
            Ok(open) => assert!(open.is_empty(), "{var}: the upload was aborted, yet {open:?} remain"),
            // s3s-fs cannot list uploads; the abort itself was still sent and accepted.
            Err(e) if e.is_unsupported() => eprintln!("{var}: cannot list open uploads ({e})"),
            Err(e) => panic!("{var}: {e}"),
        }
    }
}

#[tokio::test]
async fn uploads_a_crash_left_open_are_aborted() {
    let Some(p) = provider("FERRY_TEST_S3_MOTO", |_| {}).await else { return skipped("FERRY_TEST_S3_MOTO") };
    let (endpoint, key, secret) = server("FERRY_TEST_S3_MOTO").unwrap();
    // A multipart upload begun by a process that then died.
    let root = p.info().root;
    let bucket = root.trim_end_matches('/');
    let sdk = aws_sdk_s3::Client::from_conf(
        S3Config::new(Some(endpoint), bucket, &key, &secret).sdk_config().unwrap(),
    );
    sdk.create_multipart_upload().bucket(bucket).key("orphan.bin").send().await.unwrap();
    assert_eq!(p.unfinished_uploads().await.unwrap().len(), 1);
    // (moto reports a fixed initiation time in 2010, so the age limit is checked on
    // the local provider's temporary files instead.)
    assert_eq!(p.clean_interrupted(std::time::Duration::ZERO).await.unwrap(), 1);
    assert!(p.unfinished_uploads().await.unwrap().is_empty());
}

/// A server that answers every request with a redirect to `target`, counting them.
async fn redirecting_server(target: String) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let target = target.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let _ = socket.read(&mut buf).await;
                let answer = format!(
                    "HTTP/1.1 307 Temporary Redirect\r\nLocation: {target}/bucket/key\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn redirects_are_never_followed() {
    // Where a redirect would lead (standing in for a metadata address): it must never be reached.
    let target = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target_url = format!("http://{}", target.local_addr().unwrap());
    let reached = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = reached.clone();
    tokio::spawn(async move {
        while target.accept().await.is_ok() {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let (endpoint, asked) = redirecting_server(target_url).await;
    let mut config = S3Config::new(Some(endpoint), "bucket", "AKIAREDIRECT", "redirect-secret");
    config.path_style = true;
    let provider = S3Provider::connect(config).await.unwrap();
    let key = ObjectKey::new("key").unwrap();
    assert!(provider.head(&key).await.is_err(), "a redirect is an error, not an answer");
    assert!(provider.get(&key, GetOptions::default()).await.is_err());
    let listed = provider.list(&ObjectKey::root(), ferry_storage::ListOptions::default()).next().await;
    assert!(listed.is_some_and(|r| r.is_err()));
    assert!(asked.load(std::sync::atomic::Ordering::SeqCst) >= 3, "the endpoint was asked");
    assert_eq!(
        reached.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the redirect target was never contacted"
    );
}

#[tokio::test]
async fn a_name_resolving_to_a_refused_address_is_never_connected_to() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = connections.clone();
    tokio::spawn(async move {
        while listener.accept().await.is_ok() {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let open = |guard: ferry_storage::s3::AddressGuard| async move {
        // A name, not an address: the guard sees what it resolves to at connect time.
        let mut config =
            S3Config::new(Some(format!("http://localhost:{port}")), "bucket", "AKIAGUARD", "guard-secret");
        config.connect_timeout = std::time::Duration::from_secs(2);
        config.read_timeout = std::time::Duration::from_secs(2);
        config.address_guard = Some(guard);
        S3Provider::connect(config).await.unwrap()
    };
    let refusing =
        open(std::sync::Arc::new(|ip: std::net::IpAddr| ip.is_loopback().then_some("loopback refused")))
            .await;
    let err = refusing.head(&ObjectKey::new("key").unwrap()).await.unwrap_err();
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 0, "never connected: {err}");
    let allowing = open(std::sync::Arc::new(|_| None)).await;
    let _ = allowing.head(&ObjectKey::new("key").unwrap()).await;
    assert!(connections.load(std::sync::atomic::Ordering::SeqCst) > 0, "the same name connects when allowed");
}

#[tokio::test]
async fn a_server_without_tags_is_asked_once_and_reads_count_tags() {
    // s3s-fs keeps no tags: the first refusal is remembered, so copies stop asking.
    let Some(p) = provider("FERRY_TEST_S3_S3SFS", |_| {}).await else {
        return skipped("FERRY_TEST_S3_S3SFS");
    };
    let key = ObjectKey::new("tagless.txt").unwrap();
    let options = PutOptions { size: Some(4), ..PutOptions::default() };
    p.put(&key, ferry_storage::body_from_bytes(&b"none"[..]), options).await.unwrap();
    assert!(p.capabilities().tags, "configured to keep tags until the server says otherwise");
    let got = p.get(&key, GetOptions::default()).await.unwrap();
    assert_eq!(got.meta.tag_count, None, "unknown until the server answers a tag request");
    // Copies that start together: one asks, the others learn its answer.
    let asks = (0..16).map(|_| p.get_tags(&key, None));
    for answer in futures::future::join_all(asks).await {
        let err = answer.unwrap_err();
        assert!(err.is_unsupported(), "{err}");
    }
    assert!(!p.capabilities().tags, "the refusal is remembered");
    let got = p.get(&key, GetOptions::default()).await.unwrap();
    assert_eq!(got.meta.tag_count, Some(0), "a server without tags holds none");

    // moto sends the count with each read of a tagged object.
    let Some(p) = provider("FERRY_TEST_S3_MOTO", |_| {}).await else { return skipped("FERRY_TEST_S3_MOTO") };
    let tags = std::collections::BTreeMap::from([
        ("a".to_owned(), "1".to_owned()),
        ("b".to_owned(), "2".to_owned()),
    ]);
    let options = PutOptions { size: Some(6), tags, ..PutOptions::default() };
    p.put(&key, ferry_storage::body_from_bytes(&b"tagged"[..]), options).await.unwrap();
    let got = p.get(&key, GetOptions::default()).await.unwrap();
    assert_eq!(got.meta.tag_count, Some(2));
    assert!(p.capabilities().tags);
}
