//! The `ferry` binary killed with SIGKILL again and again in the middle of a copy
//! and of a move, started again each time: the migration carries on by itself and
//! ends exactly as an uninterrupted run would. Both sides are checked by listing
//! and hashing the folders directly, not by asking Ferry: every document in place
//! and intact, moved sources gone, nothing half-written left behind.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, with the value shown")]

mod common;

use std::time::{Duration, Instant};

use common::{
    create_admin, finished, free_port, job, local_provider, manifest, serve, sign_in, start_migration,
};

const FILES: usize = 2000;
const KILLS: usize = 3;

/// Runs one migration, killing the server `KILLS` times at evenly spread points.
async fn kill_repeatedly(strategy: &str) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (source, dest) = (dir.path().join("source"), dir.path().join("dest"));
    common::write_documents(&source, FILES);
    std::fs::create_dir_all(&dest).unwrap();
    let before = manifest(&source);
    assert_eq!(before.len(), FILES);
    create_admin(&data, &[]);

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&data, port, &[]);
    let c = sign_in(&base).await;
    let (src_id, dst_id) = (
        local_provider(&c, &base, "Source", &source).await,
        local_provider(&c, &base, "Destination", &dest).await,
    );
    let id = start_migration(&c, &base, "Crashing", (&src_id, &dst_id), strategy, 4).await;

    let mut kills_at = Vec::new();
    for k in 1..=KILLS {
        let threshold = i64::try_from(k * FILES / (KILLS + 1)).unwrap();
        let c = sign_in(&base).await;
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let view = job(&c, &base, &id).await;
            if view["counts"]["done"].as_i64().unwrap_or(0) >= threshold {
                break;
            }
            assert_ne!(view["status"], "completed", "finished before kill {k}: raise FILES");
            assert!(Instant::now() < deadline, "no progress before kill {k}: {view}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.kill().unwrap();
        server.wait().unwrap();
        // What the dead process got across, counted on disk.
        kills_at.push(manifest(&dest).len());
        server = serve(&data, port, &[]);
    }
    let c = sign_in(&base).await;
    let view = finished(&c, &base, &id).await;
    server.kill().unwrap();
    server.wait().unwrap();

    assert!(kills_at.iter().all(|&n| n < FILES), "every kill landed mid-run: {kills_at:?}");
    assert_eq!(view["status"], "completed", "{strategy}: {view}");
    assert_eq!(view["counts"]["done"].as_i64(), Some(FILES as i64), "{strategy}: {view}");
    assert_eq!(view["counts"]["failed"].as_i64(), Some(0), "{strategy}: {view}");
    // The destination holds exactly the source's documents, byte for byte, and
    // nothing else: no temporary or half-written files.
    assert_eq!(manifest(&dest), before, "{strategy}: the destination differs from the source");
    let left = manifest(&source);
    match strategy {
        "move" => assert!(left.is_empty(), "moved sources remain: {} of them", left.len()),
        _ => assert_eq!(left, before, "a copy leaves the source alone"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_killed_again_and_again_ends_as_if_never_interrupted() {
    kill_repeatedly("copy").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_killed_again_and_again_ends_as_if_never_interrupted() {
    kill_repeatedly("move").await;
}
