//! One story over the `Store` interface, told against SQLite always and against
//! PostgreSQL when `TEST_DATABASE_URL` names one (each run in a fresh schema).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, with the value shown")]

use std::sync::Arc;

use chrono::Utc;
use ferry_db::{
    CatalogChange, CopyRecord, DbError, Dialect, ItemFinish, ItemOutcome, JobSpec, NewAuditEvent, NewItem,
    NewUser, ProviderWrite, SessionRow, Store, seal,
};
use ferry_model::Role;
use ferry_model::job::{FilterSpec, ItemAction, ItemStatus, JobStatus, OverwritePolicy, Strategy};
use ferry_model::provider::{Health, ProviderKind, ProviderStatus};
use futures::StreamExt;

fn new_user(name: &str, role: Role) -> NewUser {
    NewUser { username: name.to_owned(), password_hash: format!("$argon2id$fake${name}"), role }
}

async fn story(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 0);

    // First-run setup happens once.
    let admin = store.create_first_user(&new_user("admin", Role::Admin)).await.unwrap();
    assert_eq!(admin.user.username, "admin");
    assert_eq!(admin.user.role, Role::Admin);
    assert!(!admin.user.disabled);
    assert!(admin.user.last_login_at.is_none());
    let again = store.create_first_user(&new_user("intruder", Role::Admin)).await;
    assert!(matches!(again, Err(DbError::Conflict { .. })), "{again:?}");
    assert!(store.user_by_username("intruder").await.unwrap_err().is_not_found());

    // Usernames are unique.
    let viewer = store.create_user(&new_user("vera", Role::Viewer)).await.unwrap();
    let dup = store.create_user(&new_user("vera", Role::Operator)).await;
    assert!(dup.as_ref().is_err_and(DbError::is_conflict), "{dup:?}");
    store.create_user(&new_user("otto", Role::Operator)).await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 3);
    let by_role = store.count_users_by_role().await.unwrap();
    for role in Role::ALL {
        assert_eq!(by_role.iter().find(|(r, _)| *r == role).map(|(_, n)| *n), Some(1), "{role}");
    }
    let names: Vec<_> = store.list_users().await.unwrap().into_iter().map(|u| u.user.username).collect();
    assert_eq!(names, ["admin", "otto", "vera"]);

    // Reads give back what was written, hash included.
    let found = store.user_by_id(viewer.user.id).await.unwrap();
    assert_eq!(found, viewer);
    assert_eq!(found.password_hash, "$argon2id$fake$vera");
    assert!(!format!("{found:?}").contains("fake$vera"), "Debug must hide the hash");

    // Sign-in time, role and disabling.
    let at = Utc::now();
    store.record_login(admin.user.id, at).await.unwrap();
    let seen = store.user_by_id(admin.user.id).await.unwrap().user.last_login_at.unwrap();
    assert!((seen - at).num_milliseconds().abs() < 1, "{seen} vs {at}");
    store.set_user_role(viewer.user.id, Role::Operator, at).await.unwrap();
    store.set_user_disabled(viewer.user.id, true, at).await.unwrap();
    let changed = store.user_by_username("vera").await.unwrap();
    assert_eq!(changed.user.role, Role::Operator);
    assert!(changed.user.disabled);
    let missing = store.set_user_role(uuid::Uuid::now_v7(), Role::Admin, at).await;
    assert!(missing.is_err_and(|e| e.is_not_found()));

    // Sessions: create once, save, load until expiry, delete.
    let now = Utc::now().timestamp();
    let row = SessionRow { id: "s1".into(), data: r#"{"user_id":"x"}"#.into(), expires_at: now + 60 };
    assert!(store.session_create(&row).await.unwrap());
    assert!(!store.session_create(&row).await.unwrap(), "ids never collide silently");
    assert_eq!(store.session_load("s1", now).await.unwrap(), Some(row.clone()));
    let updated = SessionRow { data: "{}".into(), ..row.clone() };
    store.session_save(&updated).await.unwrap();
    assert_eq!(store.session_load("s1", now).await.unwrap(), Some(updated));
    assert_eq!(store.session_load("s1", now + 60).await.unwrap(), None, "expired");
    let old = SessionRow { id: "s2".into(), data: "{}".into(), expires_at: now - 1 };
    store.session_save(&old).await.unwrap();
    assert_eq!(store.count_active_sessions(now).await.unwrap(), 1);
    assert_eq!(store.session_delete_expired(now).await.unwrap(), 1);
    store.session_delete("s1").await.unwrap();
    store.session_delete("never-existed").await.unwrap();
    assert_eq!(store.count_active_sessions(now).await.unwrap(), 0);

    // The audit log keeps order and content.
    for action in ["user.sign_in", "user.created"] {
        store
            .append_audit(&NewAuditEvent {
                actor_user_id: Some(admin.user.id),
                actor_name: "admin".into(),
                source_addr: Some("127.0.0.1".into()),
                action: action.into(),
                target: Some("vera".into()),
                detail: "<b>not html</b>".into(),
            })
            .await
            .unwrap();
    }
    assert_eq!(store.count_audit().await.unwrap(), 2);
    let log = store.list_audit(10).await.unwrap();
    assert_eq!(log[0].action, "user.created", "newest first");
    assert_eq!(log[1].action, "user.sign_in");
    assert_eq!(log[0].detail, "<b>not html</b>");
    assert_eq!(log[0].actor_user_id, Some(admin.user.id));
    assert_eq!(store.list_audit(1).await.unwrap().len(), 1);

    providers(store.as_ref()).await;
    master_key(store.as_ref()).await;
    jobs(store.as_ref()).await;
    finished_together(store.as_ref()).await;
    many_at_once(store.as_ref()).await;
}

fn spec(name: &str, source_id: uuid::Uuid, dest_id: uuid::Uuid) -> JobSpec {
    JobSpec {
        name: name.to_owned(),
        source_id,
        source_prefix: "in/".into(),
        dest_id,
        dest_prefix: "archive/".into(),
        filter: FilterSpec { extensions: vec!["pdf".into()], ..FilterSpec::default() },
        strategy: Strategy::Copy,
        overwrite: OverwritePolicy::IfDifferent,
        verify: true,
        dry_run: false,
        concurrency: 4,
        bandwidth_limit: Some(1_000_000),
        max_attempts: 3,
        mirror_deletes: false,
        max_deletes: 100,
        schedule: "manual".into(),
    }
}

fn item(key: &str, action: ItemAction, etag: &str) -> NewItem {
    NewItem {
        source_key: key.to_owned(),
        dest_key: format!("archive/{key}"),
        action,
        reason: (action == ItemAction::Skip).then(|| "exists".to_owned()),
        size: 10,
        source_etag: Some(etag.to_owned()),
        source_version: None,
        source_modified: Some(Utc::now()),
    }
}

fn done() -> ItemOutcome {
    ItemOutcome::Done {
        verified: true,
        sha256: "ab".repeat(32),
        dest_etag: Some("\"e\"".into()),
        dest_version: None,
        prior_version: None,
        prior_backup: None,
        document_id: None,
    }
}

async fn jobs(store: &dyn Store) {
    let src = store.create_provider(&provider("jobs-src", false)).await.unwrap();
    let dst = store.create_provider(&provider("jobs-dst", false)).await.unwrap();
    let job = store.create_job(&spec("Invoices", src.id, dst.id), None).await.unwrap();
    assert_eq!(job.status, JobStatus::Draft);
    assert_eq!(job.spec, spec("Invoices", src.id, dst.id), "the spec round-trips");
    let dup = store.create_job(&spec("INVOICES", src.id, dst.id), None).await;
    assert!(dup.is_err_and(|e| e.is_conflict()), "names are unique without case");
    let ghost = store.create_job(&spec("Ghost", uuid::Uuid::now_v7(), dst.id), None).await;
    assert!(ghost.is_err_and(|e| e.is_conflict()), "providers must exist");
    // A provider a migration uses cannot be deleted.
    let refused = store.delete_provider(src.id).await;
    assert!(refused.as_ref().is_err_and(DbError::is_conflict), "{refused:?}");

    // Status moves by compare-and-set along the state machine only.
    let at = Utc::now();
    assert!(store.transition_job(job.id, JobStatus::Draft, JobStatus::Planning, None, at).await.unwrap());
    assert!(
        !store.transition_job(job.id, JobStatus::Draft, JobStatus::Planning, None, at).await.unwrap(),
        "lost race"
    );
    assert!(store.transition_job(job.id, JobStatus::Planning, JobStatus::Completed, None, at).await.is_err());
    let planning = store.job_by_id(job.id).await.unwrap();
    assert_eq!((planning.status, planning.run_no), (JobStatus::Planning, 1));
    assert!(planning.started_at.is_some());

    // Planning is idempotent.
    let plan = [
        item("a.pdf", ItemAction::Copy, "1"),
        item("b.pdf", ItemAction::Copy, "1"),
        item("c.pdf", ItemAction::Overwrite, "1"),
        item("d.pdf", ItemAction::Copy, "1"),
        item("e.pdf", ItemAction::Skip, "1"),
    ];
    store.upsert_items(job.id, &plan).await.unwrap();
    store.upsert_items(job.id, &plan).await.unwrap();
    let counts = store.job_counts(job.id).await.unwrap();
    assert_eq!((counts.total, counts.pending, counts.skipped, counts.total_bytes), (5, 4, 1, 50));

    // Leases: two workers take disjoint batches; skipped items are never claimed.
    let first = store.claim_items(job.id, "w1", "t1", 2_000, 1_000, 2).await.unwrap();
    let keys: Vec<_> = first.iter().map(|i| i.source_key.as_str()).collect();
    assert_eq!(keys, ["a.pdf", "b.pdf"]);
    assert!(first.iter().all(|i| i.status == ItemStatus::InProgress && i.attempts == 1));
    let second = store.claim_items(job.id, "w2", "t2", 2_000, 1_000, 10).await.unwrap();
    let keys: Vec<_> = second.iter().map(|i| i.source_key.as_str()).collect();
    assert_eq!(keys, ["c.pdf", "d.pdf"]);
    assert!(store.claim_items(job.id, "w3", "t3", 2_000, 1_000, 10).await.unwrap().is_empty());

    // Updates are fenced by the lease token.
    assert!(!store.finish_item(job.id, "a.pdf", "t2", &done(), at, &[]).await.unwrap(), "not w2's item");
    assert!(store.finish_item(job.id, "a.pdf", "t1", &done(), at, &[]).await.unwrap());
    assert!(!store.finish_item(job.id, "a.pdf", "t1", &done(), at, &[]).await.unwrap(), "only once");
    let retry = ItemOutcome::Retry { at: 5_000, kind: "rate_limited".into(), message: "slow down".into() };
    assert!(store.finish_item(job.id, "b.pdf", "t1", &retry, at, &[]).await.unwrap());
    let failed = ItemOutcome::Failed { kind: "permission_denied".into(), message: "no".into() };
    assert!(store.finish_item(job.id, "c.pdf", "t2", &failed, at, &[]).await.unwrap());
    assert!(store.renew_lease(job.id, "d.pdf", "t2", 2_500).await.unwrap());

    // w2 dies holding d.pdf: once its lease runs out another worker takes it, and
    // w2's late write is refused. b.pdf waits for its retry time.
    assert!(store.claim_items(job.id, "w3", "t3", 9_000, 2_400, 10).await.unwrap().is_empty());
    let taken = store.claim_items(job.id, "w3", "t3", 9_000, 3_000, 10).await.unwrap();
    assert_eq!(taken.iter().map(|i| (i.source_key.as_str(), i.attempts)).collect::<Vec<_>>(), [("d.pdf", 2)]);
    assert!(!store.renew_lease(job.id, "d.pdf", "t2", 9_999).await.unwrap());
    assert!(!store.finish_item(job.id, "d.pdf", "t2", &done(), at, &[]).await.unwrap());
    assert!(store.finish_item(job.id, "d.pdf", "t3", &done(), at, &[]).await.unwrap());
    let again = store.claim_items(job.id, "w4", "t4", 9_000, 6_000, 10).await.unwrap();
    assert_eq!(again.iter().map(|i| (i.source_key.as_str(), i.attempts)).collect::<Vec<_>>(), [("b.pdf", 2)]);
    assert_eq!(again[0].error_kind.as_deref(), Some("rate_limited"), "the last error is kept while retrying");
    assert!(store.finish_item(job.id, "b.pdf", "t4", &done(), at, &[]).await.unwrap());

    let counts = store.job_counts(job.id).await.unwrap();
    assert_eq!(
        (counts.done, counts.failed, counts.skipped, counts.pending, counts.in_progress),
        (3, 1, 1, 0, 0)
    );
    assert!(counts.settled());
    let verified = store.list_items(job.id, Some(ItemStatus::Verified), None, 10).await.unwrap();
    assert_eq!(verified.len(), 3);
    assert_eq!(verified[0].dest_sha256.as_deref(), Some("ab".repeat(32).as_str()));
    let page = store.list_items(job.id, None, Some("b.pdf"), 2).await.unwrap();
    assert_eq!(page.iter().map(|i| i.source_key.as_str()).collect::<Vec<_>>(), ["c.pdf", "d.pdf"]);
    let failed_items = store.list_items(job.id, Some(ItemStatus::Failed), None, 10).await.unwrap();
    assert_eq!(failed_items[0].error_message.as_deref(), Some("no"));

    // Search finds part of a key in any case; `%` and `_` are plain characters.
    let keys_of =
        |items: Vec<ferry_db::ItemRecord>| items.into_iter().map(|i| i.source_key).collect::<Vec<_>>();
    assert_eq!(keys_of(store.search_items(job.id, None, Some("B.P"), None, 10).await.unwrap()), ["b.pdf"]);
    assert!(store.search_items(job.id, None, Some("%"), None, 10).await.unwrap().is_empty());
    assert!(store.search_items(job.id, None, Some("a_pdf"), None, 10).await.unwrap().is_empty());
    let failed_pdfs =
        store.search_items(job.id, Some(ItemStatus::Failed), Some(".pdf"), None, 10).await.unwrap();
    assert_eq!(keys_of(failed_pdfs), ["c.pdf"]);
    let after_b = store.search_items(job.id, None, Some("pdf"), Some("b.pdf"), 2).await.unwrap();
    assert_eq!(keys_of(after_b), ["c.pdf", "d.pdf"]);

    // The plan by action, and the copies proven by hash.
    let plan_counts = store.plan_counts(job.id).await.unwrap();
    assert_eq!((plan_counts.copy, plan_counts.overwrite, plan_counts.skip, plan_counts.delete), (3, 1, 1, 0));
    assert_eq!(plan_counts.bytes, 40, "skips are not written");
    assert_eq!((plan_counts.hash_matched, plan_counts.hash_mismatched), (3, 0));

    // A re-plan leaves finished copies alone unless the source changed.
    let mut changed = plan.clone();
    changed[3].source_etag = Some("2".into());
    store.upsert_items(job.id, &changed).await.unwrap();
    let d = store.list_items(job.id, None, Some("c.pdf"), 1).await.unwrap();
    assert_eq!((d[0].source_key.as_str(), d[0].status), ("d.pdf", ItemStatus::Pending));
    let a = store.list_items(job.id, None, None, 1).await.unwrap();
    assert_eq!(a[0].status, ItemStatus::Verified);

    // The outbox holds the state change and the failed item, newest first.
    let events = store.job_events(Some(job.id), None, 10).await.unwrap();
    let kinds: Vec<_> = events.iter().map(|e| (e.kind.as_str(), e.detail.as_str())).collect();
    assert_eq!(kinds, [("item_failed", "c.pdf: no"), ("status", "planning")], "{kinds:?}");
    let failures = store.job_events(None, Some("item_failed"), 10).await.unwrap();
    assert_eq!(failures.len(), 1);
    let recent = store.recent_items(job.id, 10).await.unwrap();
    let recent: Vec<_> = recent.iter().map(|i| i.source_key.as_str()).collect();
    assert_eq!(recent.len(), 2, "finished items only (the re-plan queued c and d again): {recent:?}");

    // Retrying chosen failed items touches only those; then all of them.
    let requeued = store.claim_items(job.id, "w5", "t5", 99_000, 9_000, 10).await.unwrap();
    assert_eq!(requeued.iter().map(|i| i.source_key.as_str()).collect::<Vec<_>>(), ["c.pdf", "d.pdf"]);
    assert!(store.finish_item(job.id, "c.pdf", "t5", &failed, at, &[]).await.unwrap());
    assert!(store.finish_item(job.id, "d.pdf", "t5", &done(), at, &[]).await.unwrap());
    let chosen = ["a.pdf".to_owned(), "nothing.pdf".to_owned()];
    assert_eq!(store.retry_failed_items(job.id, Some(&chosen)).await.unwrap(), 0, "a.pdf did not fail");
    assert_eq!(store.retry_failed_items(job.id, Some(&["c.pdf".to_owned()])).await.unwrap(), 1);
    let c = store.list_items(job.id, None, Some("b.pdf"), 1).await.unwrap();
    assert_eq!((c[0].status, c[0].attempts), (ItemStatus::Pending, 0));
    store.retry_failed_items(job.id, None).await.unwrap();
    assert_eq!(store.list_items(job.id, Some(ItemStatus::Failed), None, 10).await.unwrap().len(), 0);
    assert_eq!(store.list_jobs().await.unwrap().len(), 1);

    // Nothing is rolled back yet: the copies (a, b and d) wait.
    let rollback = store.rollback_counts(job.id).await.unwrap();
    assert_eq!((rollback.total, rollback.finished()), (3, 0));
    store.set_rollback(job.id, "a.pdf", "undone", "deleted the copy").await.unwrap();
    store.set_rollback(job.id, "b.pdf", "kept", "changed since").await.unwrap();
    let rollback = store.rollback_counts(job.id).await.unwrap();
    assert_eq!((rollback.total, rollback.undone, rollback.kept, rollback.failed), (3, 1, 1, 0));

    // What was copied this week (the dashboard's total): a, b and d, ten bytes each.
    assert_eq!(store.moved_since(at - chrono::Duration::hours(1)).await.unwrap(), (3, 30));
    assert_eq!(store.moved_since(at + chrono::Duration::hours(1)).await.unwrap(), (0, 0));
}

fn copy_at(document_id: uuid::Uuid, provider_id: uuid::Uuid, key: &str) -> CatalogChange {
    CatalogChange::Record(CopyRecord {
        document_id,
        title: key.rsplit('/').next().unwrap_or(key).to_owned(),
        provider_id,
        key: key.to_owned(),
        sha256: Some("cd".repeat(32)),
        size: 10,
        revision: None,
        sync_status: "mirror".into(),
        last_seen_at: Utc::now(),
    })
}

fn finish(key: &str, token: &str, outcome: ItemOutcome, catalog: Vec<CatalogChange>) -> ItemFinish {
    ItemFinish { source_key: key.to_owned(), token: token.to_owned(), outcome, catalog }
}

fn done_as(id: uuid::Uuid) -> ItemOutcome {
    let mut outcome = done();
    if let ItemOutcome::Done { document_id, .. } = &mut outcome {
        *document_id = Some(id);
    }
    outcome
}

/// Many items' ends written in one call, as the workers' recorder does: each
/// fenced by its own token, the catalog changed for the recorded ones only.
async fn finished_together(store: &dyn Store) {
    let src = store.create_provider(&provider("batch-src", false)).await.unwrap();
    let dst = store.create_provider(&provider("batch-dst", false)).await.unwrap();
    let job = store.create_job(&spec("Batch", src.id, dst.id), None).await.unwrap();
    let at = Utc::now();
    let keys = ["a.pdf", "b.pdf", "c.pdf", "d.pdf", "e.pdf", "f.pdf", "z.pdf"];
    let plan: Vec<_> = keys.iter().map(|k| item(k, ItemAction::Copy, "1")).collect();
    store.upsert_items(job.id, &plan).await.unwrap();
    assert_eq!(store.claim_items(job.id, "w", "t1", 9_000, 1_000, 10).await.unwrap().len(), 7);
    let [old, da, db_, de, df, dg] = std::array::from_fn(|_| uuid::Uuid::now_v7());

    // Another document sits where a.pdf's copy goes; its copy gives way.
    let first = [finish("z.pdf", "t1", done_as(old), vec![copy_at(old, dst.id, "archive/a.pdf")])];
    assert_eq!(store.finish_items(job.id, &first, at).await.unwrap(), [true]);
    assert_eq!(store.find_copy(dst.id, "archive/a.pdf").await.unwrap().unwrap().document_id, old);

    let retry = ItemOutcome::Retry { at: 5_000, kind: "rate_limited".into(), message: "slow down".into() };
    let failed = ItemOutcome::Failed { kind: "permission_denied".into(), message: "no".into() };
    let batch = [
        finish(
            "a.pdf",
            "t1",
            done_as(da),
            vec![copy_at(da, dst.id, "archive/a.pdf"), copy_at(da, src.id, "a.pdf")],
        ),
        // Not this worker's lease: nothing of it is written, catalog included.
        finish("b.pdf", "stale", done_as(db_), vec![copy_at(db_, dst.id, "archive/b.pdf")]),
        finish("c.pdf", "t1", retry, vec![]),
        finish("d.pdf", "t1", failed, vec![]),
        // A move: the copy is recorded, the source's forgotten.
        finish(
            "e.pdf",
            "t1",
            done_as(de),
            vec![
                copy_at(de, dst.id, "archive/e.pdf"),
                CatalogChange::Forget { provider_id: src.id, key: "e.pdf".into() },
            ],
        ),
        // Two changes naming one place are applied in order: the last one stands.
        finish(
            "f.pdf",
            "t1",
            done_as(df),
            vec![copy_at(df, dst.id, "archive/f.pdf"), copy_at(dg, dst.id, "archive/f.pdf")],
        ),
    ];
    // e.pdf's source copy was known before the batch.
    let known = [finish("e.pdf", "t0", done(), vec![copy_at(de, src.id, "e.pdf")])];
    assert_eq!(store.finish_items(job.id, &known, at).await.unwrap(), [false], "wrong token");
    assert!(store.find_copy(src.id, "e.pdf").await.unwrap().is_none(), "nothing written without the lease");

    assert_eq!(store.finish_items(job.id, &batch, at).await.unwrap(), [true, false, true, true, true, true]);
    assert_eq!(store.finish_items(job.id, &batch[..1], at).await.unwrap(), [false], "only once");
    let status = |key: &'static str| async move {
        store.search_items(job.id, None, Some(key), None, 1).await.unwrap().remove(0).status
    };
    assert_eq!(status("a.pdf").await, ItemStatus::Verified);
    assert_eq!(status("b.pdf").await, ItemStatus::InProgress);
    assert_eq!(status("c.pdf").await, ItemStatus::RetryWait);
    assert_eq!(status("d.pdf").await, ItemStatus::Failed);
    assert_eq!(status("e.pdf").await, ItemStatus::Verified);
    let a = store.search_items(job.id, None, Some("a.pdf"), None, 1).await.unwrap().remove(0);
    assert_eq!((a.document_id, a.dest_sha256.as_deref()), (Some(da), Some("ab".repeat(32).as_str())));

    let wanted: Vec<String> =
        ["archive/a.pdf", "archive/b.pdf", "archive/e.pdf", "archive/f.pdf", "archive/none.pdf"]
            .map(str::to_owned)
            .to_vec();
    let mut found: Vec<_> = store
        .find_copies(dst.id, &wanted)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.key, c.document_id))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("archive/a.pdf".to_owned(), da),
            ("archive/e.pdf".to_owned(), de),
            ("archive/f.pdf".to_owned(), dg)
        ]
    );
    assert!(store.document_copies(old).await.unwrap().is_empty(), "the displaced copy is gone");
    assert_eq!(store.document_copies(da).await.unwrap().len(), 2, "source and destination");
    assert!(store.find_copy(src.id, "e.pdf").await.unwrap().is_none());
    assert!(store.document_copies(df).await.unwrap().is_empty());
    assert!(store.find_copies(src.id, &[]).await.unwrap().is_empty());
    let failures = store.job_events(Some(job.id), Some("item_failed"), 10).await.unwrap();
    assert_eq!(failures.iter().map(|e| e.detail.as_str()).collect::<Vec<_>>(), ["d.pdf: no"]);

    // Each provider counts its own copies, looked up alone or listed with the rest.
    let figures = |p: &ferry_db::ProviderRecord| (p.documents, p.bytes);
    assert_eq!(figures(&store.provider_by_id(dst.id).await.unwrap()), (3, 30), "a, e and f");
    assert_eq!(figures(&store.provider_by_id(src.id).await.unwrap()), (1, 10), "a only: e was moved");
    let listed = store.list_providers().await.unwrap();
    let listed = |id: uuid::Uuid| listed.iter().find(|p| p.id == id).map(figures);
    assert_eq!((listed(dst.id), listed(src.id)), (Some((3, 30)), Some((1, 10))));
}

/// Batches larger than one statement carries, in every chunk size: all rows land,
/// a re-plan changes nothing, a key twice in one batch ends as its last mention.
async fn many_at_once(store: &dyn Store) {
    let src = store.create_provider(&provider("many-src", false)).await.unwrap();
    let dst = store.create_provider(&provider("many-dst", false)).await.unwrap();
    let job = store.create_job(&spec("Many", src.id, dst.id), None).await.unwrap();
    let at = Utc::now();
    // 64 + 64 + 16 + 4 + 2 rows.
    let keys: Vec<String> = (0..150).map(|n| format!("doc-{n:03}.pdf")).collect();
    let plan: Vec<_> = keys.iter().map(|k| item(k, ItemAction::Copy, "1")).collect();
    store.upsert_items(job.id, &plan).await.unwrap();
    store.upsert_items(job.id, &plan).await.unwrap();
    let counts = store.job_counts(job.id).await.unwrap();
    assert_eq!((counts.total, counts.pending, counts.total_bytes), (150, 150, 1_500));

    let mut twice =
        vec![item("doc-000.pdf", ItemAction::Copy, "1"), item("doc-000.pdf", ItemAction::Skip, "1")];
    twice[1].reason = Some("named again".into());
    store.upsert_items(job.id, &twice).await.unwrap();
    let first = store.search_items(job.id, None, Some("doc-000.pdf"), None, 2).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].status, first[0].reason.as_deref()), (ItemStatus::Skipped, Some("named again")));

    let claimed = store.claim_items(job.id, "w", "t", 9_000, 1_000, 500).await.unwrap();
    assert_eq!(claimed.len(), 149, "all but the skipped one");
    let ids: Vec<uuid::Uuid> = claimed.iter().map(|_| uuid::Uuid::now_v7()).collect();
    let finishes: Vec<ItemFinish> = claimed
        .iter()
        .zip(&ids)
        .map(|(item, id)| {
            let token = if item.source_key == "doc-100.pdf" { "stale" } else { "t" };
            finish(&item.source_key, token, done_as(*id), vec![copy_at(*id, dst.id, &item.dest_key)])
        })
        .collect();
    let taken = store.finish_items(job.id, &finishes, at).await.unwrap();
    assert_eq!(taken.iter().filter(|t| **t).count(), 148, "every item but the one under another lease");
    assert!(!taken[claimed.iter().position(|i| i.source_key == "doc-100.pdf").unwrap()]);
    let counts = store.job_counts(job.id).await.unwrap();
    assert_eq!((counts.done, counts.in_progress, counts.skipped), (148, 1, 1));
    let dest = store.provider_by_id(dst.id).await.unwrap();
    assert_eq!((dest.documents, dest.bytes), (148, 1_480));
    let last = store.find_copy(dst.id, "archive/doc-149.pdf").await.unwrap().unwrap();
    assert_eq!(Some(last.document_id), ids.last().copied());
}

fn provider(name: &str, primary: bool) -> ProviderWrite {
    ProviderWrite {
        id: uuid::Uuid::now_v7(),
        name: name.to_owned(),
        kind: ProviderKind::Local,
        settings: r#"{"kind":"local","root":"/srv/a"}"#.to_owned(),
        secrets: None,
        status: ProviderStatus::Active,
        primary,
    }
}

async fn providers(store: &dyn Store) {
    assert!(store.list_providers().await.unwrap().is_empty());
    let a = store.create_provider(&provider("Archive", true)).await.unwrap();
    assert_eq!((a.documents, a.bytes), (0, 0));
    assert_eq!(a.health, Health::Unknown);
    assert!(a.primary);
    // Names are unique without regard to case.
    let dup = store.create_provider(&provider("ARCHIVE", false)).await;
    assert!(dup.as_ref().is_err_and(DbError::is_conflict), "{dup:?}");
    // A second primary takes the flag from the first.
    let mut b = provider("bucket", true);
    b.kind = ProviderKind::S3;
    b.secrets = Some("v1:sealed".into());
    let b_rec = store.create_provider(&b).await.unwrap();
    assert!(!store.provider_by_id(a.id).await.unwrap().primary);
    assert_eq!(b_rec.secrets.as_deref(), Some("v1:sealed"));
    assert!(!format!("{b_rec:?}").contains("v1:sealed"), "Debug hides sealed secrets");
    let names: Vec<_> = store.list_providers().await.unwrap().into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["Archive", "bucket"]);

    // Health is recorded, and forgotten when the location changes.
    let at = Utc::now();
    store.set_provider_health(a.id, Health::Healthy, "listed in 3 ms", at).await.unwrap();
    let checked = store.provider_by_id(a.id).await.unwrap();
    assert_eq!((checked.health, checked.health_message.as_str()), (Health::Healthy, "listed in 3 ms"));
    assert!(checked.last_check_at.is_some());
    let renamed = ProviderWrite { id: a.id, name: "Archive 2".into(), ..provider("x", false) };
    let after = store.update_provider(&renamed).await.unwrap();
    assert_eq!(
        (after.name.as_str(), after.health),
        ("Archive 2", Health::Healthy),
        "same place, same health"
    );
    let moved = ProviderWrite { settings: r#"{"kind":"local","root":"/srv/b"}"#.into(), ..renamed };
    assert_eq!(store.update_provider(&moved).await.unwrap().health, Health::Unknown);
    let clash = ProviderWrite { name: "Bucket".into(), ..moved.clone() };
    assert!(store.update_provider(&clash).await.is_err_and(|e| e.is_conflict()));
    store.set_provider_status(a.id, ProviderStatus::Disabled, at).await.unwrap();
    assert_eq!(store.provider_by_id(a.id).await.unwrap().status, ProviderStatus::Disabled);

    // Delete; a missing one is NotFound.
    store.delete_provider(a.id).await.unwrap();
    assert!(store.provider_by_id(a.id).await.unwrap_err().is_not_found());
    assert!(store.delete_provider(a.id).await.unwrap_err().is_not_found());
    let ghost = ProviderWrite { id: uuid::Uuid::now_v7(), ..moved };
    assert!(store.update_provider(&ghost).await.unwrap_err().is_not_found());
}

async fn master_key(store: &dyn Store) {
    assert!(!seal::database_has_sealed_data(store).await.unwrap());
    let key = seal::MasterKey::generate();
    let sealer = seal::Sealer::new(&key);
    sealer.verify_with(store, "test").await.unwrap();
    assert!(seal::database_has_sealed_data(store).await.unwrap());
    sealer.verify_with(store, "test").await.unwrap();
    let wrong = seal::Sealer::new(&seal::MasterKey::generate()).verify_with(store, "FERRY_MASTER_KEY").await;
    let text = wrong.unwrap_err().to_string();
    assert!(text.contains("FERRY_MASTER_KEY") && text.contains("not the one"), "{text}");
    assert!(store.insert_setting_if_absent("k", "1").await.unwrap());
    assert!(!store.insert_setting_if_absent("k", "2").await.unwrap());
    assert_eq!(store.setting("k").await.unwrap().as_deref(), Some("1"));
    store.set_setting("k", "3").await.unwrap();
    store.set_setting("fresh", "4").await.unwrap();
    assert_eq!(store.setting("k").await.unwrap().as_deref(), Some("3"), "set replaces");
    assert_eq!(store.setting("fresh").await.unwrap().as_deref(), Some("4"), "set inserts");
}

#[tokio::test]
async fn sqlite_story() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ferry.db").display());
    let store = ferry_db::connect(&url).await.unwrap();
    assert_eq!(store.dialect(), Dialect::Sqlite);
    story(store.clone()).await;
    assert!(store.listen().await.unwrap().is_none(), "one process: nothing to listen to");
    store.close().await;

    // Reopening migrates nothing twice and keeps the data.
    let reopened = ferry_db::connect(&url).await.unwrap();
    assert_eq!(reopened.count_users().await.unwrap(), 3);
}

#[tokio::test]
async fn postgres_story() {
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!(
            "SKIPPED postgres_story: TEST_DATABASE_URL is not set (scripts/test.sh sets it when PostgreSQL answers)"
        );
        return;
    };
    let schema = format!("ferry_test_{}", uuid::Uuid::now_v7().simple());
    let admin = sqlx::PgPool::connect(&base).await.unwrap();
    sqlx::query(&format!("create schema {schema}")).execute(&admin).await.unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let store = ferry_db::connect(&url).await.unwrap();
    assert_eq!(store.dialect(), Dialect::Postgres);
    story(store.clone()).await;
    // Other processes hear of a job's change when it commits, and of progress hints.
    let mut heard = store.listen().await.unwrap().expect("PostgreSQL carries notifications");
    let job = store.list_jobs().await.unwrap().remove(0);
    let at = Utc::now();
    assert!(
        store
            .transition_job(job.id, job.status, JobStatus::Failed, Some("stopped by a test"), at)
            .await
            .unwrap()
    );
    let next = tokio::time::timeout(std::time::Duration::from_secs(5), heard.next()).await;
    assert_eq!(next.ok().flatten(), Some(job.id), "a state change is notified");
    store.notify(job.id).await.unwrap();
    let next = tokio::time::timeout(std::time::Duration::from_secs(5), heard.next()).await;
    assert_eq!(next.ok().flatten(), Some(job.id), "a progress hint is notified");
    let latest = store.job_events(Some(job.id), Some("status"), 1).await.unwrap();
    assert_eq!(latest[0].detail, "failed: stopped by a test");
    store.close().await;
    let reopened = ferry_db::connect(&url).await.unwrap();
    assert_eq!(reopened.count_users().await.unwrap(), 3);
    reopened.close().await;
    sqlx::query(&format!("drop schema {schema} cascade")).execute(&admin).await.unwrap();
}

#[tokio::test]
async fn unreachable_postgres_is_a_clear_error() {
    // Port 1 on loopback: nothing listens there.
    let err = ferry_db::connect("postgres://ferry:secret@127.0.0.1:1/ferry").await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, DbError::Unavailable(_)), "{err:?}");
    assert!(text.contains("127.0.0.1:1"), "{text}");
    assert!(!text.contains("secret"), "{text}");
}
