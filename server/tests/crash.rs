//! The `ferry` binary killed with SIGKILL in the middle of a migration, then
//! started again: the migration carries on by itself and ends exactly as an
//! uninterrupted run would — every document in place and intact, nothing
//! half-written left behind.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail loudly, with the value shown")]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{
    assert_copied, create_admin, finished, free_port, job, local_provider, serve, sign_in, start_copy,
};

const FILES: usize = 1200;

fn leftovers(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                dirs.push(entry.path());
            } else if entry.file_name().to_string_lossy().starts_with(".ferry") {
                found.push(entry.path().display().to_string());
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_killed_mid_run_finishes_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (source, dest) = (dir.path().join("source"), dir.path().join("dest"));
    common::write_documents(&source, FILES);
    std::fs::create_dir_all(&dest).unwrap();
    create_admin(&data, &[]);

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&data, port, &[]);
    let c = sign_in(&base).await;
    let (src_id, dst_id) = (
        local_provider(&c, &base, "Source", &source).await,
        local_provider(&c, &base, "Destination", &dest).await,
    );
    let id = start_copy(&c, &base, &src_id, &dst_id, 2).await;

    // Kill it once some documents are across, mid-flight.
    let deadline = Instant::now() + Duration::from_secs(120);
    let done_at_kill = loop {
        let view = job(&c, &base, &id).await;
        let done = view["counts"]["done"].as_i64().unwrap_or(0);
        if done >= 50 {
            break done;
        }
        assert_ne!(view["status"], "completed", "finished before it could be interrupted: raise FILES");
        assert!(Instant::now() < deadline, "no progress: {view}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(done_at_kill < FILES as i64, "interrupted part-way");

    // Start again: the migration resumes by itself.
    let mut server = serve(&data, port, &[]);
    let c = sign_in(&base).await;
    let view = finished(&c, &base, &id).await;
    server.kill().unwrap();
    server.wait().unwrap();

    assert_eq!(view["status"], "completed", "{view}");
    assert_eq!(view["counts"]["done"].as_i64(), Some(FILES as i64), "{view}");
    assert_eq!(view["counts"]["failed"].as_i64(), Some(0), "{view}");
    assert_copied(&dest, FILES);
    assert!(leftovers(&dest).is_empty(), "half-written files left: {:?}", leftovers(&dest));
    assert_eq!(
        std::fs::read_dir(source.join("docs")).unwrap().count(),
        FILES,
        "the copy left the source alone"
    );
}
