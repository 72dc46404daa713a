//! Whole jobs through the engine: a real SQLite store (and PostgreSQL when
//! `TEST_DATABASE_URL` is set) as the queue, in-memory providers with injected faults.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly, with the value shown")]

use std::sync::Arc;
use std::time::Duration;

use ferry_db::{JobSpec, ProviderWrite, Store};
use ferry_engine::{EngineError, WorkerOptions, start};
use ferry_model::job::{FilterSpec, ItemAction, ItemStatus, JobStatus, OverwritePolicy, Strategy};
use ferry_model::provider::{ProviderKind, ProviderStatus};
use ferry_storage::layer::faulty::{Fault, Faulty, Op};
use ferry_storage::memory::{MemoryConfig, MemoryProvider};
use ferry_storage::{
    ErrorKind, GetOptions, ListOptions, ObjectKey, Provider, PutOptions, body_from_bytes, collect_body,
};
use futures::TryStreamExt;

fn key(k: &str) -> ObjectKey {
    ObjectKey::new(k).unwrap()
}

async fn put(p: &dyn Provider, k: &str, data: &[u8]) {
    p.put(&key(k), body_from_bytes(data.to_vec()), PutOptions::default()).await.unwrap();
}

async fn read(p: &dyn Provider, k: &str) -> Vec<u8> {
    collect_body(p.get(&key(k), GetOptions::default()).await.unwrap().body).await.unwrap()
}

async fn keys(p: &dyn Provider) -> Vec<String> {
    p.list(&ObjectKey::root(), ListOptions::default())
        .map_ok(|m| m.key.as_str().to_owned())
        .try_collect()
        .await
        .unwrap()
}

/// Puts a copy of every object `from` holds into `into`.
async fn fill(into: &dyn Provider, from: &dyn Provider) {
    for k in keys(from).await {
        put(into, &k, &read(from, &k).await).await;
    }
}

fn content(i: usize) -> Vec<u8> {
    format!("document {i} ").repeat(100 + i).into_bytes()
}

async fn providers(store: &dyn Store) -> (uuid::Uuid, uuid::Uuid) {
    let mut ids = Vec::new();
    for name in ["source", "destination"] {
        let write = ProviderWrite {
            id: uuid::Uuid::now_v7(),
            name: format!("{name}-{}", uuid::Uuid::now_v7().simple()),
            kind: ProviderKind::Local,
            settings: r#"{"kind":"local","root":"/unused"}"#.into(),
            secrets: None,
            status: ProviderStatus::Active,
            primary: false,
        };
        ids.push(store.create_provider(&write).await.unwrap().id);
    }
    (ids[0], ids[1])
}

fn spec(name: &str, ids: (uuid::Uuid, uuid::Uuid)) -> JobSpec {
    JobSpec {
        name: format!("{name}-{}", uuid::Uuid::now_v7().simple()),
        source_id: ids.0,
        source_prefix: "in/".into(),
        dest_id: ids.1,
        dest_prefix: "archive/".into(),
        filter: FilterSpec { extensions: vec!["pdf".into()], ..FilterSpec::default() },
        strategy: Strategy::Copy,
        overwrite: OverwritePolicy::IfDifferent,
        verify: true,
        dry_run: false,
        concurrency: 4,
        bandwidth_limit: None,
        max_attempts: 4,
        mirror_deletes: false,
        max_deletes: 10,
        schedule: "manual".into(),
    }
}

fn fast() -> WorkerOptions {
    WorkerOptions {
        owner: "test".into(),
        lease: Duration::from_secs(5),
        backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        poll: Duration::from_millis(10),
        ..WorkerOptions::default()
    }
}

/// 12 PDFs and 3 text files under `in/`; the destination already has one PDF with
/// the same bytes, one with other bytes, and one the source lacks.
async fn seed() -> (Arc<MemoryProvider>, Arc<MemoryProvider>) {
    let source = Arc::new(MemoryProvider::new(MemoryConfig::default()));
    let dest = Arc::new(MemoryProvider::new(MemoryConfig::default()));
    for i in 0..12 {
        put(source.as_ref(), &format!("in/docs/{i:02}.pdf"), &content(i)).await;
    }
    for i in 0..3 {
        put(source.as_ref(), &format!("in/notes/{i}.txt"), b"note").await;
    }
    put(dest.as_ref(), "archive/docs/00.pdf", &content(0)).await;
    put(dest.as_ref(), "archive/docs/01.pdf", b"an older version").await;
    put(dest.as_ref(), "archive/docs/99.pdf", b"only here").await;
    (source, dest)
}

async fn story(store: Arc<dyn Store>) {
    let ids = providers(store.as_ref()).await;

    // A dry run plans exactly and touches nothing.
    let (source, dest) = seed().await;
    let before = keys(dest.as_ref()).await;
    let job = store.create_job(&JobSpec { dry_run: true, ..spec("dry", ids) }, None).await.unwrap();
    let (plan, counts) = start(&store, job.id, source.clone(), dest.clone(), &fast()).await.unwrap();
    assert_eq!((plan.listed, plan.filtered_out), (15, 3));
    assert_eq!((plan.copy, plan.overwrite, plan.skip, plan.delete), (10, 1, 1, 0));
    assert_eq!(counts.total, 12);
    assert_eq!(store.job_by_id(job.id).await.unwrap().status, JobStatus::Ready);
    assert_eq!(keys(dest.as_ref()).await, before, "a dry run writes nothing");
    let skipped = store.list_items(job.id, Some(ItemStatus::Skipped), None, 10).await.unwrap();
    assert_eq!(skipped[0].reason.as_deref(), Some("same_content"));

    // A real copy: every PDF arrives with its bytes, the overwritten one is kept.
    let job = store.create_job(&spec("copy", ids), None).await.unwrap();
    let (_, counts) = start(&store, job.id, source.clone(), dest.clone(), &fast()).await.unwrap();
    assert_eq!((counts.done, counts.skipped, counts.failed, counts.pending), (11, 1, 0, 0));
    assert_eq!(store.job_by_id(job.id).await.unwrap().status, JobStatus::Completed);
    for i in 0..12 {
        assert_eq!(read(dest.as_ref(), &format!("archive/docs/{i:02}.pdf")).await, content(i), "{i}");
    }
    let backup = format!(".ferry-backup/{}/archive/docs/01.pdf", job.id);
    assert_eq!(read(dest.as_ref(), &backup).await, b"an older version", "the overwritten object is kept");
    let meta = dest.head(&key("archive/docs/05.pdf")).await.unwrap();
    let uuid = meta.user_metadata.get("ferry-uuid").expect("a document id on the copy");
    let items = store.list_items(job.id, Some(ItemStatus::Verified), None, 100).await.unwrap();
    let item = items.iter().find(|i| i.source_key == "in/docs/05.pdf").unwrap();
    assert_eq!(item.document_id.map(|d| d.to_string()).as_ref(), Some(uuid));
    assert_eq!(item.dest_sha256.as_deref(), meta.sha256());
    // The catalog knows both copies of the document, with the same SHA-256.
    let copies = store.document_copies(item.document_id.unwrap()).await.unwrap();
    assert_eq!(copies.len(), 2, "{copies:?}");
    assert!(copies.iter().all(|c| c.sha256 == item.dest_sha256 && c.title == "05.pdf"));
    let statuses: Vec<_> = copies.iter().map(|c| (c.provider_id, c.sync_status.as_str())).collect();
    assert!(
        statuses.contains(&(ids.0, "canonical")) && statuses.contains(&(ids.1, "mirror")),
        "{statuses:?}"
    );
    // Drift: a copy whose bytes change is caught by a re-check and marked.
    let dest_copy = copies.iter().find(|c| c.provider_id == ids.1).unwrap().clone();
    let source_copy = copies.iter().find(|c| c.provider_id == ids.0).unwrap().clone();
    assert_eq!(
        ferry_engine::recheck_copy(store.as_ref(), &source_copy, source.as_ref()).await.unwrap(),
        ferry_engine::Drift::Intact
    );
    put(dest.as_ref(), "archive/docs/05.pdf", b"tampered").await;
    let drift = ferry_engine::recheck_copy(store.as_ref(), &dest_copy, dest.as_ref()).await.unwrap();
    assert!(matches!(drift, ferry_engine::Drift::Changed(_)), "{drift:?}");
    let after = store.document_copies(item.document_id.unwrap()).await.unwrap();
    let marked: Vec<_> = after.iter().map(|c| (c.provider_id, c.sync_status.as_str())).collect();
    assert!(marked.contains(&(ids.1, "conflict")) && marked.contains(&(ids.0, "canonical")), "{marked:?}");
    // The catalog's search finds it by title in any case, and shows the conflict.
    let found = store.search_documents(Some("05.PDF"), None, 10).await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].id, found[0].copies, found[0].conflicts), (item.document_id.unwrap(), 2, 1));
    let by_key = store.search_documents(Some("archive/docs/0"), None, 1_000).await.unwrap();
    assert!(by_key.len() > 1 && by_key.iter().all(|d| d.copies == 2), "keys of copies match: {by_key:?}");
    let all = store.search_documents(None, None, 1_000).await.unwrap();
    assert!(all.windows(2).all(|w| w[0].id < w[1].id), "in id order");
    let rest = store.search_documents(None, Some(all[0].id), 1_000).await.unwrap();
    assert_eq!(rest.len(), all.len() - 1, "paged after an id");
    put(dest.as_ref(), "archive/docs/05.pdf", &content(5)).await;
    dest.delete(&key("archive/docs/06.pdf"), ferry_storage::DeleteOptions::default()).await.unwrap();
    let six = items.iter().find(|i| i.source_key == "in/docs/06.pdf").unwrap();
    let six_copy = store
        .document_copies(six.document_id.unwrap())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.provider_id == ids.1)
        .unwrap();
    assert_eq!(
        ferry_engine::recheck_copy(store.as_ref(), &six_copy, dest.as_ref()).await.unwrap(),
        ferry_engine::Drift::Missing
    );
    put(dest.as_ref(), "archive/docs/06.pdf", &content(6)).await;
    let overwritten = items.iter().find(|i| i.source_key == "in/docs/01.pdf").unwrap();
    assert_eq!(overwritten.prior_backup.as_deref(), Some(backup.as_str()));
    assert!(!keys(dest.as_ref()).await.iter().any(|k| k.ends_with(".txt")), "filtered out");

    // Running it again finds everything in place and copies nothing twice.
    let puts_before = keys(dest.as_ref()).await.len();
    let (plan, counts) = start(&store, job.id, source.clone(), dest.clone(), &fast()).await.unwrap();
    assert_eq!((plan.copy, plan.overwrite, plan.skip), (0, 0, 12));
    assert_eq!(counts.done, 11, "earlier copies stay on record");
    assert_eq!(keys(dest.as_ref()).await.len(), puts_before);

    faults(&store, ids).await;
    move_and_mirror(&store, ids).await;
    crashed_worker(&store, ids).await;
    dead_mover(&store, ids).await;
    rollbacks(&store, ids).await;
}

async fn rollbacks(store: &Arc<dyn Store>, ids: (uuid::Uuid, uuid::Uuid)) {
    // A copy is undone: new copies go, the overwritten object comes back, and a
    // copy someone changed afterwards is kept.
    let (source, dest) = seed().await;
    let before = keys(dest.as_ref()).await;
    let job = store.create_job(&spec("undo-copy", ids), None).await.unwrap();
    start(store, job.id, source.clone(), dest.clone(), &fast()).await.unwrap();
    put(dest.as_ref(), "archive/docs/07.pdf", b"edited by a person afterwards").await;
    let summary = ferry_engine::rollback(store, job.id, source.clone(), dest.clone()).await.unwrap();
    assert_eq!((summary.undone, summary.kept, summary.failed), (10, 1, 0), "{summary:?}");
    let mut after = keys(dest.as_ref()).await;
    after.retain(|k| k != "archive/docs/07.pdf");
    assert_eq!(after, before, "back to what it was, backups removed");
    assert_eq!(read(dest.as_ref(), "archive/docs/01.pdf").await, b"an older version");
    assert_eq!(read(dest.as_ref(), "archive/docs/07.pdf").await, b"edited by a person afterwards");
    let done = store.job_by_id(job.id).await.unwrap();
    assert_eq!(done.status, JobStatus::RolledBack);
    let items = store.list_items(job.id, None, None, 100).await.unwrap();
    let kept = items.iter().find(|i| i.source_key == "in/docs/07.pdf").unwrap();
    assert_eq!(kept.rollback_status.as_deref(), Some("kept"));
    assert!(kept.rollback_message.as_deref().unwrap_or_default().contains("no longer holds"));
    // A second rollback is refused: it has been undone.
    assert!(ferry_engine::rollback(store, job.id, source.clone(), dest.clone()).await.is_err());

    // A move is undone: every moved document is back on the source.
    let (source, dest) = seed().await;
    let originals = keys(source.as_ref()).await;
    let job = store
        .create_job(&JobSpec { strategy: Strategy::Move, ..spec("undo-move", ids) }, None)
        .await
        .unwrap();
    start(store, job.id, source.clone(), dest.clone(), &fast()).await.unwrap();
    assert_ne!(keys(source.as_ref()).await, originals);
    ferry_engine::rollback(store, job.id, source.clone(), dest.clone()).await.unwrap();
    assert_eq!(keys(source.as_ref()).await, originals);
    for i in 0..12 {
        assert_eq!(read(source.as_ref(), &format!("in/docs/{i:02}.pdf")).await, content(i));
    }

    // A mirror's deletions are undone from their backups.
    let (source, dest) = seed().await;
    let mirror = JobSpec { strategy: Strategy::Mirror, mirror_deletes: true, ..spec("undo-mirror", ids) };
    let job = store.create_job(&mirror, None).await.unwrap();
    start(store, job.id, source.clone(), dest.clone(), &fast()).await.unwrap();
    assert!(dest.head(&key("archive/docs/99.pdf")).await.is_err());
    ferry_engine::rollback(store, job.id, source, dest.clone()).await.unwrap();
    assert_eq!(read(dest.as_ref(), "archive/docs/99.pdf").await, b"only here");
}

async fn faults(store: &Arc<dyn Store>, ids: (uuid::Uuid, uuid::Uuid)) {
    // 503s, 429s and a short read are retried; a refused read fails its item only.
    // Five temporary faults in all: with six attempts no item can run out of them,
    // whichever items the faults happen to hit.
    let (plain, dest) = seed().await;
    let source = Arc::new(
        Faulty::new(MemoryProvider::new(MemoryConfig::default()))
            .on_nth(Op::Get, 1, Fault::Unavailable(Duration::from_millis(1)))
            .on_nth(Op::Get, 2, Fault::Unavailable(Duration::from_millis(1)))
            .on_nth(Op::Get, 4, Fault::TruncateBody)
            .on_nth(Op::Get, 6, Fault::TooManyRequests(Duration::from_millis(5)))
            .on_nth(Op::Get, 7, Fault::TooManyRequests(Duration::from_millis(5)))
            .on_every(Op::Head, Fault::Latency(Duration::from_millis(1))),
    );
    fill(source.inner(), plain.as_ref()).await;
    let job = store
        .create_job(&JobSpec { concurrency: 1, max_attempts: 6, ..spec("faults", ids) }, None)
        .await
        .unwrap();
    let (_, counts) = start(store, job.id, source.clone(), dest.clone(), &fast()).await.unwrap();
    let failed = store.list_items(job.id, Some(ItemStatus::Failed), None, 100).await.unwrap();
    assert_eq!((counts.done, counts.failed), (11, 0), "{counts:?} {failed:?}");
    let retried = store.list_items(job.id, Some(ItemStatus::Verified), None, 100).await.unwrap();
    assert!(retried.iter().any(|i| i.attempts > 1), "some items needed another attempt");

    let (plain, dest) = seed().await;
    let denied = Arc::new(Faulty::new(MemoryProvider::new(MemoryConfig::default())).on_nth(
        Op::Get,
        3,
        Fault::Fail(ErrorKind::PermissionDenied),
    ));
    fill(denied.inner(), plain.as_ref()).await;
    let job = store.create_job(&JobSpec { concurrency: 1, ..spec("denied", ids) }, None).await.unwrap();
    let (_, counts) = start(store, job.id, denied.clone(), dest.clone(), &fast()).await.unwrap();
    assert_eq!((counts.done, counts.failed), (10, 1), "{counts:?}");
    assert_eq!(store.job_by_id(job.id).await.unwrap().status, JobStatus::CompletedWithErrors);
    let failed = store.list_items(job.id, Some(ItemStatus::Failed), None, 10).await.unwrap();
    assert_eq!(
        (failed[0].attempts, failed[0].error_kind.as_deref()),
        (1, Some("permission_denied")),
        "not retried"
    );
    // A person retries the failed item; the run completes.
    store.retry_failed_items(job.id, None).await.unwrap();
    let (_, counts) = start(store, job.id, denied, dest, &fast()).await.unwrap();
    assert_eq!((counts.done, counts.failed), (11, 0));
    assert_eq!(store.job_by_id(job.id).await.unwrap().status, JobStatus::Completed);
}

async fn move_and_mirror(store: &Arc<dyn Store>, ids: (uuid::Uuid, uuid::Uuid)) {
    // Move: sources go only after their copies are proven.
    let (source, dest) = seed().await;
    let job =
        store.create_job(&JobSpec { strategy: Strategy::Move, ..spec("move", ids) }, None).await.unwrap();
    let (_, counts) = start(store, job.id, source.clone(), dest.clone(), &fast()).await.unwrap();
    assert_eq!(counts.done, 11);
    let left = keys(source.as_ref()).await;
    assert_eq!(
        left.iter().filter(|k| k.ends_with(".pdf")).count(),
        1,
        "only the skipped PDF stays: {left:?}"
    );
    assert_eq!(left.iter().filter(|k| k.ends_with(".txt")).count(), 3, "filtered-out files are untouched");

    // Mirror with deletions: what the source lacks goes from the destination.
    let (source, dest) = seed().await;
    let mirror = JobSpec { strategy: Strategy::Mirror, mirror_deletes: true, ..spec("mirror", ids) };
    let job = store.create_job(&mirror, None).await.unwrap();
    let (plan, _) = start(store, job.id, source.clone(), dest.clone(), &fast()).await.unwrap();
    assert_eq!(plan.delete, 1);
    assert!(dest.head(&key("archive/docs/99.pdf")).await.unwrap_err().is_not_found());
    let deleted = store.list_items(job.id, None, None, 100).await.unwrap();
    assert!(deleted.iter().any(|i| i.action == ItemAction::Delete && i.status == ItemStatus::Verified));

    // More deletions than the limit: the run stops before deleting anything.
    let (source, dest) = seed().await;
    put(dest.as_ref(), "archive/docs/98.pdf", b"also only here").await;
    let job = store
        .create_job(
            &JobSpec { max_deletes: 1, name: format!("{}-limited", mirror.name), ..mirror.clone() },
            None,
        )
        .await
        .unwrap();
    let err = start(store, job.id, source, dest.clone(), &fast()).await.unwrap_err();
    assert!(matches!(err, EngineError::TooManyDeletes { would: 2, limit: 1 }), "{err}");
    let failed = store.job_by_id(job.id).await.unwrap();
    assert_eq!(failed.status, JobStatus::Failed);
    assert!(failed.error.unwrap_or_default().contains("limit of 1"));
    assert!(dest.head(&key("archive/docs/99.pdf")).await.is_ok(), "nothing deleted");
}

async fn crashed_worker(store: &Arc<dyn Store>, ids: (uuid::Uuid, uuid::Uuid)) {
    // A worker claims items and dies: once its lease runs out the items are
    // worked again, and its late writes are refused.
    let (source, dest) = seed().await;
    let job = store.create_job(&spec("crash", ids), None).await.unwrap();
    let at = chrono::Utc::now();
    store.transition_job(job.id, JobStatus::Draft, JobStatus::Planning, None, at).await.unwrap();
    ferry_engine::plan(
        store.as_ref(),
        &store.job_by_id(job.id).await.unwrap(),
        source.as_ref(),
        dest.as_ref(),
    )
    .await
    .unwrap();
    store.transition_job(job.id, JobStatus::Planning, JobStatus::Running, None, at).await.unwrap();
    let now = ferry_engine::run::now_ms();
    let dead = store.claim_items(job.id, "dead", "dead-token", now + 300, now, 3).await.unwrap();
    assert_eq!(dead.len(), 3);
    let counts =
        ferry_engine::run_job(store.clone(), job.id, source.clone(), dest.clone(), &fast()).await.unwrap();
    assert_eq!((counts.done, counts.failed, counts.in_progress), (11, 0, 0));
    let outcome = ferry_db::ItemOutcome::Failed { kind: "x".into(), message: "late".into() };
    assert!(!store.finish_item(job.id, &dead[0].source_key, "dead-token", &outcome, at, &[]).await.unwrap());
    let again = store
        .list_items(job.id, None, Some(&dead[0].source_key[..dead[0].source_key.len() - 1]), 1)
        .await
        .unwrap();
    assert_eq!(again[0].attempts, 2, "claimed twice: once by the dead worker");
    assert_eq!(store.job_by_id(job.id).await.unwrap().status, JobStatus::Completed);
}

async fn dead_mover(store: &Arc<dyn Store>, ids: (uuid::Uuid, uuid::Uuid)) {
    // A move's worker dies at three bad moments: after keeping the prior object,
    // copying, noting the copy and deleting the source (01, an overwrite); after
    // the same for a new key (02); after copying only (03). The retry finishes all
    // three without failing, backing up its own copy, or losing the original.
    let (source, dest) = seed().await;
    let job = store
        .create_job(&JobSpec { strategy: Strategy::Move, ..spec("dead mover", ids) }, None)
        .await
        .unwrap();
    let at = chrono::Utc::now();
    store.transition_job(job.id, JobStatus::Draft, JobStatus::Planning, None, at).await.unwrap();
    let record = store.job_by_id(job.id).await.unwrap();
    ferry_engine::plan(store.as_ref(), &record, source.as_ref(), dest.as_ref()).await.unwrap();
    store.transition_job(job.id, JobStatus::Planning, JobStatus::Running, None, at).await.unwrap();
    let now = ferry_engine::run::now_ms();
    let dead = store.claim_items(job.id, "dead", "dead-token", now + 300, now, 3).await.unwrap();
    let keys: Vec<_> = dead.iter().map(|i| i.source_key.as_str()).collect();
    assert_eq!(keys, ["in/docs/01.pdf", "in/docs/02.pdf", "in/docs/03.pdf"]);
    assert_eq!(dead[0].action, ItemAction::Overwrite);
    let plain = ferry_engine::TransferOptions::default();
    let backup = format!(".ferry-backup/{}/archive/docs/01.pdf", job.id);
    ferry_engine::copy_object(
        dest.as_ref(),
        &key("archive/docs/01.pdf"),
        dest.as_ref(),
        &key(&backup),
        &plain,
    )
    .await
    .unwrap();
    let mark = ferry_db::ItemMark { prior_backup: Some(backup.clone()), ..Default::default() };
    assert!(store.mark_item(job.id, "in/docs/01.pdf", "dead-token", &mark).await.unwrap());
    for (n, item) in dead.iter().enumerate() {
        let done = ferry_engine::copy_object(
            source.as_ref(),
            &key(&item.source_key),
            dest.as_ref(),
            &key(&item.dest_key),
            &plain,
        )
        .await
        .unwrap();
        if n < 2 {
            let mark = ferry_db::ItemMark { copied_sha256: Some(done.sha256), ..Default::default() };
            assert!(store.mark_item(job.id, &item.source_key, "dead-token", &mark).await.unwrap());
            source.delete(&key(&item.source_key), ferry_storage::DeleteOptions::default()).await.unwrap();
        }
    }
    let counts =
        ferry_engine::run_job(store.clone(), job.id, source.clone(), dest.clone(), &fast()).await.unwrap();
    assert_eq!((counts.done, counts.failed), (11, 0), "{counts:?}");
    for i in 1..12 {
        assert_eq!(read(dest.as_ref(), &format!("archive/docs/{i:02}.pdf")).await, content(i), "{i}");
        assert!(source.head(&key(&format!("in/docs/{i:02}.pdf"))).await.unwrap_err().is_not_found(), "{i}");
    }
    assert_eq!(read(dest.as_ref(), &backup).await, b"an older version", "the original is still kept");
    let items = store.list_items(job.id, None, Some("in/docs/00.pdf"), 1).await.unwrap();
    assert_eq!(items[0].prior_backup.as_deref(), Some(backup.as_str()));
    assert!(items[0].document_id.is_some(), "catalogued");
}

#[tokio::test]
async fn a_second_migration_knows_copies_by_the_catalog() {
    // Local folders report no hashes: equal sizes would have to be copied again,
    // but the catalog remembers the SHA-256 of what Ferry wrote and read.
    let dir = tempfile::tempdir().unwrap();
    let store =
        ferry_db::connect(&format!("sqlite://{}", dir.path().join("ferry.db").display())).await.unwrap();
    let ids = providers(store.as_ref()).await;
    let (src_dir, dst_dir) = (dir.path().join("src"), dir.path().join("dst"));
    std::fs::create_dir_all(src_dir.join("in/docs")).unwrap();
    std::fs::create_dir_all(&dst_dir).unwrap();
    for i in 0..6 {
        std::fs::write(src_dir.join(format!("in/docs/{i:02}.pdf")), content(i)).unwrap();
    }
    let source: Arc<dyn Provider> = Arc::new(ferry_storage::local::LocalProvider::new(&src_dir).unwrap());
    let dest: Arc<dyn Provider> = Arc::new(ferry_storage::local::LocalProvider::new(&dst_dir).unwrap());
    let first = store.create_job(&spec("first", ids), None).await.unwrap();
    let (plan, _) = start(&store, first.id, source.clone(), dest.clone(), &fast()).await.unwrap();
    assert_eq!(plan.copy, 6);
    // Someone changes one destination file (same size, other bytes).
    let mut changed = content(3);
    changed[0] ^= 1;
    std::fs::write(dst_dir.join("archive/docs/03.pdf"), &changed).unwrap();
    let second = store.create_job(&spec("second", ids), None).await.unwrap();
    let (plan, counts) = start(&store, second.id, source, dest, &fast()).await.unwrap();
    assert_eq!((plan.skip, plan.overwrite), (5, 1), "{plan:?}");
    assert_eq!(counts.done, 1);
    assert_eq!(
        std::fs::read(dst_dir.join("archive/docs/03.pdf")).unwrap(),
        content(3),
        "the changed file is put right"
    );
}

/// The plan items of a job, as comparable rows.
async fn plan_rows(store: &dyn Store, job: uuid::Uuid) -> Vec<(String, String, ItemAction, Option<String>)> {
    let items = store.list_items(job, None, None, 1_000).await.unwrap();
    items.into_iter().map(|i| (i.source_key, i.dest_key, i.action, i.reason)).collect()
}

#[tokio::test]
async fn a_dry_run_plans_exactly_what_the_real_run_does() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        ferry_db::connect(&format!("sqlite://{}", dir.path().join("ferry.db").display())).await.unwrap();
    let ids = providers(store.as_ref()).await;
    let shapes = [
        (Strategy::Copy, OverwritePolicy::SkipExisting, false),
        (Strategy::Copy, OverwritePolicy::Overwrite, false),
        (Strategy::Copy, OverwritePolicy::IfDifferent, false),
        (Strategy::Move, OverwritePolicy::IfDifferent, false),
        (Strategy::Mirror, OverwritePolicy::IfDifferent, true),
    ];
    for (n, (strategy, overwrite, mirror_deletes)) in shapes.into_iter().enumerate() {
        let shape = JobSpec { strategy, overwrite, mirror_deletes, ..spec(&format!("shape-{n}"), ids) };
        let (source, dest) = seed().await;
        let before = (keys(source.as_ref()).await, keys(dest.as_ref()).await);
        let dry = store
            .create_job(
                &JobSpec { dry_run: true, name: format!("{}-dry", shape.name), ..shape.clone() },
                None,
            )
            .await
            .unwrap();
        // The wizard's preview of the same job stores nothing and says the same.
        let previewed =
            ferry_engine::preview(store.as_ref(), &dry, source.as_ref(), dest.as_ref(), 1_000).await.unwrap();
        assert!(plan_rows(store.as_ref(), dry.id).await.is_empty(), "a preview stores no items");
        let (dry_plan, _) = start(&store, dry.id, source.clone(), dest.clone(), &fast()).await.unwrap();
        assert_eq!(previewed, dry_plan, "{strategy} {overwrite}: the preview is the plan");
        // A preview with a small limit stops early and says so.
        let cut =
            ferry_engine::preview(store.as_ref(), &dry, source.as_ref(), dest.as_ref(), 2).await.unwrap();
        assert!(cut.stopped_early && cut.listed == 2, "{cut:?}");
        assert_eq!(
            (keys(source.as_ref()).await, keys(dest.as_ref()).await),
            before,
            "{strategy} {overwrite}: a dry run touches neither side"
        );
        let planned = plan_rows(store.as_ref(), dry.id).await;

        // The same job for real, on the same starting point.
        let (source, dest) = seed().await;
        let events = fast();
        let mut heard = events.events.subscribe();
        let real = store.create_job(&shape, None).await.unwrap();
        let (real_plan, counts) =
            start(&store, real.id, source.clone(), dest.clone(), &events).await.unwrap();
        assert_eq!(real_plan, dry_plan, "{strategy} {overwrite}: same summary");
        assert_eq!(plan_rows(store.as_ref(), real.id).await, planned, "{strategy} {overwrite}: same items");
        // What the plan said is what happened on the destination.
        let mut expected: std::collections::BTreeSet<String> = before.1.iter().cloned().collect();
        for (_, dest_key, action, _) in &planned {
            match action {
                ItemAction::Copy | ItemAction::Overwrite => {
                    expected.insert(dest_key.clone());
                }
                ItemAction::Delete => {
                    expected.remove(dest_key);
                }
                ItemAction::Skip => {}
            }
        }
        let after: std::collections::BTreeSet<String> =
            keys(dest.as_ref()).await.into_iter().filter(|k| !k.starts_with(".ferry-backup/")).collect();
        assert_eq!(after, expected, "{strategy} {overwrite}");
        let working = planned.iter().filter(|p| p.2 != ItemAction::Skip).count();
        assert_eq!(usize::try_from(counts.done).unwrap(), working, "{strategy} {overwrite}");
        // Every finished item was told to watchers, and the end state too.
        let mut done_events = 0;
        let mut end = None;
        while let Ok(event) = heard.try_recv() {
            assert_eq!(event.job_id, real.id);
            match event.kind {
                ferry_engine::EventKind::Item { status, .. } if status == "done" => done_events += 1,
                ferry_engine::EventKind::Status(s) => end = Some(s),
                _ => {}
            }
        }
        assert_eq!(done_events, working, "{strategy} {overwrite}: one event per finished item");
        assert_eq!(end, Some(JobStatus::Completed));
    }
}

/// A source whose every read waits a little: long enough to stop a job mid-run.
async fn slow_source() -> Arc<Faulty<MemoryProvider>> {
    let (plain, _) = seed().await;
    let slow = Arc::new(
        Faulty::new(MemoryProvider::new(MemoryConfig::default()))
            .on_every(Op::Get, Fault::Latency(Duration::from_millis(40))),
    );
    fill(slow.inner(), plain.as_ref()).await;
    slow
}

/// Waits until the job has finished at least `n` items.
async fn until_done(store: &Arc<dyn Store>, job: uuid::Uuid, n: i64) {
    for _ in 0..2_000 {
        if store.job_counts(job).await.unwrap().done >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the job never finished {n} items");
}

#[tokio::test]
async fn pause_resume_cancel_and_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        ferry_db::connect(&format!("sqlite://{}", dir.path().join("ferry.db").display())).await.unwrap();
    let ids = providers(store.as_ref()).await;

    // Pause: the workers stop taking items within moments; nothing is left held.
    let (source, (_, dest)) = (slow_source().await, seed().await);
    let job = store.create_job(&JobSpec { concurrency: 1, ..spec("pausing", ids) }, None).await.unwrap();
    let run = tokio::spawn({
        let (store, source, dest) = (store.clone(), source.clone(), dest.clone());
        async move { start(&store, job.id, source, dest, &fast()).await }
    });
    until_done(&store, job.id, 3).await;
    let at = chrono::Utc::now();
    assert!(store.transition_job(job.id, JobStatus::Running, JobStatus::Paused, None, at).await.unwrap());
    let (_, paused) = run.await.unwrap().unwrap();
    assert!(paused.done >= 3 && paused.done < 11, "{paused:?}");
    assert_eq!((paused.in_progress, paused.failed), (0, 0), "{paused:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(store.job_counts(job.id).await.unwrap().done, paused.done, "nothing moves while paused");
    assert_eq!(store.job_by_id(job.id).await.unwrap().status, JobStatus::Paused);
    // Resume: the rest, each once.
    assert!(store.transition_job(job.id, JobStatus::Paused, JobStatus::Running, None, at).await.unwrap());
    let counts =
        ferry_engine::run_job(store.clone(), job.id, source.clone(), dest.clone(), &fast()).await.unwrap();
    assert_eq!((counts.done, counts.failed, counts.pending), (11, 0, 0));
    assert_eq!(store.job_by_id(job.id).await.unwrap().status, JobStatus::Completed);
    let items = store.list_items(job.id, Some(ItemStatus::Verified), None, 100).await.unwrap();
    assert!(items.iter().all(|i| i.attempts == 1), "paused items were not worked twice");

    // Cancel: the job stops for good; what was not copied stays pending.
    let (_, dest) = seed().await;
    let job = store.create_job(&JobSpec { concurrency: 1, ..spec("cancelling", ids) }, None).await.unwrap();
    let run = tokio::spawn({
        let (store, source, dest) = (store.clone(), source.clone(), dest.clone());
        async move { start(&store, job.id, source, dest, &fast()).await }
    });
    until_done(&store, job.id, 2).await;
    assert!(store.transition_job(job.id, JobStatus::Running, JobStatus::Cancelled, None, at).await.unwrap());
    let (_, cancelled) = run.await.unwrap().unwrap();
    assert!(cancelled.pending > 0 && cancelled.in_progress == 0, "{cancelled:?}");
    assert_eq!(store.job_by_id(job.id).await.unwrap().status, JobStatus::Cancelled);

    // A destination that stores other bytes than it was sent: every attempt is
    // caught, the item fails with the reason, and nothing counts as done.
    let (source, _) = seed().await;
    let corrupting = Arc::new(
        Faulty::new(MemoryProvider::new(MemoryConfig::default())).on_every(Op::Put, Fault::CorruptBody),
    );
    let job = store.create_job(&JobSpec { max_attempts: 2, ..spec("corrupting", ids) }, None).await.unwrap();
    let (_, counts) = start(&store, job.id, source.clone(), corrupting, &fast()).await.unwrap();
    assert_eq!((counts.done, counts.failed), (0, 12), "{counts:?}");
    let failed = store.list_items(job.id, Some(ItemStatus::Failed), None, 100).await.unwrap();
    assert!(
        failed.iter().all(|i| i.attempts == 2 && i.error_kind.as_deref() == Some("checksum_mismatch")),
        "{failed:?}"
    );
    // A source that sends altered bytes once: re-read, then copied intact.
    let flaky = Arc::new(Faulty::new(MemoryProvider::new(MemoryConfig::default())).on_nth(
        Op::Get,
        1,
        Fault::CorruptBody,
    ));
    fill(flaky.inner(), source.as_ref()).await;
    let (_, dest) = seed().await;
    let job = store.create_job(&JobSpec { concurrency: 1, ..spec("flaky", ids) }, None).await.unwrap();
    let (_, counts) = start(&store, job.id, flaky, dest.clone(), &fast()).await.unwrap();
    assert_eq!((counts.done, counts.failed), (11, 0), "{counts:?}");
    for i in 0..12 {
        assert_eq!(read(dest.as_ref(), &format!("archive/docs/{i:02}.pdf")).await, content(i), "{i}");
    }

    // A source whose server has no tagging (many S3-compatible ones): copied without tags.
    let untagged = Arc::new(
        Faulty::new(MemoryProvider::new(MemoryConfig::default()))
            .on_every(Op::Head, Fault::Fail(ErrorKind::Unsupported)),
    );
    fill(untagged.inner(), source.as_ref()).await;
    let fresh = Arc::new(MemoryProvider::new(MemoryConfig::default()));
    let job = store.create_job(&spec("untagged", ids), None).await.unwrap();
    let (_, counts) = start(&store, job.id, untagged, fresh, &fast()).await.unwrap();
    assert_eq!((counts.done, counts.failed), (12, 0), "{counts:?}");
}

#[tokio::test]
async fn jobs_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        ferry_db::connect(&format!("sqlite://{}", dir.path().join("ferry.db").display())).await.unwrap();
    story(store).await;
}

#[tokio::test]
async fn jobs_on_postgres() {
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("SKIPPED jobs_on_postgres: TEST_DATABASE_URL is not set");
        return;
    };
    let schema = format!("ferry_engine_{}", uuid::Uuid::now_v7().simple());
    let admin = sqlx::PgPool::connect(&base).await.unwrap();
    sqlx::query(&format!("create schema {schema}")).execute(&admin).await.unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let store = ferry_db::connect(&format!("{base}{sep}options=-c%20search_path%3D{schema}")).await.unwrap();
    story(store.clone()).await;
    store.close().await;
    sqlx::query(&format!("drop schema {schema} cascade")).execute(&admin).await.unwrap();
}
