//! Whole migrations against real S3 servers (moto and s3s-fs, started by
//! scripts/s3-servers.sh) and local folders: local → S3, S3 → S3 across two
//! servers, S3 → local, a move, and rollbacks on a versioned bucket (restoring
//! prior versions) and on an unversioned one (restoring backups). The end state
//! is checked by reading both sides, not by asking Ferry's database.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::sync::Arc;
use std::time::Duration;

use ferry_db::{JobSpec, ProviderWrite, Store};
use ferry_engine::{WorkerOptions, rollback, start};
use ferry_model::job::{FilterSpec, JobStatus, OverwritePolicy, Strategy};
use ferry_model::provider::{ProviderKind, ProviderStatus};
use ferry_storage::local::LocalProvider;
use ferry_storage::s3::{S3Config, S3Provider};
use ferry_storage::{
    GetOptions, ListOptions, ObjectKey, Provider, PutOptions, body_from_bytes, collect_body,
};
use futures::TryStreamExt;

const MIB: u64 = 1024 * 1024;

async fn bucket(var: &str, versioned: bool, tweak: impl FnOnce(&mut S3Config)) -> Option<Arc<dyn Provider>> {
    let endpoint = std::env::var(var).ok()?;
    let key = std::env::var("FERRY_TEST_S3_ACCESS_KEY").unwrap_or_else(|_| "ferrytestkey".into());
    let secret =
        std::env::var("FERRY_TEST_S3_SECRET_KEY").unwrap_or_else(|_| "ferrytestsecret0123456789".into());
    let name = format!("ferry-engine-{}", &uuid::Uuid::now_v7().simple().to_string()[16..]);
    let mut config = S3Config::new(Some(endpoint), &name, &key, &secret);
    config.multipart_threshold = 5 * MIB;
    config.part_size = 5 * MIB;
    tweak(&mut config);
    let mut provider = S3Provider::connect(config).await.unwrap();
    provider.ensure_bucket().await.unwrap();
    if versioned {
        provider.enable_versioning().await.unwrap();
    }
    Some(Arc::new(provider))
}

fn key(k: &str) -> ObjectKey {
    ObjectKey::new(k).unwrap()
}

fn content(i: usize) -> Vec<u8> {
    // One object above the multipart threshold, the rest small.
    let len = if i == 0 { usize::try_from(6 * MIB + 17).unwrap() } else { 1000 + i * 37 };
    (0..len).map(|b| u8::try_from((b * 7 + i) % 251).unwrap()).collect()
}

async fn seed(p: &dyn Provider, n: usize) {
    for i in 0..n {
        p.put(&key(&format!("in/{i:03}.bin")), body_from_bytes(content(i)), PutOptions::default())
            .await
            .unwrap();
    }
}

async fn contents(p: &dyn Provider, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let metas: Vec<_> = p.list(&key(prefix), ListOptions::default()).try_collect().await.unwrap();
    let mut out = Vec::new();
    for meta in metas {
        let body = collect_body(p.get(&meta.key, GetOptions::default()).await.unwrap().body).await.unwrap();
        out.push((meta.key.as_str().to_owned(), body));
    }
    out
}

async fn store_with_providers() -> (Arc<dyn Store>, (uuid::Uuid, uuid::Uuid), tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store =
        ferry_db::connect(&format!("sqlite://{}", dir.path().join("ferry.db").display())).await.unwrap();
    let mut ids = Vec::new();
    for name in ["a", "b"] {
        let write = ProviderWrite {
            id: uuid::Uuid::now_v7(),
            name: name.into(),
            kind: ProviderKind::S3,
            settings: "{}".into(),
            secrets: None,
            status: ProviderStatus::Active,
            primary: false,
        };
        ids.push(store.create_provider(&write).await.unwrap().id);
    }
    (store, (ids[0], ids[1]), dir)
}

fn spec(
    name: &str,
    ids: (uuid::Uuid, uuid::Uuid),
    strategy: Strategy,
    overwrite: OverwritePolicy,
) -> JobSpec {
    JobSpec {
        name: name.into(),
        source_id: ids.0,
        source_prefix: "in/".into(),
        dest_id: ids.1,
        dest_prefix: "out/".into(),
        filter: FilterSpec::default(),
        strategy,
        overwrite,
        verify: true,
        dry_run: false,
        concurrency: 4,
        bandwidth_limit: None,
        max_attempts: 3,
        mirror_deletes: false,
        max_deletes: 10,
        schedule: "manual".into(),
    }
}

fn fast() -> WorkerOptions {
    WorkerOptions {
        backoff: Duration::from_millis(10),
        poll: Duration::from_millis(10),
        ..WorkerOptions::default()
    }
}

fn renamed(items: Vec<(String, Vec<u8>)>, from: &str, to: &str) -> Vec<(String, Vec<u8>)> {
    items.into_iter().map(|(k, v)| (k.replacen(from, to, 1), v)).collect()
}

#[tokio::test]
async fn local_to_s3_to_s3_to_local() {
    let (Some(moto), Some(s3s)) = (
        bucket("FERRY_TEST_S3_MOTO", false, |_| {}).await,
        bucket("FERRY_TEST_S3_S3SFS", false, |c| {
            c.max_key_bytes = 160;
            c.tags = false;
        })
        .await,
    ) else {
        eprintln!(
            "SKIPPED: FERRY_TEST_S3_MOTO / FERRY_TEST_S3_S3SFS are not set (scripts/test.sh starts the servers)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let local: Arc<dyn Provider> = Arc::new(LocalProvider::new(dir.path()).unwrap());
    seed(local.as_ref(), 8).await;
    let original = contents(local.as_ref(), "in/").await;
    let (store, ids, _db) = store_with_providers().await;

    // local → moto
    let job = store
        .create_job(&spec("l2m", ids, Strategy::Copy, OverwritePolicy::IfDifferent), None)
        .await
        .unwrap();
    let (_, counts) = start(&store, job.id, local.clone(), moto.clone(), &fast()).await.unwrap();
    assert_eq!((counts.done, counts.failed), (8, 0), "{counts:?}");
    assert_eq!(contents(moto.as_ref(), "out/").await, renamed(original.clone(), "in/", "out/"));

    // moto → s3s-fs, as a move: the sources go once proven.
    let mut move_spec = spec("m2s", ids, Strategy::Move, OverwritePolicy::IfDifferent);
    move_spec.source_prefix = "out/".into();
    move_spec.dest_prefix = "moved/".into();
    let job = store.create_job(&move_spec, None).await.unwrap();
    let (_, counts) = start(&store, job.id, moto.clone(), s3s.clone(), &fast()).await.unwrap();
    assert_eq!((counts.done, counts.failed), (8, 0), "{counts:?}");
    assert!(contents(moto.as_ref(), "out/").await.is_empty(), "moved away");
    assert_eq!(contents(s3s.as_ref(), "moved/").await, renamed(original.clone(), "in/", "moved/"));

    // s3s-fs → local
    let mut back = spec("s2l", ids, Strategy::Copy, OverwritePolicy::Overwrite);
    back.source_prefix = "moved/".into();
    back.dest_prefix = "back/".into();
    let job = store.create_job(&back, None).await.unwrap();
    let (_, counts) = start(&store, job.id, s3s.clone(), local.clone(), &fast()).await.unwrap();
    assert_eq!((counts.done, counts.failed), (8, 0), "{counts:?}");
    assert_eq!(contents(local.as_ref(), "back/").await, renamed(original.clone(), "in/", "back/"));

    // local → s3s-fs as a mirror, twice: the second run follows a change, an
    // addition and a deletion at the source.
    let mut mirror = spec("l2s-mirror", ids, Strategy::Mirror, OverwritePolicy::IfDifferent);
    mirror.dest_prefix = "mirror/".into();
    mirror.mirror_deletes = true;
    let job = store.create_job(&mirror, None).await.unwrap();
    let (_, counts) = start(&store, job.id, local.clone(), s3s.clone(), &fast()).await.unwrap();
    assert_eq!((counts.done, counts.failed), (8, 0), "{counts:?}");
    local.put(&key("in/001.bin"), body_from_bytes(b"changed".to_vec()), PutOptions::default()).await.unwrap();
    local.put(&key("in/new.bin"), body_from_bytes(b"new".to_vec()), PutOptions::default()).await.unwrap();
    local.delete(&key("in/002.bin"), ferry_storage::DeleteOptions::default()).await.unwrap();
    let (plan, counts) = start(&store, job.id, local.clone(), s3s.clone(), &fast()).await.unwrap();
    assert_eq!((plan.copy, plan.overwrite, plan.delete), (1, 1, 1), "{plan:?}");
    assert_eq!(counts.failed, 0, "{counts:?}");
    let (got, want) = (
        contents(s3s.as_ref(), "mirror/").await,
        renamed(contents(local.as_ref(), "in/").await, "in/", "mirror/"),
    );
    let summary = |v: &[(String, Vec<u8>)]| v.iter().map(|(k, b)| (k.clone(), b.len())).collect::<Vec<_>>();
    assert_eq!(summary(&got), summary(&want), "the mirror follows the source");
    assert!(got == want, "the mirror holds the source's bytes");
    local.put(&key("in/001.bin"), body_from_bytes(content(1)), PutOptions::default()).await.unwrap();
    local.put(&key("in/002.bin"), body_from_bytes(content(2)), PutOptions::default()).await.unwrap();
    local.delete(&key("in/new.bin"), ferry_storage::DeleteOptions::default()).await.unwrap();

    // Rolling back the move puts every object back on moto, intact.
    let summary =
        rollback(&store, move_spec_id(&store, "m2s").await, moto.clone(), s3s.clone()).await.unwrap();
    assert_eq!((summary.undone, summary.failed), (8, 0), "{summary:?}");
    assert_eq!(contents(moto.as_ref(), "out/").await, renamed(original, "in/", "out/"));
    assert!(contents(s3s.as_ref(), "moved/").await.is_empty());
}

async fn move_spec_id(store: &Arc<dyn Store>, name: &str) -> uuid::Uuid {
    store.list_jobs().await.unwrap().into_iter().find(|j| j.spec.name == name).unwrap().id
}

#[tokio::test]
async fn rollback_restores_prior_versions_and_backups() {
    let (Some(versioned), Some(plain)) =
        (bucket("FERRY_TEST_S3_MOTO", true, |_| {}).await, bucket("FERRY_TEST_S3_MOTO", false, |_| {}).await)
    else {
        eprintln!("SKIPPED: FERRY_TEST_S3_MOTO is not set (scripts/test.sh starts the servers)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let local: Arc<dyn Provider> = Arc::new(LocalProvider::new(dir.path()).unwrap());
    seed(local.as_ref(), 4).await;
    let (store, ids, _db) = store_with_providers().await;
    for (name, dest) in [("versioned", versioned), ("plain", plain)] {
        // The destination already holds older objects under the same keys.
        for i in 0..4 {
            let old = format!("older {name} {i}").into_bytes();
            dest.put(&key(&format!("out/{i:03}.bin")), body_from_bytes(old), PutOptions::default())
                .await
                .unwrap();
        }
        let before = contents(dest.as_ref(), "out/").await;
        let job = store
            .create_job(&spec(name, ids, Strategy::Copy, OverwritePolicy::Overwrite), None)
            .await
            .unwrap();
        let (_, counts) = start(&store, job.id, local.clone(), dest.clone(), &fast()).await.unwrap();
        assert_eq!(counts.done, 4, "{name}");
        let items = store.list_items(job.id, None, None, 10).await.unwrap();
        if name == "versioned" {
            assert!(items.iter().all(|i| i.prior_version.is_some() && i.prior_backup.is_none()), "{items:?}");
        } else {
            assert!(items.iter().all(|i| i.prior_backup.is_some()), "{items:?}");
        }
        let summary = rollback(&store, job.id, local.clone(), dest.clone()).await.unwrap();
        assert_eq!((summary.undone, summary.failed), (4, 0), "{name}: {summary:?}");
        assert_eq!(contents(dest.as_ref(), "out/").await, before, "{name}: the older objects are back");
        assert!(contents(dest.as_ref(), ".ferry-backup/").await.is_empty(), "{name}: backups removed");
        assert_eq!(store.job_by_id(job.id).await.unwrap().status, JobStatus::RolledBack);
    }
}
