//! `ferry worker` beside `ferry serve` on one PostgreSQL database: both work the
//! same migration, leases keep them off each other's items, and the result is
//! the same as one process alone.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, with the value shown")]

mod common;

use std::collections::BTreeSet;

use common::{
    assert_copied, create_admin, ferry, finished, free_port, local_provider, serve, sign_in, start_copy,
};

const FILES: usize = 1500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_process_shares_a_migration() {
    let Ok(base_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!(
            "SKIPPED a_worker_process_shares_a_migration: TEST_DATABASE_URL is not set (needs PostgreSQL)"
        );
        return;
    };
    let schema = format!("ferry_worker_{}", uuid::Uuid::now_v7().simple());
    let admin = sqlx::PgPool::connect(&base_url).await.unwrap();
    sqlx::query(&format!("create schema {schema}")).execute(&admin).await.unwrap();
    let sep = if base_url.contains('?') { '&' } else { '?' };
    let url = format!("{base_url}{sep}options=-c%20search_path%3D{schema}");
    let key = "7f".repeat(32);
    let env = [("FERRY__DATABASE_URL", url.as_str()), ("FERRY_MASTER_KEY", key.as_str())];

    let dir = tempfile::tempdir().unwrap();
    let (source, dest) = (dir.path().join("source"), dir.path().join("dest"));
    common::write_documents(&source, FILES);
    std::fs::create_dir_all(&dest).unwrap();
    create_admin(&dir.path().join("serve"), &env);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&dir.path().join("serve"), port, &env);
    let mut worker = ferry(&dir.path().join("worker"), &env).arg("worker").spawn().unwrap();
    let c = sign_in(&base).await;
    let (src_id, dst_id) = (
        local_provider(&c, &base, "Source", &source).await,
        local_provider(&c, &base, "Destination", &dest).await,
    );
    // Let the worker come up before the migration starts.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let id = start_copy(&c, &base, &src_id, &dst_id, 2).await;
    let view = finished(&c, &base, &id).await;
    assert_eq!(view["status"], "completed", "{view}");
    assert_eq!(view["counts"]["done"].as_i64(), Some(FILES as i64), "{view}");
    assert_copied(&dest, FILES);

    let store = ferry_db::connect(&url).await.unwrap();
    let items = store.list_items(id.parse().unwrap(), None, None, 10_000).await.unwrap();
    let owners: BTreeSet<_> = items.iter().filter_map(|i| i.lease_owner.clone()).collect();
    assert_eq!(owners.len(), 2, "both processes worked on it: {owners:?}");
    assert!(items.iter().all(|i| i.attempts == 1), "no item was worked twice");
    store.close().await;
    server.kill().unwrap();
    worker.kill().unwrap();
    let _ = (server.wait(), worker.wait());
    sqlx::query(&format!("drop schema {schema} cascade")).execute(&admin).await.unwrap();
}
